1package test

p contains z if {
	data.a[i] = x
	y = i / x
	round(y, z)
}
