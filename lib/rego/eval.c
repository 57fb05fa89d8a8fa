/* Top-down evaluator core: bodies, expressions, `some ... in`, `every`,
 * queries (eval.h). Terms are eval_terms.c, unification eval_unify.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "eval_int.h"

/* ---- errors and limits ---- */

const char *ev_file(struct ev *ev)
{
	return ev->file;
}

int ev_errf(struct ev *ev, int code, const char *kind, ast_loc loc, const char *fmt, ...)
{
	if (ev->err != NULL)
		return code < 0 ? code : -code;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* OPA reports evaluation errors as file:row (no column). */
	return cc_error_set_at(&ev->err, code, kind, ev->file, (int)loc.line, 0, "%s", msg);
}

int ev_oom(struct ev *ev)
{
	ast_loc none = {0, 0};
	if (rarena_failure(ev->a) == RARENA_DEPTH)
		return ev_errf(ev, -ELOOP, "eval_cancel_error", none,
		               "value too large (deeper than %u levels or over %u nodes)",
		               CC_REGO_MAX_VALUE_DEPTH, CC_REGO_MAX_VALUE_NODES);
	return ev_errf(ev, -ENOMEM, "eval_memory_limit_error", none,
	               "evaluation memory limit exceeded (%zu bytes)", rarena_limit(ev->a));
}

int ev_check(struct ev *ev, ast_loc loc)
{
	if (++ev->steps > ev->o->max_steps)
		return ev_errf(ev, -ETIME, "eval_cancel_error", loc,
		               "evaluation step limit exceeded (%llu steps)",
		               (unsigned long long)ev->o->max_steps);
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	size_t used = ev->stack_base > here ? ev->stack_base - here : here - ev->stack_base;
	if (used > ev->o->max_stack)
		return ev_errf(ev, -ELOOP, "eval_cancel_error", loc,
		               "evaluation stack limit exceeded (%zu bytes)", ev->o->max_stack);
	return 0;
}

const rv **frame_new(struct ev *ev, uint32_t nslots)
{
	return rarena_zalloc(ev->a, (size_t)(nslots ? nslots : 1) * sizeof(const rv *));
}

bool ev_term_fast(struct ev *ev, const ast_term *t, const rv **v)
{
	return term_fast(ev, t, v);
}

/* ---- bodies ---- */

struct kbody {
	kont k;
	const ast_body *b;
	size_t i;
	kont *next;
};

static int eval_expr(struct ev *ev, const ast_expr *e, kont *k);

static int body_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kbody *kb = (struct kbody *)k;
	return eval_body(ev, kb->b, kb->i, kb->next);
}

int eval_body(struct ev *ev, const ast_body *b, size_t i, kont *k)
{
	if (i >= b->n)
		return kcall(ev, k, NULL);
	struct kbody kb = {{body_k}, b, i + 1, k};
	return eval_expr(ev, b->exprs[i], &kb.k);
}

/* ---- expressions ---- */

struct kfound {
	kont k;
	bool found;
};

static int found_k(struct ev *ev, kont *k, const rv *v)
{
	(void)ev;
	(void)v;
	((struct kfound *)k)->found = true;
	return K_STOP;
}

struct ktruthy {
	kont k;
	const ast_expr *e;
	kont *next;
};

static void note_qval(struct ev *ev, const ast_expr *e, const rv *v)
{
	if (e->qidx && ev->qvals && e->qidx <= ev->nq)
		ev->qvals[e->qidx - 1] = v ? v : rv_true();
}

static int truthy_k(struct ev *ev, kont *k, const rv *v)
{
	struct ktruthy *kt = (struct ktruthy *)k;
	if (v == NULL)
		return 0;
	/* A false value fails the expression, except that a top-level query
	 * expression that is not a call reports its value (OPA captures the
	 * value of `data.p.allow`; Kata and the KBS read false answers). */
	if (v->t == RV_BOOL && !v->u.b && !(kt->e->qidx && kt->e->a->kind != AT_CALL))
		return 0;
	note_qval(ev, kt->e, v);
	return kcall(ev, kt->next, v);
}

