1package generated

p := x if {
	__local0__ = data.generated.q
	count(__local0__, x)
}

q contains x if {
	x = data.a[_]
}
