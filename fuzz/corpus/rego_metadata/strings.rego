0package t
x := "# METADATA"
y := $"{x}# METADATA{ {1: 2}[1] }"
z := `raw # METADATA`
# METADATA
# title: after
p := rego.metadata.rule().title
