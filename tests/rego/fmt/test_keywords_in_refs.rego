package test.not.package.import.as.default.else.with.null.true.false.some.if.contains.in.every

import data.not as foo1
import data.package as foo2
import data.import as foo3
import data.as as foo4
import data.default as foo5
import data.else as foo6
import data.with as foo7
import data.null as foo8
import data.true as foo9
import data.false as foo10
import data.some as foo11
import data.if as foo12
import data.contains as foo13
import data.in as foo14
import data.every as foo15

import data.not.bar1
import data.package.bar2
import data.import.bar3
import data.as.bar4
import data.default.bar5
import data.else.bar6
import data.with.bar7
import data.null.bar8
import data.true.bar9
import data.false.bar10
import data.some.bar11
import data.if.bar12
import data.contains.bar13
import data.in.bar14
import data.every.bar15

p if {
	a.not == 1
	a.package == 1
	a.import == 1
	a.as == 1
	a.default == 1
	a.else == 1
	a.with == 1
	a.null == 1
	a.true == 1
	a.false == 1
	a.some == 1
	a.if == 1
	a.contains == 1
	a.in == 1
	a.every == 1

	b.c.not == 1
	b.c.package == 1
	b.c.import == 1
	b.c.as == 1
	b.c.default == 1
	b.c.else == 1
	b.c.with == 1
	b.c.null == 1
	b.c.true == 1
	b.c.false == 1
	b.c.some == 1
	b.c.if == 1
	b.c.contains == 1
	b.c.in == 1
	b.c.every == 1

	d.not.e == 1
	d.package.e == 1
	d.import.e == 1
	d.as.e == 1
	d.default.e == 1
	d.else.e == 1
	d.with.e == 1
	d.null.e == 1
	d.true.e == 1
	d.false.e == 1
	d.some.e == 1
	d.if.e == 1
	d.contains.e == 1
	d.in.e == 1
	d.every.e == 1

	f.not(2)
	f.package(2)
	f.import(2)
	f.as(2)
	f.default(2)
	f.else(2)
	f.with(2)
	f.null(2)
	f.true(2)
	f.false(2)
	f.some(2)
	f.if(2)
	f.contains(2)
	f.in(2)
	f.every(2)

	g.h.not(2)
	g.h.package(2)
	g.h.import(2)
	g.h.as(2)
	g.h.default(2)
	g.h.else(2)
	g.h.with(2)
	g.h.null(2)
	g.h.true(2)
	g.h.false(2)
	g.h.some(2)
	g.h.if(2)
	g.h.contains(2)
	g.h.in(2)
	g.h.every(2)

	i.not.j(2)
	i.package.j(2)
	i.import.j(2)
	i.as.j(2)
	i.default.j(2)
	i.else.j(2)
	i.with.j(2)
	i.null.j(2)
	i.true.j(2)
	i.false.j(2)
	i.some.j(2)
	i.if.j(2)
	i.contains.j(2)
	i.in.j(2)
	i.every.j(2)
}

a.not := 1
a.package := 1
a.import := 1
a.as := 1
a.default := 1
a.else := 1
a.with := 1
a.null := 1
a.true := 1
a.false := 1
a.some := 1
a.if := 1
a.contains := 1
a.in := 1
a.every := 1

b.c.not := 1
b.c.package := 1
b.c.import := 1
b.c.as := 1
b.c.default := 1
b.c.else := 1
b.c.with := 1
b.c.null := 1
b.c.true := 1
b.c.false := 1
b.c.some := 1
b.c.if := 1
b.c.contains := 1
b.c.in := 1
b.c.every := 1

d.not.e := 1
d.package.e := 1
d.import.e := 1
d.as.e := 1
d.default.e := 1
d.else.e := 1
d.with.e := 1
d.null.e := 1
d.true.e := 1
d.false.e := 1
d.some.e := 1
d.if.e := 1
d.contains.e := 1
d.in.e := 1
d.every.e := 1

f.not(x) := x
f.package(x) := x
f.import(x) := x
f.as(x) := x
f.default(x) := x
f.else(x) := x
f.with(x) := x
f.null(x) := x
f.true(x) := x
f.false(x) := x
f.some(x) := x
f.if(x) := x
f.contains(x) := x
f.in(x) := x
f.every(x) := x

g.h.not(x) := x
g.h.package(x) := x
g.h.import(x) := x
g.h.as(x) := x
g.h.default(x) := x
g.h.else(x) := x
g.h.with(x) := x
g.h.null(x) := x
g.h.true(x) := x
g.h.false(x) := x
g.h.some(x) := x
g.h.if(x) := x
g.h.contains(x) := x
g.h.in(x) := x
g.h.every(x) := x

i.not.j(x) := x
i.package.j(x) := x
i.import.j(x) := x
i.as.j(x) := x
i.default.j(x) := x
i.else.j(x) := x
i.with.j(x) := x
i.null.j(x) := x
i.true.j(x) := x
i.false.j(x) := x
i.some.j(x) := x
i.if.j(x) := x
i.contains.j(x) := x
i.in.j(x) := x
i.every.j(x) := x
