/* Unit builtins (OPA v1/topdown/parse_units.go, parse_bytes.go):
 * units.parse and units.parse_bytes.
 *
 * units.parse computes exactly, as OPA's big.Rat does: an integral result
 * prints as an integer, any other as big.Rat.FloatString(10) (ten decimals,
 * halves rounded away from zero), e.g. "1.1Ki" -> 1126.4000000000.
 * units.parse_bytes follows OPA's big.Float path: the amount is rounded to
 * a 64-bit mantissa (x87 long double here), multiplied with one more
 * rounding, and truncated to an integer.
 *
 * OPA's own errors already carry the builtin name and are prefixed once
 * more when reported ("units.parse: units.parse: no amount provided").
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rctx.h"
#include "cocoon/limits.h"

#define MAX_EXP_DIGITS 6 /* OPA maxExponentDigits */

/* Removes '"' (and lower-cases ASCII when lower is set) into the arena. */
static char *clean(rctx *cx, const char *s, size_t n, bool lower, size_t *outn)
{
	char *o = rarena_alloc(rctx_arena(cx), n + 1);
	if (o == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"')
			continue;
		if (lower && c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		o[k++] = c;
	}
	o[k] = '\0';
	*outn = k;
	return o;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* OPA extractNumAndUnit: the length of the leading amount; -1 when the
 * exponent has more than MAX_EXP_DIGITS digits. */
static long split_amount(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!is_digit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
			return (long)i;
		if (c == 'e' || c == 'E') {
			if (i == n - 1 || (!is_digit(s[i + 1]) && s[i + 1] != '+' && s[i + 1] != '-'))
				return (long)i;
			if (s[i + 1] == '+' || s[i + 1] == '-')
				i++;
			size_t e = i + 1;
			while (e < n && is_digit(s[e]))
				e++;
			if (e - (i + 1) > MAX_EXP_DIGITS)
				return -1;
		}
	}
	return (long)n;
}

/* A decimal amount as big.Rat/big.Float SetString accept it here:
 * [+-] (digits [. digits] | . digits) [(e|E) [+-] digits]. */
struct amount {
	bool neg;
	const char *mant; /* mantissa digits without the point */
	size_t mn;
	long frac;        /* digits after the point */
	long exp;
};

static bool parse_amount(rctx *cx, const char *s, size_t n, struct amount *a)
{
	size_t i = 0;
	a->neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		a->neg = s[i++] == '-';
	char *m = rarena_alloc(rctx_arena(cx), n + 1);
	if (m == NULL)
		return false;
	size_t mn = 0;
	long frac = 0;
	bool point = false;
	for (; i < n && (is_digit(s[i]) || (s[i] == '.' && !point)); i++) {
		if (s[i] == '.') {
			point = true;
			continue;
		}
		m[mn++] = s[i];
		if (point)
			frac++;
	}
	if (mn == 0)
		return false;
	long exp = 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		size_t start = i;
		for (; i < n && is_digit(s[i]); i++)
			if (exp < 100000000)
				exp = exp * 10 + (s[i] - '0');
		if (i == start)
			return false;
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return false;
	a->mant = m;
	a->mn = mn;
	a->frac = frac;
	a->exp = exp;
	return true;
}

/* ---- units.parse ------------------------------------------------------ */

/* d[0..*n) (decimal digits) *= m, in place; d has room for 20 more. */
static void mul_digits(char *d, size_t *n, uint64_t m)
{
	unsigned __int128 carry = 0;
	for (size_t i = *n; i-- > 0;) {
		unsigned __int128 v = (unsigned __int128)(d[i] - '0') * m + carry;
		d[i] = (char)('0' + (int)(v % 10));
		carry = v / 10;
	}
	char tmp[48];
	size_t k = 0;
	while (carry) {
		tmp[k++] = (char)('0' + (int)(carry % 10));
		carry /= 10;
	}
	if (k) {
		memmove(d + k, d, *n);
		for (size_t i = 0; i < k; i++)
			d[i] = tmp[k - 1 - i];
		*n += k;
	}
}

static int units_err(rctx *cx, const char *msg) { return rbi_err(cx, "units.parse: %s", msg); }

/* Multiplier of a units.parse unit (first letter kept, rest lower-cased):
 * 0 when unknown; *milli for "m". */
static uint64_t unit_mult(const char *u, size_t n, bool *milli)
{
	static const struct {
		const char *a, *b;
		uint64_t m;
	} tab[] = {
	    {"", NULL, 1},
	    {"k", "K", 1000ull},
	    {"ki", "Ki", 1ull << 10},
	    {"M", NULL, 1000000ull},
	    {"mi", "Mi", 1ull << 20},
	    {"g", "G", 1000000000ull},
	    {"gi", "Gi", 1ull << 30},
	    {"t", "T", 1000000000000ull},
	    {"ti", "Ti", 1ull << 40},
	    {"p", "P", 1000000000000000ull},
	    {"pi", "Pi", 1ull << 50},
	    {"e", "E", 1000000000000000000ull},
	    {"ei", "Ei", 1ull << 60},
	};
	*milli = n == 1 && u[0] == 'm';
	if (*milli)
		return 1;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].a) == n && memcmp(tab[i].a, u, n) == 0)
			return tab[i].m;
		if (tab[i].b && strlen(tab[i].b) == n && memcmp(tab[i].b, u, n) == 0)
			return tab[i].m;
	}
	return 0;
}

