/* Growable byte buffer with a hard cap (include/cocoon/buf.h). */
#include "cocoon/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cc_buf_init(cc_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int reserve(cc_buf *b, size_t n)
{
	size_t need;
	if (__builtin_add_overflow(b->len, n, &need) || need == SIZE_MAX)
		return -E2BIG;
	if (b->max != 0 && need > b->max)
		return -E2BIG;
	if (need + 1 <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < need + 1) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need + 1;
			break;
		}
		ncap *= 2;
	}
	/* Never allocate past the cap, so the inline fast path of cc_buf_add
	 * (which only checks the allocation) respects it too. */
	if (b->max != 0 && ncap > b->max + 1)
		ncap = b->max + 1;
	char *np = realloc(b->p, ncap);
	if (np == NULL)
		return -ENOMEM;
	b->p = np;
	b->cap = ncap;
	return 0;
}

int cc_buf_add_slow(cc_buf *b, const void *p, size_t n)
{
	int r = reserve(b, n);
	if (r < 0)
		return r;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int cc_buf_adds(cc_buf *b, const char *s) { return cc_buf_add(b, s, strlen(s)); }

int cc_buf_addc(cc_buf *b, char c) { return cc_buf_add(b, &c, 1); }

int cc_buf_vprintf(cc_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	int r = reserve(b, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int cc_buf_printf(cc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cc_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *cc_buf_steal(cc_buf *b, size_t *ret_len)
{
	if (b->p == NULL && reserve(b, 0) < 0)
		return NULL;
	if (b->len == 0)
		b->p[0] = '\0';
	char *p = b->p;
	if (ret_len)
		*ret_len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void cc_buf_free(cc_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
