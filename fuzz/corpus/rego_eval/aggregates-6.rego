1package generated

p := x if {
	sum({1, 2, 3, 4}, x)
}
