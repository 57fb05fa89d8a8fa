0# METADATA
# scope: subpackages
# title: ab
package a.b

# METADATA
# scope: document
# description: doc

# METADATA
# custom: {k: [1, true]}
# related_resources:
# - https://example.com/x
# - {ref: ' https://e.org ', description: ' d '}
# organizations: [ACME, 7]
# entrypoint: true
# schemas:
# - input.x: schema.s
# - input: {type: object}
p := rego.metadata.chain()
q contains x if { rego.metadata.rule(x) }
