/* GraphQL documents as the Rego values OPA returns, and back.
 *
 * OPA marshals gqlparser's structs to JSON (field names as in Go), then
 * prunes every "Position", every null and every empty array or object;
 * strings, false and 0 stay. AST objects given to the builtins are read
 * as Go's json.Unmarshal into those structs would: missing fields are
 * zero values, unknown fields are ignored, a wrong JSON type is an error.
 */
#include <stdio.h>
#include <string.h>

#include "graphql_int.h"

/* ---- documents -> values ------------------------------------------------- */

struct ob {
	rarena *a;
	const rv *k[12];
	const rv *v[12];
	size_t n;
	bool *fail;
};

static void ob_init(struct ob *o, rarena *a, bool *fail)
{
	o->a = a;
	o->n = 0;
	o->fail = fail;
}

static void ob_put(struct ob *o, const char *key, const rv *v)
{
	if (v == NULL) {
		*o->fail = true;
		return;
	}
	const rv *k = rv_str_ref(o->a, key, strlen(key));
	if (k == NULL) {
		*o->fail = true;
		return;
	}
	o->k[o->n] = k;
	o->v[o->n] = v;
	o->n++;
}

/* Pruned: nothing when v is NULL-as-absent or an empty array/object. */
static void ob_opt(struct ob *o, const char *key, const rv *v)
{
	if (v == NULL || ((v->t == RV_ARR || v->t == RV_OBJ) && rv_len(v) == 0))
		return;
	ob_put(o, key, v);
}

static void ob_str(struct ob *o, const char *key, const char *s, size_t n)
{
	ob_put(o, key, rv_str(o->a, s ? s : "", s ? n : 0));
}

static void ob_cstr(struct ob *o, const char *key, const char *s)
{
	ob_str(o, key, s, s ? strlen(s) : 0);
}

static const rv *ob_done(struct ob *o)
{
	if (*o->fail)
		return NULL;
	const rv *r = rv_obj(o->a, o->k, o->v, o->n, NULL);
	if (r == NULL)
		*o->fail = true;
	return r;
}

typedef const rv *(*conv_fn)(rarena *a, const void *item, bool *fail);

/* An array of converted items (pruned: empty results are dropped). NULL
 * for an empty list (absent) or on failure (*fail set). */
static const rv *list_rv(rarena *a, const struct gq_list *l, conv_fn f, bool *fail)
{
	if (l->n == 0 || *fail)
		return NULL;
	const rv **items = rarena_nalloc(a, l->n, sizeof(*items));
	if (items == NULL) {
		*fail = true;
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		const rv *x = f(a, l->v[i], fail);
		if (*fail)
			return NULL;
		if (x == NULL || ((x->t == RV_OBJ || x->t == RV_ARR) && rv_len(x) == 0))
			continue;
		items[k++] = x;
	}
	const rv *r = rv_arr(a, items, k);
	if (r == NULL)
		*fail = true;
	return r;
}

static const rv *name_rv(rarena *a, const void *item, bool *fail)
{
	const char *s = item;
	const rv *r = rv_str(a, s, strlen(s));
	if (r == NULL)
		*fail = true;
	return r;
}

static const rv *value_rv(rarena *a, const void *item, bool *fail);

static const rv *child_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_child *c = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "Name", c->name);
	if (c->value)
		ob_opt(&o, "Value", value_rv(a, c->value, fail));
	return ob_done(&o);
}

static const rv *value_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_value *v = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_str(&o, "Raw", v->raw.p, v->raw.n);
	ob_opt(&o, "Children", list_rv(a, &v->children, child_rv, fail));
	ob_put(&o, "Kind", rv_int(a, v->kind));
	ob_put(&o, "ExpectedTypeHasDefault", rv_false());
	return ob_done(&o);
}

static const rv *type_rv(rarena *a, const struct gq_type *t, bool *fail)
{
	if (t == NULL)
		return NULL;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "NamedType", t->named);
	if (t->elem)
		ob_opt(&o, "Elem", type_rv(a, t->elem, fail));
	ob_put(&o, "NonNull", rv_bool(t->nonnull));
	return ob_done(&o);
}

