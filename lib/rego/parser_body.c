/* Rego parser: body expressions ([not] expr [with ...], `some`, `every`)
 * and bodies separated by `;` or newlines. */
#include <string.h>

#include "parser_int.h"

static bool parse_withs(struct parser *p, ast_expr *e)
{
	struct pvec tv = {0}, vv = {0}, lv = {0};
	do {
		ast_loc loc = cur_loc(p);
		rp_scan(p);
		if (tk(p) != RT_IDENT) {
			rp_illegal(p, "expected ident");
			return false;
		}
		ast_term *target = rp_parse_term(p);
		if (target == NULL)
			return false;
		if (target->kind != AT_REF && target->kind != AT_VAR)
			rp_illegal(p, "expected with target path");
		if (tk(p) != RT_AS) {
			rp_illegal(p, "expected as keyword");
			return false;
		}
		rp_scan(p);
		ast_term *value = rp_parse_infix(p, true);
		ast_loc *lp = rp_pz(p, sizeof(*lp));
		if (value == NULL || lp == NULL)
			return false;
		*lp = loc;
		if (!rp_pv_push(p, &tv, target) || !rp_pv_push(p, &vv, value) || !rp_pv_push(p, &lv, lp))
			return false;
	} while (tk(p) == RT_WITH);
	ast_with *w = rp_pnz(p, tv.n, sizeof(*w));
	if (w == NULL)
		return false;
	for (size_t i = 0; i < tv.n; i++) {
		w[i].target = tv.v[i];
		w[i].value = vv.v[i];
		w[i].loc = *(ast_loc *)lv.v[i];
	}
	e->withs = w;
	e->nwiths = tv.n;
	return true;
}

static ast_expr *parse_expr(struct parser *p, ast_loc loc)
{
	ast_term *lhs = rp_parse_infix(p, true);
	if (lhs == NULL)
		return NULL;
	int k = tk(p);
	if (k == RT_ASSIGN || k == RT_UNIFY) {
		rp_scan(p);
		ast_term *rhs = rp_parse_infix(p, true);
		if (rhs == NULL)
			return NULL;
		ast_expr *e = rp_new_expr(p, k == RT_ASSIGN ? AE_ASSIGN : AE_UNIFY, loc);
		if (e != NULL) {
			e->a = lhs;
			e->b = rhs;
		}
		return e;
	}
	ast_expr *e = rp_new_expr(p, AE_TERM, loc);
	if (e != NULL)
		e->a = lhs;
	return e;
}

static ast_expr *parse_literal_expr(struct parser *p, ast_loc loc, bool negated)
{
	ast_expr *e = parse_expr(p, loc);
	if (e == NULL)
		return NULL;
	e->negated = negated;
	if (tk(p) == RT_WITH && !parse_withs(p, e))
		return NULL;
	return e;
}

static bool is_member_call(const ast_term *t, size_t *nargs)
{
	if (t->kind != AT_CALL || t->u.call.name == NULL)
		return false;
	if (strcmp(t->u.call.name, "internal.member_2") == 0)
		*nargs = 2;
	else if (strcmp(t->u.call.name, "internal.member_3") == 0)
		*nargs = 3;
	else
		return false;
	return true;
}

static void set_some_in(ast_expr *e, const ast_term *call)
{
	size_t i = 0;
	if (call->u.call.nargs == 3)
		e->some.key = call->u.call.args[i++];
	e->some.val = call->u.call.args[i++];
	e->some.coll = call->u.call.args[i];
}

