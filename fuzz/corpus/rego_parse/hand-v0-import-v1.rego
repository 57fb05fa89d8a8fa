package v0

import rego.v1

p contains x if { some x in [1, 2] }
q[x] := y if { some x, y in {"a": 1} }
all_good if every x in [1] { x == 1 }
