1package generated

p contains x if {
	sum([1, 2, 3, 4], x)
}
