/* A parsed module as OPA's AST JSON (what rego.parse_module returns: OPA
 * json-encodes its ast.Module and reads the text back as a term). Terms are
 * {"type": ..., "value": ...}; refs, arrays, sets and calls have arrays of
 * terms as values, objects arrays of [key, value] pairs; expressions are
 * {"index", "terms"[, "negated", "with"]}; rules {"head", "body"[,
 * "default", "else"]}. Locations are left out, as OPA's default JSON
 * options do; so are comments (OPA gives their text base64-encoded).
 * The AST is what this parser builds, which follows OPA's: wildcards are
 * $0, $1, ..., operators are calls to OPA's names (plus, equal, ...). */
#include <errno.h>
#include <string.h>

#include "ast_json.h"

struct jb {
	rarena *a;
	bool oom;
};

static const rv *S(struct jb *j, const char *s)
{
	const rv *v = rv_cstr(j->a, s);
	if (v == NULL)
		j->oom = true;
	return v ? v : rv_null();
}

/* Object from up to 8 pairs; NULL values are left out. */
static const rv *obj(struct jb *j, size_t n, const char *const *keys, const rv *const *vals)
{
	const rv *k[8], *v[8];
	size_t m = 0;
	for (size_t i = 0; i < n && m < 8; i++) {
		if (vals[i] == NULL)
			continue;
		k[m] = S(j, keys[i]);
		v[m++] = vals[i];
	}
	const rv *o = rv_obj(j->a, k, v, m, NULL);
	if (o == NULL)
		j->oom = true;
	return o ? o : rv_empty_obj();
}

static const rv *arr(struct jb *j, const rv **items, size_t n)
{
	const rv *v = items ? rv_arr(j->a, items, n) : NULL;
	if (v == NULL)
		j->oom = true;
	return v ? v : rv_empty_arr();
}

static const rv **items_new(struct jb *j, size_t n)
{
	const rv **v = rarena_nalloc(j->a, n + 1, sizeof(*v));
	if (v == NULL)
		j->oom = true;
	return v;
}

static const rv *typed(struct jb *j, const char *type, const rv *value)
{
	return obj(j, 2, (const char *[]){"type", "value"}, (const rv *[]){S(j, type), value});
}

static const rv *term(struct jb *j, const ast_term *t);
static const rv *body(struct jb *j, const ast_body *b);

static const rv *value_term(struct jb *j, const rv *v)
{
	switch (v->t) {
	case RV_NULL: return typed(j, "null", v);
	case RV_BOOL: return typed(j, "boolean", v);
	case RV_NUM: return typed(j, "number", v);
	case RV_STR: return typed(j, "string", v);
	case RV_ARR:
	case RV_SET: {
		const rv **it = items_new(j, v->u.a.n);
		for (size_t i = 0; it && i < v->u.a.n; i++)
			it[i] = value_term(j, v->u.a.v[i]);
		return typed(j, v->t == RV_ARR ? "array" : "set", arr(j, it, v->u.a.n));
	}
	default: {
		const rv **it = items_new(j, v->u.o.n);
		for (size_t i = 0; it && i < v->u.o.n; i++) {
			const rv *kv[2] = {value_term(j, v->u.o.k[i]), value_term(j, v->u.o.v[i])};
			it[i] = arr(j, kv, 2);
		}
		return typed(j, "object", arr(j, it, v->u.o.n));
	}
	}
}

static const rv *var_term(struct jb *j, const char *name, size_t len)
{
	const rv *s = rv_str(j->a, name, len);
	if (s == NULL)
		j->oom = true;
	return typed(j, "var", s ? s : rv_empty_str());
}

static const rv *list(struct jb *j, ast_term *const *items, size_t n)
{
	const rv **it = items_new(j, n);
	for (size_t i = 0; it && i < n; i++)
		it[i] = term(j, items[i]);
	return arr(j, it, n);
}

/* The operator of a call as a ref term: "a.b.c" gives [var a, "b", "c"]. */
static const rv *op_ref(struct jb *j, const char *name)
{
	size_t n = 1;
	for (const char *p = name; *p; p++)
		n += *p == '.';
	const rv **it = items_new(j, n);
	const char *p = name;
	for (size_t i = 0; it && i < n; i++) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (i == 0) {
			it[i] = var_term(j, p, l);
		} else {
			const rv *s = rv_str(j->a, p, l);
			it[i] = s ? typed(j, "string", s) : NULL;
			j->oom |= s == NULL;
			if (s == NULL)
				return rv_empty_arr();
		}
		p += l + (dot != NULL);
	}
	return typed(j, "ref", arr(j, it, n));
}

