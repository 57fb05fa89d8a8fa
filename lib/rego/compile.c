/* Rego compiler driver: builds the rule tree, then resolves and checks
 * every rule (compile.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cocoon/limits.h"
#include "compile_int.h"
#ifdef COCOON_REGO_BI_METADATA
#include "annotations.h"
#endif

/* ---- packages ---- */

static const rv *pkg_path(struct cctx *c, const ast_module *m)
{
	const ast_term *p = m->package;
	size_t n = p->kind == AT_REF ? p->u.list.n - 1 : 0;
	const rv **keys = rarena_nalloc(c->a, n + 1, sizeof(*keys));
	if (keys == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		keys[i] = p->u.list.items[i + 1]->u.val;
	return rv_arr(c->a, keys, n);
}

static struct cpkg *pkg_get(struct cctx *c, const rv *path)
{
	for (size_t i = 0; i < c->npkgs; i++)
		if (rv_eq(c->pkgs[i]->path, path))
			return c->pkgs[i];
	if (c->npkgs == c->cappkgs) {
		size_t ncap = c->cappkgs ? c->cappkgs * 2 : 8;
		struct cpkg **np = rarena_nalloc(c->a, ncap, sizeof(*np));
		if (np == NULL)
			return NULL;
		if (c->npkgs)
			memcpy(np, c->pkgs, c->npkgs * sizeof(*np));
		c->pkgs = np;
		c->cappkgs = ncap;
	}
	struct cpkg *pk = rarena_zalloc(c->a, sizeof(*pk));
	if (pk == NULL)
		return NULL;
	pk->path = path;
	pk->node = ctree_node(c->a, c->prog->root, path->u.a.v, path->u.a.n);
	if (pk->node == NULL)
		return NULL;
	c->pkgs[c->npkgs++] = pk;
	return pk;
}

/* Rule names of a package, kept sorted for cpkg_has_name's binary search. */
static int pkg_add_name(struct cctx *c, struct cpkg *pk, const char *name)
{
	size_t lo = 0, hi = pk->nnames;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(pk->names[mid], name);
		if (cmp == 0)
			return 0;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pk->nnames == pk->capnames) {
		size_t ncap = pk->capnames ? pk->capnames * 2 : 16;
		const char **nn = rarena_nalloc(c->a, ncap, sizeof(*nn));
		if (nn == NULL)
			return -ENOMEM;
		if (pk->nnames)
			memcpy(nn, pk->names, pk->nnames * sizeof(*nn));
		pk->names = nn;
		pk->capnames = ncap;
	}
	memmove(pk->names + lo + 1, pk->names + lo, (pk->nnames - lo) * sizeof(*pk->names));
	pk->names[lo] = name;
	pk->nnames++;
	return 0;
}

/* ---- rule groups ---- */

/* The value of a constant term (scalars and composites of constants), or
 * NULL. Rule heads such as p[{"a": "b"}] := 1 use constant keys. */
const rv *cconst_value(rarena *a, const ast_term *t)
{
	switch (t->kind) {
	case AT_VALUE:
		return t->u.val;
	case AT_ARR:
	case AT_SET: {
		const rv **items = rarena_nalloc(a, t->u.list.n + 1, sizeof(*items));
		if (items == NULL)
			return NULL;
		for (size_t i = 0; i < t->u.list.n; i++)
			if ((items[i] = cconst_value(a, t->u.list.items[i])) == NULL)
				return NULL;
		return t->kind == AT_ARR ? rv_arr(a, items, t->u.list.n) : rv_set(a, items, t->u.list.n);
	}
	case AT_OBJ: {
		size_t n = t->u.obj.n;
		const rv **k = rarena_nalloc(a, n + 1, sizeof(*k));
		const rv **v = rarena_nalloc(a, n + 1, sizeof(*v));
		if (k == NULL || v == NULL)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if ((k[i] = cconst_value(a, t->u.obj.keys[i])) == NULL ||
			    (v[i] = cconst_value(a, t->u.obj.vals[i])) == NULL)
				return NULL;
		return rv_obj(a, k, v, n, NULL);
	}
	default:
		return NULL;
	}
}

/* Number of leading head items that are constant keys (the rule name
 * counts). */
static size_t ground_prefix(rarena *a, const ast_rule *r)
{
	const ast_term *h = r->head;
	size_t n = h->kind == AT_REF ? h->u.list.n : 1;
	size_t k = 1;
	while (k < n && cconst_value(a, h->u.list.items[k]) != NULL)
		k++;
	/* A partial object keeps its last item as the key, even if ground. */
	if (r->kind == AR_OBJECT && k == n)
		k = n - 1;
	return k;
}

