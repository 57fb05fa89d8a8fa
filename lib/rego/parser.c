/* Rego parser (parser.h).
 *
 * The grammar and its quirks follow OPA's parser (v1/ast/parser.go and
 * parser_ext.go, OPA 1.x), which is the reference: a recursive-descent
 * parser that backtracks by saving and restoring its state (struct pstate:
 * lexer position, current token, wildcard counter, first error). Like OPA,
 * it memoises parse_term() results by source offset so that the
 * speculative parses (comprehension or list? set literal or body?) stay
 * linear instead of exponential on nested input.
 *
 * Errors: the first error recorded in the state wins; restoring a state
 * drops the errors recorded since, exactly as OPA's restore() does. Module
 * level checks that OPA runs after parsing (parseModule, CheckRegoV1) are
 * reported after the parse errors, in the same order.
 *
 * Recursion is bounded by CC_REGO_MAX_PARSE_DEPTH, counted in parse_term(),
 * parse_ref() and parse_body(): every recursive cycle of the grammar passes
 * through one of them, so hostile nesting gives an error, never a stack
 * overflow.
 */
#include "parser.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast_print.h"
#include "cocoon/limits.h"
#include "lexer.h"

/* ---- parser state ------------------------------------------------------ */

struct perr {
	ast_loc loc;
	const char *msg;
	bool depth; /* recursion limit: not a property of the text, never memoised */
};

struct pstate {
	struct rlexer lx;       /* position after cur */
	struct rtoken cur;      /* current token */
	uint32_t wild;          /* next wildcard number ($0, $1, ...) */
	const struct perr *err; /* first error, or NULL */
};

/* A memo entry is valid for the same offset, identifier override and
 * wildcard counter. `clean`: the state had no error when the term was
 * parsed, so the post state's error (if any) arose inside the term and the
 * entry serves any lookup; otherwise it only serves lookups that already
 * have an error (the term's value does not depend on it, and the first
 * error is kept). Memoising in error states too keeps the parse linear
 * after an error, when OPA-style recovery continues with the next tokens. */
struct memo_ent {
	uint64_t key;
	uint32_t wild;
	uint32_t gen;
	bool clean;
	ast_term *term;
	struct pstate post;
};

/* Memo of parse_term() results for the current statement (scratch memory,
 * malloc'd and freed before returning: it never reaches the arena). */
struct memo {
	struct memo_ent *v;
	size_t cap;
	size_t n;
	uint32_t gen;
};

#define MEMO_MIN 256u
#define MEMO_MAX (1u << 18) /* ~30 MiB; beyond, entries are replaced */
#define MEMO_PROBES 8u

/* Facts about a rule that OPA's Rego v1 checks need (rego_v1.go). */
#define RM_GEN_BODY 0x01
#define RM_GEN_VALUE 0x02
#define RM_IF 0x04
#define RM_CONTAINS 0x08
#define RM_FUNC 0x10

struct rmeta {
	ast_rule *rule;
	struct rmeta *els;
	uint8_t flags;
};

/* Rule head under construction (OPA's Head). */
struct rhead {
	ast_loc loc;
	ast_term **ref; /* name and path: ref[0] is an AT_VAR */
	size_t nref;
	ast_term *key;
	ast_term *value;
	ast_term **args;
	size_t nargs;
	bool is_call; /* head written as a call, even `f()` */
	bool assign;
	bool gen_value;
	bool kw_if;
	bool kw_contains;
};

/* Growable pointer vector in the arena (old blocks are left behind: at most
 * twice the final size). */
struct pvec {
	void **v;
	size_t n;
	size_t cap;
};

struct parser {
	rarena *a;
	const char *file;
	struct pstate s;
	uint32_t kwmask;     /* enabled future keywords, bit (kind - RT_IN) */
	bool v1;             /* options: Rego v1 */
	bool rego_v1_import; /* v0 module with `import rego.v1` */
	bool oom;
	unsigned depth;
	size_t nscan;        /* tokens scanned (memoise multi-token terms only) */
	struct memo memo;
	/* Module conversion (after parse) and Rego v1 check errors. */
	const struct perr *conv_err;
	struct pvec metas;   /* struct rmeta * of top-level rules, in order */
};

#define KW_ALL 0xFu

static ast_term *parse_term(struct parser *p);
static ast_term *parse_infix(struct parser *p, bool keyval);
static ast_expr *parse_literal(struct parser *p);
static ast_body *parse_body(struct parser *p, int end);

/* ---- memory ------------------------------------------------------------ */

static void *pz(struct parser *p, size_t n)
{
	void *x = rarena_zalloc(p->a, n);
	if (x == NULL)
		p->oom = true;
	return x;
}

static void *pnz(struct parser *p, size_t n, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes)) {
		p->oom = true;
		return NULL;
	}
	return pz(p, bytes);
}

static char *pstrndup(struct parser *p, const char *s, size_t n)
{
	char *d = rarena_strndup(p->a, s, n);
	if (d == NULL)
		p->oom = true;
	return d;
}

static bool pv_push(struct parser *p, struct pvec *pv, void *x)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 4;
		if (cap < pv->cap) {
			p->oom = true;
			return false;
		}
		void **v = pnz(p, cap, sizeof(*v));
		if (v == NULL)
			return false;
		if (pv->n)
			memcpy(v, pv->v, pv->n * sizeof(*v));
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = x;
	return true;
}

/* ---- errors ------------------------------------------------------------ */

static const struct perr oom_err = {{0, 0}, "out of memory", false};

__attribute__((format(printf, 3, 0)))
static const struct perr *mk_err(struct parser *p, ast_loc loc, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	struct perr *e = pz(p, sizeof(*e));
	if (e == NULL)
		return &oom_err;
	e->loc = loc;
	e->msg = pstrndup(p, buf, strlen(buf));
	if (e->msg == NULL)
		return &oom_err;
	return e;
}

/* Records a parse error at loc unless one is already recorded. */
__attribute__((format(printf, 3, 4)))
static void perr_at(struct parser *p, ast_loc loc, const char *fmt, ...)
{
	if (p->s.err != NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	p->s.err = mk_err(p, loc, fmt, ap);
	va_end(ap);
}

/* Records a module-level error (reported only if parsing succeeds). */
__attribute__((format(printf, 3, 4)))
static void conv_err_at(struct parser *p, ast_loc loc, const char *fmt, ...)
{
	if (p->conv_err != NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	p->conv_err = mk_err(p, loc, fmt, ap);
	va_end(ap);
}

/* ---- tokens ------------------------------------------------------------ */

static bool is_kw_kind(int k) { return k >= RT_KW_FIRST && k <= RT_KW_LAST; }

/* Effective kind of a token: keywords become identifiers when overridden
 * (`input.in`) or when they are future keywords not enabled (Rego v0). */
static int kind_of(const struct parser *p, const struct rtoken *t)
{
	if (t->kind != RT_IDENT || t->kw == 0 || (t->flags & RTF_IDENT))
		return t->kind;
	if (t->kw >= RT_IN && !(p->kwmask & (1u << (t->kw - RT_IN))))
		return RT_IDENT;
	return t->kw;
}

static int tk(const struct parser *p) { return kind_of(p, &p->s.cur); }

static ast_loc tok_loc(const struct rtoken *t)
{
	ast_loc l = {t->line, t->col};
	return l;
}

static ast_loc cur_loc(const struct parser *p) { return tok_loc(&p->s.cur); }

static bool cur_ws(const struct parser *p) { return (p->s.cur.flags & RTF_WS) != 0; }

static const char *cur_text(const struct parser *p) { return p->s.lx.src + p->s.cur.off; }

static void scan(struct parser *p)
{
	rlex_scan(&p->s.lx, &p->s.cur);
	p->nscan++;
	if (p->s.cur.kind == RT_ILLEGAL && p->s.cur.err != NULL)
		perr_at(p, cur_loc(p), "%s", p->s.cur.err);
}

/* True if the next token is `.` or `[` with no space before it. */
static bool next_is_ref_start(const struct parser *p)
{
	struct rlexer lx = p->s.lx;
	struct rtoken t;
	rlex_scan(&lx, &t);
	int k = kind_of(p, &t);
	return !(t.flags & RTF_WS) && (k == RT_DOT || k == RT_LBRACK);
}

/* OPA's scanAheadRef: a keyword directly followed by `.` or `[` starts a
 * ref (`if.x`, `not[0]`), so it is read as an identifier. */
static bool scan_ahead_ref(struct parser *p)
{
	if (is_kw_kind(tk(p)) && next_is_ref_start(p)) {
		p->s.cur.flags |= RTF_IDENT;
		return true;
	}
	return false;
}

/* OPA's illegal(): "unexpected <tok> token|keyword[: note]". */
__attribute__((format(printf, 2, 3)))
static void illegal(struct parser *p, const char *fmt, ...)
{
	if (p->s.err != NULL)
		return;
	int k = tk(p);
	if (k == RT_ILLEGAL) {
		perr_at(p, cur_loc(p), "illegal token");
		return;
	}
	const char *type = is_kw_kind(k) ? "keyword" : "token";
	if (fmt == NULL) {
		perr_at(p, cur_loc(p), "unexpected %s %s", rlex_kind_name(k), type);
		return;
	}
	char note[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	perr_at(p, cur_loc(p), "unexpected %s %s: %s", rlex_kind_name(k), type, note);
}

static bool enter(struct parser *p)
{
	if (p->depth >= CC_REGO_MAX_PARSE_DEPTH) {
		if (p->s.err == NULL) {
			perr_at(p, cur_loc(p), "max parsing recursion depth exceeded");
			if (p->s.err != &oom_err)
				((struct perr *)p->s.err)->depth = true;
		}
		return false;
	}
	p->depth++;
	return true;
}

static void leave(struct parser *p) { p->depth--; }

/* ---- memo -------------------------------------------------------------- */

static uint64_t memo_key(const struct parser *p)
{
	return ((uint64_t)p->s.cur.off << 1) | ((p->s.cur.flags & RTF_IDENT) ? 1u : 0u);
}

static size_t memo_home(uint64_t key, size_t cap)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ull;
	h ^= h >> 31;
	return (size_t)(h & (uint64_t)(cap - 1));
}

static void memo_reset(struct parser *p)
{
	p->memo.n = 0;
	if (++p->memo.gen == 0) {
		if (p->memo.v)
			memset(p->memo.v, 0, p->memo.cap * sizeof(*p->memo.v));
		p->memo.gen = 1;
	}
}

static struct memo_ent *memo_find(struct parser *p, uint64_t key)
{
	struct memo *m = &p->memo;
	if (m->v == NULL)
		return NULL;
	size_t i = memo_home(key, m->cap);
	for (size_t k = 0; k < m->cap; k++) {
		struct memo_ent *e = &m->v[(i + k) & (m->cap - 1)];
		if (e->gen != m->gen)
			return NULL;
		if (e->key == key)
			return e->wild == p->s.wild && (e->clean || p->s.err != NULL) ? e : NULL;
		if (m->cap >= MEMO_MAX && k + 1 >= MEMO_PROBES)
			return NULL;
	}
	return NULL;
}

static bool memo_grow(struct memo *m)
{
	size_t cap = m->cap ? m->cap * 2 : MEMO_MIN;
	struct memo_ent *v = calloc(cap, sizeof(*v));
	if (v == NULL)
		return false;
	for (size_t i = 0; i < m->cap; i++) {
		struct memo_ent *e = &m->v[i];
		if (e->gen != m->gen)
			continue;
		size_t j = memo_home(e->key, cap);
		while (v[j].gen == m->gen)
			j = (j + 1) & (cap - 1);
		v[j] = *e;
	}
	free(m->v);
	m->v = v;
	m->cap = cap;
	return true;
}

static void memo_put(struct parser *p, uint64_t key, uint32_t wild, bool clean, ast_term *t)
{
	struct memo *m = &p->memo;
	if ((m->n + 1) * 2 > m->cap && m->cap < MEMO_MAX && !memo_grow(m))
		return;
	if (m->v == NULL)
		return;
	size_t i = memo_home(key, m->cap);
	struct memo_ent *slot = &m->v[i];
	for (size_t k = 0; k < m->cap; k++) {
		struct memo_ent *e = &m->v[(i + k) & (m->cap - 1)];
		if (e->gen != m->gen || e->key == key) {
			slot = e;
			break;
		}
		if (k + 1 >= MEMO_PROBES && m->cap >= MEMO_MAX)
			break; /* full: replace the entry at the home slot */
	}
	if (slot->gen != m->gen)
		m->n++;
	slot->key = key;
	slot->wild = wild;
	slot->clean = clean;
	slot->gen = m->gen;
	slot->term = t;
	slot->post = p->s;
}

/* ---- term constructors -------------------------------------------------- */

static ast_term *new_term(struct parser *p, uint8_t kind, ast_loc loc)
{
	ast_term *t = pz(p, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->kind = kind;
	t->loc = loc;
	return t;
}

static ast_term *mk_value(struct parser *p, ast_loc loc, const rv *v)
{
	if (v == NULL) {
		p->oom = true;
		return NULL;
	}
	ast_term *t = new_term(p, AT_VALUE, loc);
	if (t != NULL)
		t->u.val = v;
	return t;
}

static ast_term *mk_str(struct parser *p, ast_loc loc, const char *s, size_t n)
{
	return mk_value(p, loc, rv_str(p->a, s, n));
}

static ast_term *mk_true(struct parser *p, ast_loc loc) { return mk_value(p, loc, rv_true()); }

static ast_term *mk_var(struct parser *p, ast_loc loc, const char *s, size_t n)
{
	if (n > UINT32_MAX) {
		perr_at(p, loc, "name too long");
		return NULL;
	}
	ast_term *t = new_term(p, AT_VAR, loc);
	if (t == NULL)
		return NULL;
	t->u.var.name = pstrndup(p, s, n);
	if (t->u.var.name == NULL)
		return NULL;
	t->u.var.len = (uint32_t)n;
	t->u.var.slot = -1;
	return t;
}

static ast_term *mk_wildcard(struct parser *p, ast_loc loc)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "$%u", (unsigned)p->s.wild++);
	ast_term *t = mk_var(p, loc, buf, n > 0 ? (size_t)n : 0);
	if (t != NULL)
		t->u.var.wildcard = true;
	return t;
}

static ast_term *mk_list(struct parser *p, uint8_t kind, ast_loc loc, const struct pvec *items)
{
	ast_term *t = new_term(p, kind, loc);
	if (t == NULL)
		return NULL;
	t->u.list.items = (ast_term **)items->v;
	t->u.list.n = items->n;
	return t;
}

static ast_term *mk_ref_n(struct parser *p, ast_loc loc, ast_term **items, size_t n)
{
	ast_term *t = new_term(p, AT_REF, loc);
	if (t == NULL)
		return NULL;
	t->u.list.items = items;
	t->u.list.n = n;
	return t;
}

static bool is_str_value(const ast_term *t)
{
	return t != NULL && t->kind == AT_VALUE && t->u.val->t == RV_STR;
}

static bool is_var_named(const ast_term *t, const char *name)
{
	return t != NULL && t->kind == AT_VAR && strcmp(t->u.var.name, name) == 0;
}

static bool is_str_equal(const ast_term *t, const char *s)
{
	return is_str_value(t) && t->u.val->u.s.n == strlen(s) &&
	       memcmp(t->u.val->u.s.p, s, t->u.val->u.s.n) == 0;
}

/* Dotted name of a call operator (`count`, `data.lib.f`), or NULL when the
 * operator is not a var followed by strings. */
static const char *call_name(struct parser *p, const ast_term *op)
{
	if (op->kind == AT_VAR)
		return op->u.var.name;
	if (op->kind != AT_REF || op->u.list.n == 0 || op->u.list.items[0]->kind != AT_VAR)
		return NULL;
	size_t len = op->u.list.items[0]->u.var.len;
	for (size_t i = 1; i < op->u.list.n; i++) {
		const ast_term *it = op->u.list.items[i];
		if (!is_str_value(it))
			return NULL;
		if (__builtin_add_overflow(len, it->u.val->u.s.n + 1, &len))
			return NULL;
	}
	char *s = pz(p, len + 1);
	if (s == NULL)
		return NULL;
	size_t o = op->u.list.items[0]->u.var.len;
	memcpy(s, op->u.list.items[0]->u.var.name, o);
	for (size_t i = 1; i < op->u.list.n; i++) {
		const rv *v = op->u.list.items[i]->u.val;
		s[o++] = '.';
		memcpy(s + o, v->u.s.p, v->u.s.n);
		o += v->u.s.n;
	}
	return s;
}

static ast_term *mk_call(struct parser *p, ast_loc loc, ast_term *op, const char *name,
                         ast_term **args, size_t nargs)
{
	ast_term *t = new_term(p, AT_CALL, loc);
	if (t == NULL)
		return NULL;
	t->u.call.op = op;
	t->u.call.name = name;
	t->u.call.args = args;
	t->u.call.nargs = nargs;
	return t;
}

static const char *ast_op_name(int kind)
{
	switch (kind) {
	case RT_ADD: return "plus";
	case RT_SUB: return "minus";
	case RT_MUL: return "mul";
	case RT_QUO: return "div";
	case RT_REM: return "rem";
	case RT_AND: return "and";
	case RT_OR: return "or";
	case RT_EQUAL: return "equal";
	case RT_NEQ: return "neq";
	case RT_LT: return "lt";
	case RT_GT: return "gt";
	case RT_LTE: return "lte";
	case RT_GTE: return "gte";
	default: return NULL;
	}
}

/* Names of the builtins written as operators (module statements such as
 * `x == 1` would define them: "rule name conflicts with built-in function"). */
static bool is_operator_name(const char *name)
{
	static const char *const ops[] = {
	    "plus", "minus", "mul", "div", "rem", "and", "or", "equal", "neq", "lt",
	    "gt", "lte", "gte", "eq", "assign", "internal.member_2", "internal.member_3",
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i], name) == 0)
			return true;
	return false;
}

