package generated

p if {
	true = false
}
