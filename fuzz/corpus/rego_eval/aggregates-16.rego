1package generated

p contains x if {
	min([1, 2, 3, 4], x)
}