/* Binary operator call: op(lhs, rhs), located at lhs as in OPA. */
static ast_term *mk_opcall(struct parser *p, int kind, ast_loc oploc, ast_term *lhs, ast_term *rhs)
{
	const char *name = ast_op_name(kind);
	ast_term *op = mk_var(p, oploc, name, strlen(name));
	ast_term **args = pnz(p, 2, sizeof(*args));
	if (op == NULL || args == NULL)
		return NULL;
	args[0] = lhs;
	args[1] = rhs;
	return mk_call(p, lhs->loc, op, name, args, 2);
}

/* `x in xs` / `k, v in xs`: internal.member_2 / internal.member_3. */
static ast_term *mk_member(struct parser *p, ast_loc oploc, ast_term *k, ast_term *v, ast_term *coll)
{
	bool three = k != NULL;
	const char *name = three ? "internal.member_3" : "internal.member_2";
	ast_term **ref = pnz(p, 2, sizeof(*ref));
	size_t nargs = three ? 3 : 2;
	ast_term **args = pnz(p, nargs, sizeof(*args));
	if (ref == NULL || args == NULL)
		return NULL;
	ref[0] = mk_var(p, oploc, "internal", 8);
	ref[1] = mk_str(p, oploc, three ? "member_3" : "member_2", 8);
	ast_term *op = mk_ref_n(p, oploc, ref, 2);
	if (ref[0] == NULL || ref[1] == NULL || op == NULL)
		return NULL;
	size_t i = 0;
	if (three)
		args[i++] = k;
	args[i++] = v;
	args[i] = coll;
	return mk_call(p, three ? k->loc : v->loc, op, name, args, nargs);
}

/* OPA's ValueName (error messages). */
static const char *value_name(const ast_term *t)
{
	switch (t->kind) {
	case AT_VALUE:
		switch (t->u.val->t) {
		case RV_NULL: return "null";
		case RV_BOOL: return "boolean";
		case RV_NUM: return "number";
		case RV_STR: return "string";
		default: return "value";
		}
	case AT_VAR: return "var";
	case AT_REF: return "ref";
	case AT_ARR: return "array";
	case AT_SET: return "set";
	case AT_OBJ: return "object";
	case AT_ARR_COMP: return "arraycomprehension";
	case AT_SET_COMP: return "setcomprehension";
	case AT_OBJ_COMP: return "objectcomprehension";
	case AT_CALL: return "call";
	case AT_TEMPLATE: return "templatestring";
	default: return "term";
	}
}

/* Prints t for an error message (truncated). */
static void term_text(const ast_term *t, char *buf, size_t n)
{
	cc_buf b;
	cc_buf_init(&b, 256);
	int r = ast_print_term(t, &b);
	snprintf(buf, n, "%s%s", b.p ? b.p : "", r < 0 ? "..." : "");
	cc_buf_free(&b);
}

/* ---- literals ----------------------------------------------------------- */

/* JSON number syntax (what big.Float accepts from our tokens). */
static bool number_syntax(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	size_t d = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == d)
		return false;
	if (i < n && s[i] == '.') {
		size_t f = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e)
			return false;
	}
	return i == n;
}

/* OPA rejects numbers whose binary exponent exceeds +-1e5 ("number too
 * big"); this estimates the decimal exponent (1e5 bits ~ 30103 digits). */
static bool number_too_big(const char *s, size_t n)
{
	long pos = 0, first = -1, exp = 0;
	size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
	bool frac = false;
	long intdigits = 0;
	for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
		if (s[i] == '.') {
			frac = true;
			continue;
		}
		if (!frac)
			intdigits++;
		if (s[i] != '0' && first < 0)
			first = pos;
		pos++;
	}
	if (first < 0)
		return false; /* zero */
	if (i < n) {
		i++;
		bool neg = i < n && s[i] == '-';
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < n; i++) {
			if (exp < 1000000000L)
				exp = exp * 10 + (s[i] - '0');
		}
		if (neg)
			exp = -exp;
	}
	long mag = exp + intdigits - first;
	return mag > 30102 || mag < -30102;
}

static ast_term *parse_number(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	bool neg = false, dot = false;
	if (tk(p) == RT_SUB) {
		neg = true;
		scan(p);
		if (tk(p) != RT_NUMBER && tk(p) != RT_DOT) {
			illegal(p, "expected number");
			return NULL;
		}
	}
	if (tk(p) == RT_DOT) {
		dot = true;
		scan(p);
		if (tk(p) != RT_NUMBER) {
			illegal(p, "expected number");
			return NULL;
		}
	}
	const char *lit = cur_text(p);
	size_t n = p->s.cur.len;
	if (!dot && n > 1 && lit[0] == '0' && lit[1] != '.' &&
	    !(n > 2 && (lit[1] == 'e' || lit[1] == 'E'))) {
		illegal(p, "expected number without leading zero");
		return NULL;
	}
	/* "-" and "0." prefixes (OPA accepts `.5` as 0.5). */
	size_t extra = (neg ? 1u : 0u) + (dot ? 2u : 0u);
	char *txt = pz(p, n + extra + 1);
	if (txt == NULL)
		return NULL;
	size_t o = 0;
	if (neg)
		txt[o++] = '-';
	if (dot) {
		txt[o++] = '0';
		txt[o++] = '.';
	}
	memcpy(txt + o, lit, n);
	o += n;
	if (!number_syntax(txt, o)) {
		illegal(p, "invalid float");
		return NULL;
	}
	if (number_too_big(txt, o)) {
		perr_at(p, cur_loc(p), "number too big");
		return NULL;
	}
	const rv *v = rv_num_parse(p->a, txt, o);
	if (v == NULL) {
		/* Out of range for long double (or out of memory). */
		if (rarena_alloc(p->a, 1) == NULL)
			p->oom = true;
		perr_at(p, cur_loc(p), "number too big");
		return NULL;
	}
	return mk_value(p, loc, v);
}