static const char *head_name(const ast_rule *r)
{
	const ast_term *h = r->head;
	const ast_term *v = h->kind == AT_REF ? h->u.list.items[0] : h;
	return v->u.var.name;
}

static int group_name(struct cctx *c, const rv *path, const char **ret)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = cc_buf_adds(&b, "data");
	for (size_t i = 0; r == 0 && i < path->u.a.n; i++) {
		const rv *k = path->u.a.v[i];
		if (k->t == RV_STR) {
			r = cc_buf_addc(&b, '.');
			if (r == 0)
				r = cc_buf_add(&b, k->u.s.p, k->u.s.n);
		} else {
			r = cc_buf_addc(&b, '[');
			if (r == 0)
				r = rv_to_rego(k, &b);
			if (r == 0)
				r = cc_buf_addc(&b, ']');
		}
	}
	if (r == 0) {
		*ret = rarena_strndup(c->a, b.p, b.len);
		if (*ret == NULL)
			r = -ENOMEM;
	}
	cc_buf_free(&b);
	return r;
}

/* Multi-value rules with variables in their head (p[q] contains r) build
 * an object of sets: they join the single-value object group. */
static uint8_t group_kind(const ast_rule *r, size_t gp)
{
	size_t n = r->head->kind == AT_REF ? r->head->u.list.n : 1;
	if (r->kind == AR_MULTI && gp < n)
		return AR_OBJECT;
	return r->kind;
}

static int group_for_rule(struct cctx *c, ast_rule *r)
{
	const rv *pp = c->pkg->path;
	size_t gp = ground_prefix(c->a, r);
	uint8_t kind = group_kind(r, gp);
	size_t n = pp->u.a.n + gp;
	const rv **keys = rarena_nalloc(c->a, n + 1, sizeof(*keys));
	if (keys == NULL)
		return -ENOMEM;
	memcpy(keys, pp->u.a.v, pp->u.a.n * sizeof(*keys));
	keys[pp->u.a.n] = rv_cstr(c->a, head_name(r));
	if (keys[pp->u.a.n] == NULL)
		return -ENOMEM;
	for (size_t i = 1; i < gp; i++)
		if ((keys[pp->u.a.n + i] = cconst_value(c->a, r->head->u.list.items[i])) == NULL)
			return -ENOMEM;
	if ((kind == AR_COMPLETE || kind == AR_FUNCTION) && r->head->kind == AT_REF &&
	    gp < r->head->u.list.n)
		return cerr(c, r->loc, "rego_parse_error",
		            "rule heads with variables in their reference must define a single-value object rule");
	rnode *node = ctree_node(c->a, c->prog->root, keys, n);
	if (node == NULL)
		return -ENOMEM;
	rgroup *g = node->group;
	if (g == NULL) {
		g = rarena_zalloc(c->a, sizeof(*g));
		if (g == NULL)
			return -ENOMEM;
		g->kind = kind;
		g->node = node;
		g->nargs = r->nargs;
		g->path = rv_arr(c->a, keys, n);
		g->const_value = true;
		int e = g->path ? group_name(c, g->path, &g->name) : -ENOMEM;
		if (e < 0)
			return e;
		if (c->prog->ngroups == c->prog->capgroups) {
			size_t ncap = c->prog->capgroups ? c->prog->capgroups * 2 : 16;
			rgroup **ng = rarena_nalloc(c->a, ncap, sizeof(*ng));
			if (ng == NULL)
				return -ENOMEM;
			if (c->prog->ngroups)
				memcpy(ng, c->prog->groups, c->prog->ngroups * sizeof(*ng));
			c->prog->groups = ng;
			c->prog->capgroups = ncap;
		}
		g->id = (uint32_t)c->prog->ngroups;
		c->prog->groups[c->prog->ngroups++] = g;
		node->group = g;
	} else if (g->kind != kind) {
		/* OPA's checkRuleConflicts words both cases alike */
		return cerr(c, r->loc, "rego_type_error", "conflicting rules %s found", g->name);
	} else if (g->kind == RG_FUNCTION && g->nargs != r->nargs) {
		return cerr(c, r->loc, "rego_type_error", "conflicting rules %s found", g->name);
	}
	r->group = g;
	r->keypos = (uint32_t)gp;
	if (r->is_default) {
		if (g->deflt)
			return cerr(c, r->loc, "rego_type_error", "multiple default rules %s found", g->name);
		g->deflt = r;
		return 0;
	}
	size_t cap = g->nrules + 1;
	ast_rule **nr = rarena_nalloc(c->a, cap, sizeof(*nr));
	if (nr == NULL)
		return -ENOMEM;
	if (g->nrules)
		memcpy(nr, g->rules, g->nrules * sizeof(*nr));
	nr[g->nrules++] = r;
	g->rules = nr;
	return 0;
}

