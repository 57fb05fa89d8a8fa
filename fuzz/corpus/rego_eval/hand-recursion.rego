1package fuzz
f(x) := f(x)
p := f(1)
