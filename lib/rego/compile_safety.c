/* Safety: reorder body expressions so every variable is bound before it is
 * read, as OPA's reorderBodyForSafety does (v1/ast/compile.go): repeated
 * passes in source order append each expression once all its variables
 * are safe, so the reordering is minimal (compile_int.h). */
#include <errno.h>
#include <string.h>

#include "compile_int.h"

struct sctx {
	struct cctx *c;
	uint32_t scope; /* the body level being checked */
	size_t nw;      /* words per var set */
};

typedef uint64_t *vset;

static vset vs_new(struct sctx *s)
{
	return rarena_zalloc(s->c->a, s->nw * sizeof(uint64_t) + 8);
}

static bool vs_has(const uint64_t *v, int32_t slot)
{
	return (v[(uint32_t)slot / 64] >> ((uint32_t)slot % 64)) & 1u;
}

static void vs_add(uint64_t *v, int32_t slot)
{
	v[(uint32_t)slot / 64] |= (uint64_t)1 << ((uint32_t)slot % 64);
}

static void vs_union(struct sctx *s, uint64_t *dst, const uint64_t *src)
{
	for (size_t i = 0; i < s->nw; i++)
		dst[i] |= src[i];
}

static bool vs_subset(struct sctx *s, const uint64_t *a, const uint64_t *b)
{
	for (size_t i = 0; i < s->nw; i++)
		if (a[i] & ~b[i])
			return false;
	return true;
}

static size_t vs_count(struct sctx *s, const uint64_t *a)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nw; i++)
		n += (size_t)__builtin_popcountll(a[i]);
	return n;
}

static bool own(struct sctx *s, const ast_term *t)
{
	return t->kind == AT_VAR && t->u.var.scope == AV_LOCAL &&
	       (uint32_t)s->c->slot_scope[t->u.var.slot] == s->scope;
}

/* ---- variables of terms (closures included: their free vars of this
 * level must be bound before the closure runs) ---- */

static void vars_body(struct sctx *s, const ast_body *b, uint64_t *out);

static void vars_term(struct sctx *s, const ast_term *t, uint64_t *out)
{
	switch (t->kind) {
	case AT_VAR:
		if (own(s, t))
			vs_add(out, t->u.var.slot);
		return;
	case AT_REF:
	case AT_ARR:
	case AT_SET:
	case AT_TEMPLATE:
		for (size_t i = 0; i < t->u.list.n; i++)
			vars_term(s, t->u.list.items[i], out);
		return;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			vars_term(s, t->u.obj.keys[i], out);
			vars_term(s, t->u.obj.vals[i], out);
		}
		return;
	case AT_ARR_COMP:
	case AT_SET_COMP:
	case AT_OBJ_COMP:
		if (t->u.comp.key)
			vars_term(s, t->u.comp.key, out);
		vars_term(s, t->u.comp.val, out);
		vars_body(s, t->u.comp.body, out);
		return;
	case AT_CALL:
		for (size_t i = 0; i < t->u.call.nargs; i++)
			vars_term(s, t->u.call.args[i], out);
		return;
	default:
		return;
	}
}

static void vars_expr(struct sctx *s, const ast_expr *e, uint64_t *out)
{
	if (e->a && e->kind != AE_SOME)
		vars_term(s, e->a, out);
	if (e->b)
		vars_term(s, e->b, out);
	if (e->kind == AE_SOME_IN || e->kind == AE_EVERY) {
		vars_term(s, e->some.coll, out);
		if (e->kind == AE_SOME_IN) {
			if (e->some.key)
				vars_term(s, e->some.key, out);
			vars_term(s, e->some.val, out);
		} else {
			vars_body(s, e->some.body, out);
		}
	}
	for (size_t i = 0; i < e->nwiths; i++)
		vars_term(s, e->withs[i].value, out);
}

static void vars_body(struct sctx *s, const ast_body *b, uint64_t *out)
{
	for (size_t i = 0; i < b->n; i++)
		vars_expr(s, b->exprs[i], out);
}

