/* Base64 (RFC 4648 §4) and base64url (§5) written here rather than with
 * OpenSSL's EVP_DecodeBlock, which skips whitespace, accepts either alphabet
 * badly and leaves trailing bits unchecked: JOSE needs one encoding per
 * value (a signature or key must not be malleable in transit). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jose_util.h"

static const char std_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *encode(const unsigned char *in, size_t n, const char *alpha, bool pad)
{
	if (n > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

char *cj_b64url_encode(const void *p, size_t n)
{
	return encode(p, n, url_alpha, false);
}

char *cj_b64_encode(const void *p, size_t n)
{
	return encode(p, n, std_alpha, true);
}

static int sextet(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decodes len unpadded characters (len % 4 != 1). */
static int decode(const char *s, size_t len, bool url, size_t max, unsigned char **ret,
                  size_t *ret_len, const char *what, cc_error **err)
{
	const char *name = url ? "base64url" : "base64";
	if (len % 4 == 1)
		return cc_error_set(err, -EINVAL, "%s: not %s (length %zu)", what, name, len);
	size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	if (n > max)
		return cc_error_set(err, -E2BIG, "%s: %zu bytes, more than %zu", what, n, max);
	unsigned char *out = malloc(n + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	uint32_t acc = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int v = sextet(s[i], url);
		if (v < 0) {
			free(out);
			return cc_error_set(err, -EINVAL, "%s: not %s (byte %zu)", what, name, i);
		}
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	/* The tail: 2 characters carry 1 byte (4 spare bits), 3 carry 2 (2). */
	size_t tail = len % 4;
	uint32_t spare = tail == 2 ? acc & 15 : tail == 3 ? acc & 3 : 0;
	if (spare != 0) {
		free(out);
		return cc_error_set(err, -EINVAL, "%s: not canonical %s (trailing bits)", what, name);
	}
	if (tail == 2)
		out[o++] = (unsigned char)(acc >> 4);
	else if (tail == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	out[o] = 0;
	*ret = out;
	*ret_len = o;
	return 0;
}

int cj_b64url_decode(const char *s, size_t len, size_t max, unsigned char **ret,
                     size_t *ret_len, const char *what, cc_error **err)
{
	return decode(s, len, true, max, ret, ret_len, what, err);
}

int cj_b64_decode(const char *s, size_t len, size_t max, unsigned char **ret, size_t *ret_len,
                  const char *what, cc_error **err)
{
	if (len % 4 != 0)
		return cc_error_set(err, -EINVAL, "%s: not base64 (length %zu)", what, len);
	size_t body = len;
	while (body > 0 && len - body < 2 && s[body - 1] == '=')
		body--;
	if (body % 4 == 1)
		return cc_error_set(err, -EINVAL, "%s: not base64 (padding)", what);
	return decode(s, body, false, max, ret, ret_len, what, err);
}

int cj_json_parse(const void *p, size_t len, size_t max, json_t **ret, const char *what,
                  cc_error **err)
{
	if (len > max)
		return cc_error_set(err, -E2BIG, "%s: %zu bytes, more than %zu", what, len, max);
	json_error_t je;
	json_t *v = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL)
		return cc_error_set(err, -EINVAL, "%s: %s (line %d column %d)", what, je.text, je.line,
		                    je.column);
	*ret = v;
	return 0;
}

void cj_free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}
