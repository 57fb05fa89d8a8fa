/* GraphQL builtins (OPA v1/topdown/graphql.go): graphql.parse,
 * graphql.parse_and_verify, graphql.parse_query, graphql.parse_schema,
 * graphql.is_valid and graphql.schema_is_valid.
 *
 * Queries and schemas are strings or the AST objects these builtins
 * return. Errors are OPA's: "<message> in GraphQL string at location
 * L:C" for syntax and validation errors (the v1 conformance suite's text),
 * "Error in gqlparser SchemaDocument to Schema conversion: input:L:C:
 * <message>" for an invalid schema. A CC_REGO_MAX_GRAPHQL_* cap is a
 * limit error (rbi_limit), never false or undefined. See graphql_int.h
 * for the files of the group.
 */
#include <errno.h>
#include <string.h>

#include "../rctx.h"
#include "graphql_int.h"

/* A failure as the builtin reports it. */
static int report(rctx *cx, const struct gq_err *e, const char *where)
{
	if (e->oom)
		return rbi_oom(cx);
	if (e->limit)
		return rbi_limit(cx, "%s", e->msg);
	if (e->pos.line > 0)
		return rbi_err(cx, "%s in GraphQL %sstring at location %d:%d", e->msg, where, e->pos.line, e->pos.col);
	return rbi_err(cx, "%s in GraphQL %sstring", e->msg, where);
}

static int report_schema(rctx *cx, const struct gq_err *e)
{
	if (e->oom)
		return rbi_oom(cx);
	if (e->limit)
		return rbi_limit(cx, "%s", e->msg);
	if (e->pos.line > 0)
		return rbi_err(cx, "Error in gqlparser SchemaDocument to Schema conversion: input:%d:%d: %s", e->pos.line,
		               e->pos.col, e->msg);
	return rbi_err(cx, "Error in gqlparser SchemaDocument to Schema conversion: input: %s", e->msg);
}

/* A validation error: gqlparser's message without its final period. */
static int report_validation(rctx *cx, struct gq_err *e)
{
	size_t n = strlen(e->msg);
	if (n > 0 && e->msg[n - 1] == '.')
		e->msg[n - 1] = '\0';
	return report(cx, e, "");
}

static int get_query(rctx *cx, const rv *x, struct gq_qdoc **q, struct gq_err *e)
{
	if (x->t == RV_STR)
		return gq_parse_query(rctx_arena(cx), x->u.s.p, x->u.s.n, q, e);
	return gq_qdoc_from_rv(rctx_arena(cx), x, q, e);
}

static int get_schema(rctx *cx, const rv *x, struct gq_sdoc **s, struct gq_err *e)
{
	if (x->t == RV_STR)
		return gq_parse_schema(rctx_arena(cx), x->u.s.p, x->u.s.n, false, s, e);
	return gq_sdoc_from_rv(rctx_arena(cx), x, s, e);
}

static bool str_or_obj(const rv *x)
{
	return x->t == RV_STR || x->t == RV_OBJ;
}

/* Stages of graphql.parse / parse_and_verify / is_valid. */
enum { ST_OK = 0, ST_QUERY, ST_SCHEMA, ST_CONVERT, ST_VALIDATE, ST_OOM };

struct parsed {
	const rv *qv, *sv;
	struct gq_err e;
};

/* Parses both documents, converts them to values when want_values, builds
 * the schema and validates the query: the stage that failed. */
static int parse_verify(rctx *cx, const rv *qarg, const rv *sarg, bool want_values, struct parsed *out)
{
	rarena *a = rctx_arena(cx);
	struct gq_qdoc *q = NULL;
	struct gq_sdoc *sd = NULL;
	struct gq_schema *schema = NULL;
	memset(out, 0, sizeof(*out));
	if (get_query(cx, qarg, &q, &out->e) < 0)
		return ST_QUERY;
	if (get_schema(cx, sarg, &sd, &out->e) < 0)
		return ST_SCHEMA;
	if (want_values) {
		out->qv = gq_qdoc_to_rv(a, q);
		out->sv = gq_sdoc_to_rv(a, sd);
		if (out->qv == NULL || out->sv == NULL)
			return ST_OOM;
	}
	if (gq_schema_build(a, sd, &schema, &out->e) < 0)
		return ST_CONVERT;
	if (gq_validate(a, schema, q, &out->e) < 0)
		return ST_VALIDATE;
	return ST_OK;
}

/* A cap or out of memory stops every builtin, whatever it returns on
 * other failures: parse_verify() on the arguments when both are strings
 * or objects (else ST_QUERY), and the error when it is fatal (1 = not). */
