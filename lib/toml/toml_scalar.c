/* libcocoon-toml: strings, numbers, dates and times (TOML 1.0.0 "String",
 * "Integer", "Float", "Offset Date-Time" ... "Local Time"), accepting what
 * Python's tomllib accepts. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/clocale.h"
#include "cocoon/limits.h"
#include "toml_int.h"

static int add(struct tp *p, cc_buf *out, const char *s, size_t n)
{
	int r = cc_buf_add(out, s, n);
	if (r < 0)
		return tp_fail_code(p, r, "string too long");
	return 0;
}

/* Encodes code point c (a Unicode scalar value) as UTF-8. */
static int add_utf8(struct tp *p, cc_buf *out, uint32_t c)
{
	char b[4];
	size_t n;
	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xC0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xE0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		b[2] = (char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (c >> 18));
		b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		b[3] = (char)(0x80 | (c & 0x3F));
		n = 4;
	}
	return add(p, out, b, n);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uXXXX or \UXXXXXXXX at p->pos (past the "\u"): n hex digits. */
static int hex_escape(struct tp *p, cc_buf *out, unsigned n)
{
	uint32_t c = 0;
	for (unsigned i = 0; i < n; i++) {
		int h = hexval(tp_peek(p, i));
		if (h < 0)
			return tp_fail(p, p->pos, "invalid hex value in a \\%c escape", n == 4 ? 'u' : 'U');
		c = c * 16 + (uint32_t)h;
	}
	if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		return tp_fail(p, p->pos, "escaped character is not a Unicode scalar value");
	p->pos += n;
	return add_utf8(p, out, c);
}

static void skip_set(struct tp *p, const char *set)
{
	while (p->pos < p->n && p->s[p->pos] != '\0' && strchr(set, p->s[p->pos]) != NULL)
		p->pos++;
}

/* An escape at p->pos (the backslash). */
static int escape(struct tp *p, cc_buf *out, bool multiline)
{
	size_t at = p->pos;
	int c = tp_peek(p, 1);
	p->pos += 2;
	if (multiline && (c == ' ' || c == '\t' || c == '\n')) {
		/* line-ending backslash: whitespace up to the newline, then every
		 * whitespace and newline, go */
		if (c != '\n') {
			skip_set(p, " \t");
			if (p->pos >= p->n)
				return 0;
			if (p->s[p->pos] != '\n')
				return tp_fail(p, p->pos, "unescaped '\\' in a string");
			p->pos++;
		}
		skip_set(p, " \t\n");
		return 0;
	}
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	if (c == 'u')
		return hex_escape(p, out, 4);
	if (c == 'U')
		return hex_escape(p, out, 8);
	const char *k = c > 0 ? strchr(from, c) : NULL;
	if (k == NULL || c == 0)
		return tp_fail(p, at, "invalid escape in a string");
	return add(p, out, &to[k - from], 1);
}

/* The body of a basic string from p->pos (past the opening quotes) to the
 * closing quote(s), which are consumed. */
static int basic_body(struct tp *p, cc_buf *out, bool multiline)
{
	size_t start = p->pos;
	for (;;) {
		if (p->pos >= p->n)
			return tp_fail(p, p->pos, "unterminated string");
		int c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			if (!multiline) {
				int r = add(p, out, p->s + start, p->pos - start);
				p->pos++;
				return r;
			}
			if (tp_at(p, "\"\"\"")) {
				int r = add(p, out, p->s + start, p->pos - start);
				p->pos += 3;
				return r;
			}
			p->pos++;
			continue;
		}
		if (c == '\\') {
			int r = add(p, out, p->s + start, p->pos - start);
			if (r == 0)
				r = escape(p, out, multiline);
			if (r < 0)
				return r;
			start = p->pos;
			continue;
		}
		if (tp_is_ctrl(c) && c != '\t' && !(multiline && c == '\n'))
			return tp_fail(p, p->pos, "control character 0x%02x in a string", c);
		p->pos++;
	}
}

