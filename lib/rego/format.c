/* `opa fmt` for Rego v1 modules: prints a parsed module in OPA's canonical
 * style (tabs, `:=` heads, `if`/`contains`, one expression per line, infix
 * operands of infix operators in parentheses), keeping the comments and
 * the spelling of string and number literals from the source (format_src.c).
 *
 * Whatever the printer is not sure to lay out as OPA does (template
 * strings, v0 output, a comment it cannot place) makes rego_format fail
 * with -ENOTSUP rather than print something else than opa fmt would. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "cocoon/limits.h"
#include "cocoon/rego.h"
#include "format_int.h"
#include "lexer.h"
#include "parser.h"

#define TRY(x)                      \
	do {                            \
		int r_ = (x);               \
		if (r_ < 0)                 \
			return r_;              \
	} while (0)

struct fw {
	cc_buf *out;
	struct fmt_src *s;
	int depth;          /* indentation (tabs) of the current line */
	uint32_t last_line; /* greatest source line printed so far */
	const char *why;    /* -ENOTSUP: what could not be formatted */
	bool ref_heads;     /* a rule head is written `a.b...`: head operands
	                     * `["x"]` become `.x` (opa fmt's test_issue_5449) */
	bool in_head;       /* printing a rule head */
	bool opa_ref_heads; /* opa fmt's refHeads: some head is a ref longer
	                     * than `p[x]`, or `p.q contains x` */
	const ast_term *top; /* the term of the expression being printed */
	long pending;        /* comment printed where the line ends, or -1
	                      * (opa fmt's comment on a visited row) */
	bool delay;          /* the next line end keeps it pending */
	const ast_term *paren_lead; /* a term printed in parentheses */
};

static int p_term(struct fw *w, const ast_term *t, bool paren_infix);
static int p_expr(struct fw *w, const ast_expr *e);

static int unsupported(struct fw *w, const char *why)
{
	w->why = why;
	return -ENOTSUP;
}

static void seen(struct fw *w, uint32_t line)
{
	if (line > w->last_line)
		w->last_line = line;
}

static const struct fmt_tok *tok_at(const struct fw *w, ast_loc loc)
{
	long i = fmt_src_tok_at(w->s, loc);
	return i < 0 ? NULL : &w->s->toks[i];
}

/* Marks the token's last line as printed (raw strings span lines). */
static void seen_tok(struct fw *w, const struct fmt_tok *t)
{
	uint32_t line = t->line;
	for (size_t i = 0; i < t->len; i++)
		if (w->s->src[t->off + i] == '\n')
			line++;
	seen(w, line);
}

static int indent(struct fw *w)
{
	for (int i = 0; i < w->depth; i++)
		TRY(cc_buf_addc(w->out, '\t'));
	return 0;
}

/* Comments must come out in source order: one left behind would be lost
 * or misplaced. */
static int check_order(struct fw *w, size_t idx)
{
	for (size_t i = 0; i < idx; i++)
		if (!w->s->cms[i].done)
			return unsupported(w, "a comment the formatter cannot place");
	return 0;
}

static int p_comment(struct fw *w, size_t i)
{
	struct fmt_comment *c = &w->s->cms[i];
	TRY(check_order(w, i));
	c->done = true;
	TRY(cc_buf_addc(w->out, '#'));
	return cc_buf_add(w->out, w->s->src + c->off, c->len);
}

/* Ends the line: the comment of a row visited on it follows, unless
 * delayed (the line opening a multi-line collection or call). */
static int nl(struct fw *w)
{
	if (w->pending >= 0 && !w->delay) {
		TRY(cc_buf_addc(w->out, ' '));
		TRY(p_comment(w, (size_t)w->pending));
		w->pending = -1;
	}
	w->delay = false;
	return cc_buf_addc(w->out, '\n');
}

/* A node starting on source line `line` is printed (opa fmt's
 * insertComments): a comment on that line goes at the end of the output
 * line; one above it that no caller put on a line of its own would land
 * inside the line, which is refused. */
static int visit(struct fw *w, uint32_t line)
{
	for (size_t i = 0; i < w->s->ncms; i++) {
		const struct fmt_comment *c = &w->s->cms[i];
		if (c->done || (long)i == w->pending)
			continue;
		if (c->line > line)
			break;
		if (c->line < line)
			return unsupported(w, "a comment inside a construct printed on one line");
		if (w->pending >= 0)
			return unsupported(w, "two comments at the end of one line");
		w->pending = (long)i;
	}
	return 0;
}

/* Before an item starting on source line `line`: the comments above it,
 * each on its own line, with a blank line where the source has a gap.
 * LEAD_TOP: a blank line separates the item (or its comments) from what
 * precedes, gap or not (top-level rules); LEAD_START: the item opens a
 * block, no blank line before it; LEAD_END: only the remaining comments. */
enum { LEAD_GAP, LEAD_TOP, LEAD_START, LEAD_END };

static int leading_cms(struct fw *w, uint32_t line, int mode)
{
	uint32_t prev = w->last_line;
	bool first = true;
	for (size_t i = 0; i < w->s->ncms; i++) {
		const struct fmt_comment *c = &w->s->cms[i];
		if (c->done || c->line >= line || (long)i == w->pending)
			continue;
		/* in a body, a gap before the item puts the blank line before
		 * its comments (opa fmt's writeBody) */
		bool blank = prev != 0 && c->line > prev + 1;
		if (first && mode == LEAD_GAP)
			blank = prev != 0 && line > prev + 1;
		if (first && (mode == LEAD_TOP || mode == LEAD_END))
			blank = true;
		if (first && mode == LEAD_START)
			blank = false;
		if (blank)
			TRY(cc_buf_addc(w->out, '\n'));
		first = false;
		TRY(indent(w));
		TRY(p_comment(w, i));
		TRY(cc_buf_addc(w->out, '\n'));
		prev = c->line;
		seen(w, c->line);
	}
	if (mode == LEAD_END)
		return 0;
	bool blank = prev != 0 && line > prev + 1;
	if (first && mode == LEAD_TOP)
		blank = true;
	if (first && mode == LEAD_START)
		blank = false;
	if (blank)
		TRY(cc_buf_addc(w->out, '\n'));
	return 0;
}

static int leading(struct fw *w, uint32_t line, int mode)
{
	TRY(leading_cms(w, line, mode));
	return mode == LEAD_END ? 0 : visit(w, line);
}

