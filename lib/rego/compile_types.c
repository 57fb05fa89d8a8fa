/* Type checks of builtin calls through local variables (compile_int.h).
 *
 * OPA's type checker (v1/ast/check.go) infers the types of variables from
 * what is assigned to them and rejects calls whose arguments cannot have
 * the declared types: `x := 1; upper(x)` is a rego_type_error at compile
 * time, not an undefined expression at run time. This pass follows each
 * body in evaluation order (after the safety reordering), records the
 * static type of variables assigned from constants, composites and builtin
 * results, and checks every builtin call against the declared argument
 * types. A type that is not known statically is never an error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile_int.h"

struct tctx {
	struct cctx *c;
	uint8_t *vt; /* RT_* mask per frame slot, 0 = unknown */
};

static unsigned term_type(const struct tctx *t, const ast_term *x)
{
	switch (x->kind) {
	case AT_VALUE:
		return 1u << x->u.val->t;
	case AT_VAR:
		return (t->vt && x->u.var.scope == AV_LOCAL) ? t->vt[x->u.var.slot] : 0;
	case AT_ARR:
	case AT_ARR_COMP:
		return RT_ARR;
	case AT_SET:
	case AT_SET_COMP:
		return RT_SET;
	case AT_OBJ:
	case AT_OBJ_COMP:
		return RT_OBJ;
	case AT_TEMPLATE:
		return RT_STR;
	case AT_CALL:
		if (x->u.call.target_kind == CALL_BUILTIN)
			return ((const struct rbi *)x->u.call.target)->rett;
		return 0;
	default:
		return 0;
	}
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

static int check_call(const struct tctx *t, const ast_term *x)
{
	const struct rbi *b = x->u.call.target;
	for (size_t i = 0; i < b->arity && i < RBI_MAX_ARGS && i < x->u.call.nargs; i++) {
		unsigned want = b->argt[i];
		unsigned have = term_type(t, x->u.call.args[i]);
		if (want == 0 || have == 0 || (want & have))
			continue;
		char hs[96], ws[96];
		mask_names(have, hs, sizeof(hs));
		mask_names(want, ws, sizeof(ws));
		return cerr(t->c, x->loc, "rego_type_error",
		            "%s: invalid argument(s)\n\thave: operand %zu %s\n\twant: operand %zu %s", b->name,
		            i + 1, hs, i + 1, ws);
	}
	return 0;
}

static int check_body(struct tctx *t, const ast_body *b);

static int check_term(struct tctx *t, const ast_term *x)
{
	int r = 0;
	switch (x->kind) {
	case AT_REF:
	case AT_ARR:
	case AT_SET:
	case AT_TEMPLATE:
		for (size_t i = 0; r == 0 && i < x->u.list.n; i++)
			r = check_term(t, x->u.list.items[i]);
		return r;
	case AT_OBJ:
		for (size_t i = 0; r == 0 && i < x->u.obj.n; i++) {
			r = check_term(t, x->u.obj.keys[i]);
			if (r == 0)
				r = check_term(t, x->u.obj.vals[i]);
		}
		return r;
	case AT_ARR_COMP:
	case AT_SET_COMP:
	case AT_OBJ_COMP:
		r = check_body(t, x->u.comp.body);
		if (r == 0 && x->u.comp.key)
			r = check_term(t, x->u.comp.key);
		return r == 0 ? check_term(t, x->u.comp.val) : r;
	case AT_CALL:
		for (size_t i = 0; r == 0 && i < x->u.call.nargs; i++)
			r = check_term(t, x->u.call.args[i]);
		if (r == 0 && x->u.call.target_kind == CALL_BUILTIN)
			r = check_call(t, x);
		return r;
	default:
		return 0;
	}
}

/* Records what an assignment tells about a variable's type. */
static void learn(struct tctx *t, const ast_expr *e)
{
	if ((e->kind != AE_ASSIGN && e->kind != AE_UNIFY) || e->negated)
		return;
	const ast_term *a = e->a, *b = e->b;
	if (a->kind == AT_VAR && a->u.var.scope == AV_LOCAL && t->vt[a->u.var.slot] == 0)
		t->vt[a->u.var.slot] = (uint8_t)term_type(t, b);
	else if (b->kind == AT_VAR && b->u.var.scope == AV_LOCAL && t->vt[b->u.var.slot] == 0)
		t->vt[b->u.var.slot] = (uint8_t)term_type(t, a);
}

static int check_body(struct tctx *t, const ast_body *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const ast_expr *e = b->exprs[i];
		int r = 0;
		if (e->a && e->kind != AE_SOME)
			r = check_term(t, e->a);
		if (r == 0 && e->b)
			r = check_term(t, e->b);
		if (r == 0 && (e->kind == AE_SOME_IN || e->kind == AE_EVERY))
			r = check_term(t, e->some.coll);
		if (r == 0 && e->kind == AE_EVERY)
			r = check_body(t, e->some.body);
		for (size_t k = 0; r == 0 && k < e->nwiths; k++)
			r = check_term(t, e->withs[k].value);
		if (r < 0)
			return r;
		learn(t, e);
	}
	return 0;
}

int ctypes_call(struct cctx *c, const ast_term *call)
{
	struct tctx t = {.c = c, .vt = NULL}; /* constants and builtin results only */
	return check_call(&t, call);
}

int ctypes_body(struct cctx *c, const ast_body *b)
{
	struct tctx t = {.c = c, .vt = rarena_zalloc(c->a, (size_t)c->nslots + 1)};
	if (t.vt == NULL)
		return -ENOMEM;
	return check_body(&t, b);
}
