/* Aggregate builtins count, sum, product, max, min, sort
 * (OPA v1/topdown/aggregates.go, current main: integer sums and products
 * are exact at any size). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../utf8.h"
#include "num.h"

static int ret_val(rctx *cx, const rv *v, const rv **ret)
{
	*ret = v;
	return v ? 0 : rbi_oom(cx);
}

/* ---- count ------------------------------------------------------------------ */

static int bi_count(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *x = args[0];
	size_t n;
	switch (x->t) {
	case RV_ARR:
	case RV_SET:
		n = x->u.a.n;
		break;
	case RV_OBJ:
		n = x->u.o.n;
		break;
	case RV_STR:
		n = rutf8_count(x->u.s.p, x->u.s.n); /* len([]rune(s)) */
		break;
	default:
		return rbi_type_err(cx, 1, RT_ARR | RT_OBJ | RT_SET | RT_STR, x);
	}
	return ret_val(cx, rv_int(rctx_arena(cx), (int64_t)n), ret);
}

/* ---- sum and product --------------------------------------------------------- */

static int coll_operand(rctx *cx, const rv *x)
{
	if (x->t == RV_ARR || x->t == RV_SET)
		return 0;
	return rnum_type_err(cx, 1, "one of {set, array}", x);
}

static bool all_integral(const rv *x)
{
	for (size_t i = 0; i < x->u.a.n; i++) {
		const rv *e = x->u.a.v[i];
		if (e->t != RV_NUM || !rv_num_is_integral(e))
			return false;
	}
	return true;
}

/* Exact sum or product of integral numbers (exactIntAccumulate). */
static int bn_fold(rctx *cx, const rv *x, bool mul, const rv **ret)
{
	BIGNUM *acc = BN_new(), *e = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	int rc = 0;
	if (acc == NULL || e == NULL || ctx == NULL || !(mul ? BN_one(acc) : (BN_zero(acc), 1))) {
		rc = rbi_oom(cx);
		goto out;
	}
	for (size_t i = 0; i < x->u.a.n; i++) {
		if ((rc = rnum_to_bn(x->u.a.v[i], e)) != 0) {
			rc = rnum_bn_err(cx, rc);
			goto out;
		}
		if (mul && (unsigned)BN_num_bits(acc) + (unsigned)BN_num_bits(e) > RNUM_MAX_BITS + 1) {
			rc = rbi_limit(cx, "integer result too large (more than %u bits)", RNUM_MAX_BITS);
			goto out;
		}
		if (!(mul ? BN_mul(acc, acc, e, ctx) : BN_add(acc, acc, e))) {
			rc = rbi_oom(cx);
			goto out;
		}
	}
	rc = rnum_ret_bn(cx, acc, ret);
out:
	BN_free(acc);
	BN_free(e);
	BN_CTX_free(ctx);
	return rc;
}

/* The first element that is not a number, as an element type error. */
static int non_number(rctx *cx, const rv *x)
{
	for (size_t i = 0; i < x->u.a.n; i++)
		if (x->u.a.v[i]->t != RV_NUM)
			return rnum_elem_err(cx, 1, x, x->u.a.v[i], "number");
	return 0;
}

static int bi_sum(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *x = args[0];
	int r = coll_operand(cx, x);
	if (r < 0)
		return r;
	int64_t acc = 0, v;
	size_t i;
	for (i = 0; i < x->u.a.n; i++)
		if (!rnum_int_text(x->u.a.v[i], &v) || __builtin_add_overflow(acc, v, &acc))
			break;
	if (i == x->u.a.n)
		return ret_val(cx, rv_int(rctx_arena(cx), acc), ret);
	if (all_integral(x))
		return bn_fold(cx, x, false, ret);
	if ((r = non_number(cx, x)) < 0)
		return r;
	/* A big.Float of the operands' 64-bit precision. */
	long double s = 0;
	for (i = 0; i < x->u.a.n; i++)
		s += rv_num_ld(x->u.a.v[i]);
	if (!isfinite(s))
		return rbi_err(cx, "number out of range");
	return ret_val(cx, rnum_from_ld(rctx_arena(cx), s), ret);
}

