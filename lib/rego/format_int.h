/* Rego formatter internals (lib/rego/format*.c).
 *
 * The formatter prints a parsed module (ast.h) in OPA's canonical v1 style.
 * The AST does not keep comments, the spelling of literals (raw strings,
 * number text) or where a body's closing brace is; format_src.c recovers
 * them by running the lexer over the (already parsed, so valid) source
 * again, template strings included: their text parts are tokens, the
 * `{` and `}` around an interpolated expression are not. */
#ifndef COCOON_REGO_FORMAT_INT_H
#define COCOON_REGO_FORMAT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"

/* fmt_tok.flags */
#define FT_TSTART 0x01 /* RT_TPART/RT_TEND opening a template string */
#define FT_RAW 0x02    /* template string in backquotes */

/* Templates nested inside template expressions the scanner follows. */
#define FMT_MAX_TEMPLATE_DEPTH 64

struct fmt_tok {
	uint8_t kind; /* enum rtok_kind; RT_TPART/RT_TEND: the text of a
	               * template string up to `{` or its end (off, len: the
	               * text without delimiters) */
	uint8_t flags;
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
	bool too_deep; /* templates nested deeper than FMT_MAX_TEMPLATE_DEPTH */
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
