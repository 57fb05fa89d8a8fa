/* Debug printer for the Rego AST (ast_print.h). */
#include "ast_print.h"

#include <stdbool.h>
#include <string.h>

#define TRY(x)                      \
	do {                            \
		int r_ = (x);               \
		if (r_ < 0)                 \
			return r_;              \
	} while (0)

static int print_term(const ast_term *t, cc_buf *out);
static int print_expr(const ast_expr *e, cc_buf *out);
static int print_body(const ast_body *b, cc_buf *out);

/* True if s can be written as `.s` in a ref (OPA's varRegexp). */
static bool ident_like(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		bool digit = c >= '0' && c <= '9';
		if (!letter && !(digit && i > 0))
			return false;
	}
	return true;
}

static int print_list(ast_term *const *items, size_t n, cc_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			TRY(cc_buf_adds(out, ", "));
		TRY(print_term(items[i], out));
	}
	return 0;
}

/* One ref operand after the head: `.name` or `[term]`. */
static int print_ref_operand(const ast_term *t, cc_buf *out)
{
	if (t != NULL && t->kind == AT_VALUE && t->u.val->t == RV_STR &&
	    ident_like(t->u.val->u.s.p, t->u.val->u.s.n)) {
		TRY(cc_buf_addc(out, '.'));
		return cc_buf_add(out, t->u.val->u.s.p, t->u.val->u.s.n);
	}
	TRY(cc_buf_addc(out, '['));
	TRY(print_term(t, out));
	return cc_buf_addc(out, ']');
}

static int print_ref(const ast_term *t, cc_buf *out)
{
	size_t n = t->u.list.n;
	if (n == 0)
		return cc_buf_adds(out, "<empty ref>");
	TRY(print_term(t->u.list.items[0], out));
	for (size_t i = 1; i < n; i++)
		TRY(print_ref_operand(t->u.list.items[i], out));
	return 0;
}

static int print_obj(const ast_term *t, cc_buf *out)
{
	TRY(cc_buf_addc(out, '{'));
	for (size_t i = 0; i < t->u.obj.n; i++) {
		if (i > 0)
			TRY(cc_buf_adds(out, ", "));
		TRY(print_term(t->u.obj.keys[i], out));
		TRY(cc_buf_adds(out, ": "));
		TRY(print_term(t->u.obj.vals[i], out));
	}
	return cc_buf_addc(out, '}');
}

static int print_comp(const ast_term *t, cc_buf *out)
{
	bool arr = t->kind == AT_ARR_COMP;
	TRY(cc_buf_addc(out, arr ? '[' : '{'));
	if (t->kind == AT_OBJ_COMP) {
		TRY(print_term(t->u.comp.key, out));
		TRY(cc_buf_adds(out, ": "));
	}
	TRY(print_term(t->u.comp.val, out));
	TRY(cc_buf_adds(out, " | "));
	TRY(print_body(t->u.comp.body, out));
	return cc_buf_addc(out, arr ? ']' : '}');
}

static int print_call(const ast_term *t, cc_buf *out)
{
	if (t->u.call.name != NULL)
		TRY(cc_buf_adds(out, t->u.call.name));
	else
		TRY(print_term(t->u.call.op, out));
	TRY(cc_buf_addc(out, '('));
	TRY(print_list(t->u.call.args, t->u.call.nargs, out));
	return cc_buf_addc(out, ')');
}

/* Literal text of a template part, escaped for $"...". */
static int print_tmpl_text(const rv *s, cc_buf *out)
{
	for (size_t i = 0; i < s->u.s.n; i++) {
		unsigned char c = (unsigned char)s->u.s.p[i];
		if (c == '"' || c == '\\' || c == '{') {
			TRY(cc_buf_addc(out, '\\'));
			TRY(cc_buf_addc(out, (char)c));
		} else if (c == '\n') {
			TRY(cc_buf_adds(out, "\\n"));
		} else if (c == '\t') {
			TRY(cc_buf_adds(out, "\\t"));
		} else if (c < 0x20) {
			TRY(cc_buf_printf(out, "\\u%04x", c));
		} else {
			TRY(cc_buf_addc(out, (char)c));
		}
	}
	return 0;
}

