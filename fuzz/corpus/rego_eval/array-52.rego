1package generated

p := x if {
	array.slice([1, 2, 3, 4, 5], 1, 3, __local0__)
	x = __local0__
}
