/* Rules and the data namespace: rule group values (cached per query),
 * functions, `data` references and extents, and `with` (eval.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eval_int.h"

static int group_value(struct ev *ev, const rgroup *g, const rv **out);

/* Marks an object or set this file just built from rule paths. */
static const rv *mark_struct(const rv *v)
{
	if (v && rv_len(v) > 0)
		((rv *)v)->flags |= RVF_STRUCT; /* freshly built, not yet shared */
	return v;
}

static int depth_enter(struct ev *ev, ast_loc loc)
{
	if (++ev->depth > ev->o->max_depth) {
		ev->depth--;
		return ev_errf(ev, -ELOOP, "eval_cancel_error", loc,
		               "evaluation depth limit exceeded (%u nested rule evaluations)",
		               ev->o->max_depth);
	}
	return ev_check(ev, loc);
}

/* ---- complete rules ---- */

struct kcomplete {
	kont sol;   /* body solution */
	kont val;   /* value of the head */
	const rgroup *g;
	const ast_rule *r;       /* rule (or else branch) being evaluated */
	const ast_term *valterm; /* its value term (NULL = true) */
	const rv *result;
	bool produced;
	bool func;               /* function: different message */
};

static int complete_val_k(struct ev *ev, kont *k, const rv *v)
{
	struct kcomplete *kc = CONTAINER_OF(k, struct kcomplete, val);
	kc->produced = true;
	if (kc->result && !rv_eq(kc->result, v))
		return ev_errf(ev, -EINVAL, "eval_conflict_error", kc->r->loc,
		               kc->func ? "functions must not produce multiple outputs for same inputs"
		                        : "complete rules must not produce multiple outputs");
	kc->result = v;
	if (ev->o->early_exit == REGO_EARLY_EXIT_RULE && kc->g->const_value)
		return K_STOP;
	/* regorus stops a complete rule's body at its first success when
	 * the value is constant, and enumerates functions fully. */
	if (ev->o->early_exit == REGO_EARLY_EXIT_BODY && !kc->func &&
	    (kc->valterm == NULL || kc->valterm->kind == AT_VALUE))
		return K_STOP;
	return 0;
}

static int complete_sol_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kcomplete *kc = CONTAINER_OF(k, struct kcomplete, sol);
	if (kc->valterm == NULL)
		return complete_val_k(ev, &kc->val, rv_true());
	return eval_term(ev, kc->valterm, &kc->val);
}

/* Evaluates rule r's body and, if it produced nothing, its else chain. The
 * frame must be set up (and function arguments bound) by the caller. */
static int eval_chain(struct ev *ev, const ast_rule *r, struct kcomplete *kc)
{
	bool before = kc->produced;
	kc->produced = false;
	kc->r = r;
	kc->valterm = r->value;
	int rc = eval_body(ev, r->body, 0, &kc->sol);
	for (const ast_rule *el = r->els; rc == 0 && !kc->produced && el; el = el->els) {
		kc->r = el;
		kc->valterm = el->value;
		rc = eval_body(ev, el->body, 0, &kc->sol);
	}
	kc->produced = kc->produced || before;
	return rc;
}

static int default_value(struct ev *ev, const rgroup *g, const rv **out)
{
	if (g->deflt == NULL || g->deflt->value == NULL) {
		*out = g->deflt ? rv_true() : NULL;
		return 0;
	}
	const rv *v;
	if (ev_term_fast(ev, g->deflt->value, &v)) {
		*out = v;
		return 0;
	}
	/* A composite default value: evaluate it in an empty frame. */
	struct kcomplete kc = {{complete_sol_k}, {complete_val_k}, g, g->deflt, g->deflt->value, NULL, false, false};
	const rv **saved = ev->fr;
	ev->fr = frame_new(ev, g->deflt->body->nslots);
	if (ev->fr == NULL) {
		ev->fr = saved;
		return ev_oom(ev);
	}
	int r = eval_term(ev, g->deflt->value, &kc.val);
	ev->fr = saved;
	if (r < 0)
		return r;
	*out = kc.result;
	return 0;
}

