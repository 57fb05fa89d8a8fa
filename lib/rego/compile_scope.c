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

struct cvar *cscope_find(struct cscope *sc, const char *name, size_t len)
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
	v->uses = 0;
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
	struct cvar *v = cscope_find(sc, var->u.var.name, var->u.var.len);
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

/* ---- collecting own vars of a body level ---- */

bool cnames_function(struct cctx *c, ast_term *t, struct cscope *sc);

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
	if (cscope_lookup(sc, name, len) || cis_global_name(c, t))
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
		if (!cnames_function(c, e->withs[i].value, sc))
			r = collect_term(c, sc, e->withs[i].value);
	return r;
}

/* ---- rewriting ---- */

int cresolve_list(struct cctx *c, ast_term **items, size_t n, struct cscope *sc)
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
	struct cvar *v = cscope_lookup(sc, t->u.var.name, t->u.var.len);
	if (v) {
		v->uses++;
		t->u.var.scope = AV_LOCAL;
		t->u.var.slot = v->slot;
		return 0;
	}
	if (cname_is(t, "input") || cname_is(t, "data")) {
		t->u.var.scope = cname_is(t, "data") ? AV_DATA : AV_INPUT;
		t->u.var.slot = -1;
		return 0;
	}
	if (cis_global_name(c, t)) {
		ast_term **items;
		size_t n;
		int r = cglobal_prefix(c, t, &items, &n);
		if (r < 0)
			return r;
		if (n == 1) {
			*t = *items[0];
			return 0;
		}
		t->kind = AT_REF;
		t->u.list.items = items;
		t->u.list.n = n;
		return items[0]->u.var.scope == AV_DATA ? cadd_ref_deps(c, t) : 0;
	}
	return cerr(c, t->loc, "rego_compile_error", "var %s is undeclared", t->u.var.name);
}

static int resolve_ref(struct cctx *c, ast_term *t, struct cscope *sc)
{
	ast_term *head = t->u.list.items[0];
	int r = cresolve_list(c, t->u.list.items + 1, t->u.list.n - 1, sc);
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
		return cadd_ref_deps(c, t);
	return 0;
}

static int resolve_closure(struct cctx *c, ast_term *t, struct cscope *sc)
{
	ast_term *extra[2] = {t->u.comp.val, t->kind == AT_OBJ_COMP ? t->u.comp.key : NULL};
	return cresolve_body(c, t->u.comp.body, sc, extra, 2, NULL);
}

int cresolve_with(struct cctx *c, ast_with *w, struct cscope *sc);

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
		int r = cresolve_list(c, t->u.list.items, t->u.list.n, sc);
		return r < 0 ? r : fold_constant(c, t);
	}
	case AT_TEMPLATE: {
		int r = cresolve_list(c, t->u.list.items, t->u.list.n, sc);
		for (size_t i = 0; r == 0 && t->u.list.exprs && i < t->u.list.n; i++) {
			ast_expr *e = t->u.list.exprs[i];
			for (size_t k = 0; r == 0 && e && k < e->nwiths; k++)
				r = cresolve_with(c, &e->withs[k], sc);
		}
		return r;
	}
	case AT_OBJ: {
		int r = cresolve_list(c, t->u.obj.keys, t->u.obj.n, sc);
		if (r == 0)
			r = cresolve_list(c, t->u.obj.vals, t->u.obj.n, sc);
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
/* ---- hoisting out of negations ----
 *
 * OPA's compiler (rewriteDynamicTerms, v1/ast/compile.go) moves the
 * references and calls that are arguments of an expression into fresh
 * variables unified by expressions placed before it. That is invisible for
 * positive expressions, but not under `not`: in `not startswith(input.x,
 * "a")` an undefined input.x makes the whole body fail (the hoisted
 * `$h = input.x` fails), where evaluating it inside the negation would
 * make `not` succeed. We hoist the same terms for negated expressions. */

struct hoist {
	struct cctx *c;
	struct cscope *parent;
	ast_expr **out; /* hoisted expressions, in order */
	size_t n, cap;
	ast_loc loc;
};

static ast_term *hoist_one(struct hoist *h, ast_term *t);

static ast_term *hoist_into_var(struct hoist *h, ast_term *t)
{
	struct cctx *c = h->c;
	char name[32];
	int len = snprintf(name, sizeof(name), "$h%u", c->nhoist++);
	ast_term *v = rarena_zalloc(c->a, sizeof(*v));
	ast_expr *e = rarena_zalloc(c->a, sizeof(*e));
	if (v == NULL || e == NULL)
		return NULL;
	v->kind = AT_VAR;
	v->loc = t->loc;
	v->u.var.name = rarena_strndup(c->a, name, (size_t)len);
	v->u.var.len = (uint32_t)len;
	v->u.var.slot = -1;
	if (v->u.var.name == NULL)
		return NULL;
	e->kind = AE_UNIFY;
	e->loc = h->loc;
	e->a = v;
	e->b = t;
	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 4;
		ast_expr **no = rarena_nalloc(c->a, ncap, sizeof(*no));
		if (no == NULL)
			return NULL;
		if (h->n)
			memcpy(no, h->out, h->n * sizeof(*no));
		h->out = no;
		h->cap = ncap;
	}
	h->out[h->n++] = e;
	return v;
}

