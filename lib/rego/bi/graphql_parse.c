/* GraphQL executable documents (gqlparser's parser/query.go grammar and
 * errors): operations, fragments, selections, values, types. */
#include <string.h>

#include "cocoon/limits.h"
#include "graphql_int.h"

static char *dupstr(struct gq_parser *p, struct gq_str s)
{
	char *d = rarena_strndup(p->a, s.p, s.n);
	if (d == NULL)
		gq_oom(p);
	return d;
}


const char *gq_parse_operation_type(struct gq_parser *p)
{
	struct gq_token t = gq_next(p);
	static const char *const ops[] = {"query", "mutation", "subscription"};
	for (size_t i = 0; i < 3; i++)
		if (t.val.n == strlen(ops[i]) && memcmp(t.val.p, ops[i], t.val.n) == 0)
			return ops[i];
	gq_unexpected(p, t);
	return "";
}

static const char *parse_variable(struct gq_parser *p)
{
	gq_expect(p, GQT_DOLLAR);
	return gq_parse_name(p);
}

static struct gq_value *parse_value_in(struct gq_parser *p, bool is_const);

static struct gq_value *parse_composite(struct gq_parser *p, bool is_const, bool list)
{
	struct gq_value *v = gq_pnode(p, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->kind = list ? GQV_LIST : GQV_OBJECT;
	v->raw.p = "";
	v->pos = gq_peek(p).pos;
	if (!gq_skip(p, list ? GQT_BRACKETL : GQT_BRACEL))
		return v;
	int end = list ? GQT_BRACKETR : GQT_BRACER;
	while (gq_peek(p).kind != end && !p->failed) {
		struct gq_child *c = gq_pnode(p, sizeof(*c));
		if (c == NULL)
			return v;
		c->pos = gq_peek(p).pos;
		if (list) {
			c->name = "";
		} else {
			c->name = gq_parse_name(p);
			gq_expect(p, GQT_COLON);
		}
		c->value = parse_value_in(p, is_const);
		gq_ppush(p, &v->children, c);
	}
	gq_next(p);
	return v;
}

static struct gq_value *parse_value_in(struct gq_parser *p, bool is_const)
{
	if (!gq_count(p))
		return NULL;
	struct gq_token t = gq_peek(p);
	int kind;
	switch (t.kind) {
	case GQT_BRACKETL:
	case GQT_BRACEL: {
		if (!gq_enter(p))
			return NULL;
		struct gq_value *v = parse_composite(p, is_const, t.kind == GQT_BRACKETL);
		gq_leave(p);
		return v;
	}
	case GQT_DOLLAR: {
		if (is_const) {
			gq_unexpected(p, t);
			return NULL;
		}
		struct gq_value *v = gq_pnode(p, sizeof(*v));
		if (v == NULL)
			return NULL;
		v->pos = t.pos;
		v->kind = GQV_VARIABLE;
		const char *name = parse_variable(p);
		v->raw.p = name;
		v->raw.n = strlen(name);
		return v;
	}
	case GQT_INT: kind = GQV_INT; break;
	case GQT_FLOAT: kind = GQV_FLOAT; break;
	case GQT_STRING: kind = GQV_STRING; break;
	case GQT_BLOCKSTRING: kind = GQV_BLOCK; break;
	case GQT_NAME:
		if ((t.val.n == 4 && memcmp(t.val.p, "true", 4) == 0) ||
		    (t.val.n == 5 && memcmp(t.val.p, "false", 5) == 0))
			kind = GQV_BOOLEAN;
		else if (t.val.n == 4 && memcmp(t.val.p, "null", 4) == 0)
			kind = GQV_NULL;
		else
			kind = GQV_ENUM;
		break;
	default:
		gq_unexpected(p, t);
		return NULL;
	}
	gq_next(p);
	if (p->failed)
		return NULL;
	struct gq_value *v = gq_pnode(p, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->kind = kind;
	v->pos = t.pos;
	v->raw.p = dupstr(p, t.val);
	v->raw.n = t.val.n;
	if (v->raw.p == NULL)
		return NULL;
	return v;
}

struct gq_value *gq_parse_value(struct gq_parser *p, bool is_const)
{
	return parse_value_in(p, is_const);
}

struct gq_type *gq_parse_type(struct gq_parser *p)
{
	struct gq_type *t = gq_pnode(p, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->named = "";
	if (gq_skip(p, GQT_BRACKETL)) {
		t->pos = gq_peek(p).pos;
		if (!gq_enter(p))
			return t;
		t->elem = gq_parse_type(p);
		gq_leave(p);
		gq_expect(p, GQT_BRACKETR);
	} else {
		t->pos = gq_peek(p).pos;
		t->named = gq_parse_name(p);
	}
	if (gq_skip(p, GQT_BANG)) {
		t->pos = gq_peek(p).pos;
		t->nonnull = true;
	}
	return t;
}

int gq_parse_arguments(struct gq_parser *p, bool is_const, struct gq_list *out)
{
	if (!gq_skip(p, GQT_PARENL))
		return 0;
	while (gq_peek(p).kind != GQT_PARENR && !p->failed && gq_count(p)) {
		struct gq_arg *a = gq_pnode(p, sizeof(*a));
		if (a == NULL)
			return -1;
		a->pos = gq_peek(p).pos;
		a->name = gq_parse_name(p);
		gq_expect(p, GQT_COLON);
		a->value = parse_value_in(p, is_const);
		gq_ppush(p, out, a);
	}
	gq_next(p);
	return 0;
}

int gq_parse_directives(struct gq_parser *p, bool is_const, struct gq_list *out)
{
	while (gq_peek(p).kind == GQT_AT && !p->failed && gq_count(p)) {
		gq_expect(p, GQT_AT);
		struct gq_directive *d = gq_pnode(p, sizeof(*d));
		if (d == NULL)
			return -1;
		d->pos = gq_peek(p).pos;
		d->name = gq_parse_name(p);
		gq_parse_arguments(p, is_const, &d->args);
		gq_ppush(p, out, d);
	}
	return 0;
}

static void parse_vardefs(struct gq_parser *p, struct gq_list *out)
{
	if (!gq_skip(p, GQT_PARENL))
		return;
	while (gq_peek(p).kind != GQT_PARENR && !p->failed && gq_count(p)) {
		struct gq_vardef *d = gq_pnode(p, sizeof(*d));
		if (d == NULL)
			return;
		d->pos = gq_peek(p).pos;
		d->var = parse_variable(p);
		gq_expect(p, GQT_COLON);
		d->type = gq_parse_type(p);
		if (gq_skip(p, GQT_EQUALS))
			d->defval = parse_value_in(p, true);
		gq_parse_directives(p, false, &d->dirs);
		gq_ppush(p, out, d);
	}
	gq_next(p);
}

static void parse_selection_set(struct gq_parser *p, struct gq_list *out, bool required);

static const char *parse_fragment_name(struct gq_parser *p)
{
	if (gq_peek_is(p, "on")) {
		gq_unexpected(p, gq_peek(p));
		return "";
	}
	return gq_parse_name(p);
}

static struct gq_sel *parse_selection(struct gq_parser *p)
{
	if (!gq_count(p))
		return NULL;
	struct gq_sel *s = gq_pnode(p, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (gq_peek(p).kind == GQT_SPREAD) {
		gq_expect(p, GQT_SPREAD);
		struct gq_token t = gq_peek(p);
		if (t.kind == GQT_NAME && !gq_peek_is(p, "on")) {
			s->kind = GQS_SPREAD;
			s->pos = t.pos;
			s->name = parse_fragment_name(p);
			gq_parse_directives(p, false, &s->dirs);
			return s;
		}
		s->kind = GQS_INLINE;
		s->pos = gq_peek(p).pos;
		s->typecond = "";
		if (gq_peek_is(p, "on")) {
			gq_next(p);
			s->typecond = gq_parse_name(p);
		}
		gq_parse_directives(p, false, &s->dirs);
		parse_selection_set(p, &s->sels, true);
		return s;
	}
	s->kind = GQS_FIELD;
	s->pos = gq_peek(p).pos;
	s->alias = gq_parse_name(p);
	if (gq_skip(p, GQT_COLON))
		s->name = gq_parse_name(p);
	else
		s->name = s->alias;
	gq_parse_arguments(p, false, &s->args);
	gq_parse_directives(p, false, &s->dirs);
	if (gq_peek(p).kind == GQT_BRACEL)
		parse_selection_set(p, &s->sels, false);
	return s;
}

static void parse_selection_set(struct gq_parser *p, struct gq_list *out, bool required)
{
	if (required && gq_peek(p).kind != GQT_BRACEL) {
		struct gq_token t = gq_peek(p);
		gq_perror(p, t, "Expected {, found %s", gq_tok_kind_name(t.kind));
		return;
	}
	if (!gq_skip(p, GQT_BRACEL))
		return;
	if (!gq_enter(p))
		return;
	bool called = false;
	while (gq_peek(p).kind != GQT_BRACER && !p->failed) {
		called = true;
		gq_ppush(p, out, parse_selection(p));
	}
	gq_leave(p);
	if (!called) {
		struct gq_token t = gq_peek(p);
		gq_perror(p, t, "expected at least one definition, found %s", gq_tok_kind_name(t.kind));
		return;
	}
	gq_next(p);
}

static struct gq_op *parse_operation(struct gq_parser *p)
{
	struct gq_op *o = gq_pnode(p, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->name = "";
	o->pos = gq_peek(p).pos;
	if (gq_peek(p).kind == GQT_BRACEL) {
		o->operation = "query";
		parse_selection_set(p, &o->sels, true);
		return o;
	}
	o->operation = gq_parse_operation_type(p);
	if (gq_peek(p).kind == GQT_NAME)
		o->name = dupstr(p, gq_next(p).val);
	if (o->name == NULL)
		o->name = "";
	parse_vardefs(p, &o->vardefs);
	gq_parse_directives(p, false, &o->dirs);
	parse_selection_set(p, &o->sels, true);
	return o;
}

static struct gq_frag *parse_fragment_def(struct gq_parser *p)
{
	struct gq_frag *f = gq_pnode(p, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->pos = gq_peek(p).pos;
	gq_expect_keyword(p, "fragment");
	f->name = parse_fragment_name(p);
	parse_vardefs(p, &f->vardefs);
	gq_expect_keyword(p, "on");
	f->typecond = gq_parse_name(p);
	gq_parse_directives(p, false, &f->dirs);
	parse_selection_set(p, &f->sels, true);
	return f;
}

int gq_parse_query(rarena *a, const char *src, size_t n, struct gq_qdoc **out, struct gq_err *e)
{
	struct gq_parser p;
	gq_parser_init(&p, a, src, n, e);
	if (n > CC_REGO_MAX_GRAPHQL_BYTES) {
		e->limit = true;
		gq_errf(e, (struct gq_pos){0, 0}, "GraphQL document larger than %u bytes", CC_REGO_MAX_GRAPHQL_BYTES);
		return -1;
	}
	struct gq_qdoc *d = gq_new(a, sizeof(*d));
	if (d == NULL) {
		e->oom = true;
		return -1;
	}
	while (gq_peek(&p).kind != GQT_EOF) {
		if (p.failed)
			break;
		if (!gq_count(&p))
			break;
		struct gq_token t = gq_peek(&p);
		if (t.kind == GQT_NAME) {
			if (gq_peek_is(&p, "query") || gq_peek_is(&p, "mutation") || gq_peek_is(&p, "subscription"))
				gq_ppush(&p, &d->ops, parse_operation(&p));
			else if (gq_peek_is(&p, "fragment"))
				gq_ppush(&p, &d->frags, parse_fragment_def(&p));
			else
				gq_unexpected(&p, t);
		} else if (t.kind == GQT_BRACEL) {
			gq_ppush(&p, &d->ops, parse_operation(&p));
		} else {
			gq_unexpected(&p, t);
		}
	}
	if (p.failed)
		return -1;
	*out = d;
	return 0;
}
