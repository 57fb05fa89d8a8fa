1package generated

p := x if {
	sort([4, 3, 2, 1], x)
}
