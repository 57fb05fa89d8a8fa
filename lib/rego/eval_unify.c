/* Pattern matching and unification (eval.h): `a = b` and `a := b` with
 * variables on either side, array and object patterns, pairs deferred
 * until one side is bound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eval_int.h"

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
	int r = ev_unify(ev, as[pick], bs[pick], &kp.k);
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

int ev_unify(struct ev *ev, const ast_term *a, const ast_term *b, kont *k)
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
