0package x
import data.y as z
import rego.v1
f(a) := b if { b := a + 1; not a; some k in [1]; some i, j in {1: 2}; every v in [1] { v > 0 } }
d contains 1
default g := 1
e := [x | x := {1: {"a"}}[_]] if { true } else := 2
h.i[j] := {k: v | some k, v in {"a": 1}} if { j := "q"; x := input with input as {} }
