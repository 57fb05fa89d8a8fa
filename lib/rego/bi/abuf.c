/* Arena-backed growable string buffer for builtins (abuf.h). */
#include "abuf.h"

#include <errno.h>
#include <string.h>

#include "../utf8.h"

void abuf_init(struct abuf *b, rarena *a, size_t hint, size_t max)
{
	b->a = a;
	b->p = NULL;
	b->n = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
	if (hint > 0 && hint < max) {
		b->p = rarena_alloc(a, hint + 1);
		if (b->p == NULL)
			b->err = -ENOMEM;
		else
			b->cap = hint + 1;
	}
}

/* Makes room for extra more bytes plus a terminating NUL. */
bool abuf_reserve(struct abuf *b, size_t extra)
{
	size_t need;
	if (b->err)
		return false;
	if (__builtin_add_overflow(b->n, extra, &need) || need > b->max) {
		b->err = -E2BIG;
		return false;
	}
	if (need < b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 32;
	while (ncap <= need) {
		if (__builtin_mul_overflow(ncap, 2, &ncap)) {
			b->err = -E2BIG;
			return false;
		}
	}
	char *np = rarena_alloc(b->a, ncap);
	if (np == NULL) {
		b->err = -ENOMEM;
		return false;
	}
	if (b->n)
		memcpy(np, b->p, b->n);
	b->p = np;
	b->cap = ncap;
	return true;
}

void abuf_add(struct abuf *b, const void *p, size_t n)
{
	if (n == 0 || !abuf_reserve(b, n))
		return;
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

void abuf_adds(struct abuf *b, const char *s) { abuf_add(b, s, strlen(s)); }

void abuf_addc(struct abuf *b, char c)
{
	if (!abuf_reserve(b, 1))
		return;
	b->p[b->n++] = c;
}

void abuf_fill(struct abuf *b, char c, size_t n)
{
	if (n == 0 || !abuf_reserve(b, n))
		return;
	memset(b->p + b->n, c, n);
	b->n += n;
}

/* The buffer as a string value (or the error as a builtin error). */
int abuf_finish(rctx *cx, struct abuf *b, const rv **ret)
{
	if (b->err)
		return rbi_oom(cx);
	if (b->n == 0) {
		*ret = rv_empty_str();
		return 0;
	}
	b->p[b->n] = '\0';
	*ret = rv_str_ref(b->a, b->p, b->n);
	return *ret ? 0 : rbi_oom(cx);
}

void abuf_rune(struct abuf *b, uint32_t r)
{
	char e[4];
	abuf_add(b, e, rutf8_encode(r, e));
}