static int print_template(const ast_term *t, cc_buf *out)
{
	TRY(cc_buf_adds(out, "$\""));
	for (size_t i = 0; i < t->u.list.n; i++) {
		const ast_term *it = t->u.list.items[i];
		const ast_expr *e = t->u.list.exprs ? t->u.list.exprs[i] : NULL;
		if (e == NULL && it->kind == AT_VALUE && it->u.val->t == RV_STR) {
			TRY(print_tmpl_text(it->u.val, out));
			continue;
		}
		TRY(cc_buf_addc(out, '{'));
		if (e != NULL)
			TRY(print_expr(e, out));
		else
			TRY(print_term(it, out));
		TRY(cc_buf_addc(out, '}'));
	}
	return cc_buf_addc(out, '"');
}

static int print_term(const ast_term *t, cc_buf *out)
{
	if (t == NULL)
		return cc_buf_adds(out, "<nil>");
	switch (t->kind) {
	case AT_VALUE:
		return rv_to_rego(t->u.val, out);
	case AT_VAR:
		return cc_buf_add(out, t->u.var.name, t->u.var.len);
	case AT_REF:
		return print_ref(t, out);
	case AT_ARR:
		TRY(cc_buf_addc(out, '['));
		TRY(print_list(t->u.list.items, t->u.list.n, out));
		return cc_buf_addc(out, ']');
	case AT_SET:
		if (t->u.list.n == 0)
			return cc_buf_adds(out, "set()");
		TRY(cc_buf_addc(out, '{'));
		TRY(print_list(t->u.list.items, t->u.list.n, out));
		return cc_buf_addc(out, '}');
	case AT_OBJ:
		return print_obj(t, out);
	case AT_ARR_COMP:
	case AT_SET_COMP:
	case AT_OBJ_COMP:
		return print_comp(t, out);
	case AT_CALL:
		return print_call(t, out);
	case AT_TEMPLATE:
		return print_template(t, out);
	default:
		return cc_buf_adds(out, "<bad term>");
	}
}

static int print_some(const ast_expr *e, cc_buf *out, const char *kw)
{
	TRY(cc_buf_adds(out, kw));
	if (e->some.key != NULL) {
		TRY(print_term(e->some.key, out));
		TRY(cc_buf_adds(out, ", "));
	}
	TRY(print_term(e->some.val, out));
	TRY(cc_buf_adds(out, " in "));
	return print_term(e->some.coll, out);
}

static int print_expr_core(const ast_expr *e, cc_buf *out)
{
	switch (e->kind) {
	case AE_TERM:
		return print_term(e->a, out);
	case AE_UNIFY:
	case AE_ASSIGN:
		TRY(print_term(e->a, out));
		TRY(cc_buf_adds(out, e->kind == AE_UNIFY ? " = " : " := "));
		return print_term(e->b, out);
	case AE_SOME:
		TRY(cc_buf_adds(out, "some "));
		return print_list(e->some.vars, e->some.nvars, out);
	case AE_SOME_IN:
		return print_some(e, out, "some ");
	case AE_EVERY:
		TRY(print_some(e, out, "every "));
		TRY(cc_buf_adds(out, " { "));
		TRY(print_body(e->some.body, out));
		return cc_buf_adds(out, " }");
	default:
		return cc_buf_adds(out, "<bad expr>");
	}
}