/* big.Rat.FloatString(10) of D * 10^-scale (scale > 0, not integral) into
 * o (room for n + 13 bytes): ten decimals, halves rounded away from zero. */
static size_t float_string10(const char *d, size_t n, long scale, char *q, char *o)
{
	size_t qn; /* q = round(D * 10^(10 - scale)) */
	if (scale <= 10) {
		memcpy(q, d, n);
		memset(q + n, '0', (size_t)(10 - scale));
		qn = n + (size_t)(10 - scale);
	} else {
		size_t drop = (size_t)scale - 10;
		bool up = false;
		qn = 0;
		if (drop <= n) {
			qn = n - drop;
			memcpy(q, d, qn);
			up = d[qn] >= '5';
		}
		if (qn == 0)
			q[qn++] = '0';
		for (size_t i = qn; up && i-- > 0;) {
			if (q[i] == '9') {
				q[i] = '0';
			} else {
				q[i]++;
				up = false;
			}
		}
		if (up) {
			memmove(q + 1, q, qn++);
			q[0] = '1';
		}
	}
	size_t k = 0;
	if (qn <= 10) {
		o[k++] = '0';
		o[k++] = '.';
		memset(o + k, '0', 10 - qn);
		k += 10 - qn;
		memcpy(o + k, q, qn);
		return k + qn;
	}
	memcpy(o, q, qn - 10);
	k = qn - 10;
	o[k++] = '.';
	memcpy(o + k, q + qn - 10, 10);
	return k + 10;
}

/* Text of D * 10^-scale (D: digits, no sign) as OPA prints the big.Rat:
 * integers as integers, others as FloatString(10). */