/* [operator, args...]: the value of a call term and the terms of a call
 * expression. */
static const rv *call_items(struct jb *j, const ast_term *t)
{
	size_t n = t->u.call.nargs;
	const rv **it = items_new(j, n + 1);
	if (it == NULL)
		return rv_empty_arr();
	it[0] = t->u.call.op ? term(j, t->u.call.op) : op_ref(j, t->u.call.name);
	if (it[0] && t->u.call.op && t->u.call.op->kind == AT_VAR)
		it[0] = typed(j, "ref", arr(j, (const rv *[]){it[0]}, 1));
	for (size_t i = 0; i < n; i++)
		it[i + 1] = term(j, t->u.call.args[i]);
	return arr(j, it, n + 1);
}

static const rv *term(struct jb *j, const ast_term *t)
{
	if (t == NULL)
		return rv_null();
	switch (t->kind) {
	case AT_VALUE:
		return value_term(j, t->u.val);
	case AT_VAR:
		return var_term(j, t->u.var.name, t->u.var.len);
	case AT_REF:
		return typed(j, "ref", list(j, t->u.list.items, t->u.list.n));
	case AT_ARR:
		return typed(j, "array", list(j, t->u.list.items, t->u.list.n));
	case AT_SET:
		return typed(j, "set", list(j, t->u.list.items, t->u.list.n));
	case AT_TEMPLATE:
		return typed(j, "templatestring", list(j, t->u.list.items, t->u.list.n));
	case AT_OBJ: {
		const rv **it = items_new(j, t->u.obj.n);
		for (size_t i = 0; it && i < t->u.obj.n; i++) {
			const rv *kv[2] = {term(j, t->u.obj.keys[i]), term(j, t->u.obj.vals[i])};
			it[i] = arr(j, kv, 2);
		}
		return typed(j, "object", arr(j, it, t->u.obj.n));
	}
	case AT_ARR_COMP:
	case AT_SET_COMP:
		return typed(j, t->kind == AT_ARR_COMP ? "arraycomprehension" : "setcomprehension",
		             obj(j, 2, (const char *[]){"term", "body"},
		                 (const rv *[]){term(j, t->u.comp.val), body(j, t->u.comp.body)}));
	case AT_OBJ_COMP:
		return typed(j, "objectcomprehension",
		             obj(j, 3, (const char *[]){"key", "value", "body"},
		                 (const rv *[]){term(j, t->u.comp.key), term(j, t->u.comp.val),
		                                body(j, t->u.comp.body)}));
	case AT_CALL:
		return typed(j, "call", call_items(j, t));
	default:
		return rv_null();
	}
}

static const rv *expr_terms(struct jb *j, const ast_expr *e)
{
	switch (e->kind) {
	case AE_TERM:
		return e->a->kind == AT_CALL ? call_items(j, e->a) : term(j, e->a);
	case AE_UNIFY:
	case AE_ASSIGN: {
		const rv *it[3] = {op_ref(j, e->kind == AE_UNIFY ? "eq" : "assign"), term(j, e->a), term(j, e->b)};
		return arr(j, it, 3);
	}
	case AE_SOME: {
		const rv **it = items_new(j, e->some.nvars);
		for (size_t i = 0; it && i < e->some.nvars; i++)
			it[i] = term(j, e->some.vars[i]);
		return obj(j, 1, (const char *[]){"symbols"}, (const rv *[]){arr(j, it, e->some.nvars)});
	}
	case AE_SOME_IN: {
		const rv *it[4];
		size_t n = 0;
		it[n++] = op_ref(j, e->some.key ? "internal.member_3" : "internal.member_2");
		if (e->some.key)
			it[n++] = term(j, e->some.key);
		it[n++] = term(j, e->some.val);
		it[n++] = term(j, e->some.coll);
		const rv *call = typed(j, "call", arr(j, it, n));
		return obj(j, 1, (const char *[]){"symbols"}, (const rv *[]){arr(j, &call, 1)});
	}
	case AE_EVERY:
		return obj(j, 4, (const char *[]){"key", "value", "domain", "body"},
		           (const rv *[]){e->some.key ? term(j, e->some.key) : rv_null(), term(j, e->some.val),
		                          term(j, e->some.coll), body(j, e->some.body)});
	default:
		return rv_null();
	}
}

