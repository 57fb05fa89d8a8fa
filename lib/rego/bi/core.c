/* Core builtins, always linked: OPA's operators (arithmetic, comparison,
 * set operators, membership), to_number and template strings, plus the
 * number helpers declared in num.h.
 *
 * Semantics follow OPA v1/topdown: arithmetic.go (current main, where
 * integers are exact at any size), comparison.go, binary.go, aggregates.go
 * (internal.member_2/3), casts.go (to_number) and template_string.go. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../rctx.h"
#include "cocoon/limits.h"
#include "num.h"

/* ---- number conversions (num.h) ------------------------------------- */

static const rv neg_zero = {
    .t = RV_NUM, .nk = RN_FLT, .u.fl = {.f = -0.0L, .txt = "-0", .txtlen = 2}};

const rv *rnum_neg_zero(void) { return &neg_zero; }

/* Shortest decimal digits of a finite, non-zero f that read back as f
 * (Go's roundShortest at 64-bit precision): writes the digits (no sign, no
 * point, no trailing zeros) and the decimal exponent of the first digit. */
static size_t ld_shortest(long double f, char digits[static 24], int *exp10)
{
	char buf[64];
	for (int prec = 1; prec <= 21; prec++) {
		snprintf(buf, sizeof(buf), "%.*Le", prec - 1, f);
		if (strtold(buf, NULL) == f)
			break;
	}
	size_t nd = 0;
	const char *p = buf;
	if (*p == '-')
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < 23)
			digits[nd++] = *p;
	*exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	return nd;
}

static bool ld_fits_i64(long double f)
{
	return f >= -0x1p63L && f < 0x1p63L;
}

const rv *rnum_from_ld(rarena *a, long double f)
{
	if (f == 0)
		return signbit(f) ? &neg_zero : rv_int(a, 0);
	if (f != truncl(f))
		return rv_float(a, f);
	if (ld_fits_i64(f))
		return rv_int(a, (int64_t)f);
	/* Text('f', -1): the shortest digits, padded with zeros. */
	char digits[24];
	int e;
	size_t nd = ld_shortest(f, digits, &e);
	char text[LDBL_MAX_10_EXP + 8];
	size_t len = 0;
	if (f < 0)
		text[len++] = '-';
	if (e < 0 || (size_t)e + 1 < nd || (size_t)e + 1 > sizeof(text) - 2)
		return NULL; /* cannot happen for integral values */
	memcpy(text + len, digits, nd);
	len += nd;
	memset(text + len, '0', (size_t)e + 1 - nd);
	len += (size_t)e + 1 - nd;
	return rv_bigint(a, text, len);
}

/* Exact BIGNUM of an integral, finite long double. */
static int ld_to_bn(long double f, BIGNUM *bn)
{
	int e;
	long double m = frexpl(fabsl(f), &e); /* |f| = m * 2^e, 0.5 <= m < 1 */
	if (e <= 0)
		return BN_zero(bn), 0;
	uint64_t mant = (uint64_t)ldexpl(m, 64); /* all 64 mantissa bits */
	int ok;
	if (e >= 64)
		ok = BN_set_word(bn, mant) && BN_lshift(bn, bn, e - 64);
	else
		ok = BN_set_word(bn, mant >> (64 - e));
	if (!ok)
		return -ENOMEM;
	BN_set_negative(bn, f < 0);
	return 0;
}

const rv *rnum_from_ld_int(rarena *a, long double f)
{
	if (ld_fits_i64(f))
		return rv_int(a, (int64_t)f);
	BIGNUM *bn = BN_new();
	const rv *v = NULL;
	if (bn != NULL && ld_to_bn(f, bn) == 0)
		v = rnum_from_bn(a, bn);
	BN_free(bn);
	return v;
}

static int i64_to_bn(int64_t i, BIGNUM *bn)
{
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	if (!BN_set_word(bn, u))
		return -ENOMEM;
	BN_set_negative(bn, i < 0);
	return 0;
}

