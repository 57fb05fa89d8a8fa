1package generated

p := y if {
	data.a[i] = x
	__local0__ = x / i
	y = __local0__
}