static bool ground(struct sctx *s, const ast_term *t, const uint64_t *safe)
{
	vset v = vs_new(s);
	if (v == NULL)
		return false;
	vars_term(s, t, v);
	return vs_subset(s, v, safe);
}

/* ---- output variables ---- */

static void pattern_outs(struct sctx *s, const ast_term *t, uint64_t *safe, uint64_t *out);

/* Vars bound by iterating refs: x[i] binds i when x is bound. */
static void ref_outs(struct sctx *s, const ast_term *t, uint64_t *safe, uint64_t *out)
{
	switch (t->kind) {
	case AT_REF: {
		const ast_term *head = t->u.list.items[0];
		bool head_ok = head->kind == AT_VAR ? (!own(s, head) || vs_has(safe, head->u.var.slot))
		                                    : ground(s, head, safe);
		if (head->kind != AT_VAR)
			ref_outs(s, head, safe, out);
		for (size_t i = 1; i < t->u.list.n; i++) {
			const ast_term *it = t->u.list.items[i];
			if (it->kind == AT_VAR && own(s, it)) {
				if (head_ok && !vs_has(safe, it->u.var.slot)) {
					vs_add(out, it->u.var.slot);
					vs_add(safe, it->u.var.slot);
				}
			} else if ((it->kind == AT_ARR || it->kind == AT_OBJ) && head_ok) {
				/* x[[a, 1]]: a pattern matched against each key */
				vset po = vs_new(s);
				if (po == NULL)
					return;
				pattern_outs(s, it, safe, po);
				vs_union(s, out, po);
				vs_union(s, safe, po);
			} else {
				ref_outs(s, it, safe, out);
			}
		}
		return;
	}
	case AT_ARR:
	case AT_SET:
	case AT_TEMPLATE:
		for (size_t i = 0; i < t->u.list.n; i++)
			ref_outs(s, t->u.list.items[i], safe, out);
		return;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			ref_outs(s, t->u.obj.keys[i], safe, out);
			ref_outs(s, t->u.obj.vals[i], safe, out);
		}
		return;
	case AT_CALL:
		for (size_t i = 0; i < t->u.call.nargs; i++)
			ref_outs(s, t->u.call.args[i], safe, out);
		return;
	default:
		return;
	}
}

/* Vars a pattern binds when matched against a ground value. */
static void pattern_outs(struct sctx *s, const ast_term *t, uint64_t *safe, uint64_t *out)
{
	switch (t->kind) {
	case AT_VAR:
		if (own(s, t) && !vs_has(safe, t->u.var.slot))
			vs_add(out, t->u.var.slot);
		return;
	case AT_ARR:
		for (size_t i = 0; i < t->u.list.n; i++)
			pattern_outs(s, t->u.list.items[i], safe, out);
		return;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++)
			if (ground(s, t->u.obj.keys[i], safe))
				pattern_outs(s, t->u.obj.vals[i], safe, out);
		return;
	default:
		ref_outs(s, t, safe, out);
		return;
	}
}

static bool same_key(const ast_term *a, const ast_term *b)
{
	return a->kind == AT_VALUE && b->kind == AT_VALUE && rv_eq(a->u.val, b->u.val);
}

static void unify_pair(struct sctx *s, const ast_term *a, const ast_term *b, uint64_t *safe,
                       uint64_t *out)
{
	if (ground(s, a, safe)) {
		pattern_outs(s, b, safe, out);
	} else if (ground(s, b, safe)) {
		pattern_outs(s, a, safe, out);
	} else if (a->kind == AT_ARR && b->kind == AT_ARR && a->u.list.n == b->u.list.n) {
		for (size_t i = 0; i < a->u.list.n; i++) {
			unify_pair(s, a->u.list.items[i], b->u.list.items[i], safe, out);
			vs_union(s, safe, out);
		}
	} else if (a->kind == AT_OBJ && b->kind == AT_OBJ && a->u.obj.n == b->u.obj.n) {
		for (size_t i = 0; i < a->u.obj.n; i++)
			for (size_t j = 0; j < b->u.obj.n; j++)
				if (same_key(a->u.obj.keys[i], b->u.obj.keys[j])) {
					unify_pair(s, a->u.obj.vals[i], b->u.obj.vals[j], safe, out);
					vs_union(s, safe, out);
				}
	}
}

