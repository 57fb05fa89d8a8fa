1package generated

p := x if {
	__local0__ = 7 % 0
	x = __local0__
}
