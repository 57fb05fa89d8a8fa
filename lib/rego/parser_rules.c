/* Rego parser: rules. Heads (refs, functions, `contains`, values), bodies
 * (`if`, braces, chained v0 bodies), `else` chains, `default` rules, and
 * rules written as plain statements (`p = 1`, `p[x]`, OPA's
 * ParseRuleFromExpr). */
#include <stdio.h>
#include <string.h>

#include "parser_int.h"

/* ---- rules --------------------------------------------------------------- */

static bool term_ground(const ast_term *t)
{
	switch (t->kind) {
	case AT_VALUE:
		return true;
	case AT_ARR:
	case AT_SET:
		for (size_t i = 0; i < t->u.list.n; i++)
			if (!term_ground(t->u.list.items[i]))
				return false;
		return true;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++)
			if (!term_ground(t->u.obj.keys[i]) || !term_ground(t->u.obj.vals[i]))
				return false;
		return true;
	case AT_TEMPLATE:
		if (t->u.list.exprs != NULL)
			return false;
		return true;
	default:
		return false;
	}
}

static bool ref_tail_ground(ast_term *const *ref, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (!term_ground(ref[i]))
			return false;
	return true;
}

static uint8_t classify(const struct rhead *h)
{
	if (h->is_call && h->nargs > 0)
		return AR_FUNCTION;
	if (h->key != NULL && h->value == NULL)
		return AR_MULTI;
	return ref_tail_ground(h->ref, h->nref) ? AR_COMPLETE : AR_OBJECT;
}

static uint8_t head_flags(const struct rhead *h)
{
	uint8_t f = 0;
	if (h->gen_value)
		f |= RM_GEN_VALUE;
	if (h->kw_if)
		f |= RM_IF;
	if (h->kw_contains)
		f |= RM_CONTAINS;
	if (h->is_call && h->nargs > 0)
		f |= RM_FUNC;
	return f;
}

static ast_rule *mk_rule(struct parser *p, ast_loc loc, const struct rhead *h, ast_body *body,
                         bool dflt, struct rmeta **meta, uint8_t extra_flags)
{
	ast_rule *r = rp_pz(p, sizeof(*r));
	struct rmeta *m = rp_pz(p, sizeof(*m));
	if (r == NULL || m == NULL || body == NULL)
		return NULL;
	r->kind = classify(h);
	r->is_default = dflt;
	r->is_assign = h->assign;
	r->loc = loc;
	r->file = p->file;
	r->head = rp_mk_ref_n(p, h->ref[0]->loc, h->ref, h->nref);
	r->key = r->kind == AR_MULTI ? h->key : NULL;
	r->value = h->value;
	r->args = h->args;
	r->nargs = h->nargs;
	r->body = body;
	if (r->head == NULL)
		return NULL;
	m->rule = r;
	m->flags = (uint8_t)(head_flags(h) | extra_flags);
	*meta = m;
	return r;
}

/* Copy of a head for a chained body or an else branch: fresh terms, and
 * fresh names for wildcard arguments (as OPA's genwildcard on copies). */
static bool copy_head(struct parser *p, const struct rhead *h, struct rhead *c)
{
	*c = *h;
	c->ref = rp_copy_terms(p, h->ref, h->nref);
	c->key = rp_copy_term(p, h->key);
	c->value = rp_copy_term(p, h->value);
	c->args = rp_copy_terms(p, h->args, h->nargs);
	if (p->oom || c->ref == NULL)
		return false;
	for (size_t i = 0; i < c->nargs; i++) {
		if (c->args[i]->kind == AT_VAR && c->args[i]->u.var.wildcard) {
			c->args[i] = rp_mk_wildcard(p, c->args[i]->loc);
			if (c->args[i] == NULL)
				return false;
		}
	}
	return true;
}

/* Prints a head ref for messages ("p.q", "f"). */
static void head_text(struct parser *p, const struct rhead *h, char *buf, size_t n)
{
	ast_term *t = rp_mk_ref_n(p, h->loc, h->ref, h->nref);
	if (t == NULL) {
		snprintf(buf, n, "?");
		return;
	}
	rp_term_text(t, buf, n);
}

/* Rule head from the term parse_head_finish() returned. report: record
 * a parse error for an invalid call operator. */