static bool hoist_list(struct hoist *h, ast_term **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((items[i] = hoist_one(h, items[i])) == NULL)
			return false;
	return true;
}

/* OPA's rewriteDynamicsOne: references (with their index terms first) and
 * calls become variables; composites are rewritten element by element. */
static ast_term *hoist_one(struct hoist *h, ast_term *t)
{
	switch (t->kind) {
	case AT_REF:
		if (!hoist_list(h, t->u.list.items + 1, t->u.list.n - 1))
			return NULL;
		return hoist_into_var(h, t);
	case AT_VAR:
		/* A rule name is a reference to data in OPA. */
		if (!cname_is(t, "input") && !cname_is(t, "data") && cis_global_name(h->c, t) &&
		    cscope_lookup(h->parent, t->u.var.name, t->u.var.len) == NULL)
			return hoist_into_var(h, t);
		return t;
	case AT_CALL:
		if (t->u.call.name && strcmp(t->u.call.name, "print") == 0)
			return t;
		if (!hoist_list(h, t->u.call.args, t->u.call.nargs))
			return NULL;
		return hoist_into_var(h, t);
	case AT_ARR:
	case AT_SET:
		return hoist_list(h, t->u.list.items, t->u.list.n) ? t : NULL;
	case AT_OBJ:
		if (!hoist_list(h, t->u.obj.keys, t->u.obj.n) || !hoist_list(h, t->u.obj.vals, t->u.obj.n))
			return NULL;
		return t;
	default:
		return t;
	}
}

/* OPA's rewriteDynamicsInTerm: a reference operand keeps its place, only
 * its index terms move; anything else goes through hoist_one. */
static ast_term *hoist_in_term(struct hoist *h, ast_term *t)
{
	if (t->kind == AT_REF)
		return hoist_list(h, t->u.list.items + 1, t->u.list.n - 1) ? t : NULL;
	if (t->kind == AT_VAR)
		return t; /* a var, or a rule name (a reference without indexes) */
	return hoist_one(h, t);
}

