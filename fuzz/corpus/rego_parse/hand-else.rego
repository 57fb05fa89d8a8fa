package e

p := 1 if false else := 2 if { false } else := 3
f(x) := "a" if x == 1
else := "b" if x == 2
else := "c"
g(_, [a, _]) := a if true else := 0
