/* Glob builtins (OPA v1/topdown/glob.go): glob.match, glob.quote_meta.
 *
 * OPA uses github.com/gobwas/glob v0.2.3. Its lexer and parser are
 * reproduced here (same tokens, same error texts, NUL ends the pattern as
 * it does there); the parse tree is compiled to a small NFA and run as a
 * Pike VM over the runes of the subject, so matching is linear in
 * pattern x subject and needs no backtracking:
 *   *       any runes except the delimiters
 *   **      any runes
 *   ?       one rune that is not a delimiter
 *   [abc] [!abc] [a-z] [!a-z]   one rune in/not in the list or range
 *   {a,b}   any of the comma-separated sub-patterns (nesting allowed)
 *   \x      the rune x
 * Patterns are compiled per call (cheap next to the match itself).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rctx.h"
#include "../utf8.h"
#include "cocoon/limits.h"

/* ---- lexer (gobwas/glob syntax/lexer) -------------------------------- */

enum gtok_type {
	T_EOF, T_ERROR, T_TEXT, T_ANY, T_SUPER, T_SINGLE, T_NOT, T_SEPARATOR, T_RANGE_OPEN,
	T_RANGE_CLOSE, T_RANGE_LO, T_RANGE_BETWEEN, T_RANGE_HI, T_TERMS_OPEN, T_TERMS_CLOSE,
};

struct gtok {
	enum gtok_type type;
	const uint32_t *runes; /* T_TEXT, T_RANGE_LO/HI */
	size_t n;
};

#define LEX_QUEUE 8

struct lexer {
	rarena *a;
	const char *data;
	size_t len;
	size_t pos;
	const char *err;
	struct gtok q[LEX_QUEUE];
	size_t qh, qn;
	int terms;
	uint32_t last;
	size_t last_size;
	bool has_rune;
	bool oom;
};

static void lex_push(struct lexer *l, enum gtok_type t, const uint32_t *runes, size_t n)
{
	if (l->qn < LEX_QUEUE)
		l->q[(l->qh + l->qn++) % LEX_QUEUE] = (struct gtok){t, runes, n};
}

/* peek: EOF is rune 0, as in gobwas (so a NUL ends the pattern). */
static uint32_t lex_peek(struct lexer *l, size_t *w)
{
	if (l->pos >= l->len) {
		*w = 0;
		return 0;
	}
	uint32_t r;
	*w = rutf8_decode((const unsigned char *)l->data + l->pos, l->len - l->pos, &r);
	if (r == RUTF8_ERROR) {
		l->err = "could not read rune";
		*w = 0;
		return 0;
	}
	return r;
}

static uint32_t lex_read(struct lexer *l)
{
	if (l->has_rune) {
		l->has_rune = false;
		l->pos += l->last_size;
		return l->last;
	}
	size_t w;
	uint32_t r = lex_peek(l, &w);
	l->pos += w;
	l->last = r;
	l->last_size = w;
	return r;
}

static void lex_unread(struct lexer *l)
{
	if (l->has_rune) {
		l->err = "could not unread rune";
		return;
	}
	l->pos -= l->last_size;
	l->has_rune = true;
}

static const uint32_t *rune_dup(struct lexer *l, const uint32_t *r, size_t n)
{
	uint32_t *p = rarena_nalloc(l->a, n ? n : 1, sizeof(*p));
	if (p == NULL) {
		l->oom = true;
		return NULL;
	}
	memcpy(p, r, n * sizeof(*p));
	return p;
}

static bool in_runes(uint32_t r, const uint32_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == r)
			return true;
	return false;
}

static void lex_text(struct lexer *l, const uint32_t *breakers, size_t nb)
{
	uint32_t stack[64];
	uint32_t *data = stack;
	size_t n = 0, cap = 64;
	bool escaped = false;
	for (;;) {
		uint32_t r = lex_read(l);
		if (r == 0)
			break;
		if (!escaped) {
			if (r == '\\') {
				escaped = true;
				continue;
			}
			if (in_runes(r, breakers, nb)) {
				lex_unread(l);
				break;
			}
		}
		escaped = false;
		if (n == cap) {
			uint32_t *nd = rarena_nalloc(l->a, cap * 2, sizeof(*nd));
			if (nd == NULL) {
				l->oom = true;
				return;
			}
			memcpy(nd, data, n * sizeof(*nd));
			data = nd;
			cap *= 2;
		}
		data[n++] = r;
	}
	if (n > 0) {
		const uint32_t *d = rune_dup(l, data, n);
		if (d)
			lex_push(l, T_TEXT, d, n);
	}
}

