/* The data namespace: `data` references walk the rule tree and the base
 * document together; extents merge rule values, child packages and base
 * data (eval.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eval_int.h"

static bool masked(const struct ev *ev, const rnode *n)
{
	for (const struct wmask *m = ev->masks; m; m = m->next)
		if (m->node == n)
			return true;
	return false;
}

/* A function is not part of any document: its node is left out of extents
 * (its ancestors still show as objects, possibly empty). */
static bool func_leaf(const rnode *n)
{
	return n->group && n->group->kind == RG_FUNCTION && n->nkids == 0;
}

/* Keys into the data document are strings: data[2] reads data["2"] (OPA
 * converts storage path segments). */
static const rv *data_key(struct ev *ev, const rv *key)
{
	if (key->t != RV_NUM)
		return key;
	cc_buf b;
	cc_buf_init(&b, 64);
	const rv *s = NULL;
	if (rv_num_to_text(key, &b) == 0)
		s = rv_str(ev->a, b.p, b.len);
	cc_buf_free(&b);
	return s ? s : key;
}

static int node_extent(struct ev *ev, const rnode *n, const rv *base, const rv **out);

/* Merges two virtual documents defined at the same path by different
 * rules: objects merge key by key, sets union, equal values are one value;
 * anything else conflicts. */
static const rv *merge_docs(rarena *a, const rv *x, const rv *y, bool *conflict)
{
	if (rv_eq(x, y))
		return x;
	if (x->t == RV_SET && y->t == RV_SET && (x->flags & y->flags & RVF_STRUCT)) {
		rvec all;
		rvec_init(&all, a);
		for (size_t i = 0; i < x->u.a.n; i++)
			if (rvec_push(&all, x->u.a.v[i]) < 0)
				return NULL;
		for (size_t i = 0; i < y->u.a.n; i++)
			if (rvec_push(&all, y->u.a.v[i]) < 0)
				return NULL;
		return ev_mark_struct(rvec_to_set(&all));
	}
	bool xs = (x->flags & RVF_STRUCT) || rv_len(x) == 0;
	bool ys = (y->flags & RVF_STRUCT) || rv_len(y) == 0;
	if (x->t != RV_OBJ || y->t != RV_OBJ || !xs || !ys) {
		*conflict = true;
		return NULL;
	}
	rvec keys, vals;
	rvec_init(&keys, a);
	rvec_init(&vals, a);
	size_t i = 0, j = 0;
	while (i < x->u.o.n || j < y->u.o.n) {
		int c = i >= x->u.o.n ? 1 : j >= y->u.o.n ? -1 : rv_cmp(x->u.o.k[i], y->u.o.k[j]);
		const rv *k, *v;
		if (c < 0) {
			k = x->u.o.k[i];
			v = x->u.o.v[i++];
		} else if (c > 0) {
			k = y->u.o.k[j];
			v = y->u.o.v[j++];
		} else {
			k = x->u.o.k[i];
			v = merge_docs(a, x->u.o.v[i++], y->u.o.v[j++], conflict);
			if (v == NULL)
				return NULL;
		}
		if (rvec_push(&keys, k) < 0 || rvec_push(&vals, v) < 0)
			return NULL;
	}
	return ev_mark_struct(rv_obj(a, keys.v, vals.v, keys.n, NULL));
}

/* Value of a node that holds a rule group, merged with its children. */
static int group_node_value(struct ev *ev, const rnode *n, const rv *base, const rv **out)
{
	const rv *v = NULL;
	int rc = ev_group_value(ev, n->group, &v);
	if (rc < 0 || v == NULL || n->nkids == 0 || v->t != RV_OBJ) {
		*out = v;
		return rc;
	}
	rvec keys, vals;
	rvec_init(&keys, ev->a);
	rvec_init(&vals, ev->a);
	for (size_t i = 0; i < n->nkids; i++) {
		const rnode *kid = n->kids[i];
		if (func_leaf(kid))
			continue;
		const rv *kv;
		rc = node_extent(ev, kid, base ? rv_get(base, kid->key) : NULL, &kv);
		if (rc < 0)
			return rc;
		if (kv && (rvec_push(&keys, kid->key) < 0 || rvec_push(&vals, kv) < 0))
			return ev_oom(ev);
	}
	const rv *kids = ev_mark_struct(rv_obj(ev->a, keys.v, vals.v, keys.n, NULL));
	if (kids == NULL)
		return ev_oom(ev);
	bool conflict = false;
	*out = merge_docs(ev->a, v, kids, &conflict);
	if (conflict) {
		const ast_rule *r0 = n->group->nrules ? n->group->rules[0] : n->group->deflt;
		return ev_errf(ev, -EINVAL, "eval_conflict_error", r0 ? r0->loc : (ast_loc){0, 0},
		               "object keys must be unique");
	}
	return *out ? 0 : ev_oom(ev);
}

/* The full value of the document at node n with base document base:
 * rules evaluated, merged with base data (functions left out). */
