1package generated

p contains x if {
	__local0__ = [y | data.generated.q[y]]
	count(__local0__, x)
}

q contains x if {
	x = data.a[_]
}