int rnum_to_bn(const rv *x, BIGNUM *out)
{
	switch (x->nk) {
	case RN_INT:
		return i64_to_bn(x->u.i, out);
	case RN_BIG:
		if (x->u.s.n > RNUM_MAX_DIGITS + 1)
			return -E2BIG;
		return BN_dec2bn(&out, x->u.s.p) > 0 ? 0 : -ENOMEM;
	default:
		if (x->u.fl.f != truncl(x->u.fl.f))
			return 1;
		return ld_to_bn(x->u.fl.f, out);
	}
}

const rv *rnum_from_bn(rarena *a, const BIGNUM *bn)
{
	if (BN_num_bits(bn) <= 63) {
		int64_t i = (int64_t)BN_get_word(bn);
		return rv_int(a, BN_is_negative(bn) ? -i : i);
	}
	char *s = BN_bn2dec(bn);
	if (s == NULL)
		return NULL;
	const rv *v = rv_bigint(a, s, strlen(s));
	OPENSSL_free(s);
	return v;
}

int rnum_bn_err(rctx *cx, int r)
{
	if (r == -E2BIG)
		return rbi_limit(cx, "integer too large (more than %u digits)", RNUM_MAX_DIGITS);
	return rbi_oom(cx);
}

int rnum_ret_bn(rctx *cx, const BIGNUM *bn, const rv **ret)
{
	if (BN_num_bits(bn) > (int)RNUM_MAX_BITS)
		return rbi_limit(cx, "integer result too large (more than %u bits)", RNUM_MAX_BITS);
	*ret = rnum_from_bn(rctx_arena(cx), bn);
	return *ret ? 0 : rbi_oom(cx);
}

static bool text_to_i128(const char *p, size_t n, __int128 *out)
{
	bool neg = n > 0 && p[0] == '-';
	__int128 acc = 0;
	for (size_t i = neg; i < n; i++) {
		int d = p[i] - '0';
		if (d < 0 || d > 9 || __builtin_mul_overflow(acc, 10, &acc) ||
		    __builtin_add_overflow(acc, neg ? -d : d, &acc))
			return false;
	}
	*out = acc;
	return true;
}

bool rnum_to_i128(const rv *x, __int128 *out)
{
	switch (x->nk) {
	case RN_INT:
		*out = x->u.i;
		return true;
	case RN_BIG:
		return text_to_i128(x->u.s.p, x->u.s.n, out);
	default: {
		long double f = x->u.fl.f;
		if (f != truncl(f) || f <= -0x1p126L || f >= 0x1p126L)
			return false;
		*out = (__int128)f;
		return true;
	}
	}
}

const rv *rnum_from_i128(rarena *a, __int128 v)
{
	if (v >= INT64_MIN && v <= INT64_MAX)
		return rv_int(a, (int64_t)v);
	char buf[48];
	size_t i = sizeof(buf);
	unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
	while (u != 0) {
		buf[--i] = (char)('0' + (int)(u % 10));
		u /= 10;
	}
	if (v < 0)
		buf[--i] = '-';
	return rv_bigint(a, buf + i, sizeof(buf) - i);
}

bool rnum_int_text(const rv *x, int64_t *out)
{
	if (x->t != RV_NUM || x->nk != RN_INT)
		return false;
	*out = x->u.i;
	return true;
}

bool rnum_small(const rv *x, int64_t *out)
{
	return rnum_int_text(x, out) && *out >= INT32_MIN && *out <= INT32_MAX;
}

/* ---- errors and operands (num.h) ------------------------------------ */

int rnum_type_err(rctx *cx, int argn, const char *want, const rv *got)
{
	return rbi_type_errf(cx, "operand %d must be %s but got %s", argn, want, rv_type_name(got));
}

int rnum_elem_err(rctx *cx, int argn, const rv *coll, const rv *got, const char *want)
{
	const char *t = rv_type_name(coll);
	return rbi_type_errf(cx, "operand %d must be %s of %ss but got %s containing %s", argn, t,
	                     want, t, rv_type_name(got));
}

