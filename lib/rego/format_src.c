/* Tokens and comments of a module's source, for the formatter: the lexer
 * runs over the text again (it parsed already, so it is valid Rego) and
 * the gaps between tokens give the comments. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format_int.h"
#include "lexer.h"

static int push_tok(struct fmt_src *s, size_t *cap, const struct fmt_tok *t)
{
	if (s->ntoks == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct fmt_tok *nv = reallocarray(s->toks, ncap, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		s->toks = nv;
		*cap = ncap;
	}
	s->toks[s->ntoks++] = *t;
	return 0;
}

static int push_cm(struct fmt_src *s, size_t *cap, const struct fmt_comment *c)
{
	if (s->ncms == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct fmt_comment *nv = reallocarray(s->cms, ncap, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		s->cms = nv;
		*cap = ncap;
	}
	s->cms[s->ncms++] = *c;
	return 0;
}

/* Comments in src[from, to) (only whitespace and comments there). */
static int gap(struct fmt_src *s, size_t *cap, size_t from, size_t to, uint32_t line,
               uint32_t col)
{
	const char *src = s->src;
	for (size_t off = from; off < to;) {
		if (src[off] == '\n') {
			line++;
			col = 1;
			off++;
		} else if (src[off] == '#') {
			const char *nl = memchr(src + off, '\n', to - off);
			size_t end = nl ? (size_t)(nl - src) : to;
			struct fmt_comment c = {line, col, off + 1, end - off - 1, false};
			/* a trailing CR, spaces and tabs go (opa fmt trims them) */
			while (c.len > 0 && (src[c.off + c.len - 1] == '\r' ||
			                     src[c.off + c.len - 1] == ' ' ||
			                     src[c.off + c.len - 1] == '\t'))
				c.len--;
			if (push_cm(s, cap, &c) < 0)
				return -ENOMEM;
			col += (uint32_t)(end - off);
			off = end;
		} else {
			col++;
			off++;
		}
	}
	return 0;
}

int fmt_src_scan(struct fmt_src *s, const char *src, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->src = src;
	s->len = len;
	size_t tcap = 0, ccap = 0;
	struct rlexer lx;
	rlex_init(&lx, src, len);
	/* open template strings: backquoted?, and braces open in the
	 * current interpolated expression */
	bool raw[FMT_MAX_TEMPLATE_DEPTH];
	uint32_t braces[FMT_MAX_TEMPLATE_DEPTH];
	size_t nt = 0;
	for (;;) {
		size_t from = lx.off;
		uint32_t line = lx.line, col = lx.col;
		struct rtoken t;
		rlex_scan(&lx, &t);
		if (gap(s, &ccap, from, t.off, line, col) < 0)
			return -ENOMEM;
		if (t.kind == RT_EOF || t.kind == RT_ILLEGAL)
			return 0;
		struct fmt_tok ft = {t.kind, 0, t.line, t.col, t.off, t.len};
		if (t.kind == RT_TPART || t.kind == RT_TEND) {
			ft.flags = FT_TSTART | ((t.flags & RTF_RAW) ? FT_RAW : 0);
			if (t.kind == RT_TPART) {
				if (nt == FMT_MAX_TEMPLATE_DEPTH) {
					s->too_deep = true;
					return 0;
				}
				raw[nt] = (t.flags & RTF_RAW) != 0;
				braces[nt++] = 0;
			}
		} else if (nt > 0 && t.kind == RT_LBRACE) {
			braces[nt - 1]++;
		} else if (nt > 0 && t.kind == RT_RBRACE && braces[nt - 1] > 0) {
			braces[nt - 1]--;
		} else if (nt > 0 && t.kind == RT_RBRACE) {
			/* the `}` ending an interpolated expression: the template's
			 * text goes on */
			rlex_template(&lx, &t, raw[nt - 1]);
			if (t.kind == RT_ILLEGAL)
				return 0;
			ft = (struct fmt_tok){t.kind, raw[nt - 1] ? FT_RAW : 0, t.line, t.col, t.off,
			                      t.len};
			if (t.kind == RT_TEND)
				nt--;
		}
		if (push_tok(s, &tcap, &ft) < 0)
			return -ENOMEM;
	}
}

void fmt_src_free(struct fmt_src *s)
{
	free(s->toks);
	free(s->cms);
	s->toks = NULL;
	s->cms = NULL;
}

long fmt_src_tok_at(const struct fmt_src *s, ast_loc loc)
{
	size_t lo = 0, hi = s->ntoks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct fmt_tok *t = &s->toks[mid];
		if (t->line < loc.line || (t->line == loc.line && t->col < loc.col))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->ntoks && s->toks[lo].line == loc.line && s->toks[lo].col == loc.col)
		return (long)lo;
	return -1;
}

long fmt_src_match(const struct fmt_src *s, size_t open)
{
	size_t depth = 0;
	for (size_t i = open; i < s->ntoks; i++) {
		uint8_t k = s->toks[i].kind;
		if (k == RT_LBRACE || k == RT_LBRACK || k == RT_LPAREN) {
			depth++;
		} else if (k == RT_RBRACE || k == RT_RBRACK || k == RT_RPAREN) {
			if (--depth == 0)
				return (long)i;
		}
	}
	return -1;
}
