/* Name resolution: locals to frame slots, rule names and imports to
 * absolute data refs, calls to their targets (compile_int.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

int cerr(struct cctx *c, ast_loc loc, const char *kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cc_error_set_at(c->err, -EINVAL, kind, c->mod ? c->mod->file : NULL,
	                       (int)loc.line, (int)loc.col, "%s", msg);
}

struct cscope *cscope_new(struct cctx *c, struct cscope *parent)
{
	struct cscope *sc = rarena_zalloc(c->a, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->parent = parent;
	sc->id = c->nscopes++;
	sc->cur_pos = -1; /* declarations before the body (arguments) */
	return sc;
}

static struct cvar *scope_find(struct cscope *sc, const char *name, size_t len)
{
	for (size_t i = 0; i < sc->nvars; i++)
		if (sc->vars[i].len == len && memcmp(sc->vars[i].name, name, len) == 0)
			return &sc->vars[i];
	return NULL;
}

static int slot_new(struct cctx *c, struct cscope *sc, const char *name, int32_t *ret)
{
	if (c->nslots == c->capslots) {
		uint32_t ncap = c->capslots ? c->capslots * 2 : 32;
		int32_t *ns = rarena_nalloc(c->a, ncap, sizeof(*ns));
		const char **nn = rarena_nalloc(c->a, ncap, sizeof(*nn));
		if (ns == NULL || nn == NULL)
			return -ENOMEM;
		if (c->nslots) {
			memcpy(ns, c->slot_scope, c->nslots * sizeof(*ns));
			memcpy(nn, c->slot_name, c->nslots * sizeof(*nn));
		}
		c->slot_scope = ns;
		c->slot_name = nn;
		c->capslots = ncap;
	}
	c->slot_scope[c->nslots] = (int32_t)sc->id;
	c->slot_name[c->nslots] = name;
	*ret = (int32_t)c->nslots++;
	return 0;
}

static int scope_add(struct cctx *c, struct cscope *sc, const char *name, size_t len,
                     bool declared, struct cvar **ret)
{
	if (sc->nvars == sc->capvars) {
		size_t ncap = sc->capvars ? sc->capvars * 2 : 8;
		struct cvar *nv = rarena_nalloc(c->a, ncap, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		if (sc->nvars)
			memcpy(nv, sc->vars, sc->nvars * sizeof(*nv));
		sc->vars = nv;
		sc->capvars = ncap;
	}
	struct cvar *v = &sc->vars[sc->nvars];
	v->name = name;
	v->len = (uint32_t)len;
	v->declared = declared;
	v->decl_pos = declared ? sc->cur_pos : -1;
	int r = slot_new(c, sc, name, &v->slot);
	if (r < 0)
		return r;
	sc->nvars++;
	if (ret)
		*ret = v;
	return 0;
}

int cscope_declare(struct cctx *c, struct cscope *sc, ast_term *var)
{
	struct cvar *v = scope_find(sc, var->u.var.name, var->u.var.len);
	if (v) {
		if (v->declared && !var->u.var.wildcard && var->u.var.name[0] != '$')
			return cerr(c, var->loc, "rego_compile_error", "var %s assigned above",
			            var->u.var.name);
		v->declared = true;
		return 0;
	}
	return scope_add(c, sc, var->u.var.name, var->u.var.len, true, NULL);
}

int cscope_declare_pattern(struct cctx *c, struct cscope *sc, ast_term *t)
{
	switch (t->kind) {
	case AT_VAR:
		return cscope_declare(c, sc, t);
	case AT_ARR:
		for (size_t i = 0; i < t->u.list.n; i++) {
			int r = cscope_declare_pattern(c, sc, t->u.list.items[i]);
			if (r < 0)
				return r;
		}
		return 0;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			int r = cscope_declare_pattern(c, sc, t->u.obj.vals[i]);
			if (r < 0)
				return r;
		}
		return 0;
	default:
		return 0;
	}
}

/* ---- globals: input, data, imports, rule names ---- */

static bool name_is(const ast_term *v, const char *s)
{
	return v->u.var.name[0] == s[0] && strcmp(v->u.var.name, s) == 0;
}