/* Decoded string value of a "..." body; NULL (with an error) if invalid. */
static const rv *decode_str(struct parser *p, ast_loc loc, const char *s, size_t n,
                            bool tmpl, const char *what)
{
	if (memchr(s, '\\', n) == NULL) {
		const rv *v = rv_str(p->a, s, n);
		if (v == NULL)
			p->oom = true;
		return v;
	}
	char *buf = pz(p, n + 1);
	if (buf == NULL)
		return NULL;
	size_t len;
	if (rlex_unescape(s, n, tmpl, buf, &len) < 0) {
		bool q = what[0] == 's'; /* OPA quotes string literals in the message */
		perr_at(p, loc, "illegal %s: %s%.*s%s", what, q ? "\"" : "", n > 200 ? 200 : (int)n, s,
		        q ? "\"" : "");
		return NULL;
	}
	buf[len] = '\0';
	const rv *v = rv_str_ref(p->a, buf, len);
	if (v == NULL)
		p->oom = true;
	return v;
}

static ast_term *parse_string(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	const char *s = cur_text(p);
	size_t n = p->s.cur.len;
	if (n < 2)
		return NULL;
	if (p->s.cur.flags & RTF_RAW)
		return mk_str(p, loc, s + 1, n - 2);
	const rv *v = decode_str(p, loc, s + 1, n - 2, false, "string literal");
	return v ? mk_value(p, loc, v) : NULL;
}

/* Raw template text: only `\{` is an escape. */
static const rv *decode_raw_tmpl(struct parser *p, const char *s, size_t n)
{
	char *buf = pz(p, n + 1);
	if (buf == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '{')
			continue;
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	const rv *v = rv_str_ref(p->a, buf, o);
	if (v == NULL)
		p->oom = true;
	return v;
}

static ast_term *parse_var(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	if (p->s.cur.len == 1 && cur_text(p)[0] == '_')
		return mk_wildcard(p, loc);
	return mk_var(p, loc, cur_text(p), p->s.cur.len);
}

/* ---- template strings ($"...{expr}...") -------------------------------- */

static bool tmpl_expr_ok(struct parser *p, const ast_expr *e)
{
	const char *what = NULL;
	if (e->negated)
		what = "negation ('not')";
	else if (e->kind == AE_UNIFY)
		what = "unification ('=')";
	else if (e->kind == AE_ASSIGN)
		what = "assignment (':=')";
	else if (e->kind == AE_EVERY)
		what = "'every'";
	else if (e->kind == AE_SOME || e->kind == AE_SOME_IN)
		what = "'some'";
	if (what == NULL)
		return true;
	perr_at(p, e->loc, "unexpected %s in template-string expression", what);
	return false;
}

static bool tmpl_add_text(struct parser *p, struct pvec *items, struct pvec *exprs, bool raw)
{
	ast_loc loc = cur_loc(p);
	const char *s = cur_text(p);
	size_t n = p->s.cur.len;
	if (n == 0)
		return true; /* OPA drops empty parts */
	const rv *v = raw ? decode_raw_tmpl(p, s, n)
	                  : decode_str(p, loc, s, n, true, "template-string part");
	ast_term *t = v ? mk_value(p, loc, v) : NULL;
	return t != NULL && pv_push(p, items, t) && pv_push(p, exprs, NULL);
}

/* One {expr} part; on return the current token is the next text part. */
static bool tmpl_add_expr(struct parser *p, struct pvec *items, struct pvec *exprs, bool raw)
{
	scan(p);
	ast_expr *e = parse_literal(p);
	if (e == NULL) {
		perr_at(p, cur_loc(p), "invalid template-string expression");
		return false;
	}
	if (!tmpl_expr_ok(p, e))
		return false;
	bool inline_scalar = e->kind == AE_TERM && e->a->kind == AT_VALUE;
	if (!pv_push(p, items, e->a) || !pv_push(p, exprs, inline_scalar ? NULL : e))
		return false;
	if (tk(p) != RT_RBRACE) {
		perr_at(p, cur_loc(p), "expected } to end template string expression");
		return false;
	}
	rlex_template(&p->s.lx, &p->s.cur, raw);
	p->nscan++;
	if (p->s.cur.kind == RT_ILLEGAL && p->s.cur.err != NULL)
		perr_at(p, cur_loc(p), "%s", p->s.cur.err);
	return true;
}

static ast_term *parse_template(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	bool raw = (p->s.cur.flags & RTF_RAW) != 0;
	struct pvec items = {0}, exprs = {0};
	bool any_expr = false;
	for (;;) {
		int k = tk(p);
		if (k != RT_TPART && k != RT_TEND) {
			illegal(p, NULL);
			return NULL;
		}
		if (!tmpl_add_text(p, &items, &exprs, raw))
			return NULL;
		if (k == RT_TEND)
			break;
		if (!tmpl_add_expr(p, &items, &exprs, raw))
			return NULL;
		any_expr = true;
	}
	ast_term *t = mk_list(p, AT_TEMPLATE, loc, &items);
	if (t != NULL && any_expr)
		t->u.list.exprs = (ast_expr **)exprs.v;
	return t;
}

/* ---- composites ---------------------------------------------------------- */

/* Comma-separated terms up to `end` (trailing comma allowed); on success the
 * current token is `end`. */
static bool parse_term_list(struct parser *p, int end, struct pvec *r)
{
	if (tk(p) == end)
		return true;
	for (;;) {
		ast_term *t = parse_infix(p, false);
		if (t == NULL || !pv_push(p, r, t))
			return false;
		int k = tk(p);
		if (k == end)
			return true;
		if (k != RT_COMMA) {
			illegal(p, "expected \",\" or \"%s\"", rlex_kind_name(end));
			return false;
		}
		scan(p);
		if (tk(p) == end)
			return true;
	}
}

static bool parse_pair_list(struct parser *p, int end, struct pvec *keys, struct pvec *vals)
{
	if (tk(p) == end)
		return true;
	for (;;) {
		ast_term *k = parse_infix(p, false);
		if (k == NULL)
			return false;
		if (tk(p) != RT_COLON) {
			illegal(p, "expected \":\"");
			return false;
		}
		scan(p);
		ast_term *v = parse_infix(p, false);
		if (v == NULL || !pv_push(p, keys, k) || !pv_push(p, vals, v))
			return false;
		int t = tk(p);
		if (t == end)
			return true;
		if (t != RT_COMMA) {
			illegal(p, "expected \",\" or \"%s\"", rlex_kind_name(end));
			return false;
		}
		scan(p);
		if (tk(p) == end)
			return true;
	}
}

static ast_term *mk_comp(struct parser *p, uint8_t kind, ast_loc loc, ast_term *key,
                         ast_term *val, ast_body *body)
{
	ast_term *t = new_term(p, kind, loc);
	if (t == NULL)
		return NULL;
	t->u.comp.key = key;
	t->u.comp.val = val;
	t->u.comp.body = body;
	return t;
}

static ast_term *mk_obj(struct parser *p, ast_loc loc, const struct pvec *keys, const struct pvec *vals)
{
	ast_term *t = new_term(p, AT_OBJ, loc);
	if (t == NULL)
		return NULL;
	t->u.obj.keys = (ast_term **)keys->v;
	t->u.obj.vals = (ast_term **)vals->v;
	t->u.obj.n = keys->n;
	return t;
}

static ast_term *parse_array(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	struct pvec items = {0};
	scan(p);
	if (tk(p) == RT_RBRACK)
		return mk_list(p, AT_ARR, loc, &items);
	bool comp = true;
	if (tk(p) == RT_COMMA) { /* `[, x]` is accepted for compatibility */
		comp = false;
		scan(p);
	}
	struct pstate s = p->s;
	/* A single term first: `[x | body]` is a comprehension, not an `or`. */
	ast_term *head = parse_term(p);
	if (head == NULL)
		return NULL;
	switch (tk(p)) {
	case RT_RBRACK:
		return pv_push(p, &items, head) ? mk_list(p, AT_ARR, loc, &items) : NULL;
	case RT_COMMA:
		scan(p);
		if (!pv_push(p, &items, head) || !parse_term_list(p, RT_RBRACK, &items))
			return NULL;
		return mk_list(p, AT_ARR, loc, &items);
	case RT_OR:
		if (comp) {
			scan(p);
			ast_body *body = parse_body(p, RT_RBRACK);
			if (body != NULL)
				return mk_comp(p, AT_ARR_COMP, loc, NULL, head, body);
			if (tk(p) != RT_COMMA)
				return NULL;
		}
		break;
	default:
		break;
	}
	p->s = s;
	if (!parse_term_list(p, RT_RBRACK, &items))
		return NULL;
	return mk_list(p, AT_ARR, loc, &items);
}

static ast_term *parse_set_rest(struct parser *p, ast_loc loc, const struct pstate *s,
                                ast_term *head, bool comp)
{
	struct pvec items = {0};
	switch (tk(p)) {
	case RT_RBRACE:
		return pv_push(p, &items, head) ? mk_list(p, AT_SET, loc, &items) : NULL;
	case RT_COMMA:
		scan(p);
		if (!pv_push(p, &items, head) || !parse_term_list(p, RT_RBRACE, &items))
			return NULL;
		return mk_list(p, AT_SET, loc, &items);
	case RT_OR:
		if (comp) {
			scan(p);
			ast_body *body = parse_body(p, RT_RBRACE);
			if (body != NULL)
				return mk_comp(p, AT_SET_COMP, loc, NULL, head, body);
			if (tk(p) != RT_COMMA)
				return NULL;
		}
		p->s = *s;
		if (!parse_term_list(p, RT_RBRACE, &items))
			return NULL;
		return mk_list(p, AT_SET, loc, &items);
	default:
		return NULL;
	}
}

static ast_term *parse_object_rest(struct parser *p, ast_loc loc, ast_term *key,
                                   ast_term *val, bool comp)
{
	struct pvec keys = {0}, vals = {0};
	switch (tk(p)) {
	case RT_RBRACE:
		if (!pv_push(p, &keys, key) || !pv_push(p, &vals, val))
			return NULL;
		return mk_obj(p, loc, &keys, &vals);
	case RT_OR:
		if (!comp) {
			illegal(p, "non-terminated object");
			return NULL;
		}
		scan(p);
		ast_body *body = parse_body(p, RT_RBRACE);
		return body ? mk_comp(p, AT_OBJ_COMP, loc, key, val, body) : NULL;
	case RT_COMMA:
		scan(p);
		if (!pv_push(p, &keys, key) || !pv_push(p, &vals, val) ||
		    !parse_pair_list(p, RT_RBRACE, &keys, &vals))
			return NULL;
		return mk_obj(p, loc, &keys, &vals);
	default:
		return NULL;
	}
}

/* After `key :` in `{...}`. */
static ast_term *parse_object(struct parser *p, ast_loc loc, ast_term *key, bool comp)
{
	scan(p); /* the colon */
	struct pstate s = p->s;
	ast_term *v = parse_term(p);
	if (v == NULL)
		return NULL;
	bool relation = true;
	if (comp) {
		int k = tk(p);
		if (k == RT_RBRACE || k == RT_COMMA || k == RT_OR) {
			relation = k == RT_OR;
			ast_term *t = parse_object_rest(p, loc, key, v, true);
			if (t != NULL)
				return t;
		}
	}
	p->s = s;
	if (relation) {
		v = parse_infix(p, false);
		if (v == NULL)
			return NULL;
		if (tk(p) == RT_RBRACE || tk(p) == RT_COMMA)
			return parse_object_rest(p, loc, key, v, false);
	}
	illegal(p, "non-terminated object");
	return NULL;
}

static ast_term *parse_set_or_object(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	scan(p);
	if (tk(p) == RT_RBRACE) {
		struct pvec none = {0};
		return mk_obj(p, loc, &none, &none);
	}
	bool comp = true;
	if (tk(p) == RT_COMMA) {
		comp = false;
		scan(p);
	}
	struct pstate s = p->s;
	ast_term *head = parse_term(p);
	if (head == NULL)
		return NULL;
	switch (tk(p)) {
	case RT_OR:
		if (comp)
			return parse_set_rest(p, loc, &s, head, comp);
		break;
	case RT_RBRACE:
	case RT_COMMA:
		return parse_set_rest(p, loc, &s, head, comp);
	case RT_COLON:
		return parse_object(p, loc, head, comp);
	default:
		break;
	}
	p->s = s;
	head = parse_infix(p, false);
	if (head == NULL)
		return NULL;
	switch (tk(p)) {
	case RT_RBRACE:
	case RT_COMMA:
		return parse_set_rest(p, loc, &s, head, false);
	case RT_COLON:
		return parse_object(p, loc, head, comp);
	default:
		illegal(p, "non-terminated set");
		return NULL;
	}
}

