/* Bitwise builtins bits.and/or/xor/negate/lsh/rsh (OPA v1/topdown/bits.go):
 * Go big.Int semantics, i.e. two's complement on integers of any size.
 * 128-bit integers take a fast path (Kata's 64-bit flag masks live
 * there); larger ones go through OpenSSL BIGNUM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

enum bits_op { B_AND, B_OR, B_XOR };

static int ret_val(rctx *cx, const rv *v, const rv **ret)
{
	*ret = v;
	return v ? 0 : rbi_oom(cx);
}

/* builtins.BigIntOperand's checks, without the conversion. */
static int int_operand(rctx *cx, const rv *const *args, int i)
{
	if (args[i]->t != RV_NUM)
		return rnum_type_err(cx, i + 1, "integer", args[i]);
	if (!rv_num_is_integral(args[i]))
		return rbi_type_errf(cx, "operand %d must be integer number but got floating-point number",
		                     i + 1);
	return 0;
}

static int int_operands(rctx *cx, const rv *const *args, int n)
{
	int r = 0;
	for (int i = 0; r == 0 && i < n; i++)
		r = int_operand(cx, args, i);
	return r;
}

/* Loads an integral number into a BIGNUM (recording errors). */
static int load_bn(rctx *cx, const rv *x, BIGNUM **out)
{
	*out = BN_new();
	if (*out == NULL)
		return rbi_oom(cx);
	int r = rnum_to_bn(x, *out);
	return r < 0 ? rnum_bn_err(cx, r) : 0;
}

/* ---- two's complement on BIGNUMs ---------------------------------------- */

static void twos_negate(unsigned char *buf, size_t len)
{
	unsigned carry = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned v = (unsigned)(unsigned char)~buf[i] + carry;
		buf[i] = (unsigned char)v;
		carry = v >> 8;
	}
}

/* x as len-byte little-endian two's complement (len leaves a sign bit). */
static int bn_to_twos(const BIGNUM *x, unsigned char *buf, size_t len)
{
	if (BN_bn2lebinpad(x, buf, (int)len) < 0)
		return -ENOMEM;
	if (BN_is_negative(x))
		twos_negate(buf, len);
	return 0;
}

static int twos_to_bn(unsigned char *buf, size_t len, BIGNUM *out)
{
	bool neg = (buf[len - 1] & 0x80) != 0;
	if (neg)
		twos_negate(buf, len);
	if (BN_lebin2bn(buf, (int)len, out) == NULL)
		return -ENOMEM;
	BN_set_negative(out, neg);
	return 0;
}

static int bn_logic(rctx *cx, enum bits_op op, const BIGNUM *a, const BIGNUM *b, const rv **ret)
{
	size_t na = (size_t)BN_num_bytes(a), nb = (size_t)BN_num_bytes(b);
	size_t len = (na > nb ? na : nb) + 1;
	unsigned char *x = calloc(2, len);
	BIGNUM *r = BN_new();
	int rc;
	if (x == NULL || r == NULL || bn_to_twos(a, x, len) < 0 || bn_to_twos(b, x + len, len) < 0) {
		rc = rbi_oom(cx);
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char p = x[i], q = x[len + i];
		x[i] = op == B_AND ? p & q : op == B_OR ? p | q : p ^ q;
	}
	rc = twos_to_bn(x, len, r) < 0 ? rbi_oom(cx) : rnum_ret_bn(cx, r, ret);
out:
	free(x);
	BN_free(r);
	return rc;
}

/* ---- and, or, xor, negate ------------------------------------------------- */

static int logic(rctx *cx, const rv *const *args, enum bits_op op, const rv **ret)
{
	int r = int_operands(cx, args, 2);
	if (r < 0)
		return r;
	__int128 a, b;
	if (rnum_to_i128(args[0], &a) && rnum_to_i128(args[1], &b)) {
		__int128 v = op == B_AND ? a & b : op == B_OR ? a | b : a ^ b;
		return ret_val(cx, rnum_from_i128(rctx_arena(cx), v), ret);
	}
	BIGNUM *x = NULL, *y = NULL;
	if ((r = load_bn(cx, args[0], &x)) == 0 && (r = load_bn(cx, args[1], &y)) == 0)
		r = bn_logic(cx, op, x, y, ret);
	BN_free(x);
	BN_free(y);
	return r;
}

static int bi_and(rctx *cx, const rv *const *args, const rv **ret)
{
	return logic(cx, args, B_AND, ret);
}

static int bi_or(rctx *cx, const rv *const *args, const rv **ret)
{
	return logic(cx, args, B_OR, ret);
}

static int bi_xor(rctx *cx, const rv *const *args, const rv **ret)
{
	return logic(cx, args, B_XOR, ret);
}

