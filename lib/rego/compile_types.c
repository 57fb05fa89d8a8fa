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
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "compile_int.h"

struct tctx {
	struct cctx *c;
	uint8_t *vt; /* RT_* mask per frame slot, 0 = unknown */
	const ast_term *stmt; /* the call that is the whole expression, if any */
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

/* ---- OPA's spelling of types in rego_type_error details --------------
 *
 * OPA ends a type error with "\thave: (<argument types>)" and "\twant:
 * <declared signature>". The signatures come from compile_sigs.inc, which
 * tools/difftest/opa_sigs.py generates from the OPA oracle; the argument
 * types are spelled here as OPA's type checker (v1/ast/check.go, TypeEnv.Get;
 * v1/types) spells the types of the terms: array<number, string>,
 * object<a: number>[any: any], set[any<number, string>], ??? for a variable
 * without a type. What this pass does not know (rule values, refs) is
 * "any", which is where the texts can still differ. */
struct opa_sig {
	const char *name;
	const char *full; /* "(a: T, output: R)": invalid argument(s) */
	const char *args; /* "(a: T)": arity mismatch */
};

static const struct opa_sig opa_sigs[] = {
#include "compile_sigs.inc"
};

static int sig_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct opa_sig *)e)->name);
}

static const struct opa_sig *sig_of(const char *name)
{
	return bsearch(name, opa_sigs, sizeof(opa_sigs) / sizeof(opa_sigs[0]), sizeof(opa_sigs[0]), sig_cmp);
}

/* The result type of a builtin, from "(..., output: R)": appended to b, or
 * "any" when the table does not have it. */
