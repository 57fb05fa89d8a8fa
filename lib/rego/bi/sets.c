/* Set builtins intersection and union over a set of sets
 * (OPA v1/topdown/sets.go). */
#include "cocoon/limits.h"
#include "num.h"

static int ret_val(rctx *cx, const rv *v, const rv **ret)
{
	*ret = v;
	return v ? 0 : rbi_oom(cx);
}

/* The operand is a set whose elements are all sets (sorted order puts
 * any non-set element first, so it is the one reported). */
static int sets_operand(rctx *cx, const rv *const *args)
{
	int r = rbi_arg_type(cx, args, 0, RT_SET);
	for (size_t i = 0; r == 0 && i < args[0]->u.a.n; i++)
		if (args[0]->u.a.v[i]->t != RV_SET)
			r = rbi_type_err(cx, 1, RT_SET, args[0]->u.a.v[i]);
	return r;
}

static int bi_intersection(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = sets_operand(cx, args);
	if (r < 0)
		return r;
	const rv *s = args[0];
	if (s->u.a.n == 0)
		return ret_val(cx, rv_empty_set(), ret);
	const rv *acc = s->u.a.v[0];
	for (size_t i = 1; acc != NULL && i < s->u.a.n && acc->u.a.n > 0; i++)
		acc = rset_merge(rctx_arena(cx), acc, s->u.a.v[i], RSET_INTER);
	return ret_val(cx, acc, ret);
}

static int bi_union(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = sets_operand(cx, args);
	if (r < 0)
		return r;
	const rv *s = args[0];
	if (s->u.a.n <= 2) {
		const rv *e = rv_empty_set();
		const rv *x = s->u.a.n > 0 ? s->u.a.v[0] : e, *y = s->u.a.n > 1 ? s->u.a.v[1] : e;
		return ret_val(cx, rset_merge(rctx_arena(cx), x, y, RSET_UNION), ret);
	}
	rvec all;
	rvec_init(&all, rctx_arena(cx));
	for (size_t i = 0; i < s->u.a.n; i++) {
		const rv *e = s->u.a.v[i];
		if (all.n + e->u.a.n > CC_REGO_MAX_BUILTIN_ELEMS)
			return rbi_limit(cx, "result has more than %u elements", CC_REGO_MAX_BUILTIN_ELEMS);
		for (size_t j = 0; j < e->u.a.n; j++)
			if (rvec_push(&all, e->u.a.v[j]) < 0)
				return rbi_oom(cx);
	}
	return ret_val(cx, rvec_to_set(&all), ret);
}

const struct rbi rbi_group_sets[] = {
    {.name = "intersection", .arity = 1, .fn = bi_intersection, .argt = {RT_SET}, .rett = RT_SET},
    {.name = "union", .arity = 1, .fn = bi_union, .argt = {RT_SET}, .rett = RT_SET},
    {.name = NULL},
};
