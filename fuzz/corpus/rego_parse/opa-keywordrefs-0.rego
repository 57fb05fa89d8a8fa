package foo.as.bar

baz := 42
