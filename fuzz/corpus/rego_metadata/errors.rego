0package t
# METADATA
# scope: package
p := 1