/* True if a comment not printed yet comes before source line `line`. */
static bool comment_before(const struct fw *w, uint32_t line)
{
	for (size_t i = 0; i < w->s->ncms; i++)
		if (!w->s->cms[i].done && (long)i != w->pending && w->s->cms[i].line < line)
			return true;
	return false;
}

/* ---- terms ---- */

static bool is_kw(const char *s, size_t n)
{
	static const char *const kws[] = {
	    "package", "import", "as", "default", "else", "not", "some", "with",
	    "null", "true", "false", "in", "every", "contains", "if",
	};
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (strlen(kws[i]) == n && memcmp(kws[i], s, n) == 0)
			return true;
	return false;
}

static bool ident_like(const char *s, size_t n)
{
	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return !is_kw(s, n);
}

static const char *infix_op(const ast_term *t)
{
	static const char *const ops[][2] = {
	    {"plus", "+"},  {"minus", "-"}, {"mul", "*"},   {"div", "/"},
	    {"rem", "%"},   {"and", "&"},   {"or", "|"},    {"equal", "=="},
	    {"neq", "!="},  {"lt", "<"},    {"gt", ">"},    {"lte", "<="},
	    {"gte", ">="},  {"internal.member_2", "in"},   {"internal.member_3", "in"},
	};
	if (t->kind != AT_CALL || t->u.call.name == NULL)
		return NULL;
	size_t want = strcmp(t->u.call.name, "internal.member_3") == 0 ? 3 : 2;
	if (t->u.call.nargs != want)
		return NULL;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i][0], t->u.call.name) == 0)
			return ops[i][1];
	return NULL;
}

static int p_value(struct fw *w, const ast_term *t)
{
	const struct fmt_tok *tk = tok_at(w, t->loc);
	if (tk != NULL && (tk->kind == RT_STRING || tk->kind == RT_NUMBER) &&
	    (t->u.val->t == RV_STR || t->u.val->t == RV_NUM)) {
		seen_tok(w, tk);
		return cc_buf_add(w->out, w->s->src + tk->off, tk->len);
	}
	if (tk != NULL && tk->kind == RT_SUB && t->u.val->t == RV_NUM &&
	    tk + 1 < w->s->toks + w->s->ntoks && tk[1].kind == RT_NUMBER && tk[1].off == tk->off + 1) {
		/* a negative number literal: `-` and the digits */
		seen(w, tk->line);
		return cc_buf_add(w->out, w->s->src + tk->off, tk[1].len + 1);
	}
	if (t->u.val->t == RV_STR || t->u.val->t == RV_NUM)
		return unsupported(w, "a literal without its source text");
	seen(w, t->loc.line);
	return rv_to_rego(t->u.val, w->out);
}

static int p_var(struct fw *w, const ast_term *t)
{
	seen(w, t->loc.line);
	if (t->u.var.wildcard)
		return cc_buf_addc(w->out, '_');
	if (t->u.var.len == 0 || t->u.var.name[0] == '$')
		return unsupported(w, "a generated variable");
	return cc_buf_add(w->out, t->u.var.name, t->u.var.len);
}

/* Ref operands items[from..n), as written: `.x` or `["x"]` (opa fmt keeps
 * either); a string operand without source text only as `.x`. */
static int p_ref_ops(struct fw *w, ast_term *const *items, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++) {
		const ast_term *op = items[i];
		const struct fmt_tok *tk = tok_at(w, op->loc);
		bool str = op->kind == AT_VALUE && op->u.val->t == RV_STR;
		bool ident = str && ident_like(op->u.val->u.s.p, op->u.val->u.s.n);
		if (str && (((tk == NULL || (w->in_head && w->ref_heads)) && ident) ||
		            (tk != NULL && tk->kind == RT_IDENT))) {
			seen(w, op->loc.line);
			TRY(cc_buf_addc(w->out, '.'));
			if (tk != NULL && tk->kind == RT_IDENT)
				TRY(cc_buf_add(w->out, w->s->src + tk->off, tk->len));
			else
				TRY(cc_buf_add(w->out, op->u.val->u.s.p, op->u.val->u.s.n));
			continue;
		}
		if (str && tk == NULL)
			return unsupported(w, "a ref operand without its source text");
		TRY(cc_buf_addc(w->out, '['));
		TRY(p_term(w, op, false));
		TRY(cc_buf_addc(w->out, ']'));
	}
	return 0;
}

static int p_ref(struct fw *w, const ast_term *t)
{
	if (t->u.list.n == 0)
		return unsupported(w, "an empty reference");
	TRY(p_term(w, t->u.list.items[0], true));
	return p_ref_ops(w, t->u.list.items, 1, t->u.list.n);
}

/* A collection element, key or comprehension head: a set union `a | b`
 * there would read as a comprehension bar, so it goes in parentheses. */
static bool is_union(const ast_term *t)
{
	return t->kind == AT_CALL && t->u.call.name != NULL && strcmp(t->u.call.name, "or") == 0 &&
	       infix_op(t) != NULL;
}

static int p_elem(struct fw *w, const ast_term *t)
{
	return p_term(w, t, is_union(t));
}

/* Where a term starts: an infix call at its left operand (as opa's
 * locations), anything else at its own location. */
static ast_loc t_start(const ast_term *t)
{
	while (infix_op(t) != NULL)
		t = t->u.call.args[0];
	return t->loc;
}

/* True if the token before the term's first one is `(`, other than the
 * token `except` (a call's own parenthesis). */
static bool src_paren(const struct fw *w, const ast_term *t, long except)
{
	long i = fmt_src_tok_at(w->s, t_start(t));
	return i > 0 && i - 1 != except && w->s->toks[i - 1].kind == RT_LPAREN;
}

/* The `(` after the reference starting at loc (a call's or a function
 * head's), or -1. */
static long paren_after(const struct fw *w, ast_loc loc)
{
	long i = fmt_src_tok_at(w->s, loc);
	for (long k = i; k >= 0 && (size_t)k < w->s->ntoks; k++) {
		uint8_t kind = w->s->toks[k].kind;
		if (kind == RT_LPAREN)
			return k;
		if (kind == RT_LBRACK)
			k = fmt_src_match(w->s, (size_t)k);
		else if (kind != RT_IDENT && kind != RT_DOT)
			return -1;
	}
	return -1;
}

enum { IT_LIST, IT_ARGS, IT_OBJ };

/* p_iter's signal that opa fmt would print the term as written */
#define E_VERBATIM (-EAGAIN)

