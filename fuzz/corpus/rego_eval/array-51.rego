1package generated

p := x if {
	__local1__ = data.b
	array.concat([1, 2], __local1__, __local0__)
	x = __local0__
}
