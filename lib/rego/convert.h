/* Conversions between Rego values and JSON / YAML text (internal).
 * JSON goes through jansson (JSON_REJECT_DUPLICATES), YAML through libyaml.
 * Both are untrusted inputs: sizes and nesting are bounded
 * (CC_REGO_MAX_JSON_BYTES, CC_REGO_MAX_JSON_DEPTH), errors name the
 * position. */
#ifndef COCOON_REGO_CONVERT_H
#define COCOON_REGO_CONVERT_H

#include <jansson.h>

#include "cocoon/error.h"
#include "value.h"

/* Parses one JSON document (any JSON value at top level) into arena a.
 * jansson checks the syntax and builds the tree; every number is then taken
 * from its own spelling in the text (rv_num_parse), so big integers stay
 * exact and 1.0 stays 1.0, as OPA's json.Number does. Invalid UTF-8 bytes
 * become U+FFFD first (Go's decoder does the same). Duplicate keys are
 * rejected (Go keeps the last one: a deliberate difference). */
int rv_from_json_text(rarena *a, const char *txt, size_t n, const rv **ret, cc_error **err);
/* Converts a jansson value (reals get their shortest round-trip spelling). */
int rv_from_jansson(rarena *a, const json_t *j, const rv **ret, cc_error **err);
/* Converts a value to a new jansson value (sets become arrays; non-string
 * object keys become their JSON text, as OPA does; integers beyond int64
 * become reals). NULL on OOM or a number beyond double range. */
json_t *rv_to_jansson(const rv *x);

/* Appends x as Go's encoding/json would print OPA's ast.JSON(x): HTML
 * characters escaped, object keys sorted bytewise. indent == NULL gives
 * json.Marshal output; otherwise json.MarshalIndent(x, prefix, indent)
 * (the first line is not prefixed). 0, -ENOMEM, -E2BIG or -ELOOP (nesting
 * deeper than the encoder's bound). */
int rv_to_go_json(const rv *x, cc_buf *out, const char *prefix, const char *indent);
/* Whether txt is one JSON value (Go's json.Valid: duplicate keys allowed). */
bool rv_json_valid(const char *txt, size_t n);

/* Parses YAML as OPA's yaml.unmarshal does (sigs.k8s.io/yaml over go-yaml
 * v2, then JSON): YAML 1.1 scalars (yes/no/on/off, ~, 0x1f, 0777, 1_000),
 * merge keys, mapping keys turned into strings, floats through float64.
 * Only the first document is read (as go-yaml v2's Unmarshal); an empty
 * stream gives null. Errors read "yaml: line N: <problem>". */
int rv_from_yaml_text(rarena *a, const char *txt, size_t n, const rv **ret, cc_error **err);
/* Converts a libyaml document node; used by the conformance-suite runner,
 * which reads `data:`/`input:` straight out of the case YAML. Same rules as
 * rv_from_yaml_text, except that numeric scalars spelled as JSON numbers
 * keep that spelling exactly (18446744073709551614 stays an integer). The
 * document API drops the difference between "!!str 1" and a plain 1, so an
 * explicit !!str on a plain scalar is not honoured here. */
struct yaml_document_s;
struct yaml_node_s;
int rv_from_yaml_node(rarena *a, struct yaml_document_s *doc, struct yaml_node_s *node,
                      const rv **ret, cc_error **err);
/* Appends the YAML text of x (as OPA's yaml.marshal: block style, keys in
 * go-yaml's natural order, strings quoted where they would read back as
 * another type). 0 or a negative errno. */
int rv_to_yaml(const rv *x, cc_buf *out);

#endif