static const ast_import *find_import(struct cctx *c, const char *name, size_t len)
{
	if (c->mod == NULL)
		return NULL;
	for (size_t i = 0; i < c->mod->nimports; i++) {
		const ast_import *im = &c->mod->imports[i];
		const ast_term *p = im->path;
		const char *alias = im->alias;
		size_t alen;
		if (alias == NULL) {
			/* Alias is the last path segment. */
			if (p->kind == AT_VAR) {
				alias = p->u.var.name;
			} else if (p->u.list.n > 1) {
				const ast_term *last = p->u.list.items[p->u.list.n - 1];
				if (last->kind != AT_VALUE || last->u.val->t != RV_STR)
					continue;
				alias = last->u.val->u.s.p;
			} else {
				continue;
			}
		}
		alen = strlen(alias);
		const ast_term *head = p->kind == AT_VAR ? p : p->u.list.items[0];
		if (!name_is(head, "data") && !name_is(head, "input"))
			continue;
		if (p->kind == AT_VAR && im->alias == NULL)
			continue; /* `import data` / `import input`: nothing new */
		if (alen == len && memcmp(alias, name, len) == 0)
			return im;
	}
	return NULL;
}

static bool pkg_has_name(const struct cpkg *pkg, const char *name, size_t len)
{
	if (pkg == NULL)
		return false;
	for (size_t i = 0; i < pkg->nnames; i++) {
		const char *n = pkg->names[i];
		if (n[0] == name[0] && strncmp(n, name, len) == 0 && n[len] == '\0')
			return true;
	}
	return false;
}

static bool is_global_name(struct cctx *c, const ast_term *v)
{
	const char *n = v->u.var.name;
	size_t len = v->u.var.len;
	if (name_is(v, "input") || name_is(v, "data"))
		return true;
	if (find_import(c, n, len))
		return true;
	return pkg_has_name(c->pkg, n, len);
}

static struct cvar *lookup_local(struct cscope *sc, const char *name, size_t len)
{
	for (struct cscope *s = sc; s; s = s->parent) {
		struct cvar *v = scope_find(s, name, len);
		/* In an ancestor, a var declared with := is visible only to
		 * expressions after its declaration. */
		if (v && (s == sc || !v->declared || v->decl_pos < 0 || v->decl_pos < s->cur_pos))
			return v;
	}
	return NULL;
}

