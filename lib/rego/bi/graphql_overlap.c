/* The OverlappingFieldsCanBeMerged validation rule as gqlparser runs it:
 * fields with one response name must be the same field with the same
 * arguments (unless their parents are different object types) and must
 * not return conflicting types, comparing within a selection set, between
 * it and the fragments it spreads, between those fragments, and between
 * the sub-selections of overlapping fields. Only fields and spreads the
 * walk has annotated so far take part, as in gqlparser; fragment pairs
 * already compared are remembered for the whole document, as there.
 */
#include <stdio.h>
#include <string.h>

#include "cocoon/limits.h"
#include "graphql_int.h"

struct conflict {
	const char *response;
	const char *message;  /* a leaf's reason */
	struct gq_list subs;  /* struct conflict * */
	struct gq_pos pos;
};

struct fieldmap {
	struct gq_list names;  /* const char *, response names in first-seen order */
	struct gq_list groups; /* struct gq_list * of struct gq_sel * (fields) */
};

struct pair {
	const char *a, *b;
	bool excl;
};

struct gq_overlap {
	rarena *a;
	const struct gq_schema *s;
	size_t *steps;
	bool failed; /* limit or out of memory */
	bool oom;
	bool deep;
	struct gq_list pairs;    /* struct pair * (comparedFragmentPairs) */
	struct gq_list compared; /* const char * (comparedFragments) */
};

struct gq_overlap *gq_overlap_new(rarena *a, const struct gq_schema *s, size_t *steps)
{
	struct gq_overlap *o = gq_new(a, sizeof(*o));
	if (o) {
		o->a = a;
		o->s = s;
		o->steps = steps;
	}
	return o;
}

static bool step(struct gq_overlap *o)
{
	if (o->failed)
		return false;
	if (++*o->steps > CC_REGO_MAX_GRAPHQL_STEPS) {
		o->failed = true;
		return false;
	}
	return true;
}

/* Appends x (nothing for NULL: no conflict). */
/* Past the validator's nesting bound: a limit error, never "no conflict". */
static bool too_deep(struct gq_overlap *o, unsigned depth)
{
	if (depth <= 4 * CC_REGO_MAX_GRAPHQL_DEPTH)
		return false;
	o->failed = o->deep = true;
	return true;
}

static void push(struct gq_overlap *o, struct gq_list *l, void *x)
{
	if (x != NULL && !o->failed && gq_push(o->a, l, x) < 0)
		o->failed = o->oom = true;
}

static const char *response_name(const struct gq_sel *f)
{
	return f->alias && f->alias[0] ? f->alias : f->name;
}

static struct gq_list *fm_get(const struct fieldmap *m, const char *name)
{
	for (size_t i = 0; i < m->names.n; i++)
		if (strcmp(m->names.v[i], name) == 0)
			return m->groups.v[i];
	return NULL;
}

static void collect(struct gq_overlap *o, const struct gq_list *sels, struct fieldmap *m, struct gq_list *spreads,
                    unsigned depth)
{
	for (size_t i = 0; i < sels->n && step(o); i++) {
		struct gq_sel *s = sels->v[i];
		if (s->kind == GQS_FIELD) {
			const char *rn = response_name(s);
			struct gq_list *g = fm_get(m, rn);
			if (g == NULL) {
				g = gq_new(o->a, sizeof(*g));
				if (g == NULL) {
					o->failed = o->oom = true;
					return;
				}
				push(o, &m->names, (void *)rn);
				push(o, &m->groups, g);
			}
			push(o, g, s);
		} else if (s->kind == GQS_INLINE) {
			if (depth < 4 * CC_REGO_MAX_GRAPHQL_DEPTH)
				collect(o, &s->sels, m, spreads, depth + 1);
		} else {
			push(o, spreads, s);
		}
	}
}

