/* Go's JSON output for values (convert.h): rv_to_go_json, as OPA prints
 * ast.JSON(x) with encoding/json Marshal/MarshalIndent (HTML characters
 * escaped, object keys sorted bytewise), and the float spellings of Go's
 * strconv and encoding/json that the other conversions share. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert_int.h"
#include "utf8.h"

/* ---- float spellings, as Go's strconv and encoding/json -------------- */

/* Shortest decimal digits that read back as v (float32 when f32):
 * v = 0.d[0]d[1]...d[nd-1] * 10^dp. */
struct fdigits {
	char d[32];
	int nd;
	int dp;
	bool neg;
};

static void shortest_digits(double v, bool f32, struct fdigits *fd)
{
	char buf[64];
	if (f32)
		v = (double)(float)v;
	fd->neg = signbit(v) != 0;
	if (v == 0) {
		fd->nd = 0;
		fd->dp = 0;
		return;
	}
	int maxp = f32 ? 9 : 17;
	int p;
	for (p = 1; p <= maxp; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (f32 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
			break;
	}
	if (p > maxp)
		snprintf(buf, sizeof(buf), "%.*e", maxp - 1, v);
	const char *q = buf + (fd->neg ? 1 : 0);
	fd->nd = 0;
	for (; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9' && fd->nd < (int)sizeof(fd->d))
			fd->d[fd->nd++] = *q;
	long e = *q == 'e' ? strtol(q + 1, NULL, 10) : 0;
	while (fd->nd > 1 && fd->d[fd->nd - 1] == '0')
		fd->nd--;
	fd->dp = (int)e + 1;
}

/* %e with all shortest digits: d[.ddd]e±dd. */
static int fmt_e(const struct fdigits *fd, cc_buf *out)
{
	int r = fd->neg ? cc_buf_addc(out, '-') : 0;
	if (r == 0)
		r = cc_buf_addc(out, fd->nd ? fd->d[0] : '0');
	if (r == 0 && fd->nd > 1) {
		r = cc_buf_addc(out, '.');
		if (r == 0)
			r = cc_buf_add(out, fd->d + 1, (size_t)fd->nd - 1);
	}
	int exp = fd->nd ? fd->dp - 1 : 0;
	if (r == 0)
		r = cc_buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	return r;
}

/* %f with all shortest digits. */
static int fmt_f(const struct fdigits *fd, cc_buf *out)
{
	int r = fd->neg ? cc_buf_addc(out, '-') : 0;
	if (r == 0 && fd->nd == 0)
		return cc_buf_addc(out, '0');
	if (r == 0 && fd->dp <= 0) {
		r = cc_buf_adds(out, "0.");
		for (int i = fd->dp; r == 0 && i < 0; i++)
			r = cc_buf_addc(out, '0');
		return r ? r : cc_buf_add(out, fd->d, (size_t)fd->nd);
	}
	if (r == 0 && fd->nd <= fd->dp) {
		r = cc_buf_add(out, fd->d, (size_t)fd->nd);
		for (int i = fd->nd; r == 0 && i < fd->dp; i++)
			r = cc_buf_addc(out, '0');
		return r;
	}
	if (r == 0)
		r = cc_buf_add(out, fd->d, (size_t)fd->dp);
	if (r == 0)
		r = cc_buf_addc(out, '.');
	return r ? r : cc_buf_add(out, fd->d + fd->dp, (size_t)(fd->nd - fd->dp));
}

/* strconv.FormatFloat(v, 'g', -1, 64 or 32). */
int cv_go_fmt_g(double v, bool f32, cc_buf *out)
{
	if (isnan(v))
		return cc_buf_adds(out, "NaN");
	if (isinf(v))
		return cc_buf_adds(out, v > 0 ? "+Inf" : "-Inf");
	struct fdigits fd;
	shortest_digits(v, f32, &fd);
	if (fd.nd == 0)
		return cc_buf_adds(out, fd.neg ? "-0" : "0");
	int exp = fd.dp - 1;
	if (exp < -4 || exp >= 6)
		return fmt_e(&fd, out);
	return fmt_f(&fd, out);
}

/* encoding/json's float64 encoding ('f' within [1e-6, 1e21), else 'e'
 * with a one-digit negative exponent shortened: 1e-07 -> 1e-7). */
int cv_go_json_float(double v, cc_buf *out)
{
	struct fdigits fd;
	shortest_digits(v, false, &fd);
	double a = fabs(v);
	if (a == 0 || (a >= 1e-6 && a < 1e21))
		return fmt_f(&fd, out);
	size_t start = out->len;
	int r = fmt_e(&fd, out);
	if (r == 0) {
		char *b = out->p + start;
		size_t n = out->len - start;
		if (n >= 4 && b[n - 4] == 'e' && b[n - 3] == '-' && b[n - 2] == '0') {
			b[n - 2] = b[n - 1];
			out->len--;
			out->p[out->len] = '\0';
		}
	}
	return r;
}

/* ---- JSON out, as Go's encoding/json ------------------------------------ */

struct gojson {
	cc_buf *out;
	const char *prefix;
	const char *indent; /* NULL: compact */
};

/* Go's encodeState.string with HTML escaping. */
static int gj_string(cc_buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)p;
	int r = cc_buf_addc(out, '"');
	size_t i = 0, start = 0;
	while (r == 0 && i < n) {
		unsigned char b = s[i];
		char esc[8];
		size_t en = 0;
		uint32_t cp = b;
		size_t l = 1;
		if (b < 0x80) {
			if (b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&') {
				i++;
				continue;
			}
			esc[0] = '\\';
			switch (b) {
			case '"': case '\\': esc[1] = (char)b, en = 2; break;
			case '\b': esc[1] = 'b', en = 2; break;
			case '\f': esc[1] = 'f', en = 2; break;
			case '\n': esc[1] = 'n', en = 2; break;
			case '\r': esc[1] = 'r', en = 2; break;
			case '\t': esc[1] = 't', en = 2; break;
			default:
				memcpy(esc + 1, "u00", 3);
				esc[4] = hex[b >> 4], esc[5] = hex[b & 0xF], en = 6;
			}
		} else {
			l = rutf8_decode(s + i, n - i, &cp);
			if (l == 1) { /* an invalid byte */
				memcpy(esc, "\\ufffd", 6), en = 6;
			} else if (cp == 0x2028 || cp == 0x2029) {
				memcpy(esc, "\\u202", 5), esc[5] = hex[cp & 0xF], en = 6;
			} else {
				i += l;
				continue;
			}
		}
		r = cc_buf_add(out, p + start, i - start);
		if (r == 0)
			r = cc_buf_add(out, esc, en);
		i += l;
		start = i;
	}
	if (r == 0)
		r = cc_buf_add(out, p + start, n - start);
	return r ? r : cc_buf_addc(out, '"');
}

static int gj_newline(struct gojson *g, int depth)
{
	int r = cc_buf_addc(g->out, '\n');
	if (r == 0)
		r = cc_buf_adds(g->out, g->prefix);
	for (int i = 0; r == 0 && i < depth; i++)
		r = cc_buf_adds(g->out, g->indent);
	return r;
}

static int gj_value(struct gojson *g, const rv *x, int depth);

static int gjkey_cmp(const void *a, const void *b)
{
	const struct gjkey *x = a, *y = b;
	size_t n = x->kn < y->kn ? x->kn : y->kn;
	int c = n ? memcmp(x->k, y->k, n) : 0;
	if (c)
		return c;
	if (x->kn != y->kn)
		return x->kn < y->kn ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int cv_keytexts_build(const rv *x, bool sanitize, struct keytexts *kt)
{
	size_t n = x->u.o.n;
	cc_buf_init(&kt->buf, 0);
	kt->off = calloc(n ? n : 1, sizeof(*kt->off));
	kt->len = calloc(n ? n : 1, sizeof(*kt->len));
	if (kt->off == NULL || kt->len == NULL)
		return -ENOMEM;
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const rv *k = x->u.o.k[i];
		kt->off[i] = kt->buf.len;
		if (k->t != RV_STR)
			r = rv_to_go_json(k, &kt->buf, "", NULL);
		else if (sanitize)
			r = rutf8_sanitize(k->u.s.p, k->u.s.n, &kt->buf);
		else
			r = cc_buf_add(&kt->buf, k->u.s.p, k->u.s.n);
		kt->len[i] = kt->buf.len - kt->off[i];
	}
	return r;
}

static const char *keytexts_get(const struct keytexts *kt, size_t i)
{
	return kt->buf.p ? kt->buf.p + kt->off[i] : "";
}

void cv_keytexts_free(struct keytexts *kt)
{
	cc_buf_free(&kt->buf);
	free(kt->off);
	free(kt->len);
}

/* Sorts keys bytewise (then by position) and marks all but the last of
 * equal texts as dropped: a Go map keeps the last value written. */
int cv_keys_sorted_unique(const struct keytexts *kt, size_t n, struct gjkey **out, size_t *m)
{
	struct gjkey *keys = calloc(n ? n : 1, sizeof(*keys));
	if (keys == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		keys[i].k = keytexts_get(kt, i);
		keys[i].kn = kt->len[i];
		keys[i].idx = i;
	}
	qsort(keys, n, sizeof(*keys), gjkey_cmp);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && keys[i + 1].kn == keys[i].kn &&
		    memcmp(keys[i + 1].k, keys[i].k, keys[i].kn) == 0)
			continue;
		keys[o++] = keys[i];
	}
	*out = keys;
	*m = o;
	return 0;
}

