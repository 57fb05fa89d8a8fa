/* Conversions between Rego values and JSON / YAML text (convert.h).
 *
 * Reference behaviour is OPA's, which is Go's:
 *   - JSON in: encoding/json with UseNumber (number spellings are kept);
 *   - JSON out: encoding/json Marshal/MarshalIndent of ast.JSON(x);
 *   - YAML in/out: sigs.k8s.io/yaml, i.e. go-yaml v2 (a libyaml port) plus
 *     a round trip through encoding/json.
 * jansson and libyaml do the parsing and emitting; this file adds the Go
 * rules on top (scalar resolution, number spellings, string escaping).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cocoon/limits.h"
#include "convert.h"
#include "utf8.h"

/* Nesting bound of the recursive encoders (values built by evaluation can
 * nest deeper than any parsed document). */
#define ENCODE_MAX_DEPTH 10000

/* ======================================================================
 * Float spellings, as Go's strconv and encoding/json
 * ==================================================================== */

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
static int go_fmt_g(double v, bool f32, cc_buf *out)
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
static int go_json_float(double v, cc_buf *out)
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

/* ======================================================================
 * JSON out, as Go's encoding/json
 * ==================================================================== */

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

struct gjkey {
	const char *k;
	size_t kn;
	size_t idx;
};

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

/* Texts of an object's keys as ast.JSON makes them (strings as they are,
 * other keys as their compact JSON), packed in one buffer. */
struct keytexts {
	cc_buf buf;
	size_t *off;
	size_t *len;
};

static int keytexts_build(const rv *x, bool sanitize, struct keytexts *kt)
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

static void keytexts_free(struct keytexts *kt)
{
	cc_buf_free(&kt->buf);
	free(kt->off);
	free(kt->len);
}

/* Sorts keys bytewise (then by position) and marks all but the last of
 * equal texts as dropped: a Go map keeps the last value written. */
static int keys_sorted_unique(const struct keytexts *kt, size_t n, struct gjkey **out, size_t *m)
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
	int r = keytexts_build(x, false, &kt);
	if (r == 0)
		r = keys_sorted_unique(&kt, x->u.o.n, &keys, &m);
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
	keytexts_free(&kt);
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

/* ======================================================================
 * JSON in (jansson)
 * ==================================================================== */

#define JSON_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL)

static bool is_numch(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Walks the number tokens of a JSON text jansson accepted, in order. */
struct numcur {
	const char *p;
	size_t n;
	size_t off;
};

static bool next_number(struct numcur *c, const char **tok, size_t *len)
{
	bool in_str = false;
	while (c->off < c->n) {
		char ch = c->p[c->off];
		if (in_str) {
			if (ch == '\\')
				c->off = c->n - c->off >= 2 ? c->off + 2 : c->n;
			else
				c->off++;
			in_str = ch != '"';
			continue;
		}
		if (ch == '"') {
			in_str = true;
			c->off++;
			continue;
		}
		if (ch == '-' || (ch >= '0' && ch <= '9')) {
			size_t s = c->off;
			while (c->off < c->n && is_numch(c->p[c->off]))
				c->off++;
			*tok = c->p + s;
			*len = c->off - s;
			return true;
		}
		c->off++;
	}
	return false;
}

/* Copy of a valid JSON text with every number replaced by 0, for texts
 * whose numbers overflow a double (jansson refuses those; Go does not). */
static char *zero_numbers(const char *p, size_t n, size_t *outn)
{
	char *z = malloc(n ? n : 1);
	if (z == NULL)
		return NULL;
	size_t o = 0;
	bool in_str = false;
	for (size_t i = 0; i < n;) {
		char ch = p[i];
		if (!in_str && (ch == '-' || (ch >= '0' && ch <= '9'))) {
			while (i < n && is_numch(p[i]))
				i++;
			z[o++] = '0';
			continue;
		}
		if (in_str && ch == '\\' && i + 1 < n) {
			z[o++] = p[i++];
		} else if (ch == '"') {
			in_str = !in_str;
		}
		z[o++] = p[i++];
	}
	*outn = o;
	return z;
}

struct jconv {
	rarena *a;
	struct numcur *cur; /* NULL: take numbers from jansson */
	cc_error **err;
};

static int jc_oom(struct jconv *c)
{
	return cc_error_set(c->err, -ENOMEM, "out of memory converting JSON");
}

/* Number from its spelling; NULL result is either OOM or a value beyond
 * long double range (told apart by a probe allocation). */
static int num_from_text(rarena *a, const char *t, size_t n, const rv **ret, cc_error **err)
{
	const rv *v = rv_num_parse(a, t, n);
	if (v) {
		*ret = v;
		return 0;
	}
	if (rarena_alloc(a, 1) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory converting a number");
	return cc_error_set(err, -ERANGE, "number %.*s is out of range", (int)(n > 64 ? 64 : n), t);
}

static int jc_number(struct jconv *c, const json_t *j, const rv **ret)
{
	if (c->cur == NULL) {
		if (json_is_integer(j)) {
			*ret = rv_int(c->a, (int64_t)json_integer_value(j));
			return *ret ? 0 : jc_oom(c);
		}
		cc_buf b;
		cc_buf_init(&b, 0);
		int r = go_json_float(json_real_value(j), &b);
		if (r == 0)
			r = num_from_text(c->a, b.p, b.len, ret, c->err);
		else
			r = jc_oom(c);
		cc_buf_free(&b);
		return r;
	}
	const char *tok;
	size_t len;
	if (!next_number(c->cur, &tok, &len))
		return cc_error_set(c->err, -EINVAL, "JSON number not found in the text");
	return num_from_text(c->a, tok, len, ret, c->err);
}

static int jc_value(struct jconv *c, const json_t *j, unsigned depth, const rv **ret);

static int jc_object(struct jconv *c, const json_t *j, unsigned depth, const rv **ret)
{
	size_t n = json_object_size(j);
	const rv **keys = rarena_nalloc(c->a, n ? n : 1, sizeof(*keys));
	const rv **vals = rarena_nalloc(c->a, n ? n : 1, sizeof(*vals));
	if (keys == NULL || vals == NULL)
		return jc_oom(c);
	size_t i = 0;
	for (void *it = json_object_iter((json_t *)j); it && i < n;
	     it = json_object_iter_next((json_t *)j, it), i++) {
		keys[i] = rv_str(c->a, json_object_iter_key(it), json_object_iter_key_len(it));
		if (keys[i] == NULL)
			return jc_oom(c);
		int r = jc_value(c, json_object_iter_value(it), depth + 1, &vals[i]);
		if (r < 0)
			return r;
	}
	bool conflict;
	*ret = rv_obj(c->a, keys, vals, i, &conflict);
	if (*ret == NULL)
		return conflict ? cc_error_set(c->err, -EINVAL, "duplicate object key") : jc_oom(c);
	return 0;
}

static int jc_array(struct jconv *c, const json_t *j, unsigned depth, const rv **ret)
{
	size_t n = json_array_size(j);
	const rv **items = rarena_nalloc(c->a, n ? n : 1, sizeof(*items));
	if (items == NULL)
		return jc_oom(c);
	for (size_t i = 0; i < n; i++) {
		int r = jc_value(c, json_array_get(j, i), depth + 1, &items[i]);
		if (r < 0)
			return r;
	}
	*ret = rv_arr(c->a, items, n);
	return *ret ? 0 : jc_oom(c);
}

static int jc_value(struct jconv *c, const json_t *j, unsigned depth, const rv **ret)
{
	if (depth > CC_REGO_MAX_JSON_DEPTH)
		return cc_error_set(c->err, -ELOOP, "JSON nesting deeper than %u levels",
		                    CC_REGO_MAX_JSON_DEPTH);
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return jc_object(c, j, depth, ret);
	case JSON_ARRAY:
		return jc_array(c, j, depth, ret);
	case JSON_STRING:
		*ret = rv_str(c->a, json_string_value(j), json_string_length(j));
		return *ret ? 0 : jc_oom(c);
	case JSON_INTEGER:
	case JSON_REAL:
		return jc_number(c, j, ret);
	case JSON_TRUE:
		*ret = rv_true();
		return 0;
	case JSON_FALSE:
		*ret = rv_false();
		return 0;
	case JSON_NULL:
		*ret = rv_null();
		return 0;
	}
	return cc_error_set(c->err, -EINVAL, "unknown JSON value type");
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Rewrites, in place, every "\uXXXX" surrogate escape that is not part of
 * a high+low pair as "\ufffd" (same length): Go decodes those to U+FFFD,
 * jansson would refuse them. */
static void fix_surrogates(char *p, size_t n)
{
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		if (!in_str) {
			in_str = p[i] == '"';
			continue;
		}
		if (p[i] == '"') {
			in_str = false;
			continue;
		}
		if (p[i] != '\\' || i + 1 >= n)
			continue;
		if (p[i + 1] != 'u' || n - i < 6) {
			i++;
			continue;
		}
		int u = hex4(p + i + 2);
		if (u >= 0xD800 && u <= 0xDBFF && n - i >= 12 && p[i + 6] == '\\' && p[i + 7] == 'u') {
			int lo = hex4(p + i + 8);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				i += 11;
				continue;
			}
		}
		if (u >= 0xD800 && u <= 0xDFFF)
			memcpy(p + i + 2, "fffd", 4);
		i += 5;
	}
}

