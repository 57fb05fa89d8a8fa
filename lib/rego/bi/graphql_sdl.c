/* GraphQL schema documents (SDL), as gqlparser's parser/schema.go reads
 * them: type, directive and schema definitions and their extensions. */
#include <string.h>

#include "cocoon/limits.h"
#include "graphql_int.h"


static struct gq_str parse_description(struct gq_parser *p)
{
	struct gq_str d = {"", 0};
	struct gq_token t = gq_peek(p);
	if (t.kind != GQT_BLOCKSTRING && t.kind != GQT_STRING)
		return d;
	t = gq_next(p);
	if (p->failed)
		return d;
	char *s = rarena_strndup(p->a, t.val.p, t.val.n);
	if (s == NULL) {
		gq_oom(p);
		return d;
	}
	d.p = s;
	d.n = t.val.n;
	return d;
}

/* "{" at least one item "}" (gqlparser's some()). */
static bool some_begin(struct gq_parser *p, int start)
{
	return gq_skip(p, start);
}

static void some_end(struct gq_parser *p, bool called)
{
	if (!called) {
		struct gq_token t = gq_peek(p);
		gq_perror(p, t, "expected at least one definition, found %s", gq_tok_kind_name(t.kind));
		return;
	}
	gq_next(p);
}

static struct gq_fielddef *parse_input_value(struct gq_parser *p, bool with_args)
{
	if (!gq_count(p))
		return NULL;
	struct gq_fielddef *f = gq_pnode(p, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->pos = gq_peek(p).pos;
	f->desc = parse_description(p);
	f->name = gq_parse_name(p);
	if (with_args && some_begin(p, GQT_PARENL)) {
		bool called = false;
		while (gq_peek(p).kind != GQT_PARENR && !p->failed) {
			called = true;
			gq_ppush(p, &f->args, parse_input_value(p, false));
		}
		some_end(p, called);
	}
	gq_expect(p, GQT_COLON);
	f->type = gq_parse_type(p);
	if (!with_args && gq_skip(p, GQT_EQUALS))
		f->defval = gq_parse_value(p, true);
	gq_parse_directives(p, true, &f->dirs);
	return f;
}

static void parse_fields(struct gq_parser *p, struct gq_list *out, bool input)
{
	if (!some_begin(p, GQT_BRACEL))
		return;
	bool called = false;
	while (gq_peek(p).kind != GQT_BRACER && !p->failed) {
		called = true;
		gq_ppush(p, out, parse_input_value(p, !input));
	}
	some_end(p, called);
}

static void parse_arg_defs(struct gq_parser *p, struct gq_list *out)
{
	if (!some_begin(p, GQT_PARENL))
		return;
	bool called = false;
	while (gq_peek(p).kind != GQT_PARENR && !p->failed) {
		called = true;
		gq_ppush(p, out, parse_input_value(p, false));
	}
	some_end(p, called);
}

static void parse_implements(struct gq_parser *p, struct gq_list *out)
{
	if (!gq_peek_is(p, "implements"))
		return;
	gq_next(p);
	gq_skip(p, GQT_AMP);
	gq_ppush(p, out, (void *)gq_parse_name(p));
	while (gq_skip(p, GQT_AMP) && !p->failed && gq_count(p))
		gq_ppush(p, out, (void *)gq_parse_name(p));
}

static void parse_union_members(struct gq_parser *p, struct gq_list *out)
{
	if (!gq_skip(p, GQT_EQUALS))
		return;
	gq_skip(p, GQT_PIPE);
	gq_ppush(p, out, (void *)gq_parse_name(p));
	while (gq_skip(p, GQT_PIPE) && !p->failed && gq_count(p))
		gq_ppush(p, out, (void *)gq_parse_name(p));
}

static void parse_enum_values(struct gq_parser *p, struct gq_list *out)
{
	if (!some_begin(p, GQT_BRACEL))
		return;
	bool called = false;
	while (gq_peek(p).kind != GQT_BRACER && !p->failed) {
		called = true;
		if (!gq_count(p))
			return;
		struct gq_enumval *v = gq_pnode(p, sizeof(*v));
		if (v == NULL)
			return;
		v->pos = gq_peek(p).pos;
		v->desc = parse_description(p);
		v->name = gq_parse_name(p);
		gq_parse_directives(p, true, &v->dirs);
		gq_ppush(p, out, v);
	}
	some_end(p, called);
}

static const char *const kinds[][2] = {
    {"scalar", "SCALAR"}, {"type", "OBJECT"}, {"interface", "INTERFACE"},
    {"union", "UNION"},   {"enum", "ENUM"},   {"input", "INPUT_OBJECT"},
};

static int kind_index(struct gq_parser *p)
{
	for (int i = 0; i < 6; i++)
		if (gq_peek_is(p, kinds[i][0]))
			return i;
	return -1;
}

/* A type definition (ext false) or extension (ext true): the keyword is
 * the next token. */
static struct gq_def *parse_type_def(struct gq_parser *p, struct gq_str desc, bool ext)
{
	int k = kind_index(p);
	if (k < 0 || gq_peek(p).kind != GQT_NAME) {
		gq_unexpected(p, gq_peek(p));
		return NULL;
	}
	gq_expect_keyword(p, kinds[k][0]);
	struct gq_def *d = gq_pnode(p, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->pos = gq_peek(p).pos;
	d->kind = kinds[k][1];
	d->desc = desc;
	d->name = gq_parse_name(p);
	bool empty = false;
	switch (k) {
	case 0: /* scalar */
		gq_parse_directives(p, true, &d->dirs);
		empty = d->dirs.n == 0;
		break;
	case 1: /* type */
		parse_implements(p, &d->interfaces);
		gq_parse_directives(p, true, &d->dirs);
		parse_fields(p, &d->fields, false);
		empty = d->interfaces.n == 0 && d->dirs.n == 0 && d->fields.n == 0;
		break;
	case 2: /* interface */
		if (!ext)
			parse_implements(p, &d->interfaces);
		gq_parse_directives(p, true, &d->dirs);
		parse_fields(p, &d->fields, false);
		empty = d->dirs.n == 0 && d->fields.n == 0;
		break;
	case 3: /* union */
		gq_parse_directives(p, true, &d->dirs);
		parse_union_members(p, &d->types);
		empty = d->dirs.n == 0 && d->types.n == 0;
		break;
	case 4: /* enum */
		gq_parse_directives(p, true, &d->dirs);
		parse_enum_values(p, &d->enumvals);
		empty = d->dirs.n == 0 && d->enumvals.n == 0;
		break;
	default: /* input */
		gq_parse_directives(p, !ext, &d->dirs);
		parse_fields(p, &d->fields, true);
		empty = d->dirs.n == 0 && d->fields.n == 0;
		break;
	}
	if (ext && empty)
		gq_unexpected(p, gq_peek(p));
	return d;
}

static struct gq_schemadef *parse_schema_def(struct gq_parser *p, struct gq_str desc, bool ext)
{
	gq_expect_keyword(p, "schema");
	struct gq_schemadef *s = gq_pnode(p, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->desc = desc;
	s->pos = gq_peek(p).pos;
	gq_parse_directives(p, true, &s->dirs);
	if (some_begin(p, GQT_BRACEL)) {
		bool called = false;
		while (gq_peek(p).kind != GQT_BRACER && !p->failed) {
			called = true;
			struct gq_optype *o = gq_pnode(p, sizeof(*o));
			if (o == NULL)
				return s;
			o->pos = gq_peek(p).pos;
			o->operation = gq_parse_operation_type(p);
			gq_expect(p, GQT_COLON);
			o->type = gq_parse_name(p);
			gq_ppush(p, &s->optypes, o);
		}
		some_end(p, called);
	}
	if (ext && s->dirs.n == 0 && s->optypes.n == 0)
		gq_unexpected(p, gq_peek(p));
	return s;
}

static const char *const locations[] = {
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION",
    "FRAGMENT_SPREAD", "INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA",
    "SCALAR", "OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INTERFACE",
    "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT", "INPUT_FIELD_DEFINITION",
};

static void parse_location(struct gq_parser *p, struct gq_list *out)
{
	struct gq_token t = gq_expect(p, GQT_NAME);
	if (p->failed)
		return;
	for (size_t i = 0; i < sizeof(locations) / sizeof(locations[0]); i++) {
		if (t.val.n == strlen(locations[i]) && memcmp(t.val.p, locations[i], t.val.n) == 0) {
			gq_ppush(p, out, (void *)locations[i]);
			return;
		}
	}
	gq_unexpected(p, t);
}

static struct gq_dirdef *parse_directive_def(struct gq_parser *p, struct gq_str desc)
{
	gq_expect_keyword(p, "directive");
	gq_expect(p, GQT_AT);
	struct gq_dirdef *d = gq_pnode(p, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->pos = gq_peek(p).pos;
	d->desc = desc;
	d->name = gq_parse_name(p);
	parse_arg_defs(p, &d->args);
	struct gq_token t = gq_peek(p);
	if (t.kind == GQT_NAME && gq_peek_is(p, "repeatable")) {
		d->repeatable = true;
		gq_skip(p, GQT_NAME);
	}
	gq_expect_keyword(p, "on");
	gq_skip(p, GQT_PIPE);
	parse_location(p, &d->locations);
	while (gq_skip(p, GQT_PIPE) && !p->failed && gq_count(p))
		parse_location(p, &d->locations);
	return d;
}

int gq_parse_schema(rarena *a, const char *src, size_t n, bool builtin,
                    struct gq_sdoc **out, struct gq_err *e)
{
	struct gq_parser p;
	gq_parser_init(&p, a, src, n, e);
	if (n > CC_REGO_MAX_GRAPHQL_BYTES) {
		e->limit = true;
		gq_errf(e, (struct gq_pos){0, 0}, "GraphQL document larger than %u bytes", CC_REGO_MAX_GRAPHQL_BYTES);
		return -1;
	}
	struct gq_sdoc *d = gq_new(a, sizeof(*d));
	if (d == NULL) {
		e->oom = true;
		return -1;
	}
	while (gq_peek(&p).kind != GQT_EOF) {
		if (p.failed || !gq_count(&p))
			break;
		struct gq_str desc = {"", 0};
		int k = gq_peek(&p).kind;
		if (k == GQT_BLOCKSTRING || k == GQT_STRING)
			desc = parse_description(&p);
		if (gq_peek(&p).kind != GQT_NAME) {
			gq_unexpected(&p, gq_peek(&p));
			break;
		}
		if (kind_index(&p) >= 0) {
			gq_ppush(&p, &d->defs, parse_type_def(&p, desc, false));
		} else if (gq_peek_is(&p, "schema")) {
			gq_ppush(&p, &d->schema, parse_schema_def(&p, desc, false));
		} else if (gq_peek_is(&p, "directive")) {
			gq_ppush(&p, &d->directives, parse_directive_def(&p, desc));
		} else if (gq_peek_is(&p, "extend")) {
			if (desc.n > 0)
				gq_unexpected(&p, p.prev);
			gq_expect_keyword(&p, "extend");
			if (gq_peek_is(&p, "schema"))
				gq_ppush(&p, &d->schemaext, parse_schema_def(&p, (struct gq_str){"", 0}, true));
			else if (kind_index(&p) >= 0)
				gq_ppush(&p, &d->exts, parse_type_def(&p, (struct gq_str){"", 0}, true));
			else
				gq_unexpected(&p, gq_peek(&p));
		} else {
			gq_unexpected(&p, gq_peek(&p));
			break;
		}
	}
	if (p.failed)
		return -1;
	for (size_t i = 0; i < d->defs.n; i++)
		((struct gq_def *)d->defs.v[i])->builtin = builtin;
	for (size_t i = 0; i < d->exts.n; i++)
		((struct gq_def *)d->exts.v[i])->builtin = builtin;
	*out = d;
	return 0;
}
