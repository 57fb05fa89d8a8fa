/* Encoding builtins (OPA v1/topdown/encoding.go): base64.encode,
 * base64.decode, base64.is_valid, base64url.encode, base64url.decode,
 * base64url.encode_no_pad, hex.encode, hex.decode, urlquery.encode,
 * urlquery.decode, urlquery.encode_object, urlquery.decode_object.
 *
 * Decoders follow Go's encoding/base64 (padding required, '\r' and '\n'
 * ignored, "illegal base64 data at input byte N"), encoding/hex and
 * net/url (QueryEscape, QueryUnescape, ParseQuery, Values.Encode) byte for
 * byte, including their error texts. Decoded strings may hold any bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../hex.h"
#include "../rctx.h"
#include "../utf8.h"
#include "cocoon/limits.h"

#define ENC_MAX ((size_t)CC_REGO_MAX_BUILTIN_ELEMS)

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Arena buffer of exactly n bytes plus NUL; NULL on OOM or over the cap. */
static char *out_alloc(rctx *cx, size_t n)
{
	if (n > ENC_MAX)
		return NULL;
	return rarena_alloc(rctx_arena(cx), n + 1);
}

static int ret_bytes(rctx *cx, char *p, size_t n, const rv **ret)
{
	if (n == 0) {
		*ret = rv_empty_str();
		return 0;
	}
	p[n] = '\0';
	*ret = rv_str_ref(rctx_arena(cx), p, n);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- base64 ----------------------------------------------------------- */

static int b64_encode(rctx *cx, const rv *const *args, const rv **ret, const char *alpha, bool pad)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	if (n > ENC_MAX)
		return rbi_oom(cx);
	size_t full = n / 3, rem = n % 3;
	size_t len = full * 4 + (rem == 0 ? 0 : pad ? 4 : rem + 1);
	char *o = out_alloc(cx, len);
	if (o == NULL)
		return rbi_oom(cx);
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0;
	for (size_t i = 0; i < full * 3; i += 3) {
		uint32_t v = (uint32_t)u[i] << 16 | (uint32_t)u[i + 1] << 8 | u[i + 2];
		o[k++] = alpha[v >> 18 & 63];
		o[k++] = alpha[v >> 12 & 63];
		o[k++] = alpha[v >> 6 & 63];
		o[k++] = alpha[v & 63];
	}
	if (rem) {
		uint32_t v = (uint32_t)u[full * 3] << 16 | (rem == 2 ? (uint32_t)u[full * 3 + 1] << 8 : 0);
		o[k++] = alpha[v >> 18 & 63];
		o[k++] = alpha[v >> 12 & 63];
		if (rem == 2)
			o[k++] = alpha[v >> 6 & 63];
		else if (pad)
			o[k++] = '=';
		if (pad)
			o[k++] = '=';
	}
	return ret_bytes(cx, o, k, ret);
}

static int b64_val(const char *alpha, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (unsigned char)alpha[62])
		return 62;
	if (c == (unsigned char)alpha[63])
		return 63;
	return -1;
}

/* Go base64 decodeQuantum loop (padded encodings). On error, *bad is the
 * offset Go reports and -1 is returned. */