static int p_item(struct fw *w, int kind, const ast_term *k, const ast_term *v, long open)
{
	if (kind == IT_OBJ) {
		TRY(p_elem(w, k));
		TRY(cc_buf_adds(w->out, ": "));
	}
	if (kind != IT_ARGS)
		return p_elem(w, v);
	/* an argument keeps a set union's parentheses only as written */
	if (is_union(v) && src_paren(w, v, open))
		return unsupported(w, "a parenthesised set union as an argument");
	return p_term(w, v, false);
}

/* Elements of a collection, call or function head after the opening
 * bracket (token `open`), as opa fmt's writeIterable: elements starting
 * on one source line share an output line; with more than one such line,
 * or (nl_first) a first element below the bracket, each line of them is
 * indented on its own with a trailing comma. from_line: the line the
 * grouping starts from; close_cms: comments before the closing bracket
 * are placed (not for calls, as opa fmt). */
static int p_iter(struct fw *w, int kind, ast_term *const *keys, ast_term *const *vals, size_t n,
                  uint32_t from_line, bool nl_first, long open, bool close_cms)
{
	long close = open < 0 ? -1 : fmt_src_match(w->s, (size_t)open);
	if (close < 0)
		return unsupported(w, "a collection without its brackets");
	uint32_t cl = w->s->toks[close].line;
	bool multi = nl_first;
	for (size_t i = 1; i < n; i++) {
		ast_loc a = t_start(keys ? keys[i - 1] : vals[i - 1]);
		ast_loc b = t_start(keys ? keys[i] : vals[i]);
		if (b.line < a.line || (b.line == a.line && b.col <= a.col))
			return unsupported(w, "elements out of source order");
		multi |= b.line > a.line;
	}
	if (!multi) {
		for (size_t i = 0; close_cms && i < w->s->ncms; i++) {
			const struct fmt_comment *c = &w->s->cms[i];
			if (!c->done && (long)i != w->pending && c->line > from_line && c->line < cl) {
				/* opa fmt prints the enclosing term as written
				 * (p_top); elsewhere this is refused */
				w->why = "a comment inside a collection printed on one line";
				return E_VERBATIM;
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				TRY(cc_buf_adds(w->out, ", "));
			TRY(p_item(w, kind, keys ? keys[i] : NULL, vals[i], open));
		}
		seen(w, cl);
		return 0;
	}
	w->delay = true;
	TRY(nl(w));
	w->depth++;
	uint32_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t line = t_start(keys ? keys[i] : vals[i]).line;
		if (i == 0 || line > prev) {
			if (i > 0) {
				TRY(cc_buf_addc(w->out, ','));
				TRY(nl(w));
			}
			TRY(leading(w, line, LEAD_START));
			TRY(indent(w));
		} else {
			TRY(cc_buf_adds(w->out, ", "));
		}
		prev = line;
		TRY(p_item(w, kind, keys ? keys[i] : NULL, vals[i], open));
	}
	TRY(cc_buf_addc(w->out, ','));
	TRY(nl(w));
	if (close_cms)
		TRY(leading(w, cl, LEAD_START));
	seen(w, cl);
	w->depth--;
	return indent(w);
}

static int p_coll(struct fw *w, const ast_term *t, ast_term *const *keys, ast_term *const *vals,
                  size_t n, char open, char close)
{
	long o = fmt_src_tok_at(w->s, t->loc);
	TRY(cc_buf_addc(w->out, open));
	bool nl_first = n > 0 && t_start(keys ? keys[0] : vals[0]).line > t->loc.line;
	TRY(p_iter(w, keys ? IT_OBJ : IT_LIST, keys, vals, n, t->loc.line, nl_first, o, true));
	return cc_buf_addc(w->out, close);
}

/* A body one expression per line (blank lines between them kept, one at
 * most), then the comments before its closing bracket on line cl; the
 * bracket is left to the caller. */
static int p_lines(struct fw *w, const ast_body *b, uint32_t cl)
{
	TRY(nl(w));
	w->depth++;
	for (size_t i = 0; i < b->n; i++) {
		TRY(leading(w, b->exprs[i]->loc.line, i == 0 ? LEAD_START : LEAD_GAP));
		TRY(indent(w));
		TRY(p_expr(w, b->exprs[i]));
		TRY(nl(w));
	}
	TRY(leading(w, cl, LEAD_START));
	seen(w, cl);
	w->depth--;
	return indent(w);
}

/* A comprehension's (or every's) body after `|` (`{`), as opa fmt's
 * writeComprehensionBody: on the line when all of it starts on the line
 * of the term before it, else one expression per line. open: the token
 * whose matching bracket closes it. */
static int p_comp_body(struct fw *w, const ast_body *b, uint32_t term_line, long open)
{
	long close = open < 0 ? -1 : fmt_src_match(w->s, (size_t)open);
	if (close < 0 || b->n == 0)
		return unsupported(w, "a comprehension without its brackets");
	uint32_t cl = w->s->toks[close].line;
	bool multi = b->exprs[0]->loc.line > term_line;
	for (size_t i = 1; i < b->n; i++)
		multi |= b->exprs[i]->loc.line > b->exprs[i - 1]->loc.line;
	if (!multi) {
		for (size_t i = 0; i < b->n; i++) {
			TRY(cc_buf_adds(w->out, i == 0 ? " " : "; "));
			TRY(p_expr(w, b->exprs[i]));
		}
		TRY(visit(w, cl));
		seen(w, cl);
		return 0;
	}
	return p_lines(w, b, cl);
}

/* The comprehension term: a set union, or an infix call written in
 * parentheses, keeps them (opa fmt's writeComprehension). */
static int p_comp_term(struct fw *w, const ast_term *t)
{
	return p_term(w, t, is_union(t) || (infix_op(t) != NULL && src_paren(w, t, -1)));
}

static int p_comp(struct fw *w, const ast_term *t, char open, char close)
{
	long o = fmt_src_tok_at(w->s, t->loc);
	TRY(cc_buf_addc(w->out, open));
	uint32_t term_line = t->loc.line;
	if (t->u.comp.key) {
		/* opa fmt keeps key and value on the line of the brace */
		TRY(p_elem(w, t->u.comp.key));
		TRY(cc_buf_adds(w->out, ": "));
	} else if (t_start(t->u.comp.val).line > t->loc.line) {
		term_line = t_start(t->u.comp.val).line;
		TRY(nl(w));
		TRY(indent(w));
	}
	TRY(p_comp_term(w, t->u.comp.val));
	TRY(cc_buf_adds(w->out, " |"));
	TRY(p_comp_body(w, t->u.comp.body, term_line, o));
	return cc_buf_addc(w->out, close);
}

