1package generated

p if {
	product([1, 2, 3, 4], 24)
}