static ast_term *parse_paren(struct parser *p)
{
	scan(p);
	ast_term *r = parse_infix(p, true);
	if (r == NULL)
		return NULL;
	if (tk(p) != RT_RPAREN) {
		perr_at(p, cur_loc(p), "non-terminated expression");
		return NULL;
	}
	return r;
}

/* ---- refs and calls ------------------------------------------------------ */

static ast_term *parse_ref(struct parser *p, ast_term *head, bool head_ws_ok);

/* After the operator: `(args)`; `set()` is the empty set. */
static ast_term *parse_call(struct parser *p, ast_term *op, ast_loc loc)
{
	ast_term *t = NULL;
	scan(p);
	if (tk(p) == RT_RPAREN) {
		scan(p);
		if (is_var_named(op, "set")) {
			struct pvec none = {0};
			t = mk_list(p, AT_SET, loc, &none);
		} else {
			t = mk_call(p, loc, op, call_name(p, op), NULL, 0);
		}
	} else {
		struct pvec args = {0};
		if (parse_term_list(p, RT_RPAREN, &args)) {
			scan(p);
			t = mk_call(p, loc, op, call_name(p, op), (ast_term **)args.v, args.n);
		}
	}
	return t;
}

static bool ref_head_ok(const ast_term *t)
{
	switch (t->kind) {
	case AT_VAR: case AT_ARR: case AT_OBJ: case AT_SET: case AT_ARR_COMP:
	case AT_OBJ_COMP: case AT_SET_COMP: case AT_CALL:
		return true;
	default:
		return false;
	}
}

/* `.name` after a ref: keywords are allowed as names (OPA >= 1.6). */
static bool ref_add_field(struct parser *p, struct pvec *items)
{
	ast_loc dot = cur_loc(p);
	scan(p);
	if (cur_ws(p)) {
		ast_loc after = {dot.line, dot.col + 1};
		perr_at(p, after, "unexpected whitespace token: expected identifier");
		return false;
	}
	int k = tk(p);
	if (k != RT_IDENT && !is_kw_kind(k)) {
		illegal(p, "expected identifier");
		return false;
	}
	ast_term *s = mk_str(p, cur_loc(p), cur_text(p), p->s.cur.len);
	if (s == NULL || !pv_push(p, items, s))
		return false;
	scan(p);
	return true;
}

static bool ref_add_index(struct parser *p, struct pvec *items)
{
	scan(p);
	ast_term *t = parse_infix(p, true);
	if (t == NULL)
		return false;
	if (tk(p) != RT_RBRACK) {
		illegal(p, "expected ]");
		return false;
	}
	if (!pv_push(p, items, t))
		return false;
	scan(p);
	return true;
}

/* Continues `head` with `.x`, `[t]` and `(args)`; the current token is the
 * first of these. head_ws_ok: space allowed before it (rule heads). */
static ast_term *parse_ref_body(struct parser *p, ast_term *head, bool head_ws_ok)
{
	ast_loc loc = head->loc;
	if (!ref_head_ok(head))
		perr_at(p, loc, "illegal ref (head cannot be %s)", value_name(head));
	struct pvec items = {0};
	if (!pv_push(p, &items, head))
		return NULL;
	for (bool first = true;; first = false) {
		if (cur_ws(p) && !(first && head_ws_ok))
			return mk_list(p, AT_REF, loc, &items);
		switch (tk(p)) {
		case RT_DOT:
			if (!ref_add_field(p, &items))
				return NULL;
			break;
		case RT_LBRACK:
			if (!ref_add_index(p, &items))
				return NULL;
			break;
		case RT_LPAREN: {
			ast_term *op = items.n == 1 ? head : mk_list(p, AT_REF, loc, &items);
			if (op == NULL)
				return NULL;
			ast_term *t = parse_call(p, op, loc);
			if (t != NULL && !cur_ws(p) && (tk(p) == RT_DOT || tk(p) == RT_LBRACK))
				t = parse_ref(p, t, false);
			return t;
		}
		default:
			return mk_list(p, AT_REF, loc, &items);
		}
	}
}

static ast_term *parse_ref(struct parser *p, ast_term *head, bool head_ws_ok)
{
	if (!enter(p))
		return NULL;
	ast_term *t = parse_ref_body(p, head, head_ws_ok);
	leave(p);
	return t;
}

/* ---- terms and operators ------------------------------------------------- */

static ast_term *parse_term_head(struct parser *p)
{
	switch (tk(p)) {
	case RT_NULL:
		return mk_value(p, cur_loc(p), rv_null());
	case RT_TRUE:
		return mk_value(p, cur_loc(p), rv_true());
	case RT_FALSE:
		return mk_value(p, cur_loc(p), rv_false());
	case RT_SUB:
	case RT_DOT:
	case RT_NUMBER:
		return parse_number(p);
	case RT_STRING:
		return parse_string(p);
	case RT_TPART:
	case RT_TEND:
		return parse_template(p);
	case RT_IDENT:
	case RT_CONTAINS: /* `contains(s, x)` outside rule heads */
		return parse_var(p);
	case RT_LBRACK:
		return parse_array(p);
	case RT_LBRACE:
		return parse_set_or_object(p);
	case RT_LPAREN:
		return parse_paren(p);
	default:
		illegal(p, NULL);
		return NULL;
	}
}

/* One term with its ref/call suffix (OPA's parseTerm + parseTermFinish). */
static ast_term *parse_term(struct parser *p)
{
	if (!enter(p))
		return NULL;
	uint64_t key = memo_key(p);
	uint32_t wild = p->s.wild;
	const struct perr *err0 = p->s.err;
	struct memo_ent *hit = memo_find(p, key);
	if (hit != NULL) {
		p->s = hit->post;
		if (err0 != NULL)
			p->s.err = err0;
		leave(p);
		return hit->term;
	}
	size_t before = p->nscan;
	ast_term *t = parse_term_head(p);
	if (t != NULL) {
		scan(p);
		if (!cur_ws(p) && (tk(p) == RT_LPAREN || tk(p) == RT_DOT || tk(p) == RT_LBRACK))
			t = parse_ref(p, t, false);
	}
	/* Only multi-token terms are worth it; a failure at the depth limit
	 * depends on the context, not the text. */
	bool depth_fail = err0 == NULL && p->s.err != NULL && p->s.err->depth;
	if (p->nscan - before > 1 && !depth_fail)
		memo_put(p, key, wild, err0 == NULL, t);
	leave(p);
	return t;
}

/* Binary operator levels, loosest first (OPA: parseTermRelation, Or, And,
 * Arith, Factor); all are left-associative. */
enum { LV_REL, LV_OR, LV_AND, LV_ARITH, LV_FACTOR };

static bool op_at_level(int k, int level)
{
	switch (level) {
	case LV_REL:
		return k == RT_EQUAL || k == RT_NEQ || k == RT_LT || k == RT_GT ||
		       k == RT_LTE || k == RT_GTE;
	case LV_OR: return k == RT_OR;
	case LV_AND: return k == RT_AND;
	case LV_ARITH: return k == RT_ADD || k == RT_SUB;
	default: return k == RT_MUL || k == RT_QUO || k == RT_REM;
	}
}

static ast_term *parse_level(struct parser *p, int level)
{
	ast_term *lhs = level == LV_FACTOR ? parse_term(p) : parse_level(p, level + 1);
	while (lhs != NULL && op_at_level(tk(p), level)) {
		int op = tk(p);
		ast_loc oploc = cur_loc(p);
		scan(p);
		ast_term *rhs = level == LV_FACTOR ? parse_term(p) : parse_level(p, level + 1);
		if (rhs == NULL)
			break; /* the error is recorded; OPA returns lhs */
		lhs = mk_opcall(p, op, oploc, lhs, rhs);
	}
	return lhs;
}

/* `k, v in xs` (keyval only) after lhs; NULL (state restored) if absent. */
static ast_term *parse_member3(struct parser *p, ast_term *lhs)
{
	struct pstate s = p->s;
	scan(p);
	ast_term *mhs = parse_level(p, LV_REL);
	if (mhs != NULL && tk(p) == RT_IN) {
		ast_loc oploc = cur_loc(p);
		scan(p);
		ast_term *rhs = parse_level(p, LV_REL);
		if (rhs != NULL)
			return mk_member(p, oploc, lhs, mhs, rhs);
	}
	p->s = s;
	return NULL;
}

/* Full infix term (OPA's parseTermIn): relations, then `in`. keyval allows
 * `k, v in xs`, which is off inside lists where the comma separates. */
static ast_term *parse_infix(struct parser *p, bool keyval)
{
	ast_term *lhs = parse_level(p, LV_REL);
	while (lhs != NULL) {
		ast_term *call = NULL;
		if (keyval && tk(p) == RT_COMMA)
			call = parse_member3(p, lhs);
		if (call == NULL) {
			scan_ahead_ref(p);
			if (tk(p) != RT_IN)
				break;
			ast_loc oploc = cur_loc(p);
			scan(p);
			ast_term *rhs = parse_level(p, LV_REL);
			if (rhs == NULL)
				break;
			call = mk_member(p, oploc, NULL, lhs, rhs);
			if (call == NULL)
				break;
		}
		lhs = call;
		if (tk(p) != RT_IN)
			break;
	}
	return lhs;
}

/* ---- expressions ---------------------------------------------------------- */

static ast_expr *new_expr(struct parser *p, uint8_t kind, ast_loc loc)
{
	ast_expr *e = pz(p, sizeof(*e));
	if (e != NULL) {
		e->kind = kind;
		e->loc = loc;
	}
	return e;
}

static bool parse_withs(struct parser *p, ast_expr *e)
{
	struct pvec tv = {0}, vv = {0}, lv = {0};
	do {
		ast_loc loc = cur_loc(p);
		scan(p);
		if (tk(p) != RT_IDENT) {
			illegal(p, "expected ident");
			return false;
		}
		ast_term *target = parse_term(p);
		if (target == NULL)
			return false;
		if (target->kind != AT_REF && target->kind != AT_VAR)
			illegal(p, "expected with target path");
		if (tk(p) != RT_AS) {
			illegal(p, "expected as keyword");
			return false;
		}
		scan(p);
		ast_term *value = parse_infix(p, true);
		ast_loc *lp = pz(p, sizeof(*lp));
		if (value == NULL || lp == NULL)
			return false;
		*lp = loc;
		if (!pv_push(p, &tv, target) || !pv_push(p, &vv, value) || !pv_push(p, &lv, lp))
			return false;
	} while (tk(p) == RT_WITH);
	ast_with *w = pnz(p, tv.n, sizeof(*w));
	if (w == NULL)
		return false;
	for (size_t i = 0; i < tv.n; i++) {
		w[i].target = tv.v[i];
		w[i].value = vv.v[i];
		w[i].loc = *(ast_loc *)lv.v[i];
	}
	e->withs = w;
	e->nwiths = tv.n;
	return true;
}

static ast_expr *parse_expr(struct parser *p, ast_loc loc)
{
	ast_term *lhs = parse_infix(p, true);
	if (lhs == NULL)
		return NULL;
	int k = tk(p);
	if (k == RT_ASSIGN || k == RT_UNIFY) {
		scan(p);
		ast_term *rhs = parse_infix(p, true);
		if (rhs == NULL)
			return NULL;
		ast_expr *e = new_expr(p, k == RT_ASSIGN ? AE_ASSIGN : AE_UNIFY, loc);
		if (e != NULL) {
			e->a = lhs;
			e->b = rhs;
		}
		return e;
	}
	ast_expr *e = new_expr(p, AE_TERM, loc);
	if (e != NULL)
		e->a = lhs;
	return e;
}

