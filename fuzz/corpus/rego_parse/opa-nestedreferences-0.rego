package generated

p if {
	__local0__ = data.h[0][0]
	data.a[__local0__] = 2
}
