/* The metadata builtin group: rego.metadata.chain, rego.metadata.rule and
 * rego.parse_module.
 *
 * As in OPA, rego.metadata.* are not evaluated: the compiler replaces each
 * call in a rule by a constant built from the rule's annotations
 * (rmeta_rewrite, called from rcompile before names are resolved). What
 * reaches the evaluator is a call from a query, which OPA's evaluator does
 * not implement either: eval_internal_error "unsupported built-in". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../annotations.h"
#include "../ast_json.h"
#include "../bi.h"
#include "../parser.h"
#include "../rctx.h"
#include "cocoon/limits.h"

/* ---- the annotation set ---- */

struct aent {
	const rv *path; /* below data: ["pkg", ..., "rule"] */
	const ast_annot *an;
	const char *file;
	size_t seq; /* declaration order */
};

struct aset {
	rarena *a;
	cc_error **err;
	struct aent *pkg, *path;
	size_t npkg, npath;
};

static const rv *pkg_path(rarena *a, const ast_module *m)
{
	const ast_term *p = m->package;
	size_t n = p->kind == AT_REF ? p->u.list.n - 1 : 0;
	const rv **keys = rarena_nalloc(a, n + 1, sizeof(*keys));
	if (keys == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		keys[i] = p->u.list.items[i + 1]->u.val;
	return rv_arr(a, keys, n);
}

/* data.<pkg>.<rule's ground head prefix> without data (Ref.GroundPrefix). */
static const rv *rule_path(rarena *a, const rv *pkg, const ast_rule *r)
{
	const ast_term *h = r->head;
	size_t n = h->kind == AT_REF ? h->u.list.n : 1;
	const rv **keys = rarena_nalloc(a, pkg->u.a.n + n + 1, sizeof(*keys));
	if (keys == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < pkg->u.a.n; i++)
		keys[k++] = pkg->u.a.v[i];
	const ast_term *first = h->kind == AT_REF ? h->u.list.items[0] : h;
	keys[k++] = rv_str(a, first->u.var.name, first->u.var.len);
	for (size_t i = 1; i < n && h->u.list.items[i]->kind == AT_VALUE; i++)
		keys[k++] = h->u.list.items[i]->u.val;
	for (size_t i = 0; i < k; i++)
		if (keys[i] == NULL)
			return NULL;
	return rv_arr(a, keys, k);
}

static const char *const scope_names[] = {"", "rule", "document", "package", "subpackages"};

static int redeclared(struct aset *s, const struct aent *e, const struct aent *other)
{
	return cc_error_set_at(s->err, -EINVAL, "rego_type_error", e->file, (int)e->an->loc.line,
	                       (int)e->an->loc.col, "%s annotation redeclared: %s:%u",
	                       scope_names[e->an->scope], other->file, other->an->loc.line);
}

static int aset_add(struct aset *s, const ast_module *m, const rv *pkg, const ast_annot *an)
{
	struct aent e = {NULL, an, m->file, s->npkg + s->npath};
	if (an->scope == AN_PACKAGE) {
		e.path = pkg;
		s->pkg[s->npkg++] = e;
		return 0;
	}
	if (an->scope == AN_DOCUMENT)
		e.path = rule_path(s->a, pkg, an->rule);
	else if (an->scope == AN_SUBPACKAGES)
		e.path = pkg;
	else
		return 0;
	if (e.path == NULL)
		return -ENOMEM;
	s->path[s->npath++] = e;
	return 0;
}

/* By path, then in the order they were declared. */
static int aent_cmp(const void *x, const void *y)
{
	const struct aent *a = x, *b = y;
	int c = rv_cmp(a->path, b->path);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* Sorts the entries; two at one path are OPA's "redeclared" error (the
 * later names the earlier). Package-scope paths and document/subpackages
 * paths are separate trees, as in OPA. */
static int aset_sort(struct aset *s, struct aent *v, size_t n)
{
	qsort(v, n, sizeof(*v), aent_cmp);
	for (size_t i = 1; i < n; i++)
		if (rv_eq(v[i].path, v[i - 1].path))
			return redeclared(s, &v[i], &v[i - 1]);
	return 0;
}

static const struct aent *aset_find(const struct aent *v, size_t n, const rv *path)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rv_cmp(v[mid].path, path);
		if (c == 0)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- chain and rule values ---- */

static const rv *link(rarena *a, const rv *path, const rv *annot)
{
	const rv *k[2] = {rv_cstr(a, "path"), rv_cstr(a, "annotations")};
	const rv *v[2] = {path, annot};
	if (k[0] == NULL || k[1] == NULL)
		return NULL;
	return rv_obj(a, k, v, annot ? 2 : 1, NULL);
}

/* The annotations attached to r sit right before it in the module's
 * line-sorted list: *first is the index of the first of them, the count is
 * returned (a binary search, so a block per rule stays linear overall). */
static size_t attached(const ast_module *m, const ast_rule *r, size_t *first)
{
	size_t lo = 0, hi = m->nannots;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->annots[mid].loc.line < r->loc.line)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (lo > 0 && m->annots[lo - 1].rule == r)
		lo--;
	*first = lo;
	return end - lo;
}

