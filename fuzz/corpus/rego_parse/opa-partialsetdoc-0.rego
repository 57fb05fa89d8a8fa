package x

p contains a if {
	a := q
}

q contains b if {
	b := 1
}