/* A text part of a template string as opa fmt writes it: the value
 * quoted as Go's strconv.Quote does (for `$"..."`) or as is (for
 * $`...`), then `\` before each `{`. Bytes Go would write in an escape
 * Rego does not have (\a, \v, \x..), and anything not ASCII (Go's
 * printable test), are refused; so is `\{` in the value, which opa fmt
 * would print as an interpolation. */
static int p_tmpl_text(struct fw *w, const rv *v, bool raw)
{
	const char *p = v->u.s.p;
	size_t n = v->u.s.n;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '{' && i > 0 && p[i - 1] == '\\')
			return unsupported(w, "a template string with \\{ in its text");
		if (c == '{') {
			TRY(cc_buf_adds(w->out, "\\{"));
		} else if (raw || (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')) {
			if (c >= 0x80)
				return unsupported(w, "a template string with non-ASCII text");
			TRY(cc_buf_addc(w->out, (char)c));
		} else {
			const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
			              : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
			              : c == '\f' ? "\\f" : NULL;
			if (e == NULL)
				return unsupported(w, "a template string with control or non-ASCII characters");
			TRY(cc_buf_adds(w->out, e));
		}
	}
	return 0;
}

/* Comments before source line `line` on lines of their own (opa fmt's
 * writeComments: a blank line where the source has a gap between them). */
static int own_lines(struct fw *w, uint32_t line, bool first_indented)
{
	uint32_t prev = 0;
	for (size_t i = 0; i < w->s->ncms; i++) {
		const struct fmt_comment *c = &w->s->cms[i];
		if (c->done || (long)i == w->pending || c->line >= line)
			continue;
		if (prev != 0 && c->line > prev + 1)
			TRY(cc_buf_addc(w->out, '\n'));
		if (prev != 0 || first_indented)
			TRY(indent(w));
		TRY(p_comment(w, i));
		TRY(cc_buf_addc(w->out, '\n'));
		prev = c->line;
	}
	return 0;
}

/* An interpolated expression between its braces, with opa fmt's comment
 * placement: a comment after `{` stays there and the expression goes on
 * the next line; comments between it and the next part (`next`) go on
 * lines of their own before the `}`. */
static int p_tmpl_expr(struct fw *w, const ast_expr *e, const ast_term *t, const ast_term *next)
{
	uint32_t line = e ? e->loc.line : t->loc.line;
	if (w->pending >= 0) {
		/* opa fmt writes it after this `{` whichever part of the
		 * line it came from; only one from these braces comes back
		 * the same when formatted again */
		long k = fmt_src_tok_at(w->s, e ? e->loc : t_start(t));
		size_t off = w->s->cms[w->pending].off;
		if (k <= 0 || off < w->s->toks[k - 1].off + w->s->toks[k - 1].len ||
		    off > w->s->toks[k].off)
			return unsupported(w, "a comment elsewhere on the line of a template string");
		TRY(nl(w));
		TRY(leading(w, line, LEAD_START));
		TRY(indent(w));
	} else if (comment_before(w, line)) {
		TRY(cc_buf_addc(w->out, ' '));
		TRY(own_lines(w, line, false));
		TRY(indent(w));
	}
	TRY(e ? p_expr(w, e) : p_term(w, t, false));
	if (next != NULL && comment_before(w, next->loc.line)) {
		TRY(nl(w));
		TRY(own_lines(w, next->loc.line, true));
		TRY(indent(w));
	}
	return 0;
}

/* For a scalar interpolation ({42}) with a comment between its braces
 * (opa fmt keeps it an interpolation): 1 if the comments precede the
 * scalar and are still to print, so that they come out inside the braces
 * again; -1 (refused) otherwise: the next formatting would inline it. 0
 * without comments or for a text part. */
static int tmpl_scalar_cms(const struct fw *w, const ast_term *it)
{
	long k = fmt_src_tok_at(w->s, it->loc);
	if (k <= 0 || w->s->toks[k].kind == RT_TPART || w->s->toks[k].kind == RT_TEND)
		return 0; /* a text part */
	size_t from = w->s->toks[k - 1].off + w->s->toks[k - 1].len, to = w->s->len;
	for (size_t j = (size_t)k; j < w->s->ntoks; j++)
		if (w->s->toks[j].kind == RT_TPART || w->s->toks[j].kind == RT_TEND) {
			to = w->s->toks[j].off;
			break;
		}
	int r = 0;
	for (size_t i = 0; i < w->s->ncms; i++) {
		const struct fmt_comment *c = &w->s->cms[i];
		if (c->off < from || c->off > to)
			continue;
		if (c->off > w->s->toks[k].off)
			return -1;
		r = r == 1 || !c->done ? 1 : -1;
	}
	return r;
}

/* $"..." / $`...`: text parts re-quoted from their values, scalar
 * interpolations ({42}, {"x"}) inlined as text, other interpolations
 * printed between braces one indentation level in (opa fmt's
 * writeTemplateString). Comments inside are refused. */
static int p_template(struct fw *w, const ast_term *t)
{
	long i0 = fmt_src_tok_at(w->s, t->loc);
	if (i0 < 0 || !(w->s->toks[i0].flags & FT_TSTART))
		return unsupported(w, "a template string without its source text");
	const struct fmt_tok *first = &w->s->toks[i0], *end = first;
	bool raw = (first->flags & FT_RAW) != 0;
	for (size_t k = (size_t)i0, d = 0; k < w->s->ntoks; k++) {
		const struct fmt_tok *tk = &w->s->toks[k];
		if (tk->kind == RT_TPART && (tk->flags & FT_TSTART))
			d++;
		else if (tk->kind == RT_TEND && !(tk->flags & FT_TSTART))
			d--;
		if (d == 0) {
			end = tk;
			break;
		}
	}
	TRY(cc_buf_adds(w->out, raw ? "$`" : "$\""));
	const ast_term *top = w->top;
	for (size_t i = 0; i < t->u.list.n; i++) {
		const ast_term *it = t->u.list.items[i];
		const ast_expr *e = t->u.list.exprs ? t->u.list.exprs[i] : NULL;
		int cms = e == NULL ? tmpl_scalar_cms(w, it) : 0;
		if (cms < 0)
			return unsupported(w, "a comment opa fmt moves out of a template part");
		if (e != NULL || cms > 0) {
			/* a scalar with a comment inside its braces is not inlined */
			TRY(cc_buf_addc(w->out, '{'));
			w->depth++;
			TRY(p_tmpl_expr(w, e, it, i + 1 < t->u.list.n ? t->u.list.items[i + 1] : NULL));
			w->depth--;
			w->top = top;
			TRY(cc_buf_addc(w->out, '}'));
		} else if (it->kind == AT_VALUE && it->u.val->t == RV_STR) {
			TRY(p_tmpl_text(w, it->u.val, raw));
		} else if (it->kind == AT_VALUE) {
			TRY(p_value(w, it));
		} else {
			return unsupported(w, "a template string part");
		}
	}
	seen_tok(w, end);
	return cc_buf_addc(w->out, raw ? '`' : '"');
}

