/* Growable byte buffer (malloc-backed) with a hard cap. */
#ifndef COCOON_BUF_H
#define COCOON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct cc_buf {
	char *p;      /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;   /* 0 = no cap beyond SIZE_MAX */
} cc_buf;

/* Initialises an empty buffer that refuses to grow beyond max bytes
 * (0 = unbounded). Never fails. */
void cc_buf_init(cc_buf *b, size_t max);
/* Appends n bytes. Returns 0, -ENOMEM, or -E2BIG when max would be passed;
 * the buffer is unchanged on failure. */
int cc_buf_add_slow(cc_buf *b, const void *p, size_t n);
static inline int cc_buf_add(cc_buf *b, const void *p, size_t n)
{
	/* Fast path: it fits in the allocation (cap counts the NUL). */
	if (b->p != NULL && n < b->cap - b->len) {
		if (n)
			memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = '\0';
		return 0;
	}
	return cc_buf_add_slow(b, p, n);
}
int cc_buf_adds(cc_buf *b, const char *s);
int cc_buf_addc(cc_buf *b, char c);
int cc_buf_printf(cc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cc_buf_vprintf(cc_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the NUL-terminated contents to the caller (never NULL on success:
 * an empty buffer gives ""), leaving b empty. NULL on OOM. */
char *cc_buf_steal(cc_buf *b, size_t *ret_len);
/* Frees the contents; b may be re-used after cc_buf_init. */
void cc_buf_free(cc_buf *b);

#endif