static long b64_decode(const char *alpha, const unsigned char *src, size_t n, unsigned char *dst, size_t *bad)
{
	size_t si = 0, out = 0;
	while (si < n) {
		unsigned char dbuf[4] = {0, 0, 0, 0};
		size_t dlen = 4;
		bool trailing_err = false;
		size_t trailing_at = 0;
		size_t j;
		for (j = 0; j < 4; j++) {
			if (si == n) {
				if (j == 0)
					return (long)out;
				*bad = si - j;
				return -1;
			}
			unsigned char in = src[si++];
			int v = b64_val(alpha, in);
			if (v >= 0) {
				dbuf[j] = (unsigned char)v;
				continue;
			}
			if (in == '\n' || in == '\r') {
				j--;
				continue;
			}
			if (in != '=') {
				*bad = si - 1;
				return -1;
			}
			/* Padding: only after two or three symbols. */
			if (j == 0 || j == 1) {
				*bad = si - 1;
				return -1;
			}
			if (j == 2) {
				while (si < n && (src[si] == '\n' || src[si] == '\r'))
					si++;
				if (si == n) {
					*bad = n;
					return -1;
				}
				if (src[si] != '=') {
					*bad = si - 1;
					return -1;
				}
				si++;
			}
			while (si < n && (src[si] == '\n' || src[si] == '\r'))
				si++;
			if (si < n) {
				trailing_err = true;
				trailing_at = si;
			}
			dlen = j;
			break;
		}
		uint32_t val = (uint32_t)dbuf[0] << 18 | (uint32_t)dbuf[1] << 12 | (uint32_t)dbuf[2] << 6 | dbuf[3];
		unsigned char b[3] = {(unsigned char)(val >> 16), (unsigned char)(val >> 8), (unsigned char)val};
		for (size_t k = 0; k + 1 < dlen; k++)
			dst[out++] = b[k];
		if (trailing_err) {
			*bad = trailing_at;
			return -1;
		}
	}
	return (long)out;
}

static int b64_decode_common(rctx *cx, const char *alpha, const char *s, size_t n, const rv **ret)
{
	char *o = out_alloc(cx, n / 4 * 3 + 3);
	if (o == NULL)
		return rbi_oom(cx);
	size_t bad = 0;
	long k = b64_decode(alpha, (const unsigned char *)s, n, (unsigned char *)o, &bad);
	if (k < 0)
		return rbi_err(cx, "illegal base64 data at input byte %zu", bad);
	return ret_bytes(cx, o, (size_t)k, ret);
}

static int bi_b64_encode(rctx *cx, const rv *const *args, const rv **ret)
{
	return b64_encode(cx, args, ret, b64std, true);
}

static int bi_b64url_encode(rctx *cx, const rv *const *args, const rv **ret)
{
	return b64_encode(cx, args, ret, b64url, true);
}

static int bi_b64url_encode_no_pad(rctx *cx, const rv *const *args, const rv **ret)
{
	return b64_encode(cx, args, ret, b64url, false);
}

static int bi_b64_decode(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	return b64_decode_common(cx, b64std, s, n, ret);
}

static int bi_b64_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	if (args[0]->t != RV_STR) {
		*ret = rv_false();
		return 0;
	}
	const char *s = args[0]->u.s.p;
	size_t n = args[0]->u.s.n;
	unsigned char *tmp = rarena_alloc(rctx_arena(cx), n / 4 * 3 + 4);
	if (tmp == NULL)
		return rbi_oom(cx);
	size_t bad;
	*ret = rv_bool(b64_decode(b64std, (const unsigned char *)s, n, tmp, &bad) >= 0);
	return 0;
}

/* RFC 7515 Appendix C: unpadded input gets its padding back first. */
static int bi_b64url_decode(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	if (n > 0 && s[n - 1] == '=')
		return b64_decode_common(cx, b64url, s, n, ret);
	size_t padn;
	switch (n % 4) {
	case 0: padn = 0; break;
	case 2: padn = 2; break;
	case 3: padn = 1; break;
	default:
		return rbi_err(cx, "illegal base64url string: %.*s", (int)n, s);
	}
	char *p = out_alloc(cx, n + padn);
	if (p == NULL)
		return rbi_oom(cx);
	memcpy(p, s, n);
	memset(p + n, '=', padn);
	return b64_decode_common(cx, b64url, p, n + padn, ret);
}

/* ---- hex ---------------------------------------------------------------- */

static int bi_hex_encode(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	size_t len;
	if (__builtin_mul_overflow(n, 2, &len))
		return rbi_oom(cx);
	char *o = out_alloc(cx, len);
	if (o == NULL)
		return rbi_oom(cx);
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		o[2 * i] = digits[(unsigned char)s[i] >> 4];
		o[2 * i + 1] = digits[(unsigned char)s[i] & 15];
	}
	return ret_bytes(cx, o, len, ret);
}

