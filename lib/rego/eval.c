/* Top-down evaluator core: bodies, expressions, terms, unification and
 * references (eval.h). */
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

/* ---- fast paths ---- */

/* Value of t without enumeration when it is a literal or a bound var.
 * Returns true and sets *v (NULL = undefined) when it applies. */
static bool term_fast(struct ev *ev, const ast_term *t, const rv **v)
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

bool ev_term_fast(struct ev *ev, const ast_term *t, const rv **v)
{
	return term_fast(ev, t, v);
}

/* true if pattern t has a variable that is not bound yet in a position
 * unification can bind (the term itself, array elements, object values). */
static bool has_unbound(struct ev *ev, const ast_term *t)
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

static int unify(struct ev *ev, const ast_term *a, const ast_term *b, kont *k);
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
		return unify(ev, e->a, e->b, k);
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

static int eval_expr(struct ev *ev, const ast_expr *e, kont *k)
{
	int r = ev_check(ev, e->loc);
	if (r < 0)
		return r;
	if (e->nwiths)
		return eval_with(ev, e, k, eval_expr_nowith);
	return eval_expr_nowith(ev, e, k);
}

/* ---- pattern matching ---- */

struct kcmp {
	kont k;
	const rv *want;
	kont *next;
};

static int cmp_k(struct ev *ev, kont *k, const rv *v)
{
	struct kcmp *kc = (struct kcmp *)k;
	if (!rv_eq(v, kc->want))
		return 0;
	return kcall(ev, kc->next, v);
}

struct kmlist {
	kont k;
	const ast_term *const *pats;
	const rv *const *vals;
	size_t n, i;
	kont *next;
};

static int match_list(struct ev *ev, struct kmlist *km);

static int mlist_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kmlist *prev = (struct kmlist *)k;
	struct kmlist km = *prev;
	km.i++;
	return match_list(ev, &km);
}

static int match_list(struct ev *ev, struct kmlist *km)
{
	if (km->i >= km->n)
		return kcall(ev, km->next, NULL);
	return eval_match(ev, km->pats[km->i], km->vals[km->i], &km->k);
}

struct kmobj {
	kont k;
	const ast_term *pat;
	const rv *obj;
	size_t i;
	kont *next;
};

static int match_obj(struct ev *ev, const ast_term *pat, const rv *obj, size_t i, kont *next);

static int mobj_next_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kmobj *km = (struct kmobj *)k;
	return match_obj(ev, km->pat, km->obj, km->i + 1, km->next);
}

static int mobj_key_k(struct ev *ev, kont *k, const rv *key)
{
	struct kmobj *km = (struct kmobj *)k;
	const rv *val = rv_obj_get(km->obj, key);
	if (val == NULL)
		return 0;
	struct kmobj nk = {{mobj_next_k}, km->pat, km->obj, km->i, km->next};
	return eval_match(ev, km->pat->u.obj.vals[km->i], val, &nk.k);
}

static int match_obj(struct ev *ev, const ast_term *pat, const rv *obj, size_t i, kont *next)
{
	if (i >= pat->u.obj.n)
		return kcall(ev, next, obj);
	struct kmobj km = {{mobj_key_k}, pat, obj, i, next};
	const rv *key;
	if (term_fast(ev, pat->u.obj.keys[i], &key))
		return key ? mobj_key_k(ev, &km.k, key) : 0;
	return eval_term(ev, pat->u.obj.keys[i], &km.k);
}

int eval_match(struct ev *ev, const ast_term *pat, const rv *v, kont *k)
{
	switch (pat->kind) {
	case AT_VALUE:
		return rv_eq(pat->u.val, v) ? kcall(ev, k, v) : 0;
	case AT_VAR:
		if (pat->u.var.scope == AV_LOCAL) {
			const rv **slot = &ev->fr[pat->u.var.slot];
			if (*slot)
				return rv_eq(*slot, v) ? kcall(ev, k, v) : 0;
			*slot = v;
			int r = kcall(ev, k, v);
			*slot = NULL;
			return r;
		}
		break;
	case AT_ARR:
		if (v->t != RV_ARR || v->u.a.n != pat->u.list.n)
			return 0;
		{
			struct kmlist km = {{mlist_k}, (const ast_term *const *)pat->u.list.items,
			                    v->u.a.v, pat->u.list.n, 0, k};
			return match_list(ev, &km);
		}
	case AT_OBJ:
		if (v->t != RV_OBJ || v->u.o.n != pat->u.obj.n)
			return 0;
		return match_obj(ev, pat, v, 0, k);
	default:
		break;
	}
	struct kcmp kc = {{cmp_k}, v, k};
	return eval_term(ev, pat, &kc.k);
}