static bool head_from_term(struct parser *p, struct rhead *h, ast_term *t, bool report)
{
	switch (t->kind) {
	case AT_VAR:
		h->ref = rp_pnz(p, 1, sizeof(*h->ref));
		if (h->ref == NULL)
			return false;
		h->ref[0] = t;
		h->nref = 1;
		return true;
	case AT_REF:
		h->ref = t->u.list.items;
		h->nref = t->u.list.n;
		return true;
	case AT_CALL: {
		ast_term *op = t->u.call.op;
		if (op->kind == AT_REF && op->u.list.items[0]->kind != AT_VAR) {
			char buf[128];
			rp_term_text(op, buf, sizeof(buf));
			if (report)
				rp_illegal(p, "rule head ref %s invalid", buf);
			return false;
		}
		if (!head_from_term(p, h, op, report))
			return false;
		h->args = t->u.call.args;
		h->nargs = t->u.call.nargs;
		h->is_call = true;
		return true;
	}
	default:
		return false;
	}
}

static bool is_infix_token(int k)
{
	return rp_ast_op_name(k) != NULL;
}

/* OPA's parseHeadFinish: a space is allowed before the first `[`, `.` or
 * `(` of a rule head, and an operator right after the name is an error. */
static ast_term *parse_head_finish(struct parser *p, ast_term *head)
{
	rp_scan(p);
	int k = tk(p);
	if (!cur_ws(p) && is_infix_token(k))
		rp_illegal(p, NULL);
	if (k == RT_LPAREN || k == RT_DOT || k == RT_LBRACK)
		return rp_parse_ref(p, head, true);
	return head;
}

static bool parse_head_value(struct parser *p, struct rhead *h, bool dflt)
{
	char name[128];
	bool assign = tk(p) == RT_ASSIGN;
	rp_scan(p);
	h->assign = assign;
	h->value = rp_parse_infix(p, true);
	if (h->value != NULL)
		return true;
	head_text(p, h, name, sizeof(name));
	if (!assign)
		rp_illegal(p, "expected rule value term (e.g., %s[<nil>] = <VALUE> { ... })", name);
	else if (h->nargs > 0)
		rp_illegal(p, "expected function value term (e.g., %s(...) := <VALUE> { ... })", name);
	else if (dflt)
		rp_illegal(p, "expected default rule value term (e.g., default %s := <VALUE>)", name);
	else
		rp_illegal(p, "expected rule value term (e.g., %s := <VALUE> { ... })", name);
	return false;
}

static bool parse_head(struct parser *p, bool dflt, struct rhead *h)
{
	memset(h, 0, sizeof(*h));
	h->loc = cur_loc(p);
	ast_term *v = rp_parse_var(p);
	if (v == NULL)
		return false;
	ast_term *t = parse_head_finish(p, v);
	if (t == NULL) {
		rp_illegal(p, "expected rule head name");
		return false;
	}
	if (!head_from_term(p, h, t, true))
		return false;
	char name[128];
	switch (tk(p)) {
	case RT_CONTAINS:
		if (h->is_call) {
			head_text(p, h, name, sizeof(name));
			rp_illegal(p, "the contains keyword can only be used with multi-value rule "
			           "definitions (e.g., %s contains <VALUE> { ... })", name);
		}
		rp_scan(p);
		h->kw_contains = true;
		h->key = rp_parse_infix(p, true);
		if (h->key == NULL) {
			head_text(p, h, name, sizeof(name));
			rp_illegal(p, "expected rule key term (e.g., %s contains <VALUE> { ... })", name);
			return false;
		}
		return true;
	case RT_UNIFY:
	case RT_ASSIGN:
		if (!parse_head_value(p, h, dflt))
			return false;
		break;
	default:
		break;
	}
	if (h->value == NULL && h->key == NULL && (h->nref != 2 || h->nargs > 0)) {
		h->value = rp_mk_true(p, h->loc);
		h->gen_value = true;
	}
	return true;
}

/* OPA's validateDefaultRuleValue: no vars, refs or calls outside
 * comprehensions. Returns the offending kind name or NULL. */
