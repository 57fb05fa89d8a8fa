1package generated

p := x if {
	__local0__ = 7 % 4
	x = __local0__
}