static const rv *arg_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_arg *g = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "Name", g->name);
	if (g->value)
		ob_opt(&o, "Value", value_rv(a, g->value, fail));
	return ob_done(&o);
}

static const rv *dir_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_directive *d = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "Name", d->name);
	ob_opt(&o, "Arguments", list_rv(a, &d->args, arg_rv, fail));
	ob_cstr(&o, "Location", "");
	return ob_done(&o);
}

static const rv *vardef_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_vardef *d = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "Variable", d->var);
	ob_opt(&o, "Type", type_rv(a, d->type, fail));
	if (d->defval)
		ob_opt(&o, "DefaultValue", value_rv(a, d->defval, fail));
	ob_opt(&o, "Directives", list_rv(a, &d->dirs, dir_rv, fail));
	ob_put(&o, "Used", rv_false());
	return ob_done(&o);
}

static const rv *sel_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_sel *s = item;
	struct ob o;
	ob_init(&o, a, fail);
	switch (s->kind) {
	case GQS_FIELD:
		ob_cstr(&o, "Alias", s->alias);
		ob_cstr(&o, "Name", s->name);
		ob_opt(&o, "Arguments", list_rv(a, &s->args, arg_rv, fail));
		break;
	case GQS_SPREAD:
		ob_cstr(&o, "Name", s->name);
		break;
	default:
		ob_cstr(&o, "TypeCondition", s->typecond);
		break;
	}
	ob_opt(&o, "Directives", list_rv(a, &s->dirs, dir_rv, fail));
	if (s->kind != GQS_SPREAD)
		ob_opt(&o, "SelectionSet", list_rv(a, &s->sels, sel_rv, fail));
	return ob_done(&o);
}

static const rv *op_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_op *p = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "Operation", p->operation);
	ob_cstr(&o, "Name", p->name);
	ob_opt(&o, "VariableDefinitions", list_rv(a, &p->vardefs, vardef_rv, fail));
	ob_opt(&o, "Directives", list_rv(a, &p->dirs, dir_rv, fail));
	ob_opt(&o, "SelectionSet", list_rv(a, &p->sels, sel_rv, fail));
	return ob_done(&o);
}

static const rv *frag_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_frag *f = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "Name", f->name);
	ob_opt(&o, "VariableDefinition", list_rv(a, &f->vardefs, vardef_rv, fail));
	ob_cstr(&o, "TypeCondition", f->typecond);
	ob_opt(&o, "Directives", list_rv(a, &f->dirs, dir_rv, fail));
	ob_opt(&o, "SelectionSet", list_rv(a, &f->sels, sel_rv, fail));
	return ob_done(&o);
}

const rv *gq_qdoc_to_rv(rarena *a, const struct gq_qdoc *d)
{
	bool fail = false;
	struct ob o;
	ob_init(&o, a, &fail);
	ob_opt(&o, "Operations", list_rv(a, &d->ops, op_rv, &fail));
	ob_opt(&o, "Fragments", list_rv(a, &d->frags, frag_rv, &fail));
	return ob_done(&o);
}

static const rv *fielddef_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_fielddef *f = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_str(&o, "Description", f->desc.p, f->desc.n);
	ob_cstr(&o, "Name", f->name);
	ob_opt(&o, "Arguments", list_rv(a, &f->args, fielddef_rv, fail));
	if (f->defval)
		ob_opt(&o, "DefaultValue", value_rv(a, f->defval, fail));
	ob_opt(&o, "Type", type_rv(a, f->type, fail));
	ob_opt(&o, "Directives", list_rv(a, &f->dirs, dir_rv, fail));
	return ob_done(&o);
}

static const rv *enumval_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_enumval *v = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_str(&o, "Description", v->desc.p, v->desc.n);
	ob_cstr(&o, "Name", v->name);
	ob_opt(&o, "Directives", list_rv(a, &v->dirs, dir_rv, fail));
	return ob_done(&o);
}

