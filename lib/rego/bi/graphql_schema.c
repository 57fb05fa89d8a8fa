/* A schema from a schema document, as gqlparser's ValidateSchemaDocument
 * builds and checks it after OPA merges in the prelude (the built-in
 * scalars, directives and introspection types): type and directive
 * tables, extensions applied (an extension of a missing type creates
 * it), possible types of interfaces and unions, root operation types, and
 * the definition checks with gqlparser's messages. The document itself is
 * not changed: definitions are copied before extensions touch them. */
#include <stdlib.h>
#include <string.h>

#include "graphql_int.h"

/* The prelude's definitions (the GraphQL specification's built-in
 * scalars, directives and introspection types), without descriptions. */
static const char prelude[] =
    "scalar Int scalar Float scalar String scalar Boolean scalar ID\n"
    "directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @deprecated(reason: String = \"No longer supported\") on FIELD_DEFINITION | "
    "ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE\n"
    "directive @specifiedBy(url: String!) on SCALAR\n"
    "type __Schema { description: String types: [__Type!]! queryType: __Type! "
    "mutationType: __Type subscriptionType: __Type directives: [__Directive!]! }\n"
    "type __Type { kind: __TypeKind! name: String description: String "
    "fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] "
    "possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] "
    "inputFields: [__InputValue!] ofType: __Type specifiedBy: String }\n"
    "type __Field { name: String! description: String args: [__InputValue!]! type: __Type! "
    "isDeprecated: Boolean! deprecationReason: String }\n"
    "type __InputValue { name: String! description: String type: __Type! defaultValue: String }\n"
    "type __EnumValue { name: String! description: String isDeprecated: Boolean! "
    "deprecationReason: String }\n"
    "enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }\n"
    "type __Directive { name: String! description: String locations: [__DirectiveLocation!]! "
    "args: [__InputValue!]! isRepeatable: Boolean! }\n"
    "enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION "
    "FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION "
    "ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }\n";

/* ---- a small string-keyed table ------------------------------------------ */