static void lex_range(struct lexer *l)
{
	bool want_hi = false, want_close = false, seen_not = false;
	for (;;) {
		uint32_t r = lex_read(l);
		if (r == 0) {
			l->err = "unexpected end of input";
			return;
		}
		if (want_close) {
			if (r != ']')
				l->err = "expected close range character";
			else
				lex_push(l, T_RANGE_CLOSE, NULL, 0);
			return;
		}
		if (want_hi) {
			lex_push(l, T_RANGE_HI, rune_dup(l, &r, 1), 1);
			want_close = true;
			continue;
		}
		if (!seen_not && r == '!') {
			lex_push(l, T_NOT, NULL, 0);
			seen_not = true;
			continue;
		}
		size_t w;
		if (lex_peek(l, &w) == '-') {
			l->pos += w;
			lex_push(l, T_RANGE_LO, rune_dup(l, &r, 1), 1);
			lex_push(l, T_RANGE_BETWEEN, NULL, 0);
			want_hi = true;
			continue;
		}
		lex_unread(l);
		static const uint32_t close[] = {']'};
		lex_text(l, close, 1);
		want_close = true;
	}
}

static void lex_fetch(struct lexer *l)
{
	static const uint32_t text_breakers[] = {'?', '*', '[', '{'};
	static const uint32_t terms_breakers[] = {'?', '*', '[', '{', '}', ','};
	uint32_t r = lex_read(l);
	if (r == 0) {
		lex_push(l, T_EOF, NULL, 0);
	} else if (r == '{') {
		l->terms++;
		lex_push(l, T_TERMS_OPEN, NULL, 0);
	} else if (r == ',' && l->terms > 0) {
		lex_push(l, T_SEPARATOR, NULL, 0);
	} else if (r == '}' && l->terms > 0) {
		lex_push(l, T_TERMS_CLOSE, NULL, 0);
		l->terms--;
	} else if (r == '[') {
		lex_push(l, T_RANGE_OPEN, NULL, 0);
		lex_range(l);
	} else if (r == '?') {
		lex_push(l, T_SINGLE, NULL, 0);
	} else if (r == '*') {
		if (lex_read(l) == '*') {
			lex_push(l, T_SUPER, NULL, 0);
		} else {
			lex_unread(l);
			lex_push(l, T_ANY, NULL, 0);
		}
	} else {
		lex_unread(l);
		if (l->terms > 0)
			lex_text(l, terms_breakers, 6);
		else
			lex_text(l, text_breakers, 4);
	}
}

static struct gtok lex_next(struct lexer *l)
{
	for (;;) {
		if (l->err || l->oom)
			return (struct gtok){T_ERROR, NULL, 0};
		if (l->qn > 0) {
			struct gtok t = l->q[l->qh];
			l->qh = (l->qh + 1) % LEX_QUEUE;
			l->qn--;
			return t;
		}
		lex_fetch(l);
	}
}

/* ---- parse tree (gobwas/glob syntax/ast) ------------------------------ */

enum gnode_kind { N_PATTERN, N_ANYOF, N_TEXT, N_ANY, N_SUPER, N_SINGLE, N_LIST, N_RANGE };

struct gnode {
	enum gnode_kind kind;
	struct gnode *parent;
	struct gnode **kids;
	size_t nkids, cap;
	const uint32_t *runes; /* N_TEXT, N_LIST */
	size_t n;
	uint32_t lo, hi;       /* N_RANGE */
	bool not_;
};

static struct gnode *node_new(rarena *a, enum gnode_kind k)
{
	struct gnode *n = rarena_zalloc(a, sizeof(*n));
	if (n)
		n->kind = k;
	return n;
}

static int node_insert(rarena *a, struct gnode *parent, struct gnode *child)
{
	if (parent->nkids == parent->cap) {
		size_t nc = parent->cap ? parent->cap * 2 : 4;
		struct gnode **nk = rarena_nalloc(a, nc, sizeof(*nk));
		if (nk == NULL)
			return -ENOMEM;
		if (parent->nkids)
			memcpy(nk, parent->kids, parent->nkids * sizeof(*nk));
		parent->kids = nk;
		parent->cap = nc;
	}
	parent->kids[parent->nkids++] = child;
	child->parent = parent;
	return 0;
}

/* The error text of a failed parse (static or arena). */
struct gerr {
	const char *msg;
	bool oom;
};

