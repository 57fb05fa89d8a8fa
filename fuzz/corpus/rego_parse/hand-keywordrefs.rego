package foo.in.every

import data.foo.if as my_if
import data.x.contains.y

in.foo := 1
not.bar contains 2
true.f(x) := x if x
default null.g(_) := 0
p if { in.foo == 1; data.every.x; input.some[0].with }
