package generated

p if {
	not data.a[[0]]
}