/* ---- unification ---- */

struct kmatch {
	kont k;
	const ast_term *pat;
	kont *next;
};

static int match_k(struct ev *ev, kont *k, const rv *v)
{
	struct kmatch *km = (struct kmatch *)k;
	return eval_match(ev, km->pat, v, km->next);
}

struct kpairs {
	kont k;
	const ast_term *const *as;
	const ast_term *const *bs;
	size_t n;
	bool *done;
	kont *next;
	size_t j; /* pair handled by this continuation frame */
};

static int unify_pairs(struct ev *ev, const ast_term *const *as, const ast_term *const *bs,
                       size_t n, bool *done, kont *next);

static int pairs_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kpairs *kp = (struct kpairs *)k;
	return unify_pairs(ev, kp->as, kp->bs, kp->n, kp->done, kp->next);
}

/* Unifies pairs as[i] = bs[i], each pair when at least one side is ground
 * (vars bound by earlier pairs make later ones ground). */
static int unify_pairs(struct ev *ev, const ast_term *const *as, const ast_term *const *bs,
                       size_t n, bool *done, kont *next)
{
	size_t pick = n, composite = n;
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		if (!has_unbound(ev, as[i]) || !has_unbound(ev, bs[i])) {
			pick = i;
			break;
		}
		if (composite == n)
			composite = i;
	}
	if (pick == n)
		pick = composite;
	if (pick == n)
		return kcall(ev, next, NULL);
	done[pick] = true;
	struct kpairs kp = {{pairs_k}, as, bs, n, done, next, pick};
	int r = unify(ev, as[pick], bs[pick], &kp.k);
	done[pick] = false;
	return r;
}

static int unify_composites(struct ev *ev, const ast_term *a, const ast_term *b, kont *k)
{
	if (a->kind == AT_ARR && b->kind == AT_ARR) {
		if (a->u.list.n != b->u.list.n)
			return 0;
		bool *done = rarena_zalloc(ev->a, a->u.list.n + 1);
		if (done == NULL)
			return ev_oom(ev);
		return unify_pairs(ev, (const ast_term *const *)a->u.list.items,
		                   (const ast_term *const *)b->u.list.items, a->u.list.n, done, k);
	}
	if (a->kind == AT_OBJ && b->kind == AT_OBJ && a->u.obj.n == b->u.obj.n) {
		/* Pair values by (literal) keys. */
		size_t n = a->u.obj.n;
		const ast_term **as = rarena_nalloc(ev->a, n + 1, sizeof(*as));
		const ast_term **bs = rarena_nalloc(ev->a, n + 1, sizeof(*bs));
		bool *done = rarena_zalloc(ev->a, n + 1);
		if (as == NULL || bs == NULL || done == NULL)
			return ev_oom(ev);
		for (size_t i = 0; i < n; i++) {
			const rv *ka;
			if (!term_fast(ev, a->u.obj.keys[i], &ka) || ka == NULL)
				return ev_errf(ev, -EINVAL, "eval_internal_error", a->loc,
				               "object keys in unification must be ground");
			size_t j;
			for (j = 0; j < n; j++) {
				const rv *kb;
				if (term_fast(ev, b->u.obj.keys[j], &kb) && kb && rv_eq(ka, kb))
					break;
			}
			if (j == n)
				return 0;
			as[i] = a->u.obj.vals[i];
			bs[i] = b->u.obj.vals[j];
		}
		return unify_pairs(ev, as, bs, n, done, k);
	}
	if (a->kind == AT_VAR || b->kind == AT_VAR)
		return ev_errf(ev, -EINVAL, "eval_internal_error", a->loc,
		               "unification of two unbound variables");
	return 0;
}

