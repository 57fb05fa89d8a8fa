/* Rego formatter internals (lib/rego/format*.c).
 *
 * The formatter prints a parsed module (ast.h) in OPA's canonical v1 style.
 * The AST does not keep comments, the spelling of literals (raw strings,
 * number text) or where a body's closing brace is; format_src.c recovers
 * them by running the lexer over the (already parsed, so valid) source
 * again. */
#ifndef COCOON_REGO_FORMAT_INT_H
#define COCOON_REGO_FORMAT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"

struct fmt_tok {
	uint8_t kind; /* enum rtok_kind */
	uint32_t line, col;
	size_t off, len;
};

struct fmt_comment {
	uint32_t line, col;
	size_t off, len; /* text after the `#`, without a trailing CR */
	bool done;       /* printed already */
};

struct fmt_src {
	const char *src;
	size_t len;
	struct fmt_tok *toks;
	size_t ntoks;
	struct fmt_comment *cms;
	size_t ncms;
	bool has_template; /* a template string occurs (not formatted) */
};

/* Scans src into tokens and comments. Returns 0 or -ENOMEM. */
int fmt_src_scan(struct fmt_src *s, const char *src, size_t len);
void fmt_src_free(struct fmt_src *s);

/* Index of the token starting at loc, or -1. */
long fmt_src_tok_at(const struct fmt_src *s, ast_loc loc);

/* Index of the bracket closing the `{`, `[` or `(` at token index open,
 * or -1. */
long fmt_src_match(const struct fmt_src *s, size_t open);

#endif