static int p_call(struct fw *w, const ast_term *t, bool paren_infix)
{
	const char *op = infix_op(t);
	ast_term *const *a = t->u.call.args;
	if (op == NULL) {
		TRY(p_term(w, t->u.call.op, false));
		long o = paren_after(w, t->u.call.op->loc);
		TRY(cc_buf_addc(w->out, '('));
		TRY(p_iter(w, IT_ARGS, NULL, a, t->u.call.nargs, t->u.call.op->loc.line, false, o,
		           false));
		return cc_buf_addc(w->out, ')');
	}
	/* `k, v in c` reads as two items anywhere but as a whole expression */
	if (t->u.call.nargs == 3 && t != w->top)
		paren_infix = true;
	if (paren_infix)
		TRY(cc_buf_addc(w->out, '('));
	TRY(p_term(w, a[0], true));
	if (t->u.call.nargs == 3) {
		TRY(cc_buf_adds(w->out, ", "));
		TRY(p_term(w, a[1], true));
	}
	TRY(cc_buf_printf(w->out, " %s ", op));
	TRY(p_term(w, a[t->u.call.nargs - 1], true));
	if (paren_infix)
		TRY(cc_buf_addc(w->out, ')'));
	return 0;
}

static int p_term(struct fw *w, const ast_term *t, bool paren_infix)
{
	TRY(visit(w, t_start(t).line));
	if (t == w->paren_lead) {
		w->paren_lead = NULL;
		paren_infix = true;
	}
	switch (t->kind) {
	case AT_VALUE:
		return p_value(w, t);
	case AT_VAR:
		return p_var(w, t);
	case AT_REF:
		return p_ref(w, t);
	case AT_ARR:
		return p_coll(w, t, NULL, t->u.list.items, t->u.list.n, '[', ']');
	case AT_SET:
		if (t->u.list.n == 0) {
			seen(w, t->loc.line);
			return cc_buf_adds(w->out, "set()");
		}
		return p_coll(w, t, NULL, t->u.list.items, t->u.list.n, '{', '}');
	case AT_OBJ:
		return p_coll(w, t, t->u.obj.keys, t->u.obj.vals, t->u.obj.n, '{', '}');
	case AT_ARR_COMP:
		return p_comp(w, t, '[', ']');
	case AT_SET_COMP:
	case AT_OBJ_COMP:
		return p_comp(w, t, '{', '}');
	case AT_CALL:
		return p_call(w, t, paren_infix);
	case AT_TEMPLATE:
		return p_template(w, t);
	default:
		return unsupported(w, "an unknown term");
	}
}

/* A term where opa fmt falls back to its source text when a comment sits
 * inside a collection it prints on one line (writeTerm's
 * unexpectedCommentError): an expression's term or right side, a `with`
 * value, a rule value without a body. Only collections are copied so. */
static int p_top(struct fw *w, const ast_term *t)
{
	size_t at = w->out->len, ndone = 0;
	while (ndone < w->s->ncms && w->s->cms[ndone].done)
		ndone++;
	struct fw saved = *w;
	int r = p_term(w, t, false);
	if (r != E_VERBATIM || (t->kind != AT_ARR && t->kind != AT_SET && t->kind != AT_OBJ))
		return r;
	*w = saved;
	w->out->len = at;
	for (size_t i = ndone; i < w->s->ncms; i++)
		w->s->cms[i].done = false;
	long o = fmt_src_tok_at(w->s, t->loc);
	long c = o < 0 ? -1 : fmt_src_match(w->s, (size_t)o);
	if (c < 0)
		return unsupported(w, "a collection without its brackets");
	const struct fmt_tok *open = &w->s->toks[o], *close = &w->s->toks[c];
	TRY(cc_buf_add(w->out, w->s->src + open->off, close->off + 1 - open->off));
	for (size_t i = 0; i < w->s->ncms; i++) {
		struct fmt_comment *cm = &w->s->cms[i];
		if (cm->done || cm->off < open->off)
			continue;
		if (cm->off > close->off)
			break;
		cm->done = true; /* inside the copied text */
		if ((long)i == w->pending)
			w->pending = -1;
	}
	seen(w, close->line);
	return visit(w, close->line);
}

/* ---- expressions and bodies ---- */

/* The `{` opening a body (the token before its first expression), or -1. */
static long body_open(const struct fw *w, const ast_body *b)
{
	long i = fmt_src_tok_at(w->s, b->loc);
	if (i > 0 && w->s->toks[i - 1].kind == RT_LBRACE)
		return i - 1;
	return -1;
}

/* Body lines between braces; the `{` is printed already. */
static int p_block(struct fw *w, const ast_body *b, long open)
{
	long close = open < 0 ? -1 : fmt_src_match(w->s, (size_t)open);
	if (close < 0)
		return unsupported(w, "a body without its braces");
	TRY(p_lines(w, b, w->s->toks[close].line));
	return cc_buf_addc(w->out, '}');
}

/* `some k, v in coll` / `every k, v in coll` (without the body). */
static int p_in(struct fw *w, const char *kw, const ast_expr *e)
{
	TRY(cc_buf_adds(w->out, kw));
	if (e->some.key) {
		TRY(p_term(w, e->some.key, false));
		TRY(cc_buf_adds(w->out, ", "));
	}
	TRY(p_term(w, e->some.val, false));
	TRY(cc_buf_adds(w->out, " in "));
	return p_term(w, e->some.coll, false);
}

static int p_every(struct fw *w, const ast_expr *e)
{
	TRY(p_in(w, "every ", e));
	const ast_body *b = e->some.body;
	TRY(cc_buf_adds(w->out, " {"));
	TRY(p_comp_body(w, b, e->loc.line, body_open(w, b)));
	/* opa fmt's spellings: `{ a }`, `{ a; b}` */
	if (b->n == 1 && b->exprs[0]->loc.line == e->loc.line)
		TRY(cc_buf_addc(w->out, ' '));
	return cc_buf_addc(w->out, '}');
}

