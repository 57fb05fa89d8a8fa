package indexing

f(val) if {
	[_, _] = val
}

p if {
	f([1, ["foo", "bar"]])
}