struct tab {
	const char **k;
	void **v;
	size_t cap, n;
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int tab_init(rarena *a, struct tab *t, size_t n)
{
	t->cap = 16;
	while (t->cap < 2 * n + 16)
		t->cap *= 2;
	t->n = 0;
	t->k = rarena_nalloc(a, t->cap, sizeof(*t->k));
	t->v = rarena_nalloc(a, t->cap, sizeof(*t->v));
	if (t->k == NULL || t->v == NULL)
		return -1;
	memset(t->k, 0, t->cap * sizeof(*t->k));
	return 0;
}

static void **tab_slot(const struct tab *t, const char *key, bool *found)
{
	size_t i = hash(key) & (t->cap - 1);
	while (t->k[i]) {
		if (strcmp(t->k[i], key) == 0) {
			*found = true;
			return &t->v[i];
		}
		i = (i + 1) & (t->cap - 1);
	}
	*found = false;
	return &t->v[i];
}

static void *tab_get(const struct tab *t, const char *key)
{
	bool found;
	void **s = tab_slot(t, key, &found);
	return found ? *s : NULL;
}

/* The table is sized for every key up front, so it never fills. */
static void tab_put(struct tab *t, const char *key, void *val)
{
	bool found;
	void **s = tab_slot(t, key, &found);
	if (!found) {
		size_t i = (size_t)(s - t->v);
		t->k[i] = key;
		t->n++;
	}
	*s = val;
}

struct gq_schema {
	struct tab types;     /* struct gq_def * */
	struct tab dirs;      /* struct gq_dirdef * */
	struct tab possible;  /* struct gq_list * of struct gq_def * (NULL items allowed) */
	struct gq_def *query, *mutation, *subscription;
	rarena *a;
};

struct gq_def *gq_schema_type(const struct gq_schema *s, const char *name)
{
	return tab_get(&s->types, name);
}

struct gq_dirdef *gq_schema_directive(const struct gq_schema *s, const char *name)
{
	return tab_get(&s->dirs, name);
}

struct gq_def *gq_schema_root(const struct gq_schema *s, const char *operation)
{
	if (strcmp(operation, "query") == 0)
		return s->query;
	if (strcmp(operation, "mutation") == 0)
		return s->mutation;
	if (strcmp(operation, "subscription") == 0)
		return s->subscription;
	return NULL;
}

const struct gq_list *gq_schema_possible(const struct gq_schema *s, const char *name)
{
	return tab_get(&s->possible, name);
}

struct gq_index {
	size_t n;   /* list length when built */
	size_t cap; /* power of two */
	struct gq_fielddef **slot;
};

struct gq_fielddef *gq_find_field(const struct gq_list *fields, const char *name)
{
	const struct gq_index *x = fields->index;
	if (x && x->n == fields->n) {
		for (size_t i = hash(name) & (x->cap - 1); x->slot[i]; i = (i + 1) & (x->cap - 1))
			if (strcmp(x->slot[i]->name, name) == 0)
				return x->slot[i];
		return NULL;
	}
	for (size_t i = 0; i < fields->n; i++) {
		struct gq_fielddef *f = fields->v[i];
		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

/* Indexes a list of field or argument definitions by name (the first of
 * each name, as gqlparser's ForName finds it). Short lists stay linear. */
static int index_fields(rarena *a, struct gq_list *l)
{
	if (l->n < 16)
		return 0;
	struct gq_index *x = gq_new(a, sizeof(*x));
	if (x == NULL)
		return -1;
	x->n = l->n;
	x->cap = 32;
	while (x->cap < 2 * l->n)
		x->cap *= 2;
	x->slot = rarena_nalloc(a, x->cap, sizeof(*x->slot));
	if (x->slot == NULL)
		return -1;
	memset(x->slot, 0, x->cap * sizeof(*x->slot));
	for (size_t k = 0; k < l->n; k++) {
		struct gq_fielddef *f = l->v[k];
		size_t i = hash(f->name) & (x->cap - 1);
		bool dup = false;
		for (; x->slot[i] && !dup; i = (i + 1) & (x->cap - 1))
			dup = strcmp(x->slot[i]->name, f->name) == 0;
		if (!dup)
			x->slot[i] = f;
	}
	l->index = x;
	return 0;
}

/* Indexes every field and argument list of the schema's types and
 * directives. */
static int index_schema(struct gq_schema *s, const struct gq_list *defs)
{
	for (size_t i = 0; i < defs->n; i++) {
		struct gq_def *d = defs->v[i];
		if (index_fields(s->a, &d->fields) < 0)
			return -1;
		for (size_t j = 0; j < d->fields.n; j++)
			if (index_fields(s->a, &((struct gq_fielddef *)d->fields.v[j])->args) < 0)
				return -1;
	}
	for (size_t i = 0; i < s->dirs.cap; i++)
		if (s->dirs.k[i] && index_fields(s->a, &((struct gq_dirdef *)s->dirs.v[i])->args) < 0)
			return -1;
	return 0;
}

const char *gq_type_name(const struct gq_type *t)
{
	while (t && t->elem)
		t = t->elem;
	return t && t->named ? t->named : "";
}

static size_t type_len(const struct gq_type *t)
{
	size_t n = 0;
	for (; t; t = t->elem)
		n += (t->elem ? 2 : strlen(t->named)) + (t->nonnull ? 1 : 0);
	return n;
}

static size_t type_put(const struct gq_type *t, char *o)
{
	size_t n = 0;
	if (t->elem) {
		o[n++] = '[';
		n += type_put(t->elem, o + n);
		o[n++] = ']';
	} else {
		size_t k = strlen(t->named);
		memcpy(o + n, t->named, k);
		n += k;
	}
	if (t->nonnull)
		o[n++] = '!';
	return n;
}

const char *gq_type_str(rarena *a, const struct gq_type *t)
{
	if (t == NULL)
		return "";
	char *o = rarena_alloc(a, type_len(t) + 1);
	if (o == NULL)
		return "";
	o[type_put(t, o)] = '\0';
	return o;
}

/* ---- building ------------------------------------------------------------- */

static int fail(struct gq_err *e, struct gq_pos pos, const char *msg)
{
	gq_errf(e, pos, "%s", msg);
	return -1;
}

static int add_possible(struct gq_schema *s, const char *name, struct gq_def *def)
{
	struct gq_list *l = tab_get(&s->possible, name);
	if (l == NULL) {
		l = gq_new(s->a, sizeof(*l));
		if (l == NULL)
			return -1;
		tab_put(&s->possible, name, l);
	}
	return gq_push(s->a, l, def);
}

static int append_all(rarena *a, struct gq_list *dst, const struct gq_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (gq_push(a, dst, src->v[i]) < 0)
			return -1;
	return 0;
}

static struct gq_def *copy_def(rarena *a, const struct gq_def *d)
{
	struct gq_def *c = gq_new(a, sizeof(*c));
	if (c == NULL)
		return NULL;
	*c = *d;
	/* appending must not write into the document's arrays */
	c->dirs.cap = c->dirs.n;
	c->interfaces.cap = c->interfaces.n;
	c->fields.cap = c->fields.n;
	c->types.cap = c->types.n;
	c->enumvals.cap = c->enumvals.n;
	c->fields.index = NULL;
	return c;
}

static bool valid_kind(const char *kind, const char *const *ok)
{
	for (; *ok; ok++)
		if (strcmp(kind, *ok) == 0)
			return true;
	return false;
}

static int check_name(rarena *a, struct gq_err *e, struct gq_pos pos, const char *name)
{
	(void)a;
	if (strncmp(name, "__", 2) == 0) {
		gq_errf(e, pos, "Name \"%s\" must not begin with \"__\", which is reserved by GraphQL introspection.", name);
		return -1;
	}
	return 0;
}

static int check_typeref(struct gq_schema *s, struct gq_err *e, const struct gq_type *t)
{
	const char *n = gq_type_name(t);
	if (gq_schema_type(s, n) == NULL) {
		gq_errf(e, t ? t->pos : (struct gq_pos){0, 0}, "Undefined type %s.", n);
		return -1;
	}
	return 0;
}

static int check_directives(struct gq_schema *s, struct gq_err *e, const struct gq_list *dirs,
                            const char *location, const struct gq_dirdef *current)
{
	for (size_t i = 0; i < dirs->n; i++) {
		const struct gq_directive *d = dirs->v[i];
		if (check_name(s->a, e, d->pos, d->name) < 0)
			return -1;
		if (current && strcmp(d->name, current->name) == 0) {
			gq_errf(e, d->pos, "Directive %s cannot refer to itself.", current->name);
			return -1;
		}
		const struct gq_dirdef *def = gq_schema_directive(s, d->name);
		if (def == NULL) {
			gq_errf(e, d->pos, "Undefined directive %s.", d->name);
			return -1;
		}
		bool ok = false;
		for (size_t j = 0; j < def->locations.n && !ok; j++)
			ok = strcmp(def->locations.v[j], location) == 0;
		if (!ok) {
			gq_errf(e, d->pos, "Directive %s is not applicable on %s.", d->name, location);
			return -1;
		}
	}
	return 0;
}

static const char *const input_kinds[] = {"SCALAR", "ENUM", "INPUT_OBJECT", NULL};

static int check_args(struct gq_schema *s, struct gq_err *e, const struct gq_list *args,
                      const struct gq_dirdef *current)
{
	for (size_t i = 0; i < args->n; i++) {
		const struct gq_fielddef *arg = args->v[i];
		if (check_name(s->a, e, arg->pos, arg->name) < 0 || check_typeref(s, e, arg->type) < 0)
			return -1;
		const struct gq_def *def = gq_schema_type(s, gq_type_name(arg->type));
		if (!valid_kind(def->kind, input_kinds)) {
			gq_errf(e, arg->pos, "cannot use %s as argument %s because %s is not a valid input type",
			        gq_type_str(s->a, arg->type), arg->name, def->kind);
			return -1;
		}
		if (check_directives(s, e, &arg->dirs, "ARGUMENT_DEFINITION", current) < 0)
			return -1;
	}
	return 0;
}

static bool has_str(const struct gq_list *l, const char *want)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], want) == 0)
			return true;
	return false;
}

