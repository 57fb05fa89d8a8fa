/* JSON Schema compiler (jsonschema_int.h): schema value -> js_node tree.
 * Checks and wording follow gojsonschema's parseSchema (locales.go), in
 * its keyword order, so the first error is the one OPA reports. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "jsonschema_int.h"

static const char *const type_names[] = {"array", "boolean", "integer", "number",
                                         "null", "object", "string"};

/* Distinct $ref targets per schema (each compiled once; lookups are a
 * linear scan over them). */
#define JS_MAX_REFS 1024u

struct jsc {
	rarena *a;
	const rv *root;
	struct js_schema *s;
	const char *msg;
	const rv **memo_v;       /* $ref targets already compiled */
	struct js_node **memo_n;
	size_t nmemo, capmemo;
	unsigned depth;
};

static int fail(struct jsc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct jsc *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->msg = rarena_strndup(c->a, buf, strlen(buf));
	return c->msg ? -EINVAL : -ENOMEM;
}

static const rv *get(const rv *m, const char *k) { return rv_obj_gets(m, k, strlen(k)); }

static bool is_int(const rv *v) { return v && v->t == RV_NUM && rv_num_is_integral(v); }

static int compile_node(struct jsc *c, const rv *v, struct js_node **out);
static int compile_into(struct jsc *c, const rv *v, struct js_node *n);
static struct js_node *node_new(struct jsc *c);

static int add_code(struct jsc *c, pcre2_code *re)
{
	struct js_schema *s = c->s;
	if (s->ncodes == s->capcodes) {
		size_t cap = s->capcodes ? s->capcodes * 2 : 8;
		pcre2_code **p = realloc(s->codes, cap * sizeof(*p));
		if (p == NULL) {
			pcre2_code_free(re);
			return -ENOMEM;
		}
		s->codes = p;
		s->capcodes = cap;
	}
	s->codes[s->ncodes++] = re;
	return 0;
}

/* Compiles a pattern (PCRE2 in UTF mode; Go's RE2 syntax is close to a
 * subset). NULL code with 0 return: invalid. */
static int compile_re(struct jsc *c, const rv *pat, pcre2_code **out)
{
	int ec;
	PCRE2_SIZE off;
	*out = pcre2_compile((PCRE2_SPTR)pat->u.s.p, pat->u.s.n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
	                     &ec, &off, NULL);
	return *out ? add_code(c, *out) : 0;
}

static int list(struct jsc *c, const rv *v, const char *key, struct js_list *out)
{
	if (v->t != RV_ARR)
		return fail(c, "%s must be of an array", key);
	if (v->u.a.n == 0)
		return fail(c, "%s must be of an array", key);
	out->v = rarena_nalloc(c->a, v->u.a.n, sizeof(*out->v));
	if (out->v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < v->u.a.n; i++) {
		int r = compile_node(c, v->u.a.v[i], &out->v[i]);
		if (r < 0)
			return r;
	}
	out->n = v->u.a.n;
	return 0;
}

static int types(struct jsc *c, struct js_node *n, const rv *t)
{
	const rv *one = t;
	size_t cnt = 1;
	if (t->t == RV_ARR) {
		cnt = t->u.a.n;
	} else if (t->t != RV_STR) {
		return fail(c, "type must be of type string/array of strings");
	}
	for (size_t i = 0; i < cnt; i++) {
		if (t->t == RV_ARR)
			one = t->u.a.v[i];
		if (one->t != RV_STR)
			return fail(c, "type must be of type string/array of strings");
		size_t k = 0;
		while (k < 7 && !(strlen(type_names[k]) == one->u.s.n &&
		                  memcmp(type_names[k], one->u.s.p, one->u.s.n) == 0))
			k++;
		if (k == 7)
			return fail(c, "has a primitive type that is NOT VALID -- given: /%s/ Expected valid "
			               "values are:[array boolean integer number null object string]",
			            one->u.s.p);
		for (size_t j = 0; j < n->ntypes; j++)
			if (n->types[j] == k)
				return fail(c, "%s type is duplicated", type_names[k]);
		n->types[n->ntypes++] = (uint8_t)k;
	}
	return 0;
}