/* hex.InvalidByteError: "encoding/hex: invalid byte: %#U". */
static int hex_bad_byte(rctx *cx, unsigned char c)
{
	/* Printable per Go's IsPrint for U+0000..U+00FF. */
	bool printable = (c >= 0x20 && c < 0x7F) || (c >= 0xA1 && c != 0xAD);
	if (!printable)
		return rbi_err(cx, "encoding/hex: invalid byte: U+%04X", c);
	char q[RUTF8_MAX];
	size_t qn = rutf8_encode(c, q);
	return rbi_err(cx, "encoding/hex: invalid byte: U+%04X '%.*s'", c, (int)qn, q);
}

static int bi_hex_decode(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	char *o = out_alloc(cx, n / 2);
	if (o == NULL)
		return rbi_oom(cx);
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0, j;
	for (j = 1; j < n; j += 2) {
		int a = rhex_digit(u[j - 1]), b = rhex_digit(u[j]);
		if (a < 0)
			return hex_bad_byte(cx, u[j - 1]);
		if (b < 0)
			return hex_bad_byte(cx, u[j]);
		o[k++] = (char)(a << 4 | b);
	}
	if (n % 2 == 1) {
		if (rhex_digit(u[j - 1]) < 0)
			return hex_bad_byte(cx, u[j - 1]);
		return rbi_err(cx, "encoding/hex: odd length hex string");
	}
	return ret_bytes(cx, o, k, ret);
}

/* ---- net/url query encoding --------------------------------------------- */

static bool query_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == '~';
}

/* Length of url.QueryEscape(s). */
static size_t query_escaped_len(const char *s, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		len += (query_unreserved(c) || c == ' ') ? 1 : 3;
	}
	return len;
}

static size_t query_escape(char *o, const char *s, size_t n)
{
	static const char up[] = "0123456789ABCDEF";
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (query_unreserved(c)) {
			o[k++] = (char)c;
		} else if (c == ' ') {
			o[k++] = '+';
		} else {
			o[k++] = '%';
			o[k++] = up[c >> 4];
			o[k++] = up[c & 15];
		}
	}
	return k;
}

static int bi_url_encode(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	if (n > ENC_MAX)
		return rbi_oom(cx);
	char *o = out_alloc(cx, query_escaped_len(s, n));
	if (o == NULL)
		return rbi_oom(cx);
	return ret_bytes(cx, o, query_escape(o, s, n), ret);
}

/* url.EscapeError text: invalid URL escape "<up to 3 bytes>". */
static int escape_error(rctx *cx, const char *p, size_t n)
{
	cc_buf q;
	cc_buf_init(&q, 0);
	const rv s = {.t = RV_STR, .u.s = {p, n}};
	int r = rv_to_rego(&s, &q);
	if (r < 0) {
		cc_buf_free(&q);
		return rbi_oom(cx);
	}
	r = rbi_err(cx, "invalid URL escape %s", q.p);
	cc_buf_free(&q);
	return r;
}

/* url.QueryUnescape into dst (at least n bytes). Returns the length, or
 * -1 with the offending escape at s[*bad, *bad + *badn). */
static long query_unescape(const char *s, size_t n, char *dst, size_t *bad, size_t *badn)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		if (u[i] == '%') {
			if (i + 2 >= n || rhex_digit(u[i + 1]) < 0 || rhex_digit(u[i + 2]) < 0) {
				*bad = i;
				*badn = n - i > 3 ? 3 : n - i;
				return -1;
			}
			i += 3;
		} else {
			i++;
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (u[i] == '%') {
			dst[k++] = (char)(rhex_digit(u[i + 1]) << 4 | rhex_digit(u[i + 2]));
			i += 3;
		} else {
			dst[k++] = u[i] == '+' ? ' ' : (char)u[i];
			i++;
		}
	}
	return (long)k;
}

static int bi_url_decode(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	char *o = out_alloc(cx, n);
	if (o == NULL)
		return rbi_oom(cx);
	size_t bad, badn;
	long k = query_unescape(s, n, o, &bad, &badn);
	if (k < 0)
		return escape_error(cx, s + bad, badn);
	return ret_bytes(cx, o, (size_t)k, ret);
}

