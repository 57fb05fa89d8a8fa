/* JSON text in (convert.h), as Go's encoding/json with UseNumber: jansson
 * checks the syntax and builds the tree, then every number is taken from
 * its own spelling in the text, so integers stay exact and 1.0 stays 1.0.
 * Invalid UTF-8 and unpaired surrogate escapes become U+FFFD first, as
 * Go's decoder reads them. Also values to jansson (rv_to_jansson). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "convert_int.h"
#include "utf8.h"

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
int cv_num_from_text(rarena *a, const char *t, size_t n, const rv **ret, cc_error **err)
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
		int r = cv_go_json_float(json_real_value(j), &b);
		if (r == 0)
			r = cv_num_from_text(c->a, b.p, b.len, ret, c->err);
		else
			r = jc_oom(c);
		cc_buf_free(&b);
		return r;
	}
	const char *tok;
	size_t len;
	if (!next_number(c->cur, &tok, &len))
		return cc_error_set(c->err, -EINVAL, "JSON number not found in the text");
	return cv_num_from_text(c->a, tok, len, ret, c->err);
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
