/* RFC 8785 JSON Canonicalization Scheme, and the ordered writer the JOSE
 * headers use (serde_json's bytes). Hand-written: jansson's JSON_SORT_KEYS
 * sorts by bytes (not UTF-16 code units), prints reals with %.17g and
 * escapes control characters in upper case, so none of its output can be
 * relied on for bytes that are hashed or signed. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cocoon/limits.h"
#include "jose_jcs.h"
#include "jcs_int.h"

/* ---- strings ------------------------------------------------------------ */

/* JSON.stringify's escaping (ECMA-262 QuoteJSONString), which serde_json
 * shares: the two-character forms, \u00xx in lower case for the other
 * controls, everything else (U+007F, non-ASCII) as it is. */
static int write_string(cc_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int r = cc_buf_addc(b, '"');
	size_t run = 0; /* start of the pending unescaped run */
	for (size_t i = 0; r == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		r = cc_buf_add(b, s + run, i - run);
		run = i + 1;
		char esc[7] = {'\\', 0};
		size_t elen = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (r == 0)
			r = cc_buf_add(b, esc, elen);
	}
	if (r == 0)
		r = cc_buf_add(b, s + run, n - run);
	return r == 0 ? cc_buf_addc(b, '"') : r;
}

/* ---- member order: UTF-16 code units (RFC 8785 §3.2.3) ------------------ */

struct u16it {
	const unsigned char *s;
	size_t n, i;
	unsigned low; /* a pending low surrogate, 0 if none */
};

/* The next UTF-16 code unit of a UTF-8 string, -1 at its end. jansson
 * keeps keys valid UTF-8; a truncated sequence ends the string. */
static long u16_next(struct u16it *it)
{
	if (it->low != 0) {
		unsigned u = it->low;
		it->low = 0;
		return u;
	}
	if (it->i >= it->n)
		return -1;
	unsigned c = it->s[it->i];
	size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (len > it->n - it->i)
		return -1;
	uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
	for (size_t k = 1; k < len; k++)
		cp = cp << 6 | (it->s[it->i + k] & 0x3fu);
	it->i += len;
	if (cp < 0x10000)
		return cp;
	cp -= 0x10000;
	it->low = 0xdc00 | (cp & 0x3ff);
	return 0xd800 | (cp >> 10);
}

struct member {
	const char *key;
	size_t len;
	const json_t *val;
};

static int member_cmp(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;
	struct u16it x = {(const unsigned char *)a->key, a->len, 0, 0};
	struct u16it y = {(const unsigned char *)b->key, b->len, 0, 0};
	for (;;) {
		long u = u16_next(&x), v = u16_next(&y);
		if (u != v)
			return u < v ? -1 : 1;
		if (u < 0)
			return 0;
	}
}

/* ---- values ------------------------------------------------------------- */

static int write_value(cc_buf *b, const json_t *v, bool sorted, unsigned depth, cc_error **err);

static int write_object(cc_buf *b, const json_t *v, bool sorted, unsigned depth, cc_error **err)
{
	size_t n = json_object_size(v), i = 0;
	struct member *m = calloc(n ? n : 1, sizeof(*m));
	if (m == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (void *it = json_object_iter((json_t *)v); it != NULL && i < n;
	     it = json_object_iter_next((json_t *)v, it), i++) {
		m[i].key = json_object_iter_key(it);
		m[i].len = json_object_iter_key_len(it);
		m[i].val = json_object_iter_value(it);
	}
	if (sorted)
		qsort(m, i, sizeof(*m), member_cmp);
	int r = cc_buf_addc(b, '{');
	for (size_t k = 0; r == 0 && k < i; k++) {
		if (k > 0)
			r = cc_buf_addc(b, ',');
		if (r == 0)
			r = write_string(b, m[k].key, m[k].len);
		if (r == 0)
			r = cc_buf_addc(b, ':');
		if (r == 0)
			r = write_value(b, m[k].val, sorted, depth + 1, err);
	}
	free(m);
	return r == 0 ? cc_buf_addc(b, '}') : r;
}

static int write_number(cc_buf *b, const json_t *v, bool sorted)
{
	char num[CJ_ES6_NUMBER_MAX];
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		/* JCS numbers are doubles: exact up to 2^53, rounded beyond. */
		if (!sorted || (i <= (1LL << 53) && i >= -(1LL << 53)))
			return cc_buf_printf(b, "%lld", (long long)i);
		cj_es6_number((double)i, num);
	} else {
		cj_es6_number(json_real_value(v), num);
	}
	return cc_buf_adds(b, num);
}