/* The `with` modifiers, as opa fmt's writeExpr: the first stays on the
 * line where the expression's terms end if it was there; one written on a
 * later line than the one before goes on a line of its own, indented once
 * more. */
static int p_withs(struct fw *w, const ast_expr *e)
{
	long k = fmt_src_tok_at(w->s, e->withs[0].loc);
	if (k <= 0)
		return unsupported(w, "a with without its source text");
	const struct fmt_tok *before = &w->s->toks[k - 1];
	uint32_t row = before->line;
	for (size_t i = 0; i < before->len; i++)
		row += w->s->src[before->off + i] == '\n';
	bool indented = false;
	for (size_t i = 0; i < e->nwiths; i++) {
		const ast_with *wi = &e->withs[i];
		if (wi->loc.line > row) {
			if (!indented)
				w->depth++;
			indented = true;
			TRY(nl(w));
			TRY(indent(w));
			row = wi->loc.line;
		} else {
			TRY(cc_buf_addc(w->out, ' '));
		}
		TRY(visit(w, wi->loc.line));
		TRY(cc_buf_adds(w->out, "with "));
		TRY(p_term(w, wi->target, false));
		TRY(cc_buf_adds(w->out, " as "));
		TRY(p_top(w, wi->value));
	}
	if (indented)
		w->depth--;
	return 0;
}

static int p_expr(struct fw *w, const ast_expr *e)
{
	seen(w, e->loc.line);
	TRY(visit(w, e->loc.line));
	if (e->negated)
		TRY(cc_buf_adds(w->out, "not "));
	switch (e->kind) {
	case AE_TERM:
		w->top = e->a;
		TRY(p_top(w, e->a));
		break;
	case AE_UNIFY:
	case AE_ASSIGN:
		TRY(p_term(w, e->a, false));
		TRY(cc_buf_adds(w->out, e->kind == AE_UNIFY ? " = " : " := "));
		TRY(p_top(w, e->b));
		break;
	case AE_SOME:
		TRY(cc_buf_adds(w->out, "some "));
		for (size_t i = 0; i < e->some.nvars; i++) {
			if (i > 0)
				TRY(cc_buf_adds(w->out, ", "));
			TRY(p_term(w, e->some.vars[i], false));
		}
		break;
	case AE_SOME_IN:
		TRY(p_in(w, "some ", e));
		break;
	case AE_EVERY:
		TRY(p_every(w, e));
		break;
	default:
		return unsupported(w, "an unknown expression");
	}
	return e->nwiths > 0 ? p_withs(w, e) : 0;
}

/* ---- rules ---- */

static bool tok_is(const struct fw *w, ast_loc loc, const char *text)
{
	const struct fmt_tok *t = tok_at(w, loc);
	return t != NULL && t->len == strlen(text) && memcmp(w->s->src + t->off, text, t->len) == 0;
}

/* A literal or collection written as such (not made up by the parser). */
static bool tok_is_value(const struct fw *w, const ast_term *t)
{
	const struct fmt_tok *tk = tok_at(w, t->loc);
	if (tk == NULL)
		return false;
	if (t->kind == AT_VALUE)
		return tk->kind == RT_STRING || tk->kind == RT_NUMBER ||
		       (tk->kind == RT_IDENT && t->u.val->t != RV_STR && t->u.val->t != RV_NUM);
	return t->kind == AT_ARR || t->kind == AT_SET || t->kind == AT_OBJ;
}

static bool is_true_term(const ast_term *t)
{
	return t != NULL && t->kind == AT_VALUE && t->u.val->t == RV_BOOL && t->u.val->u.b;
}

/* A body that is the single expression `true` (written or made up). */
static bool true_body(const ast_body *b)
{
	if (b->n != 1)
		return false;
	const ast_expr *e = b->exprs[0];
	return e->kind == AE_TERM && !e->negated && e->nwiths == 0 && is_true_term(e->a);
}

/* ` := v`, then the body. opa fmt drops a body that is just `true` when
 * no else follows; the value `true` the parser made up for `p if ...` is
 * left out unless the body goes too (`p.q[2] if true` is
 * `p.q[2] := true`). */
static int p_rule_tail(struct fw *w, const ast_rule *r, bool is_else, bool *oneline)
{
	*oneline = false;
	const ast_body *b = r->body;
	bool no_body = r->is_default || (true_body(b) && r->els == NULL);
	if (r->kind == AR_MULTI) {
		TRY(cc_buf_adds(w->out, " contains "));
		TRY(p_term(w, r->key, false));
	} else if (r->value != NULL) {
		bool made_up = is_true_term(r->value) && !tok_is(w, r->value->loc, "true");
		if (!made_up || no_body) {
			TRY(cc_buf_adds(w->out, " := "));
			if (made_up)
				TRY(cc_buf_adds(w->out, "true"));
			else
				TRY(no_body ? p_top(w, r->value) : p_term(w, r->value, false));
		}
	}
	if (no_body) {
		seen(w, b->exprs[b->n - 1]->loc.line);
		return 0;
	}
	long open = body_open(w, b);
	long close = open < 0 ? -1 : fmt_src_match(w->s, (size_t)open);
	uint32_t end = close >= 0 ? w->s->toks[close].line : b->exprs[b->n - 1]->loc.line;
	bool lone_set = b->n == 1 && b->exprs[0]->kind == AE_TERM && b->exprs[0]->a->kind == AT_SET;
	if (b->n == 1 && b->exprs[0]->loc.line == r->loc.line && end == r->loc.line) {
		/* a body on the rule's line: `p if EXPR` (a lone set literal
		 * keeps its braces, it would read as a body); an `else` after
		 * it goes on a line of its own */
		*oneline = true;
		if (!lone_set) {
			TRY(cc_buf_adds(w->out, " if "));
			return p_expr(w, b->exprs[0]);
		}
	}
	if (open < 0)
		return unsupported(w, "a rule body over several lines without braces");
	TRY(cc_buf_adds(w->out, " if {"));
	/* a set union leading the body would read as a comprehension at
	 * the brace: in parentheses (opa fmt's markUnionLead; an else body
	 * has no such ambiguity) */
	const ast_expr *e0 = b->exprs[0];
	if (!is_else && !e0->negated && e0->kind != AE_SOME && e0->kind != AE_SOME_IN &&
	    e0->kind != AE_EVERY && is_union(e0->a))
		w->paren_lead = e0->a;
	return p_block(w, b, open);
}