/* product's float path accumulates in big.NewFloat(1), whose precision is
 * 53 bits: every step rounds the exact product to 53 bits (ties to even),
 * with long double's exponent range. */
static long double mul53(long double p, long double x)
{
	bool neg = signbit(p) != signbit(x);
	if (p == 0 || x == 0)
		return neg ? -0.0L : 0.0L;
	int ep, ex;
	uint64_t mp = (uint64_t)ldexpl(frexpl(fabsl(p), &ep), 64);
	uint64_t mx = (uint64_t)ldexpl(frexpl(fabsl(x), &ex), 64);
	unsigned __int128 prod = (unsigned __int128)mp * mx; /* in [2^126, 2^128) */
	int nbits = 128 - __builtin_clzll((uint64_t)(prod >> 64));
	int shift = nbits - 53;
	unsigned __int128 q = prod >> shift;
	unsigned __int128 rem = prod & ((((unsigned __int128)1) << shift) - 1);
	unsigned __int128 half = ((unsigned __int128)1) << (shift - 1);
	if (rem > half || (rem == half && (q & 1)))
		q++;
	long double r = ldexpl((long double)(uint64_t)q, ep + ex - 128 + shift);
	return neg ? -r : r;
}

/* v rounded to 53 significant bits (ties to even). */
static long double round53(long double v)
{
	if (v == 0 || !isfinite(v))
		return v;
	int e;
	uint64_t m = (uint64_t)ldexpl(frexpl(fabsl(v), &e), 64);
	uint64_t q = m >> 11, rem = m & 0x7FF;
	if (rem > 0x400 || (rem == 0x400 && (q & 1)))
		q++;
	long double r = ldexpl((long double)q, e - 53);
	return signbit(v) ? -r : r;
}

/* Shortest digits that read back as the 53-bit value v (Text(fmt, -1) at
 * the float's own precision). Doubles parse exactly with strtod; values
 * outside double's range fall back to strtold plus rounding. */
static size_t shortest53(long double v, char digits[static 24], int *exp10)
{
	char buf[64];
	double d = (double)v;
	bool as_double = (long double)d == v && isnormal(d);
	for (int prec = 1; prec <= 17; prec++) {
		if (as_double) {
			snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
			if (strtod(buf, NULL) == d)
				break;
		} else {
			snprintf(buf, sizeof(buf), "%.*Le", prec - 1, v);
			if (round53(strtold(buf, NULL)) == v)
				break;
		}
	}
	size_t nd = 0;
	const char *p = buf + (buf[0] == '-');
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < 23)
			digits[nd++] = *p;
	*exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	return nd;
}

/* FloatToNumber of a 53-bit product: the text Go prints ('f' for integral
 * values, else 'g' with exponent when exp < -4 || exp >= 6), parsed back
 * as OPA keeps it. */
static const rv *num_from_53(rarena *a, long double v)
{
	if (v == 0)
		return signbit(v) ? rnum_neg_zero() : rv_int(a, 0);
	char digits[24], text[LDBL_MAX_10_EXP + 40];
	int e;
	size_t nd = shortest53(v, digits, &e), k = 0;
	if (v < 0)
		text[k++] = '-';
	bool integral = v == truncl(v);
	if (integral || (e >= -4 && e < 6)) {
		if (e < 0) {
			memcpy(text + k, "0.", 2);
			k += 2;
			for (int i = -1; i > e; i--)
				text[k++] = '0';
			memcpy(text + k, digits, nd);
			k += nd;
		} else {
			size_t intd = (size_t)e + 1;
			for (size_t i = 0; i < intd; i++)
				text[k++] = i < nd ? digits[i] : '0';
			if (nd > intd) {
				text[k++] = '.';
				memcpy(text + k, digits + intd, nd - intd);
				k += nd - intd;
			}
		}
	} else {
		text[k++] = digits[0];
		if (nd > 1) {
			text[k++] = '.';
			memcpy(text + k, digits + 1, nd - 1);
			k += nd - 1;
		}
		k += (size_t)snprintf(text + k, sizeof(text) - k, "e%c%02d", e < 0 ? '-' : '+', abs(e));
	}
	return rv_num_parse(a, text, k);
}