static bool has_surrogate_escape(const char *p, size_t n)
{
	for (const char *q = p; (q = memchr(q, '\\', n - (size_t)(q - p))) != NULL && q + 2 < p + n; q++)
		if ((q[1] == 'u') && (q[2] == 'd' || q[2] == 'D'))
			return true;
	return false;
}

/* The text jansson should see: invalid UTF-8 bytes and unpaired surrogate
 * escapes become U+FFFD, as Go's decoder reads them. Copies only when
 * something changes, and then points *p and *n at the copy. 0 or -ENOMEM. */
static int json_prepare(const char **p, size_t *n, cc_buf *copy)
{
	bool bad_utf8 = !rutf8_valid(*p, *n);
	if (!bad_utf8 && !has_surrogate_escape(*p, *n))
		return 0;
	int r = bad_utf8 ? rutf8_sanitize(*p, *n, copy) : cc_buf_add(copy, *p, *n);
	if (r < 0)
		return -ENOMEM;
	fix_surrogates(copy->p, copy->len);
	*p = copy->p;
	*n = copy->len;
	return 0;
}

/* Parses txt[0..n) (already valid UTF-8). On a numeric overflow, parses a
 * copy with the numbers zeroed (the spellings come from txt anyway). */
static json_t *json_load(const char *txt, size_t n, size_t flags, json_error_t *je)
{
	json_t *j = json_loadb(txt, n, flags, je);
	if (j || json_error_code(je) != json_error_numeric_overflow)
		return j;
	size_t zn;
	char *z = zero_numbers(txt, n, &zn);
	if (z == NULL)
		return NULL;
	j = json_loadb(z, zn, flags, je);
	free(z);
	return j;
}

int rv_from_json_text(rarena *a, const char *txt, size_t n, const rv **ret, cc_error **err)
{
	if (n > CC_REGO_MAX_JSON_BYTES)
		return cc_error_set(err, -E2BIG, "JSON document of %zu bytes is over the %u byte limit",
		                    n, CC_REGO_MAX_JSON_BYTES);
	cc_buf clean;
	cc_buf_init(&clean, 0);
	if (json_prepare(&txt, &n, &clean) < 0) {
		cc_buf_free(&clean);
		return cc_error_set(err, -ENOMEM, "out of memory reading JSON");
	}
	json_error_t je;
	json_t *j = json_load(txt, n, JSON_FLAGS | JSON_REJECT_DUPLICATES, &je);
	int r;
	if (j == NULL) {
		r = cc_error_set_at(err, -EINVAL, NULL, NULL, je.line, je.column, "%s", je.text);
	} else {
		struct numcur cur = {txt, n, 0};
		struct jconv c = {a, &cur, err};
		const rv *v = NULL;
		r = jc_value(&c, j, 0, &v);
		if (r == 0)
			*ret = v;
		json_decref(j);
	}
	cc_buf_free(&clean);
	return r;
}

int rv_from_jansson(rarena *a, const json_t *j, const rv **ret, cc_error **err)
{
	struct jconv c = {a, NULL, err};
	const rv *v = NULL;
	int r = jc_value(&c, j, 0, &v);
	if (r == 0)
		*ret = v;
	return r;
}

bool rv_json_valid(const char *txt, size_t n)
{
	if (n > CC_REGO_MAX_JSON_BYTES)
		return false;
	cc_buf clean;
	cc_buf_init(&clean, 0);
	if (json_prepare(&txt, &n, &clean) < 0) {
		cc_buf_free(&clean);
		return false;
	}
	json_error_t je;
	json_t *j = json_load(txt, n, JSON_FLAGS, &je);
	cc_buf_free(&clean);
	json_decref(j);
	return j != NULL;
}

/* ---- rv -> jansson ---- */

static json_t *tj_value(const rv *x, int depth);

static json_t *tj_string(const char *p, size_t n)
{
	if (rutf8_valid(p, n))
		return json_stringn_nocheck(p, n);
	cc_buf b;
	cc_buf_init(&b, 0);
	json_t *j = rutf8_sanitize(p, n, &b) == 0 ? json_stringn_nocheck(b.p ? b.p : "", b.len) : NULL;
	cc_buf_free(&b);
	return j;
}

static int tj_set_member(json_t *o, const rv *k, json_t *v)
{
	cc_buf kb;
	cc_buf_init(&kb, 0);
	int r = 0;
	const char *kp;
	size_t kn;
	if (k->t == RV_STR && rutf8_valid(k->u.s.p, k->u.s.n)) {
		kp = k->u.s.p, kn = k->u.s.n;
	} else {
		r = k->t == RV_STR ? rutf8_sanitize(k->u.s.p, k->u.s.n, &kb)
		                   : rv_to_go_json(k, &kb, "", NULL);
		kp = kb.p ? kb.p : "", kn = kb.len;
	}
	if (r == 0 && json_object_setn_new_nocheck(o, kp, kn, v) < 0)
		r = -ENOMEM;
	else if (r < 0)
		json_decref(v);
	cc_buf_free(&kb);
	return r;
}

