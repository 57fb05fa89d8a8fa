package b.c.d

p contains x if {
	data.a[i] = x
	data.b.c.d.q[x]
}

q contains x if {
	data.g[j][k] = x
}
