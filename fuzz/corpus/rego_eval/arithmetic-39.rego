1package generated

p if {
	__local0__ = data.a[3]
	abs(-4, __local0__)
}
