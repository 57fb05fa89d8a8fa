/* Calls: what a call's operator names (builtin, user function, host
 * function, print), arity and static argument types, and `with` targets
 * (compile_int.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "compile_int.h"

/* Collects the string segments naming a call target: `a.b.c` (op is an
 * AT_VAR or an AT_REF whose path items are strings). */
static int call_segments(ast_term *op, const char **segs, size_t *lens, size_t max, size_t *n)
{
	if (op->kind == AT_VAR) {
		segs[0] = op->u.var.name;
		lens[0] = op->u.var.len;
		*n = 1;
		return 0;
	}
	if (op->kind != AT_REF || op->u.list.n > max || op->u.list.items[0]->kind != AT_VAR)
		return -EINVAL;
	segs[0] = op->u.list.items[0]->u.var.name;
	lens[0] = op->u.list.items[0]->u.var.len;
	for (size_t i = 1; i < op->u.list.n; i++) {
		const ast_term *it = op->u.list.items[i];
		if (it->kind != AT_VALUE || it->u.val->t != RV_STR ||
		    memchr(it->u.val->u.s.p, '\0', it->u.val->u.s.n) != NULL)
			return -EINVAL; /* names are plain strings: no NUL inside */
		segs[i] = it->u.val->u.s.p;
		lens[i] = it->u.val->u.s.n;
	}
	*n = op->u.list.n;
	return 0;
}

/* "a.b.c" from name segments, in the arena; NULL if too long or on OOM. */
static const char *dotted_name(struct cctx *c, const char *const *segs, const size_t *lens, size_t n)
{
	cc_buf nb;
	cc_buf_init(&nb, 4096);
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (i)
			r = cc_buf_addc(&nb, '.');
		if (r == 0)
			r = cc_buf_add(&nb, segs[i], lens[i]);
	}
	const char *name = r == 0 ? rarena_strndup(c->a, nb.p ? nb.p : "", nb.len) : NULL;
	cc_buf_free(&nb);
	return name;
}

/* Resolves a data path to a function group. */
static rgroup *find_group(struct cctx *c, const rv *const *keys, size_t n)
{
	rnode *node = c->prog->root;
	for (size_t i = 0; node && i < n; i++)
		node = rnode_child(node, keys[i]);
	return node ? node->group : NULL;
}

#define MAX_CALL_SEGS CC_REGO_MAX_NAME_SEGMENTS

/* One extra argument is the output of a call that is a whole expression
 * (`count(x, n)`); anywhere else the count must match (OPA's type checker). */
static bool arity_ok(struct cctx *c, const ast_term *t, size_t want, bool any_arity)
{
	size_t have = t->u.call.nargs;
	return any_arity || have == want || (have == want + 1 && t == c->output_call);
}

/* Resolves what a call's operator names. any_arity: `with` targets, which
 * carry no arguments. */
