package x

p if {
	symbol

	# comment
	some x
}

p if {
	symbol

	# comment
	f(x)
}

p if {
	symbol

	# comment
	not x
}

p if {
	symbol

	# comment
	not f(x)
}
