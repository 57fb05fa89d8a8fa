/* `with`: input and data patched, rules below a replaced path hidden,
 * functions and builtins mocked, all for one expression in a fresh rule
 * cache scope (eval.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eval_int.h"

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
