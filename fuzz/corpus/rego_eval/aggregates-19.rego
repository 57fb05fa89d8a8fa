1package generated

p := x if {
	min({1, 2, 3, 4}, x)
}
