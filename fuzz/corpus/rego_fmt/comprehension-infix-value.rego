package p

keys := ["a"]

p if {
	x := {k: (1 + 2) | k := keys[_]}
	y := [(a == 1) | a := keys[_]]
	x
}
