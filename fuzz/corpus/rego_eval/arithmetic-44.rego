1package generated

p := x if {
	ceil(1.01, x)
}
