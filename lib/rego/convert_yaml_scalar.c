/* YAML scalars as go-yaml v2's resolve() reads them (YAML 1.1: yes/no,
 * ~, 0x1f, 0777, 1_000, base-60, timestamps), shared by YAML in
 * (convert_yaml.c) and YAML out (convert_yaml_out.c, which quotes strings
 * that would read back as another type). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert_int.h"

bool cv_eq_lit(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static bool in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (cv_eq_lit(s, n, *list))
			return true;
	return false;
}

/* go-yaml v2's resolveMap (booleans, nulls, special floats). */
static bool resolve_map(const char *s, size_t n, struct yscal *o)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
	                                  "on", "On", "ON", NULL};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
	                                 "off", "Off", "OFF", NULL};
	static const char *const nul[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const nan[] = {".nan", ".NaN", ".NAN", NULL};
	static const char *const pinf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
	static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
	if (in_list(s, n, yes) || in_list(s, n, no)) {
		o->k = Y_BOOL;
		o->b = in_list(s, n, yes);
	} else if (in_list(s, n, nul)) {
		o->k = Y_NULL;
	} else if (in_list(s, n, nan) || in_list(s, n, pinf) || in_list(s, n, ninf)) {
		o->k = Y_FLOAT;
		o->f = in_list(s, n, nan) ? NAN : in_list(s, n, pinf) ? INFINITY : -INFINITY;
	} else {
		return false;
	}
	return true;
}

/* strconv.ParseUint(s, 0, 64) magnitude rules after an optional sign:
 * 0x/0o/0b prefixes, a leading 0 meaning octal. */
static bool go_parse_uint0(const char *s, size_t n, uint64_t *out)
{
	if (n == 0)
		return false;
	unsigned base = 10;
	if (s[0] == '0') {
		char c1 = n >= 3 ? (char)(s[1] | 0x20) : 0;
		base = c1 == 'b' ? 2 : c1 == 'o' ? 8 : c1 == 'x' ? 16 : 8;
		size_t skip = (c1 == 'b' || c1 == 'o' || c1 == 'x') ? 2 : 1;
		s += skip, n -= skip;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d = cv_is_digit(c) ? (unsigned)(c - '0')
		             : ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ? (unsigned)((c | 0x20) - 'a' + 10)
		                                                        : 99;
		if (d >= base)
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool go_parse_int0(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		s++, n--;
	}
	uint64_t u;
	if (!go_parse_uint0(s, n, &u))
		return false;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return false;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (u > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)u;
	}
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && cv_is_digit(s[i]))
			i++;
		if (i == d)
			return false;
	} else {
		size_t d = i;
		while (i < n && cv_is_digit(s[i]))
			i++;
		if (i == d)
			return false;
		if (i < n && s[i] == '.')
			for (i++; i < n && cv_is_digit(s[i]); i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && cv_is_digit(s[i]))
			i++;
		if (i == d)
			return false;
	}
	return i == n;
}

/* strconv.ParseFloat of a NUL-terminated decimal spelling; false on
 * overflow (Go returns ErrRange there: go-yaml then keeps a string). */
static bool parse_double(const char *s, double *out)
{
	double v = strtod(s, NULL);
	if (isinf(v))
		return false;
	*out = v;
	return true;
}