static json_t *tj_value(const rv *x, int depth)
{
	if (depth > ENCODE_MAX_DEPTH)
		return NULL;
	switch (x->t) {
	case RV_NULL:
		return json_null();
	case RV_BOOL:
		return json_boolean(x->u.b);
	case RV_NUM:
		if (x->nk == RN_INT)
			return json_integer((json_int_t)x->u.i);
		return json_real((double)rv_num_ld(x));
	case RV_STR:
		return tj_string(x->u.s.p, x->u.s.n);
	case RV_ARR:
	case RV_SET: {
		json_t *a = json_array();
		for (size_t i = 0; a && i < x->u.a.n; i++) {
			json_t *e = tj_value(x->u.a.v[i], depth + 1);
			if (e == NULL || json_array_append_new(a, e) < 0) {
				json_decref(a);
				a = NULL;
			}
		}
		return a;
	}
	case RV_OBJ: {
		json_t *o = json_object();
		for (size_t i = 0; o && i < x->u.o.n; i++) {
			json_t *e = tj_value(x->u.o.v[i], depth + 1);
			if (e == NULL || tj_set_member(o, x->u.o.k[i], e) < 0) {
				json_decref(o);
				o = NULL;
			}
		}
		return o;
	}
	}
	return NULL;
}

json_t *rv_to_jansson(const rv *x)
{
	return tj_value(x, 0);
}

/* ======================================================================
 * YAML scalars, as go-yaml v2's resolve()
 * ==================================================================== */

#define YTAG "tag:yaml.org,2002:"
#define YTAG_STR YTAG "str"
#define YTAG_BOOL YTAG "bool"
#define YTAG_INT YTAG "int"
#define YTAG_FLOAT YTAG "float"
#define YTAG_NULL YTAG "null"
#define YTAG_TIMESTAMP YTAG "timestamp"
#define YTAG_BINARY YTAG "binary"

enum ykind { Y_STR, Y_NULL, Y_BOOL, Y_INT, Y_UINT, Y_FLOAT, Y_TIMESTAMP, Y_SEQ, Y_MAP };

/* A resolved scalar (or the kind of a collection). */
struct yscal {
	enum ykind k;
	const char *s; /* text (Y_STR, Y_TIMESTAMP; also the source text) */
	size_t n;
	bool b;
	int64_t i;
	uint64_t u;
	double f;
};