static int count_kw(struct jsc *c, const rv *m, const char *key, int64_t *out)
{
	const rv *v = get(m, key);
	*out = -1;
	if (v == NULL)
		return 0;
	if (!is_int(v) || !rv_num_as_i64(v, out))
		return fail(c, "%s must be of an integer", key);
	if (*out < 0)
		return fail(c, "%s must be greater than or equal to 0", key);
	return 0;
}

static int number_kw(struct jsc *c, const rv *m, const char *key, const rv **out)
{
	const rv *v = get(m, key);
	if (v && v->t != RV_NUM)
		return fail(c, "%s must be of a number", key);
	*out = v;
	return 0;
}

/* draft 4's boolean exclusiveMinimum/Maximum or draft 6's number. */
static int exclusive(struct jsc *c, const rv *m, const char *key, const char *base,
                     const rv **bound, const rv **out)
{
	const rv *v = get(m, key);
	if (v == NULL)
		return 0;
	if (v->t == RV_BOOL) {
		if (*bound == NULL)
			return fail(c, "%s cannot be used without %s", key, base);
		if (v->u.b) {
			*out = *bound;
			*bound = NULL;
		}
		return 0;
	}
	if (v->t != RV_NUM)
		return fail(c, "%s must be of a number", key);
	*out = v;
	return 0;
}

static int object_kws(struct jsc *c, const rv *m, struct js_node *n)
{
	int r = 0;
	const rv *v;
	if ((v = get(m, "properties"))) {
		if (v->t != RV_OBJ)
			return fail(c, "properties must be of an object");
		n->prop_keys = v;
		n->prop_nodes = rarena_nalloc(c->a, v->u.o.n + 1, sizeof(*n->prop_nodes));
		if (n->prop_nodes == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < v->u.o.n; i++)
			if ((r = compile_node(c, v->u.o.v[i], &n->prop_nodes[i])) < 0)
				return r;
	}
	if ((v = get(m, "additionalProperties"))) {
		if (v->t == RV_BOOL)
			n->ap_false = !v->u.b;
		else if (v->t == RV_OBJ)
			r = compile_node(c, v, &n->ap);
		else
			return fail(c, "additionalProperties must be of a boolean/valid schema");
		if (v->t == RV_OBJ && r < 0)
			return r;
	}
	if ((v = get(m, "patternProperties"))) {
		if (v->t != RV_OBJ)
			return fail(c, "patternProperties must be of an object");
		n->npp = v->u.o.n;
		n->pp = rarena_nalloc(c->a, n->npp + 1, sizeof(*n->pp));
		n->pp_nodes = rarena_nalloc(c->a, n->npp + 1, sizeof(*n->pp_nodes));
		if (n->pp == NULL || n->pp_nodes == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < n->npp; i++) {
			const rv *k = v->u.o.k[i];
			if (k->t != RV_STR)
				return fail(c, "patternProperties must be of an object");
			n->pp[i].src = k;
			if ((r = compile_re(c, k, &n->pp[i].re)) < 0)
				return r;
			if (n->pp[i].re == NULL)
				return fail(c, "Invalid regex pattern '%s'", k->u.s.p);
			if ((r = compile_node(c, v->u.o.v[i], &n->pp_nodes[i])) < 0)
				return r;
		}
	}
	if ((v = get(m, "propertyNames")) && (r = compile_node(c, v, &n->propnames)) < 0)
		return r;
	if ((v = get(m, "dependencies"))) {
		if (v->t != RV_OBJ)
			return fail(c, "dependencies must be of an object");
		n->dep_keys = v;
		n->dep_nodes = rarena_nalloc(c->a, v->u.o.n + 1, sizeof(*n->dep_nodes));
		if (n->dep_nodes == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < v->u.o.n; i++) {
			const rv *d = v->u.o.v[i];
			n->dep_nodes[i] = NULL;
			if (d->t == RV_ARR) {
				for (size_t j = 0; j < d->u.a.n; j++)
					if (d->u.a.v[j]->t != RV_STR)
						return fail(c, "dependency items must be string");
			} else if ((r = compile_node(c, d, &n->dep_nodes[i])) < 0) {
				return r;
			}
		}
	}
	return 0;
}

