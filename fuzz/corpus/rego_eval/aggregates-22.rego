1package generated

p if {
	__local0__ = data.a[3]
	max([1, 2, 3, 4], __local0__)
}
