1package generated

p := x if {
	__local0__ = data.generated.q
	sum(__local0__, x)
}

q contains x if {
	data.a[_] = x
}