static int parse_range(struct lexer *l, struct gnode *tree, struct gerr *e, char *buf, size_t bufn)
{
	bool not_ = false;
	uint32_t lo = 0, hi = 0;
	const uint32_t *chars = NULL;
	size_t nchars = 0;
	for (;;) {
		struct gtok t = lex_next(l);
		switch (t.type) {
		case T_EOF:
			e->msg = "unexpected end";
			return -EINVAL;
		case T_ERROR:
			e->oom = l->oom;
			e->msg = l->err;
			return -EINVAL;
		case T_NOT:
			not_ = true;
			break;
		case T_RANGE_LO:
			lo = t.runes[0];
			break;
		case T_RANGE_HI:
			hi = t.runes[0];
			if (hi < lo) {
				char h[8], o[8];
				h[rutf8_encode(hi, h)] = '\0';
				o[rutf8_encode(lo, o)] = '\0';
				snprintf(buf, bufn, "hi character '%s' should be greater than lo '%s'", h, o);
				e->msg = buf;
				return -EINVAL;
			}
			break;
		case T_TEXT:
			chars = t.runes;
			nchars = t.n;
			break;
		case T_RANGE_CLOSE: {
			bool is_range = lo != 0 && hi != 0, is_chars = nchars > 0;
			if (is_chars == is_range) {
				e->msg = "could not parse range";
				return -EINVAL;
			}
			struct gnode *n = node_new(l->a, is_range ? N_RANGE : N_LIST);
			if (n == NULL || node_insert(l->a, tree, n) < 0) {
				e->oom = true;
				return -ENOMEM;
			}
			n->not_ = not_;
			n->lo = lo;
			n->hi = hi;
			n->runes = chars;
			n->n = nchars;
			return 0;
		}
		default:
			break;
		}
	}
}

/* gobwas parserMain: returns the root pattern or NULL with e set. */
static struct gnode *parse_glob(struct lexer *l, struct gerr *e, char *buf, size_t bufn)
{
	struct gnode *root = node_new(l->a, N_PATTERN);
	struct gnode *tree = root;
	if (root == NULL) {
		e->oom = true;
		return NULL;
	}
	for (;;) {
		struct gtok t = lex_next(l);
		struct gnode *n = NULL;
		switch (t.type) {
		case T_EOF:
			return root;
		case T_ERROR:
			e->oom = l->oom;
			e->msg = l->err;
			return NULL;
		case T_TEXT:
			n = node_new(l->a, N_TEXT);
			if (n) {
				n->runes = t.runes;
				n->n = t.n;
			}
			break;
		case T_ANY:
			n = node_new(l->a, N_ANY);
			break;
		case T_SUPER:
			n = node_new(l->a, N_SUPER);
			break;
		case T_SINGLE:
			n = node_new(l->a, N_SINGLE);
			break;
		case T_RANGE_OPEN:
			if (parse_range(l, tree, e, buf, bufn) < 0)
				return NULL;
			continue;
		case T_TERMS_OPEN: {
			struct gnode *any = node_new(l->a, N_ANYOF), *pat = node_new(l->a, N_PATTERN);
			if (any == NULL || pat == NULL || node_insert(l->a, tree, any) < 0 ||
			    node_insert(l->a, any, pat) < 0) {
				e->oom = true;
				return NULL;
			}
			tree = pat;
			continue;
		}
		case T_SEPARATOR: {
			struct gnode *pat = node_new(l->a, N_PATTERN);
			if (pat == NULL || node_insert(l->a, tree->parent, pat) < 0) {
				e->oom = true;
				return NULL;
			}
			tree = pat;
			continue;
		}
		case T_TERMS_CLOSE:
			tree = tree->parent->parent;
			continue;
		default:
			e->msg = "unexpected token";
			return NULL;
		}
		if (n == NULL || node_insert(l->a, tree, n) < 0) {
			e->oom = true;
			return NULL;
		}
	}
}

/* ---- NFA ----------------------------------------------------------------- */

enum { I_CHAR, I_ANYNS, I_ANY, I_CLASS, I_SPLIT, I_JMP, I_MATCH };

struct inst {
	uint8_t op;
	uint32_t r;
	size_t x, y;            /* I_SPLIT targets, I_JMP target */
	const struct gnode *cls; /* I_CLASS: N_LIST or N_RANGE */
};

struct prog {
	struct inst *v;
	size_t n, cap;
	rarena *a;
	bool oom;
};

static size_t emit(struct prog *p, struct inst in)
{
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 32;
		struct inst *nv = rarena_nalloc(p->a, nc, sizeof(*nv));
		if (nv == NULL) {
			p->oom = true;
			return p->n;
		}
		if (p->n)
			memcpy(nv, p->v, p->n * sizeof(*nv));
		p->v = nv;
		p->cap = nc;
	}
	p->v[p->n] = in;
	return p->n++;
}

