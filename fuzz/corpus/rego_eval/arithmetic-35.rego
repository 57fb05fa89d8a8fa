1package generated

p if {
	abs(-10, x)
	x = 10
}