int rnum_arg_int(rctx *cx, const rv *const *args, int i, int64_t *out)
{
	if (args[i]->t != RV_NUM)
		return rbi_type_err(cx, i + 1, RT_NUM, args[i]);
	if (!rnum_int_text(args[i], out))
		return rbi_type_errf(cx, "operand %d must be integer number but got floating-point number",
		                     i + 1);
	return 0;
}

int rnum_arg_bn(rctx *cx, const rv *const *args, int i, BIGNUM *out)
{
	if (args[i]->t != RV_NUM)
		return rnum_type_err(cx, i + 1, "integer", args[i]);
	int r = rnum_to_bn(args[i], out);
	if (r == 1)
		return rbi_type_errf(cx, "operand %d must be integer number but got floating-point number",
		                     i + 1);
	return r < 0 ? rnum_bn_err(cx, r) : 0;
}

const rv *rnum_share_arr(rarena *a, const rv *const *items, size_t n)
{
	return rv_arr_share(a, items, n);
}

const rv *rnum_share_set(rarena *a, const rv *const *items, size_t n)
{
	return rv_set_share(a, items, n);
}

/* ---- set algebra (num.h) --------------------------------------------- */

/* Merges the sorted element lists of sets x and y. UNION keeps x's element
 * when both hold equal ones; results that equal an operand reuse it. */
const rv *rset_merge(rarena *ar, const rv *x, const rv *y, enum rset_op op)
{
	const rv *const *a = x->u.a.v, *const *b = y->u.a.v;
	size_t n = x->u.a.n, m = y->u.a.n, cap = n, i = 0, j = 0, k = 0;
	if (op == RSET_UNION) {
		if (m == 0)
			return x;
		if (n == 0)
			return y;
		if (__builtin_add_overflow(n, m, &cap))
			return NULL;
	}
	if (cap == 0)
		return rv_empty_set();
	const rv **out = rarena_nalloc(ar, cap, sizeof(*out));
	if (out == NULL)
		return NULL;
	while (i < n && j < m) {
		int c = rv_cmp(a[i], b[j]);
		if (c < 0) {
			if (op != RSET_INTER)
				out[k++] = a[i];
			i++;
		} else if (c > 0) {
			if (op == RSET_UNION)
				out[k++] = b[j];
			j++;
		} else {
			if (op != RSET_DIFF)
				out[k++] = a[i];
			i++, j++;
		}
	}
	for (; op != RSET_INTER && i < n; i++)
		out[k++] = a[i];
	for (; op == RSET_UNION && j < m; j++)
		out[k++] = b[j];
	if (k == n && op != RSET_UNION)
		return x; /* nothing removed */
	return rnum_share_set(ar, out, k);
}

/* ---- arithmetic -------------------------------------------------------- */

enum arith_op { OP_ADD, OP_SUB, OP_MUL };

static int ret_val(rctx *cx, const rv *v, const rv **ret)
{
	*ret = v;
	return v ? 0 : rbi_oom(cx);
}

static int ret_int(rctx *cx, int64_t i, const rv **ret)
{
	return ret_val(cx, rv_int(rctx_arena(cx), i), ret);
}

/* FloatToNumber of a float-path result. big.Float has no overflow; a long
 * double result beyond ~1.2e4932 is reported instead. */
static int ret_ld(rctx *cx, long double f, const rv **ret)
{
	if (!isfinite(f))
		return rbi_err(cx, "number out of range");
	return ret_val(cx, rnum_from_ld(rctx_arena(cx), f), ret);
}

static int num_operands(rctx *cx, const rv *const *args)
{
	int r = rbi_arg_num(cx, args, 0);
	return r < 0 ? r : rbi_arg_num(cx, args, 1);
}

static bool i64_op(enum arith_op op, int64_t a, int64_t b, int64_t *r)
{
	switch (op) {
	case OP_ADD:
		return !__builtin_add_overflow(a, b, r);
	case OP_SUB:
		return !__builtin_sub_overflow(a, b, r);
	default:
		return !__builtin_mul_overflow(a, b, r);
	}
}

