package test

a.b.c := "d"

a.b.e := "f"

a.b.g contains x if some x in numbers.range(1, 3)

a.b.h[x] := 1 if x := "one"

q[1] := y

r[x] if x := 10

p.q.r[x] if x := 10

p.q.r[2] := true

g[h].i[j].k := true

g[h].i[j].k if {
	h := 1
	j = 2
}

g[3].i[j].k := x if {
	j := 3
	x = 4
}

g[h].i[j].k[l] := true

g[h].i[j].k[l] contains x if x = "foo"

g[h].i[j].k[l] contains x if {
	h := 5
	j := 6
	l = 7
	x = "foo"
}