static int gj_object(struct gojson *g, const rv *x, int depth)
{
	struct keytexts kt;
	struct gjkey *keys = NULL;
	size_t m = 0;
	int r = cv_keytexts_build(x, false, &kt);
	if (r == 0)
		r = cv_keys_sorted_unique(&kt, x->u.o.n, &keys, &m);
	if (r == 0)
		r = cc_buf_addc(g->out, '{');
	for (size_t i = 0; r == 0 && i < m; i++) {
		if (i)
			r = cc_buf_addc(g->out, ',');
		if (r == 0 && g->indent)
			r = gj_newline(g, depth + 1);
		if (r == 0)
			r = gj_string(g->out, keys[i].k, keys[i].kn);
		if (r == 0)
			r = cc_buf_adds(g->out, g->indent ? ": " : ":");
		if (r == 0)
			r = gj_value(g, x->u.o.v[keys[i].idx], depth + 1);
	}
	if (r == 0 && g->indent)
		r = gj_newline(g, depth);
	if (r == 0)
		r = cc_buf_addc(g->out, '}');
	free(keys);
	cv_keytexts_free(&kt);
	return r;
}

static int gj_value(struct gojson *g, const rv *x, int depth)
{
	if (depth > ENCODE_MAX_DEPTH)
		return -ELOOP;
	int r = 0;
	switch (x->t) {
	case RV_NULL:
		return cc_buf_adds(g->out, "null");
	case RV_BOOL:
		return cc_buf_adds(g->out, x->u.b ? "true" : "false");
	case RV_NUM:
		return rv_num_to_text(x, g->out);
	case RV_STR:
		return gj_string(g->out, x->u.s.p, x->u.s.n);
	case RV_ARR:
	case RV_SET:
		if (x->u.a.n == 0)
			return cc_buf_adds(g->out, "[]");
		r = cc_buf_addc(g->out, '[');
		for (size_t i = 0; r == 0 && i < x->u.a.n; i++) {
			if (i)
				r = cc_buf_addc(g->out, ',');
			if (r == 0 && g->indent)
				r = gj_newline(g, depth + 1);
			if (r == 0)
				r = gj_value(g, x->u.a.v[i], depth + 1);
		}
		if (r == 0 && g->indent)
			r = gj_newline(g, depth);
		return r ? r : cc_buf_addc(g->out, ']');
	case RV_OBJ:
		if (x->u.o.n == 0)
			return cc_buf_adds(g->out, "{}");
		return gj_object(g, x, depth);
	}
	return -EINVAL;
}

int rv_to_go_json(const rv *x, cc_buf *out, const char *prefix, const char *indent)
{
	struct gojson g = {out, prefix ? prefix : "", indent};
	return gj_value(&g, x, 0);
}
