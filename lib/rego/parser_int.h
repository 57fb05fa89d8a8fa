/* Shared state of the Rego parser (internal to parser*.c): the parser and
 * its backtracking state, rule-head scratch types, the token helpers, and
 * the functions one parser file calls in another. Names shared across the
 * files carry the rp_ prefix. */
#ifndef COCOON_REGO_PARSER_INT_H
#define COCOON_REGO_PARSER_INT_H

#include "lexer.h"
#include "parser.h"

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

/* Memo of rp_parse_term() results for the current statement (scratch memory,
 * malloc'd and freed before returning: it never reaches the arena). */
struct memo {
	struct memo_ent *v;
	size_t cap;
	size_t n;
	uint32_t gen;
};

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

/* Rules parsed from one statement (a head with its bodies). */
struct rlist {
	struct pvec rules;
	struct pvec metas;
};

/* ---- tokens ------------------------------------------------------------ */

static inline bool is_kw_kind(int k) { return k >= RT_KW_FIRST && k <= RT_KW_LAST; }

/* Effective kind of a token: keywords become identifiers when overridden
 * (`input.in`) or when they are future keywords not enabled (Rego v0). */
static inline int kind_of(const struct parser *p, const struct rtoken *t)
{
	if (t->kind != RT_IDENT || t->kw == 0 || (t->flags & RTF_IDENT))
		return t->kind;
	if (t->kw >= RT_IN && !(p->kwmask & (1u << (t->kw - RT_IN))))
		return RT_IDENT;
	return t->kw;
}

static inline int tk(const struct parser *p) { return kind_of(p, &p->s.cur); }

static inline ast_loc tok_loc(const struct rtoken *t)
{
	ast_loc l = {t->line, t->col};
	return l;
}

static inline ast_loc cur_loc(const struct parser *p) { return tok_loc(&p->s.cur); }

static inline bool cur_ws(const struct parser *p) { return (p->s.cur.flags & RTF_WS) != 0; }

static inline const char *cur_text(const struct parser *p) { return p->s.lx.src + p->s.cur.off; }

/* ---- parser.c: memory, errors, scanning, recursion depth ---------------- */

/* Arena allocations (zeroed); NULL sets p->oom. */
void *rp_pz(struct parser *p, size_t n);
void *rp_pnz(struct parser *p, size_t n, size_t size);
char *rp_pstrndup(struct parser *p, const char *s, size_t n);
bool rp_pv_push(struct parser *p, struct pvec *pv, void *x);
/* Records a parse error at loc unless one is already recorded. */
__attribute__((format(printf, 3, 4)))
void rp_perr_at(struct parser *p, ast_loc loc, const char *fmt, ...);
/* Records a module-level error (reported only if parsing succeeds). */
__attribute__((format(printf, 3, 4)))
void rp_conv_err_at(struct parser *p, ast_loc loc, const char *fmt, ...);
/* Reads the next token into p->s.cur. */
void rp_scan(struct parser *p);
/* OPA's scanAheadRef: a keyword directly followed by `.` or `[` starts a
 * ref (`if.x`, `not[0]`), so it is read as an identifier. */
bool rp_scan_ahead_ref(struct parser *p);
/* OPA's illegal(): "unexpected <tok> token|keyword[: note]". */
__attribute__((format(printf, 2, 3)))
void rp_illegal(struct parser *p, const char *fmt, ...);
/* Recursion bound (CC_REGO_MAX_PARSE_DEPTH): false with an error when
 * reached; every successful rp_enter() is paired with rp_leave(). */
bool rp_enter(struct parser *p);
void rp_leave(struct parser *p);

/* ---- parser_ast.c: node constructors, predicates, copies ------------------ */