static int eval_complete(struct ev *ev, const rgroup *g, const rv **out)
{
	struct kcomplete kc = {{complete_sol_k}, {complete_val_k}, g, NULL, NULL, NULL, false, false};
	for (size_t i = 0; i < g->nrules; i++) {
		const ast_rule *r = g->rules[i];
		ev->file = r->file;
		ev->fr = frame_new(ev, r->body->nslots);
		if (ev->fr == NULL)
			return ev_oom(ev);
		int rc = eval_chain(ev, r, &kc);
		if (rc < 0)
			return rc;
		if (rc == K_STOP && ev->o->early_exit == REGO_EARLY_EXIT_RULE)
			break;
	}
	if (kc.result == NULL)
		return default_value(ev, g, out);
	*out = kc.result;
	return 0;
}

/* ---- partial sets ---- */

struct kmulti {
	kont sol;
	kont val;
	rvec out;
	const ast_rule *r;
};

static int multi_val_k(struct ev *ev, kont *k, const rv *v)
{
	struct kmulti *km = CONTAINER_OF(k, struct kmulti, val);
	return rvec_push(&km->out, v) < 0 ? ev_oom(ev) : 0;
}

static int multi_sol_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kmulti *km = CONTAINER_OF(k, struct kmulti, sol);
	return eval_term(ev, km->r->key, &km->val);
}

static int eval_multi(struct ev *ev, const rgroup *g, const rv **out)
{
	struct kmulti km = {{multi_sol_k}, {multi_val_k}, {0}, NULL};
	rvec_init(&km.out, ev->a);
	for (size_t i = 0; i < g->nrules; i++) {
		km.r = g->rules[i];
		ev->file = km.r->file;
		ev->fr = frame_new(ev, km.r->body->nslots);
		if (ev->fr == NULL)
			return ev_oom(ev);
		int rc = eval_body(ev, km.r->body, 0, &km.sol);
		if (rc < 0)
			return rc;
	}
	*out = mark_struct(rvec_to_set(&km.out));
	return *out ? 0 : ev_oom(ev);
}

/* ---- single-value object rules (partial objects, ref heads) ---- */

struct kobject {
	kont sol;
	kont item;
	const ast_rule *r;
	const rv **path; /* key path being built */
	size_t npath;
	rvec paths;      /* arrays of keys */
	rvec vals;
	rvec multi;      /* rv_true() where the value is a set element */
};

static int object_items(struct ev *ev, struct kobject *ko, size_t i);

struct kobjitem {
	kont k;
	struct kobject *ko;
	size_t i;
};

static int object_item_k(struct ev *ev, kont *k, const rv *v)
{
	struct kobjitem *ki = (struct kobjitem *)k;
	ki->ko->path[ki->i] = v;
	return object_items(ev, ki->ko, ki->i + 1);
}

/* A multi-value leaf (p[q] contains r) is recorded as a one-element set
 * marked by a path one longer than the head: build_nested unions them. */
static int object_val_k(struct ev *ev, kont *k, const rv *v)
{
	struct kobject *ko = CONTAINER_OF(k, struct kobject, item);
	const rv *p = rv_arr(ev->a, ko->path, ko->npath);
	if (p == NULL || rvec_push(&ko->paths, p) < 0 || rvec_push(&ko->vals, v) < 0 ||
	    rvec_push(&ko->multi, rv_bool(ko->r->kind == AR_MULTI)) < 0)
		return ev_oom(ev);
	return 0;
}

/* Evaluates the key path items (i..) and then the value. */
static int object_items(struct ev *ev, struct kobject *ko, size_t i)
{
	const ast_term *h = ko->r->head;
	size_t first = ko->r->keypos;
	if (first + i >= h->u.list.n) {
		const ast_term *vt = ko->r->kind == AR_MULTI ? ko->r->key : ko->r->value;
		if (vt == NULL)
			return object_val_k(ev, &ko->item, rv_true());
		return eval_term(ev, vt, &ko->item);
	}
	struct kobjitem ki = {{object_item_k}, ko, i};
	return eval_term(ev, h->u.list.items[first + i], &ki.k);
}

