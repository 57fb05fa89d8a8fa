/* Object builtins object.get, object.keys, object.remove, object.filter,
 * object.union, object.union_n (OPA v1/topdown/object.go) and
 * object.subset (subset.go). Objects are stored with sorted keys, so the
 * results here are built by sorted merges and share arrays where they can. */
#include <string.h>

#include "cocoon/limits.h"
#include "num.h"

static int ret_val(rctx *cx, const rv *v, const rv **ret)
{
	*ret = v;
	return v ? 0 : rbi_oom(cx);
}

/* Object over arena-lived, sorted, unique keys and their values (no copy). */
static const rv *share_obj(rarena *a, const rv **k, const rv **v, size_t n)
{
	return rv_obj_share(a, k, v, n);
}

/* ---- object.get, object.keys ------------------------------------------- */

/* A non-array key is looked up directly; an array is a path through
 * objects, arrays (integer indexes) and sets (members). Misses give the
 * default. */
static int bi_get(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_OBJ);
	if (r < 0)
		return r;
	const rv *obj = args[0], *key = args[1], *cur;
	if (key->t != RV_ARR) {
		cur = rv_obj_get(obj, key);
		*ret = cur ? cur : args[2];
		return 0;
	}
	cur = obj;
	for (size_t i = 0; cur != NULL && i < key->u.a.n; i++)
		cur = rv_get(cur, key->u.a.v[i]);
	*ret = cur ? cur : args[2];
	return 0;
}

static int bi_keys(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_OBJ);
	if (r < 0)
		return r;
	const rv *o = args[0];
	return ret_val(cx, rnum_share_set(rctx_arena(cx), o->u.o.k, o->u.o.n), ret);
}

/* ---- object.remove, object.filter ---------------------------------------- */

/* The keys operand (array elements, set elements or object keys) as a
 * collection rv_find() can search: a set or an object. */
static int keys_operand(rctx *cx, const rv *x, const rv **keys)
{
	switch (x->t) {
	case RV_SET:
	case RV_OBJ:
		*keys = x;
		return 0;
	case RV_ARR:
		*keys = rv_set(rctx_arena(cx), x->u.a.v, x->u.a.n);
		return *keys ? 0 : rbi_oom(cx);
	default:
		return rnum_type_err(cx, 2, "one of {object, set, array}", x);
	}
}

/* The pairs of obj whose key is (keep) or is not (!keep) in keys. */
static int select_keys(rctx *cx, const rv *const *args, bool keep, const rv **ret)
{
	const rv *keys;
	int r = rbi_arg_type(cx, args, 0, RT_OBJ);
	if (r == 0)
		r = keys_operand(cx, args[1], &keys);
	if (r < 0)
		return r;
	const rv *obj = args[0];
	size_t n = obj->u.o.n, m = 0;
	rarena *a = rctx_arena(cx);
	const rv **k = rarena_nalloc(a, n ? n : 1, sizeof(*k));
	const rv **v = rarena_nalloc(a, n ? n : 1, sizeof(*v));
	if (k == NULL || v == NULL)
		return rbi_oom(cx);
	for (size_t i = 0; i < n; i++) {
		if ((rv_find(keys, obj->u.o.k[i]) >= 0) != keep)
			continue;
		k[m] = obj->u.o.k[i];
		v[m++] = obj->u.o.v[i];
	}
	if (m == n)
		return ret_val(cx, obj, ret);
	return ret_val(cx, share_obj(a, k, v, m), ret);
}

static int bi_remove(rctx *cx, const rv *const *args, const rv **ret)
{
	return select_keys(cx, args, false, ret);
}

static int bi_filter(rctx *cx, const rv *const *args, const rv **ret)
{
	return select_keys(cx, args, true, ret);
}

/* ---- object.union, object.union_n --------------------------------------- */

/* mergeWithOverwrite: y's pairs win, except that two object values merge
 * recursively. The recursion follows the values' nesting, which the
 * parsers and the evaluator bound. NULL on OOM. */
static const rv *merge(rarena *a, const rv *x, const rv *y)
{
	size_t n = x->u.o.n, m = y->u.o.n, i = 0, j = 0, o = 0, cap;
	if (m == 0)
		return x;
	if (n == 0)
		return y;
	if (__builtin_add_overflow(n, m, &cap))
		return NULL;
	const rv **k = rarena_nalloc(a, cap, sizeof(*k));
	const rv **v = rarena_nalloc(a, cap, sizeof(*v));
	if (k == NULL || v == NULL)
		return NULL;
	while (i < n || j < m) {
		int c = i == n ? 1 : j == m ? -1 : rv_cmp(x->u.o.k[i], y->u.o.k[j]);
		if (c < 0) {
			k[o] = x->u.o.k[i];
			v[o++] = x->u.o.v[i++];
		} else if (c > 0) {
			k[o] = y->u.o.k[j];
			v[o++] = y->u.o.v[j++];
		} else {
			const rv *xv = x->u.o.v[i++], *yv = y->u.o.v[j];
			k[o] = y->u.o.k[j++];
			v[o] = xv->t == RV_OBJ && yv->t == RV_OBJ ? merge(a, xv, yv) : yv;
			if (v[o++] == NULL)
				return NULL;
		}
	}
	return share_obj(a, k, v, o);
}