static int resolve_target(struct cctx *c, ast_term *t, struct cscope *sc, bool any_arity)
{
	const char *segs[MAX_CALL_SEGS];
	size_t lens[MAX_CALL_SEGS], n;
	if (call_segments(t->u.call.op, segs, lens, MAX_CALL_SEGS, &n) < 0)
		return cerr(c, t->loc, "rego_type_error", "illegal call");
	const rv *keys[MAX_CALL_SEGS + 16];
	size_t nk = 0;
	bool user = false;
	struct cvar *local = cscope_lookup(sc, segs[0], lens[0]);
	if (local == NULL && lens[0] == 4 && memcmp(segs[0], "data", 4) == 0) {
		user = true;
	} else if (local == NULL && c->mod && cimport_find(c, segs[0], lens[0])) {
		const ast_import *im = cimport_find(c, segs[0], lens[0]);
		const ast_term *p = im->path;
		for (size_t i = 1; p->kind == AT_REF && i < p->u.list.n && nk < 16; i++)
			keys[nk++] = p->u.list.items[i]->u.val;
		user = true;
		segs[0] = NULL;
	} else if (local == NULL && cpkg_has_name(c->pkg, segs[0], lens[0])) {
		for (size_t i = 0; i < c->pkg->path->u.a.n && nk < 16; i++)
			keys[nk++] = c->pkg->path->u.a.v[i];
		user = true;
	}
	if (user) {
		for (size_t i = 0; i < n; i++) {
			if (i == 0 && (segs[0] == NULL || (lens[0] == 4 && memcmp(segs[0], "data", 4) == 0)))
				continue;
			keys[nk] = rv_str(c->a, segs[i], lens[i]);
			if (keys[nk] == NULL)
				return -ENOMEM;
			nk++;
		}
		rgroup *g = find_group(c, keys, nk);
		if (g == NULL || g->kind != RG_FUNCTION) {
			if (g == NULL && !(lens[0] == 4 && segs[0] && memcmp(segs[0], "data", 4) == 0)) {
				/* Not a user function after all: try builtins by name. */
				goto builtin;
			}
			return cerr(c, t->loc, "rego_type_error", "undefined function %s", t->u.call.name);
		}
		if (!arity_ok(c, t, g->nargs, any_arity))
			return cerr(c, t->loc, "rego_type_error", "function %s has arity %zu, got %zu argument%s",
			            g->name, g->nargs, t->u.call.nargs, t->u.call.nargs == 1 ? "" : "s");
		t->u.call.target = g;
		t->u.call.target_kind = CALL_FUNC;
		if (c->cur)
			return cgroup_add_dep(c->a, c->cur, g);
		return 0;
	}
builtin:;
	const char *name = t->u.call.name;
	size_t nlen = strlen(name);
	if (nlen == 5 && memcmp(name, "print", 5) == 0) {
		t->u.call.target_kind = CALL_PRINT;
		return 0;
	}
	for (size_t i = 0; i < c->prog->nhostfns; i++) {
		const struct rhostfn *h = &c->prog->hostfns[i];
		if (strcmp(h->name, name) == 0) {
			if (!arity_ok(c, t, h->arity, any_arity))
				return cerr(c, t->loc, "rego_type_error", "%s: arity mismatch", name);
			t->u.call.target = h;
			t->u.call.target_kind = CALL_HOST;
			return 0;
		}
	}
	const struct rbi *b = rbi_lookup(name, nlen);
	if (b == NULL)
		return cerr(c, t->loc, "rego_type_error", "undefined function %s", name);
	if (!arity_ok(c, t, b->arity, any_arity)) {
		int r = ctypes_arity_err(c, t, name);
		if (r <= 0)
			return r;
		return cerr(c, t->loc, "rego_type_error", "%s: arity mismatch\n\thave: %zu arguments\n\twant: %u arguments",
		            name, t->u.call.nargs, b->arity);
	}
	t->u.call.target = b;
	t->u.call.target_kind = CALL_BUILTIN;
	return any_arity ? 0 : ctypes_call(c, t);
}

int cresolve_call(struct cctx *c, ast_term *t, struct cscope *sc)
{
	/* Bodies inside the arguments (comprehensions) resolve their own
	 * expressions: keep this expression's output call. */
	const ast_term *out = c->output_call;
	int r = cresolve_list(c, t->u.call.args, t->u.call.nargs, sc);
	c->output_call = out;
	if (r < 0)
		return r;
	if (t->u.call.target_kind != CALL_UNRESOLVED)
		return 0;
	return resolve_target(c, t, sc, false);
}

/* Makes a call node (no arguments) naming the function that term t spells
 * (`f`, `lib.f`, `count`), or returns NULL if t does not name one. */
static ast_term *as_function_ref(struct cctx *c, ast_term *t, struct cscope *sc)
{
	const char *segs[MAX_CALL_SEGS];
	size_t lens[MAX_CALL_SEGS], n;
	if ((t->kind != AT_VAR && t->kind != AT_REF) || call_segments(t, segs, lens, MAX_CALL_SEGS, &n) < 0)
		return NULL;
	if (cscope_lookup(sc, segs[0], lens[0]))
		return NULL;
	ast_term *call = rarena_zalloc(c->a, sizeof(*call));
	if (call == NULL)
		return NULL;
	call->kind = AT_CALL;
	call->loc = t->loc;
	call->u.call.op = t;
	call->u.call.name = dotted_name(c, segs, lens, n);
	if (call->u.call.name == NULL)
		return NULL;
	cc_error *probe = NULL;
	cc_error **saved_err = c->err;
	rgroup *saved_cur = c->cur;
	c->err = &probe;
	c->cur = NULL;
	int r = resolve_target(c, call, sc, true);
	c->err = saved_err;
	c->cur = saved_cur;
	cc_error_free(probe);
	if (r < 0 || call->u.call.target_kind == CALL_PRINT)
		return NULL;
	return call;
}

bool cnames_function(struct cctx *c, ast_term *t, struct cscope *sc)
{
	return as_function_ref(c, t, sc) != NULL;
}

/* The rule-tree node a data path of constant keys reaches, and whether a
 * rule sits strictly above it. */
static const rnode *tree_walk(struct cctx *c, const ast_term *ref, bool *rule_above)
{
	const rnode *n = c->prog->root;
	*rule_above = false;
	size_t len = ref->kind == AT_REF ? ref->u.list.n : 1;
	for (size_t i = 1; n && i < len; i++) {
		if (n->group && n->group->kind != RG_FUNCTION)
			*rule_above = true;
		const rv *key = cconst_value(c->a, ref->u.list.items[i]);
		n = key ? rnode_child(n, key) : NULL;
	}
	return n;
}

