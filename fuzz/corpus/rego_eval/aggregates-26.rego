1package generated

p := x if {
	count("abcde", x)
}