static int object_sol_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kobject *ko = CONTAINER_OF(k, struct kobject, sol);
	return object_items(ev, ko, 0);
}

struct opair {
	const rv *path;
	const rv *val;
	bool multi;
};

static int opair_cmp(const void *a, const void *b)
{
	return rv_cmp(((const struct opair *)a)->path, ((const struct opair *)b)->path);
}

/* Builds the nested object for pairs[lo..hi) (sorted by path) at depth d. */
static int build_nested(struct ev *ev, const struct opair *pairs, size_t lo, size_t hi, size_t d,
                        const ast_rule *r, const rv **out)
{
	rvec keys, vals;
	rvec_init(&keys, ev->a);
	rvec_init(&vals, ev->a);
	size_t i = lo;
	while (i < hi) {
		const rv *key = pairs[i].path->u.a.v[d];
		size_t j = i + 1;
		while (j < hi && rv_eq(pairs[j].path->u.a.v[d], key))
			j++;
		const rv *v;
		if (pairs[i].path->u.a.n == d + 1 && pairs[i].multi) {
			/* Set leaf: union of the elements. */
			rvec elems;
			rvec_init(&elems, ev->a);
			for (size_t t = i; t < j; t++) {
				if (pairs[t].path->u.a.n != d + 1 || !pairs[t].multi)
					return ev_errf(ev, -EINVAL, "eval_conflict_error", r->loc,
					               "object keys must be unique");
				if (rvec_push(&elems, pairs[t].val) < 0)
					return ev_oom(ev);
			}
			v = mark_struct(rvec_to_set(&elems));
			if (v == NULL)
				return ev_oom(ev);
		} else if (pairs[i].path->u.a.n == d + 1) {
			/* Leaf: every pair in the group must be this same leaf. */
			for (size_t t = i + 1; t < j; t++)
				if (pairs[t].path->u.a.n != d + 1 || pairs[t].multi ||
				    !rv_eq(pairs[t].val, pairs[i].val))
					return ev_errf(ev, -EINVAL, "eval_conflict_error", r->loc,
					               "object keys must be unique");
			v = pairs[i].val;
		} else {
			int rc = build_nested(ev, pairs, i, j, d + 1, r, &v);
			if (rc < 0)
				return rc;
		}
		if (rvec_push(&keys, key) < 0 || rvec_push(&vals, v) < 0)
			return ev_oom(ev);
		i = j;
	}
	*out = mark_struct(rv_obj(ev->a, keys.v, vals.v, keys.n, NULL));
	return *out ? 0 : ev_oom(ev);
}

static int eval_object(struct ev *ev, const rgroup *g, const rv **out)
{
	struct kobject ko = {{object_sol_k}, {object_val_k}, NULL, NULL, 0, {0}, {0}, {0}};
	rvec_init(&ko.paths, ev->a);
	rvec_init(&ko.vals, ev->a);
	rvec_init(&ko.multi, ev->a);
	const ast_rule *last = NULL;
	for (size_t i = 0; i < g->nrules; i++) {
		const ast_rule *r = g->rules[i];
		last = r;
		ko.r = r;
		ko.npath = r->head->u.list.n - r->keypos;
		ko.path = rarena_nalloc(ev->a, ko.npath + 1, sizeof(*ko.path));
		ev->file = r->file;
		ev->fr = frame_new(ev, r->body->nslots);
		if (ev->fr == NULL || ko.path == NULL)
			return ev_oom(ev);
		int rc = eval_body(ev, r->body, 0, &ko.sol);
		if (rc < 0)
			return rc;
	}
	size_t n = ko.paths.n;
	struct opair *pairs = rarena_nalloc(ev->a, n + 1, sizeof(*pairs));
	if (pairs == NULL)
		return ev_oom(ev);
	for (size_t i = 0; i < n; i++) {
		pairs[i].path = ko.paths.v[i];
		pairs[i].val = ko.vals.v[i];
		pairs[i].multi = ko.multi.v[i]->u.b;
	}
	qsort(pairs, n, sizeof(*pairs), opair_cmp);
	if (n == 0) {
		*out = rv_empty_obj();
		return 0;
	}
	return build_nested(ev, pairs, 0, n, 0, last, out);
}