static int array_kws(struct jsc *c, const rv *m, struct js_node *n)
{
	int r;
	const rv *v;
	if ((v = get(m, "items"))) {
		if (v->t == RV_ARR) {
			n->items.v = rarena_nalloc(c->a, v->u.a.n + 1, sizeof(*n->items.v));
			if (n->items.v == NULL)
				return -ENOMEM;
			for (size_t i = 0; i < v->u.a.n; i++)
				if ((r = compile_node(c, v->u.a.v[i], &n->items.v[i])) < 0)
					return r;
			n->items.n = v->u.a.n;
		} else if (v->t == RV_OBJ || v->t == RV_BOOL) {
			n->items.v = rarena_nalloc(c->a, 1, sizeof(*n->items.v));
			if (n->items.v == NULL)
				return -ENOMEM;
			if ((r = compile_node(c, v, &n->items.v[0])) < 0)
				return r;
			n->items.n = 1;
			n->items_single = 1;
		} else {
			return fail(c, "items must be of a valid schema/array of schemas");
		}
	}
	if ((v = get(m, "additionalItems"))) {
		if (v->t == RV_BOOL)
			n->ai_false = !v->u.b;
		else if (v->t == RV_OBJ) {
			if ((r = compile_node(c, v, &n->ai)) < 0)
				return r;
		} else
			return fail(c, "additionalItems must be of a boolean/valid schema");
	}
	return 0;
}

static int scalar_kws(struct jsc *c, const rv *m, struct js_node *n)
{
	int r;
	const rv *v;
	if ((r = number_kw(c, m, "multipleOf", &n->multiple_of)) < 0)
		return r;
	if (n->multiple_of && rv_num_ld(n->multiple_of) <= 0)
		return fail(c, "multipleOf must be strictly greater than 0");
	if ((r = number_kw(c, m, "minimum", &n->minimum)) < 0 ||
	    (r = exclusive(c, m, "exclusiveMinimum", "minimum", &n->minimum, &n->excl_min)) < 0 ||
	    (r = number_kw(c, m, "maximum", &n->maximum)) < 0 ||
	    (r = exclusive(c, m, "exclusiveMaximum", "maximum", &n->maximum, &n->excl_max)) < 0)
		return r;
	if (n->minimum && n->maximum && rv_num_cmp(n->minimum, n->maximum) > 0)
		return fail(c, "minimum cannot be greater than maximum");
	if ((r = count_kw(c, m, "minLength", &n->min_len)) < 0 ||
	    (r = count_kw(c, m, "maxLength", &n->max_len)) < 0)
		return r;
	if (n->min_len >= 0 && n->max_len >= 0 && n->min_len > n->max_len)
		return fail(c, "minLength cannot be greater than maxLength");
	if ((v = get(m, "pattern"))) {
		if (v->t != RV_STR)
			return fail(c, "pattern must be of a string");
		n->pattern.src = v;
		if ((r = compile_re(c, v, &n->pattern.re)) < 0)
			return r;
		if (n->pattern.re == NULL)
			return fail(c, "pattern must be a valid regex");
	}
	if ((r = count_kw(c, m, "minProperties", &n->min_props)) < 0 ||
	    (r = count_kw(c, m, "maxProperties", &n->max_props)) < 0)
		return r;
	if (n->min_props >= 0 && n->max_props >= 0 && n->min_props > n->max_props)
		return fail(c, "minProperties cannot be greater than maxProperties");
	if ((v = get(m, "required"))) {
		if (v->t != RV_ARR)
			return fail(c, "required must be of an array");
		for (size_t i = 0; i < v->u.a.n; i++) {
			if (v->u.a.v[i]->t != RV_STR)
				return fail(c, "required items must be string");
			for (size_t j = 0; j < i; j++)
				if (rv_eq(v->u.a.v[i], v->u.a.v[j]))
					return fail(c, "required items must be unique");
		}
		n->required = v;
	}
	if ((r = count_kw(c, m, "minItems", &n->min_items)) < 0 ||
	    (r = count_kw(c, m, "maxItems", &n->max_items)) < 0)
		return r;
	if (n->min_items >= 0 && n->max_items >= 0 && n->min_items > n->max_items)
		return fail(c, "minItems cannot be greater than maxItems");
	if ((v = get(m, "uniqueItems"))) {
		if (v->t != RV_BOOL)
			return fail(c, "uniqueItems must be of a boolean");
		n->unique = v->u.b;
	}
	return 0;
}