ast_term *rp_new_term(struct parser *p, uint8_t kind, ast_loc loc);
ast_term *rp_mk_value(struct parser *p, ast_loc loc, const rv *v);
ast_term *rp_mk_str(struct parser *p, ast_loc loc, const char *s, size_t n);
ast_term *rp_mk_true(struct parser *p, ast_loc loc);
ast_term *rp_mk_var(struct parser *p, ast_loc loc, const char *s, size_t n);
/* `_`: a fresh wildcard variable $0, $1, ... */
ast_term *rp_mk_wildcard(struct parser *p, ast_loc loc);
ast_term *rp_mk_list(struct parser *p, uint8_t kind, ast_loc loc, const struct pvec *items);
ast_term *rp_mk_ref_n(struct parser *p, ast_loc loc, ast_term **items, size_t n);
ast_term *rp_mk_call(struct parser *p, ast_loc loc, ast_term *op, const char *name,
                     ast_term **args, size_t nargs);
/* Binary operator call: op(lhs, rhs), located at lhs as in OPA. */
ast_term *rp_mk_opcall(struct parser *p, int kind, ast_loc oploc, ast_term *lhs, ast_term *rhs);
/* `x in xs` / `k, v in xs` (k != NULL): internal.member_2 / _3. */
ast_term *rp_mk_member(struct parser *p, ast_loc oploc, ast_term *k, ast_term *v, ast_term *coll);
ast_expr *rp_new_expr(struct parser *p, uint8_t kind, ast_loc loc);
/* A body holding the single expression `true`, for rules without one. */
ast_body *rp_true_body(struct parser *p, ast_loc loc);
ast_body *rp_single_body(struct parser *p, ast_expr *e);
bool rp_is_str_value(const ast_term *t);
bool rp_is_var_named(const ast_term *t, const char *name);
bool rp_is_str_equal(const ast_term *t, const char *s);
/* Dotted name of a call operator (`count`, `data.lib.f`), or NULL. */
const char *rp_call_name(struct parser *p, const ast_term *op);
/* Builtin name of a binary operator token ("plus"), or NULL. */
const char *rp_ast_op_name(int kind);
/* Whether name is a builtin written as an operator ("equal", ...). */
bool rp_is_operator_name(const char *name);
/* OPA's ValueName (error messages). */
const char *rp_value_name(const ast_term *t);
/* Prints t for an error message (truncated). */
void rp_term_text(const ast_term *t, char *buf, size_t n);
/* Deep copies (chained rule bodies and else branches get their own head
 * terms: the compiler resolves variables in place, per rule). */
ast_term **rp_copy_terms(struct parser *p, ast_term *const *v, size_t n);
ast_term *rp_copy_term(struct parser *p, const ast_term *t);

/* ---- parser_terms.c: terms and operators ---------------------------------- */

/* Forgets the memoised terms (at each statement). */
void rp_memo_reset(struct parser *p);
ast_term *rp_parse_var(struct parser *p);
/* One term with its ref/call suffix (OPA's parseTerm + parseTermFinish). */
ast_term *rp_parse_term(struct parser *p);
/* Continues head with `.x`, `[t]` and `(args)`; the current token is the
 * first of these. head_ws_ok: space allowed before it (rule heads). */
ast_term *rp_parse_ref(struct parser *p, ast_term *head, bool head_ws_ok);
/* Full infix term (OPA's parseTermIn): relations, then `in`. keyval allows
 * `k, v in xs`, which is off inside lists where the comma separates. */
ast_term *rp_parse_infix(struct parser *p, bool keyval);

/* ---- parser_body.c: expressions and bodies -------------------------------- */

/* One body expression: [not] expr [with ...], some ..., every ... */
ast_expr *rp_parse_literal(struct parser *p);
/* Expressions separated by `;` or newlines, up to `end` (not consumed).
 * require_semi: stop after the first `;`-list (module/query statements). */
ast_body *rp_parse_query_body(struct parser *p, bool require_semi, int end);
/* rp_parse_query_body() of a nested body, counted against the depth bound. */
ast_body *rp_parse_body(struct parser *p, int end);

/* ---- parser_rules.c: rules ------------------------------------------------ */

/* One rule statement (with its else chain and chained bodies) into out:
 * 1 if parsed, 0 if the statement is not a rule or has an error. */
int rp_parse_rules(struct parser *p, struct rlist *out);
/* Rule from a statement that parsed as a body (`p = 1`, `p[x]`, `f(x)`). */
bool rp_rule_from_body(struct parser *p, const ast_body *b, struct rlist *out);

#endif
