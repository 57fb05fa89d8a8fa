1package generated

p if {
	__local0__ = data.a[3]
	not max([1, 2, 3, 4, 5], __local0__)
}