/* `some x, y` or `some [k,] v in xs`. */
static ast_expr *parse_some(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	struct pstate s = p->s;
	rp_scan(p);
	ast_term *t = rp_parse_infix(p, true);
	if (t != NULL && t->kind == AT_CALL) {
		size_t nargs;
		if (!is_member_call(t, &nargs)) {
			rp_illegal(p, "expected `x in xs` or `x, y in xs` expression");
			return NULL;
		}
		ast_expr *e = rp_new_expr(p, AE_SOME_IN, loc);
		if (e == NULL)
			return NULL;
		set_some_in(e, t);
		if (tk(p) == RT_WITH && !parse_withs(p, e))
			return NULL;
		return e;
	}
	p->s = s;
	struct pvec vars = {0};
	do {
		rp_scan(p);
		if (tk(p) != RT_IDENT) {
			rp_illegal(p, "expected var");
			return NULL;
		}
		ast_term *v = rp_parse_var(p);
		if (v == NULL || !rp_pv_push(p, &vars, v))
			return NULL;
		rp_scan(p);
	} while (tk(p) == RT_COMMA);
	ast_expr *e = rp_new_expr(p, AE_SOME, loc);
	if (e != NULL) {
		e->some.vars = (ast_term **)vars.v;
		e->some.nvars = vars.n;
	}
	return e;
}

static ast_expr *parse_every(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	rp_scan(p);
	ast_term *t = rp_parse_infix(p, true);
	if (t == NULL)
		return NULL;
	size_t nargs;
	if (!is_member_call(t, &nargs)) {
		rp_illegal(p, "expected `x[, y] in xs { ... }` expression");
		return NULL;
	}
	ast_expr *e = rp_new_expr(p, AE_EVERY, loc);
	if (e == NULL)
		return NULL;
	set_some_in(e, t);
	if (e->some.key != NULL && e->some.key->kind != AT_VAR) {
		rp_illegal(p, "expected key to be a variable");
		return NULL;
	}
	if (e->some.val->kind != AT_VAR) {
		rp_illegal(p, "expected value to be a variable");
		return NULL;
	}
	if (tk(p) != RT_LBRACE) {
		rp_illegal(p, "missing body");
		return NULL;
	}
	rp_scan(p);
	e->some.body = rp_parse_body(p, RT_RBRACE);
	if (e->some.body == NULL)
		return NULL;
	rp_scan(p);
	if (tk(p) == RT_WITH && !parse_withs(p, e))
		return NULL;
	return e;
}

/* One body expression: [not] expr [with ...], some ..., every ... */
ast_expr *rp_parse_literal(struct parser *p)
{
	ast_loc loc = cur_loc(p);
	if (rp_scan_ahead_ref(p))
		return parse_literal_expr(p, loc, false);
	bool negated = false;
	if (tk(p) == RT_NOT) {
		rp_scan(p);
		negated = true;
	}
	switch (tk(p)) {
	case RT_SOME:
		if (negated) {
			rp_illegal(p, "illegal negation of 'some'");
			return NULL;
		}
		return parse_some(p);
	case RT_EVERY:
		if (negated) {
			rp_illegal(p, "illegal negation of 'every'");
			return NULL;
		}
		return parse_every(p);
	default:
		return parse_literal_expr(p, loc, negated);
	}
}

/* Expressions separated by `;` or newlines, up to `end` (not consumed).
 * require_semi: stop after the first `;`-list (module/query statements). */
ast_body *rp_parse_query_body(struct parser *p, bool require_semi, int end)
{
	ast_loc loc = cur_loc(p);
	if (tk(p) == end) {
		rp_perr_at(p, loc, "found empty body");
		return NULL;
	}
	struct pvec exprs = {0};
	for (;;) {
		ast_expr *e = rp_parse_literal(p);
		if (e == NULL || !rp_pv_push(p, &exprs, e))
			return NULL;
		if (tk(p) == RT_SEMI) {
			rp_scan(p);
			continue;
		}
		if (tk(p) == end || require_semi)
			break;
		if (!(p->s.cur.flags & RTF_NL)) {
			rp_illegal(p, "expected \\n or ; or %s", rlex_kind_name(end));
			return NULL;
		}
	}
	ast_body *b = rp_pz(p, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->exprs = (ast_expr **)exprs.v;
	b->n = exprs.n;
	b->loc = loc;
	return b;
}

ast_body *rp_parse_body(struct parser *p, int end)
{
	if (!rp_enter(p))
		return NULL;
	ast_body *b = rp_parse_query_body(p, false, end);
	rp_leave(p);
	return b;
}