static void compile_node(struct prog *p, const struct gnode *n, unsigned depth)
{
	if (p->oom || depth > CC_REGO_MAX_PARSE_DEPTH) {
		p->oom = true;
		return;
	}
	switch (n->kind) {
	case N_PATTERN:
		for (size_t i = 0; i < n->nkids; i++)
			compile_node(p, n->kids[i], depth + 1);
		return;
	case N_TEXT:
		for (size_t i = 0; i < n->n; i++)
			emit(p, (struct inst){.op = I_CHAR, .r = n->runes[i]});
		return;
	case N_SINGLE:
		emit(p, (struct inst){.op = I_ANYNS});
		return;
	case N_LIST:
	case N_RANGE:
		emit(p, (struct inst){.op = I_CLASS, .cls = n});
		return;
	case N_ANY:
	case N_SUPER: {
		/* L1: split L2, L3; L2: any; jmp L1; L3: */
		size_t l1 = emit(p, (struct inst){.op = I_SPLIT});
		emit(p, (struct inst){.op = n->kind == N_ANY ? I_ANYNS : I_ANY});
		emit(p, (struct inst){.op = I_JMP, .x = l1});
		if (!p->oom) {
			p->v[l1].x = l1 + 1;
			p->v[l1].y = p->n;
		}
		return;
	}
	case N_ANYOF: {
		size_t *jumps = rarena_nalloc(p->a, n->nkids ? n->nkids : 1, sizeof(*jumps));
		if (jumps == NULL) {
			p->oom = true;
			return;
		}
		for (size_t i = 0; i < n->nkids; i++) {
			size_t split = SIZE_MAX;
			if (i + 1 < n->nkids)
				split = emit(p, (struct inst){.op = I_SPLIT});
			if (split != SIZE_MAX && !p->oom)
				p->v[split].x = p->n;
			compile_node(p, n->kids[i], depth + 1);
			jumps[i] = i + 1 < n->nkids ? emit(p, (struct inst){.op = I_JMP}) : SIZE_MAX;
			if (split != SIZE_MAX && !p->oom)
				p->v[split].y = p->n;
		}
		for (size_t i = 0; i + 1 < n->nkids && !p->oom; i++)
			p->v[jumps[i]].x = p->n;
		return;
	}
	}
}

static bool class_match(const struct gnode *c, uint32_t r)
{
	bool in;
	if (c->kind == N_RANGE)
		in = r >= c->lo && r <= c->hi;
	else
		in = in_runes(r, c->runes, c->n);
	return in != c->not_;
}

struct vm {
	const struct prog *p;
	const uint32_t *seps;
	size_t nseps;
	size_t *stack;
	uint32_t *mark; /* generation per pc */
	uint32_t gen;
};

/* Adds pc and everything reachable through split/jmp to list. */
static void add_thread(struct vm *m, size_t *list, size_t *ln, size_t pc)
{
	size_t sp = 0;
	m->stack[sp++] = pc;
	while (sp > 0) {
		size_t at = m->stack[--sp];
		if (m->mark[at] == m->gen)
			continue;
		m->mark[at] = m->gen;
		const struct inst *in = &m->p->v[at];
		if (in->op == I_JMP) {
			m->stack[sp++] = in->x;
		} else if (in->op == I_SPLIT) {
			m->stack[sp++] = in->y;
			m->stack[sp++] = in->x;
		} else {
			list[(*ln)++] = at;
		}
	}
}

static bool vm_run(rarena *a, const struct prog *p, const uint32_t *seps, size_t nseps, const char *s,
                   size_t sn, bool *oom)
{
	size_t n = p->n;
	struct vm m = {.p = p, .seps = seps, .nseps = nseps};
	size_t *cur = rarena_nalloc(a, n, sizeof(size_t));
	size_t *nxt = rarena_nalloc(a, n, sizeof(size_t));
	m.stack = rarena_nalloc(a, 2 * n + 2, sizeof(size_t));
	m.mark = rarena_zalloc(a, n * sizeof(uint32_t));
	if (cur == NULL || nxt == NULL || m.stack == NULL || m.mark == NULL) {
		*oom = true;
		return false;
	}
	size_t cn = 0, nn;
	m.gen = 1;
	add_thread(&m, cur, &cn, 0);
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < sn && cn > 0;) {
		uint32_t r;
		i += rutf8_decode(u + i, sn - i, &r);
		m.gen++;
		nn = 0;
		for (size_t k = 0; k < cn; k++) {
			const struct inst *in = &p->v[cur[k]];
			bool ok = false;
			switch (in->op) {
			case I_CHAR:
				ok = in->r == r;
				break;
			case I_ANYNS:
				ok = !in_runes(r, seps, nseps);
				break;
			case I_ANY:
				ok = true;
				break;
			case I_CLASS:
				ok = class_match(in->cls, r);
				break;
			default:
				break;
			}
			if (ok)
				add_thread(&m, nxt, &nn, cur[k] + 1);
		}
		size_t *t = cur;
		cur = nxt;
		nxt = t;
		cn = nn;
	}
	for (size_t k = 0; k < cn; k++)
		if (p->v[cur[k]].op == I_MATCH)
			return true;
	return false;
}