/* Go's strconv underscoreOK: underscores only between digits. */
static bool underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	if (n >= 1 && (s[0] == '-' || s[0] == '+'))
		i++;
	for (; i < n; i++) {
		if (cv_is_digit(s[i])) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/* NUL-terminated copy of s without underscores, in buf when it fits, else
 * on the heap (*heap set; the caller frees it). NULL on OOM. */
static char *strip_underscores(const char *s, size_t n, char *buf, size_t bufn, size_t *outn,
                               char **heap)
{
	char *d = buf;
	*heap = NULL;
	if (n >= bufn) {
		d = *heap = malloc(n + 1);
		if (d == NULL)
			return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			d[o++] = s[i];
	d[o] = '\0';
	*outn = o;
	return d;
}

/* Fixed-width decimal field of 1..max digits at s[*i]; false if none. */
static bool take_num(const char *s, size_t n, size_t *i, int max, int *out)
{
	int v = 0, k = 0;
	while (*i < n && k < max && cv_is_digit(s[*i])) {
		v = v * 10 + (s[*i] - '0');
		(*i)++, k++;
	}
	*out = v;
	return k > 0;
}

static bool leap_year(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int m, long y)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap_year(y) ? 29 : dm[m - 1];
}

/* Time part "15:4:5[.frac]" of go-yaml's timestamp layouts. */
static bool ts_clock(const char *s, size_t n, size_t *i)
{
	int h, m, sec;
	if (!take_num(s, n, i, 2, &h) || h >= 24 || *i >= n || s[*i] != ':')
		return false;
	(*i)++;
	if (!take_num(s, n, i, 2, &m) || m >= 60 || *i >= n || s[*i] != ':')
		return false;
	(*i)++;
	if (!take_num(s, n, i, 2, &sec) || sec >= 60)
		return false;
	if (*i + 1 < n && (s[*i] == '.' || s[*i] == ',') && cv_is_digit(s[*i + 1]))
		for ((*i)++; *i < n && cv_is_digit(s[*i]); (*i)++)
			;
	return true;
}

/* go-yaml v2's parseTimestamp: time.Parse with "2006-1-2T15:4:5.999999999Z07:00",
 * its 't' twin, "2006-1-2 15:4:5.999999999" and "2006-1-2". */
static bool yaml_timestamp(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && cv_is_digit(s[i]))
		i++;
	if (i != 4 || i == n || s[i] != '-')
		return false;
	long y = strtol(s, NULL, 10);
	int mo, d;
	i++;
	if (!take_num(s, n, &i, 2, &mo) || i >= n || s[i] != '-')
		return false;
	i++;
	if (!take_num(s, n, &i, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(mo, y))
		return false;
	if (i == n)
		return true;
	if (s[i] == 'T' || s[i] == 't') {
		i++;
		if (!ts_clock(s, n, &i))
			return false;
		if (i < n && s[i] == 'Z')
			return i + 1 == n;
		if (n - i != 6 || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
			return false;
		size_t k = i + 1;
		int hh, mm;
		size_t k2 = i + 4;
		if (!take_num(s, i + 3, &k, 2, &hh) || k != i + 3 || !take_num(s, n, &k2, 2, &mm) ||
		    k2 != n)
			return false;
		return hh <= 24 && mm <= 60;
	}
	if (s[i] != ' ')
		return false;
	while (i < n && s[i] == ' ')
		i++;
	return ts_clock(s, n, &i) && i == n;
}

/* Numeric forms of go-yaml's resolve(): hint '.' (floats only) or a
 * digit/sign (timestamps, then ints, uints, floats after dropping '_'). */
static void resolve_numeric(const char *s, size_t n, bool dot, struct yscal *o)
{
	if (!dot && yaml_timestamp(s, n)) {
		o->k = Y_TIMESTAMP;
		return;
	}
	if (dot && !underscore_ok(s, n))
		return;
	char buf[128], *heap;
	size_t tn;
	char *t = strip_underscores(s, n, buf, sizeof(buf), &tn, &heap);
	if (t == NULL)
		return; /* out of memory: keep the string */
	if (dot) {
		if (yaml_style_float(t, tn) && parse_double(t, &o->f))
			o->k = Y_FLOAT;
	} else if (go_parse_int0(t, tn, &o->i)) {
		o->k = Y_INT;
	} else if (tn > 0 && t[0] != '+' && t[0] != '-' && go_parse_uint0(t, tn, &o->u)) {
		o->k = Y_UINT;
	} else if (yaml_style_float(t, tn) && parse_double(t, &o->f)) {
		o->k = Y_FLOAT;
	}
	free(heap);
}

/* go-yaml v2 resolve() for an untagged plain scalar. */
void cv_resolve_plain(const char *s, size_t n, struct yscal *o)
{
	memset(o, 0, sizeof(*o));
	o->k = Y_STR;
	o->s = s;
	o->n = n;
	char c = n ? s[0] : 'N';
	bool digitish = cv_is_digit(c) || c == '+' || c == '-';
	bool mapish = c != '\0' && strchr("yYnNtTfFoO~", c) != NULL;
	if (!digitish && !mapish && c != '.')
		return;
	if (resolve_map(s, n, o) || mapish)
		return;
	resolve_numeric(s, n, c == '.', o);
}

const char *cv_short_tag(const char *tag, char *buf, size_t n)
{
	size_t pl = strlen(YTAG);
	if (strncmp(tag, YTAG, pl) == 0) {
		snprintf(buf, n, "!!%s", tag + pl);
		return buf;
	}
	return tag;
}

const char *cv_kind_tag(enum ykind k)
{
	switch (k) {
	case Y_NULL: return YTAG_NULL;
	case Y_BOOL: return YTAG_BOOL;
	case Y_INT: case Y_UINT: return YTAG_INT;
	case Y_FLOAT: return YTAG_FLOAT;
	case Y_TIMESTAMP: return YTAG_TIMESTAMP;
	default: return YTAG_STR;
	}
}

/* Base64 (StdEncoding, padded; CR/LF ignored as Go's DecodeString). */
int cv_base64_decode(const char *s, size_t n, cc_buf *out)
{
	unsigned acc = 0;
	int bits = 0, pad = 0;
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\r' || c == '\n')
			continue;
		count++;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -EINVAL;
		const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		const char *q = c ? strchr(tab, c) : NULL;
		if (q == NULL)
			return -EINVAL;
		acc = (acc << 6) | (unsigned)(q - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			int r = cc_buf_addc(out, (char)((acc >> bits) & 0xFF));
			if (r < 0)
				return r;
		}
	}
	if (count % 4 != 0 || pad > 2 || (pad && (acc & ((1u << bits) - 1))))
		return -EINVAL;
	return 0;
}
