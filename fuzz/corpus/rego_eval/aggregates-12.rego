1package generated

p contains x if {
	max([1, 2, 3, 4], x)
}
