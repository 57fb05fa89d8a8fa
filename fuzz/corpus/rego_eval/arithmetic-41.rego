1package generated

p if {
	__local0__ = 1 + 2
	data.a[2] = __local0__
}
