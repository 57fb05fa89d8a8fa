package test

p.q.r := 1

p.q.s := 2