/* First comment not printed yet (nor pending), or NULL. */
static const struct fmt_comment *next_comment(const struct fw *w)
{
	for (size_t i = 0; i < w->s->ncms; i++)
		if (!w->s->cms[i].done && (long)i != w->pending)
			return &w->s->cms[i];
	return NULL;
}

/* `p[x] := v` with a comment on the line of x: opa fmt writes the head as
 * it is in the source (writeHead's writeUnformatted), a comment on its last
 * line after it. Only for a constant (no body, no else) whose value is a
 * literal or a collection. */
static int p_rule_verbatim(struct fw *w, const ast_rule *r)
{
	const ast_term *v = r->value;
	if (!true_body(r->body) || v == NULL || !tok_is_value(w, v))
		return unsupported(w, "a comment inside a rule head");
	long o = fmt_src_tok_at(w->s, r->head->loc), e = fmt_src_tok_at(w->s, v->loc);
	if (e >= 0 && (v->kind == AT_ARR || v->kind == AT_SET || v->kind == AT_OBJ))
		e = fmt_src_match(w->s, (size_t)e);
	if (o < 0 || e < 0)
		return unsupported(w, "a comment inside a rule head");
	const struct fmt_tok *first = &w->s->toks[o], *last = &w->s->toks[e];
	size_t end = last->off + last->len;
	TRY(cc_buf_add(w->out, w->s->src + first->off, end - first->off));
	seen_tok(w, last);
	w->pending = -1;
	for (size_t i = 0; i < w->s->ncms; i++) {
		struct fmt_comment *c = &w->s->cms[i];
		if (c->done || c->off < first->off || c->line > w->last_line)
			continue;
		if (c->off > end) {
			TRY(cc_buf_addc(w->out, ' '));
			TRY(p_comment(w, i));
		}
		c->done = true;
	}
	return nl(w);
}

static int p_rule(struct fw *w, const ast_rule *r)
{
	const struct fmt_comment *nc = next_comment(w);
	if (!w->opa_ref_heads && !r->is_default && r->els == NULL && r->kind != AR_FUNCTION &&
	    r->head->u.list.n == 2 && nc != NULL && nc->line == t_start(r->head->u.list.items[1]).line)
		return p_rule_verbatim(w, r);
	if (r->is_default)
		TRY(cc_buf_adds(w->out, "default "));
	w->in_head = true;
	int rc = p_ref(w, r->head);
	w->in_head = false;
	TRY(rc);
	if (r->kind == AR_FUNCTION) {
		long o = paren_after(w, r->head->loc);
		bool nl_first = r->nargs > 0 && t_start(r->args[0]).line > r->head->loc.line;
		TRY(cc_buf_addc(w->out, '('));
		TRY(p_iter(w, IT_ARGS, NULL, r->args, r->nargs, r->head->loc.line, nl_first, o, true));
		TRY(cc_buf_addc(w->out, ')'));
	}
	bool oneline;
	TRY(p_rule_tail(w, r, false, &oneline));
	const ast_rule *before = r;
	for (const ast_rule *e = r->els; e != NULL; before = e, e = e->els) {
		if (before->is_default)
			return unsupported(w, "an else after a part without a body");
		if (oneline || e->loc.line > w->last_line) {
			/* `else` on a line of its own stays so, after a blank
			 * line and its comments */
			TRY(nl(w));
			TRY(cc_buf_addc(w->out, '\n'));
			TRY(leading(w, e->loc.line, LEAD_START));
			TRY(indent(w));
			TRY(cc_buf_adds(w->out, "else"));
		} else {
			TRY(cc_buf_adds(w->out, " else"));
		}
		seen(w, e->loc.line);
		TRY(p_rule_tail(w, e, true, &oneline));
	}
	return nl(w);
}

static int p_package(struct fw *w, const ast_term *pkg)
{
	TRY(leading(w, pkg->loc.line, LEAD_START));
	TRY(cc_buf_adds(w->out, "package "));
	if (pkg->kind != AT_REF || pkg->u.list.n < 2)
		return unsupported(w, "a package path");
	const ast_term *first = pkg->u.list.items[1];
	if (first->kind != AT_VALUE || first->u.val->t != RV_STR)
		return unsupported(w, "a package path");
	const struct fmt_tok *tk = tok_at(w, first->loc);
	if (tk == NULL || tk->kind != RT_IDENT)
		return unsupported(w, "a package path");
	seen(w, first->loc.line);
	TRY(cc_buf_add(w->out, w->s->src + tk->off, tk->len));
	TRY(p_ref_ops(w, pkg->u.list.items, 2, pkg->u.list.n));
	return nl(w);
}

static bool import_is(const ast_import *im, const char *root, const char *first)
{
	const ast_term *p = im->path;
	if (p->kind != AT_REF || p->u.list.n < 2 || !p->u.list.items[0] ||
	    p->u.list.items[0]->kind != AT_VAR || strcmp(p->u.list.items[0]->u.var.name, root) != 0)
		return false;
	const ast_term *k = p->u.list.items[1];
	return k->kind == AT_VALUE && k->u.val->t == RV_STR && k->u.val->u.s.n == strlen(first) &&
	       memcmp(k->u.val->u.s.p, first, k->u.val->u.s.n) == 0;
}

/* Order of two import paths, item by item (names and strings by bytes,
 * a prefix first); 2 when an item is something else. */
static int import_cmp(const ast_import *x, const ast_import *y)
{
	const ast_term *a = x->path, *b = y->path;
	for (size_t i = 0; i < a->u.list.n && i < b->u.list.n; i++) {
		const ast_term *p = a->u.list.items[i], *q = b->u.list.items[i];
		const char *ps, *qs;
		size_t pn, qn;
		if (p->kind == AT_VAR && q->kind == AT_VAR) {
			ps = p->u.var.name, pn = p->u.var.len, qs = q->u.var.name, qn = q->u.var.len;
		} else if (p->kind == AT_VALUE && q->kind == AT_VALUE && p->u.val->t == RV_STR &&
		           q->u.val->t == RV_STR) {
			ps = p->u.val->u.s.p, pn = p->u.val->u.s.n, qs = q->u.val->u.s.p, qn = q->u.val->u.s.n;
		} else {
			return 2;
		}
		int c = memcmp(ps, qs, pn < qn ? pn : qn);
		if (c != 0 || pn != qn)
			return c != 0 ? (c < 0 ? -1 : 1) : (pn < qn ? -1 : 1);
	}
	if (a->u.list.n != b->u.list.n)
		return a->u.list.n < b->u.list.n ? -1 : 1;
	const char *p = x->alias ? x->alias : "", *q = y->alias ? y->alias : "";
	int c = strcmp(p, q);
	return c < 0 ? -1 : c > 0;
}