static int add_result_type(cc_buf *b, const char *name)
{
	const struct opa_sig *sg = sig_of(name);
	const char *f = sg ? sg->full : NULL;
	size_t n = f ? strlen(f) : 0;
	if (n < 2)
		return cc_buf_adds(b, "any");
	/* the last top-level element, then what follows its "name: " */
	size_t start = 1;
	int depth = 0;
	for (size_t i = 1; i + 1 < n; i++) {
		if (f[i] == '<' || f[i] == '[' || f[i] == '(')
			depth++;
		else if (f[i] == '>' || f[i] == ']' || f[i] == ')')
			depth--;
		else if (depth == 0 && f[i] == ',' && f[i + 1] == ' ')
			start = i + 2;
	}
	size_t i = start;
	while (i < n - 1 && (f[i] == '_' || (f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9')))
		i++;
	if (i + 1 < n - 1 && f[i] == ':' && f[i + 1] == ' ')
		start = i + 2;
	return cc_buf_add(b, f + start, n - 1 - start);
}

/* OPA's order of types in a union (types.Compare: null, boolean, number,
 * string, array, object, set, any). */
static int type_rank(const char *t)
{
	static const char *const order[] = {"null", "boolean", "number", "string", "array", "object", "set"};
	for (int i = 0; i < 7; i++)
		if (strncmp(t, order[i], strlen(order[i])) == 0)
			return i;
	return 7;
}

static int type_text(const struct tctx *t, const ast_term *x, cc_buf *b, int depth);
static int value_type_text(rarena *a, const rv *v, cc_buf *b, int depth);

/* The union of the element types of a set (types.Or): an element is the
 * i-th item of x (a set literal) or of v (a set value). */
static int union_text(const struct tctx *t, rarena *a, const ast_term *x, const rv *v, cc_buf *b, int depth)
{
	enum { MAXU = 8 };
	char *u[MAXU];
	size_t nu = 0, n = x ? x->u.list.n : v->u.a.n;
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		cc_buf e;
		cc_buf_init(&e, 4096);
		r = x ? type_text(t, x->u.list.items[i], &e, depth + 1) : value_type_text(a, v->u.a.v[i], &e, depth + 1);
		bool seen = false;
		for (size_t k = 0; r == 0 && k < nu; k++)
			seen = seen || (strlen(u[k]) == e.len && memcmp(u[k], e.p, e.len) == 0);
		if (r == 0 && !seen && nu < MAXU) {
			u[nu] = rarena_strndup(a, e.p ? e.p : "", e.len);
			r = u[nu++] ? 0 : -ENOMEM;
		}
		cc_buf_free(&e);
	}
	if (r < 0)
		return r;
	if (nu == 0)
		return cc_buf_adds(b, "any");
	if (nu == 1)
		return cc_buf_adds(b, u[0]);
	for (size_t i = 1; i < nu; i++) /* insertion sort: a handful of names */
		for (size_t k = i; k > 0 && (type_rank(u[k]) < type_rank(u[k - 1]) ||
		                             (type_rank(u[k]) == type_rank(u[k - 1]) && strcmp(u[k], u[k - 1]) < 0));
		     k--) {
			char *tmp = u[k];
			u[k] = u[k - 1];
			u[k - 1] = tmp;
		}
	r = cc_buf_adds(b, "any<");
	for (size_t i = 0; r == 0 && i < nu; i++)
		r = cc_buf_printf(b, "%s%s", i ? ", " : "", u[i]);
	return r == 0 ? cc_buf_addc(b, '>') : r;
}

/* A static object key as Go's %v prints the key's JSON value. */
static int key_text(const rv *key, cc_buf *b)
{
	if (key->t == RV_STR)
		return cc_buf_add(b, key->u.s.p, key->u.s.n);
	if (key->t == RV_NULL)
		return cc_buf_adds(b, "<nil>");
	return rv_to_json(key, b, false);
}

static const char *const scalar_names[] = {"null", "boolean", "number", "string"};

/* The type of a constant, as TypeEnv.Get spells it. */
static int value_type_text(rarena *a, const rv *v, cc_buf *b, int depth)
{
	if (depth > 16) /* deeper than any message needs */
		return cc_buf_adds(b, "any");
	int r = 0;
	switch (v->t) {
	case RV_ARR:
		if (v->u.a.n == 0)
			return cc_buf_adds(b, "array[any]");
		r = cc_buf_adds(b, "array<");
		for (size_t i = 0; r == 0 && i < v->u.a.n; i++) {
			if (i)
				r = cc_buf_adds(b, ", ");
			if (r == 0)
				r = value_type_text(a, v->u.a.v[i], b, depth + 1);
		}
		return r == 0 ? cc_buf_addc(b, '>') : r;
	case RV_OBJ:
		if (v->u.o.n == 0)
			return cc_buf_adds(b, "object[any: any]");
		r = cc_buf_adds(b, "object<");
		for (size_t i = 0; r == 0 && i < v->u.o.n; i++) {
			if (i)
				r = cc_buf_adds(b, ", ");
			if (r == 0)
				r = key_text(v->u.o.k[i], b);
			if (r == 0)
				r = cc_buf_adds(b, ": ");
			if (r == 0)
				r = value_type_text(a, v->u.o.v[i], b, depth + 1);
		}
		return r == 0 ? cc_buf_addc(b, '>') : r;
	case RV_SET:
		r = cc_buf_adds(b, "set[");
		if (r == 0)
			r = union_text(NULL, a, NULL, v, b, depth);
		return r == 0 ? cc_buf_addc(b, ']') : r;
	default:
		return v->t < 4 ? cc_buf_adds(b, scalar_names[v->t]) : cc_buf_adds(b, "any");
	}
}

struct skey {
	const rv *key;
	size_t i;
};

static int skey_cmp(const void *a, const void *b)
{
	return rv_cmp(((const struct skey *)a)->key, ((const struct skey *)b)->key);
}

/* An object literal: constant keys in value order, then one dynamic part. */
static int object_text(const struct tctx *t, const ast_term *x, cc_buf *b, int depth)
{
	size_t n = x->u.obj.n, ns = 0;
	struct skey *ord = rarena_nalloc(t->c->a, n + 1, sizeof(*ord));
	if (ord == NULL)
		return -ENOMEM;
	const ast_term *dk = NULL, *dv = NULL;
	for (size_t i = 0; i < n; i++) {
		if (x->u.obj.keys[i]->kind != AT_VALUE)
			dk = x->u.obj.keys[i], dv = x->u.obj.vals[i];
		else
			ord[ns++] = (struct skey){x->u.obj.keys[i]->u.val, i};
	}
	qsort(ord, ns, sizeof(*ord), skey_cmp);
	int r = cc_buf_adds(b, "object");
	for (size_t i = 0; r == 0 && i < ns; i++) {
		const rv *key = ord[i].key;
		r = cc_buf_adds(b, i ? ", " : "<");
		if (r == 0)
			r = key_text(key, b);
		if (r == 0)
			r = cc_buf_adds(b, ": ");
		if (r == 0)
			r = type_text(t, x->u.obj.vals[ord[i].i], b, depth + 1);
	}
	if (r == 0 && ns)
		r = cc_buf_addc(b, '>');
	if (r == 0 && (dk || ns == 0)) {
		r = cc_buf_addc(b, '[');
		if (r == 0)
			r = dk ? type_text(t, dk, b, depth + 1) : cc_buf_adds(b, "any");
		if (r == 0)
			r = cc_buf_adds(b, ": ");
		if (r == 0)
			r = dv ? type_text(t, dv, b, depth + 1) : cc_buf_adds(b, "any");
		if (r == 0)
			r = cc_buf_addc(b, ']');
	}
	return r;
}

static int type_text(const struct tctx *t, const ast_term *x, cc_buf *b, int depth)
{
	if (depth > 16) /* deeper than any message needs */
		return cc_buf_adds(b, "any");
	switch (x->kind) {
	case AT_VALUE:
		return value_type_text(t->c->a, x->u.val, b, depth);
	case AT_TEMPLATE:
		return cc_buf_adds(b, "string");
	case AT_ARR: {
		if (x->u.list.n == 0)
			return cc_buf_adds(b, "array[any]");
		int r = cc_buf_adds(b, "array<");
		for (size_t i = 0; r == 0 && i < x->u.list.n; i++) {
			if (i)
				r = cc_buf_adds(b, ", ");
			if (r == 0)
				r = type_text(t, x->u.list.items[i], b, depth + 1);
		}
		return r == 0 ? cc_buf_addc(b, '>') : r;
	}
	case AT_SET: {
		int r = cc_buf_adds(b, "set[");
		if (r == 0)
			r = union_text(t, t->c->a, x, NULL, b, depth);
		return r == 0 ? cc_buf_addc(b, ']') : r;
	}
	case AT_OBJ:
		return object_text(t, x, b, depth);
	case AT_ARR_COMP:
		return cc_buf_adds(b, "array[any]");
	case AT_SET_COMP:
		return cc_buf_adds(b, "set[any]");
	case AT_OBJ_COMP:
		return cc_buf_adds(b, "object[any: any]");
	case AT_CALL:
		if (x->u.call.target_kind == CALL_BUILTIN)
			return add_result_type(b, ((const struct rbi *)x->u.call.target)->name);
		return cc_buf_adds(b, "any");
	case AT_VAR: {
		unsigned m = term_type(t, x);
		for (int i = 0; i < 4; i++) /* a scalar type this pass is sure of */
			if (m == (1u << i))
				return cc_buf_adds(b, scalar_names[i]);
		return cc_buf_adds(b, x->u.var.scope == AV_LOCAL ? "???" : "any");
	}
	default:
		return cc_buf_adds(b, "any");
	}
}

/* "(T1, T2)": the types of a call's operands; a call that is not a whole
 * expression also has OPA's generated output variable, a last "???". */
static int have_text(const struct tctx *t, const ast_term *call, bool stmt, cc_buf *b)
{
	int r = cc_buf_addc(b, '(');
	for (size_t i = 0; r == 0 && i < call->u.call.nargs; i++) {
		if (i)
			r = cc_buf_adds(b, ", ");
		if (r == 0)
			r = type_text(t, call->u.call.args[i], b, 0);
	}
	if (r == 0 && !stmt)
		r = cc_buf_adds(b, call->u.call.nargs ? ", ???" : "???");
	return r == 0 ? cc_buf_addc(b, ')') : r;
}

/* rego_type_error "<name>: <what>" with OPA's have/want details, if the
 * signature is known; 1 if it is not (the caller words its own). */
static int sig_err(const struct tctx *t, const ast_term *call, const char *name, const char *what,
                   bool full, bool stmt)
{
	const struct opa_sig *sg = sig_of(name);
	const char *want = sg ? (full ? sg->full : sg->args) : NULL;
	if (want == NULL)
		return 1;
	cc_buf b;
	cc_buf_init(&b, 4096);
	int r = have_text(t, call, stmt, &b);
	if (r == 0)
		r = cc_buf_addc(&b, '\0');
	if (r < 0) {
		cc_buf_free(&b);
		return r;
	}
	r = cerr(t->c, call->loc, "rego_type_error", "%s: %s\n\thave: %s\n\twant: %s", name, what, b.p, want);
	cc_buf_free(&b);
	return r;
}

int ctypes_arity_err(struct cctx *c, const ast_term *call, const char *name)
{
	struct tctx t = {.c = c, .vt = NULL};
	return sig_err(&t, call, name, "arity mismatch", false, call == c->output_call);
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
		int r = sig_err(t, x, b->name, "invalid argument(s)", true, x == t->stmt);
		if (r <= 0)
			return r;
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
		t->stmt = (e->kind == AE_TERM && e->a && e->a->kind == AT_CALL) ? e->a : NULL;
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
	/* constants and builtin results only */
	struct tctx t = {.c = c, .vt = NULL, .stmt = c->output_call};
	return check_call(&t, call);
}

int ctypes_body(struct cctx *c, const ast_body *b)
{
	struct tctx t = {.c = c, .vt = rarena_zalloc(c->a, (size_t)c->nslots + 1)};
	if (t.vt == NULL)
		return -ENOMEM;
	return check_body(&t, b);
}