static ast_expr *parse_literal_expr(struct parser *p, ast_loc loc, bool negated)
{
	ast_expr *e = parse_expr(p, loc);
	if (e == NULL)
		return NULL;
	e->negated = negated;
	if (tk(p) == RT_WITH && !parse_withs(p, e))
		return NULL;
	return e;
}

static bool is_member_call(const ast_term *t, size_t *nargs)
{
	if (t->kind != AT_CALL || t->u.call.name == NULL)
		return false;
	if (strcmp(t->u.call.name, "internal.member_2") == 0)
		*nargs = 2;
	else if (strcmp(t->u.call.name, "internal.member_3") == 0)
		*nargs = 3;
	else
		return false;
	return true;
}

static void set_some_in(ast_expr *e, const ast_term *call)
{
	size_t i = 0;
	if (call->u.call.nargs == 3)
		e->some.key = call->u.call.args[i++];
	e->some.val = call->u.call.args[i++];
	e->some.coll = call->u.call.args[i];
}

/* `some x, y` or `some [k,] v in xs`. */
static ast_expr *parse_some(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	struct pstate s = p->s;
	scan(p);
	ast_term *t = parse_infix(p, true);
	if (t != NULL && t->kind == AT_CALL) {
		size_t nargs;
		if (!is_member_call(t, &nargs)) {
			illegal(p, "expected `x in xs` or `x, y in xs` expression");
			return NULL;
		}
		ast_expr *e = new_expr(p, AE_SOME_IN, loc);
		if (e == NULL)
			return NULL;
		set_some_in(e, t);
		if (tk(p) == RT_WITH && !parse_withs(p, e))
			return NULL;
		return e;
	}
	p->s = s;
	struct pvec vars = {0};
	do {
		scan(p);
		if (tk(p) != RT_IDENT) {
			illegal(p, "expected var");
			return NULL;
		}
		ast_term *v = parse_var(p);
		if (v == NULL || !pv_push(p, &vars, v))
			return NULL;
		scan(p);
	} while (tk(p) == RT_COMMA);
	ast_expr *e = new_expr(p, AE_SOME, loc);
	if (e != NULL) {
		e->some.vars = (ast_term **)vars.v;
		e->some.nvars = vars.n;
	}
	return e;
}

static ast_expr *parse_every(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	scan(p);
	ast_term *t = parse_infix(p, true);
	if (t == NULL)
		return NULL;
	size_t nargs;
	if (!is_member_call(t, &nargs)) {
		illegal(p, "expected `x[, y] in xs { ... }` expression");
		return NULL;
	}
	ast_expr *e = new_expr(p, AE_EVERY, loc);
	if (e == NULL)
		return NULL;
	set_some_in(e, t);
	if (e->some.key != NULL && e->some.key->kind != AT_VAR) {
		illegal(p, "expected key to be a variable");
		return NULL;
	}
	if (e->some.val->kind != AT_VAR) {
		illegal(p, "expected value to be a variable");
		return NULL;
	}
	if (tk(p) != RT_LBRACE) {
		illegal(p, "missing body");
		return NULL;
	}
	scan(p);
	e->some.body = parse_body(p, RT_RBRACE);
	if (e->some.body == NULL)
		return NULL;
	scan(p);
	if (tk(p) == RT_WITH && !parse_withs(p, e))
		return NULL;
	return e;
}

/* One body expression: [not] expr [with ...], some ..., every ... */
static ast_expr *parse_literal(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	if (scan_ahead_ref(p))
		return parse_literal_expr(p, loc, false);
	bool negated = false;
	if (tk(p) == RT_NOT) {
		scan(p);
		negated = true;
	}
	switch (tk(p)) {
	case RT_SOME:
		if (negated) {
			illegal(p, "illegal negation of 'some'");
			return NULL;
		}
		return parse_some(p);
	case RT_EVERY:
		if (negated) {
			illegal(p, "illegal negation of 'every'");
			return NULL;
		}
		return parse_every(p);
	default:
		return parse_literal_expr(p, loc, negated);
	}
}

/* Expressions separated by `;` or newlines, up to `end` (not consumed).
 * require_semi: stop after the first `;`-list (module/query statements). */
static ast_body *parse_query_body(struct parser *p, bool require_semi, int end)
{
	ast_loc loc = cur_loc(p);
	if (tk(p) == end) {
		perr_at(p, loc, "found empty body");
		return NULL;
	}
	struct pvec exprs = {0};
	for (;;) {
		ast_expr *e = parse_literal(p);
		if (e == NULL || !pv_push(p, &exprs, e))
			return NULL;
		if (tk(p) == RT_SEMI) {
			scan(p);
			continue;
		}
		if (tk(p) == end || require_semi)
			break;
		if (!(p->s.cur.flags & RTF_NL)) {
			illegal(p, "expected \\n or ; or %s", rlex_kind_name(end));
			return NULL;
		}
	}
	ast_body *b = pz(p, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->exprs = (ast_expr **)exprs.v;
	b->n = exprs.n;
	b->loc = loc;
	return b;
}

static ast_body *parse_body(struct parser *p, int end)
{
	if (!enter(p))
		return NULL;
	ast_body *b = parse_query_body(p, false, end);
	leave(p);
	return b;
}

/* A body holding the single expression `true`, for rules without one. */
static ast_body *true_body(struct parser *p, ast_loc loc)
{
	ast_body *b = pz(p, sizeof(*b));
	ast_expr **v = pz(p, sizeof(*v));
	ast_expr *e = new_expr(p, AE_TERM, loc);
	ast_term *t = mk_true(p, loc);
	if (b == NULL || v == NULL || e == NULL || t == NULL)
		return NULL;
	e->a = t;
	v[0] = e;
	b->exprs = v;
	b->n = 1;
	b->loc = loc;
	return b;
}

static ast_body *single_body(struct parser *p, ast_expr *e)
{
	ast_body *b = pz(p, sizeof(*b));
	ast_expr **v = pz(p, sizeof(*v));
	if (b == NULL || v == NULL)
		return NULL;
	v[0] = e;
	b->exprs = v;
	b->n = 1;
	b->loc = e->loc;
	return b;
}

/* ---- deep copies (chained rule bodies and else branches get their own
 * head terms: the compiler resolves variables in place, per rule) -------- */

static ast_term *copy_term(struct parser *p, const ast_term *t);
static ast_body *copy_body(struct parser *p, const ast_body *b);

static ast_term **copy_terms(struct parser *p, ast_term *const *v, size_t n)
{
	if (n == 0)
		return NULL;
	ast_term **c = pnz(p, n, sizeof(*c));
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((c[i] = copy_term(p, v[i])) == NULL && v[i] != NULL)
			return NULL;
	return c;
}

static ast_expr *copy_expr(struct parser *p, const ast_expr *e)
{
	ast_expr *c = pz(p, sizeof(*c));
	if (c == NULL)
		return NULL;
	*c = *e;
	c->a = e->a ? copy_term(p, e->a) : NULL;
	c->b = e->b ? copy_term(p, e->b) : NULL;
	c->some.key = e->some.key ? copy_term(p, e->some.key) : NULL;
	c->some.val = e->some.val ? copy_term(p, e->some.val) : NULL;
	c->some.coll = e->some.coll ? copy_term(p, e->some.coll) : NULL;
	c->some.body = e->some.body ? copy_body(p, e->some.body) : NULL;
	if (e->some.nvars)
		c->some.vars = copy_terms(p, e->some.vars, e->some.nvars);
	if (e->nwiths) {
		c->withs = pnz(p, e->nwiths, sizeof(*c->withs));
		if (c->withs == NULL)
			return NULL;
		for (size_t i = 0; i < e->nwiths; i++) {
			c->withs[i].loc = e->withs[i].loc;
			c->withs[i].target = copy_term(p, e->withs[i].target);
			c->withs[i].value = copy_term(p, e->withs[i].value);
		}
	}
	return p->oom ? NULL : c;
}

static ast_body *copy_body(struct parser *p, const ast_body *b)
{
	ast_body *c = pz(p, sizeof(*c));
	if (c == NULL)
		return NULL;
	*c = *b;
	if (b->n) {
		c->exprs = pnz(p, b->n, sizeof(*c->exprs));
		if (c->exprs == NULL)
			return NULL;
		for (size_t i = 0; i < b->n; i++)
			if ((c->exprs[i] = copy_expr(p, b->exprs[i])) == NULL)
				return NULL;
	}
	return c;
}

static void copy_template_exprs(struct parser *p, ast_term *c, const ast_term *t)
{
	if (t->u.list.exprs == NULL)
		return;
	c->u.list.exprs = pnz(p, t->u.list.n, sizeof(ast_expr *));
	if (c->u.list.exprs == NULL)
		return;
	for (size_t i = 0; i < t->u.list.n; i++) {
		if (t->u.list.exprs[i] == NULL)
			continue;
		c->u.list.exprs[i] = copy_expr(p, t->u.list.exprs[i]);
		if (c->u.list.exprs[i] != NULL)
			c->u.list.items[i] = c->u.list.exprs[i]->a; /* keep them paired */
	}
}

static ast_term *copy_term(struct parser *p, const ast_term *t)
{
	if (t == NULL)
		return NULL;
	ast_term *c = pz(p, sizeof(*c));
	if (c == NULL)
		return NULL;
	*c = *t;
	switch (t->kind) {
	case AT_REF: case AT_ARR: case AT_SET: case AT_TEMPLATE:
		c->u.list.items = copy_terms(p, t->u.list.items, t->u.list.n);
		if (t->kind == AT_TEMPLATE)
			copy_template_exprs(p, c, t);
		break;
	case AT_OBJ:
		c->u.obj.keys = copy_terms(p, t->u.obj.keys, t->u.obj.n);
		c->u.obj.vals = copy_terms(p, t->u.obj.vals, t->u.obj.n);
		break;
	case AT_ARR_COMP: case AT_SET_COMP: case AT_OBJ_COMP:
		c->u.comp.key = copy_term(p, t->u.comp.key);
		c->u.comp.val = copy_term(p, t->u.comp.val);
		c->u.comp.body = copy_body(p, t->u.comp.body);
		break;
	case AT_CALL:
		c->u.call.op = copy_term(p, t->u.call.op);
		c->u.call.args = copy_terms(p, t->u.call.args, t->u.call.nargs);
		break;
	default:
		break;
	}
	return p->oom ? NULL : c;
}

/* ---- rules --------------------------------------------------------------- */

static bool term_ground(const ast_term *t)
{
	switch (t->kind) {
	case AT_VALUE:
		return true;
	case AT_ARR:
	case AT_SET:
		for (size_t i = 0; i < t->u.list.n; i++)
			if (!term_ground(t->u.list.items[i]))
				return false;
		return true;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++)
			if (!term_ground(t->u.obj.keys[i]) || !term_ground(t->u.obj.vals[i]))
				return false;
		return true;
	case AT_TEMPLATE:
		if (t->u.list.exprs != NULL)
			return false;
		return true;
	default:
		return false;
	}
}

static bool ref_tail_ground(ast_term *const *ref, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (!term_ground(ref[i]))
			return false;
	return true;
}

static uint8_t classify(const struct rhead *h)
{
	if (h->is_call && h->nargs > 0)
		return AR_FUNCTION;
	if (h->key != NULL && h->value == NULL)
		return AR_MULTI;
	return ref_tail_ground(h->ref, h->nref) ? AR_COMPLETE : AR_OBJECT;
}

static uint8_t head_flags(const struct rhead *h)
{
	uint8_t f = 0;
	if (h->gen_value)
		f |= RM_GEN_VALUE;
	if (h->kw_if)
		f |= RM_IF;
	if (h->kw_contains)
		f |= RM_CONTAINS;
	if (h->is_call && h->nargs > 0)
		f |= RM_FUNC;
	return f;
}

