1package generated

p := x if {
	floor(1.01, x)
}
