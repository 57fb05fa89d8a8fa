package p

p if { x := [1 2] }
q := "unterminated
r := 01
s := $"{x := 1}"
