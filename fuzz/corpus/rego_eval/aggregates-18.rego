1package generated

p contains x if {
	min([3, 2, 1, 4, 6, -7, 10], x)
}