/* Rules whose value is one ground constant allow early exit. */
static const rv *const_head(const ast_rule *r)
{
	if (r->value == NULL)
		return rv_true();
	return r->value->kind == AT_VALUE ? r->value->u.val : NULL;
}

static void note_const(rgroup *g, const ast_rule *r)
{
	if (r->is_default)
		return;
	const rv *v = const_head(r), *first = const_head(g->rules[0]);
	if (v == NULL || first == NULL || r->els || !rv_eq(first, v))
		g->const_value = false;
}

/* ---- compiling one rule (with its else chain) ---- */

static int head_extras(ast_rule *r, ast_term **extra, size_t max, size_t *n)
{
	size_t k = 0;
	if (r->value && k < max)
		extra[k++] = r->value;
	if (r->key && k < max)
		extra[k++] = r->key;
	if (((const rgroup *)r->group)->kind == RG_OBJECT && r->head->kind == AT_REF) {
		for (size_t i = r->keypos; i < r->head->u.list.n; i++) {
			if (k >= max)
				return -E2BIG;
			extra[k++] = r->head->u.list.items[i];
		}
	}
	*n = k;
	return 0;
}

#define MAX_HEAD_TERMS CC_REGO_MAX_HEAD_TERMS

/* Function arguments are patterns (vars, constants, arrays and objects of
 * patterns). Any other term (a ref, a call, a template string) becomes a
 * fresh argument var that the body unifies with the term, as OPA does. */
static bool is_pattern(const ast_term *t)
{
	switch (t->kind) {
	case AT_VAR:
	case AT_VALUE:
		return true;
	case AT_ARR:
		for (size_t i = 0; i < t->u.list.n; i++)
			if (!is_pattern(t->u.list.items[i]))
				return false;
		return true;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++)
			if (t->u.obj.keys[i]->kind != AT_VALUE || !is_pattern(t->u.obj.vals[i]))
				return false;
		return true;
	default:
		return false;
	}
}

static int body_append(rarena *a, ast_body *b, ast_expr *e)
{
	ast_expr **ne = rarena_nalloc(a, b->n + 1, sizeof(*ne));
	if (ne == NULL)
		return -ENOMEM;
	if (b->n)
		memcpy(ne, b->exprs, b->n * sizeof(*ne));
	ne[b->n++] = e;
	b->exprs = ne;
	return 0;
}