static int unify(struct ev *ev, const ast_term *a, const ast_term *b, kont *k)
{
	bool ua = has_unbound(ev, a), ub = has_unbound(ev, b);
	if (ua && ub)
		return unify_composites(ev, a, b, k);
	if (ua) {
		struct kmatch km = {{match_k}, a, k};
		return eval_term(ev, b, &km.k);
	}
	const rv *v;
	if (term_fast(ev, a, &v))
		return v ? eval_match(ev, b, v, k) : 0;
	struct kmatch km = {{match_k}, b, k};
	return eval_term(ev, a, &km.k);
}

/* Terms are evaluated left to right, except that a variable that is still
 * unbound waits until the other terms (whose refs may bind it, as in
 * `foo == input.foos[foo]`) are evaluated: OPA hoists such refs into
 * earlier expressions. *ret = NULL keeps the natural order. */
int ev_eval_order(struct ev *ev, const ast_term *const *items, size_t n, const uint32_t **ret)
{
	*ret = NULL;
	size_t nvars = 0;
	for (size_t i = 0; i < n; i++)
		if (has_unbound(ev, items[i]))
			nvars++;
	if (nvars == 0)
		return 0;
	uint32_t *perm = rarena_nalloc(ev->a, n + 1, sizeof(*perm));
	if (perm == NULL)
		return ev_oom(ev);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!has_unbound(ev, items[i]))
			perm[k++] = (uint32_t)i;
	for (size_t i = 0; i < n; i++)
		if (has_unbound(ev, items[i]))
			perm[k++] = (uint32_t)i;
	*ret = perm;
	return 0;
}

/* ---- collections: arrays, sets, objects ---- */

enum { BUILD_ARR, BUILD_SET, BUILD_OBJ };

struct kitems {
	kont k;
	const ast_term *const *items;
	size_t n;
	const rv **vals;
	int build;
	const ast_term *t;
	kont *next;
	const uint32_t *perm;
	size_t i;
};

static int items_step(struct ev *ev, const struct kitems *ki, size_t i);

static int item_k(struct ev *ev, kont *k, const rv *v)
{
	struct kitems *ki = (struct kitems *)k;
	ki->vals[ki->perm ? ki->perm[ki->i] : ki->i] = v;
	return items_step(ev, ki, ki->i + 1);
}

static int items_done(struct ev *ev, const struct kitems *ki)
{
	const rv *out;
	if (ki->build == BUILD_ARR) {
		out = rv_arr(ev->a, ki->vals, ki->n);
	} else if (ki->build == BUILD_SET) {
		out = rv_set(ev->a, ki->vals, ki->n);
	} else {
		size_t n = ki->n / 2;
		const rv **keys = rarena_nalloc(ev->a, n + 1, sizeof(*keys));
		const rv **vals = rarena_nalloc(ev->a, n + 1, sizeof(*vals));
		if (keys == NULL || vals == NULL)
			return ev_oom(ev);
		for (size_t i = 0; i < n; i++) {
			keys[i] = ki->vals[2 * i];
			vals[i] = ki->vals[2 * i + 1];
		}
		bool conflict = false;
		out = rv_obj(ev->a, keys, vals, n, &conflict);
		if (conflict)
			return ev_errf(ev, -EINVAL, "eval_conflict_error", ki->t->loc,
			               "object keys must be unique");
	}
	if (out == NULL)
		return ev_oom(ev);
	return kcall(ev, ki->next, out);
}

static int items_step(struct ev *ev, const struct kitems *ki, size_t i)
{
	for (; i < ki->n; i++) {
		const rv *v;
		size_t at = ki->perm ? ki->perm[i] : i;
		if (!term_fast(ev, ki->items[at], &v))
			break;
		if (v == NULL)
			return 0;
		ki->vals[at] = v;
	}
	if (i >= ki->n)
		return items_done(ev, ki);
	struct kitems next = *ki;
	next.i = i;
	next.k.fn = item_k;
	return eval_term(ev, ki->items[ki->perm ? ki->perm[i] : i], &next.k);
}

static int eval_items(struct ev *ev, const ast_term *t, const ast_term *const *items, size_t n,
                      int build, kont *k)
{
	const rv **vals = rarena_nalloc(ev->a, n + 1, sizeof(*vals));
	if (vals == NULL)
		return ev_oom(ev);
	const uint32_t *perm;
	int r = ev_eval_order(ev, items, n, &perm);
	if (r < 0)
		return r;
	struct kitems ki = {{item_k}, items, n, vals, build, t, k, perm, 0};
	return items_step(ev, &ki, 0);
}

