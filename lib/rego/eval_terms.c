/* Terms (eval.h): literals, arrays, sets, objects, comprehensions and
 * references, each a generator calling its continuation once per value. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eval_int.h"

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

bool ev_single_valued(struct ev *ev, const ast_term *t)
{
	switch (t->kind) {
	case AT_VALUE:
	case AT_ARR_COMP:
	case AT_SET_COMP:
	case AT_OBJ_COMP:
	case AT_TEMPLATE:
		return true;
	case AT_VAR:
		return t->u.var.scope != AV_LOCAL || ev->fr[t->u.var.slot] != NULL;
	case AT_REF:
	case AT_ARR:
	case AT_SET:
		for (size_t i = 0; i < t->u.list.n; i++)
			if (!ev_single_valued(ev, t->u.list.items[i]))
				return false;
		return true;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++)
			if (!ev_single_valued(ev, t->u.obj.keys[i]) || !ev_single_valued(ev, t->u.obj.vals[i]))
				return false;
		return true;
	case AT_CALL:
		if (t->u.call.target_kind == CALL_BUILTIN &&
		    (((const struct rbi *)t->u.call.target)->flags & RBI_REL))
			return false;
		for (size_t i = 0; i < t->u.call.nargs; i++)
			if (!ev_single_valued(ev, t->u.call.args[i]))
				return false;
		return true;
	default:
		return false;
	}
}

struct kone {
	kont k;
	const rv *v;
};

static int one_k(struct ev *ev, kont *k, const rv *v)
{
	(void)ev;
	((struct kone *)k)->v = v;
	return K_STOP;
}

int ev_eval_single(struct ev *ev, const ast_term *t, const rv **out)
{
	struct kone ko = {{one_k}, NULL};
	int r = eval_term(ev, t, &ko.k);
	if (r < 0)
		return r;
	*out = ko.v;
	return 0;
}

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
		if (!term_fast(ev, ki->items[at], &v)) {
			/* A term with at most one value is evaluated here, not
			 * through a continuation: a literal with 100,000 refs
			 * must not nest 100,000 C frames. */
			if (!ev_single_valued(ev, ki->items[at]))
				break;
			int r = ev_eval_single(ev, ki->items[at], &v);
			if (r < 0)
				return r;
		}
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
