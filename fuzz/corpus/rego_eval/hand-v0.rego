0package fuzz
import future.keywords
p[x] { x := input.a[_] }
q { every y in input.a { y > 0 } }
---
{"a": [1, 2, 3]}