static int eval_object(struct ev *ev, const ast_term *t, kont *k)
{
	size_t n = t->u.obj.n;
	const ast_term **items = rarena_nalloc(ev->a, 2 * n + 1, sizeof(*items));
	if (items == NULL)
		return ev_oom(ev);
	for (size_t i = 0; i < n; i++) {
		items[2 * i] = t->u.obj.keys[i];
		items[2 * i + 1] = t->u.obj.vals[i];
	}
	return eval_items(ev, t, items, 2 * n, BUILD_OBJ, k);
}

/* ---- comprehensions ---- */

struct kcomp {
	kont k;
	const ast_term *t;
	rvec keys;
	rvec vals;
	const rv *pending_key;
};

static int comp_val_k(struct ev *ev, kont *k, const rv *v)
{
	struct kcomp *kc = (struct kcomp *)k;
	if (kc->t->kind == AT_OBJ_COMP && rvec_push(&kc->keys, kc->pending_key) < 0)
		return ev_oom(ev);
	if (rvec_push(&kc->vals, v) < 0)
		return ev_oom(ev);
	return 0;
}

struct kcompkey {
	kont k;
	struct kcomp *kc;
};

static int comp_key_k(struct ev *ev, kont *k, const rv *key)
{
	struct kcomp *kc = ((struct kcompkey *)k)->kc;
	const rv *saved = kc->pending_key;
	kc->pending_key = key;
	int r = eval_term(ev, kc->t->u.comp.val, &kc->k);
	kc->pending_key = saved;
	return r;
}

struct kcompsol {
	kont k;
	struct kcomp *kc;
};

static int comp_sol_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kcomp *kc = ((struct kcompsol *)k)->kc;
	int r = ev_check(ev, kc->t->loc);
	if (r < 0)
		return r;
	if (kc->t->kind == AT_OBJ_COMP) {
		struct kcompkey kk = {{comp_key_k}, kc};
		return eval_term(ev, kc->t->u.comp.key, &kk.k);
	}
	return eval_term(ev, kc->t->u.comp.val, &kc->k);
}

static int eval_comp(struct ev *ev, const ast_term *t, kont *k)
{
	struct kcomp kc = {{comp_val_k}, t, {0}, {0}, NULL};
	rvec_init(&kc.keys, ev->a);
	rvec_init(&kc.vals, ev->a);
	struct kcompsol ks = {{comp_sol_k}, &kc};
	if (++ev->depth > ev->o->max_depth) {
		ev->depth--;
		return ev_errf(ev, -ELOOP, "eval_cancel_error", t->loc, "evaluation depth limit exceeded");
	}
	int r = eval_body(ev, t->u.comp.body, 0, &ks.k);
	ev->depth--;
	if (r < 0)
		return r;
	const rv *out;
	if (t->kind == AT_ARR_COMP) {
		out = rvec_to_arr(&kc.vals);
	} else if (t->kind == AT_SET_COMP) {
		out = rvec_to_set(&kc.vals);
	} else {
		bool conflict = false;
		out = rv_obj(ev->a, kc.keys.v, kc.vals.v, kc.vals.n, &conflict);
		if (conflict)
			return ev_errf(ev, -EINVAL, "eval_conflict_error", t->loc, "object keys must be unique");
	}
	if (out == NULL)
		return ev_oom(ev);
	return kcall(ev, k, out);
}

/* ---- references ---- */

struct kwalk {
	kont k;
	const ast_term *ref;
	size_t i;
	const rv *coll;
	kont *next;
};

static int walk(struct ev *ev, const rv *v, const ast_term *ref, size_t i, kont *k);

static int walk_key_k(struct ev *ev, kont *k, const rv *key)
{
	struct kwalk *kw = (struct kwalk *)k;
	const rv *child = rv_get(kw->coll, key);
	if (child == NULL)
		return 0;
	return walk(ev, child, kw->ref, kw->i + 1, kw->next);
}

struct kwalkpat {
	kont k;
	const ast_term *ref;
	size_t i;
	const rv *child;
	kont *next;
};