int tp_basic_string(struct tp *p, cc_buf *out)
{
	p->pos++;
	return basic_body(p, out, false);
}

/* Scans from p->pos to the delimiter, refusing control characters other
 * than tab (and newline in multi-line strings): the index of the
 * delimiter. */
static int literal_scan(struct tp *p, const char *delim, bool multiline, size_t *ret_end)
{
	for (size_t i = p->pos;; i++) {
		if (i >= p->n)
			return tp_fail(p, i, "unterminated string (expected %s)", delim);
		if (p->s[i] == delim[0] && p->n - i >= strlen(delim) &&
		    memcmp(p->s + i, delim, strlen(delim)) == 0) {
			*ret_end = i;
			return 0;
		}
		int c = (unsigned char)p->s[i];
		if (tp_is_ctrl(c) && c != '\t' && !(multiline && c == '\n'))
			return tp_fail(p, i, "control character 0x%02x in a string", c);
	}
}

int tp_literal_string(struct tp *p, cc_buf *out)
{
	size_t end = p->n;
	p->pos++;
	int r = literal_scan(p, "'", false, &end);
	if (r == 0)
		r = add(p, out, p->s + p->pos, end - p->pos);
	p->pos = end + 1;
	return r;
}

int tp_multiline_string(struct tp *p, bool literal, cc_buf *out)
{
	p->pos += 3;
	if (tp_peek(p, 0) == '\n')
		p->pos++;
	int r;
	if (literal) {
		size_t end = p->n;
		r = literal_scan(p, "'''", true, &end);
		if (r == 0)
			r = add(p, out, p->s + p->pos, end - p->pos);
		p->pos = end + 3;
	} else {
		r = basic_body(p, out, true);
	}
	if (r < 0)
		return r;
	/* up to two more quotes right before the closing three belong to the
	 * string: """a""""" is a"" */
	char q = literal ? '\'' : '"';
	for (int i = 0; i < 2 && tp_peek(p, 0) == q; i++) {
		p->pos++;
		if ((r = add(p, out, &q, 1)) < 0)
			return r;
	}
	return 0;
}

/* ---- dates and times -------------------------------------------------- */