/* ---- builtins ---------------------------------------------------------- */

/* builtins.RuneSliceOperand: each element a one-rune string. */
static int delimiters(rctx *cx, const rv *d, uint32_t **out, size_t *n)
{
	static uint32_t dot = '.';
	if (d->t == RV_NULL) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	if (d->t != RV_ARR)
		return rbi_type_errf(cx, "operand 2 must be one of {array, null} but got %s", rv_type_name(d));
	if (d->u.a.n == 0) {
		*out = &dot;
		*n = 1;
		return 0;
	}
	uint32_t *v = rarena_nalloc(rctx_arena(cx), d->u.a.n, sizeof(*v));
	if (v == NULL)
		return rbi_oom(cx);
	for (size_t i = 0; i < d->u.a.n; i++) {
		const rv *e = d->u.a.v[i];
		if (e->t != RV_STR)
			return rbi_type_errf(cx, "operand 2 must be array of strings but got array containing %s",
			                     rv_type_name(e));
		const unsigned char *u = (const unsigned char *)e->u.s.p;
		size_t w = e->u.s.n ? rutf8_decode(u, e->u.s.n, &v[i]) : 0;
		if (e->u.s.n == 0 || w != e->u.s.n)
			return rbi_type_errf(cx, "operand 2 must be array of runes but got array containing string");
	}
	*out = v;
	*n = d->u.a.n;
	return 0;
}

static int bi_glob_match(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *pat, *s;
	size_t pn, sn;
	int r = rbi_arg_str(cx, args, 0, &pat, &pn);
	if (r < 0)
		return r;
	uint32_t *seps = NULL;
	size_t nseps = 0;
	if ((r = delimiters(cx, args[1], &seps, &nseps)) < 0 || (r = rbi_arg_str(cx, args, 2, &s, &sn)) < 0)
		return r;
	rarena *a = rctx_arena(cx);
	const char *nul = memchr(pat, '\0', pn);
	struct lexer l = {.a = a, .data = pat, .len = nul ? (size_t)(nul - pat) : pn};
	struct gerr e = {0};
	char buf[128];
	struct gnode *root = parse_glob(&l, &e, buf, sizeof(buf));
	if (root == NULL) {
		if (e.oom || e.msg == NULL)
			return rbi_oom(cx);
		return rbi_err(cx, "%s", e.msg);
	}
	struct prog p = {.a = a};
	compile_node(&p, root, 0);
	emit(&p, (struct inst){.op = I_MATCH});
	if (p.oom)
		return rbi_oom(cx);
	bool oom = false;
	bool m = vm_run(a, &p, seps, nseps, s, sn, &oom);
	if (oom)
		return rbi_oom(cx);
	*ret = rv_bool(m);
	return 0;
}

/* glob.QuoteMeta: backslash before * ? \ [ ] { }. */
static int bi_glob_quote_meta(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	size_t len;
	if (__builtin_mul_overflow(n, 2, &len) || len > CC_REGO_MAX_BUILTIN_ELEMS)
		return rbi_oom(cx);
	char *o = rarena_alloc(rctx_arena(cx), len + 1);
	if (o == NULL)
		return rbi_oom(cx);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\0' && strchr("*?\\[]{}", s[i]))
			o[k++] = '\\';
		o[k++] = s[i];
	}
	if (k == n) {
		*ret = args[0];
		return 0;
	}
	o[k] = '\0';
	*ret = rv_str_ref(rctx_arena(cx), o, k);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_glob[] = {
    {"glob.match", 3, bi_glob_match, NULL, 0, {RT_STR, RT_ARR | RT_NULL, RT_STR}, RT_BOOL},
    {"glob.quote_meta", 1, bi_glob_quote_meta, NULL, 0, {RT_STR}, RT_STR},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
