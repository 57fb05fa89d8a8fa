1package fuzz
s := numbers.range(1, 100000000)
