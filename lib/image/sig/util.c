/* Small helpers shared by the signature code (util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cocoon/cleanup.h"

const char *sig_quote(const char *s, size_t n, char out[SIG_QUOTE_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	for (; i < n && o + 8 < SIG_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		if (c == '"' || c == '\\') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *sig_quotes(const char *s, char out[SIG_QUOTE_MAX])
{
	if (s == NULL)
		return "(null)";
	return sig_quote(s, strlen(s), out);
}

static bool b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Copies the base64 characters of s (skipping CR/LF) into a buffer and
 * checks the shape: groups of 4, '=' only as the last one or two. */
static int b64_clean(const char *s, size_t n, const char *what, char **ret, size_t *ret_len,
                     size_t *ret_pad, cc_error **err)
{
	_cleanup_free_ char *c = malloc(n + 1);
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t m = 0, pad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\r' || ch == '\n')
			continue;
		if (ch == '=')
			pad++;
		else if (!b64_char(ch) || pad > 0)
			return cc_error_set(err, -EINVAL, "%s: invalid base64 at offset %zu", what, i);
		c[m++] = (char)ch;
	}
	if (m % 4 != 0 || pad > 2)
		return cc_error_set(err, -EINVAL, "%s: invalid base64 (length %zu, padding %zu)", what,
		                    m, pad);
	c[m] = '\0';
	*ret = TAKE_PTR(c);
	*ret_len = m;
	*ret_pad = pad;
	return 0;
}

int sig_b64_decode(const char *s, size_t n, const char *what, unsigned char **ret,
                   size_t *ret_len, cc_error **err)
{
	_cleanup_free_ char *c = NULL;
	size_t m = 0, pad = 0;
	int r = b64_clean(s, n, what, &c, &m, &pad, err);
	if (r < 0)
		return r;
	if (m > (size_t)0x7fffffff)
		return cc_error_set(err, -EFBIG, "%s: base64 text too long", what);
	_cleanup_free_ unsigned char *out = malloc(m / 4 * 3 + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int got = m == 0 ? 0 : EVP_DecodeBlock(out, (const unsigned char *)c, (int)m);
	if (got < 0 || (size_t)got != m / 4 * 3)
		return cc_error_set(err, -EINVAL, "%s: invalid base64", what);
	*ret_len = (size_t)got - pad;
	*ret = TAKE_PTR(out);
	return 0;
}

int sig_read_fd(int fd, size_t max, const char *what, void **ret, size_t *ret_len,
                cc_error **err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set(err, -errno, "%s: %s", what, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, -EINVAL, "%s: not a regular file", what);
	if (st.st_size < 0 || (uint64_t)st.st_size > max)
		return cc_error_set(err, -EFBIG, "%s: larger than %zu bytes", what, max);
	size_t cap = (size_t)st.st_size + 1, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (;;) {
		if (len == cap) {
			/* The file grew while we read it. */
			return cc_error_set(err, -EFBIG, "%s: changed while being read", what);
		}
		ssize_t k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return cc_error_set(err, -errno, "%s: %s", what, strerror(errno));
		if (k == 0)
			break;
		len += (size_t)k;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int sig_read_file(const char *path, size_t max, void **ret, size_t *ret_len, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", sig_quotes(path, q), strerror(errno));
	return sig_read_fd(fd, max, sig_quotes(path, q), ret, ret_len, err);
}

bool sig_has_scheme(const char *s)
{
	size_t i = 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; s[i] != '\0'; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '+' || c == '-' || c == '.';
		if (!ok)
			break;
	}
	return strncmp(s + i, "://", 3) == 0;
}

int sig_strdup(const char *s, char **ret, cc_error **err)
{
	char *d = strdup(s);
	if (d == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = d;
	return 0;
}