static bool same_fieldmap(const struct fieldmap *x, const struct fieldmap *y)
{
	if (x->names.n != y->names.n)
		return false;
	for (size_t i = 0; i < x->names.n; i++) {
		const struct gq_list *gx = x->groups.v[i], *gy = y->groups.v[i];
		if (strcmp(x->names.v[i], y->names.v[i]) != 0 || gx->n != gy->n)
			return false;
		for (size_t j = 0; j < gx->n; j++)
			if (gx->v[j] != gy->v[j])
				return false;
	}
	return true;
}

static bool same_value(const struct gq_value *x, const struct gq_value *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return x->kind == y->kind && x->raw.n == y->raw.n && memcmp(x->raw.p, y->raw.p, x->raw.n) == 0;
}

/* Every argument of a1 has one of the same name and value in a2. */
static bool same_arguments(const struct gq_list *a1, const struct gq_list *a2)
{
	if (a1->n != a2->n)
		return false;
	for (size_t i = 0; i < a1->n; i++) {
		const struct gq_arg *x = a1->v[i];
		bool matched = false;
		for (size_t j = 0; j < a2->n && !matched; j++) {
			const struct gq_arg *y = a2->v[j];
			matched = strcmp(x->name, y->name) == 0 && same_value(x->value, y->value);
		}
		if (!matched)
			return false;
	}
	return true;
}

static bool types_conflict(const struct gq_overlap *o, const struct gq_type *t1, const struct gq_type *t2)
{
	for (unsigned depth = 0; t1 && t2 && depth < 1024; depth++) {
		if (t1->elem) {
			if (t2->elem == NULL)
				return true;
			t1 = t1->elem;
			t2 = t2->elem;
			continue;
		}
		if (t2->elem)
			return true;
		if (t1->nonnull != t2->nonnull)
			return true;
		const struct gq_def *d1 = gq_schema_type(o->s, t1->named);
		const struct gq_def *d2 = gq_schema_type(o->s, t2->named);
		if (d1 == NULL || d2 == NULL)
			return false;
		bool leaf1 = strcmp(d1->kind, "SCALAR") == 0 || strcmp(d1->kind, "ENUM") == 0;
		bool leaf2 = strcmp(d2->kind, "SCALAR") == 0 || strcmp(d2->kind, "ENUM") == 0;
		if (leaf1 && leaf2)
			return strcmp(d1->name, d2->name) != 0;
		return false;
	}
	return false;
}

static struct conflict *find_conflict(struct gq_overlap *o, bool excl, const struct gq_sel *a, const struct gq_sel *b,
                                      unsigned depth);

static void between(struct gq_overlap *o, struct gq_list *out, bool excl, const struct fieldmap *ma,
                    const struct fieldmap *mb, unsigned depth)
{
	for (size_t i = 0; i < ma->names.n && step(o); i++) {
		const struct gq_list *gb = fm_get(mb, ma->names.v[i]);
		if (gb == NULL)
			continue;
		const struct gq_list *ga = ma->groups.v[i];
		for (size_t x = 0; x < ga->n; x++)
			for (size_t y = 0; y < gb->n && step(o); y++)
				push(o, out, find_conflict(o, excl, ga->v[x], gb->v[y], depth));
	}
}

static bool compared_has(const struct gq_overlap *o, const char *name)
{
	for (size_t i = 0; i < o->compared.n; i++)
		if (strcmp(o->compared.v[i], name) == 0)
			return true;
	return false;
}

static void fields_and_fragment(struct gq_overlap *o, struct gq_list *out, bool excl, const struct fieldmap *m,
                                const struct gq_sel *spread, unsigned depth)
{
	if (compared_has(o, spread->name) || too_deep(o, depth) || !step(o))
		return;
	push(o, &o->compared, (void *)spread->name);
	if (spread->fragdef == NULL)
		return;
	struct fieldmap mb = {0};
	struct gq_list spreads = {0};
	collect(o, &spread->fragdef->sels, &mb, &spreads, 0);
	if (same_fieldmap(m, &mb))
		return;
	between(o, out, excl, m, &mb, depth);
	for (size_t i = 0; i < spreads.n && !o->failed; i++) {
		const struct gq_sel *s = spreads.v[i];
		if (strcmp(s->name, spread->name) == 0)
			continue;
		fields_and_fragment(o, out, excl, m, s, depth + 1);
	}
}