static bool eq_lit(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static bool in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (eq_lit(s, n, *list))
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

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

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
		unsigned d = is_digit(c) ? (unsigned)(c - '0')
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
		while (i < n && is_digit(s[i]))
			i++;
		if (i == d)
			return false;
	} else {
		size_t d = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == d)
			return false;
		if (i < n && s[i] == '.')
			for (i++; i < n && is_digit(s[i]); i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && is_digit(s[i]))
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
		if (is_digit(s[i])) {
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
	while (*i < n && k < max && is_digit(s[*i])) {
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
	if (*i + 1 < n && (s[*i] == '.' || s[*i] == ',') && is_digit(s[*i + 1]))
		for ((*i)++; *i < n && is_digit(s[*i]); (*i)++)
			;
	return true;
}

/* go-yaml v2's parseTimestamp: time.Parse with "2006-1-2T15:4:5.999999999Z07:00",
 * its 't' twin, "2006-1-2 15:4:5.999999999" and "2006-1-2". */
static bool yaml_timestamp(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_digit(s[i]))
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
static void resolve_plain(const char *s, size_t n, struct yscal *o)
{
	memset(o, 0, sizeof(*o));
	o->k = Y_STR;
	o->s = s;
	o->n = n;
	char c = n ? s[0] : 'N';
	bool digitish = is_digit(c) || c == '+' || c == '-';
	bool mapish = c != '\0' && strchr("yYnNtTfFoO~", c) != NULL;
	if (!digitish && !mapish && c != '.')
		return;
	if (resolve_map(s, n, o) || mapish)
		return;
	resolve_numeric(s, n, c == '.', o);
}

static const char *short_tag(const char *tag, char *buf, size_t n)
{
	size_t pl = strlen(YTAG);
	if (strncmp(tag, YTAG, pl) == 0) {
		snprintf(buf, n, "!!%s", tag + pl);
		return buf;
	}
	return tag;
}

static const char *kind_tag(enum ykind k)
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
static int base64_decode(const char *s, size_t n, cc_buf *out)
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

/* ======================================================================
 * YAML -> values
 * ==================================================================== */

struct yanchor {
	char *name;
	const rv *val;
	struct yscal sc; /* for scalars: the resolved scalar (map keys) */
	uint64_t size;   /* nodes decoded to build it (alias accounting) */
	bool open;
};

struct yconv {
	rarena *a;
	cc_error **err;
	bool exact;          /* keep JSON-number spellings (conformance runner) */
	uint64_t decoded;    /* go-yaml's decodeCount */
	uint64_t aliased;    /* go-yaml's aliasCount */
	struct yanchor *anc; /* event front end */
	size_t nanc, canc;
	size_t *slots; /* open-addressing index into anc (SIZE_MAX: empty) */
	size_t nslots;
};

static int yc_oom(struct yconv *c)
{
	return cc_error_set(c->err, -ENOMEM, "out of memory converting YAML");
}

/* go-yaml v2 decoder's guard against alias bombs. */
static int yc_count(struct yconv *c, uint64_t nodes, bool alias)
{
	c->decoded = c->decoded + nodes < c->decoded ? UINT64_MAX : c->decoded + nodes;
	if (alias)
		c->aliased = c->aliased + nodes < c->aliased ? UINT64_MAX : c->aliased + nodes;
	if (c->aliased <= 100 || c->decoded <= 1000)
		return 0;
	double ratio;
	if (c->decoded <= 400000)
		ratio = 0.99;
	else if (c->decoded >= 4000000)
		ratio = 0.10;
	else
		ratio = 0.99 - 0.89 * ((double)(c->decoded - 400000) / 3600000.0);
	if ((double)c->aliased / (double)c->decoded > ratio)
		return cc_error_set(c->err, -ELOOP, "yaml: document contains excessive aliasing");
	return 0;
}

/* Resolves a scalar as go-yaml v2's decoder: quoted untagged -> string,
 * plain untagged -> resolve(), tagged -> resolve() checked against the tag. */
static int yc_resolve(struct yconv *c, const char *tag, const char *s, size_t n, bool plain,
                      struct yscal *o)
{
	memset(o, 0, sizeof(*o));
	o->k = Y_STR, o->s = s, o->n = n;
	if (tag == NULL || tag[0] == '\0') {
		if (plain)
			resolve_plain(s, n, o);
		return 0;
	}
	if (strcmp(tag, YTAG_BINARY) == 0) {
		cc_buf b;
		cc_buf_init(&b, n);
		int r = base64_decode(s, n, &b);
		if (r == 0) {
			char *d = rarena_strndup(c->a, b.p ? b.p : "", b.len);
			o->s = d, o->n = b.len;
			r = d ? 0 : -ENOMEM;
		}
		cc_buf_free(&b);
		if (r == -ENOMEM)
			return yc_oom(c);
		return r ? cc_error_set(c->err, -EINVAL, "yaml: !!binary value contains invalid base64 data")
		         : 0;
	}
	const char *const resolvable[] = {YTAG_STR, YTAG_BOOL, YTAG_INT, YTAG_FLOAT,
	                                  YTAG_NULL, YTAG_TIMESTAMP, NULL};
	bool ok = false;
	for (size_t i = 0; resolvable[i]; i++)
		ok = ok || strcmp(tag, resolvable[i]) == 0;
	if (!ok || strcmp(tag, YTAG_STR) == 0)
		return 0; /* unknown tags and !!str keep the text */
	resolve_plain(s, n, o);
	const char *rtag = kind_tag(o->k);
	if (strcmp(rtag, tag) == 0)
		return 0;
	if (strcmp(tag, YTAG_FLOAT) == 0 && o->k == Y_INT) {
		o->k = Y_FLOAT, o->f = (double)o->i;
		return 0;
	}
	if (strcmp(tag, YTAG_FLOAT) == 0 && o->k == Y_UINT) {
		o->k = Y_FLOAT, o->f = (double)o->u;
		return 0;
	}
	char b1[64], b2[64];
	return cc_error_set(c->err, -EINVAL, "yaml: cannot decode %s `%.*s` as a %s",
	                    short_tag(rtag, b1, sizeof(b1)), (int)(n > 200 ? 200 : n), s,
	                    short_tag(tag, b2, sizeof(b2)));
}

/* Value of a resolved scalar, after the JSON round trip OPA does. */
static int yc_scalar_value(struct yconv *c, const struct yscal *sc, const rv **ret)
{
	cc_buf b;
	int r = 0;
	switch (sc->k) {
	case Y_NULL:
		*ret = rv_null();
		return 0;
	case Y_BOOL:
		*ret = rv_bool(sc->b);
		return 0;
	case Y_INT:
	case Y_UINT:
	case Y_FLOAT:
		if (c->exact && rv_num_parse(c->a, sc->s, sc->n) != NULL)
			return num_from_text(c->a, sc->s, sc->n, ret, c->err);
		if (sc->k == Y_INT) {
			*ret = rv_int(c->a, sc->i);
			return *ret ? 0 : yc_oom(c);
		}
		if (sc->k == Y_FLOAT && (isnan(sc->f) || isinf(sc->f))) {
			*ret = NULL; /* fine as a map key; yc_need() refuses it as a value */
			return 0;
		}
		cc_buf_init(&b, 0);
		r = sc->k == Y_UINT ? cc_buf_printf(&b, "%llu", (unsigned long long)sc->u)
		                    : go_json_float(sc->f, &b);
		r = r < 0 ? yc_oom(c) : num_from_text(c->a, b.p, b.len, ret, c->err);
		cc_buf_free(&b);
		return r;
	default:
		if (rutf8_valid(sc->s, sc->n)) {
			*ret = rv_str(c->a, sc->s, sc->n);
			return *ret ? 0 : yc_oom(c);
		}
		cc_buf_init(&b, 0);
		r = rutf8_sanitize(sc->s, sc->n, &b);
		*ret = r == 0 ? rv_str(c->a, b.p ? b.p : "", b.len) : NULL;
		cc_buf_free(&b);
		return *ret ? 0 : yc_oom(c);
	}
}

/* A node's value where a value is needed: NaN and infinities have none
 * (encoding/json refuses them, after go-yaml accepted them). */
static int yc_need(struct yconv *c, const rv *v, const struct yscal *sc)
{
	if (v)
		return 0;
	return cc_error_set(c->err, -EINVAL, "json: unsupported value: %s",
	                    isnan(sc->f) ? "NaN" : sc->f > 0 ? "+Inf" : "-Inf");
}

/* Mapping key as sigs.k8s.io/yaml turns go-yaml's keys into strings. */
static int yc_key(struct yconv *c, const struct yscal *sc, const rv **ret)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = 0;
	switch (sc->k) {
	case Y_STR:
	case Y_TIMESTAMP:
		return yc_scalar_value(c, sc, ret);
	case Y_INT:
		r = cc_buf_printf(&b, "%lld", (long long)sc->i);
		break;
	case Y_BOOL:
		r = cc_buf_adds(&b, sc->b ? "true" : "false");
		break;
	case Y_FLOAT:
		if (isnan(sc->f))
			r = cc_buf_adds(&b, ".nan");
		else if (isinf(sc->f))
			r = cc_buf_adds(&b, sc->f > 0 ? ".inf" : "-.inf");
		else
			r = go_fmt_g(sc->f, true, &b);
		break;
	case Y_UINT:
		return cc_error_set(c->err, -EINVAL, "unsupported map key of type: uint64");
	case Y_NULL:
		return cc_error_set(c->err, -EINVAL, "unsupported map key of type: <nil>");
	default:
		return cc_error_set(c->err, -EINVAL, "yaml: invalid map key");
	}
	*ret = r == 0 ? rv_str(c->a, b.p ? b.p : "", b.len) : NULL;
	cc_buf_free(&b);
	return *ret ? 0 : yc_oom(c);
}

/* Key/value assignments of one mapping, in order (last one wins). */
struct ymap {
	rvec keys;
	rvec vals;
};

static int ymap_set(struct yconv *c, struct ymap *m, const rv *k, const rv *v)
{
	if (m->keys.n >= CC_REGO_MAX_BUILTIN_ELEMS)
		return cc_error_set(c->err, -E2BIG, "yaml: mapping too large");
	if (rvec_push(&m->keys, k) < 0 || rvec_push(&m->vals, v) < 0)
		return yc_oom(c);
	return 0;
}

/* go-yaml v2's merge ("<<"): a mapping, or a sequence of mappings where
 * earlier ones take precedence. Existing keys are overwritten. */