/* Exact integer arithmetic on BIGNUMs (x and y integral). */
static int bn_arith(rctx *cx, enum arith_op op, const rv *x, const rv *y, const rv **ret)
{
	BIGNUM *a = BN_new(), *b = BN_new(), *r = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	int rc;
	if (a == NULL || b == NULL || r == NULL || ctx == NULL) {
		rc = rbi_oom(cx);
		goto out;
	}
	if ((rc = rnum_to_bn(x, a)) != 0 || (rc = rnum_to_bn(y, b)) != 0) {
		rc = rnum_bn_err(cx, rc);
		goto out;
	}
	if (op == OP_MUL && (unsigned)BN_num_bits(a) + (unsigned)BN_num_bits(b) > RNUM_MAX_BITS + 1) {
		rc = rbi_limit(cx, "integer result too large (more than %u bits)", RNUM_MAX_BITS);
		goto out;
	}
	int ok = op == OP_ADD ? BN_add(r, a, b) : op == OP_SUB ? BN_sub(r, a, b) : BN_mul(r, a, b, ctx);
	rc = ok ? rnum_ret_bn(cx, r, ret) : rbi_oom(cx);
out:
	BN_free(a);
	BN_free(b);
	BN_free(r);
	BN_CTX_free(ctx);
	return rc;
}

static int float_arith(rctx *cx, enum arith_op op, const rv *x, const rv *y, const rv **ret)
{
	long double a = rv_num_ld(x), b = rv_num_ld(y);
	switch (op) {
	case OP_ADD:
		return ret_ld(cx, a + b, ret);
	case OP_SUB:
		return ret_ld(cx, a - b, ret);
	default:
		return ret_ld(cx, a * b, ret);
	}
}

/* OPA arithOp.eval: machine integers, then exact big integers, then
 * 64-bit-mantissa floats. */
static int arith(rctx *cx, enum arith_op op, const rv *x, const rv *y, const rv **ret)
{
	int64_t r;
	if (x->nk == RN_INT && y->nk == RN_INT && i64_op(op, x->u.i, y->u.i, &r))
		return ret_int(cx, r, ret);
	if (rv_num_is_integral(x) && rv_num_is_integral(y))
		return bn_arith(cx, op, x, y, ret);
	return float_arith(cx, op, x, y, ret);
}

static int bi_plus(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = num_operands(cx, args);
	return r < 0 ? r : arith(cx, OP_ADD, args[0], args[1], ret);
}

static int bi_mul(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = num_operands(cx, args);
	return r < 0 ? r : arith(cx, OP_MUL, args[0], args[1], ret);
}

/* Numbers subtract; sets give the difference. The type errors follow
 * builtinMinus exactly, including its choice of operand 2's wanted type. */
static int bi_minus(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *x = args[0], *y = args[1];
	if (x->t == RV_NUM && y->t == RV_NUM)
		return arith(cx, OP_SUB, x, y, ret);
	if (x->t == RV_SET && y->t == RV_SET)
		return ret_val(cx, rset_merge(rctx_arena(cx), x, y, RSET_DIFF), ret);
	if (x->t != RV_NUM && x->t != RV_SET)
		return rnum_type_err(cx, 1, "one of {number, set}", x);
	if (y->t == RV_NUM)
		return rbi_type_err(cx, 2, RT_SET, y);
	return rbi_type_err(cx, 2, RT_NUM, y);
}

/* Division is an integer only when it is exact with a non-zero dividend
 * (0 / -1 is the float -0); otherwise a 64-bit-mantissa float quotient. */