/* ---- group values with the per-query cache ---- */

static int group_value(struct ev *ev, const rgroup *g, const rv **out)
{
	uint8_t st = ev->cache.state[g->id];
	if (st == 2) {
		*out = ev->cache.val[g->id];
		return 0;
	}
	const ast_rule *r0 = g->nrules ? g->rules[0] : g->deflt;
	ast_loc loc = r0 ? r0->loc : (ast_loc){0, 0};
	if (st == 1)
		return ev_errf(ev, -ELOOP, "rego_recursion_error", loc, "rule %s is recursive", g->name);
	int rc = depth_enter(ev, loc);
	if (rc < 0)
		return rc;
	ev->cache.state[g->id] = 1;
	const rv **saved_fr = ev->fr;
	const char *saved_file = ev->file;
	const rv *v = NULL;
	switch (g->kind) {
	case RG_COMPLETE:
		rc = eval_complete(ev, g, &v);
		break;
	case RG_MULTI:
		rc = eval_multi(ev, g, &v);
		break;
	case RG_OBJECT:
		rc = eval_object(ev, g, &v);
		break;
	default:
		break;
	}
	ev->fr = saved_fr;
	ev->file = saved_file;
	ev->depth--;
	if (rc < 0) {
		ev->cache.state[g->id] = 0;
		return rc;
	}
	ev->cache.val[g->id] = v;
	ev->cache.state[g->id] = 2;
	*out = v;
	return 0;
}

/* ---- functions ---- */

struct kfargs {
	kont k;
	struct kcomplete *kc;
	const ast_rule *r;
	const rv *const *args;
	size_t i;
};

static int func_args(struct ev *ev, struct kfargs *ka);

static int fargs_k(struct ev *ev, kont *k, const rv *v)
{
	(void)v;
	struct kfargs next = *(struct kfargs *)k;
	next.i++;
	return func_args(ev, &next);
}

static int func_args(struct ev *ev, struct kfargs *ka)
{
	if (ka->i >= ka->r->nargs)
		return eval_chain(ev, ka->r, ka->kc);
	return eval_match(ev, ka->r->args[ka->i], ka->args[ka->i], &ka->k);
}

int eval_func(struct ev *ev, const rgroup *g, const rv *const *args, const ast_term *call, kont *k)
{
	int rc = depth_enter(ev, call->loc);
	if (rc < 0)
		return rc;
	const rv **saved_fr = ev->fr;
	const char *saved_file = ev->file;
	struct kcomplete kc = {{complete_sol_k}, {complete_val_k}, g, NULL, NULL, NULL, false, true};
	for (size_t i = 0; i < g->nrules; i++) {
		const ast_rule *r = g->rules[i];
		ev->file = r->file;
		ev->fr = frame_new(ev, r->body->nslots);
		if (ev->fr == NULL) {
			rc = ev_oom(ev);
			break;
		}
		struct kfargs ka = {{fargs_k}, &kc, r, args, 0};
		rc = func_args(ev, &ka);
		if (rc < 0 || (rc == K_STOP && ev->o->early_exit == REGO_EARLY_EXIT_RULE))
			break;
		rc = 0;
	}
	const rv *result = kc.result;
	if (rc >= 0 && result == NULL && g->deflt) {
		ev->file = g->deflt->file;
		rc = default_value(ev, g, &result);
	}
	ev->fr = saved_fr;
	ev->file = saved_file;
	ev->depth--;
	if (rc < 0)
		return rc;
	if (result == NULL)
		return 0;
	return kcall(ev, k, result);
}

