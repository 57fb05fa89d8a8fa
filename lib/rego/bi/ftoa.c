/* Go's strconv.AppendFloat(f, fmt, prec, 64) for sprintf (strings group):
 * decimal digits come from the C library's correctly rounded printf. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strings_int.h"

struct decimal {
	char *d;  /* significant digits, no leading/trailing zeros */
	int nd;
	int dp;   /* decimal point position */
	bool neg;
};

/* Parses printf output "[-]d.ddde±x" or "[-]ddd.ddd" into digits. */
static void parse_decimal(const char *t, struct decimal *dec, char *dst)
{
	bool neg = false;
	if (*t == '-') {
		neg = true;
		t++;
	}
	int nd = 0, intdigits = -1;
	for (; *t && *t != 'e'; t++) {
		if (*t == '.')
			intdigits = nd;
		else
			dst[nd++] = *t;
	}
	if (intdigits < 0)
		intdigits = nd;
	int dp = intdigits;
	if (*t == 'e')
		dp = (int)strtol(t + 1, NULL, 10) + 1;
	int lead = 0;
	while (lead < nd && dst[lead] == '0')
		lead++;
	if (lead == nd) {
		dec->d = dst;
		dec->nd = 0;
		dec->dp = 0;
		dec->neg = neg;
		return;
	}
	if (*t != 'e')
		dp -= lead;
	memmove(dst, dst + lead, (size_t)(nd - lead));
	nd -= lead;
	while (nd > 0 && dst[nd - 1] == '0')
		nd--;
	dec->d = dst;
	dec->nd = nd;
	dec->dp = dp;
	dec->neg = neg;
}

static void fmt_e(struct abuf *b, const struct decimal *d, int prec, char fmt)
{
	if (d->neg)
		abuf_addc(b, '-');
	abuf_addc(b, d->nd ? d->d[0] : '0');
	if (prec > 0) {
		abuf_addc(b, '.');
		int m = d->nd < prec + 1 ? d->nd : prec + 1;
		int i = 1;
		if (i < m) {
			abuf_add(b, d->d + 1, (size_t)(m - 1));
			i = m;
		}
		if (i <= prec)
			abuf_fill(b, '0', (size_t)(prec - i + 1));
	}
	abuf_addc(b, fmt);
	int exp = d->nd == 0 ? 0 : d->dp - 1;
	abuf_addc(b, exp < 0 ? '-' : '+');
	if (exp < 0)
		exp = -exp;
	char t[16];
	snprintf(t, sizeof(t), "%02d", exp);
	abuf_adds(b, t);
}

static void fmt_f(struct abuf *b, const struct decimal *d, int prec)
{
	if (d->neg)
		abuf_addc(b, '-');
	if (d->dp > 0) {
		int m = d->nd < d->dp ? d->nd : d->dp;
		abuf_add(b, d->d, (size_t)m);
		if (m < d->dp)
			abuf_fill(b, '0', (size_t)(d->dp - m));
	} else {
		abuf_addc(b, '0');
	}
	if (prec > 0) {
		abuf_addc(b, '.');
		for (int i = 1; i <= prec; i++) {
			int j = d->dp + i - 1;
			abuf_addc(b, j >= 0 && j < d->nd ? d->d[j] : '0');
		}
	}
}

/* %b: mantissa "p" binary exponent. */
static void fmt_b(struct abuf *b, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	int exp = (int)(bits >> 52 & 0x7FF);
	uint64_t mant = bits & ((1ull << 52) - 1);
	if (exp == 0)
		exp++;
	else
		mant |= 1ull << 52;
	exp += -1023 - 52;
	char t[64];
	snprintf(t, sizeof(t), "%s%llup%c%d", bits >> 63 ? "-" : "", (unsigned long long)mant,
	         exp >= 0 ? '+' : '-', exp < 0 ? -exp : exp);
	abuf_adds(b, t);
}