static const rv *chain_value(const struct aset *s, const ast_module *m, const rv *pkg,
                             const ast_rule *r)
{
	rarena *a = s->a;
	const rv *rpath = rule_path(a, pkg, r);
	if (rpath == NULL)
		return NULL;
	size_t first, na = attached(m, r, &first);
	const rv **items = rarena_nalloc(a, na + pkg->u.a.n + 4, sizeof(*items));
	if (items == NULL)
		return NULL;
	size_t n = 0;
	/* the rule's blocks, closest (last) first */
	for (size_t i = first + na; i-- > first;)
		if (m->annots[i].scope == AN_RULE)
			items[n++] = link(a, rpath, m->annots[i].obj);
	if (n == 0)
		items[n++] = link(a, rpath, NULL);
	const struct aent *e = aset_find(s->path, s->npath, rpath);
	if (e != NULL && e->an->scope == AN_DOCUMENT)
		items[n++] = link(a, rpath, e->an->obj);
	if ((e = aset_find(s->pkg, s->npkg, pkg)) != NULL)
		items[n++] = link(a, pkg, e->an->obj);
	/* subpackages: the package itself, then its parents up to the root */
	for (size_t len = pkg->u.a.n + 1; len-- > 0;) {
		const rv *prefix = rv_arr_share(a, pkg->u.a.v, len);
		if (prefix == NULL)
			return NULL;
		e = aset_find(s->path, s->npath, prefix);
		if (e != NULL && e->an->scope == AN_SUBPACKAGES)
			items[n++] = link(a, prefix, e->an->obj);
	}
	for (size_t i = 0; i < n; i++)
		if (items[i] == NULL)
			return NULL;
	return rv_arr(a, items, n);
}

static const rv *rule_value(const ast_module *m, const ast_rule *r)
{
	size_t first, na = attached(m, r, &first);
	for (size_t i = first + na; i-- > first;)
		if (m->annots[i].scope == AN_RULE)
			return m->annots[i].obj;
	return rv_empty_obj();
}

/* ---- rewriting the calls ---- */

struct rw {
	const struct aset *s;
	const ast_module *m;
	const rv *pkg;
	const ast_rule *rule; /* the top rule (else branches share its annotations) */
	const rv *chain, *rulev;
};

static int rw_term(struct rw *w, ast_term *t);
static int rw_body(struct rw *w, ast_body *b);