/* ---- the data namespace ---- */

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
		return mark_struct(rvec_to_set(&all));
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
	return mark_struct(rv_obj(a, keys.v, vals.v, keys.n, NULL));
}

/* Value of a node that holds a rule group, merged with its children. */
static int group_node_value(struct ev *ev, const rnode *n, const rv *base, const rv **out)
{
	const rv *v = NULL;
	int rc = group_value(ev, n->group, &v);
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
	const rv *kids = mark_struct(rv_obj(ev->a, keys.v, vals.v, keys.n, NULL));
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
	*out = mark_struct(rv_obj(ev->a, keys.v, vals.v, keys.n, NULL));
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

/* ---- with ---- */

/* Returns doc with the value at path keys[0..n) replaced by v, creating
 * objects along the way. */
static const rv *patch(struct ev *ev, const rv *doc, const rv *const *keys, size_t n, const rv *v)
{
	if (n == 0)
		return v;
	const rv *child = (doc && doc->t == RV_OBJ) ? rv_obj_get(doc, keys[0]) : NULL;
	const rv *nc = patch(ev, child, keys + 1, n - 1, v);
	if (nc == NULL)
		return NULL;
	size_t m = (doc && doc->t == RV_OBJ) ? doc->u.o.n : 0;
	const rv **ks = rarena_nalloc(ev->a, m + 1, sizeof(*ks));
	const rv **vs = rarena_nalloc(ev->a, m + 1, sizeof(*vs));
	if (ks == NULL || vs == NULL)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < m; i++) {
		if (rv_eq(doc->u.o.k[i], keys[0]))
			continue;
		ks[j] = doc->u.o.k[i];
		vs[j] = doc->u.o.v[i];
		j++;
	}
	ks[j] = keys[0];
	vs[j] = nc;
	return rv_obj(ev->a, ks, vs, j + 1, NULL);
}

struct wsaved {
	const rv *input;
	const rv *data;
	struct wmask *masks;
	struct wmock *mocks;
	struct gcache cache;
};

static void wsave(const struct ev *ev, struct wsaved *s)
{
	s->input = ev->input;
	s->data = ev->data;
	s->masks = ev->masks;
	s->mocks = ev->mocks;
	s->cache = ev->cache;
}

static void wrestore(struct ev *ev, const struct wsaved *s)
{
	ev->input = s->input;
	ev->data = s->data;
	ev->masks = s->masks;
	ev->mocks = s->mocks;
	ev->cache = s->cache;
}

struct kwith {
	kont k;
	struct wsaved outer;
	struct wsaved inner;
	kont *next;
};

static int with_k(struct ev *ev, kont *k, const rv *v)
{
	struct kwith *kw = (struct kwith *)k;
	wrestore(ev, &kw->outer);
	int rc = kcall(ev, kw->next, v);
	wrestore(ev, &kw->inner);
	return rc;
}

struct kfirst {
	kont k;
	const rv *v;
};

static int first_k(struct ev *ev, kont *k, const rv *v)
{
	(void)ev;
	((struct kfirst *)k)->v = v;
	return K_STOP;
}

static int with_path(struct ev *ev, const ast_term *tg, const rv ***keys, size_t *n)
{
	size_t len = tg->kind == AT_REF ? tg->u.list.n - 1 : 0;
	const rv **ks = rarena_nalloc(ev->a, len + 1, sizeof(*ks));
	if (ks == NULL)
		return ev_oom(ev);
	for (size_t i = 0; i < len; i++) {
		if (!ev_term_fast(ev, tg->u.list.items[i + 1], &ks[i]) || ks[i] == NULL)
			return ev_errf(ev, -EINVAL, "eval_type_error", tg->loc,
			               "with keyword target path must be ground");
	}
	*keys = ks;
	*n = len;
	return 0;
}

