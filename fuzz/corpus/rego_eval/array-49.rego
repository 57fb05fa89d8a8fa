1package generated

p := x if {
	array.concat([1, 2], [3, 4], __local0__)
	x = __local0__
}
