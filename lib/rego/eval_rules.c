/* Rules: rule group values (cached per query) and function calls
 * (eval.h). The data namespace is eval_data.c, `with` is eval_with.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eval_int.h"

/* Marks an object or set just built from rule paths (not a rule's value):
 * only these merge with documents defined by other rules. */
const rv *ev_mark_struct(const rv *v)
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
	ev_trace_rule(ev, "Enter", r);
	int rc = eval_body(ev, r->body, 0, &kc->sol);
	for (const ast_rule *el = r->els; rc == 0 && !kc->produced && el; el = el->els) {
		kc->r = el;
		kc->valterm = el->value;
		ev_trace_rule(ev, "Enter", el);
		rc = eval_body(ev, el->body, 0, &kc->sol);
	}
	if (rc >= 0)
		ev_trace_rule(ev, kc->produced ? "Exit" : "Undefined", kc->r);
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
	*out = ev_mark_struct(rvec_to_set(&km.out));
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
			v = ev_mark_struct(rvec_to_set(&elems));
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
	*out = ev_mark_struct(rv_obj(ev->a, keys.v, vals.v, keys.n, NULL));
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

int ev_group_value(struct ev *ev, const rgroup *g, const rv **out)
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
