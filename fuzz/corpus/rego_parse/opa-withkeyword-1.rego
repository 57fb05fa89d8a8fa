package test

f := 1

p := y if {
	y = time.now_ns() with time.now_ns as f
}