static void unify_outs(struct sctx *s, const ast_term *a, const ast_term *b, uint64_t *safe,
                       uint64_t *out)
{
	ref_outs(s, a, safe, out);
	ref_outs(s, b, safe, out);
	for (;;) {
		size_t before = vs_count(s, out);
		vs_union(s, safe, out);
		unify_pair(s, a, b, safe, out);
		vs_union(s, safe, out);
		if (vs_count(s, out) == before)
			break;
	}
}

static bool call_output_form(const ast_term *t)
{
	if (t->kind != AT_CALL)
		return false;
	size_t want;
	switch (t->u.call.target_kind) {
	case CALL_BUILTIN:
		want = ((const struct rbi *)t->u.call.target)->arity;
		break;
	case CALL_FUNC:
		want = ((const rgroup *)t->u.call.target)->nargs;
		break;
	case CALL_HOST:
		want = ((const struct rhostfn *)t->u.call.target)->arity;
		break;
	default:
		return false;
	}
	return t->u.call.nargs == want + 1;
}

/* Adds to safe the vars that e binds, given the vars already safe. */
static void expr_outs(struct sctx *s, const ast_expr *e, uint64_t *safe)
{
	if (e->negated)
		return;
	for (size_t i = 0; i < e->nwiths; i++)
		if (!ground(s, e->withs[i].value, safe))
			return;
	vset out = vs_new(s);
	if (out == NULL)
		return;
	switch (e->kind) {
	case AE_TERM:
		if (call_output_form(e->a)) {
			const ast_term *t = e->a;
			for (size_t i = 0; i + 1 < t->u.call.nargs; i++)
				ref_outs(s, t->u.call.args[i], safe, out);
			vs_union(s, safe, out);
			bool in_ok = true;
			for (size_t i = 0; i + 1 < t->u.call.nargs; i++)
				if (!ground(s, t->u.call.args[i], safe))
					in_ok = false;
			if (in_ok)
				pattern_outs(s, t->u.call.args[t->u.call.nargs - 1], safe, out);
		} else {
			ref_outs(s, e->a, safe, out);
		}
		break;
	case AE_UNIFY:
	case AE_ASSIGN:
		unify_outs(s, e->a, e->b, safe, out);
		break;
	case AE_SOME_IN:
		ref_outs(s, e->some.coll, safe, out);
		vs_union(s, safe, out);
		if (ground(s, e->some.coll, safe)) {
			if (e->some.key)
				pattern_outs(s, e->some.key, safe, out);
			vs_union(s, safe, out);
			pattern_outs(s, e->some.val, safe, out);
		}
		break;
	default:
		break;
	}
	vs_union(s, safe, out);
}

static bool is_generated(const char *name)
{
	return name[0] == '$' || strncmp(name, "__local", 7) == 0;
}

static int unsafe_error(struct sctx *s, const ast_expr *e, const uint64_t *vars, const uint64_t *safe)
{
	for (size_t w = 0; w < s->nw; w++) {
		uint64_t bad = vars[w] & ~safe[w];
		while (bad) {
			int bit = __builtin_ctzll(bad);
			bad &= bad - 1;
			const char *name = s->c->slot_name[w * 64 + (size_t)bit];
			if (is_generated(name))
				continue;
			return cerr(s->c, e->loc, "rego_unsafe_var_error", "var %s is unsafe", name);
		}
	}
	return cerr(s->c, e->loc, "rego_unsafe_var_error", "expression is unsafe");
}

