1package generated

p if {
	__local0__ = 49649733057 + 1
	__local0__ = 49649733058
}
