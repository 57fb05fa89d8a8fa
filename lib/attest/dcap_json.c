/* The byte span of a member's value in a JSON object text. Intel signs
 * the tcbInfo / enclaveIdentity value exactly as PCS sends it inside its
 * body ({"tcbInfo":{...},"signature":"..."}), so the signed bytes are a
 * substring of the body and must never be re-serialised. The text has
 * already been accepted by jansson (valid JSON, no duplicate keys), so
 * this scanner only walks it; it still checks every bound. */
#include <errno.h>
#include <string.h>

#include "dcap_int.h"

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* s[*i] is '"'; moves past the closing quote. */
static int skip_string(const char *s, size_t len, size_t *i)
{
	size_t k = *i + 1;
	while (k < len && s[k] != '"') {
		if (s[k] == '\\')
			k++;
		k++;
	}
	if (k >= len)
		return -EINVAL;
	*i = k + 1;
	return 0;
}

static int skip_value(const char *s, size_t len, size_t *i)
{
	size_t k = *i;
	if (k >= len)
		return -EINVAL;
	if (s[k] == '"')
		return skip_string(s, len, i);
	if (s[k] != '{' && s[k] != '[') {
		while (k < len && !strchr(",}] \t\r\n", s[k]))
			k++;
		*i = k;
		return 0;
	}
	size_t depth = 0;
	while (k < len) {
		char ch = s[k];
		if (ch == '"') {
			if (skip_string(s, len, &k) < 0)
				return -EINVAL;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
		k++;
		if (depth == 0) {
			*i = k;
			return 0;
		}
	}
	return -EINVAL;
}

int dcap_json_member_span(const char *s, size_t len, const char *key, size_t *ret_off,
                          size_t *ret_len)
{
	size_t klen = strlen(key);
	size_t i = skip_ws(s, len, 0);
	if (i >= len || s[i] != '{')
		return -EINVAL;
	i++;
	for (;;) {
		i = skip_ws(s, len, i);
		if (i >= len)
			return -EINVAL;
		if (s[i] == '}')
			return -ENOENT;
		if (s[i] != '"')
			return -EINVAL;
		size_t kstart = i + 1;
		if (skip_string(s, len, &i) < 0)
			return -EINVAL;
		bool match = i - 1 - kstart == klen && memcmp(s + kstart, key, klen) == 0;
		i = skip_ws(s, len, i);
		if (i >= len || s[i] != ':')
			return -EINVAL;
		i = skip_ws(s, len, i + 1);
		size_t vstart = i;
		if (skip_value(s, len, &i) < 0)
			return -EINVAL;
		if (match) {
			*ret_off = vstart;
			*ret_len = i - vstart;
			return 0;
		}
		i = skip_ws(s, len, i);
		if (i < len && s[i] == ',')
			i++;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dcap_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len)
{
	if (hex_len != out_len * 2)
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