static ast_rule *mk_rule(struct parser *p, ast_loc loc, const struct rhead *h, ast_body *body,
                         bool dflt, struct rmeta **meta, uint8_t extra_flags)
{
	ast_rule *r = pz(p, sizeof(*r));
	struct rmeta *m = pz(p, sizeof(*m));
	if (r == NULL || m == NULL || body == NULL)
		return NULL;
	r->kind = classify(h);
	r->is_default = dflt;
	r->is_assign = h->assign;
	r->loc = loc;
	r->file = p->file;
	r->head = mk_ref_n(p, h->ref[0]->loc, h->ref, h->nref);
	r->key = r->kind == AR_MULTI ? h->key : NULL;
	r->value = h->value;
	r->args = h->args;
	r->nargs = h->nargs;
	r->body = body;
	if (r->head == NULL)
		return NULL;
	m->rule = r;
	m->flags = (uint8_t)(head_flags(h) | extra_flags);
	*meta = m;
	return r;
}

/* Copy of a head for a chained body or an else branch: fresh terms, and
 * fresh names for wildcard arguments (as OPA's genwildcard on copies). */
static bool copy_head(struct parser *p, const struct rhead *h, struct rhead *c)
{
	*c = *h;
	c->ref = copy_terms(p, h->ref, h->nref);
	c->key = copy_term(p, h->key);
	c->value = copy_term(p, h->value);
	c->args = copy_terms(p, h->args, h->nargs);
	if (p->oom || c->ref == NULL)
		return false;
	for (size_t i = 0; i < c->nargs; i++) {
		if (c->args[i]->kind == AT_VAR && c->args[i]->u.var.wildcard) {
			c->args[i] = mk_wildcard(p, c->args[i]->loc);
			if (c->args[i] == NULL)
				return false;
		}
	}
	return true;
}

/* Prints a head ref for messages ("p.q", "f"). */
static void head_text(struct parser *p, const struct rhead *h, char *buf, size_t n)
{
	ast_term *t = mk_ref_n(p, h->loc, h->ref, h->nref);
	if (t == NULL) {
		snprintf(buf, n, "?");
		return;
	}
	term_text(t, buf, n);
}

/* Rule head from the term parse_head_finish() returned. report: record
 * a parse error for an invalid call operator. */
static bool head_from_term(struct parser *p, struct rhead *h, ast_term *t, bool report)
{
	switch (t->kind) {
	case AT_VAR:
		h->ref = pnz(p, 1, sizeof(*h->ref));
		if (h->ref == NULL)
			return false;
		h->ref[0] = t;
		h->nref = 1;
		return true;
	case AT_REF:
		h->ref = t->u.list.items;
		h->nref = t->u.list.n;
		return true;
	case AT_CALL: {
		ast_term *op = t->u.call.op;
		if (op->kind == AT_REF && op->u.list.items[0]->kind != AT_VAR) {
			char buf[128];
			term_text(op, buf, sizeof(buf));
			if (report)
				illegal(p, "rule head ref %s invalid", buf);
			return false;
		}
		if (!head_from_term(p, h, op, report))
			return false;
		h->args = t->u.call.args;
		h->nargs = t->u.call.nargs;
		h->is_call = true;
		return true;
	}
	default:
		return false;
	}
}

static bool is_infix_token(int k)
{
	return ast_op_name(k) != NULL;
}

/* OPA's parseHeadFinish: a space is allowed before the first `[`, `.` or
 * `(` of a rule head, and an operator right after the name is an error. */
static ast_term *parse_head_finish(struct parser *p, ast_term *head)
{
	scan(p);
	int k = tk(p);
	if (!cur_ws(p) && is_infix_token(k))
		illegal(p, NULL);
	if (k == RT_LPAREN || k == RT_DOT || k == RT_LBRACK)
		return parse_ref(p, head, true);
	return head;
}

static bool parse_head_value(struct parser *p, struct rhead *h, bool dflt)
{
	char name[128];
	bool assign = tk(p) == RT_ASSIGN;
	scan(p);
	h->assign = assign;
	h->value = parse_infix(p, true);
	if (h->value != NULL)
		return true;
	head_text(p, h, name, sizeof(name));
	if (!assign)
		illegal(p, "expected rule value term (e.g., %s[<nil>] = <VALUE> { ... })", name);
	else if (h->nargs > 0)
		illegal(p, "expected function value term (e.g., %s(...) := <VALUE> { ... })", name);
	else if (dflt)
		illegal(p, "expected default rule value term (e.g., default %s := <VALUE>)", name);
	else
		illegal(p, "expected rule value term (e.g., %s := <VALUE> { ... })", name);
	return false;
}

static bool parse_head(struct parser *p, bool dflt, struct rhead *h)
{
	memset(h, 0, sizeof(*h));
	h->loc = cur_loc(p);
	ast_term *v = parse_var(p);
	if (v == NULL)
		return false;
	ast_term *t = parse_head_finish(p, v);
	if (t == NULL) {
		illegal(p, "expected rule head name");
		return false;
	}
	if (!head_from_term(p, h, t, true))
		return false;
	char name[128];
	switch (tk(p)) {
	case RT_CONTAINS:
		if (h->is_call) {
			head_text(p, h, name, sizeof(name));
			illegal(p, "the contains keyword can only be used with multi-value rule "
			           "definitions (e.g., %s contains <VALUE> { ... })", name);
		}
		scan(p);
		h->kw_contains = true;
		h->key = parse_infix(p, true);
		if (h->key == NULL) {
			head_text(p, h, name, sizeof(name));
			illegal(p, "expected rule key term (e.g., %s contains <VALUE> { ... })", name);
			return false;
		}
		return true;
	case RT_UNIFY:
	case RT_ASSIGN:
		if (!parse_head_value(p, h, dflt))
			return false;
		break;
	default:
		break;
	}
	if (h->value == NULL && h->key == NULL && (h->nref != 2 || h->nargs > 0)) {
		h->value = mk_true(p, h->loc);
		h->gen_value = true;
	}
	return true;
}

/* OPA's validateDefaultRuleValue: no vars, refs or calls outside
 * comprehensions. Returns the offending kind name or NULL. */
static const char *default_value_bad(const ast_term *t)
{
	switch (t->kind) {
	case AT_VAR: return "var";
	case AT_REF: return "ref";
	case AT_CALL: return "call";
	case AT_ARR: case AT_SET: case AT_TEMPLATE:
		for (size_t i = 0; i < t->u.list.n; i++) {
			const char *b = default_value_bad(t->u.list.items[i]);
			if (b != NULL)
				return b;
		}
		return NULL;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			const char *b = default_value_bad(t->u.obj.keys[i]);
			if (b == NULL)
				b = default_value_bad(t->u.obj.vals[i]);
			if (b != NULL)
				return b;
		}
		return NULL;
	default:
		return NULL;
	}
}

static bool validate_default(struct parser *p, ast_loc loc, const struct rhead *h)
{
	if (h->value == NULL) {
		perr_at(p, loc, "illegal default rule (must have a value)");
		return false;
	}
	const char *bad = default_value_bad(h->value);
	if (bad != NULL) {
		perr_at(p, loc, "illegal default rule (value cannot contain %s)", bad);
		return false;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		const ast_term *a = h->args[i];
		if (a->kind != AT_VAR) {
			perr_at(p, loc, "illegal default rule (arguments cannot contain %s)", value_name(a));
			return false;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(h->args[j]->u.var.name, a->u.var.name) == 0) {
				perr_at(p, loc, "illegal default rule (arguments cannot be repeated %s)",
				        a->u.var.name);
				return false;
			}
		}
	}
	return true;
}

/* Rules parsed from one statement (a head with its bodies). */
struct rlist {
	struct pvec rules;
	struct pvec metas;
};

static bool rlist_add(struct parser *p, struct rlist *out, ast_rule *r, struct rmeta *m)
{
	return r != NULL && pv_push(p, &out->rules, r) && pv_push(p, &out->metas, m);
}

/* `{ body }` after a rule head: consumes both braces. */
static ast_body *parse_brace_body(struct parser *p)
{
	scan(p);
	ast_body *b = parse_body(p, RT_RBRACE);
	if (b != NULL)
		scan(p);
	return b;
}

static ast_rule *parse_else(struct parser *p, const struct rhead *orig, struct rmeta **meta);

/* Body and else chain of an else branch (after its value). */
static ast_rule *else_finish(struct parser *p, ast_loc loc, struct rhead *h,
                             const struct rhead *orig, struct rmeta **meta)
{
	bool has_if = tk(p) == RT_IF;
	ast_body *body;
	uint8_t extra = 0;
	if (!has_if && tk(p) != RT_LBRACE) {
		body = true_body(p, loc);
		extra = RM_GEN_BODY;
	} else {
		if (has_if) {
			h->kw_if = true;
			scan(p);
		}
		if (tk(p) == RT_LBRACE) {
			body = parse_brace_body(p);
		} else if (tk(p) != RT_EOF) {
			ast_expr *e = parse_literal(p);
			body = e ? single_body(p, e) : NULL;
		} else {
			illegal(p, "rule body expected");
			return NULL;
		}
		if (body == NULL)
			return NULL;
	}
	ast_rule *r = mk_rule(p, loc, h, body, false, meta, extra);
	if (r == NULL)
		return NULL;
	if (!extra && tk(p) == RT_ELSE) {
		r->els = parse_else(p, orig, &(*meta)->els);
		if (r->els == NULL)
			return NULL;
	}
	return r;
}

static ast_rule *parse_else(struct parser *p, const struct rhead *orig, struct rmeta **meta)
{
	ast_loc loc = cur_loc(p);
	struct rhead h;
	if (!copy_head(p, orig, &h))
		return NULL;
	h.gen_value = false;
	h.loc = loc;
	scan(p);
	switch (tk(p)) {
	case RT_LBRACE:
	case RT_IF:
		h.value = mk_true(p, loc);
		h.gen_value = true;
		break;
	case RT_ASSIGN:
	case RT_UNIFY:
		h.assign = tk(p) == RT_ASSIGN;
		scan(p);
		h.value = parse_infix(p, true);
		if (h.value == NULL)
			return NULL;
		break;
	default:
		illegal(p, "expected else value term or rule body");
		return NULL;
	}
	ast_rule *r = else_finish(p, loc, &h, orig, meta);
	if (r != NULL)
		r->kind = classify(orig);
	return r;
}

/* `p if <expr>` or `p if { body }`: OPA first tries a single expression and
 * falls back to a body when that expression would be a set literal. */
static ast_body *parse_if_body(struct parser *p)
{
	scan(p);
	struct pstate s = p->s;
	ast_expr *e = parse_literal(p);
	if (e != NULL && !(e->kind == AE_TERM && e->a->kind == AT_SET))
		return single_body(p, e);
	const struct perr *lit_err = p->s.err;
	p->s = s;
	if (tk(p) != RT_LBRACE) {
		if (lit_err != NULL)
			p->s.err = lit_err;
		else
			illegal(p, NULL);
		return NULL;
	}
	return parse_brace_body(p);
}

/* Rule heads of the two kinds that depend on `if` (OPA's parseRules). */
static void adjust_ref_head(struct parser *p, struct rhead *h, bool has_if)
{
	if (h->kw_contains || h->nref != 2)
		return;
	ast_term *v = h->ref[1];
	if (has_if) {
		/* p[x] if ...: a single-value rule p[x] (value true). */
		if ((!term_ground(v) || v->kind == AT_REF) && h->nargs == 0)
			h->key = v;
		if (h->value == NULL) {
			h->value = mk_true(p, h->loc);
			h->gen_value = true;
		}
	} else if (h->nargs == 0) {
		/* v0 p[x] { ... }: partial set p; p[k] = v { ... }: object. */
		h->key = v;
		if (h->value == NULL)
			h->nref = 1;
	}
}

/* Chained bodies `p { a } { b }` (v0): one rule per body. */
static bool parse_chained(struct parser *p, const struct rhead *h, uint8_t flags,
                          struct rlist *out)
{
	while (tk(p) == RT_LBRACE) {
		ast_loc loc = cur_loc(p);
		ast_body *body = parse_brace_body(p);
		struct rhead c;
		struct rmeta *m;
		if (body == NULL || !copy_head(p, h, &c))
			return false;
		ast_rule *r = mk_rule(p, loc, &c, body, false, &m, flags);
		if (!rlist_add(p, out, r, m))
			return false;
	}
	return true;
}