static int write_value(cc_buf *b, const json_t *v, bool sorted, unsigned depth, cc_error **err)
{
	if (depth > CC_JOSE_MAX_JCS_DEPTH)
		return cc_error_set(err, -ELOOP, "json: nested deeper than %u levels",
		                    CC_JOSE_MAX_JCS_DEPTH);
	int r;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return write_object(b, v, sorted, depth, err);
	case JSON_ARRAY:
		r = cc_buf_addc(b, '[');
		for (size_t i = 0; r == 0 && i < json_array_size(v); i++) {
			if (i > 0)
				r = cc_buf_addc(b, ',');
			if (r == 0)
				r = write_value(b, json_array_get(v, i), sorted, depth + 1, err);
		}
		return r == 0 ? cc_buf_addc(b, ']') : r;
	case JSON_STRING:
		return write_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
	case JSON_REAL:
		return write_number(b, v, sorted);
	case JSON_TRUE:
		return cc_buf_adds(b, "true");
	case JSON_FALSE:
		return cc_buf_adds(b, "false");
	case JSON_NULL:
		return cc_buf_adds(b, "null");
	}
	return -EINVAL;
}

int cj_json_write(cc_buf *b, const json_t *v, bool sorted, cc_error **err)
{
	if (v == NULL)
		return cc_error_set(err, -EINVAL, "json: no value");
	int r = write_value(b, v, sorted, 0, err);
	if (r == -ENOMEM || r == -E2BIG)
		return cc_error_set(err, r, "json: %s", r == -ENOMEM ? "out of memory" : "too large");
	return r;
}

static int dump(const json_t *v, bool sorted, char **ret, size_t *ret_len, cc_error **err)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = cj_json_write(&b, v, sorted, err);
	size_t len = 0;
	char *s = r == 0 ? cc_buf_steal(&b, &len) : NULL;
	cc_buf_free(&b);
	if (r < 0)
		return r;
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	if (ret_len != NULL)
		*ret_len = len;
	return 0;
}

int cj_json_dump_ordered(const json_t *v, char **ret, size_t *ret_len, cc_error **err)
{
	return dump(v, false, ret, ret_len, err);
}

int cj_jcs_serialize(const json_t *v, char **ret, size_t *ret_len, cc_error **err)
{
	return dump(v, true, ret, ret_len, err);
}

/* ---- digests ------------------------------------------------------------- */

static const EVP_MD *hash_md(enum cj_hash h)
{
	return h == CJ_SHA256 ? EVP_sha256() : h == CJ_SHA384 ? EVP_sha384() : EVP_sha512();
}

size_t cj_hash_len(enum cj_hash h)
{
	return h == CJ_SHA256 ? 32 : h == CJ_SHA384 ? 48 : 64;
}

int cj_hash_from_name(const char *name, enum cj_hash *ret, cc_error **err)
{
	static const struct {
		const char *name;
		enum cj_hash h;
	} names[] = {{"sha256", CJ_SHA256}, {"sha384", CJ_SHA384}, {"sha512", CJ_SHA512}};
	for (size_t i = 0; name != NULL && i < sizeof(names) / sizeof(*names); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*ret = names[i].h;
			return 0;
		}
	}
	return cc_error_set(err, -EINVAL, "unsupported hash algorithm \"%.32s\"",
	                    name ? name : "(none)");
}

int cj_hash_bytes(enum cj_hash h, const void *p, size_t n, unsigned char *out, cc_error **err)
{
	unsigned int len = 0;
	if (EVP_Digest(p, n, out, &len, hash_md(h), NULL) != 1 || len != cj_hash_len(h))
		return cc_error_set(err, -EIO, "hashing failed (OpenSSL)");
	return 0;
}

int cj_jcs_digest(const json_t *v, enum cj_hash h, unsigned char *out, cc_error **err)
{
	char *s = NULL;
	size_t len = 0;
	int r = cj_jcs_serialize(v, &s, &len, err);
	if (r == 0)
		r = cj_hash_bytes(h, s, len, out, err);
	free(s);
	return r;
}
