package test

default p := 1

p := 2 if {
	every v in 42 { v > 1 }
}