static int bi_div(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = num_operands(cx, args);
	if (r < 0)
		return r;
	const rv *x = args[0], *y = args[1];
	if (x->nk == RN_INT && y->nk == RN_INT) {
		int64_t a = x->u.i, b = y->u.i;
		if (b == 0)
			return rbi_err(cx, "divide by zero");
		if (a != 0 && !(a == INT64_MIN && b == -1) && a % b == 0)
			return ret_int(cx, a / b, ret);
	}
	long double d = rv_num_ld(y);
	if (d == 0)
		return rbi_err(cx, "divide by zero");
	return ret_ld(cx, rv_num_ld(x) / d, ret);
}

static int bn_rem(rctx *cx, const rv *x, const rv *y, const rv **ret)
{
	BIGNUM *a = BN_new(), *b = BN_new(), *r = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	int rc;
	if (a == NULL || b == NULL || r == NULL || ctx == NULL) {
		rc = rbi_oom(cx);
		goto out;
	}
	if ((rc = rnum_to_bn(x, a)) != 0 || (rc = rnum_to_bn(y, b)) != 0) {
		rc = rnum_bn_err(cx, rc);
		goto out;
	}
	if (BN_is_zero(b)) {
		rc = rbi_err(cx, "modulo by zero");
		goto out;
	}
	/* BN_div truncates: the remainder takes the dividend's sign, as Go's Rem. */
	rc = BN_div(NULL, r, a, b, ctx) ? rnum_ret_bn(cx, r, ret) : rbi_oom(cx);
out:
	BN_free(a);
	BN_free(b);
	BN_free(r);
	BN_CTX_free(ctx);
	return rc;
}

static int bi_rem(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = num_operands(cx, args);
	if (r < 0)
		return r;
	const rv *x = args[0], *y = args[1];
	if (x->nk == RN_INT && y->nk == RN_INT) {
		int64_t a = x->u.i, b = y->u.i;
		if (b == 0)
			return rbi_err(cx, "modulo by zero");
		return ret_int(cx, b == -1 ? 0 : a % b, ret);
	}
	if (!rv_num_is_integral(x) || !rv_num_is_integral(y))
		return rbi_err(cx, "modulo on floating-point number");
	return bn_rem(cx, x, y, ret);
}

/* ---- comparison -------------------------------------------------------- */

static int bi_equal(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	*ret = rv_bool(rv_eq(args[0], args[1]));
	return 0;
}

static int bi_neq(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	*ret = rv_bool(!rv_eq(args[0], args[1]));
	return 0;
}

static int bi_lt(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	*ret = rv_bool(rv_cmp(args[0], args[1]) < 0);
	return 0;
}

static int bi_lte(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	*ret = rv_bool(rv_cmp(args[0], args[1]) <= 0);
	return 0;
}

static int bi_gt(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	*ret = rv_bool(rv_cmp(args[0], args[1]) > 0);
	return 0;
}

static int bi_gte(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	*ret = rv_bool(rv_cmp(args[0], args[1]) >= 0);
	return 0;
}

/* ---- set operators & and | ----------------------------------------- */

static int set_operands(rctx *cx, const rv *const *args)
{
	int r = rbi_arg_type(cx, args, 0, RT_SET);
	return r < 0 ? r : rbi_arg_type(cx, args, 1, RT_SET);
}

static int bi_and(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = set_operands(cx, args);
	if (r < 0)
		return r;
	return ret_val(cx, rset_merge(rctx_arena(cx), args[0], args[1], RSET_INTER), ret);
}

static int bi_or(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = set_operands(cx, args);
	if (r < 0)
		return r;
	return ret_val(cx, rset_merge(rctx_arena(cx), args[0], args[1], RSET_UNION), ret);
}

/* ---- membership (x in coll, k, v in coll) --------------------------- */

static bool list_has(const rv *const *v, size_t n, const rv *x)
{
	for (size_t i = 0; i < n; i++)
		if (rv_eq(v[i], x))
			return true;
	return false;
}

static int bi_member2(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	const rv *x = args[0], *c = args[1];
	bool in = false;
	if (c->t == RV_SET)
		in = rv_set_has(c, x);
	else if (c->t == RV_ARR)
		in = list_has(c->u.a.v, c->u.a.n, x);
	else if (c->t == RV_OBJ)
		in = list_has(c->u.o.v, c->u.o.n, x);
	*ret = rv_bool(in);
	return 0;
}

