0package t
p := 1
# METADATA
# title: end
