/* ECMAScript Number.prototype.toString for finite doubles (ECMA-262
 * §6.1.6.1.20 "Number::toString"), the number form RFC 8785 §3.2.2.3
 * prescribes. Hand-written: Debian has no C library for it.
 *
 * The shortest digit string that reads back as the same double is found by
 * asking printf for 1, 2, ... 17 significant digits (glibc rounds exactly)
 * and taking the first that strtod maps back; then the digits are placed as
 * ECMAScript does: plain up to 21 integer digits, "0.000ddd" down to 1e-6,
 * exponent form ("1e+21", "1.5e-7") beyond. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/clocale.h"
#include "jcs_int.h"

/* Shortest round-trip digits of d > 0: digits into dig (no dot, no trailing
 * zeros), returns the decimal exponent n such that d = 0.dig * 10^n. */
static int shortest(double d, char dig[24], size_t *ndig)
{
	char buf[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, d);
		if (p == 17 || strtod(buf, NULL) == d)
			break;
	}
	/* buf is "D[.DDD]e[+-]XX" */
	size_t k = 0;
	const char *c = buf;
	for (; *c != 'e'; c++)
		if (*c != '.')
			dig[k++] = *c;
	while (k > 1 && dig[k - 1] == '0')
		k--;
	dig[k] = '\0';
	*ndig = k;
	return (int)strtol(c + 1, NULL, 10) + 1;
}

size_t cj_es6_number(double d, char out[CJ_ES6_NUMBER_MAX])
{
	if (d == 0 || !isfinite(d)) { /* -0 prints as "0"; JSON has no NaN/Infinity */
		memcpy(out, "0", 2);
		return 1;
	}
	size_t o = 0;
	if (d < 0) {
		out[o++] = '-';
		d = -d;
	}
	locale_t old = cc_locale_enter();
	char dig[24];
	size_t k = 0;
	int n = shortest(d, dig, &k);
	cc_locale_leave(old);
	int ik = (int)k;
	if (ik <= n && n <= 21) {
		/* integer: the digits then n - k zeros */
		memcpy(out + o, dig, k);
		o += k;
		for (int i = ik; i < n; i++)
			out[o++] = '0';
	} else if (0 < n && n <= 21) {
		memcpy(out + o, dig, (size_t)n);
		o += (size_t)n;
		out[o++] = '.';
		memcpy(out + o, dig + n, k - (size_t)n);
		o += k - (size_t)n;
	} else if (-6 < n && n <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -n; i++)
			out[o++] = '0';
		memcpy(out + o, dig, k);
		o += k;
	} else {
		out[o++] = dig[0];
		if (k > 1) {
			out[o++] = '.';
			memcpy(out + o, dig + 1, k - 1);
			o += k - 1;
		}
		o += (size_t)snprintf(out + o, CJ_ES6_NUMBER_MAX - o, "e%c%d", n - 1 < 0 ? '-' : '+',
		                      abs(n - 1));
	}
	out[o] = '\0';
	return o;
}