static int bi_product(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *x = args[0];
	int r = coll_operand(cx, x);
	if (r < 0)
		return r;
	if (all_integral(x))
		return bn_fold(cx, x, true, ret);
	if ((r = non_number(cx, x)) < 0)
		return r;
	long double p = 1;
	for (size_t i = 0; i < x->u.a.n; i++)
		p = mul53(p, rv_num_ld(x->u.a.v[i]));
	if (!isfinite(p))
		return rbi_err(cx, "number out of range");
	return ret_val(cx, num_from_53(rctx_arena(cx), p), ret);
}

/* ---- max, min, sort ------------------------------------------------------ */

/* Arrays: max keeps the last of equal maxima, min the last of equal minima
 * (OPA's <= and >= scans); sets are sorted. Empty is undefined. */
static int extreme(rctx *cx, const rv *const *args, bool want_max, const rv **ret)
{
	const rv *x = args[0];
	int r = coll_operand(cx, x);
	if (r < 0)
		return r;
	size_t n = x->u.a.n;
	*ret = NULL;
	if (n == 0)
		return 0;
	if (x->t == RV_SET) {
		*ret = x->u.a.v[want_max ? n - 1 : 0];
		return 0;
	}
	const rv *best = x->u.a.v[0];
	for (size_t i = 1; i < n; i++) {
		int c = rv_cmp(best, x->u.a.v[i]);
		if (want_max ? c <= 0 : c >= 0)
			best = x->u.a.v[i];
	}
	*ret = best;
	return 0;
}

static int bi_max(rctx *cx, const rv *const *args, const rv **ret)
{
	return extreme(cx, args, true, ret);
}

static int bi_min(rctx *cx, const rv *const *args, const rv **ret)
{
	return extreme(cx, args, false, ret);
}

struct sort_item {
	const rv *v;
	size_t idx;
};

static int cmp_item(const void *p, const void *q)
{
	const struct sort_item *a = p, *b = q;
	int c = rv_cmp(a->v, b->v);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static bool is_sorted(const rv *const *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (rv_cmp(v[i - 1], v[i]) > 0)
			return false;
	return true;
}

/* Sorted array of the elements (a stable sort for arrays; a set's elements
 * are already in order and are shared). */
static int bi_sort(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *x = args[0];
	int r = coll_operand(cx, x);
	if (r < 0)
		return r;
	rarena *a = rctx_arena(cx);
	size_t n = x->u.a.n;
	if (x->t == RV_SET || is_sorted(x->u.a.v, n))
		return ret_val(cx, x->t == RV_ARR ? x : rnum_share_arr(a, x->u.a.v, n), ret);
	struct sort_item *tmp = malloc(n * sizeof(*tmp));
	const rv **out = rarena_nalloc(a, n, sizeof(*out));
	if (tmp == NULL || out == NULL) {
		free(tmp);
		return rbi_oom(cx);
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = (struct sort_item){x->u.a.v[i], i};
	qsort(tmp, n, sizeof(*tmp), cmp_item);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[i].v;
	free(tmp);
	return ret_val(cx, rnum_share_arr(a, out, n), ret);
}

const struct rbi rbi_group_aggregates[] = {
    {.name = "count", .arity = 1, .fn = bi_count, .argt = {RT_ARR | RT_OBJ | RT_SET | RT_STR},
     .rett = RT_NUM},
    {.name = "sum", .arity = 1, .fn = bi_sum, .argt = {RT_ARR | RT_SET}, .rett = RT_NUM},
    {.name = "product", .arity = 1, .fn = bi_product, .argt = {RT_ARR | RT_SET}, .rett = RT_NUM},
    {.name = "max", .arity = 1, .fn = bi_max, .argt = {RT_ARR | RT_SET}},
    {.name = "min", .arity = 1, .fn = bi_min, .argt = {RT_ARR | RT_SET}},
    {.name = "sort", .arity = 1, .fn = bi_sort, .argt = {RT_ARR | RT_SET}, .rett = RT_ARR},
    {.name = NULL},
};