struct kqval {
	kont k;
	const ast_expr *e;
	kont *next;
};

static int qval_k(struct ev *ev, kont *k, const rv *v)
{
	struct kqval *kq = (struct kqval *)k;
	(void)v;
	note_qval(ev, kq->e, rv_true());
	return kcall(ev, kq->next, NULL);
}

static int eval_some_in(struct ev *ev, const ast_expr *e, kont *k);
static int eval_every(struct ev *ev, const ast_expr *e, kont *k);

static int eval_expr_plain(struct ev *ev, const ast_expr *e, kont *k)
{
	switch (e->kind) {
	case AE_TERM:
		if (call_has_output(e->a))
			return eval_call_out(ev, e->a, k);
		{
			struct ktruthy kt = {{truthy_k}, e, k};
			return eval_term(ev, e->a, &kt.k);
		}
	case AE_UNIFY:
	case AE_ASSIGN:
		return ev_unify(ev, e->a, e->b, k);
	case AE_SOME:
		return kcall(ev, k, NULL);
	case AE_SOME_IN:
		return eval_some_in(ev, e, k);
	case AE_EVERY:
		return eval_every(ev, e, k);
	}
	return 0;
}

static int eval_expr_nowith(struct ev *ev, const ast_expr *e, kont *k)
{
	if (e->negated) {
		struct kfound kf = {{found_k}, false};
		int r = eval_expr_plain(ev, e, &kf.k);
		if (r < 0)
			return r;
		if (kf.found)
			return 0;
		note_qval(ev, e, rv_true());
		return kcall(ev, k, NULL);
	}
	if (e->qidx && e->kind != AE_TERM) {
		struct kqval kq = {{qval_k}, e, k};
		return eval_expr_plain(ev, e, &kq.k);
	}
	return eval_expr_plain(ev, e, k);
}

static int eval_expr_checked(struct ev *ev, const ast_expr *e, kont *k)
{
	if (e->nwiths)
		return eval_with(ev, e, k, eval_expr_nowith);
	return eval_expr_nowith(ev, e, k);
}

static int eval_expr(struct ev *ev, const ast_expr *e, kont *k)
{
	int r = ev_check(ev, e->loc);
	if (r < 0)
		return r;
	return ev_trace_expr(ev, e, k, eval_expr_checked);
}

/* ---- some ... in / every ---- */

/* Calls fn(key, value) for each member of a collection. */
struct kmember {
	kont k;
	const ast_expr *e;
	kont *next;
	const rv *val;
};

static int member_val_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kmember *km = (struct kmember *)k;
	return eval_match(ev, km->e->some.val, km->val, km->next);
}

static int member_bind(struct ev *ev, const ast_expr *e, const rv *key, const rv *val, kont *next)
{
	struct kmember km = {{member_val_k}, e, next, val};
	if (e->some.key)
		return eval_match(ev, e->some.key, key, &km.k);
	return member_val_k(ev, &km.k, NULL);
}

static int member_at(struct ev *ev, const rv *coll, size_t j, const rv **key, const rv **val)
{
	switch (coll->t) {
	case RV_ARR:
		*key = rv_int(ev->a, (int64_t)j);
		*val = coll->u.a.v[j];
		return *key ? 0 : ev_oom(ev);
	case RV_OBJ:
		*key = coll->u.o.k[j];
		*val = coll->u.o.v[j];
		return 0;
	default:
		*key = *val = coll->u.a.v[j];
		return 0;
	}
}

struct kcoll {
	kont k;
	const ast_expr *e;
	kont *next;
};

static int some_in_k(struct ev *ev, kont *k, const rv *coll)
{
	struct kcoll *kc = (struct kcoll *)k;
	if (coll->t != RV_ARR && coll->t != RV_OBJ && coll->t != RV_SET)
		return 0;
	size_t n = rv_len(coll);
	for (size_t j = 0; j < n; j++) {
		const rv *key, *val;
		int r = member_at(ev, coll, j, &key, &val);
		if (r == 0)
			r = ev_check(ev, kc->e->loc);
		if (r == 0)
			r = member_bind(ev, kc->e, key, val, kc->next);
		if (r != 0)
			return r;
	}
	return 0;
}