static bool covariant(const struct gq_schema *s, const struct gq_type *req, const struct gq_type *act,
                      unsigned depth)
{
	if (req == NULL || act == NULL || depth > 256)
		return req == act;
	if (req->nonnull && !act->nonnull)
		return false;
	if (req->named[0] != '\0') {
		if (strcmp(req->named, act->named) == 0)
			return true;
		const struct gq_list *pt = gq_schema_possible(s, req->named);
		for (size_t i = 0; pt && i < pt->n; i++) {
			const struct gq_def *d = pt->v[i];
			if (d && strcmp(d->name, act->named) == 0)
				return true;
		}
		return false;
	}
	if (req->elem && act->elem == NULL)
		return false;
	return covariant(s, req->elem, act->elem, depth + 1);
}

/* gqlparser's Type.IsCompatible. */
bool gq_type_compatible(const struct gq_type *t, const struct gq_type *other)
{
	for (unsigned depth = 0; t && other && depth < 1024; depth++) {
		if (strcmp(t->named, other->named) != 0)
			return false;
		if (t->elem && other->elem == NULL)
			return false;
		if (other->nonnull && !t->nonnull)
			return false;
		if (t->elem == NULL)
			return true;
		t = t->elem;
		other = other->elem;
	}
	return false;
}

static int check_implements(struct gq_schema *s, struct gq_err *e, const struct gq_def *def, const char *iname)
{
	rarena *a = s->a;
	const struct gq_def *intf = gq_schema_type(s, iname);
	if (intf == NULL) {
		gq_errf(e, def->pos, "Undefined type %s.", gq_quote(a, iname, strlen(iname)));
		return -1;
	}
	if (strcmp(intf->kind, "INTERFACE") != 0) {
		gq_errf(e, def->pos, "%s is a non interface type %s.", gq_quote(a, iname, strlen(iname)), intf->kind);
		return -1;
	}
	for (size_t i = 0; i < intf->fields.n; i++) {
		const struct gq_fielddef *req = intf->fields.v[i];
		const struct gq_fielddef *found = gq_find_field(&def->fields, req->name);
		if (found == NULL) {
			gq_errf(e, def->pos, "For %s to implement %s it must have a field called %s.", def->name,
			        intf->name, req->name);
			return -1;
		}
		if (!covariant(s, req->type, found->type, 0)) {
			gq_errf(e, found->pos, "For %s to implement %s the field %s must have type %s.", def->name,
			        intf->name, req->name, gq_type_str(a, req->type));
			return -1;
		}
		for (size_t j = 0; j < req->args.n; j++) {
			const struct gq_fielddef *ra = req->args.v[j];
			const struct gq_fielddef *fa = gq_find_field(&found->args, ra->name);
			if (fa == NULL) {
				gq_errf(e, found->pos,
				        "For %s to implement %s the field %s must have the same arguments but it is missing %s.",
				        def->name, intf->name, req->name, ra->name);
				return -1;
			}
			if (!gq_type_compatible(ra->type, fa->type)) {
				gq_errf(e, fa->pos,
				        "For %s to implement %s the field %s must have the same arguments but %s has the wrong type.",
				        def->name, intf->name, req->name, ra->name);
				return -1;
			}
		}
		for (size_t j = 0; j < found->args.n; j++) {
			const struct gq_fielddef *fa = found->args.v[j];
			if (gq_find_field(&req->args, fa->name) == NULL && fa->type && fa->type->nonnull &&
			    fa->defval == NULL) {
				gq_errf(e, fa->pos,
				        "For %s to implement %s any additional arguments on %s must be optional or have a default value but %s is required.",
				        def->name, intf->name, found->name, fa->name);
				return -1;
			}
		}
	}
	for (size_t i = 0; i < intf->interfaces.n; i++) {
		const char *t = intf->interfaces.v[i];
		if (!has_str(&def->interfaces, t)) {
			if (strcmp(t, def->name) == 0)
				gq_errf(e, def->pos, "Type %s cannot implement %s because it would create a circular reference.",
				        def->name, iname);
			else
				gq_errf(e, def->pos, "Type %s must implement %s because it is implemented by %s.", def->name,
				        t, iname);
			return -1;
		}
	}
	return 0;
}