static bool digits(const struct tp *p, size_t at, unsigned n, int *ret)
{
	int v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (at + i >= p->n)
			return false;
		int c = p->s[at + i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*ret = v;
	return true;
}

/* HH:MM:SS[.frac] at at: the index past it, or 0 when there is none. */
static size_t time_at(const struct tp *p, size_t at, toml_datetime *dt)
{
	int h, m, s;
	if (!digits(p, at, 2, &h) || at + 2 >= p->n || p->s[at + 2] != ':' ||
	    !digits(p, at + 3, 2, &m) || at + 5 >= p->n || p->s[at + 5] != ':' ||
	    !digits(p, at + 6, 2, &s) || h > 23 || m > 59 || s > 59)
		return 0;
	dt->hour = h;
	dt->minute = m;
	dt->second = s;
	dt->nanosecond = 0;
	size_t i = at + 8;
	if (i + 1 < p->n && p->s[i] == '.' && p->s[i + 1] >= '0' && p->s[i + 1] <= '9') {
		i++;
		unsigned nd = 0;
		int ns = 0;
		for (; i < p->n && p->s[i] >= '0' && p->s[i] <= '9'; i++, nd++)
			if (nd < 9)
				ns = ns * 10 + (p->s[i] - '0');
		for (; nd < 9; nd++)
			ns *= 10;
		dt->nanosecond = ns;
	}
	return i;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD at at (the shape only): the index past it, or 0. */
static size_t date_at(const struct tp *p, size_t at, toml_datetime *dt)
{
	int y, mo, d;
	if (!digits(p, at, 4, &y) || at + 4 >= p->n || p->s[at + 4] != '-' ||
	    !digits(p, at + 5, 2, &mo) || at + 7 >= p->n || p->s[at + 7] != '-' ||
	    !digits(p, at + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return 0;
	dt->year = y;
	dt->month = mo;
	dt->day = d;
	return at + 10;
}

static bool date_valid(const toml_datetime *dt)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (dt->year < 1) /* tomllib (Python's date) has no year 0 */
		return false;
	if (dt->month == 2 && dt->day == 29)
		return leap(dt->year);
	return dt->day <= mdays[dt->month - 1];
}

/* Z or +HH:MM / -HH:MM at at: the index past it, or 0. */
static size_t offset_at(const struct tp *p, size_t at, toml_datetime *dt)
{
	if (at >= p->n)
		return 0;
	char c = p->s[at];
	if (c == 'Z' || c == 'z') {
		dt->offset_minutes = 0;
		return at + 1;
	}
	int h, m;
	if ((c != '+' && c != '-') || !digits(p, at + 1, 2, &h) || at + 3 >= p->n ||
	    p->s[at + 3] != ':' || !digits(p, at + 4, 2, &m) || h > 23 || m > 59)
		return 0;
	dt->offset_minutes = (c == '-' ? -1 : 1) * (h * 60 + m);
	return at + 6;
}

/* A date, date-time or local time at p->pos: 1 (and *dt, p->pos past it),
 * 0 when none starts there, -EINVAL for an impossible date. */
static int datetime(struct tp *p, toml_datetime *dt)
{
	memset(dt, 0, sizeof(*dt));
	size_t end = date_at(p, p->pos, dt);
	if (end != 0) {
		if (!date_valid(dt))
			return tp_fail(p, p->pos, "invalid date or datetime");
		dt->kind = TOML_LOCAL_DATE;
		if (end < p->n && strchr("Tt ", p->s[end]) != NULL && p->s[end] != '\0') {
			size_t t = time_at(p, end + 1, dt);
			if (t != 0) {
				dt->kind = TOML_LOCAL_DATETIME;
				end = t;
				size_t o = offset_at(p, end, dt);
				if (o != 0) {
					dt->kind = TOML_OFFSET_DATETIME;
					end = o;
				}
			}
		}
		p->pos = end;
		return 1;
	}
	end = time_at(p, p->pos, dt);
	if (end == 0)
		return 0;
	dt->kind = TOML_LOCAL_TIME;
	p->pos = end;
	return 1;
}

/* ---- numbers ---------------------------------------------------------- */

static bool in_digits(int c, int base)
{
	if (base == 16)
		return hexval(c) >= 0;
	return c >= '0' && c < '0' + base;
}

/* digit (_? digit)* at i in base: the index past it, or i if none. */
static size_t digit_run(const struct tp *p, size_t i, int base)
{
	if (i >= p->n || !in_digits((unsigned char)p->s[i], base))
		return i;
	i++;
	for (;;) {
		size_t j = i;
		if (j < p->n && p->s[j] == '_')
			j++;
		if (j < p->n && in_digits((unsigned char)p->s[j], base))
			i = j + 1;
		else
			return i;
	}
}

/* Copies s[a..b) without underscores into a NUL-terminated buffer. */
static char *strip_underscores(const char *s, size_t a, size_t b)
{
	char *o = malloc(b - a + 1);
	if (o == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = a; i < b; i++)
		if (s[i] != '_')
			o[n++] = s[i];
	o[n] = '\0';
	return o;
}

static int prefixed_int(struct tp *p, int base, toml_value **ret, unsigned depth, unsigned line)
{
	size_t start = p->pos + 2, end = digit_run(p, start, base);
	if (end == start)
		return 0;
	uint64_t v = 0;
	for (size_t i = start; i < end; i++) {
		if (p->s[i] == '_')
			continue;
		uint64_t d = (uint64_t)hexval((unsigned char)p->s[i]);
		if (v > (UINT64_C(0x7fffffffffffffff) - d) / (uint64_t)base)
			return tp_fail(p, p->pos, "integer out of the 64-bit signed range");
		v = v * (uint64_t)base + d;
	}
	toml_value *n = tn_new(TOML_INTEGER, line, depth);
	if (n == NULL)
		return tp_fail_code(p, -ENOMEM, "out of memory");
	n->u.i = (int64_t)v;
	p->pos = end;
	*ret = n;
	return 1;
}

/* [+-]?(0|[1-9](_?[0-9])*) then an optional fraction and exponent. */
static int decimal(struct tp *p, toml_value **ret, unsigned depth, unsigned line)
{
	size_t i = p->pos;
	if (i < p->n && (p->s[i] == '+' || p->s[i] == '-'))
		i++;
	size_t int_start = i;
	if (i < p->n && p->s[i] == '0')
		i++;
	else if (i < p->n && p->s[i] >= '1' && p->s[i] <= '9')
		i = digit_run(p, i, 10);
	if (i == int_start)
		return 0;
	bool is_float = false;
	if (i + 1 < p->n && p->s[i] == '.' && digit_run(p, i + 1, 10) != i + 1) {
		i = digit_run(p, i + 1, 10);
		is_float = true;
	}
	if (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E')) {
		size_t j = i + 1;
		if (j < p->n && (p->s[j] == '+' || p->s[j] == '-'))
			j++;
		size_t k = digit_run(p, j, 10);
		if (k != j) {
			i = k;
			is_float = true;
		}
	}
	_Static_assert(sizeof(long long) == 8, "64-bit long long");
	char *txt = strip_underscores(p->s, p->pos, i);
	if (txt == NULL)
		return tp_fail_code(p, -ENOMEM, "out of memory");
	toml_value *n = tn_new(is_float ? TOML_FLOAT : TOML_INTEGER, line, depth);
	if (n == NULL) {
		free(txt);
		return tp_fail_code(p, -ENOMEM, "out of memory");
	}
	char *e = NULL;
	errno = 0;
	if (is_float) {
		locale_t old = cc_locale_enter();
		n->u.f = strtod(txt, &e); /* overflow gives +-inf, as Python's float() */
		cc_locale_leave(old);
	} else {
		n->u.i = strtoll(txt, &e, 10);
		if (errno == ERANGE) {
			free(txt);
			tn_free(n);
			return tp_fail(p, p->pos, "integer out of the 64-bit signed range");
		}
	}
	free(txt);
	p->pos = i;
	*ret = n;
	return 1;
}

static int special_float(struct tp *p, toml_value **ret, unsigned depth, unsigned line)
{
	size_t i = p->pos;
	double sign = 1.0;
	if (i < p->n && (p->s[i] == '+' || p->s[i] == '-')) {
		sign = p->s[i] == '-' ? -1.0 : 1.0;
		i++;
	}
	double v;
	if (p->n - i >= 3 && memcmp(p->s + i, "inf", 3) == 0)
		v = INFINITY;
	else if (p->n - i >= 3 && memcmp(p->s + i, "nan", 3) == 0)
		v = NAN;
	else
		return 0;
	toml_value *n = tn_new(TOML_FLOAT, line, depth);
	if (n == NULL)
		return tp_fail_code(p, -ENOMEM, "out of memory");
	n->u.f = copysign(v, sign);
	p->pos = i + 3;
	*ret = n;
	return 1;
}

int tp_scalar(struct tp *p, unsigned depth, toml_value **ret)
{
	unsigned line = tp_line(p);
	toml_datetime dt;
	int r = datetime(p, &dt);
	if (r != 0) {
		if (r < 0)
			return r;
		toml_value *n = tn_new(TOML_DATETIME, line, depth);
		if (n == NULL)
			return tp_fail_code(p, -ENOMEM, "out of memory");
		n->u.dt = dt;
		*ret = n;
		return 1;
	}
	if (tp_peek(p, 0) == '0') {
		int c = tp_peek(p, 1);
		int base = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
		if (base && (r = prefixed_int(p, base, ret, depth, line)) != 0)
			return r;
	}
	if ((r = decimal(p, ret, depth, line)) != 0)
		return r;
	return special_float(p, ret, depth, line);
}
