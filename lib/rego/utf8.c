/* UTF-8 decoding and encoding with Go's unicode/utf8 rules (utf8.h). */
#include "utf8.h"

/* The bounds of the second byte after lead byte c, and the sequence
 * length; 0 for a byte that cannot start a sequence (Go's "first" and
 * "acceptRanges" tables). */
static size_t lead_info(unsigned c, unsigned *lo, unsigned *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF) {
		if (c == 0xE0)
			*lo = 0xA0; /* no overlong forms */
		else if (c == 0xED)
			*hi = 0x9F; /* no surrogates */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (c == 0xF0)
			*lo = 0x90; /* no overlong forms */
		else if (c == 0xF4)
			*hi = 0x8F; /* nothing above U+10FFFF */
		return 4;
	}
	return 0;
}

size_t rutf8_decode(const unsigned char *s, size_t n, uint32_t *r)
{
	*r = RUTF8_ERROR;
	if (n == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80) {
		*r = c;
		return 1;
	}
	unsigned lo, hi;
	size_t len = lead_info(c, &lo, &hi);
	if (len == 0 || n < len || s[1] < lo || s[1] > hi)
		return 1;
	uint32_t v = c & (0x7Fu >> len);
	for (size_t i = 1; i < len; i++) {
		if (i > 1 && (s[i] & 0xC0) != 0x80)
			return 1;
		v = v << 6 | (s[i] & 0x3Fu);
	}
	*r = v;
	return len;
}

size_t rutf8_decode_last(const unsigned char *s, size_t n, uint32_t *r)
{
	size_t start = n - 1;
	if (s[start] < 0x80) {
		*r = s[start];
		return 1;
	}
	size_t lim = n >= RUTF8_MAX ? n - RUTF8_MAX : 0;
	while (start > lim) {
		start--;
		if ((s[start] & 0xC0) != 0x80)
			break;
	}
	size_t w = rutf8_decode(s + start, n - start, r);
	if (start + w != n) {
		*r = RUTF8_ERROR;
		return 1;
	}
	return w;
}

size_t rutf8_encode(uint32_t r, char out[RUTF8_MAX])
{
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = RUTF8_ERROR;
	if (r < 0x80) {
		out[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (char)(0xC0 | r >> 6);
		out[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (char)(0xE0 | r >> 12);
		out[1] = (char)(0x80 | (r >> 6 & 0x3F));
		out[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | r >> 18);
	out[1] = (char)(0x80 | (r >> 12 & 0x3F));
	out[2] = (char)(0x80 | (r >> 6 & 0x3F));
	out[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}

size_t rutf8_count(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t k = 0;
	uint32_t r;
	for (size_t i = 0; i < n; k++)
		i += s[i] < 0x80 ? 1 : rutf8_decode(s + i, n - i, &r);
	return k;
}

bool rutf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	uint32_t r;
	for (size_t i = 0; i < n;) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t w = rutf8_decode(s + i, n - i, &r);
		if (w == 1)
			return false;
		i += w;
	}
	return true;
}

int rutf8_sanitize(const char *p, size_t n, cc_buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, start = 0;
	int r = 0;
	while (r == 0 && i < n) {
		uint32_t cp;
		size_t w = s[i] < 0x80 ? 1 : rutf8_decode(s + i, n - i, &cp);
		if (w > 1 || s[i] < 0x80) { /* one ASCII byte or a valid sequence */
			i += w;
			continue;
		}
		r = cc_buf_add(out, p + start, i - start);
		if (r == 0)
			r = cc_buf_add(out, "\xEF\xBF\xBD", 3);
		start = ++i;
	}
	if (r == 0)
		r = cc_buf_add(out, p + start, n - start);
	return r;
}