static const rv *def_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_def *d = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "Kind", d->kind);
	ob_str(&o, "Description", d->desc.p, d->desc.n);
	ob_cstr(&o, "Name", d->name);
	ob_opt(&o, "Directives", list_rv(a, &d->dirs, dir_rv, fail));
	ob_opt(&o, "Interfaces", list_rv(a, &d->interfaces, name_rv, fail));
	ob_opt(&o, "Fields", list_rv(a, &d->fields, fielddef_rv, fail));
	ob_opt(&o, "Types", list_rv(a, &d->types, name_rv, fail));
	ob_opt(&o, "EnumValues", list_rv(a, &d->enumvals, enumval_rv, fail));
	ob_put(&o, "BuiltIn", rv_bool(d->builtin));
	return ob_done(&o);
}

static const rv *dirdef_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_dirdef *d = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_str(&o, "Description", d->desc.p, d->desc.n);
	ob_cstr(&o, "Name", d->name);
	ob_opt(&o, "Arguments", list_rv(a, &d->args, fielddef_rv, fail));
	ob_opt(&o, "Locations", list_rv(a, &d->locations, name_rv, fail));
	ob_put(&o, "IsRepeatable", rv_bool(d->repeatable));
	return ob_done(&o);
}

static const rv *optype_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_optype *t = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_cstr(&o, "Operation", t->operation);
	ob_cstr(&o, "Type", t->type);
	return ob_done(&o);
}

static const rv *schemadef_rv(rarena *a, const void *item, bool *fail)
{
	const struct gq_schemadef *s = item;
	struct ob o;
	ob_init(&o, a, fail);
	ob_str(&o, "Description", s->desc.p, s->desc.n);
	ob_opt(&o, "Directives", list_rv(a, &s->dirs, dir_rv, fail));
	ob_opt(&o, "OperationTypes", list_rv(a, &s->optypes, optype_rv, fail));
	return ob_done(&o);
}

const rv *gq_sdoc_to_rv(rarena *a, const struct gq_sdoc *d)
{
	bool fail = false;
	struct ob o;
	ob_init(&o, a, &fail);
	ob_opt(&o, "Schema", list_rv(a, &d->schema, schemadef_rv, &fail));
	ob_opt(&o, "SchemaExtension", list_rv(a, &d->schemaext, schemadef_rv, &fail));
	ob_opt(&o, "Directives", list_rv(a, &d->directives, dirdef_rv, &fail));
	ob_opt(&o, "Definitions", list_rv(a, &d->defs, def_rv, &fail));
	ob_opt(&o, "Extensions", list_rv(a, &d->exts, def_rv, &fail));
	return ob_done(&o);
}

/* ---- values -> documents ------------------------------------------------- */

struct rd {
	rarena *a;
	struct gq_err *e;
	bool failed;
	unsigned depth;
};

static const char *json_kind(const rv *v)
{
	switch (v->t) {
	case RV_BOOL: return "bool";
	case RV_NUM: return "number";
	case RV_STR: return "string";
	case RV_ARR: case RV_SET: return "array";
	default: return "object";
	}
}

static void rd_mismatch(struct rd *r, const rv *v, const char *field, const char *gotype)
{
	if (r->failed)
		return;
	r->failed = true;
	gq_errf(r->e, (struct gq_pos){0, 0}, "json: cannot unmarshal %s into Go struct field %s of type %s",
	        json_kind(v), field, gotype);
}

static bool rd_enter(struct rd *r)
{
	if (++r->depth > 4 * 128u) {
		if (!r->failed) {
			r->failed = true;
			r->e->limit = true;
			gq_errf(r->e, (struct gq_pos){0, 0}, "GraphQL AST object nests too deep");
		}
		return false;
	}
	return true;
}

static const rv *get(const rv *obj, const char *key)
{
	const rv *v = rv_obj_gets(obj, key, strlen(key));
	if (v && v->t == RV_NULL)
		return NULL;
	return v;
}

static const char *rd_str(struct rd *r, const rv *obj, const char *key, const char *field)
{
	const rv *v = get(obj, key);
	if (v == NULL)
		return "";
	if (v->t != RV_STR) {
		rd_mismatch(r, v, field, "string");
		return "";
	}
	return v->u.s.p;
}

static struct gq_str rd_gstr(struct rd *r, const rv *obj, const char *key, const char *field)
{
	struct gq_str s = {"", 0};
	const rv *v = get(obj, key);
	if (v == NULL)
		return s;
	if (v->t != RV_STR) {
		rd_mismatch(r, v, field, "string");
		return s;
	}
	s.p = v->u.s.p;
	s.n = v->u.s.n;
	return s;
}