static const char *default_value_bad(const ast_term *t)
{
	switch (t->kind) {
	case AT_VAR: return "var";
	case AT_REF: return "ref";
	case AT_CALL: return "call";
	case AT_ARR: case AT_SET: case AT_TEMPLATE:
		for (size_t i = 0; i < t->u.list.n; i++) {
			const char *b = default_value_bad(t->u.list.items[i]);
			if (b != NULL)
				return b;
		}
		return NULL;
	case AT_OBJ:
		for (size_t i = 0; i < t->u.obj.n; i++) {
			const char *b = default_value_bad(t->u.obj.keys[i]);
			if (b == NULL)
				b = default_value_bad(t->u.obj.vals[i]);
			if (b != NULL)
				return b;
		}
		return NULL;
	default:
		return NULL;
	}
}

static bool validate_default(struct parser *p, ast_loc loc, const struct rhead *h)
{
	if (h->value == NULL) {
		rp_perr_at(p, loc, "illegal default rule (must have a value)");
		return false;
	}
	const char *bad = default_value_bad(h->value);
	if (bad != NULL) {
		rp_perr_at(p, loc, "illegal default rule (value cannot contain %s)", bad);
		return false;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		const ast_term *a = h->args[i];
		if (a->kind != AT_VAR) {
			rp_perr_at(p, loc, "illegal default rule (arguments cannot contain %s)", rp_value_name(a));
			return false;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(h->args[j]->u.var.name, a->u.var.name) == 0) {
				rp_perr_at(p, loc, "illegal default rule (arguments cannot be repeated %s)",
				        a->u.var.name);
				return false;
			}
		}
	}
	return true;
}

static bool rlist_add(struct parser *p, struct rlist *out, ast_rule *r, struct rmeta *m)
{
	return r != NULL && rp_pv_push(p, &out->rules, r) && rp_pv_push(p, &out->metas, m);
}

/* `{ body }` after a rule head: consumes both braces. */
static ast_body *parse_brace_body(struct parser *p)
{
	rp_scan(p);
	ast_body *b = rp_parse_body(p, RT_RBRACE);
	if (b != NULL)
		rp_scan(p);
	return b;
}

static ast_rule *parse_else(struct parser *p, const struct rhead *orig, struct rmeta **meta);

/* Body and else chain of an else branch (after its value). */
static ast_rule *else_finish(struct parser *p, ast_loc loc, struct rhead *h,
                             const struct rhead *orig, struct rmeta **meta)
{
	bool has_if = tk(p) == RT_IF;
	ast_body *body;
	uint8_t extra = 0;
	if (!has_if && tk(p) != RT_LBRACE) {
		body = rp_true_body(p, loc);
		extra = RM_GEN_BODY;
	} else {
		if (has_if) {
			h->kw_if = true;
			rp_scan(p);
		}
		if (tk(p) == RT_LBRACE) {
			body = parse_brace_body(p);
		} else if (tk(p) != RT_EOF) {
			ast_expr *e = rp_parse_literal(p);
			body = e ? rp_single_body(p, e) : NULL;
		} else {
			rp_illegal(p, "rule body expected");
			return NULL;
		}
		if (body == NULL)
			return NULL;
	}
	ast_rule *r = mk_rule(p, loc, h, body, false, meta, extra);
	if (r == NULL)
		return NULL;
	if (!extra && tk(p) == RT_ELSE) {
		r->els = parse_else(p, orig, &(*meta)->els);
		if (r->els == NULL)
			return NULL;
	}
	return r;
}

static ast_rule *parse_else(struct parser *p, const struct rhead *orig, struct rmeta **meta)
{
	ast_loc loc = cur_loc(p);
	struct rhead h;
	if (!copy_head(p, orig, &h))
		return NULL;
	h.gen_value = false;
	h.loc = loc;
	rp_scan(p);
	switch (tk(p)) {
	case RT_LBRACE:
	case RT_IF:
		h.value = rp_mk_true(p, loc);
		h.gen_value = true;
		break;
	case RT_ASSIGN:
	case RT_UNIFY:
		h.assign = tk(p) == RT_ASSIGN;
		rp_scan(p);
		h.value = rp_parse_infix(p, true);
		if (h.value == NULL)
			return NULL;
		break;
	default:
		rp_illegal(p, "expected else value term or rule body");
		return NULL;
	}
	ast_rule *r = else_finish(p, loc, &h, orig, meta);
	if (r != NULL)
		r->kind = classify(orig);
	return r;
}

