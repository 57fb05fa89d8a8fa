/* Base64 (Go's StdEncoding) and Go []byte JSON fields, both spellings. */
#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "internal.h"

void oc_free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

static bool b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Checks the alphabet and padding; returns the number of '=' (0..2). */
static int b64_check(const char *s, size_t n, const char *what, cc_error **err)
{
	if (n % 4 != 0)
		return cc_error_set(err, -EINVAL, "%s: base64 length %zu is not a multiple of 4",
		                    what, n);
	size_t pad = 0;
	while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++) {
		if (!b64_char((unsigned char)s[i]))
			return cc_error_set(err, -EINVAL, "%s: invalid base64 at offset %zu", what,
			                    i);
	}
	return (int)pad;
}

int oc_b64_decode(const char *s, size_t n, size_t max, unsigned char **ret, size_t *ret_len,
                  const char *what, cc_error **err)
{
	int pad = b64_check(s, n, what, err);
	if (pad < 0)
		return pad;
	size_t out_len = n / 4 * 3 - (size_t)pad;
	if (out_len > max)
		return cc_error_set(err, -EFBIG, "%s: %zu bytes, more than %zu", what, out_len, max);
	if (n > INT_MAX)
		return cc_error_set(err, -EFBIG, "%s: too long", what);
	unsigned char *out = malloc(n / 4 * 3 + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (n > 0 && EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) < 0) {
		oc_free_secret(out, n / 4 * 3 + 1);
		return cc_error_set(err, -EINVAL, "%s: invalid base64", what);
	}
	out[out_len] = '\0';
	*ret = out;
	*ret_len = out_len;
	return 0;
}

char *oc_b64_encode(const void *p, size_t n)
{
	if (n > (size_t)INT_MAX / 4 * 3 - 3)
		return NULL;
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static int bytes_from_ints(const json_t *v, size_t max, unsigned char **ret, size_t *ret_len,
                           const char *what, cc_error **err)
{
	size_t n = json_array_size(v);
	if (n > max)
		return cc_error_set(err, -EFBIG, "%s: %zu bytes, more than %zu", what, n, max);
	unsigned char *out = malloc(n + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		json_int_t x = json_is_integer(e) ? json_integer_value(e) : -1;
		if (x < 0 || x > 255) {
			oc_free_secret(out, n + 1);
			return cc_error_set(err, -EINVAL, "%s: element %zu is not a byte (0..255)",
			                    what, i);
		}
		out[i] = (unsigned char)x;
	}
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return 0;
}

int oc_json_bytes(const json_t *v, size_t max, unsigned char **ret, size_t *ret_len,
                  const char *what, cc_error **err)
{
	if (v == NULL || json_is_null(v)) {
		unsigned char *out = calloc(1, 1);
		if (out == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		*ret = out;
		*ret_len = 0;
		return 0;
	}
	if (json_is_string(v))
		return oc_b64_decode(json_string_value(v), json_string_length(v), max, ret, ret_len,
		                     what, err);
	if (json_is_array(v))
		return bytes_from_ints(v, max, ret, ret_len, what, err);
	return cc_error_set(err, -EINVAL, "%s: expected a base64 string or a byte array", what);
}

json_t *oc_json_bytes_b64(const void *p, size_t n)
{
	_cleanup_free_ char *s = oc_b64_encode(p, n);
	return s ? json_string(s) : NULL;
}

json_t *oc_json_bytes_ints(const void *p, size_t n)
{
	json_t *a = json_array();
	if (a == NULL)
		return NULL;
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(a, json_integer(b[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int oc_json_parse(const void *p, size_t n, size_t max, json_t **ret, const char *what,
                  cc_error **err)
{
	if (n > max)
		return cc_error_set(err, -EFBIG, "%s: %zu bytes, more than %zu", what, n, max);
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		return cc_error_set(err, -EINVAL, "%s: invalid JSON at line %d column %d: %s", what,
		                    je.line, je.column, je.text);
	*ret = j;
	return 0;
}