/* ^x = -x - 1. */
static int bi_negate(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = int_operands(cx, args, 1);
	if (r < 0)
		return r;
	__int128 a;
	if (rnum_to_i128(args[0], &a))
		return ret_val(cx, rnum_from_i128(rctx_arena(cx), ~a), ret);
	BIGNUM *x = NULL;
	if ((r = load_bn(cx, args[0], &x)) == 0) {
		BN_set_negative(x, !BN_is_negative(x));
		r = BN_sub(x, x, BN_value_one()) ? rnum_ret_bn(cx, x, ret) : rbi_oom(cx);
	}
	BN_free(x);
	return r;
}

/* ---- shifts ---------------------------------------------------------------- */

/* The shift count: non-negative, and (as Go's b.Uint64()) its low 64 bits. */
static int shift_count(rctx *cx, const rv *y, uint64_t *s)
{
	__int128 b;
	if (rnum_to_i128(y, &b)) {
		if (b < 0)
			goto negative;
		*s = (uint64_t)b;
		return 0;
	}
	BIGNUM *bn = NULL;
	int r = load_bn(cx, y, &bn);
	if (r == 0 && BN_is_negative(bn)) {
		BN_free(bn);
		goto negative;
	}
	if (r == 0) {
		BN_mask_bits(bn, 64);
		*s = (uint64_t)BN_get_word(bn);
	}
	BN_free(bn);
	return r;
negative:
	return rbi_type_errf(cx, "operand 2 must be an unsigned integer number but got a negative integer");
}

static int bn_lsh(rctx *cx, const rv *x, uint64_t s, const rv **ret)
{
	BIGNUM *a = NULL;
	int r = load_bn(cx, x, &a);
	if (r == 0 && !BN_is_zero(a) &&
	    (s > RNUM_MAX_BITS || (uint64_t)BN_num_bits(a) + s > RNUM_MAX_BITS))
		r = rbi_limit(cx, "integer result too large (more than %u bits)", RNUM_MAX_BITS);
	else if (r == 0)
		r = BN_is_zero(a) || BN_lshift(a, a, (int)s) ? rnum_ret_bn(cx, a, ret) : rbi_oom(cx);
	BN_free(a);
	return r;
}

static int bi_lsh(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = int_operands(cx, args, 2);
	uint64_t s;
	if (r < 0 || (r = shift_count(cx, args[1], &s)) < 0)
		return r;
	__int128 a, v;
	if (rnum_to_i128(args[0], &a) && (a == 0 || (s <= 125 && !__builtin_mul_overflow(a, (__int128)1 << s, &v))))
		return ret_val(cx, rnum_from_i128(rctx_arena(cx), a == 0 ? 0 : v), ret);
	return bn_lsh(cx, args[0], s, ret);
}

/* Go's Rsh rounds towards negative infinity: for x < 0 it is
 * -((|x| - 1) >> s) - 1. */
static int bn_rsh(rctx *cx, const rv *x, uint64_t s, const rv **ret)
{
	BIGNUM *a = NULL;
	int r = load_bn(cx, x, &a);
	if (r < 0)
		goto out;
	bool neg = BN_is_negative(a);
	int ok = 1;
	if (s >= (uint64_t)BN_num_bits(a)) {
		ok = neg ? BN_set_word(a, 1) : (BN_zero(a), 1);
		BN_set_negative(a, neg);
	} else if (!neg) {
		ok = BN_rshift(a, a, (int)s);
	} else {
		BN_set_negative(a, 0);
		ok = BN_sub(a, a, BN_value_one()) && BN_rshift(a, a, (int)s) &&
		     BN_add(a, a, BN_value_one());
		BN_set_negative(a, 1);
	}
	r = ok ? rnum_ret_bn(cx, a, ret) : rbi_oom(cx);
out:
	BN_free(a);
	return r;
}

static int bi_rsh(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = int_operands(cx, args, 2);
	uint64_t s;
	if (r < 0 || (r = shift_count(cx, args[1], &s)) < 0)
		return r;
	__int128 a;
	if (rnum_to_i128(args[0], &a)) {
		__int128 v = s >= 127 ? (a < 0 ? -1 : 0) : a >= 0 ? a >> s : ~((~a) >> s);
		return ret_val(cx, rnum_from_i128(rctx_arena(cx), v), ret);
	}
	return bn_rsh(cx, args[0], s, ret);
}

const struct rbi rbi_group_bits[] = {
    {.name = "bits.and", .arity = 2, .fn = bi_and, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = "bits.or", .arity = 2, .fn = bi_or, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = "bits.xor", .arity = 2, .fn = bi_xor, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = "bits.negate", .arity = 1, .fn = bi_negate, .argt = {RT_NUM}, .rett = RT_NUM},
    {.name = "bits.lsh", .arity = 2, .fn = bi_lsh, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = "bits.rsh", .arity = 2, .fn = bi_rsh, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = NULL},
};