static int parse_rules(struct parser *p, struct rlist *out)
{
	ast_loc loc = cur_loc(p);
	scan_ahead_ref(p);
	bool dflt = false;
	if (tk(p) == RT_DEFAULT) {
		scan(p);
		dflt = true;
		scan_ahead_ref(p);
	}
	if (tk(p) != RT_IDENT)
		return 0;
	struct rhead h;
	struct rmeta *m = NULL;
	if (!parse_head(p, dflt, &h))
		return 0;
	if (dflt) {
		if (!validate_default(p, loc, &h))
			return 0;
		ast_rule *d = mk_rule(p, loc, &h, true_body(p, loc), true, &m, 0);
		return rlist_add(p, out, d, m);
	}
	bool has_if = tk(p) == RT_IF;
	adjust_ref_head(p, &h, has_if);
	ast_body *body;
	if (has_if) {
		h.kw_if = true;
		body = parse_if_body(p);
	} else if (tk(p) == RT_LBRACE) {
		body = parse_brace_body(p);
	} else if (h.kw_contains) {
		ast_rule *c = mk_rule(p, h.loc, &h, true_body(p, h.loc), false, &m, RM_GEN_BODY);
		return rlist_add(p, out, c, m);
	} else {
		return 0;
	}
	if (body == NULL)
		return 0;
	ast_rule *r = mk_rule(p, loc, &h, body, false, &m, 0);
	if (r == NULL)
		return 0;
	if (tk(p) == RT_ELSE && !scan_ahead_ref(p)) {
		if (h.nref > 1 && !ref_tail_ground(h.ref, h.nref)) {
			perr_at(p, cur_loc(p), "else keyword cannot be used on rules with variables in head");
			return 0;
		}
		if (h.key != NULL) {
			perr_at(p, cur_loc(p), "else keyword cannot be used on multi-value rules");
			return 0;
		}
		r->els = parse_else(p, &h, &m->els);
		if (r->els == NULL)
			return 0;
	}
	if (!rlist_add(p, out, r, m))
		return 0;
	if (tk(p) == RT_LBRACE && r->els != NULL) {
		perr_at(p, cur_loc(p), "expected else keyword");
		return 0;
	}
	return parse_chained(p, &h, m->flags, out) ? 1 : 0;
}

/* ---- module statements ------------------------------------------------- */

/* Rule from a statement that parsed as a body (OPA's ParseRuleFromExpr):
 * `p = 1`, `p := 1`, `p.q.r`, `p[x]`, `f(x) = y`, `f(x)`. */
static bool rule_from_term(struct parser *p, const ast_expr *e, struct rhead *h)
{
	ast_term *t = e->a;
	if (t->kind == AT_CALL) {
		if (t->u.call.name != NULL && is_operator_name(t->u.call.name)) {
			conv_err_at(p, e->loc, "rule name conflicts with built-in function");
			return false;
		}
		if (t->u.call.nargs == 0) {
			conv_err_at(p, e->loc, "rule argument list must take at least one argument");
			return false;
		}
	} else if (t->kind == AT_VAR && (is_var_named(t, "data") || is_var_named(t, "input"))) {
		conv_err_at(p, e->loc, "refs cannot be used for rule head");
		return false;
	} else if (t->kind != AT_REF) {
		conv_err_at(p, e->loc, "%s cannot be used for rule name", value_name(t));
		return false;
	}
	if (!head_from_term(p, h, t, false) || h->ref[0]->kind != AT_VAR) {
		char buf[128];
		term_text(t, buf, sizeof(buf));
		conv_err_at(p, e->loc, "invalid rule head: %s", buf);
		return false;
	}
	if (t->kind == AT_CALL) {
		h->value = mk_true(p, e->loc);
	} else if (h->nref > 2) {
		h->value = mk_true(p, e->loc);
		h->gen_value = true;
	} else {
		h->key = h->ref[1]; /* partial set p[x] */
		h->nref = 1;
	}
	return true;
}

static bool rule_from_eq(struct parser *p, const ast_expr *e, struct rhead *h)
{
	ast_term *lhs = e->a;
	if (lhs->kind != AT_VAR && lhs->kind != AT_REF && lhs->kind != AT_CALL) {
		conv_err_at(p, e->loc, "%s cannot be used for rule name", value_name(lhs));
		return false;
	}
	if (!head_from_term(p, h, lhs, false) || h->ref[0]->kind != AT_VAR) {
		char buf[128];
		term_text(lhs, buf, sizeof(buf));
		conv_err_at(p, e->loc, "invalid rule head: %s", buf);
		return false;
	}
	if (lhs->kind == AT_REF && h->nref == 2)
		h->key = h->ref[1]; /* back-compat `p[k] = v` */
	h->value = e->b;
	h->assign = e->kind == AE_ASSIGN;
	return true;
}

static bool rule_from_body(struct parser *p, const ast_body *b, struct rlist *out)
{
	const ast_expr *e = b->exprs[0];
	if (b->n != 1) {
		conv_err_at(p, e->loc, "multiple expressions cannot be used for rule head");
		return false;
	}
	if (e->nwiths) {
		conv_err_at(p, e->loc, "expressions using with keyword cannot be used for rule head");
		return false;
	}
	if (e->negated) {
		conv_err_at(p, e->loc, "negated expressions cannot be used for rule head");
		return false;
	}
	struct rhead h;
	memset(&h, 0, sizeof(h));
	h.loc = e->loc;
	bool ok;
	switch (e->kind) {
	case AE_SOME:
	case AE_SOME_IN:
		conv_err_at(p, e->loc, "'some' declarations cannot be used for rule head");
		return false;
	case AE_TERM:
		ok = rule_from_term(p, e, &h);
		break;
	case AE_UNIFY:
	case AE_ASSIGN:
		ok = rule_from_eq(p, e, &h);
		break;
	default:
		conv_err_at(p, e->loc, "expression cannot be used for rule head");
		return false;
	}
	if (!ok)
		return false;
	struct rmeta *m;
	ast_rule *r = mk_rule(p, e->loc, &h, true_body(p, e->loc), false, &m, RM_GEN_BODY);
	return rlist_add(p, out, r, m);
}

static bool keyword_v(const char *s, size_t n, bool v1)
{
	for (int k = RT_KW_FIRST; k <= RT_KW_LAST; k++) {
		if (!v1 && k >= RT_IN)
			break;
		const char *name = rlex_kind_name(k);
		if (n > 0 && name[0] == s[0] && strncmp(name, s, n) == 0 && name[n] == '\0')
			return true;
	}
	return false;
}

/* `package a.b["c"]` → data.a.b.c */
static int parse_package(struct parser *p, ast_term **out)
{
	if (tk(p) != RT_PACKAGE || next_is_ref_start(p))
		return 0;
	scan(p);
	int k = tk(p);
	if (k != RT_IDENT && !is_kw_kind(k)) {
		illegal(p, NULL);
		return 0;
	}
	p->s.cur.flags |= RTF_IDENT;
	ast_term *t = parse_term(p);
	if (t == NULL) {
		perr_at(p, cur_loc(p), "expected path");
		return 0;
	}
	ast_term **src = &t;
	size_t n = 1;
	if (t->kind == AT_REF) {
		src = t->u.list.items;
		n = t->u.list.n;
	} else if (t->kind != AT_VAR) {
		illegal(p, NULL);
		return 0;
	}
	if (src[0]->kind != AT_VAR) {
		perr_at(p, src[0]->loc, "unexpected %s token: expecting var", value_name(src[0]));
		return 0;
	}
	ast_term **path = pnz(p, n + 1, sizeof(*path));
	if (path == NULL)
		return 0;
	path[0] = mk_var(p, src[0]->loc, "data", 4);
	path[1] = mk_str(p, src[0]->loc, src[0]->u.var.name, src[0]->u.var.len);
	for (size_t i = 1; i < n; i++) {
		if (!is_str_value(src[i])) {
			perr_at(p, src[i]->loc, "unexpected %s token: expecting string", value_name(src[i]));
			return 0;
		}
		path[i + 1] = src[i];
	}
	*out = mk_ref_n(p, t->loc, path, n + 1);
	return *out != NULL;
}

static bool import_root_ok(struct parser *p, const ast_term *path)
{
	const ast_term *h = path->u.list.items[0];
	if (is_var_named(h, "data") || is_var_named(h, "input") || is_var_named(h, "future") ||
	    is_var_named(h, "rego"))
		return true;
	char buf[128];
	term_text(h, buf, sizeof(buf));
	perr_at(p, path->loc,
	        "unexpected import path, must begin with one of: {data, future, input, rego}, "
	        "got: %s (hint: if this is unexpected, try updating OPA)", buf);
	return false;
}

/* OPA: an import without alias must not end with a keyword. */
static void import_tail_check(struct parser *p, const ast_term *path)
{
	size_t n = path->u.list.n;
	const ast_term *last = path->u.list.items[n - 1];
	const char *s;
	size_t len;
	if (n == 1) {
		s = last->u.var.name;
		len = last->u.var.len;
	} else if (!is_var_named(path->u.list.items[0], "future")) {
		s = last->u.val->u.s.p;
		len = last->u.val->u.s.n;
	} else {
		return;
	}
	if (keyword_v(s, len, p->v1))
		perr_at(p, last->loc, "unexpected import path, must not end with a keyword, got: %.*s "
		        "(hint: import a different path or use an alias)", (int)(len > 64 ? 64 : len), s);
}

static ast_term *parse_import_path(struct parser *p)
{
	uint32_t mask = p->kwmask;
	p->kwmask = 0; /* OPA's presentParser: no future keywords in the path */
	ast_term *t = parse_term(p);
	p->kwmask = mask;
	if (t == NULL)
		return NULL;
	if (t->kind == AT_VAR) {
		ast_term **it = pnz(p, 1, sizeof(*it));
		if (it == NULL)
			return NULL;
		it[0] = t;
		return mk_ref_n(p, t->loc, it, 1);
	}
	if (t->kind != AT_REF)
		return NULL;
	for (size_t i = 1; i < t->u.list.n; i++) {
		if (!is_str_value(t->u.list.items[i])) {
			perr_at(p, t->u.list.items[i]->loc, "unexpected %s token: expecting string",
			        value_name(t->u.list.items[i]));
			return NULL;
		}
	}
	return t;
}

static int parse_import(struct parser *p, ast_import *imp)
{
	if (tk(p) != RT_IMPORT || next_is_ref_start(p))
		return 0;
	memset(imp, 0, sizeof(*imp));
	imp->loc = cur_loc(p);
	scan(p);
	int k = tk(p);
	if (k != RT_IDENT && !is_kw_kind(k)) {
		illegal(p, NULL);
		return 0;
	}
	p->s.cur.flags |= RTF_IDENT;
	imp->path = parse_import_path(p);
	if (imp->path == NULL || imp->path->u.list.items[0]->kind != AT_VAR) {
		perr_at(p, cur_loc(p), "expected path");
		return 0;
	}
	if (!import_root_ok(p, imp->path))
		return 0;
	if (tk(p) == RT_AS) {
		scan(p);
		if (tk(p) != RT_IDENT) {
			illegal(p, "expected var");
			return 0;
		}
		ast_term *alias = parse_term(p);
		if (alias == NULL || alias->kind != AT_VAR) {
			illegal(p, "expected var");
			return 0;
		}
		imp->alias = alias->u.var.name;
		return 1;
	}
	import_tail_check(p, imp->path);
	return 1;
}

static uint32_t kw_bit(int kind) { return 1u << (kind - RT_IN); }

/* `import future.keywords[.kw]` enables keywords (Rego v0). */
static void future_import(struct parser *p, const ast_import *imp)
{
	ast_term *const *it = imp->path->u.list.items;
	size_t n = imp->path->u.list.n;
	if (n == 1 || !is_str_equal(it[1], "keywords")) {
		perr_at(p, imp->path->loc, "invalid import, must be `future.keywords`");
		return;
	}
	if (imp->alias != NULL) {
		perr_at(p, imp->path->loc, "`future` imports cannot be aliased");
		return;
	}
	if (n != 3) {
		p->kwmask = KW_ALL;
		return;
	}
	for (int k = RT_IN; k <= RT_IF; k++) {
		if (is_str_equal(it[2], rlex_kind_name(k))) {
			p->kwmask |= kw_bit(k);
			if (k == RT_EVERY)
				p->kwmask |= kw_bit(RT_IN);
			return;
		}
	}
	perr_at(p, imp->path->loc, "unexpected keyword, must be one of [contains every if in]");
}