static int print_expr(const ast_expr *e, cc_buf *out)
{
	if (e == NULL)
		return cc_buf_adds(out, "<nil>");
	if (e->negated)
		TRY(cc_buf_adds(out, "not "));
	TRY(print_expr_core(e, out));
	for (size_t i = 0; i < e->nwiths; i++) {
		TRY(cc_buf_adds(out, " with "));
		TRY(print_term(e->withs[i].target, out));
		TRY(cc_buf_adds(out, " as "));
		TRY(print_term(e->withs[i].value, out));
	}
	return 0;
}

static int print_body(const ast_body *b, cc_buf *out)
{
	if (b == NULL)
		return cc_buf_adds(out, "<nil>");
	for (size_t i = 0; i < b->n; i++) {
		if (i > 0)
			TRY(cc_buf_adds(out, "; "));
		TRY(print_expr(b->exprs[i], out));
	}
	return 0;
}

/* Value and body of a rule (or else branch): ` := v if { body }`. */
static int print_rule_tail(const ast_rule *r, cc_buf *out)
{
	if (r->kind == AR_MULTI) {
		TRY(cc_buf_adds(out, " contains "));
		TRY(print_term(r->key, out));
	} else {
		TRY(cc_buf_adds(out, r->is_assign ? " := " : " = "));
		TRY(print_term(r->value, out));
	}
	if (r->is_default)
		return 0;
	TRY(cc_buf_adds(out, " if { "));
	TRY(print_body(r->body, out));
	return cc_buf_adds(out, " }");
}

int ast_print_rule(const ast_rule *r, cc_buf *out)
{
	if (r == NULL)
		return cc_buf_adds(out, "<nil>");
	if (r->is_default)
		TRY(cc_buf_adds(out, "default "));
	if (r->head != NULL && r->head->kind == AT_REF)
		TRY(print_ref(r->head, out));
	else
		TRY(print_term(r->head, out));
	if (r->kind == AR_FUNCTION) {
		TRY(cc_buf_addc(out, '('));
		TRY(print_list(r->args, r->nargs, out));
		TRY(cc_buf_addc(out, ')'));
	}
	TRY(print_rule_tail(r, out));
	for (const ast_rule *e = r->els; e != NULL; e = e->els) {
		TRY(cc_buf_adds(out, " else"));
		TRY(print_rule_tail(e, out));
	}
	return 0;
}

static int print_package(const ast_term *pkg, cc_buf *out)
{
	TRY(cc_buf_adds(out, "package "));
	if (pkg == NULL || pkg->kind != AT_REF || pkg->u.list.n < 2)
		return print_term(pkg, out);
	const ast_term *first = pkg->u.list.items[1];
	if (first->kind == AT_VALUE && first->u.val->t == RV_STR)
		TRY(cc_buf_add(out, first->u.val->u.s.p, first->u.val->u.s.n));
	else
		TRY(print_term(first, out));
	for (size_t i = 2; i < pkg->u.list.n; i++)
		TRY(print_ref_operand(pkg->u.list.items[i], out));
	return 0;
}

int ast_print_module(const ast_module *m, cc_buf *out)
{
	if (m == NULL)
		return cc_buf_adds(out, "<nil>");
	TRY(print_package(m->package, out));
	TRY(cc_buf_addc(out, '\n'));
	for (size_t i = 0; i < m->nimports; i++) {
		TRY(cc_buf_adds(out, "import "));
		TRY(print_term(m->imports[i].path, out));
		if (m->imports[i].alias != NULL)
			TRY(cc_buf_printf(out, " as %s", m->imports[i].alias));
		TRY(cc_buf_addc(out, '\n'));
	}
	for (size_t i = 0; i < m->nrules; i++) {
		TRY(ast_print_rule(m->rules[i], out));
		TRY(cc_buf_addc(out, '\n'));
	}
	return 0;
}

int ast_print_body(const ast_body *b, cc_buf *out) { return print_body(b, out); }
int ast_print_expr(const ast_expr *e, cc_buf *out) { return print_expr(e, out); }
int ast_print_term(const ast_term *t, cc_buf *out) { return print_term(t, out); }