/* One key of url.Values with its values (strings). */
struct qkey {
	const char *k;
	size_t kn;
	const rv *const *v;
	size_t nv;
	const rv *one; /* a single string value */
};

static int qkey_cmp(const void *a, const void *b)
{
	const struct qkey *x = a, *y = b;
	size_t n = x->kn < y->kn ? x->kn : y->kn;
	int c = n ? memcmp(x->k, y->k, n) : 0;
	if (c)
		return c;
	return x->kn < y->kn ? -1 : x->kn > y->kn;
}

/* The key as ast.JSON gives it: strings as they are, others as JSON. */
static int key_text(rctx *cx, const rv *k, const char **p, size_t *n)
{
	if (k->t == RV_STR) {
		*p = k->u.s.p;
		*n = k->u.s.n;
		return 0;
	}
	cc_buf b;
	cc_buf_init(&b, ENC_MAX);
	int r = rv_to_json(k, &b, false);
	if (r == 0) {
		*p = rarena_strndup(rctx_arena(cx), b.p ? b.p : "", b.len);
		*n = b.len;
		if (*p == NULL)
			r = -ENOMEM;
	}
	cc_buf_free(&b);
	return r;
}

static int bi_url_encode_object(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *obj = args[0];
	if (obj->t != RV_OBJ)
		return rbi_type_err(cx, 1, RT_OBJ, obj);
	size_t nk = obj->u.o.n;
	struct qkey *keys = rarena_nalloc(rctx_arena(cx), nk ? nk : 1, sizeof(*keys));
	if (keys == NULL)
		return rbi_oom(cx);
	size_t total = 0;
	for (size_t i = 0; i < nk; i++) {
		const rv *v = obj->u.o.v[i];
		struct qkey *q = &keys[i];
		if (key_text(cx, obj->u.o.k[i], &q->k, &q->kn) < 0)
			return rbi_oom(cx);
		q->one = NULL;
		if (v->t == RV_STR) {
			q->one = v;
			q->v = &q->one;
			q->nv = 1;
		} else if (v->t == RV_ARR || v->t == RV_SET) {
			q->v = v->u.a.v;
			q->nv = v->u.a.n;
			for (size_t j = 0; j < q->nv; j++)
				if (q->v[j]->t != RV_STR)
					return rbi_type_errf(cx, "operand 1 values must be string, array[string], or set[string]");
		} else {
			return rbi_type_errf(cx, "operand 1 values must be string, array[string], or set[string]");
		}
		size_t kl = query_escaped_len(q->k, q->kn);
		for (size_t j = 0; j < q->nv; j++) {
			size_t add = kl + 2 + query_escaped_len(q->v[j]->u.s.p, q->v[j]->u.s.n);
			if (__builtin_add_overflow(total, add, &total) || total > ENC_MAX)
				return rbi_oom(cx);
		}
	}
	qsort(keys, nk, sizeof(*keys), qkey_cmp);
	char *o = out_alloc(cx, total);
	if (o == NULL)
		return rbi_oom(cx);
	size_t k = 0;
	for (size_t i = 0; i < nk; i++) {
		for (size_t j = 0; j < keys[i].nv; j++) {
			if (k > 0)
				o[k++] = '&';
			k += query_escape(o + k, keys[i].k, keys[i].kn);
			o[k++] = '=';
			k += query_escape(o + k, keys[i].v[j]->u.s.p, keys[i].v[j]->u.s.n);
		}
	}
	return ret_bytes(cx, o, k, ret);
}

/* url.ParseQuery collects (key, value) pairs; they are grouped by key
 * afterwards, values in order of appearance. */
