/* Global names in rule bodies: input, data, imports and the rule names of
 * a package, rewritten to absolute refs; rule dependencies for the
 * recursion check (compile_int.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "compile_int.h"

/* ---- globals: input, data, imports, rule names ---- */


const ast_import *cimport_find(struct cctx *c, const char *name, size_t len)
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
		if (!cname_is(head, "data") && !cname_is(head, "input"))
			continue;
		if (p->kind == AT_VAR && im->alias == NULL)
			continue; /* `import data` / `import input`: nothing new */
		if (alen == len && memcmp(alias, name, len) == 0)
			return im;
	}
	return NULL;
}

bool cpkg_has_name(const struct cpkg *pkg, const char *name, size_t len)
{
	if (pkg == NULL)
		return false;
	size_t lo = 0, hi = pkg->nnames;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *n = pkg->names[mid];
		int cmp = rname_cmp(n, name, len);
		if (cmp == 0)
			return true;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool cis_global_name(struct cctx *c, const ast_term *v)
{
	const char *n = v->u.var.name;
	size_t len = v->u.var.len;
	if (cname_is(v, "input") || cname_is(v, "data"))
		return true;
	if (cimport_find(c, n, len))
		return true;
	return cpkg_has_name(c->pkg, n, len);
}

struct cvar *cscope_lookup(struct cscope *sc, const char *name, size_t len)
{
	for (struct cscope *s = sc; s; s = s->parent) {
		struct cvar *v = cscope_find(s, name, len);
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
int cglobal_prefix(struct cctx *c, const ast_term *v, ast_term ***ret, size_t *ret_n)
{
	const char *name = v->u.var.name;
	size_t len = v->u.var.len;
	ast_loc loc = v->loc;
	const ast_import *im = cimport_find(c, name, len);
	if (im && cscope_lookup(NULL, name, len) == NULL) {
		const ast_term *p = im->path;
		size_t n = p->kind == AT_VAR ? 1 : p->u.list.n;
		ast_term **items = rarena_nalloc(c->a, n, sizeof(*items));
		if (items == NULL)
			return -ENOMEM;
		const ast_term *head = p->kind == AT_VAR ? p : p->u.list.items[0];
		items[0] = mk_root(c, cname_is(head, "data") ? "data" : "input", loc);
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

int cadd_ref_deps(struct cctx *c, const ast_term *ref)
{
	if (c->cur == NULL)
		return 0;
	return ref_deps_from(c, c->prog->root, ref, 1);
}