static int rewrite_args(struct cctx *c, ast_rule *r)
{
	for (size_t i = 0; i < r->nargs; i++) {
		ast_term *t = r->args[i];
		if (is_pattern(t))
			continue;
		char name[32];
		snprintf(name, sizeof(name), "$arg%zu", i);
		ast_term *v = rarena_zalloc(c->a, sizeof(*v));
		ast_expr *e = rarena_zalloc(c->a, sizeof(*e));
		if (v == NULL || e == NULL)
			return -ENOMEM;
		v->kind = AT_VAR;
		v->loc = t->loc;
		v->u.var.name = rarena_strndup(c->a, name, strlen(name));
		v->u.var.len = (uint32_t)strlen(name);
		v->u.var.slot = -1;
		if (v->u.var.name == NULL)
			return -ENOMEM;
		e->kind = AE_UNIFY;
		e->loc = t->loc;
		e->a = v;
		e->b = t;
		r->args[i] = v;
		for (ast_rule *el = r; el; el = el->els) {
			int rc = body_append(c->a, el->body, e);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int compile_rule(struct cctx *c, ast_rule *r)
{
	c->nslots = 0;
	c->nscopes = 0;
	c->cur = r->group;
	struct cscope *root = cscope_new(c, NULL);
	if (root == NULL)
		return -ENOMEM;
	int e = rewrite_args(c, r);
	for (size_t i = 0; e == 0 && i < r->nargs; i++)
		e = cscope_declare_pattern(c, root, r->args[i]);
	for (size_t i = 0; e == 0 && i < r->nargs; i++)
		e = cresolve_term(c, r->args[i], root);
	ast_term *extra[MAX_HEAD_TERMS];
	size_t nextra = 0;
	if (e == 0 && head_extras(r, extra, MAX_HEAD_TERMS, &nextra) < 0)
		e = cerr(c, r->loc, "rego_compile_error", "rule head too long");
	if (e == 0)
		e = cresolve_body(c, r->body, root, extra, nextra, NULL);
	for (ast_rule *el = r->els; e == 0 && el; el = el->els) {
		ast_term *ev[1] = {el->value};
		e = cresolve_body(c, el->body, root, ev, el->value ? 1 : 0, NULL);
	}
	if (e == 0)
		e = csafety_body(c, r->body, extra, nextra);
	for (ast_rule *el = r->els; e == 0 && el; el = el->els) {
		ast_term *ev[1] = {el->value};
		e = csafety_body(c, el->body, ev, el->value ? 1 : 0);
	}
	if (e == 0)
		e = ctypes_body(c, r->body);
	for (ast_rule *el = r->els; e == 0 && el; el = el->els)
		e = ctypes_body(c, el->body);
	if (e < 0)
		return e;
	r->body->nslots = c->nslots;
	for (ast_rule *el = r->els; el; el = el->els)
		el->body->nslots = c->nslots;
	return 0;
}

static int check_import(struct cctx *c, const ast_import *im)
{
	const ast_term *p = im->path;
	const ast_term *head = p->kind == AT_REF ? p->u.list.items[0] : p;
	if (head->kind != AT_VAR)
		return cerr(c, im->loc, "rego_parse_error", "invalid import path");
	const char *h = head->u.var.name;
	if (strcmp(h, "data") && strcmp(h, "input") && strcmp(h, "future") && strcmp(h, "rego"))
		return cerr(c, im->loc, "rego_parse_error",
		            "invalid path %s: path must begin with input or data", h);
	return 0;
}

int rcompile(rarena *a, ast_module **mods, size_t nmods,
             const struct rhostfn *hostfns, size_t nhostfns,
             rprog *prog, cc_error **err)
{
	memset(prog, 0, sizeof(*prog));
	prog->a = a;
	prog->mods = mods;
	prog->nmods = nmods;
	prog->hostfns = hostfns;
	prog->nhostfns = nhostfns;
	prog->root = rarena_zalloc(a, sizeof(*prog->root));
	if (prog->root == NULL)
		return -ENOMEM;
#ifdef COCOON_REGO_BI_METADATA
	/* rego.metadata.chain()/rule() become constants (annotations.h). */
	int me = rmeta_rewrite(a, mods, nmods, err);
	if (me < 0)
		return me;
#endif
	struct cctx c = {.a = a, .prog = prog, .err = err};
	struct cpkg **modpkg = rarena_nalloc(a, nmods + 1, sizeof(*modpkg));
	if (modpkg == NULL)
		return -ENOMEM;
	/* Pass 1: packages, rule names, groups. */
	for (size_t m = 0; m < nmods; m++) {
		c.mod = mods[m];
		const rv *pp = pkg_path(&c, mods[m]);
		modpkg[m] = pp ? pkg_get(&c, pp) : NULL;
		if (modpkg[m] == NULL)
			return -ENOMEM;
		c.pkg = modpkg[m];
		for (size_t i = 0; i < mods[m]->nimports; i++) {
			int e = check_import(&c, &mods[m]->imports[i]);
			if (e < 0)
				return e;
		}
		for (size_t i = 0; i < mods[m]->nrules; i++) {
			ast_rule *r = mods[m]->rules[i];
			if (r->file == NULL)
				r->file = mods[m]->file;
			int e = pkg_add_name(&c, c.pkg, head_name(r));
			if (e == 0)
				e = group_for_rule(&c, r);
			if (e < 0)
				return e;
		}
	}
	for (size_t i = 0; i < prog->ngroups; i++) {
		rgroup *g = prog->groups[i];
		if ((g->kind != RG_COMPLETE && g->kind != RG_FUNCTION) || g->nrules == 0)
			g->const_value = false;
		for (size_t k = 0; g->const_value && k < g->nrules; k++)
			note_const(g, g->rules[k]);
	}
	/* Pass 2: resolve and check every rule. */
	for (size_t m = 0; m < nmods; m++) {
		c.mod = mods[m];
		c.pkg = modpkg[m];
		for (size_t i = 0; i < mods[m]->nrules; i++) {
			int e = compile_rule(&c, mods[m]->rules[i]);
			if (e < 0)
				return e;
		}
	}
	return ccheck_recursion(prog, err);
}

int rcompile_query(rarena *a, rprog *prog, ast_body *q, const char ***ret_names,
                   cc_error **err)
{
	struct cpkg nopkg = {.path = rv_empty_arr()};
	struct cctx c = {.a = a, .prog = prog, .err = err, .pkg = &nopkg, .query = true};
	struct cscope *sc;
	int e = cresolve_body(&c, q, NULL, NULL, 0, &sc);
	if (e == 0)
		e = csafety_body(&c, q, NULL, 0);
	if (e == 0)
		e = ctypes_body(&c, q);
	if (e < 0)
		return e;
	q->nslots = c.nslots;
	const char **names = rarena_nalloc(a, c.nslots + 1, sizeof(*names));
	if (names == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < c.nslots; i++) {
		const char *n = c.slot_name[i];
		bool top = (uint32_t)c.slot_scope[i] == q->scope;
		names[i] = (top && n[0] != '$') ? n : NULL;
	}
	*ret_names = names;
	return 0;
}