/* One group of imports on adjacent lines, sorted as opa fmt sorts them
 * (by path, then alias), each with the comment on its line. */
static int p_import_group(struct fw *w, const ast_import **g, size_t n)
{
	for (size_t i = 1; i < n; i++) /* insertion sort: groups are short */
		for (size_t k = i; k > 0; k--) {
			int c = import_cmp(g[k - 1], g[k]);
			if (c == 2 || c == 0)
				return unsupported(w, "imports that opa fmt cannot order");
			if (c < 0)
				break;
			const ast_import *t = g[k - 1];
			g[k - 1] = g[k];
			g[k] = t;
		}
	long *cm = calloc(n, sizeof(*cm));
	if (cm == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cm[i] = -1;
		for (size_t k = 0; k < w->s->ncms; k++)
			if (!w->s->cms[k].done && w->s->cms[k].line == g[i]->loc.line) {
				w->s->cms[k].done = true;
				cm[i] = (long)k;
			}
	}
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		r = cc_buf_adds(w->out, "import ");
		if (r == 0)
			r = p_ref(w, g[i]->path);
		if (r == 0 && g[i]->alias)
			r = cc_buf_printf(w->out, " as %s", g[i]->alias);
		if (r == 0 && cm[i] >= 0) {
			const struct fmt_comment *c = &w->s->cms[cm[i]];
			r = cc_buf_adds(w->out, " #");
			if (r == 0)
				r = cc_buf_add(w->out, w->s->src + c->off, c->len);
		}
		if (r == 0)
			r = nl(w);
		if (r == 0)
			seen(w, g[i]->loc.line);
	}
	free(cm);
	return r;
}

static int p_module(struct fw *w, const ast_module *m)
{
	/* With `import rego.v1`, opa fmt drops the future.keywords imports
	 * (their comments stay, as comments of what follows). */
	bool regov1 = false;
	for (size_t i = 0; i < m->nimports; i++)
		regov1 |= import_is(&m->imports[i], "rego", "v1") && m->imports[i].path->u.list.n == 2;
	TRY(p_package(w, m->package));
	/* opa fmt sorts each group of imports on adjacent lines */
	const ast_import **g = calloc(m->nimports + 1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	size_t ng = 0;
	bool first = true;
	int rg = 0;
	for (size_t i = 0; i <= m->nimports && rg == 0; i++) {
		const ast_import *im = i < m->nimports ? &m->imports[i] : NULL;
		if (im && regov1 && import_is(im, "future", "keywords"))
			continue;
		if (ng > 0 && (im == NULL || im->loc.line > g[ng - 1]->loc.line + 1)) {
			rg = leading_cms(w, g[0]->loc.line, first ? LEAD_TOP : LEAD_GAP);
			if (rg == 0)
				rg = p_import_group(w, g, ng);
			first = false;
			ng = 0;
		}
		if (im)
			g[ng++] = im;
	}
	free(g);
	TRY(rg);
	for (size_t i = 0; i < m->nrules; i++) {
		const ast_term *h = m->rules[i]->head;
		w->opa_ref_heads |= h->u.list.n > 2 || (h->u.list.n == 2 && m->rules[i]->kind == AR_MULTI);
		if (h->u.list.n >= 2) {
			const struct fmt_tok *tk = tok_at(w, h->u.list.items[1]->loc);
			w->ref_heads |= tk != NULL && tk->kind == RT_IDENT;
		}
	}
	/* Rules on consecutive source lines that each fit on one line stay
	 * together; any other rule gets a blank line before it. */
	bool prev_one = false;
	for (size_t i = 0; i < m->nrules; i++) {
		const ast_rule *r = m->rules[i];
		if (!(prev_one && r->loc.line == w->last_line + 1 && !comment_before(w, r->loc.line))) {
			TRY(leading(w, r->loc.line, LEAD_TOP));
			size_t at = w->out->len;
			TRY(p_rule(w, r));
			prev_one = memchr(w->out->p + at, '\n', w->out->len - at) ==
			           w->out->p + w->out->len - 1;
			continue;
		}
		cc_buf *out = w->out;
		cc_buf one;
		cc_buf_init(&one, CC_REGO_MAX_POLICY_BYTES * 2);
		w->out = &one;
		int rc = p_rule(w, r);
		w->out = out;
		if (rc == 0) {
			prev_one = memchr(one.p, '\n', one.len) == one.p + one.len - 1;
			if (!prev_one)
				rc = cc_buf_addc(out, '\n');
		}
		if (rc == 0)
			rc = cc_buf_add(out, one.p, one.len);
		cc_buf_free(&one);
		TRY(rc);
	}
	TRY(leading(w, UINT32_MAX, LEAD_END));
	return 0;
}

int rego_format(const char *name, const char *src, size_t len, bool v0, char **ret,
                size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	if (v0)
		return cc_error_set(err, -ENOTSUP, "%s: formatting Rego v0 is not supported", name);
	rarena *a = rarena_new(0);
	if (a == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct rparse_opts po = {.v0 = false, .no_annotations = true};
	ast_module *m = NULL;
	int r = rparse_module(a, name, src, len, &po, &m, err);
	if (r < 0) {
		rarena_free(a);
		return r;
	}
	/* trailing NUL bytes end the text, as for the parser */
	while (len > 0 && src[len - 1] == '\0')
		len--;
	struct fmt_src s;
	cc_buf out;
	cc_buf_init(&out, CC_REGO_MAX_POLICY_BYTES * 2);
	r = fmt_src_scan(&s, src, len);
	struct fw w = {.out = &out, .s = &s, .pending = -1};
	if (r == 0 && s.too_deep)
		r = unsupported(&w, "template strings nested so deep");
	if (r == 0)
		r = p_module(&w, m);
	if (r == 0) {
		*ret = cc_buf_steal(&out, ret_len);
		if (*ret == NULL)
			r = -ENOMEM;
	}
	if (r == E_VERBATIM)
		r = -ENOTSUP;
	if (r == -ENOTSUP)
		cc_error_set(err, r, "%s: formatting %s is not supported", name, w.why);
	else if (r < 0)
		cc_error_set(err, r, "%s: formatting failed: %s", name, strerror(-r));
	cc_buf_free(&out);
	fmt_src_free(&s);
	rarena_free(a);
	return r;
}