static bool rd_bool(struct rd *r, const rv *obj, const char *key, const char *field)
{
	const rv *v = get(obj, key);
	if (v == NULL)
		return false;
	if (v->t != RV_BOOL) {
		rd_mismatch(r, v, field, "bool");
		return false;
	}
	return v->u.b;
}

static void *rd_node(struct rd *r, size_t size)
{
	void *n = gq_new(r->a, size);
	if (n == NULL && !r->failed) {
		r->failed = true;
		r->e->oom = true;
		gq_errf(r->e, (struct gq_pos){0, 0}, "out of memory");
	}
	return n;
}

typedef void *(*rd_fn)(struct rd *r, const rv *item);

static void rd_list(struct rd *r, const rv *obj, const char *key, const char *field,
                    struct gq_list *out, rd_fn f)
{
	const rv *v = get(obj, key);
	if (v == NULL || r->failed)
		return;
	if (v->t != RV_ARR && v->t != RV_SET) {
		rd_mismatch(r, v, field, "[]");
		return;
	}
	if (!rd_enter(r))
		return;
	for (size_t i = 0; i < v->u.a.n && !r->failed; i++) {
		void *x = f(r, v->u.a.v[i]);
		if (x && gq_push(r->a, out, x) < 0) {
			r->failed = true;
			r->e->oom = true;
		}
	}
	r->depth--;
}

static void *rd_name(struct rd *r, const rv *item)
{
	if (item->t == RV_NULL)
		return (void *)"";
	if (item->t != RV_STR) {
		rd_mismatch(r, item, "[]string", "string");
		return NULL;
	}
	return (void *)item->u.s.p;
}

static bool rd_obj(struct rd *r, const rv *item, const char *field)
{
	if (item->t == RV_NULL)
		return false;
	if (item->t != RV_OBJ) {
		rd_mismatch(r, item, field, "struct");
		return false;
	}
	return true;
}

static void *rd_value(struct rd *r, const rv *item);

static void *rd_child(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "ChildValue"))
		return NULL;
	struct gq_child *c = rd_node(r, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->name = rd_str(r, item, "Name", "ChildValue.Name");
	const rv *v = get(item, "Value");
	if (v)
		c->value = rd_value(r, v);
	return c;
}

static void *rd_value(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "Value") || !rd_enter(r))
		return NULL;
	struct gq_value *v = rd_node(r, sizeof(*v));
	if (v) {
		v->raw = rd_gstr(r, item, "Raw", "Value.Raw");
		const rv *k = get(item, "Kind");
		int64_t kind = 0;
		if (k && (k->t != RV_NUM || !rv_num_as_i64(k, &kind)))
			rd_mismatch(r, k, "Value.Kind", "ast.ValueKind");
		v->kind = (int)kind;
		if (kind < 0 || kind > GQV_OBJECT)
			v->kind = -1; /* an unknown kind: matches no rule */
		rd_list(r, item, "Children", "Value.Children", &v->children, rd_child);
	}
	r->depth--;
	return v;
}

static struct gq_type *rd_type(struct rd *r, const rv *item)
{
	if (item == NULL || !rd_obj(r, item, "Type") || !rd_enter(r))
		return NULL;
	struct gq_type *t = rd_node(r, sizeof(*t));
	if (t) {
		t->named = rd_str(r, item, "NamedType", "Type.NamedType");
		t->nonnull = rd_bool(r, item, "NonNull", "Type.NonNull");
		const rv *e = get(item, "Elem");
		if (e)
			t->elem = rd_type(r, e);
	}
	r->depth--;
	return t;
}

static void *rd_arg(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "Argument"))
		return NULL;
	struct gq_arg *g = rd_node(r, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->name = rd_str(r, item, "Name", "Argument.Name");
	const rv *v = get(item, "Value");
	if (v)
		g->value = rd_value(r, v);
	return g;
}

static void *rd_dir(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "Directive"))
		return NULL;
	struct gq_directive *d = rd_node(r, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->name = rd_str(r, item, "Name", "Directive.Name");
	rd_list(r, item, "Arguments", "Directive.Arguments", &d->args, rd_arg);
	return d;
}