/* `p if <expr>` or `p if { body }`: OPA first tries a single expression and
 * falls back to a body when that expression would be a set literal. */
static ast_body *parse_if_body(struct parser *p)
{
	rp_scan(p);
	struct pstate s = p->s;
	ast_expr *e = rp_parse_literal(p);
	if (e != NULL && !(e->kind == AE_TERM && e->a->kind == AT_SET))
		return rp_single_body(p, e);
	const struct perr *lit_err = p->s.err;
	p->s = s;
	if (tk(p) != RT_LBRACE) {
		if (lit_err != NULL)
			p->s.err = lit_err;
		else
			rp_illegal(p, NULL);
		return NULL;
	}
	return parse_brace_body(p);
}

/* Rule heads of the two kinds that depend on `if` (OPA's parseRules). */
static void adjust_ref_head(struct parser *p, struct rhead *h, bool has_if)
{
	if (h->kw_contains || h->nref != 2)
		return;
	ast_term *v = h->ref[1];
	if (has_if) {
		/* p[x] if ...: a single-value rule p[x] (value true). */
		if ((!term_ground(v) || v->kind == AT_REF) && h->nargs == 0)
			h->key = v;
		if (h->value == NULL) {
			h->value = rp_mk_true(p, h->loc);
			h->gen_value = true;
		}
	} else if (h->nargs == 0) {
		/* v0 p[x] { ... }: partial set p; p[k] = v { ... }: object. */
		h->key = v;
		if (h->value == NULL)
			h->nref = 1;
	}
}

/* Chained bodies `p { a } { b }` (v0): one rule per body. */
static bool parse_chained(struct parser *p, const struct rhead *h, uint8_t flags,
                          struct rlist *out)
{
	while (tk(p) == RT_LBRACE) {
		ast_loc loc = cur_loc(p);
		ast_body *body = parse_brace_body(p);
		struct rhead c;
		struct rmeta *m;
		if (body == NULL || !copy_head(p, h, &c))
			return false;
		ast_rule *r = mk_rule(p, loc, &c, body, false, &m, flags);
		if (!rlist_add(p, out, r, m))
			return false;
	}
	return true;
}

int rp_parse_rules(struct parser *p, struct rlist *out)
{
	ast_loc loc = cur_loc(p);
	rp_scan_ahead_ref(p);
	bool dflt = false;
	if (tk(p) == RT_DEFAULT) {
		rp_scan(p);
		dflt = true;
		rp_scan_ahead_ref(p);
	}
	if (tk(p) != RT_IDENT)
		return 0;
	struct rhead h;
	struct rmeta *m = NULL;
	if (!parse_head(p, dflt, &h))
		return 0;
	if (dflt) {
		if (!validate_default(p, loc, &h))
			return 0;
		ast_rule *d = mk_rule(p, loc, &h, rp_true_body(p, loc), true, &m, 0);
		return rlist_add(p, out, d, m);
	}
	bool has_if = tk(p) == RT_IF;
	adjust_ref_head(p, &h, has_if);
	ast_body *body;
	if (has_if) {
		h.kw_if = true;
		body = parse_if_body(p);
	} else if (tk(p) == RT_LBRACE) {
		body = parse_brace_body(p);
	} else if (h.kw_contains) {
		ast_rule *c = mk_rule(p, h.loc, &h, rp_true_body(p, h.loc), false, &m, RM_GEN_BODY);
		return rlist_add(p, out, c, m);
	} else {
		return 0;
	}
	if (body == NULL)
		return 0;
	ast_rule *r = mk_rule(p, loc, &h, body, false, &m, 0);
	if (r == NULL)
		return 0;
	if (tk(p) == RT_ELSE && !rp_scan_ahead_ref(p)) {
		if (h.nref > 1 && !ref_tail_ground(h.ref, h.nref)) {
			rp_perr_at(p, cur_loc(p), "else keyword cannot be used on rules with variables in head");
			return 0;
		}
		if (h.key != NULL) {
			rp_perr_at(p, cur_loc(p), "else keyword cannot be used on multi-value rules");
			return 0;
		}
		r->els = parse_else(p, &h, &m->els);
		if (r->els == NULL)
			return 0;
	}
	if (!rlist_add(p, out, r, m))
		return 0;
	if (tk(p) == RT_LBRACE && r->els != NULL) {
		rp_perr_at(p, cur_loc(p), "expected else keyword");
		return 0;
	}
	return parse_chained(p, &h, m->flags, out) ? 1 : 0;
}

