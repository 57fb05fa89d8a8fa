package test

p[q].r := i if q := ["a", "b", "c"][i]