static int ymap_merge(struct yconv *c, struct ymap *m, const rv *v)
{
	if (v->t == RV_OBJ) {
		for (size_t i = 0; i < v->u.o.n; i++) {
			int r = ymap_set(c, m, v->u.o.k[i], v->u.o.v[i]);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (v->t == RV_ARR) {
		for (size_t i = v->u.a.n; i-- > 0;)
			if (v->u.a.v[i]->t != RV_OBJ)
				return cc_error_set(c->err, -EINVAL, "yaml: map merge requires map or sequence of maps as the value");
		for (size_t i = v->u.a.n; i-- > 0;) {
			int r = ymap_merge(c, m, v->u.a.v[i]);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return cc_error_set(c->err, -EINVAL, "yaml: map merge requires map or sequence of maps as the value");
}

struct kvidx {
	const rv *k;
	size_t idx;
};

static int kvidx_cmp(const void *a, const void *b)
{
	const struct kvidx *x = a, *y = b;
	int r = rv_cmp(x->k, y->k);
	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Builds the object, keeping the last assignment of every key. */
static int ymap_finish(struct yconv *c, struct ymap *m, const rv **ret)
{
	size_t n = m->keys.n;
	struct kvidx *t = rarena_nalloc(c->a, n ? n : 1, sizeof(*t));
	const rv **k = rarena_nalloc(c->a, n ? n : 1, sizeof(*k));
	const rv **v = rarena_nalloc(c->a, n ? n : 1, sizeof(*v));
	if (t == NULL || k == NULL || v == NULL)
		return yc_oom(c);
	for (size_t i = 0; i < n; i++)
		t[i].k = m->keys.v[i], t[i].idx = i;
	qsort(t, n, sizeof(*t), kvidx_cmp);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && rv_cmp(t[i].k, t[i + 1].k) == 0)
			continue;
		k[o] = t[i].k;
		v[o] = m->vals.v[t[i].idx];
		o++;
	}
	*ret = rv_obj(c->a, k, v, o, NULL);
	return *ret ? 0 : yc_oom(c);
}

static bool is_merge_key(const char *tag, const char *s, size_t n, bool plain)
{
	if (!eq_lit(s, n, "<<"))
		return false;
	return (plain && (tag == NULL || tag[0] == '\0')) ||
	       (tag && strcmp(tag, YTAG "merge") == 0);
}

/* go-yaml v2's parser error: "yaml: line N: problem". */
static int yaml_parser_err(yaml_parser_t *p, cc_error **err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return cc_error_set(err, -ENOMEM, "yaml: out of memory");
	size_t line = 0;
	if (p->problem_mark.line != 0) {
		line = p->problem_mark.line;
		if (p->error == YAML_SCANNER_ERROR)
			line++;
	} else if (p->context_mark.line != 0) {
		line = p->context_mark.line;
	}
	const char *msg = p->problem ? p->problem : "unknown problem parsing YAML content";
	if (line)
		return cc_error_set(err, -EINVAL, "yaml: line %zu: %s", line, msg);
	return cc_error_set(err, -EINVAL, "yaml: %s", msg);
}

/* ---- event front end (rv_from_yaml_text) ---- */

struct yev {
	struct yconv *c;
	yaml_parser_t *p;
};

static size_t anc_hash(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static int anc_rehash(struct yconv *c, size_t nslots)
{
	size_t *s = malloc(nslots * sizeof(*s));
	if (s == NULL)
		return yc_oom(c);
	for (size_t i = 0; i < nslots; i++)
		s[i] = SIZE_MAX;
	for (size_t i = 0; i < c->nanc; i++) {
		size_t h = anc_hash(c->anc[i].name) & (nslots - 1);
		while (s[h] != SIZE_MAX && strcmp(c->anc[s[h]].name, c->anc[i].name) != 0)
			h = (h + 1) & (nslots - 1);
		s[h] = i; /* later definitions replace earlier ones */
	}
	free(c->slots);
	c->slots = s;
	c->nslots = nslots;
	return 0;
}

static struct yanchor *anc_find(struct yconv *c, const char *name)
{
	if (c->nslots == 0)
		return NULL;
	size_t h = anc_hash(name) & (c->nslots - 1);
	while (c->slots[h] != SIZE_MAX) {
		if (strcmp(c->anc[c->slots[h]].name, name) == 0)
			return &c->anc[c->slots[h]];
		h = (h + 1) & (c->nslots - 1);
	}
	return NULL;
}

/* Registers (or re-defines) an anchor; returns its index. */
static int anc_add(struct yconv *c, const char *name, size_t *idx)
{
	if (c->nanc == c->canc) {
		size_t nc = c->canc ? c->canc * 2 : 16;
		struct yanchor *na = realloc(c->anc, nc * sizeof(*na));
		if (na == NULL)
			return yc_oom(c);
		c->anc = na;
		c->canc = nc;
	}
	struct yanchor *a = &c->anc[c->nanc];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	if (a->name == NULL)
		return yc_oom(c);
	a->open = true;
	*idx = c->nanc++;
	if (c->nanc * 2 > c->nslots)
		return anc_rehash(c, c->nslots ? c->nslots * 2 : 64);
	size_t h = anc_hash(name) & (c->nslots - 1);
	while (c->slots[h] != SIZE_MAX && strcmp(c->anc[c->slots[h]].name, name) != 0)
		h = (h + 1) & (c->nslots - 1);
	c->slots[h] = *idx;
	return 0;
}

static void anc_free(struct yconv *c)
{
	for (size_t i = 0; i < c->nanc; i++)
		free(c->anc[i].name);
	free(c->anc);
	free(c->slots);
}

static int ye_next(struct yev *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(y->p, ev))
		return yaml_parser_err(y->p, y->c->err);
	return 0;
}

/* Converts the node starting with ev (consumed). *sc gets the resolved
 * scalar (or Y_SEQ / Y_MAP), *size the nodes decoded. */
static int ye_node(struct yev *y, yaml_event_t *ev, unsigned depth, const rv **ret,
                   struct yscal *sc, uint64_t *size);

static int ye_item(struct yev *y, struct ymap *m, yaml_event_t *ev, unsigned depth,
                   uint64_t *size)
{
	const rv *v;
	struct yscal sc;
	uint64_t sz = 0;
	int r = ye_node(y, ev, depth + 1, &v, &sc, &sz);
	if (r == 0)
		r = yc_need(y->c, v, &sc);
	if (r < 0)
		return r;
	*size += sz;
	if (m->keys.n >= CC_REGO_MAX_BUILTIN_ELEMS)
		return cc_error_set(y->c->err, -E2BIG, "yaml: sequence too large");
	return rvec_push(&m->keys, v) < 0 ? yc_oom(y->c) : 0;
}

static int ye_pair(struct yev *y, struct ymap *m, yaml_event_t *ev, unsigned depth,
                   uint64_t *size)
{
	struct yconv *c = y->c;
	bool merge = ev->type == YAML_SCALAR_EVENT &&
	             is_merge_key((const char *)ev->data.scalar.tag,
	                          (const char *)ev->data.scalar.value, ev->data.scalar.length,
	                          ev->data.scalar.plain_implicit != 0);
	const rv *k, *v;
	struct yscal ks, vs;
	uint64_t ksz = 0, vsz = 0;
	yaml_event_t vev;
	int r = ye_node(y, ev, depth + 1, &k, &ks, &ksz);
	if (r == 0)
		r = ye_next(y, &vev);
	if (r == 0)
		r = ye_node(y, &vev, depth + 1, &v, &vs, &vsz);
	if (r == 0)
		r = yc_need(c, v, &vs);
	if (r < 0)
		return r;
	*size += ksz + vsz;
	if (merge)
		return ymap_merge(c, m, v);
	if (ks.k == Y_SEQ || ks.k == Y_MAP)
		return cc_error_set(c->err, -EINVAL, "yaml: invalid map key");
	if ((r = yc_key(c, &ks, &k)) < 0)
		return r;
	return ymap_set(c, m, k, v);
}

static int ye_collection(struct yev *y, bool map, unsigned depth, const rv **ret, uint64_t *size)
{
	struct yconv *c = y->c;
	struct ymap m;
	rvec_init(&m.keys, c->a);
	rvec_init(&m.vals, c->a);
	*size = 1;
	for (;;) {
		yaml_event_t ev;
		int r = ye_next(y, &ev);
		if (r < 0)
			return r;
		if (ev.type == (map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
			yaml_event_delete(&ev);
			break;
		}
		r = map ? ye_pair(y, &m, &ev, depth, size) : ye_item(y, &m, &ev, depth, size);
		if (r < 0)
			return r;
	}
	if (!map) {
		*ret = rvec_to_arr(&m.keys);
		return *ret ? 0 : yc_oom(c);
	}
	return ymap_finish(c, &m, ret);
}

static int ye_alias(struct yev *y, const char *name, const rv **ret, struct yscal *sc,
                    uint64_t *size)
{
	struct yconv *c = y->c;
	struct yanchor *a = anc_find(c, name);
	if (a == NULL)
		return cc_error_set(c->err, -EINVAL, "yaml: unknown anchor '%.200s' referenced", name);
	if (a->open)
		return cc_error_set(c->err, -ELOOP, "yaml: anchor '%.200s' value contains itself", name);
	*ret = a->val;
	*sc = a->sc;
	*size = a->size;
	return yc_count(c, a->size, true);
}

static int ye_node(struct yev *y, yaml_event_t *ev, unsigned depth, const rv **ret,
                   struct yscal *sc, uint64_t *size)
{
	struct yconv *c = y->c;
	int r = 0;
	const char *anchor = NULL;
	size_t ai = SIZE_MAX;
	memset(sc, 0, sizeof(*sc));
	*size = 1;
	if (depth > CC_REGO_MAX_JSON_DEPTH) {
		r = cc_error_set(c->err, -ELOOP, "yaml: nesting deeper than %u levels",
		                 CC_REGO_MAX_JSON_DEPTH);
		goto out;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		r = ye_alias(y, (const char *)ev->data.alias.anchor, ret, sc, size);
		goto out;
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = (const char *)ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = (const char *)ev->data.mapping_start.anchor;
		break;
	default:
		r = cc_error_set(c->err, -EINVAL, "yaml: unexpected event");
		goto out;
	}
	if (anchor && (r = anc_add(c, anchor, &ai)) < 0)
		goto out;
	if ((r = yc_count(c, 1, false)) < 0)
		goto out;
	if (ev->type == YAML_SCALAR_EVENT) {
		const char *v = rarena_strndup(c->a, (const char *)ev->data.scalar.value,
		                               ev->data.scalar.length);
		r = v == NULL ? yc_oom(c)
		              : yc_resolve(c, (const char *)ev->data.scalar.tag, v, ev->data.scalar.length,
		                           ev->data.scalar.plain_implicit != 0, sc);
		if (r == 0)
			r = yc_scalar_value(c, sc, ret);
	} else {
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		sc->k = map ? Y_MAP : Y_SEQ;
		r = ye_collection(y, map, depth, ret, size);
	}
	if (r == 0 && ai != SIZE_MAX) {
		c->anc[ai].val = *ret;
		c->anc[ai].sc = *sc;
		c->anc[ai].size = *size;
		c->anc[ai].open = false;
	}
out:
	yaml_event_delete(ev);
	return r;
}

/* Reads the first document of the stream (go-yaml v2's Unmarshal). */
static int ye_document(struct yev *y, const rv **ret)
{
	yaml_event_t ev;
	int r = ye_next(y, &ev);
	if (r < 0)
		return r;
	bool start = ev.type == YAML_STREAM_START_EVENT;
	yaml_event_delete(&ev);
	if (!start)
		return cc_error_set(y->c->err, -EINVAL, "yaml: expected stream start");
	if ((r = ye_next(y, &ev)) < 0)
		return r;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		*ret = rv_null();
		return 0;
	}
	yaml_event_delete(&ev);
	if ((r = ye_next(y, &ev)) < 0)
		return r;
	struct yscal sc;
	uint64_t size;
	if ((r = ye_node(y, &ev, 0, ret, &sc, &size)) < 0 || (r = yc_need(y->c, *ret, &sc)) < 0)
		return r;
	if ((r = ye_next(y, &ev)) < 0) /* document end */
		return r;
	yaml_event_delete(&ev);
	return 0;
}

int rv_from_yaml_text(rarena *a, const char *txt, size_t n, const rv **ret, cc_error **err)
{
	if (n > CC_REGO_MAX_JSON_BYTES)
		return cc_error_set(err, -E2BIG, "YAML document of %zu bytes is over the %u byte limit",
		                    n, CC_REGO_MAX_JSON_BYTES);
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return cc_error_set(err, -ENOMEM, "yaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)txt, n);
	struct yconv c = {.a = a, .err = err};
	struct yev y = {&c, &p};
	const rv *v = NULL;
	int r = ye_document(&y, &v);
	if (r == 0)
		*ret = v;
	anc_free(&c);
	yaml_parser_delete(&p);
	return r;
}

/* ---- document front end (rv_from_yaml_node) ---- */

struct ydoc {
	struct yconv *c;
	yaml_document_t *doc;
	size_t nnodes;
	unsigned char *state; /* 0 new, 1 in progress, 2 done */
	const rv **val;
	struct yscal *sc;
	uint64_t *size;
};

static int yd_node(struct ydoc *d, yaml_node_t *node, unsigned depth, size_t *idx);

/* The document API gives untagged scalars the default !!str tag. */
static const char *yd_tag(const yaml_node_t *nd)
{
	const char *tag = (const char *)nd->tag;
	return tag && strcmp(tag, YTAG_STR) == 0 ? NULL : tag;
}

static int yd_scalar(struct ydoc *d, yaml_node_t *nd, size_t i)
{
	struct yconv *c = d->c;
	const char *v = rarena_strndup(c->a, (const char *)nd->data.scalar.value,
	                               nd->data.scalar.length);
	if (v == NULL)
		return yc_oom(c);
	int r = yc_resolve(c, yd_tag(nd), v, nd->data.scalar.length,
	                   nd->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, &d->sc[i]);
	return r ? r : yc_scalar_value(c, &d->sc[i], &d->val[i]);
}

static int yd_collection(struct ydoc *d, yaml_node_t *nd, unsigned depth, size_t i)
{
	struct yconv *c = d->c;
	struct ymap m;
	rvec_init(&m.keys, c->a);
	rvec_init(&m.vals, c->a);
	int r = 0;
	d->size[i] = 1;
	if (nd->type == YAML_SEQUENCE_NODE) {
		d->sc[i].k = Y_SEQ;
		for (yaml_node_item_t *it = nd->data.sequence.items.start;
		     r == 0 && it < nd->data.sequence.items.top; it++) {
			size_t ci;
			r = yd_node(d, yaml_document_get_node(d->doc, *it), depth + 1, &ci);
			if (r == 0)
				r = yc_need(c, d->val[ci], &d->sc[ci]);
			if (r == 0 && rvec_push(&m.keys, d->val[ci]) < 0)
				r = yc_oom(c);
			if (r == 0)
				d->size[i] += d->size[ci];
		}
		if (r == 0 && (d->val[i] = rvec_to_arr(&m.keys)) == NULL)
			r = yc_oom(c);
		return r;
	}
	d->sc[i].k = Y_MAP;
	for (yaml_node_pair_t *pr = nd->data.mapping.pairs.start;
	     r == 0 && pr < nd->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(d->doc, pr->key);
		size_t ki, vi;
		r = yd_node(d, kn, depth + 1, &ki);
		if (r == 0)
			r = yd_node(d, yaml_document_get_node(d->doc, pr->value), depth + 1, &vi);
		if (r == 0)
			r = yc_need(c, d->val[vi], &d->sc[vi]);
		if (r < 0)
			break;
		d->size[i] += d->size[ki] + d->size[vi];
		const rv *k;
		if (kn->type == YAML_SCALAR_NODE &&
		    is_merge_key(yd_tag(kn), (const char *)kn->data.scalar.value, kn->data.scalar.length,
		                 kn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE))
			r = ymap_merge(c, &m, d->val[vi]);
		else if (d->sc[ki].k == Y_SEQ || d->sc[ki].k == Y_MAP)
			r = cc_error_set(c->err, -EINVAL, "yaml: invalid map key");
		else if ((r = yc_key(c, &d->sc[ki], &k)) == 0)
			r = ymap_set(c, &m, k, d->val[vi]);
	}
	return r ? r : ymap_finish(c, &m, &d->val[i]);
}

static int yd_node(struct ydoc *d, yaml_node_t *nd, unsigned depth, size_t *idx)
{
	struct yconv *c = d->c;
	if (nd == NULL)
		return cc_error_set(c->err, -EINVAL, "yaml: missing node");
	size_t i = (size_t)(nd - d->doc->nodes.start);
	*idx = i;
	if (depth > CC_REGO_MAX_JSON_DEPTH)
		return cc_error_set(c->err, -ELOOP, "yaml: nesting deeper than %u levels",
		                    CC_REGO_MAX_JSON_DEPTH);
	if (d->state[i] == 2) /* shared through an alias */
		return yc_count(c, d->size[i], true);
	if (d->state[i] == 1)
		return cc_error_set(c->err, -ELOOP, "yaml: anchor value contains itself");
	d->state[i] = 1;
	int r = yc_count(c, 1, false);
	if (r == 0 && nd->type == YAML_SCALAR_NODE) {
		d->size[i] = 1;
		r = yd_scalar(d, nd, i);
	} else if (r == 0) {
		r = yd_collection(d, nd, depth, i);
	}
	d->state[i] = r == 0 ? 2 : 1;
	return r;
}

int rv_from_yaml_node(rarena *a, struct yaml_document_s *doc, struct yaml_node_s *node,
                      const rv **ret, cc_error **err)
{
	struct yconv c = {.a = a, .err = err, .exact = true};
	if (node == NULL) {
		*ret = rv_null();
		return 0;
	}
	struct ydoc d = {&c, doc, (size_t)(doc->nodes.top - doc->nodes.start), NULL, NULL, NULL, NULL};
	size_t nn = d.nnodes ? d.nnodes : 1;
	d.state = calloc(nn, 1);
	d.val = calloc(nn, sizeof(*d.val));
	d.sc = calloc(nn, sizeof(*d.sc));
	d.size = calloc(nn, sizeof(*d.size));
	int r;
	if (!d.state || !d.val || !d.sc || !d.size) {
		r = yc_oom(&c);
	} else {
		size_t i;
		r = yd_node(&d, node, 0, &i);
		if (r == 0)
			r = yc_need(&c, d.val[i], &d.sc[i]);
		if (r == 0)
			*ret = d.val[i];
	}
	free(d.state);
	free(d.val);
	free(d.sc);
	free(d.size);
	return r;
}

/* ======================================================================
 * Values -> YAML (yaml.marshal: JSON text re-read by go-yaml v2, then
 * go-yaml's Marshal)
 * ==================================================================== */

struct yemit {
	yaml_emitter_t em;
	cc_buf *out;
	int err;
};

static int ym_write(void *data, unsigned char *buf, size_t n)
{
	struct yemit *y = data;
	int r = cc_buf_add(y->out, buf, n);
	if (r < 0)
		y->err = r;
	return r == 0;
}

static int ym_emit(struct yemit *y, yaml_event_t *ev, int ok)
{
	if (!ok)
		return -ENOMEM;
	if (!yaml_emitter_emit(&y->em, ev))
		return y->err ? y->err : y->em.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	return 0;
}

static int ym_scalar(struct yemit *y, const char *s, size_t n, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s,
	                                      (int)n, 1, 1, style);
	return ym_emit(y, &ev, ok);
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool base60_float(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !(s[0] == '+' || s[0] == '-' || is_digit(s[0])) || !memchr(s, ':', n))
		return false;
	if (s[i] == '+' || s[i] == '-')
		i++;
	if (i >= n || !is_digit(s[i]))
		return false;
	while (i < n && (is_digit(s[i]) || s[i] == '_'))
		i++;
	size_t groups = 0;
	while (i < n && s[i] == ':') {
		i++;
		size_t d = 0;
		while (i < n && is_digit(s[i]) && d < 2)
			i++, d++;
		if (d == 0 || (d == 2 && s[i - 2] > '5'))
			return false;
		groups++;
	}
	if (groups == 0)
		return false;
	if (i < n && s[i] == '.')
		for (i++; i < n && (is_digit(s[i]) || s[i] == '_'); i++)
			;
	return i == n;
}

/* go-yaml v2 stringv: literal if multi-line, plain if it reads back as a
 * string, else double-quoted (the emitter may still pick another style). */
static int ym_string(struct yemit *y, const char *p, size_t n)
{
	cc_buf clean;
	cc_buf_init(&clean, 0);
	if (!rutf8_valid(p, n)) {
		int r = rutf8_sanitize(p, n, &clean);
		if (r < 0)
			return r;
		p = clean.p, n = clean.len;
	}
	struct yscal sc;
	resolve_plain(p, n, &sc);
	yaml_scalar_style_t st = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (memchr(p, '\n', n))
		st = YAML_LITERAL_SCALAR_STYLE;
	else if (sc.k == Y_STR && !base60_float(p, n))
		st = YAML_PLAIN_SCALAR_STYLE;
	int r = ym_scalar(y, p ? p : "", n, st);
	cc_buf_free(&clean);
	return r;
}

/* A number as go-yaml reads its JSON spelling back: int, uint or float64
 * (printed with %g), or a string when out of float64 range. */
static int ym_number(struct yemit *y, const rv *x)
{
	cc_buf t, o;
	cc_buf_init(&t, 0);
	cc_buf_init(&o, 0);
	int r = rv_num_to_text(x, &t);
	struct yscal sc;
	if (r == 0)
		resolve_plain(t.p, t.len, &sc);
	if (r == 0 && sc.k == Y_INT)
		r = cc_buf_printf(&o, "%lld", (long long)sc.i);
	else if (r == 0 && sc.k == Y_UINT)
		r = cc_buf_printf(&o, "%llu", (unsigned long long)sc.u);
	else if (r == 0 && sc.k == Y_FLOAT)
		r = go_fmt_g(sc.f, false, &o);
	if (r == 0)
		r = sc.k == Y_STR ? ym_string(y, t.p, t.len)
		                  : ym_scalar(y, o.p, o.len, YAML_PLAIN_SCALAR_STYLE);
	cc_buf_free(&t);
	cc_buf_free(&o);
	return r;
}

static bool rune_is_letter(uint32_t c)
{
	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	/* go-yaml asks unicode.IsLetter; outside ASCII we count everything but
	 * the C1 controls and common punctuation/space blocks as letters. */
	return !(c < 0xC0 || (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F));
}

static bool rune_is_digit(uint32_t c) { return c >= '0' && c <= '9'; }

struct runes {
	uint32_t *r;
	size_t n;
};

static int to_runes(const char *p, size_t n, struct runes *o)
{
	o->r = malloc((n ? n : 1) * sizeof(*o->r));
	if (o->r == NULL)
		return -ENOMEM;
	o->n = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += rutf8_decode((const unsigned char *)p + i, n - i, &cp);
		o->r[o->n++] = cp;
	}
	return 0;
}

/* go-yaml v2 keyList.Less for two string keys ("natural" order). */
static bool natural_less(const struct runes *a, const struct runes *b)
{
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		uint32_t x = a->r[i], y = b->r[i];
		if (x == y)
			continue;
		bool al = rune_is_letter(x), bl = rune_is_letter(y);
		if (al && bl)
			return x < y;
		if (al || bl)
			return bl;
		uint64_t an = 0, bn = 0; /* Go's int64 arithmetic wraps */
		if (x == '0' || y == '0') {
			for (size_t j = i; j-- > 0 && rune_is_digit(a->r[j]);) {
				if (a->r[j] != '0') {
					an = 1, bn = 1;
					break;
				}
			}
		}
		size_t ai = i, bi = i;
		for (; ai < a->n && rune_is_digit(a->r[ai]); ai++)
			an = an * 10 + (a->r[ai] - '0');
		for (; bi < b->n && rune_is_digit(b->r[bi]); bi++)
			bn = bn * 10 + (b->r[bi] - '0');
		if (an != bn)
			return (int64_t)an < (int64_t)bn;
		if (ai != bi)
			return ai < bi;
		return x < y;
	}
	return a->n < b->n;
}

struct ymkey {
	const char *k;
	size_t kn;
	size_t idx;
	struct runes r;
};

static int ym_value(struct yemit *y, const rv *x, int depth);

/* Stable merge sort by natural_less (go-yaml sorts with sort.Sort; the
 * order only differs for keys natural_less cannot tell apart). */
static void ym_msort(struct ymkey *k, struct ymkey *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	ym_msort(k, tmp, h);
	ym_msort(k + h, tmp, n - h);
	size_t i = 0, j = h, o = 0;
	while (i < h && j < n)
		tmp[o++] = natural_less(&k[j].r, &k[i].r) ? k[j++] : k[i++];
	while (i < h)
		tmp[o++] = k[i++];
	while (j < n)
		tmp[o++] = k[j++];
	memcpy(k, tmp, n * sizeof(*k));
}

static int ym_object(struct yemit *y, const rv *x, int depth)
{
	struct keytexts kt;
	struct gjkey *uk = NULL;
	struct ymkey *keys = NULL, *tmp = NULL;
	size_t m = 0;
	int r = keytexts_build(x, true, &kt);
	if (r == 0)
		r = keys_sorted_unique(&kt, x->u.o.n, &uk, &m);
	if (r == 0) {
		keys = calloc(m ? m : 1, sizeof(*keys));
		tmp = calloc(m ? m : 1, sizeof(*tmp));
		r = keys && tmp ? 0 : -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < m; i++) {
		keys[i].k = uk[i].k, keys[i].kn = uk[i].kn, keys[i].idx = uk[i].idx;
		r = to_runes(keys[i].k, keys[i].kn, &keys[i].r);
	}
	if (r == 0)
		ym_msort(keys, tmp, m);
	yaml_event_t ev;
	if (r == 0)
		r = ym_emit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                                       YAML_BLOCK_MAPPING_STYLE));
	for (size_t i = 0; r == 0 && i < m; i++) {
		r = ym_string(y, keys[i].k, keys[i].kn);
		if (r == 0)
			r = ym_value(y, x->u.o.v[keys[i].idx], depth + 1);
	}
	if (r == 0)
		r = ym_emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
	for (size_t i = 0; keys && i < m; i++)
		free(keys[i].r.r);
	free(keys);
	free(tmp);
	free(uk);
	keytexts_free(&kt);
	return r;
}