static void *rd_vardef(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "VariableDefinition"))
		return NULL;
	struct gq_vardef *d = rd_node(r, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->var = rd_str(r, item, "Variable", "VariableDefinition.Variable");
	d->type = rd_type(r, get(item, "Type"));
	const rv *v = get(item, "DefaultValue");
	if (v)
		d->defval = rd_value(r, v);
	rd_list(r, item, "Directives", "VariableDefinition.Directives", &d->dirs, rd_dir);
	return d;
}

static void *rd_sel(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "Selection") || !rd_enter(r))
		return NULL;
	struct gq_sel *s = rd_node(r, sizeof(*s));
	if (s) {
		/* Which struct: a field has an alias or arguments; an inline
		 * fragment has a type condition or no name; else a spread. */
		bool has_name = get(item, "Name") != NULL;
		if (get(item, "Alias") || get(item, "Arguments") || (has_name && get(item, "SelectionSet")))
			s->kind = GQS_FIELD;
		else if (get(item, "TypeCondition") || !has_name)
			s->kind = GQS_INLINE;
		else
			s->kind = GQS_SPREAD;
		s->name = rd_str(r, item, "Name", "Field.Name");
		s->alias = rd_str(r, item, "Alias", "Field.Alias");
		s->typecond = rd_str(r, item, "TypeCondition", "InlineFragment.TypeCondition");
		if (s->kind == GQS_FIELD)
			rd_list(r, item, "Arguments", "Field.Arguments", &s->args, rd_arg);
		rd_list(r, item, "Directives", "Field.Directives", &s->dirs, rd_dir);
		if (s->kind != GQS_SPREAD)
			rd_list(r, item, "SelectionSet", "Field.SelectionSet", &s->sels, rd_sel);
	}
	r->depth--;
	return s;
}

static void *rd_op(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "OperationDefinition"))
		return NULL;
	struct gq_op *o = rd_node(r, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->operation = rd_str(r, item, "Operation", "OperationDefinition.Operation");
	o->name = rd_str(r, item, "Name", "OperationDefinition.Name");
	rd_list(r, item, "VariableDefinitions", "OperationDefinition.VariableDefinitions", &o->vardefs, rd_vardef);
	rd_list(r, item, "Directives", "OperationDefinition.Directives", &o->dirs, rd_dir);
	rd_list(r, item, "SelectionSet", "OperationDefinition.SelectionSet", &o->sels, rd_sel);
	return o;
}

static void *rd_frag(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "FragmentDefinition"))
		return NULL;
	struct gq_frag *f = rd_node(r, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->name = rd_str(r, item, "Name", "FragmentDefinition.Name");
	f->typecond = rd_str(r, item, "TypeCondition", "FragmentDefinition.TypeCondition");
	rd_list(r, item, "VariableDefinition", "FragmentDefinition.VariableDefinition", &f->vardefs, rd_vardef);
	rd_list(r, item, "Directives", "FragmentDefinition.Directives", &f->dirs, rd_dir);
	rd_list(r, item, "SelectionSet", "FragmentDefinition.SelectionSet", &f->sels, rd_sel);
	return f;
}

int gq_qdoc_from_rv(rarena *a, const rv *obj, struct gq_qdoc **out, struct gq_err *e)
{
	struct rd r = {a, e, false, 0};
	memset(e, 0, sizeof(*e));
	struct gq_qdoc *d = rd_node(&r, sizeof(*d));
	if (d) {
		rd_list(&r, obj, "Operations", "QueryDocument.Operations", &d->ops, rd_op);
		rd_list(&r, obj, "Fragments", "QueryDocument.Fragments", &d->frags, rd_frag);
	}
	if (r.failed)
		return -1;
	*out = d;
	return 0;
}

static void *rd_fielddef(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "FieldDefinition"))
		return NULL;
	struct gq_fielddef *f = rd_node(r, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->desc = rd_gstr(r, item, "Description", "FieldDefinition.Description");
	f->name = rd_str(r, item, "Name", "FieldDefinition.Name");
	rd_list(r, item, "Arguments", "FieldDefinition.Arguments", &f->args, rd_fielddef);
	const rv *v = get(item, "DefaultValue");
	if (v)
		f->defval = rd_value(r, v);
	f->type = rd_type(r, get(item, "Type"));
	rd_list(r, item, "Directives", "FieldDefinition.Directives", &f->dirs, rd_dir);
	return f;
}