static int apply_data_with(struct ev *ev, const ast_term *tg, const rv *v)
{
	const rv **keys;
	size_t n;
	int rc = with_path(ev, tg, &keys, &n);
	if (rc < 0)
		return rc;
	const rv *nd = patch(ev, ev->data, keys, n, v);
	if (nd == NULL)
		return ev_oom(ev);
	ev->data = nd;
	/* Hide the rules at (or above, inside a rule's value) the path. */
	const rnode *node = ev->prog->root;
	for (size_t i = 0; node && i < n; i++) {
		node = rnode_child(node, keys[i]);
		if (node && (node->group || i + 1 == n)) {
			struct wmask *m = rarena_alloc(ev->a, sizeof(*m));
			if (m == NULL)
				return ev_oom(ev);
			m->node = node;
			m->next = ev->masks;
			ev->masks = m;
			break;
		}
	}
	if (n == 0) {
		struct wmask *m = rarena_alloc(ev->a, sizeof(*m));
		if (m == NULL)
			return ev_oom(ev);
		m->node = ev->prog->root;
		m->next = ev->masks;
		ev->masks = m;
	}
	return 0;
}

static int apply_with(struct ev *ev, const ast_with *w)
{
	const ast_term *tg = w->target;
	if (tg->kind == AT_CALL) {
		struct wmock *m = rarena_zalloc(ev->a, sizeof(*m));
		if (m == NULL)
			return ev_oom(ev);
		m->target = tg->u.call.target;
		if (w->value->kind == AT_CALL && w->value->u.call.nargs == 0 &&
		    w->value->u.call.target_kind != CALL_UNRESOLVED) {
			m->repl = w->value;
		} else {
			struct kfirst kf = {{first_k}, NULL};
			int rc = eval_term(ev, w->value, &kf.k);
			if (rc < 0)
				return rc;
			if (kf.v == NULL)
				return 1; /* undefined value: the expression is undefined */
			m->value = kf.v;
		}
		m->next = ev->mocks;
		ev->mocks = m;
		return 0;
	}
	struct kfirst kf = {{first_k}, NULL};
	int rc = eval_term(ev, w->value, &kf.k);
	if (rc < 0)
		return rc;
	if (kf.v == NULL)
		return 1;
	const ast_term *head = tg->kind == AT_REF ? tg->u.list.items[0] : tg;
	if (head->u.var.scope == AV_INPUT) {
		const rv **keys;
		size_t n;
		rc = with_path(ev, tg, &keys, &n);
		if (rc < 0)
			return rc;
		const rv *ni = patch(ev, ev->input, keys, n, kf.v);
		if (ni == NULL)
			return ev_oom(ev);
		ev->input = ni;
		return 0;
	}
	return apply_data_with(ev, tg, kf.v);
}

int eval_with(struct ev *ev, const ast_expr *e, kont *k, int (*inner)(struct ev *, const ast_expr *, kont *))
{
	struct kwith kw;
	wsave(ev, &kw.outer);
	kw.k.fn = with_k;
	kw.next = k;
	for (size_t i = 0; i < e->nwiths; i++) {
		int rc = apply_with(ev, &e->withs[i]);
		if (rc != 0) {
			wrestore(ev, &kw.outer);
			return rc < 0 ? rc : 0;
		}
	}
	/* A fresh cache: rule values may differ under the modifications. */
	size_t ng = ev->prog->ngroups + 1;
	ev->cache.val = rarena_nalloc(ev->a, ng, sizeof(*ev->cache.val));
	ev->cache.state = rarena_zalloc(ev->a, ng);
	if (ev->cache.val == NULL || ev->cache.state == NULL) {
		wrestore(ev, &kw.outer);
		return ev_oom(ev);
	}
	wsave(ev, &kw.inner);
	int rc = inner(ev, e, &kw.k);
	wrestore(ev, &kw.outer);
	return rc;
}
