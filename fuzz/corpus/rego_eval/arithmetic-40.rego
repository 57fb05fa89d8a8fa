1package generated

p if {
	__local0__ = data.a[3]
	not abs(-5, __local0__)
}
