package test

p if {
	strings.any_prefix_match(input.strings, input.prefixes)
}
