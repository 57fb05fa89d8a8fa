package test

p := count([x | q[x]])

q contains 1

q contains 1

q contains 2
