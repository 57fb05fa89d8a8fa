/* Rego parser: AST node constructors (terms, calls, operator calls,
 * expressions, bodies), term predicates and names for messages, and deep
 * copies of terms and bodies. */
#include <stdio.h>
#include <string.h>

#include "ast_print.h"
#include "parser_int.h"

/* ---- term constructors -------------------------------------------------- */

ast_term *rp_new_term(struct parser *p, uint8_t kind, ast_loc loc)
{
	ast_term *t = rp_pz(p, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->kind = kind;
	t->loc = loc;
	return t;
}

ast_term *rp_mk_value(struct parser *p, ast_loc loc, const rv *v)
{
	if (v == NULL) {
		p->oom = true;
		return NULL;
	}
	ast_term *t = rp_new_term(p, AT_VALUE, loc);
	if (t != NULL)
		t->u.val = v;
	return t;
}

ast_term *rp_mk_str(struct parser *p, ast_loc loc, const char *s, size_t n)
{
	return rp_mk_value(p, loc, rv_str(p->a, s, n));
}

ast_term *rp_mk_true(struct parser *p, ast_loc loc) { return rp_mk_value(p, loc, rv_true()); }

ast_term *rp_mk_var(struct parser *p, ast_loc loc, const char *s, size_t n)
{
	if (n > UINT32_MAX) {
		rp_perr_at(p, loc, "name too long");
		return NULL;
	}
	ast_term *t = rp_new_term(p, AT_VAR, loc);
	if (t == NULL)
		return NULL;
	t->u.var.name = rp_pstrndup(p, s, n);
	if (t->u.var.name == NULL)
		return NULL;
	t->u.var.len = (uint32_t)n;
	t->u.var.slot = -1;
	return t;
}

ast_term *rp_mk_wildcard(struct parser *p, ast_loc loc)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "$%u", (unsigned)p->s.wild++);
	ast_term *t = rp_mk_var(p, loc, buf, n > 0 ? (size_t)n : 0);
	if (t != NULL)
		t->u.var.wildcard = true;
	return t;
}

ast_term *rp_mk_list(struct parser *p, uint8_t kind, ast_loc loc, const struct pvec *items)
{
	ast_term *t = rp_new_term(p, kind, loc);
	if (t == NULL)
		return NULL;
	t->u.list.items = (ast_term **)items->v;
	t->u.list.n = items->n;
	return t;
}

ast_term *rp_mk_ref_n(struct parser *p, ast_loc loc, ast_term **items, size_t n)
{
	ast_term *t = rp_new_term(p, AT_REF, loc);
	if (t == NULL)
		return NULL;
	t->u.list.items = items;
	t->u.list.n = n;
	return t;
}

bool rp_is_str_value(const ast_term *t)
{
	return t != NULL && t->kind == AT_VALUE && t->u.val->t == RV_STR;
}

bool rp_is_var_named(const ast_term *t, const char *name)
{
	return t != NULL && t->kind == AT_VAR && strcmp(t->u.var.name, name) == 0;
}

bool rp_is_str_equal(const ast_term *t, const char *s)
{
	return rp_is_str_value(t) && t->u.val->u.s.n == strlen(s) &&
	       memcmp(t->u.val->u.s.p, s, t->u.val->u.s.n) == 0;
}

/* Dotted name of a call operator (`count`, `data.lib.f`), or NULL when the
 * operator is not a var followed by strings. */
const char *rp_call_name(struct parser *p, const ast_term *op)
{
	if (op->kind == AT_VAR)
		return op->u.var.name;
	if (op->kind != AT_REF || op->u.list.n == 0 || op->u.list.items[0]->kind != AT_VAR)
		return NULL;
	size_t len = op->u.list.items[0]->u.var.len;
	for (size_t i = 1; i < op->u.list.n; i++) {
		const ast_term *it = op->u.list.items[i];
		if (!rp_is_str_value(it))
			return NULL;
		if (__builtin_add_overflow(len, it->u.val->u.s.n + 1, &len))
			return NULL;
	}
	char *s = rp_pz(p, len + 1);
	if (s == NULL)
		return NULL;
	size_t o = op->u.list.items[0]->u.var.len;
	memcpy(s, op->u.list.items[0]->u.var.name, o);
	for (size_t i = 1; i < op->u.list.n; i++) {
		const rv *v = op->u.list.items[i]->u.val;
		s[o++] = '.';
		memcpy(s + o, v->u.s.p, v->u.s.n);
		o += v->u.s.n;
	}
	return s;
}

ast_term *rp_mk_call(struct parser *p, ast_loc loc, ast_term *op, const char *name,
                         ast_term **args, size_t nargs)
{
	ast_term *t = rp_new_term(p, AT_CALL, loc);
	if (t == NULL)
		return NULL;
	t->u.call.op = op;
	t->u.call.name = name;
	t->u.call.args = args;
	t->u.call.nargs = nargs;
	return t;
}