static bool hoist_expr(struct hoist *h, ast_expr *e)
{
	ast_term *t = e->a;
	if (e->kind == AE_UNIFY)
		return (e->a = hoist_in_term(h, e->a)) != NULL && (e->b = hoist_in_term(h, e->b)) != NULL;
	if (e->kind != AE_TERM)
		return true;
	if (t->kind != AT_CALL)
		return (e->a = hoist_in_term(h, t)) != NULL;
	if (t->u.call.name && strcmp(t->u.call.name, "print") == 0)
		return true;
	/* OPA turns x == y into unification before this rewrite. */
	bool eq = t->u.call.name && strcmp(t->u.call.name, "equal") == 0 && t->u.call.nargs == 2;
	for (size_t i = 0; i < t->u.call.nargs; i++) {
		ast_term *a = eq ? hoist_in_term(h, t->u.call.args[i]) : hoist_one(h, t->u.call.args[i]);
		if (a == NULL)
			return false;
		t->u.call.args[i] = a;
	}
	return true;
}

static int hoist_negations(struct cctx *c, ast_body *b, struct cscope *parent)
{
	for (size_t i = 0; i < b->n; i++) {
		ast_expr *e = b->exprs[i];
		/* (An expression with `with` keeps its terms: the hoisted ones
		 * would need the same modifiers.) */
		if (!e->negated || e->nwiths)
			continue;
		struct hoist h = {.c = c, .parent = parent, .loc = e->loc};
		if (!hoist_expr(&h, e))
			return -ENOMEM;
		if (h.n == 0)
			continue;
		ast_expr **ne = rarena_nalloc(c->a, b->n + h.n, sizeof(*ne));
		if (ne == NULL)
			return -ENOMEM;
		memcpy(ne, b->exprs, i * sizeof(*ne));
		memcpy(ne + i, h.out, h.n * sizeof(*ne));
		memcpy(ne + i + h.n, b->exprs + i, (b->n - i) * sizeof(*ne));
		b->exprs = ne;
		b->n += h.n;
		i += h.n;
	}
	return 0;
}

/* OPA's "declared var x unused": a var that `some x` or `every k, v`
 * declares must be used after its declaration (its own occurrence is the
 * one use a declaration has). Wildcards and generated names are exempt. */
static int check_used(struct cctx *c, struct cscope *sc, ast_term *t, ast_loc loc)
{
	if (t == NULL || t->kind != AT_VAR || t->u.var.wildcard || t->u.var.name[0] == '$')
		return 0;
	struct cvar *v = cscope_find(sc, t->u.var.name, t->u.var.len);
	if (v == NULL || v->uses > 1)
		return 0;
	return cerr(c, loc, "rego_compile_error", "declared var %s unused", t->u.var.name);
}

int cresolve_body(struct cctx *c, ast_body *b, struct cscope *parent,
                  ast_term **extra, size_t nextra, struct cscope **ret)
{
	int r = hoist_negations(c, b, parent);
	if (r < 0)
		return r;
	struct cscope *sc = cscope_new(c, parent);
	if (sc == NULL)
		return -ENOMEM;
	b->scope = sc->id;
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
			if (r == 0)
				r = check_used(c, es, e->some.key, e->loc);
			if (r == 0)
				r = check_used(c, es, e->some.val, e->loc);
			break;
		}
		default:
			c->output_call = (e->kind == AE_TERM && e->a && e->a->kind == AT_CALL) ? e->a : NULL;
			if (e->a)
				r = cresolve_term(c, e->a, sc);
			if (r == 0 && e->b)
				r = cresolve_term(c, e->b, sc);
			break;
		}
		for (size_t k = 0; r == 0 && k < e->nwiths; k++)
			r = cresolve_with(c, &e->withs[k], sc);
	}
	sc->cur_pos = (int32_t)b->n;
	for (size_t i = 0; r == 0 && i < nextra; i++)
		if (extra[i])
			r = cresolve_term(c, extra[i], sc);
	for (size_t i = 0; r == 0 && i < b->n; i++)
		for (size_t k = 0; r == 0 && b->exprs[i]->kind == AE_SOME && k < b->exprs[i]->some.nvars; k++)
			r = check_used(c, sc, b->exprs[i]->some.vars[k], b->exprs[i]->loc);
	if (r < 0)
		return r;
	if (ret)
		*ret = sc;
	return 0;
}