static int checked_verify(rctx *cx, const rv *const *args, bool want_values, struct parsed *p, int *st)
{
	memset(p, 0, sizeof(*p));
	*st = ST_QUERY;
	if (str_or_obj(args[0]) && str_or_obj(args[1]))
		*st = parse_verify(cx, args[0], args[1], want_values, p);
	if (*st == ST_OOM || p->e.oom)
		return rbi_oom(cx);
	if (p->e.limit)
		return rbi_limit(cx, "%s", p->e.msg);
	return 1;
}

static int bi_parse(rctx *cx, const rv *const *args, const rv **ret)
{
	/* OPA's builtinGraphQLParse numbers these operands from 0 and lists
	 * string first: the same words as opa eval prints */
	for (int i = 0; i < 2; i++)
		if (!str_or_obj(args[i]))
			return rbi_type_errf(cx, "operand %d must be one of {string, object} but got %s", i,
			                     rv_type_name(args[i]));
	struct parsed p;
	int st = parse_verify(cx, args[0], args[1], true, &p);
	switch (st) {
	case ST_OK: {
		const rv *pair[2] = {p.qv, p.sv};
		*ret = rv_arr(rctx_arena(cx), pair, 2);
		return *ret ? 0 : rbi_oom(cx);
	}
	case ST_OOM:
		return rbi_oom(cx);
	case ST_CONVERT:
		return report_schema(cx, &p.e);
	case ST_VALIDATE:
		return report_validation(cx, &p.e);
	default:
		return report(cx, &p.e, "");
	}
}

static int bi_parse_and_verify(rctx *cx, const rv *const *args, const rv **ret)
{
	rarena *a = rctx_arena(cx);
	struct parsed p;
	int st;
	int r = checked_verify(cx, args, true, &p, &st);
	if (r <= 0)
		return r;
	const rv *triple[3];
	if (st == ST_OK) {
		triple[0] = rv_true();
		triple[1] = p.qv;
		triple[2] = p.sv;
	} else {
		triple[0] = rv_false();
		triple[1] = rv_empty_obj();
		triple[2] = rv_empty_obj();
	}
	*ret = rv_arr(a, triple, 3);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	struct parsed p;
	int st;
	int r = checked_verify(cx, args, false, &p, &st);
	if (r <= 0)
		return r;
	*ret = rv_bool(st == ST_OK);
	return 0;
}

static int bi_schema_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	struct gq_err e;
	memset(&e, 0, sizeof(e));
	struct gq_sdoc *sd = NULL;
	struct gq_schema *schema = NULL;
	bool ok = false;
	if (str_or_obj(args[0]) && get_schema(cx, args[0], &sd, &e) == 0)
		ok = gq_schema_build(rctx_arena(cx), sd, &schema, &e) == 0;
	if (e.oom)
		return rbi_oom(cx);
	if (e.limit)
		return rbi_limit(cx, "%s", e.msg);
	*ret = rv_bool(ok);
	return 0;
}

static int bi_parse_query(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	struct gq_qdoc *q;
	struct gq_err e;
	if (gq_parse_query(rctx_arena(cx), s, n, &q, &e) < 0)
		return report(cx, &e, "");
	*ret = gq_qdoc_to_rv(rctx_arena(cx), q);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_parse_schema(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	struct gq_sdoc *d;
	struct gq_err e;
	if (gq_parse_schema(rctx_arena(cx), s, n, false, &d, &e) < 0)
		return report(cx, &e, "");
	*ret = gq_sdoc_to_rv(rctx_arena(cx), d);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_graphql[] = {
    {"graphql.is_valid", 2, bi_is_valid, NULL, 0, {RT_STR | RT_OBJ, RT_STR | RT_OBJ}, RT_BOOL},
    {"graphql.parse", 2, bi_parse, NULL, 0, {RT_STR | RT_OBJ, RT_STR | RT_OBJ}, RT_ARR},
    {"graphql.parse_and_verify", 2, bi_parse_and_verify, NULL, 0, {RT_STR | RT_OBJ, RT_STR | RT_OBJ}, RT_ARR},
    {"graphql.parse_query", 1, bi_parse_query, NULL, 0, {RT_STR}, RT_OBJ},
    {"graphql.parse_schema", 1, bi_parse_schema, NULL, 0, {RT_STR}, RT_OBJ},
    {"graphql.schema_is_valid", 1, bi_schema_is_valid, NULL, 0, {RT_STR | RT_OBJ}, RT_BOOL},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
