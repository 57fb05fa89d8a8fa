/* Parsers of header and URL bytes a client sends (httpd.h "parsers"):
 * Cookie (RFC 6265 §5.4), Authorization: Bearer (RFC 6750 §2.1), form
 * queries and percent-encoded paths. Pure: no libevent, no allocation but
 * the decoded strings they return. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "rego/hex.h" /* header-only: the one hex digit helper */

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* A control character other than HTAB (field values may not carry them). */
static bool is_ctl(char c)
{
	unsigned char u = (unsigned char)c;
	return (u < 0x20 && c != '\t') || u == 0x7f;
}

static void trim(const char **p, size_t *n)
{
	while (*n > 0 && is_ows(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*p)[*n - 1]))
		(*n)--;
}

/* One "name=value" cookie pair of n bytes: 1 and *val if it is name, 0 if
 * it is another cookie, -EINVAL if it does not parse. */
static int cookie_pair(const char *p, size_t n, const char *name, const char **val,
                       size_t *val_len, cc_error **err)
{
	const char *eq = memchr(p, '=', n);
	if (eq == NULL)
		return cc_error_set(err, -EINVAL, "Cookie: a pair without '='");
	const char *k = p, *v = eq + 1;
	size_t kn = (size_t)(eq - p), vn = n - kn - 1;
	trim(&k, &kn);
	trim(&v, &vn);
	if (kn == 0)
		return cc_error_set(err, -EINVAL, "Cookie: a pair with an empty name");
	if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
		v++;
		vn -= 2;
	}
	if (kn != strlen(name) || memcmp(k, name, kn) != 0)
		return 0;
	*val = v;
	*val_len = vn;
	return 1;
}

int cc_httpd_cookie_find(const char *header, size_t len, const char *name, const char **ret,
                         size_t *ret_len, cc_error **err)
{
	for (size_t i = 0; i < len; i++)
		if (is_ctl(header[i]))
			return cc_error_set(err, -EINVAL, "Cookie: a control character");
	size_t off = 0;
	while (off < len) {
		const char *p = header + off;
		const char *semi = memchr(p, ';', len - off);
		size_t n = semi != NULL ? (size_t)(semi - p) : len - off;
		off += n + (semi != NULL);
		trim(&p, &n);
		if (n == 0)
			continue;
		const char *v = NULL;
		size_t vn = 0;
		int r = cookie_pair(p, n, name, &v, &vn, err);
		if (r < 0)
			return r;
		if (r == 1) {
			*ret = v;
			*ret_len = vn;
			return 0;
		}
	}
	return cc_error_set(err, -ENOENT, "no cookie %s", name);
}

/* b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool is_b64token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

int cc_httpd_bearer_parse(const char *header, size_t len, const char **ret, size_t *ret_len,
                          cc_error **err)
{
	const char *p = header;
	size_t n = len;
	trim(&p, &n);
	if (n < 6 || strncasecmp(p, "bearer", 6) != 0 || (n > 6 && p[6] != ' '))
		return cc_error_set(err, -EINVAL, "Authorization: not a Bearer credential");
	p += 6;
	n -= 6;
	while (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	size_t i = 0;
	while (i < n && is_b64token_char(p[i]))
		i++;
	if (i == 0)
		return cc_error_set(err, -EINVAL, "Authorization: Bearer without a token");
	while (i < n && p[i] == '=')
		i++;
	if (i != n)
		return cc_error_set(err, -EINVAL, "Authorization: Bearer token has a character "
		                                  "outside RFC 6750's b64token");
	*ret = p;
	*ret_len = n;
	return 0;
}

enum { DEC_PLUS = 1, DEC_NO_SLASH = 2 };

/* Percent-decodes n bytes into out (room for n + 1), NUL-terminates it and
 * returns the decoded length, or -EINVAL. */
static long decode(const char *in, size_t n, char *out, int flags, const char *what,
                   cc_error **err)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '\0')
			return cc_error_set(err, -EINVAL, "%s: a NUL byte", what);
		if (c == '+' && (flags & DEC_PLUS)) {
			out[o++] = ' ';
			continue;
		}
		if (c != '%') {
			out[o++] = c;
			continue;
		}
		int hi = -1;
		if (n - i >= 3) {
			hi = rhex_digit((unsigned char)in[i + 1]);
			int lo = rhex_digit((unsigned char)in[i + 2]);
			hi = (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
		}
		if (hi < 0)
			return cc_error_set(err, -EINVAL, "%s: a '%%' not followed by two hex digits",
			                    what);
		if (hi == 0)
			return cc_error_set(err, -EINVAL, "%s: an escaped NUL (%%00)", what);
		if (hi == '/' && (flags & DEC_NO_SLASH))
			return cc_error_set(err, -EINVAL, "%s: an escaped '/' (%%2F)", what);
		out[o++] = (char)hi;
		i += 2;
	}
	out[o] = '\0';
	return (long)o;
}

int cc_httpd_path_decode(const char *path, size_t len, char **ret, size_t *ret_len,
                         cc_error **err)
{
	char *out = malloc(len + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "path: out of memory");
	long n = decode(path, len, out, DEC_NO_SLASH, "path", err);
	if (n < 0) {
		free(out);
		return (int)n;
	}
	*ret = out;
	*ret_len = (size_t)n;
	return 0;
}

/* Decodes the name of pair p[0..n) into buf and compares it with name:
 * 1 equal, 0 not, -EINVAL. */
static int query_name_is(const char *p, size_t n, const char *name, char *buf, cc_error **err)
{
	const char *eq = memchr(p, '=', n);
	size_t kn = eq != NULL ? (size_t)(eq - p) : n;
	long dn = decode(p, kn, buf, DEC_PLUS, "query", err);
	if (dn < 0)
		return (int)dn;
	return strcmp(buf, name) == 0;
}

int cc_httpd_query_get(const char *query, size_t len, const char *name, char **ret,
                       size_t *ret_len, cc_error **err)
{
	char *buf = malloc(len + 1);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "query: out of memory");
	const char *found = NULL;
	size_t found_n = 0, off = 0;
	int r = 0;
	while (off < len && r >= 0) {
		const char *p = query + off;
		const char *amp = memchr(p, '&', len - off);
		size_t n = amp != NULL ? (size_t)(amp - p) : len - off;
		off += n + (amp != NULL);
		if (n == 0)
			continue;
		r = query_name_is(p, n, name, buf, err);
		if (r == 1 && found != NULL)
			r = cc_error_set(err, -EINVAL, "query: parameter %s appears twice", name);
		if (r == 1) {
			found = p;
			found_n = n;
		}
	}
	if (r >= 0 && found == NULL)
		r = cc_error_set(err, -ENOENT, "query: no parameter %s", name);
	if (r < 0) {
		free(buf);
		return r;
	}
	const char *eq = memchr(found, '=', found_n);
	size_t skip = eq != NULL ? (size_t)(eq - found) + 1 : found_n;
	long vn = decode(found + skip, found_n - skip, buf, DEC_PLUS, "query", err);
	if (vn < 0) {
		free(buf);
		return (int)vn;
	}
	*ret = buf;
	*ret_len = (size_t)vn;
	return 0;
}
