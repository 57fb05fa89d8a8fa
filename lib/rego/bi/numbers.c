/* Number builtins: abs, round, ceil, floor (OPA v1/topdown/arithmetic.go),
 * numbers.range, numbers.range_step and rand.intn (v1/topdown/numbers.go). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <openssl/rand.h>

#include "../rctx.h"
#include "cocoon/limits.h"
#include "num.h"

static int ret_val(rctx *cx, const rv *v, const rv **ret)
{
	*ret = v;
	return v ? 0 : rbi_oom(cx);
}

/* ---- abs, round, ceil, floor ------------------------------------------ */

/* OPA arithUnary: integers in the int32 window go straight through small;
 * everything else is a 64-bit-mantissa float (so big integers round). */
static int unary(rctx *cx, const rv *const *args, const rv **ret, int64_t (*small)(int64_t),
                 const rv *(*fl)(rarena *, long double))
{
	int r = rbi_arg_num(cx, args, 0);
	if (r < 0)
		return r;
	int64_t i;
	if (rnum_small(args[0], &i))
		return ret_val(cx, rv_int(rctx_arena(cx), small(i)), ret);
	long double f = rv_num_ld(args[0]);
	if (!isfinite(f))
		return rbi_err(cx, "number out of range");
	return ret_val(cx, fl(rctx_arena(cx), f), ret);
}

static int64_t small_abs(int64_t x) { return x < 0 ? -x : x; }
static int64_t small_id(int64_t x) { return x; }

static const rv *fl_abs(rarena *a, long double f) { return rnum_from_ld(a, fabsl(f)); }

/* Half away from zero: x ± 0.5 (rounded to 64 bits), then truncated. */
static const rv *fl_round(rarena *a, long double f)
{
	long double g = signbit(f) ? f - 0.5L : f + 0.5L;
	return rnum_from_ld_int(a, truncl(g));
}

/* OPA's arithCeil: t = trunc(x); t if t < 0 or t == x, else t + 1. A
 * negative x above -1 truncates to +0 and so gives 1, as OPA does. */
static const rv *fl_ceil(rarena *a, long double f)
{
	long double t = truncl(f);
	if (t < 0 || t == f)
		return rnum_from_ld_int(a, t + 0.0L);
	return rnum_from_ld_int(a, t + 1);
}

/* OPA's arithFloor: t = trunc(x); t if t >= 0 (including x in (-1, 0))
 * or t == x, else t - 1. */
static const rv *fl_floor(rarena *a, long double f)
{
	long double t = truncl(f);
	if (t >= 0 || t == f)
		return rnum_from_ld_int(a, t + 0.0L);
	return rnum_from_ld_int(a, t - 1);
}

static int bi_abs(rctx *cx, const rv *const *args, const rv **ret)
{
	return unary(cx, args, ret, small_abs, fl_abs);
}

static int bi_round(rctx *cx, const rv *const *args, const rv **ret)
{
	return unary(cx, args, ret, small_id, fl_round);
}

static int bi_ceil(rctx *cx, const rv *const *args, const rv **ret)
{
	return unary(cx, args, ret, small_id, fl_ceil);
}

static int bi_floor(rctx *cx, const rv *const *args, const rv **ret)
{
	return unary(cx, args, ret, small_id, fl_floor);
}

/* ---- numbers.range, numbers.range_step ------------------------------ */

static int too_many(rctx *cx)
{
	return rbi_limit(cx, "result has more than %u elements", CC_REGO_MAX_BUILTIN_ELEMS);
}

/* Inclusive range from x towards y by step (> 0) on machine integers. */
static int range_i64(rctx *cx, int64_t x, int64_t y, int64_t step, const rv **ret)
{
	uint64_t span = x <= y ? (uint64_t)y - (uint64_t)x : (uint64_t)x - (uint64_t)y;
	if (span / (uint64_t)step >= CC_REGO_MAX_BUILTIN_ELEMS)
		return too_many(cx);
	uint64_t n = span / (uint64_t)step + 1;
	rarena *a = rctx_arena(cx);
	const rv **items = rarena_nalloc(a, (size_t)n, sizeof(*items));
	if (items == NULL)
		return rbi_oom(cx);
	/* Offsets fit uint64; adding them in unsigned arithmetic cannot leave
	 * [min(x,y), max(x,y)]. */
	for (uint64_t k = 0; k < n; k++) {
		uint64_t off = k * (uint64_t)step;
		int64_t v = (int64_t)(x <= y ? (uint64_t)x + off : (uint64_t)x - off);
		if ((items[k] = rv_int(a, v)) == NULL)
			return rbi_oom(cx);
	}
	return ret_val(cx, rnum_share_arr(a, items, (size_t)n), ret);
}

/* The same on big integers. */
static int range_bn(rctx *cx, BIGNUM *x, const BIGNUM *y, const BIGNUM *step, const rv **ret)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *span = BN_new(), *n = BN_new();
	int rc = 0;
	bool up = BN_cmp(x, y) <= 0;
	if (ctx == NULL || span == NULL || n == NULL || !BN_sub(span, up ? y : x, up ? x : y) ||
	    !BN_div(n, NULL, span, step, ctx)) {
		rc = rbi_oom(cx);
		goto out;
	}
	if (BN_num_bits(n) > 32 || BN_get_word(n) >= CC_REGO_MAX_BUILTIN_ELEMS) {
		rc = too_many(cx);
		goto out;
	}
	size_t count = (size_t)BN_get_word(n) + 1;
	rarena *a = rctx_arena(cx);
	const rv **items = rarena_nalloc(a, count, sizeof(*items));
	if (items == NULL) {
		rc = rbi_oom(cx);
		goto out;
	}
	for (size_t k = 0; k < count; k++) {
		if ((rc = rnum_ret_bn(cx, x, &items[k])) < 0)
			goto out;
		if (!(up ? BN_add(x, x, step) : BN_sub(x, x, step))) {
			rc = rbi_oom(cx);
			goto out;
		}
	}
	rc = ret_val(cx, rnum_share_arr(a, items, count), ret);
