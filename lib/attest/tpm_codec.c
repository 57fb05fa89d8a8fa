/* Base64 (RFC 4648 §4, standard alphabet, canonical padding) and hex, as
 * the evidence's fields use them. Decoding is strict like Rust's
 * base64::engine::general_purpose::STANDARD, which upstream uses: length a
 * multiple of 4, '=' only as the last one or two characters, unused bits
 * zero, no whitespace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tpm_int.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	const char *p = c != '\0' ? strchr(b64_alphabet, c) : NULL;
	return p != NULL ? (int)(p - b64_alphabet) : -1;
}

char *tpm_b64_encode(const uint8_t *p, size_t len)
{
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	size_t out_len = (len + 2) / 3 * 4;
	char *out = malloc(out_len + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* Decodes one 4-character group into out (1..3 bytes, the count in *n);
 * last says whether padding may appear. */
static int b64_group(const char *s, int last, uint8_t out[3], size_t *n)
{
	int v[4];
	int pad = 0;
	for (int i = 0; i < 4; i++) {
		if (s[i] == '=' && last && i >= 2) {
			pad++;
			v[i] = 0;
			continue;
		}
		if (pad > 0) /* data after '=' */
			return -EINVAL;
		v[i] = b64_value(s[i]);
		if (v[i] < 0)
			return -EINVAL;
	}
	uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
	             (uint32_t)v[3];
	/* Canonical: the bits padding leaves over must be zero. */
	if ((pad == 1 && (w & 0xffu) != 0) || (pad == 2 && (w & 0xffffu) != 0))
		return -EINVAL;
	out[0] = (uint8_t)(w >> 16);
	out[1] = (uint8_t)(w >> 8);
	out[2] = (uint8_t)w;
	*n = 3u - (size_t)pad;
	return 0;
}

int tpm_b64_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len)
{
	if (len % 4 != 0)
		return -EINVAL;
	if (len / 4 * 3 > max + 2) /* at most 2 bytes of padding */
		return -E2BIG;
	uint8_t *out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return -ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		size_t n;
		int r = b64_group(s + i, i + 4 == len, out + o, &n);
		if (r < 0) {
			free(out);
			return r;
		}
		o += n;
	}
	if (o > max) {
		free(out);
		return -E2BIG;
	}
	*ret = out;
	*ret_len = o;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') /* Rust's hex::decode takes both cases */
		return c - 'A' + 10;
	return -1;
}

int tpm_hex_decode(const char *s, size_t len, uint8_t *out, size_t out_len)
{
	if (out_len > SIZE_MAX / 2 || len != out_len * 2)
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void tpm_hex_encode(const uint8_t *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}
