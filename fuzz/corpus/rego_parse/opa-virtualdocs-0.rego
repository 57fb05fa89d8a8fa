package generated

p if {
	data.generated.q[1]
}

q contains x if {
	data.a[i] = x
}