out:
	BN_CTX_free(ctx);
	BN_free(span);
	BN_free(n);
	return rc;
}

static bool bn_i64(const BIGNUM *b, int64_t *out)
{
	if (BN_num_bits(b) > 63)
		return false;
	int64_t v = (int64_t)BN_get_word(b);
	*out = BN_is_negative(b) ? -v : v;
	return true;
}

/* Operands as OPA's BigIntOperand checks them, in order; a non-positive
 * step fails after all three are checked. */
static int range(rctx *cx, const rv *const *args, bool has_step, const rv **ret)
{
	int64_t x, y, s = 1;
	if (rnum_int_text(args[0], &x) && rnum_int_text(args[1], &y) &&
	    (!has_step || rnum_int_text(args[2], &s))) {
		if (s <= 0)
			return rbi_err(cx, "numbers.range_step: step must be a positive integer");
		return range_i64(cx, x, y, s, ret);
	}
	BIGNUM *bx = BN_new(), *by = BN_new(), *bs = BN_new();
	int rc;
	if (bx == NULL || by == NULL || bs == NULL || !BN_one(bs)) {
		rc = rbi_oom(cx);
		goto out;
	}
	if ((rc = rnum_arg_bn(cx, args, 0, bx)) < 0 || (rc = rnum_arg_bn(cx, args, 1, by)) < 0 ||
	    (has_step && (rc = rnum_arg_bn(cx, args, 2, bs)) < 0))
		goto out;
	if (BN_is_negative(bs) || BN_is_zero(bs)) {
		rc = rbi_err(cx, "numbers.range_step: step must be a positive integer");
		goto out;
	}
	if (bn_i64(bx, &x) && bn_i64(by, &y) && bn_i64(bs, &s))
		rc = range_i64(cx, x, y, s, ret);
	else
		rc = range_bn(cx, bx, by, bs, ret);
out:
	BN_free(bx);
	BN_free(by);
	BN_free(bs);
	return rc;
}

static int bi_range(rctx *cx, const rv *const *args, const rv **ret)
{
	return range(cx, args, false, ret);
}

static int bi_range_step(rctx *cx, const rv *const *args, const rv **ret)
{
	return range(cx, args, true, ret);
}

/* ---- rand.intn ----------------------------------------------------------- */

/* Uniform in [0, n) from the OpenSSL DRBG (rejection sampling). */
static int rand_below(uint64_t n, uint64_t *out)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, v;
	do {
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			return -EIO;
	} while (v >= limit);
	*out = v % n;
	return 0;
}

/* A random integer in [0, |n|), the same for the same (str, |n|) within
 * one evaluation. */
static int bi_rand_intn(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t sn;
	int64_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &sn);
	if (r == 0)
		r = rnum_arg_int(cx, args, 1, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return ret_val(cx, rv_int(rctx_arena(cx), 0), ret);
	if (n == INT64_MIN)
		return rbi_err(cx, "invalid argument to Intn");
	static const rv name = {.t = RV_STR, .u.s = {"rand.intn", 9}};
	rarena *a = rctx_arena(cx);
	const rv *abs_n = rv_int(a, n < 0 ? -n : n);
	const rv *kv[3] = {&name, args[0], abs_n};
	const rv *key = abs_n ? rv_arr(a, kv, 3) : NULL;
	if (key == NULL)
		return rbi_oom(cx);
	const rv *hit = rctx_memo_get(cx, key);
	if (hit != NULL)
		return ret_val(cx, hit, ret);
	uint64_t v;
	if (rand_below((uint64_t)abs_n->u.i, &v) < 0)
		return rbi_err(cx, "random number generator failed");
	const rv *res = rv_int(a, (int64_t)v);
	if (res == NULL || rctx_memo_put(cx, key, res) < 0)
		return rbi_oom(cx);
	*ret = res;
	return 0;
}

const struct rbi rbi_group_numbers[] = {
    {.name = "abs", .arity = 1, .fn = bi_abs, .argt = {RT_NUM}, .rett = RT_NUM},
    {.name = "round", .arity = 1, .fn = bi_round, .argt = {RT_NUM}, .rett = RT_NUM},
    {.name = "ceil", .arity = 1, .fn = bi_ceil, .argt = {RT_NUM}, .rett = RT_NUM},
    {.name = "floor", .arity = 1, .fn = bi_floor, .argt = {RT_NUM}, .rett = RT_NUM},
    {.name = "numbers.range", .arity = 2, .fn = bi_range, .argt = {RT_NUM, RT_NUM},
     .rett = RT_ARR},
    {.name = "numbers.range_step", .arity = 3, .fn = bi_range_step,
     .argt = {RT_NUM, RT_NUM, RT_NUM}, .rett = RT_ARR},
    {.name = "rand.intn", .arity = 2, .fn = bi_rand_intn, .flags = RBI_NONDET,
     .argt = {RT_STR, RT_NUM}, .rett = RT_NUM},
    {.name = NULL},
};
