package generated

p if {
	1 = 1
	data.a[i] = x
	x = 2
}