const char *rp_ast_op_name(int kind)
{
	switch (kind) {
	case RT_ADD: return "plus";
	case RT_SUB: return "minus";
	case RT_MUL: return "mul";
	case RT_QUO: return "div";
	case RT_REM: return "rem";
	case RT_AND: return "and";
	case RT_OR: return "or";
	case RT_EQUAL: return "equal";
	case RT_NEQ: return "neq";
	case RT_LT: return "lt";
	case RT_GT: return "gt";
	case RT_LTE: return "lte";
	case RT_GTE: return "gte";
	default: return NULL;
	}
}

/* Names of the builtins written as operators (module statements such as
 * `x == 1` would define them: "rule name conflicts with built-in function"). */
bool rp_is_operator_name(const char *name)
{
	static const char *const ops[] = {
	    "plus", "minus", "mul", "div", "rem", "and", "or", "equal", "neq", "lt",
	    "gt", "lte", "gte", "eq", "assign", "internal.member_2", "internal.member_3",
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i], name) == 0)
			return true;
	return false;
}

/* Binary operator call: op(lhs, rhs), located at lhs as in OPA. */
ast_term *rp_mk_opcall(struct parser *p, int kind, ast_loc oploc, ast_term *lhs, ast_term *rhs)
{
	const char *name = rp_ast_op_name(kind);
	ast_term *op = rp_mk_var(p, oploc, name, strlen(name));
	ast_term **args = rp_pnz(p, 2, sizeof(*args));
	if (op == NULL || args == NULL)
		return NULL;
	args[0] = lhs;
	args[1] = rhs;
	return rp_mk_call(p, lhs->loc, op, name, args, 2);
}

/* `x in xs` / `k, v in xs`: internal.member_2 / internal.member_3. */
ast_term *rp_mk_member(struct parser *p, ast_loc oploc, ast_term *k, ast_term *v, ast_term *coll)
{
	bool three = k != NULL;
	const char *name = three ? "internal.member_3" : "internal.member_2";
	ast_term **ref = rp_pnz(p, 2, sizeof(*ref));
	size_t nargs = three ? 3 : 2;
	ast_term **args = rp_pnz(p, nargs, sizeof(*args));
	if (ref == NULL || args == NULL)
		return NULL;
	ref[0] = rp_mk_var(p, oploc, "internal", 8);
	ref[1] = rp_mk_str(p, oploc, three ? "member_3" : "member_2", 8);
	ast_term *op = rp_mk_ref_n(p, oploc, ref, 2);
	if (ref[0] == NULL || ref[1] == NULL || op == NULL)
		return NULL;
	size_t i = 0;
	if (three)
		args[i++] = k;
	args[i++] = v;
	args[i] = coll;
	return rp_mk_call(p, three ? k->loc : v->loc, op, name, args, nargs);
}

/* OPA's ValueName (error messages). */
const char *rp_value_name(const ast_term *t)
{
	switch (t->kind) {
	case AT_VALUE:
		switch (t->u.val->t) {
		case RV_NULL: return "null";
		case RV_BOOL: return "boolean";
		case RV_NUM: return "number";
		case RV_STR: return "string";
		default: return "value";
		}
	case AT_VAR: return "var";
	case AT_REF: return "ref";
	case AT_ARR: return "array";
	case AT_SET: return "set";
	case AT_OBJ: return "object";
	case AT_ARR_COMP: return "arraycomprehension";
	case AT_SET_COMP: return "setcomprehension";
	case AT_OBJ_COMP: return "objectcomprehension";
	case AT_CALL: return "call";
	case AT_TEMPLATE: return "templatestring";
	default: return "term";
	}
}

/* Prints t for an error message (truncated). */
void rp_term_text(const ast_term *t, char *buf, size_t n)
{
	cc_buf b;
	cc_buf_init(&b, 256);
	int r = ast_print_term(t, &b);
	snprintf(buf, n, "%s%s", b.p ? b.p : "", r < 0 ? "..." : "");
	cc_buf_free(&b);
}

/* ---- expressions and bodies ----------------------------------------------- */

ast_expr *rp_new_expr(struct parser *p, uint8_t kind, ast_loc loc)
{
	ast_expr *e = rp_pz(p, sizeof(*e));
	if (e != NULL) {
		e->kind = kind;
		e->loc = loc;
	}
	return e;
}

/* A body holding the single expression `true`, for rules without one. */
ast_body *rp_true_body(struct parser *p, ast_loc loc)
{
	ast_body *b = rp_pz(p, sizeof(*b));
	ast_expr **v = rp_pz(p, sizeof(*v));
	ast_expr *e = rp_new_expr(p, AE_TERM, loc);
	ast_term *t = rp_mk_true(p, loc);
	if (b == NULL || v == NULL || e == NULL || t == NULL)
		return NULL;
	e->a = t;
	v[0] = e;
	b->exprs = v;
	b->n = 1;
	b->loc = loc;
	return b;
}

