1package generated

p if {
	sum([49649733057, 1], __local0__)
	__local0__ = 49649733058
}