static ast_term *mk_root(struct cctx *c, const char *name, ast_loc loc)
{
	ast_term *t = rarena_zalloc(c->a, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->kind = AT_VAR;
	t->loc = loc;
	t->u.var.name = name;
	t->u.var.len = (uint32_t)strlen(name);
	t->u.var.slot = -1;
	t->u.var.scope = strcmp(name, "data") == 0 ? AV_DATA : AV_INPUT;
	return t;
}

static ast_term *mk_str(struct cctx *c, const rv *key, ast_loc loc)
{
	ast_term *t = rarena_zalloc(c->a, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->kind = AT_VALUE;
	t->loc = loc;
	t->u.val = key;
	return t;
}

/* Builds the items that replace a global name: [root, k1, k2, ...]. */
static int global_prefix(struct cctx *c, const ast_term *v, ast_term ***ret, size_t *ret_n)
{
	const char *name = v->u.var.name;
	size_t len = v->u.var.len;
	ast_loc loc = v->loc;
	const ast_import *im = find_import(c, name, len);
	if (im && lookup_local(NULL, name, len) == NULL) {
		const ast_term *p = im->path;
		size_t n = p->kind == AT_VAR ? 1 : p->u.list.n;
		ast_term **items = rarena_nalloc(c->a, n, sizeof(*items));
		if (items == NULL)
			return -ENOMEM;
		const ast_term *head = p->kind == AT_VAR ? p : p->u.list.items[0];
		items[0] = mk_root(c, name_is(head, "data") ? "data" : "input", loc);
		for (size_t i = 1; i < n; i++)
			items[i] = p->u.list.items[i];
		if (items[0] == NULL)
			return -ENOMEM;
		*ret = items;
		*ret_n = n;
		return 0;
	}
	/* Rule name in the current package: data.<pkg path>.<name>. */
	const rv *pp = c->pkg->path;
	size_t n = pp->u.a.n + 2;
	ast_term **items = rarena_nalloc(c->a, n, sizeof(*items));
	if (items == NULL)
		return -ENOMEM;
	items[0] = mk_root(c, "data", loc);
	for (size_t i = 0; i < pp->u.a.n; i++)
		items[i + 1] = mk_str(c, pp->u.a.v[i], loc);
	items[n - 1] = mk_str(c, rv_str(c->a, name, len), loc);
	for (size_t i = 0; i < n; i++)
		if (items[i] == NULL || (items[i]->kind == AT_VALUE && items[i]->u.val == NULL))
			return -ENOMEM;
	*ret = items;
	*ret_n = n;
	return 0;
}

/* ---- dependencies for the recursion check ---- */

/* The rules a data ref can reach: constant segments select a child, any
 * other segment matches every child (as OPA's dynamic rule lookup), and a
 * rule reached on the way is a dependency (the rest indexes its value). */
static int ref_deps_from(struct cctx *c, const rnode *n, const ast_term *ref, size_t i)
{
	if (n->group)
		return cgroup_add_dep(c->a, c->cur, n->group);
	if (i >= ref->u.list.n)
		return cgroup_add_subtree_deps(c->a, c->cur, n);
	const rv *key = cconst_value(c->a, ref->u.list.items[i]);
	if (key) {
		const rnode *k = rnode_child(n, key);
		return k ? ref_deps_from(c, k, ref, i + 1) : 0;
	}
	for (size_t k = 0; k < n->nkids; k++) {
		int r = ref_deps_from(c, n->kids[k], ref, i + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_ref_deps(struct cctx *c, const ast_term *ref)
{
	if (c->cur == NULL)
		return 0;
	return ref_deps_from(c, c->prog->root, ref, 1);
}

/* ---- collecting own vars of a body level ---- */

static bool names_function(struct cctx *c, ast_term *t, struct cscope *sc);

static int collect_term(struct cctx *c, struct cscope *sc, ast_term *t);

static int collect_list(struct cctx *c, struct cscope *sc, ast_term **items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = collect_term(c, sc, items[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int collect_var(struct cctx *c, struct cscope *sc, ast_term *t)
{
	const char *name = t->u.var.name;
	size_t len = t->u.var.len;
	if (lookup_local(sc, name, len) || is_global_name(c, t))
		return 0;
	return scope_add(c, sc, name, len, false, NULL);
}

static int collect_term(struct cctx *c, struct cscope *sc, ast_term *t)
{
	switch (t->kind) {
	case AT_VAR:
		return collect_var(c, sc, t);
	case AT_REF:
	case AT_ARR:
	case AT_SET:
	case AT_TEMPLATE:
		return collect_list(c, sc, t->u.list.items, t->u.list.n);
	case AT_OBJ: {
		int r = collect_list(c, sc, t->u.obj.keys, t->u.obj.n);
		return r < 0 ? r : collect_list(c, sc, t->u.obj.vals, t->u.obj.n);
	}
	case AT_CALL:
		return collect_list(c, sc, t->u.call.args, t->u.call.nargs);
	default:
		return 0; /* values; closures are their own level */
	}
}

static int declare_expr(struct cctx *c, struct cscope *sc, ast_expr *e)
{
	switch (e->kind) {
	case AE_ASSIGN:
		return cscope_declare_pattern(c, sc, e->a);
	case AE_SOME:
		for (size_t i = 0; i < e->some.nvars; i++) {
			int r = cscope_declare_pattern(c, sc, e->some.vars[i]);
			if (r < 0)
				return r;
		}
		return 0;
	case AE_SOME_IN: {
		int r = 0;
		if (e->some.key)
			r = cscope_declare_pattern(c, sc, e->some.key);
		if (r == 0)
			r = cscope_declare_pattern(c, sc, e->some.val);
		return r;
	}
	default:
		return 0;
	}
}

static int collect_expr(struct cctx *c, struct cscope *sc, ast_expr *e)
{
	int r = 0;
	if (e->a && e->kind != AE_SOME)
		r = collect_term(c, sc, e->a);
	if (r == 0 && e->b)
		r = collect_term(c, sc, e->b);
	if (r == 0 && (e->kind == AE_SOME_IN || e->kind == AE_EVERY))
		r = collect_term(c, sc, e->some.coll);
	for (size_t i = 0; r == 0 && i < e->nwiths; i++)
		if (!names_function(c, e->withs[i].value, sc))
			r = collect_term(c, sc, e->withs[i].value);
	return r;
}

/* ---- rewriting ---- */

static int resolve_list(struct cctx *c, ast_term **items, size_t n, struct cscope *sc)
{
	for (size_t i = 0; i < n; i++) {
		int r = cresolve_term(c, items[i], sc);
		if (r < 0)
			return r;
	}
	return 0;
}

static int resolve_var(struct cctx *c, ast_term *t, struct cscope *sc)
{
	struct cvar *v = lookup_local(sc, t->u.var.name, t->u.var.len);
	if (v) {
		t->u.var.scope = AV_LOCAL;
		t->u.var.slot = v->slot;
		return 0;
	}
	if (name_is(t, "input") || name_is(t, "data")) {
		t->u.var.scope = name_is(t, "data") ? AV_DATA : AV_INPUT;
		t->u.var.slot = -1;
		return 0;
	}
	if (is_global_name(c, t)) {
		ast_term **items;
		size_t n;
		int r = global_prefix(c, t, &items, &n);
		if (r < 0)
			return r;
		if (n == 1) {
			*t = *items[0];
			return 0;
		}
		t->kind = AT_REF;
		t->u.list.items = items;
		t->u.list.n = n;
		return items[0]->u.var.scope == AV_DATA ? add_ref_deps(c, t) : 0;
	}
	return cerr(c, t->loc, "rego_compile_error", "var %s is undeclared", t->u.var.name);
}

static int resolve_ref(struct cctx *c, ast_term *t, struct cscope *sc)
{
	ast_term *head = t->u.list.items[0];
	int r = resolve_list(c, t->u.list.items + 1, t->u.list.n - 1, sc);
	if (r < 0)
		return r;
	if (head->kind != AT_VAR)
		return cresolve_term(c, head, sc);
	r = resolve_var(c, head, sc);
	if (r < 0)
		return r;
	if (head->kind == AT_REF) {
		/* Splice the expanded global prefix into this ref. */
		size_t hn = head->u.list.n, n = t->u.list.n;
		ast_term **items = rarena_nalloc(c->a, hn + n - 1, sizeof(*items));
		if (items == NULL)
			return -ENOMEM;
		memcpy(items, head->u.list.items, hn * sizeof(*items));
		memcpy(items + hn, t->u.list.items + 1, (n - 1) * sizeof(*items));
		t->u.list.items = items;
		t->u.list.n = hn + n - 1;
		return 0;
	}
	if (head->kind == AT_VAR && head->u.var.scope == AV_DATA)
		return add_ref_deps(c, t);
	return 0;
}

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
		if (it->kind != AT_VALUE || it->u.val->t != RV_STR)
			return -EINVAL;
		segs[i] = it->u.val->u.s.p;
		lens[i] = it->u.val->u.s.n;
	}
	*n = op->u.list.n;
	return 0;
}

/* Resolves a data path to a function group. */
static rgroup *find_group(struct cctx *c, const rv *const *keys, size_t n)
{
	rnode *node = c->prog->root;
	for (size_t i = 0; node && i < n; i++)
		node = rnode_child(node, keys[i]);
	return node ? node->group : NULL;
}

#define MAX_CALL_SEGS 64

/* Static type of a call argument as an RT_* mask, 0 when unknown:
 * constants and the declared results of builtin calls. */
static unsigned static_type(struct cctx *c, const ast_term *t)
{
	if (t->kind == AT_CALL && t->u.call.target_kind == CALL_BUILTIN)
		return ((const struct rbi *)t->u.call.target)->rett;
	const rv *v = cconst_value(c->a, t);
	return v ? 1u << v->t : 0;
}

static void mask_names(unsigned mask, char *out, size_t n)
{
	static const char *const names[] = {"null", "boolean", "number", "string", "array", "object", "set"};
	size_t off = 0;
	out[0] = '\0';
	for (int i = 0; i < 7 && off < n; i++)
		if (mask & (1u << i))
			off += (size_t)snprintf(out + off, n - off, "%s%s", off ? "|" : "", names[i]);
}

/* OPA's type checker rejects calls whose argument types are known and
 * wrong (rego_type_error at compile time, not undefined at run time). */
static int check_arg_types(struct cctx *c, const ast_term *t, const struct rbi *b)
{
	for (size_t i = 0; i < b->arity && i < RBI_MAX_ARGS; i++) {
		unsigned want = b->argt[i];
		unsigned have = static_type(c, t->u.call.args[i]);
		if (want == 0 || have == 0 || (want & have))
			continue;
		char hs[96], ws[96];
		mask_names(have, hs, sizeof(hs));
		mask_names(want, ws, sizeof(ws));
		return cerr(c, t->loc, "rego_type_error",
		            "%s: invalid argument(s)\n\thave: operand %zu %s\n\twant: operand %zu %s",
		            b->name, i + 1, hs, i + 1, ws);
	}
	return 0;
}

static bool arity_ok(size_t have, size_t want, bool any_arity)
{
	return any_arity || have == want || have == want + 1;
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
	struct cvar *local = lookup_local(sc, segs[0], lens[0]);
	if (local == NULL && lens[0] == 4 && memcmp(segs[0], "data", 4) == 0) {
		user = true;
	} else if (local == NULL && c->mod && find_import(c, segs[0], lens[0])) {
		const ast_import *im = find_import(c, segs[0], lens[0]);
		const ast_term *p = im->path;
		for (size_t i = 1; p->kind == AT_REF && i < p->u.list.n && nk < 16; i++)
			keys[nk++] = p->u.list.items[i]->u.val;
		user = true;
		segs[0] = NULL;
	} else if (local == NULL && pkg_has_name(c->pkg, segs[0], lens[0])) {
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
		if (!arity_ok(t->u.call.nargs, g->nargs, any_arity))
			return cerr(c, t->loc, "rego_type_error", "%s: arity mismatch", t->u.call.name);
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
			if (!arity_ok(t->u.call.nargs, h->arity, any_arity))
				return cerr(c, t->loc, "rego_type_error", "%s: arity mismatch", name);
			t->u.call.target = h;
			t->u.call.target_kind = CALL_HOST;
			return 0;
		}
	}
	const struct rbi *b = rbi_lookup(name, nlen);
	if (b == NULL)
		return cerr(c, t->loc, "rego_type_error", "undefined function %s", name);
	if (!arity_ok(t->u.call.nargs, b->arity, any_arity))
		return cerr(c, t->loc, "rego_type_error", "%s: arity mismatch\n\thave: %zu arguments\n\twant: %u arguments",
		            name, t->u.call.nargs, b->arity);
	t->u.call.target = b;
	t->u.call.target_kind = CALL_BUILTIN;
	return any_arity ? 0 : check_arg_types(c, t, b);
}

static int cresolve_call(struct cctx *c, ast_term *t, struct cscope *sc)
{
	int r = resolve_list(c, t->u.call.args, t->u.call.nargs, sc);
	if (r < 0)
		return r;
	if (t->u.call.target_kind != CALL_UNRESOLVED)
		return 0;
	return resolve_target(c, t, sc, false);
}

static int resolve_closure(struct cctx *c, ast_term *t, struct cscope *sc)
{
	ast_term *extra[2] = {t->u.comp.val, t->kind == AT_OBJ_COMP ? t->u.comp.key : NULL};
	return cresolve_body(c, t->u.comp.body, sc, extra, 2, NULL);
}

static int resolve_with(struct cctx *c, ast_with *w, struct cscope *sc);

/* An array, set or object literal whose items are all constants becomes one
 * constant value, built once at compile time instead of at every
 * evaluation (Kata's policy_data is a large literal read by every request).
 * A literal object with conflicting duplicate keys is left alone: its error
 * belongs to evaluation. */
static int fold_constant(struct cctx *c, ast_term *t)
{
	size_t n = t->kind == AT_OBJ ? t->u.obj.n : t->u.list.n;
	for (size_t i = 0; i < n; i++) {
		if (t->kind == AT_OBJ) {
			if (t->u.obj.keys[i]->kind != AT_VALUE || t->u.obj.vals[i]->kind != AT_VALUE)
				return 0;
		} else if (t->u.list.items[i]->kind != AT_VALUE) {
			return 0;
		}
	}
	const rv *v = cconst_value(c->a, t);
	if (v == NULL)
		return 0;
	t->kind = AT_VALUE;
	t->u.val = v;
	return 0;
}

int cresolve_term(struct cctx *c, ast_term *t, struct cscope *sc)
{
	switch (t->kind) {
	case AT_VALUE:
		return 0;
	case AT_VAR:
		return resolve_var(c, t, sc);
	case AT_REF:
		return resolve_ref(c, t, sc);
	case AT_ARR:
	case AT_SET: {
		int r = resolve_list(c, t->u.list.items, t->u.list.n, sc);
		return r < 0 ? r : fold_constant(c, t);
	}
	case AT_TEMPLATE: {
		int r = resolve_list(c, t->u.list.items, t->u.list.n, sc);
		for (size_t i = 0; r == 0 && t->u.list.exprs && i < t->u.list.n; i++) {
			ast_expr *e = t->u.list.exprs[i];
			for (size_t k = 0; r == 0 && e && k < e->nwiths; k++)
				r = resolve_with(c, &e->withs[k], sc);
		}
		return r;
	}
	case AT_OBJ: {
		int r = resolve_list(c, t->u.obj.keys, t->u.obj.n, sc);
		if (r == 0)
			r = resolve_list(c, t->u.obj.vals, t->u.obj.n, sc);
		return r < 0 ? r : fold_constant(c, t);
	}
	case AT_ARR_COMP:
	case AT_SET_COMP:
	case AT_OBJ_COMP:
		return resolve_closure(c, t, sc);
	case AT_CALL:
		return cresolve_call(c, t, sc);
	}
	return 0;
}

/* `with` targets are paths, not variables: input..., data..., or a
 * function / builtin name. */
/* Makes a call node (no arguments) naming the function that term t spells
 * (`f`, `lib.f`, `count`), or returns NULL if t does not name one. */
static ast_term *as_function_ref(struct cctx *c, ast_term *t, struct cscope *sc)
{
	const char *segs[MAX_CALL_SEGS];
	size_t lens[MAX_CALL_SEGS], n;
	if ((t->kind != AT_VAR && t->kind != AT_REF) || call_segments(t, segs, lens, MAX_CALL_SEGS, &n) < 0)
		return NULL;
	if (lookup_local(sc, segs[0], lens[0]))
		return NULL;
	cc_buf nb;
	cc_buf_init(&nb, 4096);
	for (size_t i = 0; i < n; i++) {
		if (i)
			cc_buf_addc(&nb, '.');
		cc_buf_add(&nb, segs[i], lens[i]);
	}
	ast_term *call = rarena_zalloc(c->a, sizeof(*call));
	if (call == NULL) {
		cc_buf_free(&nb);
		return NULL;
	}
	call->kind = AT_CALL;
	call->loc = t->loc;
	call->u.call.op = t;
	call->u.call.name = rarena_strndup(c->a, nb.p ? nb.p : "", nb.len);
	cc_buf_free(&nb);
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

static bool names_function(struct cctx *c, ast_term *t, struct cscope *sc)
{
	return as_function_ref(c, t, sc) != NULL;
}

static int resolve_with(struct cctx *c, ast_with *w, struct cscope *sc)
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
	if (name_is(head, "input") || name_is(head, "data")) {
		head->u.var.scope = name_is(head, "data") ? AV_DATA : AV_INPUT;
		head->u.var.slot = -1;
		return 0;
	}
	/* A function or builtin: resolve it like a call with no arguments. */
	ast_term *call = rarena_zalloc(c->a, sizeof(*call));
	if (call == NULL)
		return -ENOMEM;
	call->kind = AT_CALL;
	call->loc = tg->loc;
	call->u.call.op = tg;
	cc_buf nb;
	cc_buf_init(&nb, 4096);
	const char *segs[MAX_CALL_SEGS];
	size_t lens[MAX_CALL_SEGS], n;
	if (call_segments(tg, segs, lens, MAX_CALL_SEGS, &n) < 0) {
		cc_buf_free(&nb);
		return cerr(c, w->loc, "rego_type_error", "with keyword target must reference existing input, data, or a function");
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			cc_buf_addc(&nb, '.');
		cc_buf_add(&nb, segs[i], lens[i]);
	}
	call->u.call.name = rarena_strndup(c->a, nb.p ? nb.p : "", nb.len);
	cc_buf_free(&nb);
	if (call->u.call.name == NULL)
		return -ENOMEM;
	/* Arity is unknown here: accept whatever the target declares. */
	rgroup *saved = c->cur;
	c->cur = NULL;
	r = resolve_target(c, call, sc, true);
	c->cur = saved;
	if (r < 0)
		return r;
	w->target = call;
	return 0;
}

int cresolve_body(struct cctx *c, ast_body *b, struct cscope *parent,
                  ast_term **extra, size_t nextra, struct cscope **ret)
{
	struct cscope *sc = cscope_new(c, parent);
	if (sc == NULL)
		return -ENOMEM;
	b->scope = sc->id;
	int r = 0;
	for (size_t i = 0; r == 0 && i < b->n; i++) {
		sc->cur_pos = (int32_t)i;
		r = declare_expr(c, sc, b->exprs[i]);
	}
	sc->cur_pos = (int32_t)b->n;
	for (size_t i = 0; r == 0 && i < b->n; i++)
		r = collect_expr(c, sc, b->exprs[i]);
	for (size_t i = 0; r == 0 && i < nextra; i++)
		if (extra[i])
			r = collect_term(c, sc, extra[i]);
	for (size_t i = 0; r == 0 && i < b->n; i++) {
		ast_expr *e = b->exprs[i];
		sc->cur_pos = (int32_t)i;
		switch (e->kind) {
		case AE_SOME:
			for (size_t k = 0; r == 0 && k < e->some.nvars; k++)
				r = cresolve_term(c, e->some.vars[k], sc);
			break;
		case AE_SOME_IN:
			if (e->some.key)
				r = cresolve_term(c, e->some.key, sc);
			if (r == 0)
				r = cresolve_term(c, e->some.val, sc);
			if (r == 0)
				r = cresolve_term(c, e->some.coll, sc);
			break;
		case AE_EVERY: {
			r = cresolve_term(c, e->some.coll, sc);
			struct cscope *es = r == 0 ? cscope_new(c, sc) : NULL;
			if (r == 0 && es == NULL)
				r = -ENOMEM;
			if (r == 0 && e->some.key)
				r = cscope_declare_pattern(c, es, e->some.key);
			if (r == 0)
				r = cscope_declare_pattern(c, es, e->some.val);
			if (r == 0 && e->some.key)
				r = cresolve_term(c, e->some.key, es);
			if (r == 0)
				r = cresolve_term(c, e->some.val, es);
			if (r == 0)
				r = cresolve_body(c, e->some.body, es, NULL, 0, NULL);
			break;
		}
		default:
			if (e->a)
				r = cresolve_term(c, e->a, sc);
			if (r == 0 && e->b)
				r = cresolve_term(c, e->b, sc);
			break;
		}
		for (size_t k = 0; r == 0 && k < e->nwiths; k++)
			r = resolve_with(c, &e->withs[k], sc);
	}
	sc->cur_pos = (int32_t)b->n;
	for (size_t i = 0; r == 0 && i < nextra; i++)
		if (extra[i])
			r = cresolve_term(c, extra[i], sc);
	if (r < 0)
		return r;
	if (ret)
		*ret = sc;
	return 0;
}
