/* Array builtins array.concat, array.slice, array.reverse
 * (OPA v1/topdown/array.go) and array.flatten (one level). Results share
 * the operands' element arrays where they can. */
#include <string.h>

#include "cocoon/limits.h"
#include "num.h"

static int ret_val(rctx *cx, const rv *v, const rv **ret)
{
	*ret = v;
	return v ? 0 : rbi_oom(cx);
}

static int too_many(rctx *cx)
{
	return rbi_limit(cx, "result has more than %u elements", CC_REGO_MAX_BUILTIN_ELEMS);
}

static int bi_concat(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_ARR);
	if (r == 0)
		r = rbi_arg_type(cx, args, 1, RT_ARR);
	if (r < 0)
		return r;
	const rv *x = args[0], *y = args[1];
	if (x->u.a.n == 0)
		return ret_val(cx, y, ret);
	if (y->u.a.n == 0)
		return ret_val(cx, x, ret);
	size_t n;
	if (__builtin_add_overflow(x->u.a.n, y->u.a.n, &n) || n > CC_REGO_MAX_BUILTIN_ELEMS)
		return too_many(cx);
	rarena *a = rctx_arena(cx);
	const rv **items = rarena_nalloc(a, n, sizeof(*items));
	if (items == NULL)
		return rbi_oom(cx);
	memcpy(items, x->u.a.v, x->u.a.n * sizeof(*items));
	memcpy(items + x->u.a.n, y->u.a.v, y->u.a.n * sizeof(*items));
	return ret_val(cx, rnum_share_arr(a, items, n), ret);
}

/* arr[start:stop] with both clamped to [0, len] and start to stop. */
static int bi_slice(rctx *cx, const rv *const *args, const rv **ret)
{
	int64_t start, stop;
	int r = rbi_arg_type(cx, args, 0, RT_ARR);
	if (r == 0)
		r = rnum_arg_int(cx, args, 1, &start);
	if (r == 0)
		r = rnum_arg_int(cx, args, 2, &stop);
	if (r < 0)
		return r;
	const rv *x = args[0];
	size_t n = x->u.a.n;
	size_t hi = stop < 0 ? 0 : (uint64_t)stop > n ? n : (size_t)stop;
	size_t lo = start < 0 ? 0 : (uint64_t)start > hi ? hi : (size_t)start;
	if (lo == 0 && hi >= n)
		return ret_val(cx, x, ret);
	return ret_val(cx, rnum_share_arr(rctx_arena(cx), x->u.a.v + lo, hi - lo), ret);
}

static int bi_reverse(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_ARR);
	if (r < 0)
		return r;
	const rv *x = args[0];
	size_t n = x->u.a.n;
	if (n <= 1)
		return ret_val(cx, x, ret);
	rarena *a = rctx_arena(cx);
	const rv **items = rarena_nalloc(a, n, sizeof(*items));
	if (items == NULL)
		return rbi_oom(cx);
	for (size_t i = 0; i < n; i++)
		items[i] = x->u.a.v[n - 1 - i];
	return ret_val(cx, rnum_share_arr(a, items, n), ret);
}

/* Elements that are arrays are spliced in (one level); others are kept. */
static int bi_flatten(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_ARR);
	if (r < 0)
		return r;
	const rv *x = args[0];
	size_t n = 0;
	bool nested = false;
	for (size_t i = 0; i < x->u.a.n; i++) {
		const rv *e = x->u.a.v[i];
		nested |= e->t == RV_ARR;
		if (__builtin_add_overflow(n, e->t == RV_ARR ? e->u.a.n : 1, &n) ||
		    n > CC_REGO_MAX_BUILTIN_ELEMS)
			return too_many(cx);
	}
	if (!nested)
		return ret_val(cx, x, ret);
	rarena *a = rctx_arena(cx);
	const rv **items = rarena_nalloc(a, n, sizeof(*items));
	if (n > 0 && items == NULL)
		return rbi_oom(cx);
	size_t k = 0;
	for (size_t i = 0; i < x->u.a.n; i++) {
		const rv *e = x->u.a.v[i];
		if (e->t != RV_ARR) {
			items[k++] = e;
		} else if (e->u.a.n > 0) {
			memcpy(items + k, e->u.a.v, e->u.a.n * sizeof(*items));
			k += e->u.a.n;
		}
	}
	return ret_val(cx, rnum_share_arr(a, items, n), ret);
}

const struct rbi rbi_group_arrays[] = {
    {.name = "array.concat", .arity = 2, .fn = bi_concat, .argt = {RT_ARR, RT_ARR},
     .rett = RT_ARR},
    {.name = "array.slice", .arity = 3, .fn = bi_slice, .argt = {RT_ARR, RT_NUM, RT_NUM},
     .rett = RT_ARR},
    {.name = "array.reverse", .arity = 1, .fn = bi_reverse, .argt = {RT_ARR}, .rett = RT_ARR},
    {.name = "array.flatten", .arity = 1, .fn = bi_flatten, .argt = {RT_ARR}, .rett = RT_ARR},
    {.name = NULL},
};
