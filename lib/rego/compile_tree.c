/* Rule tree: the data namespace of packages and rule groups (compile.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "compile_int.h"

rnode *rnode_child(const rnode *n, const rv *key)
{
	size_t lo = 0, hi = n->nkids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rv_cmp(n->kids[mid]->key, key);
		if (c == 0)
			return n->kids[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static rnode *child_add(rarena *a, rnode *n, const rv *key)
{
	rnode *c = rnode_child(n, key);
	if (c)
		return c;
	if (n->nkids == n->capkids) {
		size_t ncap = n->capkids ? n->capkids * 2 : 4;
		rnode **nk = rarena_nalloc(a, ncap, sizeof(*nk));
		if (nk == NULL)
			return NULL;
		if (n->nkids)
			memcpy(nk, n->kids, n->nkids * sizeof(*nk));
		n->kids = nk;
		n->capkids = ncap;
	}
	c = rarena_zalloc(a, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->key = key;
	c->parent = n;
	size_t pos = n->nkids;
	while (pos > 0 && rv_cmp(n->kids[pos - 1]->key, key) > 0) {
		n->kids[pos] = n->kids[pos - 1];
		pos--;
	}
	n->kids[pos] = c;
	n->nkids++;
	return c;
}

rnode *ctree_node(rarena *a, rnode *root, const rv *const *path, size_t n)
{
	rnode *cur = root;
	for (size_t i = 0; cur && i < n; i++)
		cur = child_add(a, cur, path[i]);
	return cur;
}

int cgroup_add_dep(rarena *a, rgroup *g, rgroup *dep)
{
	for (size_t i = 0; i < g->ndeps; i++)
		if (g->deps[i] == dep)
			return 0;
	if (g->ndeps == g->capdeps) {
		size_t ncap = g->capdeps ? g->capdeps * 2 : 4;
		rgroup **nd = rarena_nalloc(a, ncap, sizeof(*nd));
		if (nd == NULL)
			return -ENOMEM;
		if (g->ndeps)
			memcpy(nd, g->deps, g->ndeps * sizeof(*nd));
		g->deps = nd;
		g->capdeps = ncap;
	}
	g->deps[g->ndeps++] = dep;
	return 0;
}

/* Adds every group in the subtree of n as a dependency of g. */
int cgroup_add_subtree_deps(rarena *a, rgroup *g, const rnode *n)
{
	if (n->group) {
		int r = cgroup_add_dep(a, g, n->group);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n->nkids; i++) {
		int r = cgroup_add_subtree_deps(a, g, n->kids[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Depth-first search for a cycle through the dependency edges. */
static int visit(rgroup *g, rgroup **stack, size_t depth, size_t max, cc_error **err)
{
	if (g->mark == 2)
		return 0;
	if (depth >= max)
		return cc_error_set_at(err, -ELOOP, "rego_recursion_error", NULL, 0, 0,
		                       "rule dependencies nest too deeply");
	stack[depth] = g;
	if (g->mark == 1) {
		/* Cycle: report it from the first occurrence of g. */
		size_t start = 0;
		while (stack[start] != g)
			start++;
		char msg[1024];
		size_t off = 0;
		for (size_t i = start; i <= depth && off < sizeof(msg); i++)
			off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s%s",
			                        i > start ? " -> " : "", stack[i]->name);
		ast_rule *r0 = g->nrules ? g->rules[0] : g->deflt;
		return cc_error_set_at(err, -ELOOP, "rego_recursion_error", r0 ? r0->file : NULL,
		                       r0 ? (int)r0->loc.line : 0, r0 ? (int)r0->loc.col : 0,
		                       "rule %s is recursive: %s", g->name, msg);
	}
	g->mark = 1;
	for (size_t i = 0; i < g->ndeps; i++) {
		int r = visit(g->deps[i], stack, depth + 1, max, err);
		if (r < 0)
			return r;
	}
	g->mark = 2;
	return 0;
}

int ccheck_recursion(rprog *p, cc_error **err)
{
	size_t max = p->ngroups + 1;
	rgroup **stack = rarena_nalloc(p->a, max, sizeof(*stack));
	if (stack == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < p->ngroups; i++) {
		int r = visit(p->groups[i], stack, 0, max, err);
		if (r < 0)
			return r;
	}
	return 0;
}