static int ym_value(struct yemit *y, const rv *x, int depth)
{
	if (depth > ENCODE_MAX_DEPTH)
		return -ELOOP;
	yaml_event_t ev;
	int r = 0;
	switch (x->t) {
	case RV_NULL:
		return ym_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	case RV_BOOL:
		return x->u.b ? ym_scalar(y, "true", 4, YAML_PLAIN_SCALAR_STYLE)
		              : ym_scalar(y, "false", 5, YAML_PLAIN_SCALAR_STYLE);
	case RV_NUM:
		return ym_number(y, x);
	case RV_STR:
		return ym_string(y, x->u.s.p, x->u.s.n);
	case RV_ARR:
	case RV_SET:
		r = ym_emit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                                        YAML_BLOCK_SEQUENCE_STYLE));
		for (size_t i = 0; r == 0 && i < x->u.a.n; i++)
			r = ym_value(y, x->u.a.v[i], depth + 1);
		return r ? r : ym_emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
	case RV_OBJ:
		return ym_object(y, x, depth);
	}
	return -EINVAL;
}

int rv_to_yaml(const rv *x, cc_buf *out)
{
	struct yemit y = {.out = out};
	if (!yaml_emitter_initialize(&y.em))
		return -ENOMEM;
	yaml_emitter_set_output(&y.em, ym_write, &y);
	yaml_emitter_set_unicode(&y.em, 1);
	yaml_event_t ev;
	int r = ym_emit(&y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	if (r == 0)
		r = ym_emit(&y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	if (r == 0)
		r = ym_value(&y, x, 0);
	if (r == 0)
		r = ym_emit(&y, &ev, yaml_document_end_event_initialize(&ev, 1));
	if (r == 0)
		r = ym_emit(&y, &ev, yaml_stream_end_event_initialize(&ev));
	if (r == 0 && !yaml_emitter_flush(&y.em))
		r = y.err ? y.err : -ENOMEM;
	yaml_emitter_delete(&y.em);
	return r;
}