static int closures_term(struct cctx *c, ast_term *t);

static int closures_list(struct cctx *c, ast_term **items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = closures_term(c, items[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Checks the bodies of the closures inside t, each as its own level. */
static int closures_term(struct cctx *c, ast_term *t)
{
	switch (t->kind) {
	case AT_REF:
	case AT_ARR:
	case AT_SET:
	case AT_TEMPLATE:
		return closures_list(c, t->u.list.items, t->u.list.n);
	case AT_OBJ: {
		int r = closures_list(c, t->u.obj.keys, t->u.obj.n);
		return r < 0 ? r : closures_list(c, t->u.obj.vals, t->u.obj.n);
	}
	case AT_CALL:
		return closures_list(c, t->u.call.args, t->u.call.nargs);
	case AT_ARR_COMP:
	case AT_SET_COMP:
	case AT_OBJ_COMP: {
		ast_term *extra[2] = {t->u.comp.val, t->u.comp.key};
		return csafety_body(c, t->u.comp.body, extra, t->u.comp.key ? 2 : 1);
	}
	default:
		return 0;
	}
}

static int closures_expr(struct cctx *c, ast_expr *e)
{
	int r = 0;
	if (e->a && e->kind != AE_SOME)
		r = closures_term(c, e->a);
	if (r == 0 && e->b)
		r = closures_term(c, e->b);
	if (r == 0 && (e->kind == AE_SOME_IN || e->kind == AE_EVERY))
		r = closures_term(c, e->some.coll);
	if (r == 0 && e->kind == AE_EVERY)
		r = csafety_body(c, e->some.body, NULL, 0);
	for (size_t i = 0; r == 0 && i < e->nwiths; i++)
		r = closures_term(c, e->withs[i].value);
	return r;
}

int csafety_body(struct cctx *c, ast_body *b, ast_term **extra, size_t nextra)
{
	struct sctx s = {.c = c, .scope = b->scope, .nw = (c->nslots + 63) / 64 + 1};
	size_t n = b->n;
	vset safe = vs_new(&s);
	vset *evars = rarena_nalloc(c->a, n + 1, sizeof(*evars));
	ast_expr **order = rarena_nalloc(c->a, n + 1, sizeof(*order));
	bool *done = rarena_zalloc(c->a, n + 1);
	if (safe == NULL || evars == NULL || order == NULL || done == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		evars[i] = vs_new(&s);
		if (evars[i] == NULL)
			return -ENOMEM;
		vars_expr(&s, b->exprs[i], evars[i]);
	}
	size_t k = 0;
	for (;;) {
		size_t before = k;
		for (size_t i = 0; i < n; i++) {
			if (done[i])
				continue;
			expr_outs(&s, b->exprs[i], safe);
			if (vs_subset(&s, evars[i], safe)) {
				done[i] = true;
				order[k++] = b->exprs[i];
			}
		}
		if (k == before)
			break;
	}
	if (k < n) {
		for (size_t i = 0; i < n; i++)
			if (!done[i])
				return unsafe_error(&s, b->exprs[i], evars[i], safe);
	}
	memcpy(b->exprs, order, n * sizeof(*order));
	for (size_t i = 0; i < n; i++) {
		int r = closures_expr(c, b->exprs[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < nextra; i++) {
		if (extra[i] == NULL)
			continue;
		vset hv = vs_new(&s);
		vset hout = vs_new(&s);
		if (hv == NULL || hout == NULL)
			return -ENOMEM;
		vars_term(&s, extra[i], hv);
		/* A head value may iterate (`q := xs[_]`): its ref vars are bound
		 * by evaluating the head itself. */
		ref_outs(&s, extra[i], safe, hout);
		if (!vs_subset(&s, hv, safe)) {
			ast_expr fake = {.loc = extra[i]->loc};
			return unsafe_error(&s, &fake, hv, safe);
		}
		int r = closures_term(c, extra[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