static const char *fielddef_name(const void *x)
{
	return ((const struct gq_fielddef *)x)->name;
}

static int check_def(struct gq_schema *s, struct gq_err *e, const struct gq_def *def)
{
	static const char *const out_kinds[] = {"SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM", NULL};
	static const char *const obj_kinds[] = {"OBJECT", NULL};
	for (size_t i = 0; i < def->fields.n; i++) {
		const struct gq_fielddef *f = def->fields.v[i];
		if (check_name(s->a, e, f->pos, f->name) < 0 || check_typeref(s, e, f->type) < 0 ||
		    check_args(s, e, &f->args, NULL) < 0)
			return -1;
		const char *loc = strcmp(def->kind, "INPUT_OBJECT") == 0 ? "INPUT_FIELD_DEFINITION" : "FIELD_DEFINITION";
		if (check_directives(s, e, &f->dirs, loc, NULL) < 0)
			return -1;
	}
	for (size_t i = 0; i < def->types.n; i++) {
		const char *t = def->types.v[i];
		const struct gq_def *td = gq_schema_type(s, t);
		if (td == NULL) {
			gq_errf(e, def->pos, "Undefined type %s.", gq_quote(s->a, t, strlen(t)));
			return -1;
		}
		if (!valid_kind(td->kind, obj_kinds)) {
			gq_errf(e, def->pos, "%s type %s must be OBJECT.", def->kind, gq_quote(s->a, t, strlen(t)));
			return -1;
		}
	}
	for (size_t i = 0; i < def->interfaces.n; i++)
		if (check_implements(s, e, def, def->interfaces.v[i]) < 0)
			return -1;
	if (strcmp(def->kind, "OBJECT") == 0 || strcmp(def->kind, "INTERFACE") == 0) {
		if (def->fields.n == 0) {
			gq_errf(e, def->pos, "%s %s: must define one or more fields.", def->kind, def->name);
			return -1;
		}
		for (size_t i = 0; i < def->fields.n; i++) {
			const struct gq_fielddef *f = def->fields.v[i];
			const struct gq_def *t = gq_schema_type(s, gq_type_name(f->type));
			if (t && !valid_kind(t->kind, out_kinds)) {
				gq_errf(e, f->pos, "%s %s: field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.",
				        def->kind, def->name);
				return -1;
			}
		}
	} else if (strcmp(def->kind, "ENUM") == 0) {
		if (def->enumvals.n == 0) {
			gq_errf(e, def->pos, "%s %s: must define one or more unique enum values.", def->kind, def->name);
			return -1;
		}
		for (size_t i = 0; i < def->enumvals.n; i++) {
			const struct gq_enumval *v = def->enumvals.v[i];
			if (strcmp(v->name, "true") == 0 || strcmp(v->name, "false") == 0 || strcmp(v->name, "null") == 0) {
				gq_errf(e, def->pos, "%s %s: non-enum value %s.", def->kind, def->name, v->name);
				return -1;
			}
		}
	} else if (strcmp(def->kind, "INPUT_OBJECT") == 0) {
		if (def->fields.n == 0) {
			gq_errf(e, def->pos, "%s %s: must define one or more input fields.", def->kind, def->name);
			return -1;
		}
		for (size_t i = 0; i < def->fields.n; i++) {
			const struct gq_fielddef *f = def->fields.v[i];
			const struct gq_def *t = gq_schema_type(s, gq_type_name(f->type));
			if (t && !valid_kind(t->kind, input_kinds)) {
				gq_errf(e, f->pos, "%s %s: field must be one of SCALAR, ENUM, INPUT_OBJECT.", t->kind, f->name);
				return -1;
			}
		}
	}
	ptrdiff_t dup = gq_first_dup(s->a, &def->fields, fielddef_name, true, NULL);
	if (dup == -2) {
		e->oom = true;
		return fail(e, (struct gq_pos){0, 0}, "out of memory");
	}
	if (dup >= 0) {
		const struct gq_fielddef *f2 = def->fields.v[dup];
		gq_errf(e, f2->pos, "Field %s.%s can only be defined once.", def->name, f2->name);
		return -1;
	}
	if (!def->builtin && check_name(s->a, e, def->pos, def->name) < 0)
		return -1;
	return check_directives(s, e, &def->dirs, def->kind, NULL);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Keys of a table, sorted (gqlparser validates in name order). */
static const char **sorted_keys(rarena *a, const struct tab *t)
{
	const char **k = rarena_nalloc(a, t->n + 1, sizeof(*k));
	if (k == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->k[i])
			k[n++] = t->k[i];
	qsort(k, n, sizeof(*k), cmp_str);
	return k;
}

static int set_root(struct gq_schema *s, struct gq_err *e, const struct gq_optype *o)
{
	struct gq_def *d = gq_schema_type(s, o->type);
	if (d == NULL) {
		gq_errf(e, o->pos, "Schema root %s refers to a type %s that does not exist.", o->operation, o->type);
		return -1;
	}
	if (strcmp(o->operation, "query") == 0)
		s->query = d;
	else if (strcmp(o->operation, "mutation") == 0)
		s->mutation = d;
	else if (strcmp(o->operation, "subscription") == 0)
		s->subscription = d;
	return 0;
}

static struct gq_sdoc *prelude_doc(rarena *a, struct gq_err *e)
{
	struct gq_sdoc *d = NULL;
	if (gq_parse_schema(a, prelude, sizeof(prelude) - 1, true, &d, e) < 0)
		return NULL;
	return d;
}

static int add_meta_fields(struct gq_schema *s)
{
	rarena *a = s->a;
	struct gq_fielddef *f1 = gq_new(a, sizeof(*f1)), *f2 = gq_new(a, sizeof(*f2)), *arg = gq_new(a, sizeof(*arg));
	struct gq_type *t1 = gq_new(a, sizeof(*t1)), *t2 = gq_new(a, sizeof(*t2)), *t3 = gq_new(a, sizeof(*t3));
	if (!f1 || !f2 || !arg || !t1 || !t2 || !t3)
		return -1;
	*t1 = (struct gq_type){"__Schema", NULL, true, {0, 0}};
	*t2 = (struct gq_type){"__Type", NULL, false, {0, 0}};
	*t3 = (struct gq_type){"String", NULL, true, {0, 0}};
	f1->desc.p = f2->desc.p = arg->desc.p = "";
	f1->name = "__schema";
	f1->type = t1;
	f2->name = "__type";
	f2->type = t2;
	arg->name = "name";
	arg->type = t3;
	if (gq_push(a, &f2->args, arg) < 0)
		return -1;
	return gq_push(a, &s->query->fields, f1) < 0 || gq_push(a, &s->query->fields, f2) < 0 ? -1 : 0;
}

int gq_schema_build(rarena *a, const struct gq_sdoc *doc, struct gq_schema **out, struct gq_err *e)
{
	memset(e, 0, sizeof(*e));
	struct gq_sdoc *pre = prelude_doc(a, e);
	struct gq_schema *s = gq_new(a, sizeof(*s));
	if (pre == NULL || s == NULL) {
		e->oom = true;
		return fail(e, (struct gq_pos){0, 0}, "out of memory");
	}
	s->a = a;
	size_t ntypes = pre->defs.n + doc->defs.n + doc->exts.n;
	if (tab_init(a, &s->types, ntypes) < 0 || tab_init(a, &s->possible, 2 * ntypes + 16) < 0 ||
	    tab_init(a, &s->dirs, pre->directives.n + doc->directives.n) < 0)
		goto oom;
	/* all definitions, prelude first, as copies */
	struct gq_list defs = {0};
	const struct gq_sdoc *docs[2] = {pre, doc};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < docs[k]->defs.n; i++) {
			struct gq_def *d = copy_def(a, docs[k]->defs.v[i]);
			if (d == NULL || gq_push(a, &defs, d) < 0)
				goto oom;
			if (gq_schema_type(s, d->name)) {
				gq_errf(e, d->pos, "Cannot redeclare type %s.", d->name);
				return -1;
			}
			tab_put(&s->types, d->name, d);
		}
	}
	for (size_t i = 0; i < doc->exts.n; i++) {
		const struct gq_def *ext = doc->exts.v[i];
		struct gq_def *d = gq_schema_type(s, ext->name);
		if (d == NULL) {
			d = gq_new(a, sizeof(*d));
			if (d == NULL || gq_push(a, &defs, d) < 0)
				goto oom;
			d->kind = ext->kind;
			d->name = ext->name;
			d->desc.p = "";
			d->pos = ext->pos;
			tab_put(&s->types, d->name, d);
		}
		if (strcmp(d->kind, ext->kind) != 0) {
			gq_errf(e, ext->pos, "Cannot extend type %s because the base type is a %s, not %s.", ext->name,
			        d->kind, ext->kind);
			return -1;
		}
		if (append_all(a, &d->dirs, &ext->dirs) < 0 || append_all(a, &d->interfaces, &ext->interfaces) < 0 ||
		    append_all(a, &d->fields, &ext->fields) < 0 || append_all(a, &d->types, &ext->types) < 0 ||
		    append_all(a, &d->enumvals, &ext->enumvals) < 0)
			goto oom;
	}
	for (size_t i = 0; i < defs.n; i++) {
		struct gq_def *d = defs.v[i];
		if (strcmp(d->kind, "UNION") == 0) {
			for (size_t j = 0; j < d->types.n; j++)
				if (add_possible(s, d->name, gq_schema_type(s, d->types.v[j])) < 0)
					goto oom;
		} else if (strcmp(d->kind, "INPUT_OBJECT") == 0 || strcmp(d->kind, "OBJECT") == 0) {
			for (size_t j = 0; j < d->interfaces.n; j++)
				if (add_possible(s, d->interfaces.v[j], d) < 0)
					goto oom;
			if (add_possible(s, d->name, d) < 0)
				goto oom;
		} else if (strcmp(d->kind, "INTERFACE") == 0) {
			for (size_t j = 0; j < d->interfaces.n; j++)
				if (add_possible(s, d->interfaces.v[j], d) < 0)
					goto oom;
		}
	}
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < docs[k]->directives.n; i++) {
			struct gq_dirdef *dd = docs[k]->directives.v[i];
			if (gq_schema_directive(s, dd->name)) {
				if (strcmp(dd->name, "include") != 0 && strcmp(dd->name, "skip") != 0 &&
				    strcmp(dd->name, "deprecated") != 0 && strcmp(dd->name, "specifiedBy") != 0) {
					gq_errf(e, dd->pos, "Cannot redeclare directive %s.", dd->name);
					return -1;
				}
			}
			tab_put(&s->dirs, dd->name, dd);
		}
	}
	if (doc->schema.n > 1) {
		const struct gq_schemadef *sd = doc->schema.v[1];
		return fail(e, sd->pos, "Cannot have multiple schema entry points, consider schema extensions instead.");
	}
	if (doc->schema.n == 1) {
		const struct gq_schemadef *sd = doc->schema.v[0];
		for (size_t i = 0; i < sd->optypes.n; i++)
			if (set_root(s, e, sd->optypes.v[i]) < 0)
				return -1;
	}
	for (size_t k = 0; k < doc->schemaext.n; k++) {
		const struct gq_schemadef *sd = doc->schemaext.v[k];
		for (size_t i = 0; i < sd->optypes.n; i++)
			if (set_root(s, e, sd->optypes.v[i]) < 0)
				return -1;
	}
	if (index_schema(s, &defs) < 0)
		goto oom;
	const char **keys = sorted_keys(a, &s->types);
	if (keys == NULL)
		goto oom;
	for (size_t i = 0; i < s->types.n; i++)
		if (check_def(s, e, gq_schema_type(s, keys[i])) < 0)
			return -1;
	keys = sorted_keys(a, &s->dirs);
	if (keys == NULL)
		goto oom;
	for (size_t i = 0; i < s->dirs.n; i++) {
		const struct gq_dirdef *dd = gq_schema_directive(s, keys[i]);
		if (check_name(a, e, dd->pos, dd->name) < 0 || check_args(s, e, &dd->args, dd) < 0)
			return -1;
	}
	if (doc->schema.n == 0) {
		if (s->query == NULL)
			s->query = gq_schema_type(s, "Query");
		if (s->mutation == NULL)
			s->mutation = gq_schema_type(s, "Mutation");
		if (s->subscription == NULL)
			s->subscription = gq_schema_type(s, "Subscription");
	}
	if (s->query && (add_meta_fields(s) < 0 || index_fields(a, &s->query->fields) < 0))
		goto oom;
	*out = s;
	return 0;
oom:
	e->oom = true;
	return fail(e, (struct gq_pos){0, 0}, "out of memory");
}