/* %x/%X: hexadecimal mantissa and binary exponent (strconv fmtX). */
static void fmt_x(struct abuf *b, double v, int prec, char fmt)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	bool neg = bits >> 63;
	int exp = (int)(bits >> 52 & 0x7FF);
	uint64_t mant = bits & ((1ull << 52) - 1);
	if (exp == 0)
		exp++;
	else
		mant |= 1ull << 52;
	exp -= 1023;
	if (mant == 0)
		exp = 0;
	mant <<= 60 - 52;
	while (mant != 0 && (mant & (1ull << 60)) == 0) {
		mant <<= 1;
		exp--;
	}
	if (prec >= 0 && prec < 15) {
		unsigned shift = (unsigned)prec * 4;
		uint64_t extra = (mant << shift) & ((1ull << 60) - 1);
		mant >>= 60 - shift;
		if ((extra | (mant & 1)) > (1ull << 59))
			mant++;
		mant <<= 60 - shift;
		if (mant & (1ull << 61)) {
			mant >>= 1;
			exp++;
		}
	}
	const char *hex = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	if (neg)
		abuf_addc(b, '-');
	abuf_addc(b, '0');
	abuf_addc(b, fmt);
	abuf_addc(b, (char)('0' + (mant >> 60 & 1)));
	mant <<= 4;
	if (prec < 0 && mant != 0) {
		abuf_addc(b, '.');
		while (mant != 0) {
			abuf_addc(b, hex[mant >> 60 & 15]);
			mant <<= 4;
		}
	} else if (prec > 0) {
		abuf_addc(b, '.');
		for (int i = 0; i < prec; i++) {
			abuf_addc(b, hex[mant >> 60 & 15]);
			mant <<= 4;
		}
	}
	abuf_addc(b, fmt == 'X' ? 'P' : 'p');
	abuf_addc(b, exp < 0 ? '-' : '+');
	if (exp < 0)
		exp = -exp;
	char t[16];
	snprintf(t, sizeof(t), "%02d", exp);
	abuf_adds(b, t);
}

/* Decimal digits of v: shortest round-trip (prec < 0) or correctly
 * rounded to prec digits after the point ('e') or point ('f'). */
static int float_digits(rarena *a, double v, char mode, int prec, struct decimal *d)
{
	char stack[64];
	char *t = stack;
	size_t tn = sizeof(stack);
	double av = fabs(v);
	if (prec < 0) {
		for (int p = 0; p < 17; p++) {
			snprintf(t, tn, "%.*e", p, av);
			if (strtod(t, NULL) == av)
				break;
		}
	} else {
		int need = mode == 'e' ? snprintf(NULL, 0, "%.*e", prec, av) : snprintf(NULL, 0, "%.*f", prec, av);
		if (need < 0)
			return -ENOMEM;
		if ((size_t)need >= tn) {
			tn = (size_t)need + 1;
			t = rarena_alloc(a, tn);
			if (t == NULL)
				return -ENOMEM;
		}
		if (mode == 'e')
			snprintf(t, tn, "%.*e", prec, av);
		else
			snprintf(t, tn, "%.*f", prec, av);
	}
	size_t tl = strlen(t);
	char *dst = rarena_alloc(a, tl + 1);
	if (dst == NULL)
		return -ENOMEM;
	parse_decimal(t, d, dst);
	d->neg = signbit(v) != 0;
	return 0;
}

int rstr_ftoa(struct abuf *b, double v, char fmt, int prec)
{
	if (isnan(v)) {
		abuf_adds(b, "NaN");
		return 0;
	}
	if (isinf(v)) {
		abuf_adds(b, v > 0 ? "+Inf" : "-Inf");
		return 0;
	}
	if (fmt == 'b') {
		fmt_b(b, v);
		return 0;
	}
	if (fmt == 'x' || fmt == 'X') {
		fmt_x(b, v, prec, fmt);
		return 0;
	}
	bool shortest = prec < 0;
	struct decimal d;
	int r;
	if (shortest) {
		r = float_digits(b->a, v, 'e', -1, &d);
	} else if (fmt == 'e' || fmt == 'E') {
		r = float_digits(b->a, v, 'e', prec, &d);
	} else if (fmt == 'f') {
		r = float_digits(b->a, v, 'f', prec, &d);
	} else {
		if (prec == 0)
			prec = 1;
		r = float_digits(b->a, v, 'e', prec - 1, &d);
	}
	if (r < 0)
		return r;
	if (shortest) {
		if (fmt == 'e' || fmt == 'E')
			prec = d.nd - 1 > 0 ? d.nd - 1 : 0;
		else if (fmt == 'f')
			prec = d.nd - d.dp > 0 ? d.nd - d.dp : 0;
		else
			prec = d.nd;
	}
	switch (fmt) {
	case 'e':
	case 'E':
		fmt_e(b, &d, prec, fmt);
		return 0;
	case 'f':
		fmt_f(b, &d, prec);
		return 0;
	default: {
		int eprec = prec;
		if (eprec > d.nd && d.nd >= d.dp)
			eprec = d.nd;
		if (shortest)
			eprec = 6;
		int exp = d.dp - 1;
		if (exp < -4 || exp >= eprec) {
			if (prec > d.nd)
				prec = d.nd;
			fmt_e(b, &d, prec - 1, (char)(fmt + 'e' - 'g'));
			return 0;
		}
		if (prec > d.dp)
			prec = d.nd;
		fmt_f(b, &d, prec - d.dp > 0 ? prec - d.dp : 0);
		return 0;
	}
	}
}
