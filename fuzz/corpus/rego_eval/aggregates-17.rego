1package generated

p contains x if {
	min([1, 2, 1, 3, 4], x)
}