static int bi_union(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_OBJ);
	if (r == 0)
		r = rbi_arg_type(cx, args, 1, RT_OBJ);
	if (r < 0)
		return r;
	if (rv_eq(args[0], args[1]))
		return ret_val(cx, args[0], ret);
	return ret_val(cx, merge(rctx_arena(cx), args[0], args[1]), ret);
}

/* The left fold of object.union over the array. OPA merges back to front
 * with "frozen" keys, which gives the same result; it also checks the
 * elements back to front, so the last non-object is the one reported. */
static int bi_union_n(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_ARR);
	if (r < 0)
		return r;
	const rv *arr = args[0];
	for (size_t i = arr->u.a.n; i-- > 0;)
		if (arr->u.a.v[i]->t != RV_OBJ)
			return rnum_elem_err(cx, 1, arr, arr->u.a.v[i], "object");
	const rv *acc = rv_empty_obj();
	rarena *a = rctx_arena(cx);
	for (size_t i = 0; acc != NULL && i < arr->u.a.n; i++)
		acc = merge(a, acc, arr->u.a.v[i]);
	return ret_val(cx, acc, ret);
}

/* ---- object.subset ----------------------------------------------------------- */

static bool obj_subset(const rv *super, const rv *sub);

/* Every element of sub is in super (no recursion into elements). */
static bool set_subset(const rv *super, const rv *sub)
{
	for (size_t i = 0; i < sub->u.a.n; i++)
		if (!rv_set_has(super, sub->u.a.v[i]))
			return false;
	return true;
}

/* sub occurs as a contiguous run in super. */
static bool arr_subset(const rv *super, const rv *sub)
{
	size_t n = super->u.a.n, m = sub->u.a.n;
	if (m > n)
		return false;
	for (size_t s = 0; s + m <= n; s++) {
		size_t i = 0;
		while (i < m && rv_cmp(super->u.a.v[s + i], sub->u.a.v[i]) == 0)
			i++;
		if (i == m)
			return true;
	}
	return false;
}

/* OPA's arraySetSubset, including its quirks: it counts down the set's
 * size once per matching array element (duplicates count again), and an
 * empty array is never a superset, not even of the empty set. */
static bool arr_set_subset(const rv *super, const rv *sub)
{
	size_t unmatched = sub->u.a.n;
	for (size_t i = 0; i < super->u.a.n; i++) {
		if (rv_set_has(sub, super->u.a.v[i]))
			unmatched--;
		if (unmatched == 0)
			return true;
	}
	return false;
}

/* Values under a key: equal, or both objects/sets/arrays and subsets. */
static bool value_subset(const rv *super, const rv *sub)
{
	if (rv_eq(sub, super))
		return true;
	if (super->t != sub->t)
		return false;
	switch (super->t) {
	case RV_OBJ:
		return obj_subset(super, sub);
	case RV_SET:
		return set_subset(super, sub);
	case RV_ARR:
		return arr_subset(super, sub);
	default:
		return false;
	}
}

static bool obj_subset(const rv *super, const rv *sub)
{
	for (size_t i = 0; i < sub->u.o.n; i++) {
		const rv *sv = rv_obj_get(super, sub->u.o.k[i]);
		if (sv == NULL || !value_subset(sv, sub->u.o.v[i]))
			return false;
	}
	return true;
}

static int bi_subset(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *super = args[0], *sub = args[1];
	if (super->t == sub->t && (super->t == RV_OBJ || super->t == RV_SET || super->t == RV_ARR)) {
		*ret = rv_bool(super->t == RV_OBJ   ? obj_subset(super, sub)
		               : super->t == RV_SET ? set_subset(super, sub)
		                                    : arr_subset(super, sub));
		return 0;
	}
	if (super->t == RV_ARR && sub->t == RV_SET) {
		*ret = rv_bool(arr_set_subset(super, sub));
		return 0;
	}
	return rbi_type_errf(cx, "both arguments object.subset must be of the same type or array and set");
}

const struct rbi rbi_group_objects[] = {
    {.name = "object.get", .arity = 3, .fn = bi_get, .argt = {RT_OBJ, 0, 0}},
    {.name = "object.keys", .arity = 1, .fn = bi_keys, .argt = {RT_OBJ}, .rett = RT_SET},
    {.name = "object.remove", .arity = 2, .fn = bi_remove, .argt = {RT_OBJ, RT_ARR | RT_SET | RT_OBJ},
     .rett = RT_OBJ},
    {.name = "object.filter", .arity = 2, .fn = bi_filter, .argt = {RT_OBJ, RT_ARR | RT_SET | RT_OBJ},
     .rett = RT_OBJ},
    {.name = "object.union", .arity = 2, .fn = bi_union, .argt = {RT_OBJ, RT_OBJ}, .rett = RT_OBJ},
    {.name = "object.union_n", .arity = 1, .fn = bi_union_n, .argt = {RT_ARR}, .rett = RT_OBJ},
    {.name = "object.subset", .arity = 2, .fn = bi_subset,
     .argt = {RT_OBJ | RT_ARR | RT_SET, RT_OBJ | RT_ARR | RT_SET}, .rett = RT_BOOL},
    {.name = NULL},
};
