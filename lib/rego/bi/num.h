/* Number helpers shared by the arithmetic builtin groups (core, numbers,
 * bits, aggregates); implemented in bi/core.c, which is always linked.
 *
 * They mirror OPA's conversions (v1/topdown/builtins/builtins.go):
 *   - NumberToFloat: a number as a 64-bit-mantissa binary float, which is
 *     exactly x87 `long double` (rv_num_ld);
 *   - FloatToNumber: integral floats print as plain integers ('f' format,
 *     shortest digits), others as floats (rnum_from_ld);
 *   - NumberToInt: the exact integer value of an integral number
 *     (rnum_to_bn, rnum_to_i128);
 *   - IntToNumber: integer text (rnum_from_bn, rnum_from_i128).
 */
#ifndef COCOON_REGO_BI_NUM_H
#define COCOON_REGO_BI_NUM_H

#include <openssl/bn.h>

#include "../bi.h"

#include "cocoon/limits.h"

/* Caps on exact integers: docs/limits.md. */
#define RNUM_MAX_BITS CC_REGO_MAX_INT_BITS
#define RNUM_MAX_DIGITS CC_REGO_MAX_INT_DIGITS

/* OPA's negative zero ("-0"): a zero quotient or product on the float path. */
const rv *rnum_neg_zero(void);

/* FloatToNumber of a finite 64-bit-mantissa value: integral values become
 * integers (beyond int64: shortest digits padded with zeros, as Go's
 * Text('f', -1)), -0 stays "-0", others become floats. NULL on OOM; the
 * caller checks isfinite() first. */
const rv *rnum_from_ld(rarena *a, long double f);
/* The exact integer value of an integral long double (big.Float.SetInt
 * results: round/ceil/floor). NULL on OOM. */
const rv *rnum_from_ld_int(rarena *a, long double f);

/* NumberToInt: sets out to the exact integer value of x and returns 0;
 * returns 1 if x is not integral; -ENOMEM on allocation failure; -E2BIG if
 * x has more than RNUM_MAX_DIGITS digits. */
int rnum_to_bn(const rv *x, BIGNUM *out);
/* IntToNumber. NULL on OOM. */
const rv *rnum_from_bn(rarena *a, const BIGNUM *bn);
/* Converts bn into *ret, failing with a builtin error if it has more than
 * RNUM_MAX_BITS bits. Returns 0 or a negative code (error recorded). */
int rnum_ret_bn(rctx *cx, const BIGNUM *bn, const rv **ret);
/* Records the error for a failed rnum_to_bn() (-ENOMEM or -E2BIG). */
int rnum_bn_err(rctx *cx, int r);

/* NumberToInt into a 128-bit integer: true if x is integral and fits. */
bool rnum_to_i128(const rv *x, __int128 *out);
/* IntToNumber of a 128-bit integer. NULL on OOM. */
const rv *rnum_from_i128(rarena *a, __int128 v);

/* OPA's Number.Int(): true for numbers spelled as integers that fit int64
 * (so 1.0 and 1e3 are not). */
bool rnum_int_text(const rv *x, int64_t *out);
/* True for integers in OPA's small-int window [-2^31, 2^31 - 1]. */
bool rnum_small(const rv *x, int64_t *out);

/* eval_type_error "operand N must be <want> but got <type>" with want spelled
 * as OPA spells it (e.g. "one of {set, array}", "integer"). */
int rnum_type_err(rctx *cx, int argn, const char *want, const rv *got);
/* eval_type_error "operand N must be <coll> of <want>s but got <coll>
 * containing <type>" (builtins.NewOperandElementErr). */
int rnum_elem_err(rctx *cx, int argn, const rv *coll, const rv *got, const char *want);

/* builtins.IntOperand: args[i] must be a number spelled as an integer. */
int rnum_arg_int(rctx *cx, const rv *const *args, int i, int64_t *out);
/* builtins.BigIntOperand: args[i] must be an integral number; sets out. */
int rnum_arg_bn(rctx *cx, const rv *const *args, int i, BIGNUM *out);

/* Set algebra on the sorted element lists of two sets: union (keeping x's
 * element when both hold equal ones), intersection, difference x - y.
 * Results equal to an operand may be that operand. NULL on OOM. */
enum rset_op { RSET_UNION, RSET_INTER, RSET_DIFF };
const rv *rset_merge(rarena *a, const rv *x, const rv *y, enum rset_op op);

/* Array/set value sharing an existing arena-lived item array (no copy).
 * items must be immutable; for sets they must be sorted and unique.
 * NULL on OOM. */
const rv *rnum_share_arr(rarena *a, const rv *const *items, size_t n);
const rv *rnum_share_set(rarena *a, const rv *const *items, size_t n);

#endif
