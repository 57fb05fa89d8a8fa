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
 * Integers beyond 64 bits: jansson cannot hold them; the document is then
 * re-read with JSON_DECODE_INT_AS_REAL for those values (documented loss). */
int rv_from_json_text(rarena *a, const char *txt, size_t n, const rv **ret, cc_error **err);
/* Converts a jansson value. */
int rv_from_jansson(rarena *a, const json_t *j, const rv **ret, cc_error **err);
/* Converts a value to a new jansson value (sets become arrays; non-string
 * object keys become their JSON text, as OPA does). NULL on OOM. */
json_t *rv_to_jansson(const rv *x);

/* Parses one YAML document (as Go's sigs.k8s.io/yaml does for OPA:
 * YAML 1.2-ish scalars: true/false/null/numbers; mapping keys become
 * strings) into arena a. Multi-document input is an error. */
int rv_from_yaml_text(rarena *a, const char *txt, size_t n, const rv **ret, cc_error **err);
/* Converts a libyaml document node; used by the conformance-suite runner,
 * which reads `data:`/`input:` straight out of the case YAML. */
struct yaml_document_s;
struct yaml_node_s;
int rv_from_yaml_node(rarena *a, struct yaml_document_s *doc, struct yaml_node_s *node,
                      const rv **ret, cc_error **err);
/* Appends the YAML text of x (as OPA's yaml.marshal). */
int rv_to_yaml(const rv *x, cc_buf *out);

#endif
