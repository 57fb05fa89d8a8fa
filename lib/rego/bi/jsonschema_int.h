/* JSON Schema for json.verify_schema / json.match_schema (internal).
 *
 * A compact validator with the semantics of the gojsonschema fork OPA
 * vendors (internal/gojsonschema): drafts 4, 6 and 7 mixed ("hybrid": a
 * boolean exclusiveMinimum is draft 4, a number draft 6), boolean schemas,
 * $ref to JSON pointers inside the same document only (no network, no
 * $id resolution), no "format" checks (OPA's fork ignores format).
 *
 * jsonschema_compile.c turns a schema value into a tree of js_node (first
 * schema error wins, with gojsonschema's wording); jsonschema_validate.c
 * walks a document against it and collects gojsonschema's errors, in its
 * order, as OPA's {desc, error, field, type} objects. Everything lives in
 * the caller's arena except the compiled patterns, which js_schema_free()
 * releases. Work is bounded: CC_REGO_MAX_SCHEMA_DEPTH nested validations
 * (a $ref cycle that consumes no input ends there) and
 * CC_REGO_MAX_SCHEMA_STEPS sub-validations per call.
 */
#ifndef COCOON_REGO_BI_JSONSCHEMA_INT_H
#define COCOON_REGO_BI_JSONSCHEMA_INT_H

#include "../value.h"

struct js_schema;

/* Compiles schema (an object, a boolean or any value, as gojsonschema
 * reads it) into *ret. 0; -EINVAL with *msg set to gojsonschema's error text
 * (arena string) for an invalid schema; -ENOMEM. */
int js_schema_compile(rarena *a, const rv *schema, struct js_schema **ret, const char **msg);
/* Releases the compiled patterns (the rest dies with the arena). NULL ok. */
void js_schema_free(struct js_schema *s);

/* Validates doc. On success *ret is an array of error objects (empty when
 * valid). -ENOMEM; -ELOOP when a bound was hit (*msg says which). */
int js_schema_validate(rarena *a, const struct js_schema *s, const rv *doc, const rv **ret,
                       const char **msg);

/* ---- shared between the two files ---- */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

enum js_type { JT_ARRAY, JT_BOOLEAN, JT_INTEGER, JT_NUMBER, JT_NULL, JT_OBJECT, JT_STRING };

struct js_node;

struct js_list {
	struct js_node **v;
	size_t n;
};

struct js_pattern {
	const rv *src;
	pcre2_code *re;
};

struct js_node {
	int pass;                /* -1: an object schema; 0/1: the boolean schema */
	struct js_node *ref;     /* $ref target (the rest is ignored) */
	uint8_t types[7];
	size_t ntypes;
	const rv *prop_keys;     /* "properties": object of schemas */
	struct js_node **prop_nodes;
	struct js_pattern *pp;   /* "patternProperties" */
	struct js_node **pp_nodes;
	size_t npp;
	int ap_false;            /* additionalProperties: false */
	struct js_node *ap;      /* additionalProperties: schema */
	struct js_node *propnames;
	const rv *dep_keys;      /* "dependencies": key -> array of names or schema */
	struct js_node **dep_nodes; /* NULL entry: array form, in dep_keys' value */
	struct js_list items;
	int items_single;
	int ai_false;
	struct js_node *ai;
	const rv *multiple_of, *minimum, *maximum, *excl_min, *excl_max;
	int64_t min_len, max_len, min_props, max_props, min_items, max_items; /* -1: absent */
	struct js_pattern pattern;
	const rv *required;      /* array of strings */
	int unique;
	struct js_node *contains;
	const rv *constv;        /* NULL: absent */
	const rv *enumv;         /* array; NULL: absent */
	struct js_list any_of, one_of, all_of;
	struct js_node *not_, *if_, *then_, *else_;
};

struct js_schema {
	struct js_node *root;
	pcre2_code **codes;      /* every compiled pattern, for js_schema_free */
	size_t ncodes, capcodes;
	pcre2_match_context *mctx;
	pcre2_match_data *md;
};

#endif