/* ---- rules written as plain statements ---------------------------------- */

/* Rule from a statement that parsed as a body (OPA's ParseRuleFromExpr):
 * `p = 1`, `p := 1`, `p.q.r`, `p[x]`, `f(x) = y`, `f(x)`. */
static bool rule_from_term(struct parser *p, const ast_expr *e, struct rhead *h)
{
	ast_term *t = e->a;
	if (t->kind == AT_CALL) {
		if (t->u.call.name != NULL && rp_is_operator_name(t->u.call.name)) {
			rp_conv_err_at(p, e->loc, "rule name conflicts with built-in function");
			return false;
		}
		if (t->u.call.nargs == 0) {
			rp_conv_err_at(p, e->loc, "rule argument list must take at least one argument");
			return false;
		}
	} else if (t->kind == AT_VAR && (rp_is_var_named(t, "data") || rp_is_var_named(t, "input"))) {
		rp_conv_err_at(p, e->loc, "refs cannot be used for rule head");
		return false;
	} else if (t->kind != AT_REF) {
		rp_conv_err_at(p, e->loc, "%s cannot be used for rule name", rp_value_name(t));
		return false;
	}
	if (!head_from_term(p, h, t, false) || h->ref[0]->kind != AT_VAR) {
		char buf[128];
		rp_term_text(t, buf, sizeof(buf));
		rp_conv_err_at(p, e->loc, "invalid rule head: %s", buf);
		return false;
	}
	if (t->kind == AT_CALL) {
		h->value = rp_mk_true(p, e->loc);
	} else if (h->nref > 2) {
		h->value = rp_mk_true(p, e->loc);
		h->gen_value = true;
	} else {
		h->key = h->ref[1]; /* partial set p[x] */
		h->nref = 1;
	}
	return true;
}

static bool rule_from_eq(struct parser *p, const ast_expr *e, struct rhead *h)
{
	ast_term *lhs = e->a;
	if (lhs->kind != AT_VAR && lhs->kind != AT_REF && lhs->kind != AT_CALL) {
		rp_conv_err_at(p, e->loc, "%s cannot be used for rule name", rp_value_name(lhs));
		return false;
	}
	if (!head_from_term(p, h, lhs, false) || h->ref[0]->kind != AT_VAR) {
		char buf[128];
		rp_term_text(lhs, buf, sizeof(buf));
		rp_conv_err_at(p, e->loc, "invalid rule head: %s", buf);
		return false;
	}
	if (lhs->kind == AT_REF && h->nref == 2)
		h->key = h->ref[1]; /* back-compat `p[k] = v` */
	h->value = e->b;
	h->assign = e->kind == AE_ASSIGN;
	return true;
}

bool rp_rule_from_body(struct parser *p, const ast_body *b, struct rlist *out)
{
	const ast_expr *e = b->exprs[0];
	if (b->n != 1) {
		rp_conv_err_at(p, e->loc, "multiple expressions cannot be used for rule head");
		return false;
	}
	if (e->nwiths) {
		rp_conv_err_at(p, e->loc, "expressions using with keyword cannot be used for rule head");
		return false;
	}
	if (e->negated) {
		rp_conv_err_at(p, e->loc, "negated expressions cannot be used for rule head");
		return false;
	}
	struct rhead h;
	memset(&h, 0, sizeof(h));
	h.loc = e->loc;
	bool ok;
	switch (e->kind) {
	case AE_SOME:
	case AE_SOME_IN:
		rp_conv_err_at(p, e->loc, "'some' declarations cannot be used for rule head");
		return false;
	case AE_TERM:
		ok = rule_from_term(p, e, &h);
		break;
	case AE_UNIFY:
	case AE_ASSIGN:
		ok = rule_from_eq(p, e, &h);
		break;
	default:
		rp_conv_err_at(p, e->loc, "expression cannot be used for rule head");
		return false;
	}
	if (!ok)
		return false;
	struct rmeta *m;
	ast_rule *r = mk_rule(p, e->loc, &h, rp_true_body(p, e->loc), false, &m, RM_GEN_BODY);
	return rlist_add(p, out, r, m);
}