/* `with p.q as v` where p is a rule of this package or an import: the
 * target becomes data.<pkg>.p.q, unless that names a function. */
static int with_global_target(struct cctx *c, ast_with *w)
{
	ast_term *tg = w->target;
	ast_term *head = tg->kind == AT_REF ? tg->u.list.items[0] : tg;
	ast_term **prefix;
	size_t np;
	int r = cglobal_prefix(c, head, &prefix, &np);
	if (r < 0)
		return r;
	size_t rest = tg->kind == AT_REF ? tg->u.list.n - 1 : 0;
	ast_term **items = rarena_nalloc(c->a, np + rest + 1, sizeof(*items));
	ast_term *ref = rarena_zalloc(c->a, sizeof(*ref));
	if (items == NULL || ref == NULL)
		return -ENOMEM;
	memcpy(items, prefix, np * sizeof(*items));
	for (size_t i = 0; i < rest; i++)
		items[np + i] = tg->u.list.items[i + 1];
	ref->kind = AT_REF;
	ref->loc = tg->loc;
	ref->u.list.items = items;
	ref->u.list.n = np + rest;
	if (items[0]->u.var.scope != AV_DATA)
		return (w->target = ref, 0); /* an import of input.x */
	bool above;
	const rnode *n = tree_walk(c, ref, &above);
	if (n && n->group && n->group->kind == RG_FUNCTION)
		return 0; /* a function: mocked below */
	w->target = ref;
	return 0;
}

/* OPA refuses a `with` that would replace part of a rule's value: the
 * target path may stop at a rule or above it, not inside it. */
static int with_whole_documents(struct cctx *c, const ast_with *w)
{
	bool above;
	tree_walk(c, w->target, &above);
	if (above)
		return cerr(c, w->loc, "rego_compile_error",
		            "with keyword cannot partially replace virtual document(s)");
	return 0;
}

int cresolve_with(struct cctx *c, ast_with *w, struct cscope *sc)
{
	ast_term *fv = as_function_ref(c, w->value, sc);
	int r = 0;
	if (fv)
		w->value = fv;
	else
		r = cresolve_term(c, w->value, sc);
	if (r < 0)
		return r;
	ast_term *tg = w->target;
	ast_term *head = tg->kind == AT_REF ? tg->u.list.items[0] : tg;
	if (head->kind != AT_VAR)
		return cerr(c, w->loc, "rego_type_error", "with keyword target must reference existing input, data, or a function");
	if (!cname_is(head, "input") && !cname_is(head, "data") && cis_global_name(c, head) &&
	    cscope_lookup(sc, head->u.var.name, head->u.var.len) == NULL) {
		/* A rule name or import: the target is its data path, unless
		 * that path is a function (then it is a function mock). */
		r = with_global_target(c, w);
		if (r < 0)
			return r;
		tg = w->target;
		head = tg->kind == AT_REF ? tg->u.list.items[0] : tg;
	}
	if (cname_is(head, "input") || cname_is(head, "data")) {
		head->u.var.scope = cname_is(head, "data") ? AV_DATA : AV_INPUT;
		head->u.var.slot = -1;
		return cname_is(head, "data") ? with_whole_documents(c, w) : 0;
	}
	/* A function or builtin: resolve it like a call with no arguments. */
	ast_term *call = rarena_zalloc(c->a, sizeof(*call));
	if (call == NULL)
		return -ENOMEM;
	call->kind = AT_CALL;
	call->loc = tg->loc;
	call->u.call.op = tg;
	const char *segs[MAX_CALL_SEGS];
	size_t lens[MAX_CALL_SEGS], n;
	if (call_segments(tg, segs, lens, MAX_CALL_SEGS, &n) < 0)
		return cerr(c, w->loc, "rego_type_error", "with keyword target must reference existing input, data, or a function");
	call->u.call.name = dotted_name(c, segs, lens, n);
	if (call->u.call.name == NULL)
		return cerr(c, w->loc, "rego_type_error", "with keyword target name too long");
	/* Arity is unknown here: accept whatever the target declares. A name
	 * that is no function is OPA's with-target error, not an undefined
	 * function. */
	rgroup *saved = c->cur;
	cc_error *probe = NULL;
	cc_error **saved_err = c->err;
	c->cur = NULL;
	c->err = &probe;
	r = resolve_target(c, call, sc, true);
	c->cur = saved;
	c->err = saved_err;
	cc_error_free(probe);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return cerr(c, w->loc, "rego_type_error", "with keyword target must reference existing input, data, or a function");
	w->target = call;
	return 0;
}
