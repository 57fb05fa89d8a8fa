/* Evaluator internals shared by eval*.c. */
#ifndef COCOON_REGO_EVAL_INT_H
#define COCOON_REGO_EVAL_INT_H

#include <stddef.h>

#include "eval.h"

#define K_STOP 1 /* a continuation asks its enumeration to stop */

struct ev;
typedef struct kont kont;
typedef int (*kfn)(struct ev *ev, kont *k, const rv *v);
struct kont {
	kfn fn;
};

static inline int kcall(struct ev *ev, kont *k, const rv *v) { return k->fn(ev, k, v); }

/* Per-query (or per-`with`-scope) cache of rule group values. */
struct gcache {
	const rv **val;
	uint8_t *state; /* 0 unknown, 1 computing, 2 done */
};

/* Function mocks from `with f as g` / `with f as value`. */
struct wmock {
	const void *target;      /* rgroup* or struct rbi* or struct rhostfn* */
	const ast_term *repl;    /* AT_CALL naming the replacement function, or NULL */
	const rv *value;         /* replacement value, if repl == NULL */
	struct wmock *next;
};

/* Rule nodes hidden by `with data.x as v` (their path is patched into the
 * base document instead). */
struct wmask {
	const rnode *node;
	struct wmask *next;
};

struct ev {
	const rprog *prog;
	rarena *a;
	rctx cx;
	const rv *data;  /* base document */
	const rv *input; /* NULL = undefined */
	const rv **fr;   /* current frame */
	struct gcache cache;
	struct wmock *mocks;
	struct wmask *masks;
	const struct reval_opts *o;
	uint64_t steps;
	uint32_t depth;
	uintptr_t stack_base;
	cc_error *err;
	cc_buf *prints;
	const rv **qvals; /* values of top-level query expressions */
	size_t nq;
	const char *file; /* module of the rule being evaluated (messages) */
};

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Value of t without enumeration when it is a literal or a bound var.
 * Returns true and sets *v (NULL = undefined) when it applies. */
static inline bool term_fast(struct ev *ev, const ast_term *t, const rv **v)
{
	switch (t->kind) {
	case AT_VALUE:
		*v = t->u.val;
		return true;
	case AT_VAR:
		if (t->u.var.scope == AV_LOCAL) {
			*v = ev->fr[t->u.var.slot];
			return *v != NULL;
		}
		if (t->u.var.scope == AV_INPUT) {
			*v = ev->input;
			return true;
		}
		return false;
	default:
		return false;
	}
}

/* true if pattern t has a variable that is not bound yet in a position
 * unification can bind (the term itself, array elements, object values). */
static inline bool has_unbound(struct ev *ev, const ast_term *t)
{
	switch (t->kind) {
	case AT_VAR:
		return t->u.var.scope == AV_LOCAL && ev->fr[t->u.var.slot] == NULL;
	case AT_ARR:
		for (size_t i = 0; i < t->u.list.n; i++)
			if (has_unbound(ev, t->u.list.items[i]))
				return true;
		return false;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++)
			if (has_unbound(ev, t->u.obj.vals[i]))
				return true;
		return false;
	default:
		return false;
	}
}

/* eval.c */
int ev_check(struct ev *ev, ast_loc loc);
int ev_errf(struct ev *ev, int code, const char *kind, ast_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int ev_oom(struct ev *ev);
int eval_body(struct ev *ev, const ast_body *b, size_t i, kont *k);
int eval_term(struct ev *ev, const ast_term *t, kont *k);
int eval_match(struct ev *ev, const ast_term *pat, const rv *v, kont *k);
const rv **frame_new(struct ev *ev, uint32_t nslots);
/* Value of a literal or bound variable without enumeration. */
bool ev_term_fast(struct ev *ev, const ast_term *t, const rv **v);
/* eval_unify.c: a = b (either side may hold unbound variables). */
int ev_unify(struct ev *ev, const ast_term *a, const ast_term *b, kont *k);
const char *ev_file(struct ev *ev);

/* Whether t yields at most one value now (no unbound variable, no
 * relation), and its value (*out NULL = undefined) evaluated without a
 * continuation chain. */
bool ev_single_valued(struct ev *ev, const ast_term *t);
int ev_eval_single(struct ev *ev, const ast_term *t, const rv **out);
/* Order in which to evaluate sibling terms (unbound vars last). */
int ev_eval_order(struct ev *ev, const ast_term *const *items, size_t n, const uint32_t **ret);
/* Dereferences v by ref's path items i.. (enumerating unbound vars). */
int ev_walk_value(struct ev *ev, const rv *v, const ast_term *ref, size_t i, kont *k);

/* eval_rules.c */
int ev_group_value(struct ev *ev, const rgroup *g, const rv **out);
const rv *ev_mark_struct(const rv *v);
/* eval_data.c (data refs), eval_with.c (with) */
int eval_data_ref(struct ev *ev, const ast_term *ref, kont *k);
int eval_data_root(struct ev *ev, kont *k);
int eval_func(struct ev *ev, const rgroup *g, const rv *const *args, const ast_term *call, kont *k);
int eval_with(struct ev *ev, const ast_expr *e, kont *k, int (*inner)(struct ev *, const ast_expr *, kont *));

/* eval_call.c */
int eval_call(struct ev *ev, const ast_term *t, kont *k);
/* Expression-level call with an output argument: f(x, out). */
int eval_call_out(struct ev *ev, const ast_term *t, kont *k);
bool call_has_output(const ast_term *t);
int eval_template(struct ev *ev, const ast_term *t, kont *k);

/* eval_trace.c: --explain events; each is a no-op unless ev->o->explain
 * asks for it. ev_trace_expr evaluates e through inner and records "Eval"
 * (full) and "Fail" when e produced no solution. */
int ev_trace_expr(struct ev *ev, const ast_expr *e, kont *k,
                  int (*inner)(struct ev *, const ast_expr *, kont *));
void ev_trace_rule(struct ev *ev, const char *op, const ast_rule *r);

#endif