struct qpair {
	const rv *k;
	const rv *v;
	size_t idx;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = rv_cmp(x->k, y->k);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const rv *group_pairs(rarena *a, struct qpair *pairs, size_t np)
{
	qsort(pairs, np, sizeof(*pairs), qpair_cmp);
	const rv **keys = rarena_nalloc(a, np ? np : 1, sizeof(*keys));
	const rv **vals = rarena_nalloc(a, np ? np : 1, sizeof(*vals));
	const rv **tmp = rarena_nalloc(a, np ? np : 1, sizeof(*tmp));
	if (keys == NULL || vals == NULL || tmp == NULL)
		return NULL;
	size_t nk = 0;
	for (size_t i = 0; i < np;) {
		size_t j = i;
		while (j < np && rv_eq(pairs[j].k, pairs[i].k)) {
			tmp[j - i] = pairs[j].v;
			j++;
		}
		keys[nk] = pairs[i].k;
		vals[nk] = rv_arr(a, tmp, j - i);
		if (vals[nk] == NULL)
			return NULL;
		nk++;
		i = j;
	}
	return rv_obj(a, keys, vals, nk, NULL);
}

static int bi_url_decode_object(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	rarena *a = rctx_arena(cx);
	char *tmp = out_alloc(cx, n);
	/* At most one pair per '&'-separated segment. */
	struct qpair *pairs = rarena_nalloc(a, n / 2 + 1, sizeof(*pairs));
	size_t np = 0;
	if (tmp == NULL || pairs == NULL)
		return rbi_oom(cx);
	bool err = false, semicolon = false;
	size_t bad = 0, badn = 0;
	const char *badp = NULL;
	size_t pos = 0;
	while (pos < n) {
		const char *amp = memchr(s + pos, '&', n - pos);
		size_t end = amp ? (size_t)(amp - s) : n;
		const char *kp = s + pos;
		size_t kn = end - pos;
		pos = amp ? end + 1 : n;
		if (memchr(kp, ';', kn)) {
			semicolon = true; /* Go overwrites any earlier error with this one */
			continue;
		}
		if (kn == 0)
			continue;
		const char *eq = memchr(kp, '=', kn);
		size_t klen = eq ? (size_t)(eq - kp) : kn;
		const char *vp = eq ? eq + 1 : kp + kn;
		size_t vlen = eq ? kn - klen - 1 : 0;
		long k1 = query_unescape(kp, klen, tmp, &bad, &badn);
		if (k1 < 0) {
			if (!err && !semicolon) {
				err = true;
				badp = kp + bad;
			}
			continue;
		}
		const rv *key = rv_str(a, tmp, (size_t)k1);
		long v1 = query_unescape(vp, vlen, tmp, &bad, &badn);
		if (v1 < 0) {
			if (!err && !semicolon) {
				err = true;
				badp = vp + bad;
			}
			continue;
		}
		const rv *val = rv_str(a, tmp, (size_t)v1);
		if (key == NULL || val == NULL)
			return rbi_oom(cx);
		pairs[np] = (struct qpair){key, val, np};
		np++;
	}
	if (semicolon)
		return rbi_err(cx, "invalid semicolon separator in query");
	if (err)
		return escape_error(cx, badp, badn);
	*ret = group_pairs(a, pairs, np);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_encoding[] = {
    {"base64.encode", 1, bi_b64_encode, NULL, 0, {RT_STR}, RT_STR},
    {"base64.decode", 1, bi_b64_decode, NULL, 0, {RT_STR}, RT_STR},
    {"base64.is_valid", 1, bi_b64_is_valid, NULL, 0, {RT_STR}, RT_BOOL},
    {"base64url.encode", 1, bi_b64url_encode, NULL, 0, {RT_STR}, RT_STR},
    {"base64url.encode_no_pad", 1, bi_b64url_encode_no_pad, NULL, 0, {RT_STR}, RT_STR},
    {"base64url.decode", 1, bi_b64url_decode, NULL, 0, {RT_STR}, RT_STR},
    {"hex.encode", 1, bi_hex_encode, NULL, 0, {RT_STR}, RT_STR},
    {"hex.decode", 1, bi_hex_decode, NULL, 0, {RT_STR}, RT_STR},
    {"urlquery.encode", 1, bi_url_encode, NULL, 0, {RT_STR}, RT_STR},
    {"urlquery.decode", 1, bi_url_decode, NULL, 0, {RT_STR}, RT_STR},
    {"urlquery.encode_object", 1, bi_url_encode_object, NULL, 0, {RT_OBJ}, RT_STR},
    {"urlquery.decode_object", 1, bi_url_decode_object, NULL, 0, {RT_STR}, RT_OBJ},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