static int logic_kws(struct jsc *c, const rv *m, struct js_node *n)
{
	int r;
	const rv *v;
	if ((v = get(m, "contains")) && (r = compile_node(c, v, &n->contains)) < 0)
		return r;
	n->constv = get(m, "const");
	if ((v = get(m, "enum"))) {
		if (v->t != RV_ARR)
			return fail(c, "enum must be of an array");
		for (size_t i = 0; i < v->u.a.n; i++)
			for (size_t j = 0; j < i; j++)
				if (rv_eq(v->u.a.v[i], v->u.a.v[j]))
					return fail(c, "enum items must be unique");
		n->enumv = v;
	}
	if ((v = get(m, "oneOf")) && (r = list(c, v, "oneOf", &n->one_of)) < 0)
		return r;
	if ((v = get(m, "anyOf")) && (r = list(c, v, "anyOf", &n->any_of)) < 0)
		return r;
	if ((v = get(m, "allOf")) && (r = list(c, v, "allOf", &n->all_of)) < 0)
		return r;
	if ((v = get(m, "not")) && (r = compile_node(c, v, &n->not_)) < 0)
		return r;
	if ((v = get(m, "if")) && (r = compile_node(c, v, &n->if_)) < 0)
		return r;
	if ((v = get(m, "then")) && (r = compile_node(c, v, &n->then_)) < 0)
		return r;
	if ((v = get(m, "else")) && (r = compile_node(c, v, &n->else_)) < 0)
		return r;
	return 0;
}

/* A JSON pointer fragment ("#", "#/a/b~1c") into the root document. */
static int resolve(struct jsc *c, const rv *ref, const rv **out)
{
	const char *p = ref->u.s.p, *end = p + ref->u.s.n;
	if (p == end || *p != '#')
		return fail(c, "Reference %s must be canonical", ref->u.s.p);
	p++;
	const rv *cur = c->root;
	char seg[1024];
	while (p < end) {
		if (*p != '/')
			return fail(c, "Reference %s must be canonical", ref->u.s.p);
		p++;
		size_t sn = 0;
		while (p < end && *p != '/') {
			char ch = *p++;
			if (ch == '~' && p < end && (*p == '0' || *p == '1'))
				ch = *p++ == '0' ? '~' : '/';
			if (sn + 1 >= sizeof(seg))
				return fail(c, "Reference %s must be canonical", ref->u.s.p);
			seg[sn++] = ch;
		}
		seg[sn] = 0;
		if (cur->t == RV_OBJ) {
			const rv *nx = rv_obj_gets(cur, seg, sn);
			if (nx == NULL)
				return fail(c, "Object has no key '%s'", seg);
			cur = nx;
		} else if (cur->t == RV_ARR) {
			char *e = NULL;
			unsigned long i = strtoul(seg, &e, 10);
			if (sn == 0 || *e || i >= cur->u.a.n)
				return fail(c, "Out of bound array[0,%zu] index '%s'", cur->u.a.n, seg);
			cur = cur->u.a.v[i];
		} else {
			return fail(c, "Invalid token reference '%s'", seg);
		}
	}
	*out = cur;
	return 0;
}

static int memo_put(struct jsc *c, const rv *v, struct js_node *n)
{
	if (c->nmemo == c->capmemo) {
		size_t cap = c->capmemo ? c->capmemo * 2 : 16;
		const rv **mv = realloc(c->memo_v, cap * sizeof(*mv));
		if (mv == NULL)
			return -ENOMEM;
		c->memo_v = mv;
		struct js_node **mn = realloc(c->memo_n, cap * sizeof(*mn));
		if (mn == NULL)
			return -ENOMEM;
		c->memo_n = mn;
		c->capmemo = cap;
	}
	c->memo_v[c->nmemo] = v;
	c->memo_n[c->nmemo++] = n;
	return 0;
}