/* Arrays match index and element, objects key and value, sets an element
 * equal to both k and v; anything else is false. */
static int bi_member3(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	const rv *k = args[0], *v = args[1], *c = args[2];
	bool in = false;
	if (c->t == RV_SET) {
		in = rv_set_has(c, k) && rv_eq(k, v);
	} else if (c->t == RV_ARR || c->t == RV_OBJ) {
		const rv *got = rv_get(c, k);
		in = got != NULL && rv_eq(got, v);
	}
	*ret = rv_bool(in);
	return 0;
}

/* ---- to_number --------------------------------------------------------- */

/* strings.ToLower(strings.TrimLeft(s, "+-")) is "inf", "infinity" or "nan".
 * Only ASCII letters and U+0130 (which Go lowers to 'i') can lower to
 * those letters. */
static bool is_inf_nan(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && (p[i] == '+' || p[i] == '-'))
		i++;
	char low[9];
	size_t k = 0;
	for (; i < n && k < sizeof(low) - 1; k++) {
		unsigned char c = (unsigned char)p[i];
		if (c == 0xC4 && i + 1 < n && (unsigned char)p[i + 1] == 0xB0) {
			low[k] = 'i';
			i += 2;
			continue;
		}
		low[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		i++;
	}
	if (i < n)
		return false;
	low[k] = '\0';
	return strcmp(low, "inf") == 0 || strcmp(low, "infinity") == 0 || strcmp(low, "nan") == 0;
}

/* Go's strconv underscoreOK: each '_' sits between digits (or after a
 * base prefix). */
static bool underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	if (n >= 1 && (s[0] == '-' || s[0] == '+'))
		i = 1;
	bool hex = false;
	if (n - i >= 2 && s[i] == '0' && strchr("bBoOxX", s[i + 1]) != NULL && s[i + 1] != '\0') {
		hex = s[i + 1] == 'x' || s[i + 1] == 'X';
		i += 2;
		saw = '0';
	}
	for (; i < n; i++) {
		char c = s[i];
		bool digit = (c >= '0' && c <= '9') ||
		             (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
		if (digit) {
			saw = '0';
		} else if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
		} else {
			if (saw == '_')
				return false;
			saw = '!';
		}
	}
	return saw != '_';
}

static bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Go's strconv.readFloat syntax over all of s (no specials): decimal or
 * 0x-hex mantissa with '.', exponent (e, or p which hex requires), '_'
 * separators. Sets *hex. */
static bool go_float_syntax(const char *s, size_t n, bool *hex)
{
	size_t i = 0;
	bool under = false, dot = false, digits = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	*hex = i + 2 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
	if (*hex)
		i += 2;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '_') {
			under = true;
		} else if (c == '.' && !dot) {
			dot = true;
		} else if ((c >= '0' && c <= '9') || (*hex && is_hex_digit(c))) {
			digits = true;
		} else {
			break;
		}
	}
	if (!digits)
		return false;
	char expc = *hex ? 'p' : 'e';
	if (i < n && (s[i] | 0x20) == expc) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
			under |= s[i] == '_';
	} else if (*hex) {
		return false;
	}
	if (under && !underscore_ok(s, i))
		return false;
	return i == n;
}

/* The error strconv.ParseFloat returns, as text:
 * strconv.ParseFloat: parsing "<Go-quoted s>": <why>. */
static int parse_float_err(rctx *cx, const rv *s, const char *why)
{
	cc_buf q;
	cc_buf_init(&q, CC_REGO_MAX_BUILTIN_ELEMS);
	int r = rv_to_rego(s, &q);
	if (r < 0) {
		cc_buf_free(&q);
		return r == -ENOMEM ? rbi_oom(cx) : rbi_err(cx, "strconv.ParseFloat: %s", why);
	}
	r = rbi_err(cx, "strconv.ParseFloat: parsing %s: %s", q.p, why);
	cc_buf_free(&q);
	return r;
}