static int eval_some_in(struct ev *ev, const ast_expr *e, kont *k)
{
	struct kcoll kc = {{some_in_k}, e, k};
	return eval_term(ev, e->some.coll, &kc.k);
}

struct kevbody {
	kont k;
	const ast_expr *e;
	bool found;
};

static int every_bound_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kevbody *kb = (struct kevbody *)k;
	struct kfound kf = {{found_k}, false};
	int r = eval_body(ev, kb->e->some.body, 0, &kf.k);
	if (r < 0)
		return r;
	kb->found = kf.found;
	return K_STOP;
}

static int every_k(struct ev *ev, kont *k, const rv *coll)
{
	struct kcoll *kc = (struct kcoll *)k;
	if (coll->t != RV_ARR && coll->t != RV_OBJ && coll->t != RV_SET)
		return 0; /* every over a non-collection is false */
	size_t n = rv_len(coll);
	for (size_t j = 0; j < n; j++) {
		const rv *key, *val;
		int r = member_at(ev, coll, j, &key, &val);
		if (r == 0)
			r = ev_check(ev, kc->e->loc);
		if (r < 0)
			return r;
		struct kevbody kb = {{every_bound_k}, kc->e, false};
		r = member_bind(ev, kc->e, key, val, &kb.k);
		if (r < 0)
			return r;
		if (!kb.found)
			return 0;
	}
	return kcall(ev, kc->next, NULL);
}

static int eval_every(struct ev *ev, const ast_expr *e, kont *k)
{
	struct kcoll kc = {{every_k}, e, k};
	return eval_term(ev, e->some.coll, &kc.k);
}

/* ---- queries ---- */

struct kquery {
	kont k;
	reval_row_fn row;
	void *arg;
};

static int query_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kquery *kq = (struct kquery *)k;
	return kq->row(kq->arg, ev->fr, ev->qvals);
}

int reval_query(const rprog *prog, rarena *a, struct rstate *st, const rv *data,
                const rv *input, ast_body *q, size_t nexprs,
                const struct reval_opts *opts, cc_buf *prints,
                reval_row_fn row, void *row_arg, cc_error **err)
{
	struct ev ev;
	memset(&ev, 0, sizeof(ev));
	ev.prog = prog;
	ev.a = a;
	rctx_init(&ev.cx, a, st);
	ev.cx.eval = &ev;
	ev.data = data ? data : rv_empty_obj();
	ev.input = input;
	ev.o = opts;
	ev.prints = prints;
	ev.stack_base = (uintptr_t)__builtin_frame_address(0);
	ev.nq = nexprs;
	ev.qvals = rarena_nalloc(a, nexprs + 1, sizeof(*ev.qvals));
	ev.fr = frame_new(&ev, q->nslots);
	ev.cache.val = rarena_nalloc(a, prog->ngroups + 1, sizeof(*ev.cache.val));
	ev.cache.state = rarena_zalloc(a, prog->ngroups + 1);
	int r;
	if (ev.qvals == NULL || ev.fr == NULL || ev.cache.val == NULL || ev.cache.state == NULL) {
		r = ev_oom(&ev);
	} else {
		struct kquery kq = {{query_k}, row, row_arg};
		r = eval_body(&ev, q, 0, &kq.k);
	}
	if (r > 0)
		r = 0;
	if (r < 0) {
		if (ev.err == NULL && r == -ENOMEM)
			ev_oom(&ev); /* e.g. the result row callback ran out */
		if (ev.err == NULL)
			cc_error_set(&ev.err, r, "evaluation failed");
		cc_error_move(err, &ev.err);
	}
	cc_error_free(ev.err);
	rctx_fini(&ev.cx);
	return r;
}
