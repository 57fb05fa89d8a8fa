1package test

p := array.flatten(data.foo)