/* ParseFloat(s, 64) fails with ErrRange when s overflows a float64. */
static bool overflows_f64(const char *clean)
{
	double d = strtod(clean, NULL);
	return isinf(d);
}

/* Rewrites a decimal Go float (no underscores) as JSON number text, so the
 * value keeps its digits: drops '+' and leading zeros, adds the zero JSON
 * wants before a bare '.', and keeps "5." a float ("5.0"). */
static size_t go_dec_to_json(const char *s, size_t n, char *out)
{
	size_t i = 0, k = 0;
	if (s[i] == '+' || s[i] == '-') {
		if (s[i] == '-')
			out[k++] = '-';
		i++;
	}
	while (i + 1 < n && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9')
		i++;
	if (i < n && s[i] == '.')
		out[k++] = '0';
	for (; i < n; i++) {
		out[k++] = s[i];
		if (s[i] == '.' && (i + 1 == n || s[i + 1] == 'e' || s[i + 1] == 'E'))
			out[k++] = '0';
	}
	return k;
}

/* A string that is not a JSON number but that Go's ParseFloat accepts. */
static int go_float_value(rctx *cx, const rv *str, bool hex, const rv **ret)
{
	const char *s = str->u.s.p;
	size_t n = str->u.s.n;
	char *clean = malloc(2 * n + 2);
	if (clean == NULL)
		return rbi_oom(cx);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			clean[m++] = s[i];
	clean[m] = '\0';
	int r;
	if (overflows_f64(clean)) {
		r = parse_float_err(cx, str, "value out of range");
	} else if (hex) {
		r = ret_ld(cx, strtold(clean, NULL), ret);
	} else {
		char *json = clean + m + 1;
		size_t jn = go_dec_to_json(clean, m, json);
		r = ret_val(cx, rv_num_parse(rctx_arena(cx), json, jn), ret);
	}
	free(clean);
	return r;
}

static int str_to_number(rctx *cx, const rv *str, const rv **ret)
{
	const char *s = str->u.s.p;
	size_t n = str->u.s.n;
	if (is_inf_nan(s, n))
		return rnum_type_err(cx, 1, "valid number string", str);
	if (memchr(s, '\0', n) != NULL)
		return parse_float_err(cx, str, "invalid syntax");
	const rv *v = rv_num_parse(rctx_arena(cx), s, n);
	if (v != NULL) {
		if (v->nk != RN_INT && overflows_f64(s))
			return parse_float_err(cx, str, "value out of range");
		/* OPA keeps the text: "-0" stays -0. */
		*ret = v->nk == RN_INT && v->u.i == 0 && s[0] == '-' ? rnum_neg_zero() : v;
		return 0;
	}
	bool hex;
	if (!go_float_syntax(s, n, &hex))
		return parse_float_err(cx, str, "invalid syntax");
	return go_float_value(cx, str, hex, ret);
}

/* null and booleans become 0/1, numbers stay as they are, strings parse as
 * Go floats and keep their spelling when it is JSON's. */
static int bi_to_number(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *x = args[0];
	switch (x->t) {
	case RV_NULL:
		return ret_int(cx, 0, ret);
	case RV_BOOL:
		return ret_int(cx, x->u.b, ret);
	case RV_NUM:
		*ret = x;
		return 0;
	case RV_STR:
		return str_to_number(cx, x, ret);
	default:
		return rnum_type_err(cx, 1, "one of {null, boolean, number, string}", x);
	}
}

/* ---- template strings ($"...") ------------------------------------------ */

/* Records an error that OPA raises as a Halt (never suppressed), without
 * the builtin-name prefix. */
static int halt_err(rctx *cx, const char *kind, const char *msg)
{
	cc_error_free(cx->err);
	cx->err = NULL;
	cc_error_set_at(&cx->err, -EINVAL, kind, NULL, 0, 0, "%s", msg);
	return -EINVAL;
}

/* One part: strings bare, other scalars as their text, a set (the
 * compiler wraps each {expr} in a set comprehension) as its only element,
 * or "<undefined>" when empty. Sets *multi for sets with several values. */
static int template_part(rctx *cx, const rv *x, cc_buf *out, bool *multi)
{
	if (x->t == RV_SET) {
		if (x->u.a.n == 0)
			return cc_buf_adds(out, "<undefined>");
		if (x->u.a.n > 1)
			*multi = true;
		x = x->u.a.v[0];
		if (x->t != RV_STR)
			return rv_to_rego(x, out);
	}
	switch (x->t) {
	case RV_STR:
		return cc_buf_add(out, x->u.s.p, x->u.s.n);
	case RV_NULL:
	case RV_BOOL:
	case RV_NUM:
		return rv_to_rego(x, out);
	default: {
		char msg[64];
		snprintf(msg, sizeof(msg), "illegal argument type: %s", rv_type_name(x));
		return halt_err(cx, "eval_internal_error", msg);
	}
	}
}

static int bi_template_string(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_ARR);
	if (r < 0)
		return r;
	const rv *arr = args[0];
	cc_buf out;
	cc_buf_init(&out, CC_REGO_MAX_BUILTIN_ELEMS);
	bool multi = false;
	for (size_t i = 0; r == 0 && i < arr->u.a.n; i++)
		r = template_part(cx, arr->u.a.v[i], &out, &multi);
	if (r == 0 && multi)
		r = halt_err(cx, "eval_conflict_error", "template-strings must not produce multiple outputs");
	else if (r == -ENOMEM)
		r = rbi_oom(cx);
	else if (r == -E2BIG)
		r = rbi_limit(cx, "result longer than %u bytes", CC_REGO_MAX_BUILTIN_ELEMS);
	else if (r == 0)
		r = ret_val(cx, rv_str(rctx_arena(cx), out.p ? out.p : "", out.len), ret);
	cc_buf_free(&out);
	return r;
}