static void *rd_enumval(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "EnumValueDefinition"))
		return NULL;
	struct gq_enumval *v = rd_node(r, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->desc = rd_gstr(r, item, "Description", "EnumValueDefinition.Description");
	v->name = rd_str(r, item, "Name", "EnumValueDefinition.Name");
	rd_list(r, item, "Directives", "EnumValueDefinition.Directives", &v->dirs, rd_dir);
	return v;
}

static void *rd_def(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "Definition"))
		return NULL;
	struct gq_def *d = rd_node(r, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->kind = rd_str(r, item, "Kind", "Definition.Kind");
	d->desc = rd_gstr(r, item, "Description", "Definition.Description");
	d->name = rd_str(r, item, "Name", "Definition.Name");
	d->builtin = rd_bool(r, item, "BuiltIn", "Definition.BuiltIn");
	rd_list(r, item, "Directives", "Definition.Directives", &d->dirs, rd_dir);
	rd_list(r, item, "Interfaces", "Definition.Interfaces", &d->interfaces, rd_name);
	rd_list(r, item, "Fields", "Definition.Fields", &d->fields, rd_fielddef);
	rd_list(r, item, "Types", "Definition.Types", &d->types, rd_name);
	rd_list(r, item, "EnumValues", "Definition.EnumValues", &d->enumvals, rd_enumval);
	return d;
}

static void *rd_dirdef(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "DirectiveDefinition"))
		return NULL;
	struct gq_dirdef *d = rd_node(r, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->desc = rd_gstr(r, item, "Description", "DirectiveDefinition.Description");
	d->name = rd_str(r, item, "Name", "DirectiveDefinition.Name");
	rd_list(r, item, "Arguments", "DirectiveDefinition.Arguments", &d->args, rd_fielddef);
	rd_list(r, item, "Locations", "DirectiveDefinition.Locations", &d->locations, rd_name);
	d->repeatable = rd_bool(r, item, "IsRepeatable", "DirectiveDefinition.IsRepeatable");
	return d;
}

static void *rd_optype(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "OperationTypeDefinition"))
		return NULL;
	struct gq_optype *t = rd_node(r, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->operation = rd_str(r, item, "Operation", "OperationTypeDefinition.Operation");
	t->type = rd_str(r, item, "Type", "OperationTypeDefinition.Type");
	return t;
}

static void *rd_schemadef(struct rd *r, const rv *item)
{
	if (!rd_obj(r, item, "SchemaDefinition"))
		return NULL;
	struct gq_schemadef *s = rd_node(r, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->desc = rd_gstr(r, item, "Description", "SchemaDefinition.Description");
	rd_list(r, item, "Directives", "SchemaDefinition.Directives", &s->dirs, rd_dir);
	rd_list(r, item, "OperationTypes", "SchemaDefinition.OperationTypes", &s->optypes, rd_optype);
	return s;
}

int gq_sdoc_from_rv(rarena *a, const rv *obj, struct gq_sdoc **out, struct gq_err *e)
{
	struct rd r = {a, e, false, 0};
	memset(e, 0, sizeof(*e));
	struct gq_sdoc *d = rd_node(&r, sizeof(*d));
	if (d) {
		rd_list(&r, obj, "Schema", "SchemaDocument.Schema", &d->schema, rd_schemadef);
		rd_list(&r, obj, "SchemaExtension", "SchemaDocument.SchemaExtension", &d->schemaext, rd_schemadef);
		rd_list(&r, obj, "Directives", "SchemaDocument.Directives", &d->directives, rd_dirdef);
		rd_list(&r, obj, "Definitions", "SchemaDocument.Definitions", &d->defs, rd_def);
		rd_list(&r, obj, "Extensions", "SchemaDocument.Extensions", &d->exts, rd_def);
	}
	if (r.failed)
		return -1;
	*out = d;
	return 0;
}
