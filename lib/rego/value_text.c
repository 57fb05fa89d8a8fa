/* Text forms of Rego values: JSON and Rego term syntax (value.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "utf8.h"
#include "value.h"

/* Shortest decimal spelling of f that reads back as the same long double,
 * formatted as OPA's builtins.FloatToNumber does with big.Float.Text:
 * integral values as plain digits ('f'), others as 'g' with the shortest
 * digits (exponent form when exp < -4 || exp >= 6, e.g. 1.0000005e+06). */
static int fmt_float(long double f, cc_buf *out)
{
	char buf[64];
	if (f == floorl(f))
		return cc_buf_printf(out, "%.0Lf", f);
	int prec;
	for (prec = 1; prec <= 21; prec++) {
		snprintf(buf, sizeof(buf), "%.*Le", prec - 1, f);
		if (strtold(buf, NULL) == f)
			break;
	}
	if (prec > 21)
		prec = 21;
	/* buf is d.ddddde±XX: split mantissa digits and exponent. */
	char digits[32];
	size_t nd = 0;
	const char *p = buf;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < sizeof(digits) - 1)
			digits[nd++] = *p;
	int exp = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	int r = 0;
	if (neg)
		r = cc_buf_addc(out, '-');
	if (r < 0)
		return r;
	if (exp < -4 || exp >= 6) {
		r = cc_buf_addc(out, digits[0]);
		if (r == 0 && nd > 1) {
			r = cc_buf_addc(out, '.');
			if (r == 0)
				r = cc_buf_add(out, digits + 1, nd - 1);
		}
		if (r == 0)
			r = cc_buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return r;
	}
	if (exp < 0) {
		r = cc_buf_adds(out, "0.");
		for (int i = -1; r == 0 && i > exp; i--)
			r = cc_buf_addc(out, '0');
		if (r == 0)
			r = cc_buf_add(out, digits, nd);
		return r;
	}
	size_t intd = (size_t)exp + 1;
	if (nd <= intd) {
		r = cc_buf_add(out, digits, nd);
		for (size_t i = nd; r == 0 && i < intd; i++)
			r = cc_buf_addc(out, '0');
		return r;
	}
	r = cc_buf_add(out, digits, intd);
	if (r == 0)
		r = cc_buf_addc(out, '.');
	if (r == 0)
		r = cc_buf_add(out, digits + intd, nd - intd);
	return r;
}

int rv_num_to_text(const rv *x, cc_buf *out)
{
	switch (x->nk) {
	case RN_INT:
		return cc_buf_printf(out, "%lld", (long long)x->u.i);
	case RN_BIG:
		return cc_buf_add(out, x->u.s.p, x->u.s.n);
	default:
		if (x->u.fl.txt)
			return cc_buf_add(out, x->u.fl.txt, x->u.fl.txtlen);
		return fmt_float(x->u.fl.f, out);
	}
}

/* Appends a double-quoted string. json: JSON escaping (as Go's
 * encoding/json without HTML escaping); otherwise Go strconv.Quote. */
static int quote_str(const char *p, size_t n, cc_buf *out, bool json)
{
	int r = cc_buf_addc(out, '"');
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;
	while (r == 0 && i < n) {
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			r = cc_buf_add(out, p + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			r = cc_buf_add(out, e, 2);
			i++;
		} else if (c == '\n') {
			r = cc_buf_adds(out, "\\n");
			i++;
		} else if (c == '\r') {
			r = cc_buf_adds(out, "\\r");
			i++;
		} else if (c == '\t') {
			r = cc_buf_adds(out, "\\t");
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			if (!json && c == '\a')
				r = cc_buf_adds(out, "\\a");
			else if (!json && c == '\b')
				r = cc_buf_adds(out, "\\b");
			else if (!json && c == '\f')
				r = cc_buf_adds(out, "\\f");
			else if (!json && c == '\v')
				r = cc_buf_adds(out, "\\v");
			else if (json)
				r = cc_buf_printf(out, "\\u%04x", c);
			else
				r = cc_buf_printf(out, "\\x%02x", c);
			i++;
		} else {
			uint32_t cp;
			size_t l = rutf8_decode(s + i, n - i, &cp);
			if (l == 1) { /* an invalid byte */
				r = json ? cc_buf_adds(out, "\\ufffd") : cc_buf_printf(out, "\\x%02x", c);
				i++;
			} else {
				if (json && (cp == 0x2028 || cp == 0x2029))
					r = cc_buf_printf(out, "\\u%04x", cp);
				else
					r = cc_buf_add(out, p + i, l);
				i += l;
			}
		}
	}
	if (r == 0)
		r = cc_buf_addc(out, '"');
	return r;
}

/* One JSON writer for the whole engine: Go's encoding/json output of OPA's
 * ast.JSON (convert.c), which json.marshal and `opa eval -f json` use. */
int rv_to_json(const rv *x, cc_buf *out, bool pretty)
{
	return rv_to_go_json(x, out, "", pretty ? "  " : NULL);
}

int rv_to_rego(const rv *x, cc_buf *out)
{
	int r = 0;
	switch (x->t) {
	case RV_STR:
		return quote_str(x->u.s.p, x->u.s.n, out, false);
	case RV_ARR:
		r = cc_buf_addc(out, '[');
		for (size_t i = 0; r == 0 && i < x->u.a.n; i++) {
			if (i)
				r = cc_buf_adds(out, ", ");
			if (r == 0)
				r = rv_to_rego(x->u.a.v[i], out);
		}
		return r ? r : cc_buf_addc(out, ']');
	case RV_SET:
		if (x->u.a.n == 0)
			return cc_buf_adds(out, "set()");
		r = cc_buf_addc(out, '{');
		for (size_t i = 0; r == 0 && i < x->u.a.n; i++) {
			if (i)
				r = cc_buf_adds(out, ", ");
			if (r == 0)
				r = rv_to_rego(x->u.a.v[i], out);
		}
		return r ? r : cc_buf_addc(out, '}');
	case RV_OBJ:
		r = cc_buf_addc(out, '{');
		for (size_t i = 0; r == 0 && i < x->u.o.n; i++) {
			if (i)
				r = cc_buf_adds(out, ", ");
			if (r == 0)
				r = rv_to_rego(x->u.o.k[i], out);
			if (r == 0)
				r = cc_buf_adds(out, ": ");
			if (r == 0)
				r = rv_to_rego(x->u.o.v[i], out);
		}
		return r ? r : cc_buf_addc(out, '}');
	case RV_NULL:
		return cc_buf_adds(out, "null");
	case RV_BOOL:
		return cc_buf_adds(out, x->u.b ? "true" : "false");
	default:
		return rv_num_to_text(x, out);
	}
}