static bool pair_has(const struct gq_overlap *o, const char *a, const char *b, bool excl)
{
	for (size_t i = o->pairs.n; i-- > 0;) {
		const struct pair *p = o->pairs.v[i];
		if (strcmp(p->a, a) == 0 && strcmp(p->b, b) == 0)
			return excl ? true : !p->excl;
	}
	return false;
}

static void pair_add(struct gq_overlap *o, const char *a, const char *b, bool excl)
{
	struct pair *p = gq_new(o->a, sizeof(*p)), *q = gq_new(o->a, sizeof(*q));
	if (p == NULL || q == NULL) {
		o->failed = o->oom = true;
		return;
	}
	*p = (struct pair){a, b, excl};
	*q = (struct pair){b, a, excl};
	push(o, &o->pairs, p);
	push(o, &o->pairs, q);
}

static void between_fragments(struct gq_overlap *o, struct gq_list *out, bool excl, const struct gq_sel *a,
                              const struct gq_sel *b, unsigned depth)
{
	if (strcmp(a->name, b->name) == 0 || too_deep(o, depth) || !step(o))
		return;
	if (pair_has(o, a->name, b->name, excl))
		return;
	pair_add(o, a->name, b->name, excl);
	if (a->fragdef == NULL || b->fragdef == NULL)
		return;
	struct fieldmap ma = {0}, mb = {0};
	struct gq_list sa = {0}, sb = {0};
	collect(o, &a->fragdef->sels, &ma, &sa, 0);
	collect(o, &b->fragdef->sels, &mb, &sb, 0);
	between(o, out, excl, &ma, &mb, depth);
	for (size_t i = 0; i < sb.n && !o->failed; i++)
		between_fragments(o, out, excl, a, sb.v[i], depth + 1);
	for (size_t i = 0; i < sa.n && !o->failed; i++)
		between_fragments(o, out, excl, sa.v[i], b, depth + 1);
}

static void between_subsets(struct gq_overlap *o, struct gq_list *out, bool excl, const struct gq_list *x,
                            const struct gq_list *y, unsigned depth)
{
	struct fieldmap ma = {0}, mb = {0};
	struct gq_list sa = {0}, sb = {0};
	collect(o, x, &ma, &sa, 0);
	collect(o, y, &mb, &sb, 0);
	between(o, out, excl, &ma, &mb, depth);
	for (size_t i = 0; i < sb.n && !o->failed; i++) {
		o->compared.n = 0;
		fields_and_fragment(o, out, excl, &ma, sb.v[i], depth);
	}
	for (size_t i = 0; i < sa.n && !o->failed; i++) {
		o->compared.n = 0;
		fields_and_fragment(o, out, excl, &mb, sa.v[i], depth);
	}
	for (size_t i = 0; i < sa.n && !o->failed; i++)
		for (size_t j = 0; j < sb.n && !o->failed; j++)
			between_fragments(o, out, excl, sa.v[i], sb.v[j], depth);
}