/* ---- table ------------------------------------------------------------- */

const struct rbi rbi_group_core[] = {
    {.name = "plus", .arity = 2, .fn = bi_plus, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = "minus", .arity = 2, .fn = bi_minus, .argt = {RT_NUM | RT_SET, RT_NUM | RT_SET},
     .rett = RT_NUM | RT_SET},
    {.name = "mul", .arity = 2, .fn = bi_mul, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = "div", .arity = 2, .fn = bi_div, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = "rem", .arity = 2, .fn = bi_rem, .argt = {RT_NUM, RT_NUM}, .rett = RT_NUM},
    {.name = "equal", .arity = 2, .fn = bi_equal, .rett = RT_BOOL},
    {.name = "neq", .arity = 2, .fn = bi_neq, .rett = RT_BOOL},
    {.name = "lt", .arity = 2, .fn = bi_lt, .rett = RT_BOOL},
    {.name = "lte", .arity = 2, .fn = bi_lte, .rett = RT_BOOL},
    {.name = "gt", .arity = 2, .fn = bi_gt, .rett = RT_BOOL},
    {.name = "gte", .arity = 2, .fn = bi_gte, .rett = RT_BOOL},
    {.name = "and", .arity = 2, .fn = bi_and, .argt = {RT_SET, RT_SET}, .rett = RT_SET},
    {.name = "or", .arity = 2, .fn = bi_or, .argt = {RT_SET, RT_SET}, .rett = RT_SET},
    {.name = "internal.member_2", .arity = 2, .fn = bi_member2, .rett = RT_BOOL},
    {.name = "internal.member_3", .arity = 3, .fn = bi_member3, .rett = RT_BOOL},
    {.name = "to_number", .arity = 1, .fn = bi_to_number,
     .argt = {RT_NULL | RT_BOOL | RT_NUM | RT_STR}, .rett = RT_NUM},
    {.name = "internal.template_string", .arity = 1, .fn = bi_template_string,
     .argt = {RT_ARR}, .rett = RT_STR},
    {.name = NULL},
};
