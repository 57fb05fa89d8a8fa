package v0

p { true }
q[x] { x := 1 }
r[k] = v { k := "a"; v := 2 }
f(x) = y { y := x + 1 }
g(x) { x > 1 } { x < -1 }
h = 1 { false } else = 2 { true } else { true }
s.t { true }
u = 5
w[x]