static void rego_import(struct parser *p, const ast_import *imp)
{
	ast_term *const *it = imp->path->u.list.items;
	size_t n = imp->path->u.list.n;
	if (n != 2 || !is_str_equal(it[1], "v1")) {
		char buf[128];
		term_text(imp->path, buf, sizeof(buf));
		perr_at(p, imp->path->loc, "invalid import `%s`, must be `rego.v1`", buf);
		return;
	}
	if (p->v1)
		return;
	if (imp->alias != NULL) {
		perr_at(p, imp->path->loc, "`rego` imports cannot be aliased");
		return;
	}
	p->kwmask = KW_ALL;
	p->rego_v1_import = true;
}

/* Module being built. */
struct mbuild {
	ast_term *package;
	struct pvec imports; /* ast_import * */
	struct pvec rules;
	size_t nstmts;
};

static void stmt_seen(struct parser *p, struct mbuild *mb, ast_loc loc, bool is_package)
{
	if (mb->nstmts == 0 && !is_package)
		conv_err_at(p, loc, "package expected");
	else if (mb->nstmts > 0 && is_package)
		conv_err_at(p, loc, "unexpected package");
	mb->nstmts++;
}

static bool add_rules(struct parser *p, struct mbuild *mb, const struct rlist *rl)
{
	for (size_t i = 0; i < rl->rules.n; i++) {
		if (!pv_push(p, &mb->rules, rl->rules.v[i]) || !pv_push(p, &p->metas, rl->metas.v[i]))
			return false;
	}
	return true;
}

static int stmt_import(struct parser *p, struct mbuild *mb, ast_loc loc)
{
	ast_import *imp = pz(p, sizeof(*imp));
	if (imp == NULL)
		return -1;
	int r = parse_import(p, imp);
	if (r <= 0)
		return r;
	const ast_term *h = imp->path->u.list.items[0];
	if (is_var_named(h, "rego"))
		rego_import(p, imp);
	if (is_var_named(h, "future"))
		future_import(p, imp);
	stmt_seen(p, mb, loc, false);
	return pv_push(p, &mb->imports, imp) ? 1 : -1;
}

/* One statement; returns false to stop (error or end). */
static bool parse_statement(struct parser *p, struct mbuild *mb)
{
	ast_loc loc = cur_loc(p);
	struct pstate s = p->s;
	ast_term *pkg = NULL;
	if (parse_package(p, &pkg) > 0) {
		stmt_seen(p, mb, loc, true);
		if (mb->package == NULL)
			mb->package = pkg;
		return true;
	}
	if (p->s.err != NULL)
		return false;
	p->s = s;
	int r = stmt_import(p, mb, loc);
	if (r != 0)
		return r > 0;
	if (p->s.err != NULL)
		return false;
	p->s = s;
	struct rlist rl = {{0}, {0}};
	if (parse_rules(p, &rl) > 0) {
		stmt_seen(p, mb, loc, false);
		return add_rules(p, mb, &rl);
	}
	if (p->s.err != NULL)
		return false;
	p->s = s;
	ast_body *b = parse_query_body(p, true, RT_EOF);
	if (b == NULL)
		return false;
	stmt_seen(p, mb, loc, false);
	rl = (struct rlist){{0}, {0}};
	if (rule_from_body(p, b, &rl))
		return add_rules(p, mb, &rl);
	return true;
}

/* OPA's checkRegoV1Rule. */
static void check_v1_rule(struct parser *p, const struct rmeta *m)
{
	const ast_rule *r = m->rule;
	const char *t = (m->flags & RM_FUNC) ? "function" : "rule";
	const ast_term *name = r->head->u.list.items[0];
	if (r->head->u.list.n < 2 && keyword_v(name->u.var.name, name->u.var.len, true))
		conv_err_at(p, r->loc, "%s keyword cannot be used for rule name", name->u.var.name);
	if ((m->flags & RM_GEN_BODY) && (m->flags & RM_GEN_VALUE))
		conv_err_at(p, r->loc, "%s must have value assignment and/or body declaration", t);
	if (!(m->flags & RM_GEN_BODY) && !(m->flags & RM_IF) && !r->is_default)
		conv_err_at(p, r->loc, "`if` keyword is required before %s body", t);
	if (r->kind == AR_MULTI && !(m->flags & RM_CONTAINS))
		conv_err_at(p, r->loc, "`contains` keyword is required for partial set rules");
}

static void check_v1(struct parser *p)
{
	for (size_t i = 0; i < p->metas.n; i++) {
		for (const struct rmeta *m = p->metas.v[i]; m != NULL; m = m->els)
			check_v1_rule(p, m);
	}
}

/* ---- entry points ---------------------------------------------------- */

static void parser_init(struct parser *p, rarena *a, const char *src, size_t len, bool v1)
{
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->v1 = v1;
	p->kwmask = v1 ? KW_ALL : 0;
	p->memo.gen = 1;
	rlex_init(&p->s.lx, src, len);
}

static void parser_fini(struct parser *p) { free(p->memo.v); }

static int fail_with(struct parser *p, const struct perr *e, cc_error **err)
{
	if (p->oom)
		return cc_error_set_at(err, -ENOMEM, "rego_parse_error", p->file, 0, 0,
		                       "out of memory while parsing");
	return cc_error_set_at(err, -EINVAL, "rego_parse_error", p->file, (int)e->loc.line,
	                       (int)e->loc.col, "%s", e->msg);
}

/* Size, line and encoding limits, checked before any parsing. */
static int check_input(const char *file, const char *src, size_t *lenp,
                       const struct rparse_opts *opts, cc_error **err)
{
	size_t max_bytes = CC_REGO_MAX_POLICY_BYTES, max_line = CC_REGO_MAX_LINE_BYTES;
	size_t max_lines = CC_REGO_MAX_LINES, len = *lenp;
	if (opts != NULL) {
		if (opts->max_bytes)
			max_bytes = opts->max_bytes;
		if (opts->max_line)
			max_line = opts->max_line;
		if (opts->max_lines)
			max_lines = opts->max_lines;
	}
	if (src == NULL && len != 0)
		return cc_error_set_at(err, -EINVAL, "rego_parse_error", file, 0, 0, "no source");
	/* Trailing NUL bytes end the text (C callers passing the terminator;
	 * regorus reads NUL as end of input, and Kata's large.rego has one).
	 * A NUL followed by anything else is rejected below. */
	while (len > 0 && src[len - 1] == '\0')
		len--;
	if (len > max_bytes)
		return cc_error_set_at(err, -E2BIG, "rego_parse_error", file, 0, 0,
		                       "source too large: %zu bytes (limit %zu)", len, max_bytes);
	*lenp = len;
	const char *msg;
	uint32_t line, col;
	if (rlex_check_source(src, len, max_line, max_lines, &msg, &line, &col) < 0)
		return cc_error_set_at(err, -EINVAL, "rego_parse_error", file, (int)line, (int)col,
		                       "%s", msg);
	return 0;
}

static int setup(struct parser *p, rarena *a, const char *file, const char *src, size_t len,
                 const struct rparse_opts *opts, bool v1, cc_error **err)
{
	const char *fname = file ? file : "";
	int r = check_input(fname, src, &len, opts, err);
	if (r < 0)
		return r;
	parser_init(p, a, src ? src : "", len, v1);
	p->file = rarena_strndup(a, fname, strlen(fname));
	if (p->file == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory while parsing");
	scan(p);
	return 0;
}

static ast_module *build_module(struct parser *p, struct mbuild *mb)
{
	ast_module *m = pz(p, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->file = p->file;
	m->package = mb->package;
	m->v1 = p->v1 || p->rego_v1_import;
	m->rules = (ast_rule **)mb->rules.v;
	m->nrules = mb->rules.n;
	if (mb->imports.n) {
		m->imports = pnz(p, mb->imports.n, sizeof(*m->imports));
		if (m->imports == NULL)
			return NULL;
		for (size_t i = 0; i < mb->imports.n; i++)
			m->imports[i] = *(ast_import *)mb->imports.v[i];
		m->nimports = mb->imports.n;
	}
	return m;
}

int rparse_module(rarena *a, const char *file, const char *src, size_t len,
                  const struct rparse_opts *opts, ast_module **ret, cc_error **err)
{
	struct parser p;
	int r = setup(&p, a, file, src, len, opts, !(opts && opts->v0), err);
	if (r < 0)
		return r;
	struct mbuild mb;
	memset(&mb, 0, sizeof(mb));
	while (tk(&p) != RT_EOF && !p.oom) {
		memo_reset(&p);
		if (!parse_statement(&p, &mb))
			break;
	}
	if (p.s.err == NULL && tk(&p) != RT_EOF && !p.oom)
		illegal(&p, NULL);
	ast_module *m = NULL;
	if (p.s.err == NULL && !p.oom) {
		if (mb.nstmts == 0) {
			r = cc_error_set_at(err, -EINVAL, "rego_parse_error", p.file, 0, 0, "empty module");
			parser_fini(&p);
			return r;
		}
		if (p.conv_err == NULL && (p.v1 || p.rego_v1_import))
			check_v1(&p);
		if (p.conv_err == NULL)
			m = build_module(&p, &mb);
	}
	parser_fini(&p);
	if (m == NULL)
		return fail_with(&p, p.s.err ? p.s.err : p.conv_err ? p.conv_err : &oom_err, err);
	*ret = m;
	return 0;
}

/* Appends the statements of a query (`;`/newline separated). */
static ast_body *parse_query_stmts(struct parser *p)
{
	struct pvec exprs = {0};
	ast_loc loc = cur_loc(p);
	while (tk(p) != RT_EOF && !p->oom) {
		memo_reset(p);
		int k = tk(p);
		if ((k == RT_PACKAGE || k == RT_IMPORT) && !next_is_ref_start(p)) {
			illegal(p, NULL);
			return NULL;
		}
		ast_body *b = parse_query_body(p, true, RT_EOF);
		if (b == NULL)
			return NULL;
		for (size_t i = 0; i < b->n; i++)
			if (!pv_push(p, &exprs, b->exprs[i]))
				return NULL;
	}
	if (exprs.n == 0) {
		perr_at(p, loc, "empty query");
		return NULL;
	}
	ast_body *body = pz(p, sizeof(*body));
	if (body == NULL)
		return NULL;
	body->exprs = (ast_expr **)exprs.v;
	body->n = exprs.n;
	body->loc = loc;
	return body;
}

int rparse_query(rarena *a, const char *file, const char *src, size_t len,
                 const struct rparse_opts *opts, ast_body **ret, cc_error **err)
{
	struct parser p;
	int r = setup(&p, a, file, src, len, opts, !(opts && opts->v0), err);
	if (r < 0)
		return r;
	p.kwmask = KW_ALL; /* queries always have the future keywords */
	ast_body *b = parse_query_stmts(&p);
	parser_fini(&p);
	if (b == NULL || p.s.err != NULL || p.oom)
		return fail_with(&p, p.s.err ? p.s.err : &oom_err, err);
	*ret = b;
	return 0;
}

int rparse_term(rarena *a, const char *file, const char *src, size_t len,
                const struct rparse_opts *opts, ast_term **ret, cc_error **err)
{
	ast_body *b = NULL;
	int r = rparse_query(a, file, src, len, opts, &b, err);
	if (r < 0)
		return r;
	const ast_expr *e = b->exprs[0];
	if (b->n != 1)
		return cc_error_set_at(err, -EINVAL, "rego_parse_error", file, (int)e->loc.line,
		                       (int)e->loc.col, "expected exactly one term");
	if (e->kind != AE_TERM || e->negated || e->nwiths || e->a->kind == AT_CALL)
		return cc_error_set_at(err, -EINVAL, "rego_parse_error", file, (int)e->loc.line,
		                       (int)e->loc.col, "expected term");
	*ret = e->a;
	return 0;
}