ast_body *rp_single_body(struct parser *p, ast_expr *e)
{
	ast_body *b = rp_pz(p, sizeof(*b));
	ast_expr **v = rp_pz(p, sizeof(*v));
	if (b == NULL || v == NULL)
		return NULL;
	v[0] = e;
	b->exprs = v;
	b->n = 1;
	b->loc = e->loc;
	return b;
}

/* ---- deep copies (chained rule bodies and else branches get their own
 * head terms: the compiler resolves variables in place, per rule) -------- */

static ast_body *copy_body(struct parser *p, const ast_body *b);

ast_term **rp_copy_terms(struct parser *p, ast_term *const *v, size_t n)
{
	if (n == 0)
		return NULL;
	ast_term **c = rp_pnz(p, n, sizeof(*c));
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((c[i] = rp_copy_term(p, v[i])) == NULL && v[i] != NULL)
			return NULL;
	return c;
}

static ast_expr *copy_expr(struct parser *p, const ast_expr *e)
{
	ast_expr *c = rp_pz(p, sizeof(*c));
	if (c == NULL)
		return NULL;
	*c = *e;
	c->a = e->a ? rp_copy_term(p, e->a) : NULL;
	c->b = e->b ? rp_copy_term(p, e->b) : NULL;
	c->some.key = e->some.key ? rp_copy_term(p, e->some.key) : NULL;
	c->some.val = e->some.val ? rp_copy_term(p, e->some.val) : NULL;
	c->some.coll = e->some.coll ? rp_copy_term(p, e->some.coll) : NULL;
	c->some.body = e->some.body ? copy_body(p, e->some.body) : NULL;
	if (e->some.nvars)
		c->some.vars = rp_copy_terms(p, e->some.vars, e->some.nvars);
	if (e->nwiths) {
		c->withs = rp_pnz(p, e->nwiths, sizeof(*c->withs));
		if (c->withs == NULL)
			return NULL;
		for (size_t i = 0; i < e->nwiths; i++) {
			c->withs[i].loc = e->withs[i].loc;
			c->withs[i].target = rp_copy_term(p, e->withs[i].target);
			c->withs[i].value = rp_copy_term(p, e->withs[i].value);
		}
	}
	return p->oom ? NULL : c;
}

static ast_body *copy_body(struct parser *p, const ast_body *b)
{
	ast_body *c = rp_pz(p, sizeof(*c));
	if (c == NULL)
		return NULL;
	*c = *b;
	if (b->n) {
		c->exprs = rp_pnz(p, b->n, sizeof(*c->exprs));
		if (c->exprs == NULL)
			return NULL;
		for (size_t i = 0; i < b->n; i++)
			if ((c->exprs[i] = copy_expr(p, b->exprs[i])) == NULL)
				return NULL;
	}
	return c;
}

static void copy_template_exprs(struct parser *p, ast_term *c, const ast_term *t)
{
	if (t->u.list.exprs == NULL)
		return;
	c->u.list.exprs = rp_pnz(p, t->u.list.n, sizeof(ast_expr *));
	if (c->u.list.exprs == NULL)
		return;
	for (size_t i = 0; i < t->u.list.n; i++) {
		if (t->u.list.exprs[i] == NULL)
			continue;
		c->u.list.exprs[i] = copy_expr(p, t->u.list.exprs[i]);
		if (c->u.list.exprs[i] != NULL)
			c->u.list.items[i] = c->u.list.exprs[i]->a; /* keep them paired */
	}
}

ast_term *rp_copy_term(struct parser *p, const ast_term *t)
{
	if (t == NULL)
		return NULL;
	ast_term *c = rp_pz(p, sizeof(*c));
	if (c == NULL)
		return NULL;
	*c = *t;
	switch (t->kind) {
	case AT_REF: case AT_ARR: case AT_SET: case AT_TEMPLATE:
		c->u.list.items = rp_copy_terms(p, t->u.list.items, t->u.list.n);
		if (t->kind == AT_TEMPLATE)
			copy_template_exprs(p, c, t);
		break;
	case AT_OBJ:
		c->u.obj.keys = rp_copy_terms(p, t->u.obj.keys, t->u.obj.n);
		c->u.obj.vals = rp_copy_terms(p, t->u.obj.vals, t->u.obj.n);
		break;
	case AT_ARR_COMP: case AT_SET_COMP: case AT_OBJ_COMP:
		c->u.comp.key = rp_copy_term(p, t->u.comp.key);
		c->u.comp.val = rp_copy_term(p, t->u.comp.val);
		c->u.comp.body = copy_body(p, t->u.comp.body);
		break;
	case AT_CALL:
		c->u.call.op = rp_copy_term(p, t->u.call.op);
		c->u.call.args = rp_copy_terms(p, t->u.call.args, t->u.call.nargs);
		break;
	default:
		break;
	}
	return p->oom ? NULL : c;
}