static int compile_ref(struct jsc *c, const rv *ref, struct js_node *n)
{
	if (ref->t != RV_STR)
		return fail(c, "$ref must be of type string");
	const rv *target;
	int r = resolve(c, ref, &target);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->nmemo; i++)
		if (c->memo_v[i] == target) {
			n->ref = c->memo_n[i];
			return 0;
		}
	if (c->nmemo >= JS_MAX_REFS)
		return fail(c, "more than %u distinct $ref targets", JS_MAX_REFS);
	if ((n->ref = node_new(c)) == NULL || (r = memo_put(c, target, n->ref)) < 0)
		return -ENOMEM;
	return compile_into(c, target, n->ref);
}

static struct js_node *node_new(struct jsc *c)
{
	struct js_node *n = rarena_zalloc(c->a, sizeof(*n));
	if (n) {
		n->pass = -1;
		n->min_len = n->max_len = n->min_props = n->max_props = -1;
		n->min_items = n->max_items = -1;
	}
	return n;
}

static int compile_node(struct jsc *c, const rv *v, struct js_node **out)
{
	struct js_node *n = node_new(c);
	if (n == NULL)
		return -ENOMEM;
	*out = n;
	return compile_into(c, v, n);
}

static int compile_into(struct jsc *c, const rv *v, struct js_node *n)
{
	int r = 0;
	if (c->depth >= CC_REGO_MAX_SCHEMA_DEPTH)
		return fail(c, "schema nested deeper than %u levels", CC_REGO_MAX_SCHEMA_DEPTH);
	if (v->t == RV_BOOL) {
		n->pass = v->u.b;
		return 0;
	}
	if (v->t != RV_OBJ)
		return fail(c, "Invalid type. Expected: valid schema, given: %s",
		            v->t == RV_ARR ? "array" : v->t == RV_STR ? "string"
		            : v->t == RV_NUM ? "number" : v->t == RV_NULL ? "null" : "set");
	c->depth++;
	const rv *t;
	if ((t = get(v, "$ref"))) {
		r = compile_ref(c, t, n);
	} else {
		if ((t = get(v, "definitions"))) {
			if (t->t != RV_OBJ)
				r = fail(c, "definitions must be of an object");
			for (size_t i = 0; r == 0 && t->t == RV_OBJ && i < t->u.o.n; i++) {
				struct js_node *d;
				r = compile_node(c, t->u.o.v[i], &d);
			}
		}
		if (r == 0 && (t = get(v, "type")))
			r = types(c, n, t);
		if (r == 0)
			r = object_kws(c, v, n);
		if (r == 0)
			r = array_kws(c, v, n);
		if (r == 0)
			r = scalar_kws(c, v, n);
		if (r == 0)
			r = logic_kws(c, v, n);
	}
	c->depth--;
	return r;
}

int js_schema_compile(rarena *a, const rv *schema, struct js_schema **ret, const char **msg)
{
	struct js_schema *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	struct jsc c = {.a = a, .root = schema, .s = s};
	int r = compile_node(&c, schema, &s->root);
	free(c.memo_v);
	free(c.memo_n);
	if (r == 0) {
		s->mctx = pcre2_match_context_create(NULL);
		s->md = pcre2_match_data_create(1, NULL);
		if (s->mctx == NULL || s->md == NULL)
			r = -ENOMEM;
		else
			pcre2_set_match_limit(s->mctx, CC_REGO_REGEX_MATCH_LIMIT);
	}
	if (r < 0) {
		if (r == -EINVAL && msg)
			*msg = c.msg;
		js_schema_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void js_schema_free(struct js_schema *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ncodes; i++)
		pcre2_code_free(s->codes[i]);
	free(s->codes);
	pcre2_match_context_free(s->mctx);
	pcre2_match_data_free(s->md);
	free(s);
}
