/* libFuzzer target: the graphql builtin group (lib/rego/bi/graphql*.c):
 * the GraphQL lexer, the query and schema parsers, schema building and
 * query validation, and the AST objects read back as documents.
 *
 * Input: a query text, a NUL byte, a schema text. Both go through
 * graphql.parse_query, graphql.parse_schema, graphql.parse and
 * graphql.schema_is_valid; the ASTs the parsers return go back through
 * graphql.is_valid as objects. Nothing runs when the group is left out of
 * the build. Seed corpus: fuzz/corpus/rego_graphql/ (the OPA v1 suite's
 * queries and schemas). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "rego/rctx.h"

#define FUZZ_ARENA_LIMIT (256u * 1024u * 1024u)

static const rv *call(rarena *a, const char *name, const rv *x, const rv *y)
{
	const struct rbi *b = rbi_lookup(name, strlen(name));
	if (b == NULL || x == NULL || (b->arity == 2 && y == NULL))
		return NULL;
	const rv *args[RBI_MAX_ARGS] = {x, y};
	rctx cx;
	rctx_init(&cx, a, NULL);
	cx.fname = b->name;
	const rv *ret = NULL;
	if (b->fn(&cx, args, &ret) < 0)
		ret = NULL;
	rctx_fini(&cx);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (rbi_lookup("graphql.parse", 13) == NULL)
		return 0;
	const char *p = (const char *)data;
	const char *nul = memchr(p, '\0', size);
	size_t qn = nul ? (size_t)(nul - p) : size;
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return 0;
	const rv *qs = rv_str(a, p, qn);
	const rv *ss = nul ? rv_str(a, nul + 1, size - qn - 1) : rv_str(a, p, qn);
	const rv *qast = call(a, "graphql.parse_query", qs, NULL);
	const rv *sast = call(a, "graphql.parse_schema", ss, NULL);
	(void)call(a, "graphql.parse", qs, ss);
	(void)call(a, "graphql.schema_is_valid", ss, NULL);
	if (qast && sast)
		(void)call(a, "graphql.is_valid", qast, sast);
	rarena_free(a);
	return 0;
}