static int walk_pat_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kwalkpat *kw = (struct kwalkpat *)k;
	return walk(ev, kw->child, kw->ref, kw->i + 1, kw->next);
}

/* Iterates over the keys of coll, matching each against pattern item. */
static int walk_iter(struct ev *ev, const rv *coll, const ast_term *ref, size_t i, kont *k)
{
	const ast_term *item = ref->u.list.items[i];
	size_t n = rv_len(coll);
	for (size_t j = 0; j < n; j++) {
		const rv *key, *child;
		switch (coll->t) {
		case RV_ARR:
			key = rv_int(ev->a, (int64_t)j);
			child = coll->u.a.v[j];
			break;
		case RV_OBJ:
			key = coll->u.o.k[j];
			child = coll->u.o.v[j];
			break;
		case RV_SET:
			key = child = coll->u.a.v[j];
			break;
		default:
			return 0;
		}
		if (key == NULL)
			return ev_oom(ev);
		int r = ev_check(ev, item->loc);
		if (r < 0)
			return r;
		struct kwalkpat kw = {{walk_pat_k}, ref, i, child, k};
		r = eval_match(ev, item, key, &kw.k);
		if (r != 0)
			return r;
	}
	return 0;
}

static int walk(struct ev *ev, const rv *v, const ast_term *ref, size_t i, kont *k)
{
	size_t n = ref->u.list.n;
	for (; i < n; i++) {
		const ast_term *item = ref->u.list.items[i];
		const rv *key;
		if (!term_fast(ev, item, &key))
			break;
		if (key == NULL)
			return 0;
		v = rv_get(v, key);
		if (v == NULL)
			return 0;
	}
	if (i >= n)
		return kcall(ev, k, v);
	const ast_term *item = ref->u.list.items[i];
	if (v->t != RV_ARR && v->t != RV_OBJ && v->t != RV_SET)
		return 0;
	if (has_unbound(ev, item))
		return walk_iter(ev, v, ref, i, k);
	struct kwalk kw = {{walk_key_k}, ref, i, v, k};
	return eval_term(ev, item, &kw.k);
}

int ev_walk_value(struct ev *ev, const rv *v, const ast_term *ref, size_t i, kont *k)
{
	return walk(ev, v, ref, i, k);
}

struct kref {
	kont k;
	const ast_term *ref;
	kont *next;
};

static int ref_head_k(struct ev *ev, kont *k, const rv *v)
{
	struct kref *kr = (struct kref *)k;
	return walk(ev, v, kr->ref, 1, kr->next);
}

static int eval_ref(struct ev *ev, const ast_term *t, kont *k)
{
	const ast_term *head = t->u.list.items[0];
	if (head->kind == AT_VAR && head->u.var.scope == AV_DATA)
		return eval_data_ref(ev, t, k);
	const rv *v;
	if (term_fast(ev, head, &v))
		return v ? walk(ev, v, t, 1, k) : 0;
	struct kref kr = {{ref_head_k}, t, k};
	return eval_term(ev, head, &kr.k);
}

/* ---- terms ---- */

int eval_term(struct ev *ev, const ast_term *t, kont *k)
{
	const rv *v;
	if (term_fast(ev, t, &v))
		return v ? kcall(ev, k, v) : 0;
	switch (t->kind) {
	case AT_VAR:
		if (t->u.var.scope == AV_DATA)
			return eval_data_root(ev, k);
		return ev_errf(ev, -EINVAL, "eval_internal_error", t->loc, "var %s is unbound",
		               t->u.var.name);
	case AT_REF:
		return eval_ref(ev, t, k);
	case AT_ARR:
		return eval_items(ev, t, (const ast_term *const *)t->u.list.items, t->u.list.n, BUILD_ARR, k);
	case AT_SET:
		return eval_items(ev, t, (const ast_term *const *)t->u.list.items, t->u.list.n, BUILD_SET, k);
	case AT_OBJ:
		return eval_object(ev, t, k);
	case AT_ARR_COMP:
	case AT_SET_COMP:
	case AT_OBJ_COMP:
		return eval_comp(ev, t, k);
	case AT_CALL:
		return eval_call(ev, t, k);
	case AT_TEMPLATE:
		return eval_template(ev, t, k);
	default:
		return 0;
	}
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
