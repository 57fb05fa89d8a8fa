/* libFuzzer target: the JSON Schema builtins (lib/rego/bi/jsonschema*.c)
 * on hostile schemas and documents: the schema compiler ($ref pointers,
 * keyword checks, patterns) and the validator (anyOf/oneOf scoring,
 * $ref cycles, the depth and step bounds).
 *
 * Input: the schema's JSON text, a NUL byte, the document's JSON text. Both
 * go to json.match_schema as strings, the schema also to
 * json.verify_schema. Nothing runs when the group is left out of the
 * build. Seed corpus: fuzz/corpus/rego_jsonschema/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "rego/rctx.h"

#define FUZZ_ARENA_LIMIT (64u * 1024u * 1024u)

static void call(rarena *a, const char *name, const rv *const *args)
{
	const struct rbi *b = rbi_lookup(name, strlen(name));
	if (b == NULL)
		return;
	rctx cx;
	rctx_init(&cx, a, NULL);
	cx.fname = b->name;
	const rv *ret = NULL;
	if (b->fn(&cx, args, &ret) == 0 && ret != NULL) {
		cc_buf out;
		cc_buf_init(&out, 1u << 24);
		rv_to_json(ret, &out, false);
		cc_buf_free(&out);
	}
	rctx_fini(&cx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nul = memchr(p, '\0', size);
	size_t sn = nul ? (size_t)(nul - p) : size;
	const char *d = nul ? nul + 1 : "null";
	size_t dn = nul ? size - sn - 1 : 4;
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return 0;
	const rv *schema = rv_str(a, p, sn), *doc = rv_str(a, d, dn);
	if (schema && doc) {
		const rv *args[RBI_MAX_ARGS] = {doc, schema};
		call(a, "json.match_schema", args);
		args[0] = schema;
		call(a, "json.verify_schema", args);
	}
	rarena_free(a);
	return 0;
}