static int node_extent(struct ev *ev, const rnode *n, const rv *base, const rv **out)
{
	if (n == NULL || masked(ev, n)) {
		*out = base;
		return 0;
	}
	if (n->group && n->group->kind != RG_FUNCTION) {
		if (base) { /* base data wins over rules at the same path */
			*out = base;
			return 0;
		}
		return group_node_value(ev, n, base, out);
	}
	rvec keys, vals;
	rvec_init(&keys, ev->a);
	rvec_init(&vals, ev->a);
	for (size_t i = 0; i < n->nkids; i++) {
		const rnode *kid = n->kids[i];
		if (func_leaf(kid) && !masked(ev, kid))
			continue;
		const rv *kv;
		int rc = node_extent(ev, kid, base ? rv_get(base, kid->key) : NULL, &kv);
		if (rc < 0)
			return rc;
		if (kv && (rvec_push(&keys, kid->key) < 0 || rvec_push(&vals, kv) < 0))
			return ev_oom(ev);
	}
	if (base && base->t == RV_OBJ) {
		for (size_t i = 0; i < base->u.o.n; i++) {
			if (rnode_child(n, base->u.o.k[i]))
				continue;
			if (rvec_push(&keys, base->u.o.k[i]) < 0 || rvec_push(&vals, base->u.o.v[i]) < 0)
				return ev_oom(ev);
		}
	} else if (base && keys.n == 0) {
		*out = base;
		return 0;
	}
	*out = ev_mark_struct(rv_obj(ev->a, keys.v, vals.v, keys.n, NULL));
	return *out ? 0 : ev_oom(ev);
}

int eval_data_root(struct ev *ev, kont *k)
{
	const rv *v;
	int rc = node_extent(ev, ev->prog->root, ev->data, &v);
	if (rc < 0 || v == NULL)
		return rc;
	return kcall(ev, k, v);
}

static int data_walk(struct ev *ev, const rnode *n, const rv *base, const ast_term *ref, size_t i,
                     kont *k);

struct kdkey {
	kont k;
	const rnode *n;
	const rv *base;
	const ast_term *ref;
	size_t i;
	kont *next;
};

static int dkey_k(struct ev *ev, kont *k, const rv *key)
{
	struct kdkey *kd = (struct kdkey *)k;
	const rnode *child = rnode_child(kd->n, key);
	const rv *cbase = kd->base ? rv_get(kd->base, data_key(ev, key)) : NULL;
	if (child == NULL && cbase == NULL)
		return 0;
	return data_walk(ev, child, cbase, kd->ref, kd->i + 1, kd->next);
}

struct kdpat {
	kont k;
	const rnode *child;
	const rv *cbase;
	const ast_term *ref;
	size_t i;
	kont *next;
};

static int dpat_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kdpat *kd = (struct kdpat *)k;
	return data_walk(ev, kd->child, kd->cbase, kd->ref, kd->i + 1, kd->next);
}

/* Enumerates the keys below node n: its rule children and its base data,
 * in sorted order. */
static int data_iter(struct ev *ev, const rnode *n, const rv *base, const ast_term *ref, size_t i,
                     kont *k)
{
	const ast_term *item = ref->u.list.items[i];
	size_t nb = (base && base->t == RV_OBJ) ? base->u.o.n : 0;
	size_t a = 0, b = 0;
	while (a < n->nkids || b < nb) {
		const rnode *child = NULL;
		const rv *key, *cbase = NULL;
		int c = a >= n->nkids ? 1 : b >= nb ? -1 : rv_cmp(n->kids[a]->key, base->u.o.k[b]);
		if (c <= 0) {
			child = n->kids[a++];
			key = child->key;
			if (c == 0)
				cbase = base->u.o.v[b++];
			if (func_leaf(child) && cbase == NULL && !masked(ev, child))
				continue;
		} else {
			key = base->u.o.k[b];
			cbase = base->u.o.v[b++];
		}
		int rc = ev_check(ev, item->loc);
		if (rc < 0)
			return rc;
		struct kdpat kd = {{dpat_k}, child, cbase, ref, i, k};
		rc = eval_match(ev, item, key, &kd.k);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int data_walk(struct ev *ev, const rnode *n, const rv *base, const ast_term *ref, size_t i,
                     kont *k)
{
	size_t len = ref->u.list.n;
	for (;;) {
		if (n && masked(ev, n))
			n = NULL;
		if (n == NULL) {
			if (base == NULL)
				return 0;
			/* Plain data from here on (still storage: data[2] reads
			 * the key "2"). */
			const rv *key;
			if (i >= len || !ev_term_fast(ev, ref->u.list.items[i], &key))
				return ev_walk_value(ev, base, ref, i, k);
			if (key == NULL)
				return 0;
			base = rv_get(base, base->t == RV_OBJ ? data_key(ev, key) : key);
			i++;
			continue;
		}
		if (n->group && n->group->kind != RG_FUNCTION) {
			const rv *v = base;
			int rc = base ? 0 : group_node_value(ev, n, base, &v);
			if (rc < 0 || v == NULL)
				return rc;
			return ev_walk_value(ev, v, ref, i, k);
		}
		if (n->group) /* a function is not a document */
			return 0;
		if (i >= len) {
			const rv *v;
			int rc = node_extent(ev, n, base, &v);
			if (rc < 0 || v == NULL)
				return rc;
			return kcall(ev, k, v);
		}
		const ast_term *item = ref->u.list.items[i];
		const rv *key;
		if (!ev_term_fast(ev, item, &key))
			break;
		if (key == NULL)
			return 0;
		const rnode *child = rnode_child(n, key);
		base = base ? rv_get(base, data_key(ev, key)) : NULL;
		if (child == NULL && base == NULL)
			return 0;
		n = child;
		i++;
	}
	const ast_term *item = ref->u.list.items[i];
	if (item->kind == AT_VAR || item->kind == AT_ARR || item->kind == AT_OBJ) {
		const rv *dummy;
		if (!ev_term_fast(ev, item, &dummy))
			return data_iter(ev, n, base, ref, i, k);
	}
	struct kdkey kd = {{dkey_k}, n, base, ref, i, k};
	return eval_term(ev, item, &kd.k);
}

int eval_data_ref(struct ev *ev, const ast_term *ref, kont *k)
{
	return data_walk(ev, ev->prog->root, ev->data, ref, 1, k);
}
