1package generated

p := x if {
	count(input.foo, x)
}

---
{"foo": null}