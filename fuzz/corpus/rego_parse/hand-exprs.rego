package e

p if {
	x := 1 + 2 * 3 - 4 / 2 % 3
	y = x == 1 | 2 & 3
	not x in [1, 2]
	some k, v in {"a": 1}
	some i
	every a, b in [1] { a < b }
	z := [q | q := input[_]; q > 1]
	w := {k2: v2 | some k2, v2 in input}
	count(z) >= 0 with input as [1, 2] with data.x as {"y": 1}
	f(x).y[0]["z"]
	[1, 2][0] == 1; {"a": 1}.a == 1
}

f(_) := {"y": [{"z": 1}]}