/* The constant for a call, or NULL if t is no rego.metadata.* call. */
static int meta_const(struct rw *w, const ast_term *t, const rv **ret)
{
	*ret = NULL;
	if (t->kind != AT_CALL || t->u.call.name == NULL)
		return 0;
	if (strcmp(t->u.call.name, "rego.metadata.chain") == 0) {
		if (w->chain == NULL && (w->chain = chain_value(w->s, w->m, w->pkg, w->rule)) == NULL)
			return -ENOMEM;
		*ret = w->chain;
	} else if (strcmp(t->u.call.name, "rego.metadata.rule") == 0) {
		if (w->rulev == NULL)
			w->rulev = rule_value(w->m, w->rule);
		*ret = w->rulev;
	}
	return 0;
}

static int rw_terms(struct rw *w, ast_term **items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = rw_term(w, items[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int rw_term(struct rw *w, ast_term *t)
{
	if (t == NULL)
		return 0;
	int r;
	switch (t->kind) {
	case AT_REF:
	case AT_ARR:
	case AT_SET:
	case AT_TEMPLATE:
		if ((r = rw_terms(w, t->u.list.items, t->u.list.n)) < 0)
			return r;
		if (t->kind == AT_TEMPLATE && t->u.list.exprs != NULL)
			for (size_t i = 0; i < t->u.list.n; i++) {
				ast_expr *e = t->u.list.exprs[i];
				for (size_t k = 0; e && k < e->nwiths; k++)
					if ((r = rw_term(w, e->withs[k].value)) < 0)
						return r;
			}
		return 0;
	case AT_OBJ:
		if ((r = rw_terms(w, t->u.obj.keys, t->u.obj.n)) < 0)
			return r;
		return rw_terms(w, t->u.obj.vals, t->u.obj.n);
	case AT_ARR_COMP:
	case AT_SET_COMP:
	case AT_OBJ_COMP:
		if ((r = rw_term(w, t->u.comp.key)) < 0 || (r = rw_term(w, t->u.comp.val)) < 0)
			return r;
		return rw_body(w, t->u.comp.body);
	case AT_CALL: {
		if ((r = rw_terms(w, t->u.call.args, t->u.call.nargs)) < 0)
			return r;
		const rv *v;
		if ((r = meta_const(w, t, &v)) < 0)
			return r;
		if (v != NULL && t->u.call.nargs == 0) {
			t->kind = AT_VALUE;
			t->u.val = v;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static int rw_expr(struct rw *w, ast_expr *e)
{
	int r;
	/* `rego.metadata.rule(x)`: the output form unifies x with the value */
	if (e->kind == AE_TERM && e->a->kind == AT_CALL && e->a->u.call.nargs == 1) {
		const rv *v;
		if ((r = meta_const(w, e->a, &v)) < 0)
			return r;
		if (v != NULL) {
			ast_term *out = e->a->u.call.args[0];
			e->a->kind = AT_VALUE;
			e->a->u.val = v;
			e->b = e->a;
			e->a = out;
			e->kind = AE_UNIFY;
		}
	}
	if ((r = rw_term(w, e->a)) < 0 || (r = rw_term(w, e->b)) < 0)
		return r;
	if ((r = rw_term(w, e->some.key)) < 0 || (r = rw_term(w, e->some.val)) < 0 ||
	    (r = rw_term(w, e->some.coll)) < 0 || (r = rw_body(w, e->some.body)) < 0)
		return r;
	for (size_t i = 0; i < e->nwiths; i++)
		if ((r = rw_term(w, e->withs[i].value)) < 0)
			return r;
	return 0;
}

static int rw_body(struct rw *w, ast_body *b)
{
	for (size_t i = 0; b && i < b->n; i++) {
		int r = rw_expr(w, b->exprs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int rw_rule(struct rw *w, ast_rule *r)
{
	for (; r != NULL; r = r->els) {
		int e;
		if ((e = rw_term(w, r->head)) < 0 || (e = rw_term(w, r->key)) < 0 ||
		    (e = rw_term(w, r->value)) < 0 || (e = rw_terms(w, r->args, r->nargs)) < 0 ||
		    (e = rw_body(w, r->body)) < 0)
			return e;
	}
	return 0;
}

int rmeta_rewrite(rarena *a, ast_module **mods, size_t nmods, cc_error **err)
{
	size_t total = 0;
	for (size_t i = 0; i < nmods; i++)
		total += mods[i]->nannots;
	struct aset s = {.a = a, .err = err};
	s.pkg = rarena_nalloc(a, total + 1, sizeof(*s.pkg));
	s.path = rarena_nalloc(a, total + 1, sizeof(*s.path));
	const rv **pkgs = rarena_nalloc(a, nmods + 1, sizeof(*pkgs));
	if (s.pkg == NULL || s.path == NULL || pkgs == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < nmods; i++) {
		if ((pkgs[i] = pkg_path(a, mods[i])) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		for (size_t k = 0; k < mods[i]->nannots; k++)
			if (aset_add(&s, mods[i], pkgs[i], &mods[i]->annots[k]) < 0)
				return cc_error_set(err, -ENOMEM, "out of memory");
	}
	int r = aset_sort(&s, s.pkg, s.npkg);
	if (r == 0)
		r = aset_sort(&s, s.path, s.npath);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nmods; i++) {
		for (size_t k = 0; k < mods[i]->nrules; k++) {
			struct rw w = {&s, mods[i], pkgs[i], mods[i]->rules[k], NULL, NULL};
			r = rw_rule(&w, mods[i]->rules[k]);
			if (r < 0)
				return cc_error_set(err, r, "out of memory");
		}
	}
	return 0;
}

/* ---- builtins ---- */

/* Called from a query (a rule's calls were replaced by constants). */
static int bi_unsupported(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)args;
	(void)ret;
	cc_error_free(cx->err);
	cx->err = NULL;
	cc_error_set_at(&cx->err, -EINVAL, "eval_internal_error", NULL, 0, 0, "unsupported built-in");
	return -EINVAL;
}

/* rego.parse_module(filename, source): OPA's ast.ParseModule (annotations
 * not processed), as AST JSON. A parse error is a builtin error with the
 * text of OPA's ast.Errors. */
static int bi_parse_module(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *file, *src;
	size_t flen, slen;
	int r = rbi_arg_str(cx, args, 0, &file, &flen);
	if (r == 0)
		r = rbi_arg_str(cx, args, 1, &src, &slen);
	if (r < 0)
		return r;
	if (memchr(file, '\0', flen) != NULL)
		return rbi_err(cx, "file name contains a NUL byte");
	rarena *a = rctx_arena(cx);
	struct rparse_opts po = {.no_annotations = true};
	ast_module *m;
	cc_error *perr = NULL;
	r = rparse_module(a, file, src, slen, &po, &m, &perr);
	if (r < 0) {
		if (r == -ENOMEM) {
			cc_error_free(perr);
			return rbi_oom(cx);
		}
		const char *f = perr ? cc_error_file(perr) : NULL;
		int line = perr ? cc_error_line(perr) : 0;
		const char *kind = perr && cc_error_kind(perr) ? cc_error_kind(perr) : "rego_parse_error";
		const char *msg = perr ? cc_error_message(perr) : "parse error";
		if (f != NULL && *f != '\0')
			r = rbi_err(cx, "1 error occurred: %s:%d: %s: %s", f, line, kind, msg);
		else
			r = rbi_err(cx, "1 error occurred: %d: %s: %s", line, kind, msg);
		cc_error_free(perr);
		return r;
	}
	*ret = rast_module_json(a, m);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_metadata[] = {
    {.name = "rego.metadata.chain", .arity = 0, .fn = bi_unsupported, .rett = RT_ARR},
    {.name = "rego.metadata.rule", .arity = 0, .fn = bi_unsupported, .rett = RT_ANY},
    {.name = "rego.parse_module", .arity = 2, .fn = bi_parse_module, .argt = {RT_STR, RT_STR},
     .rett = RT_OBJ},
    {0},
};
