/* Joins the enabled builtin groups into one sorted lookup table (bi.h). */
#include <stdlib.h>
#include <string.h>

#include "../names.h"
#include "../bi.h"

static const struct rbi *const groups[] = {
    rbi_group_core,
#ifdef COCOON_REGO_BI_JSONSCHEMA
    rbi_group_jsonschema,
#endif
#ifdef COCOON_REGO_BI_TEMPLATE
    rbi_group_template,
#endif
#ifdef COCOON_REGO_BI_GRAPHQL
    rbi_group_graphql,
#endif
#ifdef COCOON_REGO_BI_METADATA
    rbi_group_metadata,
#endif
#ifdef COCOON_REGO_BI_RUNTIME
    rbi_group_runtime,
#endif
#ifdef COCOON_REGO_BI_CRYPTO
    rbi_group_crypto,
#endif
#ifdef COCOON_REGO_BI_JWT
    rbi_group_jwt,
#endif
#ifdef COCOON_REGO_BI_STRINGS
    rbi_group_strings,
#endif
#ifdef COCOON_REGO_BI_REGEX
    rbi_group_regex,
#endif
#ifdef COCOON_REGO_BI_ENCODING
    rbi_group_encoding,
#endif
#ifdef COCOON_REGO_BI_AGGREGATES
    rbi_group_aggregates,
#endif
#ifdef COCOON_REGO_BI_ARRAYS
    rbi_group_arrays,
#endif
#ifdef COCOON_REGO_BI_SETS
    rbi_group_sets,
#endif
#ifdef COCOON_REGO_BI_OBJECTS
    rbi_group_objects,
#endif
#ifdef COCOON_REGO_BI_TYPES
    rbi_group_types,
#endif
#ifdef COCOON_REGO_BI_NUMBERS
    rbi_group_numbers,
#endif
#ifdef COCOON_REGO_BI_BITS
    rbi_group_bits,
#endif
#ifdef COCOON_REGO_BI_JSON
    rbi_group_json,
#endif
#ifdef COCOON_REGO_BI_TIME
    rbi_group_time,
#endif
#ifdef COCOON_REGO_BI_UNITS
    rbi_group_units,
#endif
#ifdef COCOON_REGO_BI_SEMVER
    rbi_group_semver,
#endif
#ifdef COCOON_REGO_BI_GLOB
    rbi_group_glob,
#endif
#ifdef COCOON_REGO_BI_NET
    rbi_group_net,
#endif
#ifdef COCOON_REGO_BI_UUID
    rbi_group_uuid,
#endif
#ifdef COCOON_REGO_BI_GRAPH
    rbi_group_graph,
#endif
};

const struct rbi *rbi_at(size_t i)
{
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (const struct rbi *b = groups[g]; b->name; b++)
			if (i-- == 0)
				return b;
	return NULL;
}

/* Linear scan over a few hundred names happens only at compile time (the
 * compiler stores the resolved pointer in each call node). */
const struct rbi *rbi_lookup(const char *name, size_t len)
{
	if (len == 0)
		return NULL;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (const struct rbi *b = groups[g]; b->name; b++)
			if (rname_eq(b->name, name, len))
				return b;
	return NULL;
}
