package foo.contains.bar

baz := 42