static int rat_text(rctx *cx, bool neg, const char *d, size_t n, long scale, const rv **ret)
{
	while (n > 1 && d[0] == '0')
		d++, n--;
	rarena *a = rctx_arena(cx);
	if (n == 1 && d[0] == '0') {
		*ret = rv_int(a, 0);
		return 0;
	}
	size_t tz = 0;
	while (tz < n && d[n - 1 - tz] == '0')
		tz++;
	size_t need = n + 16;
	if (scale < 0 && (__builtin_add_overflow(n, (size_t)(-scale) + 2, &need) || need > CC_REGO_MAX_BUILTIN_ELEMS))
		return rbi_oom(cx);
	char *o = rarena_alloc(a, need);
	char *q = rarena_alloc(a, n + 13);
	if (o == NULL || q == NULL)
		return rbi_oom(cx);
	size_t k = 0;
	if (neg)
		o[k++] = '-';
	if (scale <= 0) {
		memcpy(o + k, d, n);
		memset(o + k + n, '0', (size_t)(-scale));
		k += n + (size_t)(-scale);
	} else if ((size_t)scale <= tz) {
		memcpy(o + k, d, n - (size_t)scale);
		k += n - (size_t)scale;
	} else {
		k += float_string10(d, n, scale, q, o + k);
	}
	*ret = rv_num_parse(a, o, k);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_units_parse(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *raw;
	size_t rn;
	int r = rbi_arg_str(cx, args, 0, &raw, &rn);
	if (r < 0)
		return r;
	size_t n;
	char *s = clean(cx, raw, rn, false, &n);
	if (s == NULL)
		return rbi_oom(cx);
	if (memchr(s, ' ', n))
		return units_err(cx, "spaces not allowed in resource strings");
	long numlen = split_amount(s, n);
	if (numlen < 0)
		return units_err(cx, "exponent too large");
	if (numlen == 0)
		return units_err(cx, "no amount provided");
	char *unit = s + numlen;
	size_t un = n - (size_t)numlen;
	for (size_t i = 1; i < un; i++)
		if (unit[i] >= 'A' && unit[i] <= 'Z')
			unit[i] = (char)(unit[i] + 32);
	bool milli;
	uint64_t mult = unit_mult(unit, un, &milli);
	if (mult == 0)
		return rbi_err(cx, "units.parse: unit %.*s not recognized", (int)un, unit);
	struct amount am;
	if (!parse_amount(cx, s, (size_t)numlen, &am))
		return units_err(cx, "could not parse amount to a number");
	char *d = rarena_alloc(rctx_arena(cx), am.mn + 24);
	if (d == NULL)
		return rbi_oom(cx);
	memcpy(d, am.mant, am.mn);
	size_t dn = am.mn;
	mul_digits(d, &dn, mult);
	long scale = am.frac - am.exp + (milli ? 3 : 0);
	return rat_text(cx, am.neg, d, dn, scale, ret);
}

/* ---- units.parse_bytes ------------------------------------------------ */

static int bytes_err(rctx *cx, const char *msg) { return rbi_err(cx, "units.parse_bytes: %s", msg); }

static uint64_t byte_unit(const char *u, size_t n)
{
	static const struct {
		const char *a, *b;
		uint64_t m;
	} tab[] = {
	    {"", NULL, 1},
	    {"kb", "k", 1000ull},
	    {"kib", "ki", 1ull << 10},
	    {"mb", "m", 1000000ull},
	    {"mib", "mi", 1ull << 20},
	    {"gb", "g", 1000000000ull},
	    {"gib", "gi", 1ull << 30},
	    {"tb", "t", 1000000000000ull},
	    {"tib", "ti", 1ull << 40},
	    {"pb", "p", 1000000000000000ull},
	    {"pib", "pi", 1ull << 50},
	    {"eb", "e", 1000000000000000000ull},
	    {"eib", "ei", 1ull << 60},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].a) == n && memcmp(tab[i].a, u, n) == 0)
			return tab[i].m;
		if (tab[i].b && strlen(tab[i].b) == n && memcmp(tab[i].b, u, n) == 0)
			return tab[i].m;
	}
	return 0;
}

static int bi_units_parse_bytes(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *raw;
	size_t rn;
	int r = rbi_arg_str(cx, args, 0, &raw, &rn);
	if (r < 0)
		return r;
	size_t n;
	char *s = clean(cx, raw, rn, true, &n);
	if (s == NULL)
		return rbi_oom(cx);
	if (memchr(s, ' ', n))
		return bytes_err(cx, "spaces not allowed in resource strings");
	long numlen = split_amount(s, n);
	if (numlen < 0)
		return bytes_err(cx, "exponent too large");
	if (numlen == 0)
		return bytes_err(cx, "no byte amount provided");
	const char *unit = s + numlen;
	size_t un = n - (size_t)numlen;
	uint64_t mult = byte_unit(unit, un);
	if (mult == 0)
		return rbi_err(cx, "units.parse_bytes: byte unit %.*s not recognized", (int)un, unit);
	struct amount am;
	if (!parse_amount(cx, s, (size_t)numlen, &am))
		return bytes_err(cx, "could not parse byte amount to a number");
	s[numlen] = '\0';
	long double x = strtold(s, NULL);
	long double prod = truncl(x * (long double)mult);
	if (isinf(prod) || isnan(prod)) /* beyond long double; OPA's big.Float goes on */
		return bytes_err(cx, "could not parse byte amount to a number");
	if (prod == 0) {
		*ret = rv_int(rctx_arena(cx), 0);
		return 0;
	}
	char dec[5000];
	int k = snprintf(dec, sizeof(dec), "%.0Lf", prod);
	if (k < 0 || (size_t)k >= sizeof(dec))
		return bytes_err(cx, "could not parse byte amount to a number");
	*ret = rv_bigint(rctx_arena(cx), dec, (size_t)k);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_units[] = {
    {"units.parse", 1, bi_units_parse, NULL, 0, {RT_STR}, RT_NUM},
    {"units.parse_bytes", 1, bi_units_parse_bytes, NULL, 0, {RT_STR}, RT_NUM},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
