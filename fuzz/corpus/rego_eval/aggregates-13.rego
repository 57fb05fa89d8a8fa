1package generated

p := x if {
	max({1, 2, 3, 4}, x)
}