static const rv *expr(struct jb *j, const ast_expr *e, size_t index)
{
	const rv *withs = NULL;
	if (e->nwiths) {
		const rv **it = items_new(j, e->nwiths);
		for (size_t i = 0; it && i < e->nwiths; i++)
			it[i] = obj(j, 2, (const char *[]){"target", "value"},
			            (const rv *[]){term(j, e->withs[i].target), term(j, e->withs[i].value)});
		withs = arr(j, it, e->nwiths);
	}
	const rv *idx = rv_int(j->a, (int64_t)index);
	j->oom |= idx == NULL;
	return obj(j, 4, (const char *[]){"index", "terms", "negated", "with"},
	           (const rv *[]){idx, expr_terms(j, e), e->negated ? rv_true() : NULL, withs});
}

static const rv *body(struct jb *j, const ast_body *b)
{
	if (b == NULL)
		return rv_empty_arr();
	const rv **it = items_new(j, b->n);
	for (size_t i = 0; it && i < b->n; i++)
		it[i] = expr(j, b->exprs[i], i);
	return arr(j, it, b->n);
}

static const rv *head(struct jb *j, const ast_rule *r)
{
	const ast_term *h = r->head;
	const rv *ref = h->kind == AT_REF ? list(j, h->u.list.items, h->u.list.n)
	                                  : arr(j, (const rv *[]){term(j, h)}, 1);
	size_t n = h->kind == AT_REF ? h->u.list.n : 1;
	const ast_term *first = h->kind == AT_REF ? h->u.list.items[0] : h;
	const rv *name = NULL;
	if (n == 1 || (n == 2 && h->u.list.items[1]->kind != AT_VALUE))
		name = rv_str(j->a, first->u.var.name, first->u.var.len);
	const rv *args = NULL, *key = NULL, *value = NULL;
	if (r->kind == AR_FUNCTION)
		args = list(j, r->args, r->nargs);
	if (r->kind == AR_MULTI)
		key = term(j, r->key);
	else if (r->kind == AR_OBJECT && n == 2)
		key = term(j, h->u.list.items[1]);
	if (r->kind != AR_MULTI)
		value = term(j, r->value);
	return obj(j, 6, (const char *[]){"name", "ref", "args", "key", "value", "assign"},
	           (const rv *[]){name, ref, args, key, value, r->is_assign ? rv_true() : NULL});
}

static const rv *rule(struct jb *j, const ast_rule *r, unsigned depth)
{
	const rv *els = r->els && depth < 1000 ? rule(j, r->els, depth + 1) : NULL;
	return obj(j, 4, (const char *[]){"head", "body", "default", "else"},
	           (const rv *[]){head(j, r), body(j, r->body), r->is_default ? rv_true() : NULL, els});
}

const rv *rast_module_json(rarena *a, const ast_module *m)
{
	struct jb j = {.a = a};
	const rv *pkg = obj(&j, 1, (const char *[]){"path"},
	                    (const rv *[]){m->package->kind == AT_REF
	                                       ? list(&j, m->package->u.list.items, m->package->u.list.n)
	                                       : arr(&j, (const rv *[]){term(&j, m->package)}, 1)});
	const rv *imports = NULL, *rules = NULL;
	if (m->nimports) {
		const rv **it = items_new(&j, m->nimports);
		for (size_t i = 0; it && i < m->nimports; i++) {
			const ast_import *im = &m->imports[i];
			it[i] = obj(&j, 2, (const char *[]){"path", "alias"},
			            (const rv *[]){term(&j, im->path), im->alias ? S(&j, im->alias) : NULL});
		}
		imports = arr(&j, it, m->nimports);
	}
	if (m->nrules) {
		const rv **it = items_new(&j, m->nrules);
		for (size_t i = 0; it && i < m->nrules; i++)
			it[i] = rule(&j, m->rules[i], 0);
		rules = arr(&j, it, m->nrules);
	}
	const rv *mod = obj(&j, 3, (const char *[]){"package", "imports", "rules"},
	                    (const rv *[]){pkg, imports, rules});
	return j.oom ? NULL : mod;
}
