package t

p := $"a{1 + x}b\{c}{ {"k": [1, 2]} }"
q := $`multi
line {input.x with input as {"x": 1}} \{raw}`
r := $"{$"{$"{x}"}"}"
x := "s"
