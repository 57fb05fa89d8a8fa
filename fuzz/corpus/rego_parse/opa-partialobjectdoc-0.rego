package generated

p[k] := v if {
	data.b[k] = v
}
