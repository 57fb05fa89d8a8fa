/* Arena-backed growable string buffer for builtins that build text
 * (strings, sprintf, regex.replace); implemented in bi/abuf.c, which is
 * always linked. Results live in the evaluation arena, so nothing is freed. */
#ifndef COCOON_REGO_BI_ABUF_H
#define COCOON_REGO_BI_ABUF_H

#include "../bi.h"

/* Failures are sticky: callers append freely and check ab.err once. */
struct abuf {
	rarena *a;
	char *p;
	size_t n;
	size_t cap;
	size_t max;
	int err;
};

/* Empty buffer in arena a that refuses to grow beyond max bytes (-E2BIG);
 * hint > 0 preallocates that many bytes. */
void abuf_init(struct abuf *b, rarena *a, size_t hint, size_t max);
/* Makes room for extra more bytes plus a terminating NUL; false (with
 * b->err set) on failure. */
bool abuf_reserve(struct abuf *b, size_t extra);
void abuf_add(struct abuf *b, const void *p, size_t n);
void abuf_adds(struct abuf *b, const char *s);
void abuf_addc(struct abuf *b, char c);
/* Appends n copies of c. */
void abuf_fill(struct abuf *b, char c, size_t n);
/* Appends the UTF-8 encoding of r (U+FFFD for an invalid rune). */
void abuf_rune(struct abuf *b, uint32_t r);
/* The buffer as a string value in *ret, or any failure as rbi_oom(). */
int abuf_finish(rctx *cx, struct abuf *b, const rv **ret);

#endif
