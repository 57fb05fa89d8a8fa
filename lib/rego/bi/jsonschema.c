/* JSON Schema builtins (OPA v1/topdown/jsonschema.go): json.verify_schema
 * and json.match_schema over the validator in jsonschema_compile.c and
 * jsonschema_validate.c (jsonschema_int.h).
 *
 * A string argument must be JSON text ("invalid JSON string" otherwise);
 * an object is used as it is, as OPA marshals it to JSON first.
 * verify_schema gives [true, null] or [false, "jsonschema: <error>"];
 * match_schema gives [valid, [{desc, error, field, type}...]] and fails
 * with the schema's error when the schema is invalid.
 */
#include <errno.h>

#include "cocoon/limits.h"
#include "../convert.h"
#include "../rctx.h"
#include "jsonschema_int.h"

/* OPA's astValueToJSONSchemaLoader: 0, or -EINVAL with *msg. Objects and
 * arrays are used as they are; other types are not type errors: OPA reports
 * "wrong type, expected string or object" (the declared types reject them
 * at compile time only). */
static int load(rctx *cx, const rv *x, const rv **out, const char **msg)
{
	if (x->t != RV_STR && x->t != RV_OBJ && x->t != RV_ARR) {
		*msg = "wrong type, expected string or object";
		return -EINVAL;
	}
	if (x->t != RV_STR) {
		*out = x;
		return 0;
	}
	cc_error *e = NULL;
	int r = rv_from_json_text(rctx_arena(cx), x->u.s.p, x->u.s.n, out, &e);
	cc_error_free(e);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*msg = "invalid JSON string";
		return -EINVAL;
	}
	return 0;
}

static int limit_err(rctx *cx, const char *msg)
{
	cc_error_free(cx->err);
	cx->err = NULL;
	cc_error_set_at(&cx->err, -ELOOP, "eval_cancel_error", NULL, 0, 0, "%s: %s", rctx_fname(cx),
	                msg ? msg : "limit exceeded");
	return -ELOOP;
}

static int bi_verify_schema(rctx *cx, const rv *const *args, const rv **ret)
{
	rarena *a = rctx_arena(cx);
	const char *msg = NULL;
	const rv *schema;
	struct js_schema *s = NULL;
	int r = load(cx, args[0], &schema, &msg);
	if (r == 0)
		r = js_schema_compile(a, schema, &s, &msg);
	js_schema_free(s);
	if (r < 0 && r != -EINVAL)
		return rbi_oom(cx);
	const rv *items[2] = {rv_bool(r == 0), rv_null()};
	if (r < 0) {
		cc_buf b;
		cc_buf_init(&b, 0);
		int w = cc_buf_adds(&b, "jsonschema: ");
		if (w == 0)
			w = cc_buf_adds(&b, msg);
		items[1] = w == 0 ? rv_str(a, b.p, b.len) : NULL;
		cc_buf_free(&b);
		if (items[1] == NULL)
			return rbi_oom(cx);
	}
	*ret = rv_arr(a, items, 2);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_match_schema(rctx *cx, const rv *const *args, const rv **ret)
{
	rarena *a = rctx_arena(cx);
	const char *msg = NULL;
	const rv *doc, *schema, *errs = NULL;
	struct js_schema *s = NULL;
	int r = load(cx, args[0], &doc, &msg);
	if (r == 0)
		r = load(cx, args[1], &schema, &msg);
	if (r == 0)
		r = js_schema_compile(a, schema, &s, &msg);
	if (r == 0)
		r = js_schema_validate(a, s, doc, &errs, &msg);
	js_schema_free(s);
	if (r == -EINVAL)
		return rbi_err(cx, "%s", msg);
	if (r == -ELOOP)
		return limit_err(cx, msg);
	if (r < 0)
		return rbi_oom(cx);
	const rv *items[2] = {rv_bool(errs->u.a.n == 0), errs};
	*ret = rv_arr(a, items, 2);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_jsonschema[] = {
    {"json.match_schema", 2, bi_match_schema, NULL, 0, {RT_STR | RT_OBJ, RT_STR | RT_OBJ}, RT_ARR},
    {"json.verify_schema", 1, bi_verify_schema, NULL, 0, {RT_STR | RT_OBJ}, RT_ARR},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