static struct conflict *find_conflict(struct gq_overlap *o, bool excl, const struct gq_sel *a, const struct gq_sel *b,
                                      unsigned depth)
{
	if (a->fdef == NULL || a->objdef == NULL || b->fdef == NULL || b->objdef == NULL || o->failed)
		return NULL;
	if (too_deep(o, depth))
		return NULL;
	if (!excl)
		excl = strcmp(a->objdef->name, b->objdef->name) != 0 && strcmp(a->objdef->kind, "OBJECT") == 0 &&
		       strcmp(b->objdef->kind, "OBJECT") == 0;
	struct conflict *c = gq_new(o->a, sizeof(*c));
	if (c == NULL) {
		o->failed = o->oom = true;
		return NULL;
	}
	c->response = response_name(a);
	c->pos = b->pos;
	if (!excl) {
		if (strcmp(a->name, b->name) != 0) {
			size_t n = strlen(a->name) + strlen(b->name) + 32;
			char *m = rarena_alloc(o->a, n);
			if (m)
				snprintf(m, n, "%s and %s are different fields", a->name, b->name);
			c->message = m ? m : "";
			return c;
		}
		if (!same_arguments(&a->args, &b->args)) {
			c->message = "they have differing arguments";
			return c;
		}
	}
	if (a->fdef->type && b->fdef->type && types_conflict(o, a->fdef->type, b->fdef->type)) {
		const char *t1 = gq_type_str(o->a, a->fdef->type), *t2 = gq_type_str(o->a, b->fdef->type);
		size_t n = strlen(t1) + strlen(t2) + 40;
		char *m = rarena_alloc(o->a, n);
		if (m)
			snprintf(m, n, "they return conflicting types %s and %s", t1, t2);
		c->message = m ? m : "";
		return c;
	}
	between_subsets(o, &c->subs, excl, &a->sels, &b->sels, depth + 1);
	return c->subs.n ? c : NULL;
}

/* ConflictMessage.String into buf; false when it did not fit. */
static bool conflict_text(const struct conflict *c, char *buf, size_t cap, size_t *len, unsigned depth)
{
	if (c->subs.n == 0 || depth > 64) {
		*len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, "%s", c->message ? c->message : "");
		return *len < cap;
	}
	for (size_t i = 0; i < c->subs.n; i++) {
		const struct conflict *s = c->subs.v[i];
		*len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, "subfields \"%s\" conflict because ",
		                         s->response);
		if (*len >= cap || !conflict_text(s, buf, cap, len, depth + 1))
			return false;
		if (i + 1 < c->subs.n)
			*len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, " and ");
	}
	return *len < cap;
}

int gq_overlap_check(struct gq_overlap *o, const struct gq_list *sels, struct gq_err *e)
{
	if (sels->n == 0)
		return 0;
	struct fieldmap m = {0};
	struct gq_list spreads = {0}, out = {0};
	collect(o, sels, &m, &spreads, 0);
	/* (A) within */
	for (size_t i = 0; i < m.groups.n && !o->failed && out.n == 0; i++) {
		const struct gq_list *g = m.groups.v[i];
		for (size_t x = 0; x < g->n && out.n == 0; x++)
			for (size_t y = x + 1; y < g->n && step(o) && out.n == 0; y++)
				push(o, &out, find_conflict(o, false, g->v[x], g->v[y], 0));
	}
	o->compared.n = 0;
	for (size_t i = 0; i < spreads.n && !o->failed && out.n == 0; i++) {
		fields_and_fragment(o, &out, false, &m, spreads.v[i], 0);
		for (size_t j = i + 1; j < spreads.n && !o->failed && out.n == 0; j++)
			between_fragments(o, &out, false, spreads.v[i], spreads.v[j], 0);
	}
	if (o->failed) {
		e->limit = !o->oom;
		e->oom = o->oom;
		if (o->oom)
			gq_errf(e, (struct gq_pos){0, 0}, "out of memory");
		else if (o->deep)
			gq_errf(e, (struct gq_pos){0, 0}, "GraphQL validation nests deeper than %u levels",
			        4 * CC_REGO_MAX_GRAPHQL_DEPTH);
		else
			gq_errf(e, (struct gq_pos){0, 0}, "GraphQL validation took more than %u steps",
			        CC_REGO_MAX_GRAPHQL_STEPS);
		return -1;
	}
	if (out.n == 0)
		return 0;
	const struct conflict *c = out.v[0];
	char reason[400];
	size_t len = 0;
	if (!conflict_text(c, reason, sizeof(reason), &len, 0))
		reason[sizeof(reason) - 1] = '\0';
	gq_errf(e, c->pos, "Fields \"%s\" conflict because %s. Use different aliases on the fields to fetch both if this was intentional.",
	        c->response, reason);
	return 1;
}
