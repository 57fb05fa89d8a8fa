/* Query validation against a schema: gqlparser's walker and its rules,
 * reporting the first error in gqlparser's order (the walk visits the
 * operations, then the fragments; at each node the rules run in the order
 * gqlparser registers them, which is their file names' order).
 *
 * Rules: FieldsOnCorrectType, FragmentsOnCompositeTypes,
 * KnownArgumentNames, KnownDirectives, KnownFragmentNames, KnownRootType,
 * KnownTypeNames, LoneAnonymousOperation, NoFragmentCycles,
 * NoUndefinedVariables, NoUnusedFragments, NoUnusedVariables,
 * PossibleFragmentSpreads, ProvidedRequiredArguments, ScalarLeafs,
 * SingleFieldSubscriptions, UniqueArgumentNames,
 * UniqueDirectivesPerLocation, UniqueFragmentNames,
 * UniqueInputFieldNames, UniqueOperationNames, UniqueVariableNames,
 * ValuesOfCorrectType, VariablesAreInputTypes, VariablesInAllowedPosition,
 * and OverlappingFieldsCanBeMerged (graphql_overlap.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "graphql_int.h"

struct vctx {
	rarena *a;
	const struct gq_schema *s;
	const struct gq_qdoc *q;
	struct gq_err *e;
	bool failed;
	const struct gq_op *op;   /* current operation (NULL in fragments) */
	bool *used;               /* per variable definition of op */
	bool *validated;          /* fragments walked for this definition */
	bool *frag_used;          /* NoUnusedFragments */
	bool in_fragments;        /* walking fragment definitions */
	const char **frag_names;  /* sorted, with frag_idx */
	size_t *frag_idx;
	size_t steps;
	struct gq_overlap *ov;
	bool *op_dup; /* an earlier operation has the same name */
};

static void verr(struct vctx *v, struct gq_pos pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void verr(struct vctx *v, struct gq_pos pos, const char *fmt, ...)
{
	if (v->failed)
		return;
	v->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->e->msg, sizeof(v->e->msg), fmt, ap);
	va_end(ap);
	v->e->pos = pos;
}

/* Charges n units of work (list scans) to the step budget. */
static bool charge(struct vctx *v, size_t n)
{
	if (v->failed)
		return false;
	v->steps += n;
	if (v->steps > CC_REGO_MAX_GRAPHQL_STEPS) {
		v->failed = true;
		v->e->limit = true;
		gq_errf(v->e, (struct gq_pos){0, 0}, "GraphQL validation took more than %u steps",
		        CC_REGO_MAX_GRAPHQL_STEPS);
		return false;
	}
	return true;
}

static bool step(struct vctx *v)
{
	return charge(v, 1);
}

/* Fragment spreads nest selections beyond the document's own nesting:
 * past VDEPTH levels the walk stops with a limit error (never a silent
 * "valid"). */
#define VDEPTH (4 * CC_REGO_MAX_GRAPHQL_DEPTH)

static bool deep(struct vctx *v, unsigned depth)
{
	if (depth <= VDEPTH)
		return false;
	if (!v->failed) {
		v->failed = true;
		v->e->limit = true;
		gq_errf(v->e, (struct gq_pos){0, 0}, "GraphQL validation nests deeper than %u levels", VDEPTH);
	}
	return true;
}

static bool is_kind(const struct gq_def *d, const char *k)
{
	return d && strcmp(d->kind, k) == 0;
}

static bool is_leaf(const struct gq_def *d)
{
	return is_kind(d, "ENUM") || is_kind(d, "SCALAR");
}

static bool is_composite(const struct gq_def *d)
{
	return is_kind(d, "OBJECT") || is_kind(d, "INTERFACE") || is_kind(d, "UNION");
}

static bool is_input(const struct gq_def *d)
{
	return is_kind(d, "SCALAR") || is_kind(d, "ENUM") || is_kind(d, "INPUT_OBJECT");
}

/* ---- names of list items, for duplicate checks ------------------------------ */

static const char *child_name(const void *x)
{
	return ((const struct gq_child *)x)->name;
}

static const char *arg_name(const void *x)
{
	return ((const struct gq_arg *)x)->name;
}

static const char *dir_name(const void *x)
{
	return ((const struct gq_directive *)x)->name;
}

static const char *var_name(const void *x)
{
	return ((const struct gq_vardef *)x)->var;
}

static const char *op_name(const void *x)
{
	return ((const struct gq_op *)x)->name;
}

/* The first item (in order) whose name came before, or NULL. */
static void *first_dup(struct vctx *v, const struct gq_list *l, const char *(*name)(const void *))
{
	ptrdiff_t i = gq_first_dup(v->a, l, name, false, NULL);
	if (i == -2) {
		v->e->oom = true;
		verr(v, (struct gq_pos){0, 0}, "out of memory");
	}
	return i >= 0 ? l->v[i] : NULL;
}

/* ---- suggestions (gqlparser's SuggestionList, OrList) ---------------------- */

static size_t levenshtein(const char *x, const char *y)
{
	size_t n = strlen(x), m = strlen(y);
	if (n > 128 || m > 128)
		return (size_t)-1;
	size_t row[129];
	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cur = row[j];
			size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[m];
}

static size_t lexical_distance(const char *x, const char *y)
{
	if (strcmp(x, y) == 0)
		return 0;
	char lx[257], ly[257];
	size_t n = strlen(x), m = strlen(y);
	if (n > 256 || m > 256)
		return (size_t)-1;
	for (size_t i = 0; i <= n; i++)
		lx[i] = (char)(x[i] >= 'A' && x[i] <= 'Z' ? x[i] + 32 : x[i]);
	for (size_t i = 0; i <= m; i++)
		ly[i] = (char)(y[i] >= 'A' && y[i] <= 'Z' ? y[i] + 32 : y[i]);
	if (strcmp(lx, ly) == 0)
		return 1;
	return levenshtein(lx, ly);
}

struct sugg {
	const char *name;
	size_t dist;
};

static int sugg_cmp(const void *x, const void *y)
{
	const struct sugg *a = x, *b = y;
	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Appends " <prefix> "a", "b", or "c"?" to the error when some option is
 * close to typed (quoted: with double quotes). */
static void suggest(struct vctx *v, const char *prefix, const char *typed, const char *const *opts, size_t n,
                    bool quoted)
{
	if (n == 0 || n > 4096)
		return;
	struct sugg *s = rarena_nalloc(v->a, n, sizeof(*s));
	if (s == NULL)
		return;
	size_t k = 0, threshold = strlen(typed) * 4 / 10 + 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = lexical_distance(typed, opts[i]);
		if (d <= threshold) {
			s[k].name = opts[i];
			s[k].dist = d;
			k++;
		}
	}
	if (k == 0)
		return;
	qsort(s, k, sizeof(*s), sugg_cmp);
	if (k > 5)
		k = 5;
	size_t len = strlen(v->e->msg);
	char *m = v->e->msg;
	size_t cap = sizeof(v->e->msg);
	len += (size_t)snprintf(m + len, len < cap ? cap - len : 0, " %s ", prefix);
	const char *q = quoted ? "\"" : "";
	for (size_t i = 0; i < k && len < cap; i++) {
		const char *sep = i == 0 ? "" : (k == 2 ? " or " : (i == k - 1 ? ", or " : ", "));
		len += (size_t)snprintf(m + len, cap - len, "%s%s%s%s", sep, q, s[i].name, q);
	}
	if (len < cap)
		snprintf(m + len, cap - len, "?");
}

static const char **field_names(struct vctx *v, const struct gq_list *fields)
{
	const char **n = rarena_nalloc(v->a, fields->n + 1, sizeof(*n));
	if (n == NULL)
		return NULL;
	for (size_t i = 0; i < fields->n; i++)
		n[i] = ((const struct gq_fielddef *)fields->v[i])->name;
	return n;
}

/* ---- values ----------------------------------------------------------------- */

/* gqlparser's Value.String(). */
static const char *value_str(struct vctx *v, const struct gq_value *x, unsigned depth)
{
	if (x == NULL)
		return "<nil>";
	switch (x->kind) {
	case GQV_VARIABLE: {
		size_t n = x->raw.n + 2;
		char *s = rarena_alloc(v->a, n);
		if (s == NULL)
			return "";
		snprintf(s, n, "$%s", x->raw.p);
		return s;
	}
	case GQV_STRING:
	case GQV_BLOCK:
		return gq_quote(v->a, x->raw.p, x->raw.n);
	case GQV_LIST:
	case GQV_OBJECT: {
		if (depth > 64)
			return "...";
		bool list = x->kind == GQV_LIST;
		size_t cap = 64, n = 0;
		const char **parts = rarena_nalloc(v->a, x->children.n + 1, sizeof(*parts));
		if (parts == NULL)
			return "";
		for (size_t i = 0; i < x->children.n; i++) {
			const struct gq_child *c = x->children.v[i];
			const char *cs = value_str(v, c->value, depth + 1);
			if (!list) {
				size_t k = strlen(c->name) + strlen(cs) + 2;
				char *t = rarena_alloc(v->a, k);
				if (t == NULL)
					return "";
				snprintf(t, k, "%s:%s", c->name, cs);
				cs = t;
			}
			parts[i] = cs;
			cap += strlen(cs) + 1;
		}
		char *s = rarena_alloc(v->a, cap);
		if (s == NULL)
			return "";
		s[n++] = list ? '[' : '{';
		for (size_t i = 0; i < x->children.n; i++) {
			if (i)
				s[n++] = ',';
			size_t k = strlen(parts[i]);
			memcpy(s + n, parts[i], k);
			n += k;
		}
		s[n++] = list ? ']' : '}';
		s[n] = '\0';
		return s;
	}
	default:
		return x->raw.p ? x->raw.p : "";
	}
}

static const struct gq_vardef *find_vardef(const struct gq_op *op, const char *name, size_t *idx)
{
	for (size_t i = 0; op && i < op->vardefs.n; i++) {
		const struct gq_vardef *d = op->vardefs.v[i];
		if (strcmp(d->var, name) == 0) {
			*idx = i;
			return d;
		}
	}
	return NULL;
}

static bool one_of(const struct gq_def *d, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(d->name, *names) == 0)
			return true;
	return false;
}

static void unexpected_type(struct vctx *v, const struct gq_value *x, const struct gq_type *expected,
                            const struct gq_def *def)
{
	const char *ts = gq_type_str(v->a, expected);
	const char *vs = value_str(v, x, 0);
	if (strcmp(ts, "Int") == 0 || strcmp(ts, "Int!") == 0) {
		errno = 0;
		char *end;
		long long n = strtoll(x->raw.p, &end, 10);
		bool range = (errno == ERANGE || n > 2147483647LL || n < -2147483648LL) && *end == '\0' && end != x->raw.p;
		if (range)
			verr(v, x->pos, "Int cannot represent non 32-bit signed integer value: %s", vs);
		else
			verr(v, x->pos, "Int cannot represent non-integer value: %s", vs);
	} else if (strcmp(ts, "String") == 0 || strcmp(ts, "String!") == 0 || strcmp(ts, "[String]") == 0) {
		verr(v, x->pos, "String cannot represent a non string value: %s", vs);
	} else if (strcmp(ts, "Boolean") == 0 || strcmp(ts, "Boolean!") == 0) {
		verr(v, x->pos, "Boolean cannot represent a non boolean value: %s", vs);
	} else if (strcmp(ts, "Float") == 0 || strcmp(ts, "Float!") == 0) {
		verr(v, x->pos, "Float cannot represent non numeric value: %s", vs);
	} else if (strcmp(ts, "ID") == 0 || strcmp(ts, "ID!") == 0) {
		verr(v, x->pos, "ID cannot represent a non-string and non-integer value: %s", vs);
	} else if (is_kind(def, "ENUM")) {
		verr(v, x->pos, "Enum \"%s\" cannot represent non-enum value: %s.", ts, vs);
	} else {
		verr(v, x->pos, "Expected value of type \"%s\", found %s.", ts, vs);
	}
}

static const char **enum_names(struct vctx *v, const struct gq_def *d, size_t *n)
{
	*n = 0;
	if (!is_kind(d, "ENUM"))
		return NULL;
	const char **names = rarena_nalloc(v->a, d->enumvals.n + 1, sizeof(*names));
	if (names == NULL)
		return NULL;
	for (size_t i = 0; i < d->enumvals.n; i++)
		names[i] = ((const struct gq_enumval *)d->enumvals.v[i])->name;
	*n = d->enumvals.n;
	return names;
}

/* Go's strconv.ParseInt(s, 10, 64) succeeds. */
static bool int64_ok(const char *s)
{
	errno = 0;
	char *end;
	(void)strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0';
}

static void values_of_correct_type(struct vctx *v, const struct gq_value *x, const struct gq_type *expected,
                                   const struct gq_def *def)
{
	static const char *const builtin_scalars[] = {"Int", "Float", "String", "Boolean", "ID", NULL};
	static const char *const int_ok[] = {"Int", "Float", "ID", NULL};
	static const char *const float_ok[] = {"Float", NULL};
	static const char *const str_ok[] = {"String", "ID", NULL};
	static const char *const bool_ok[] = {"Boolean", NULL};
	if (def == NULL || expected == NULL)
		return;
	if (x->kind == GQV_NULL && expected->nonnull)
		verr(v, x->pos, "Expected value of type \"%s\", found %s.", gq_type_str(v->a, expected), value_str(v, x, 0));
	if (is_kind(def, "SCALAR") && !one_of(def, builtin_scalars))
		return;
	size_t nenum;
	const char **enums = enum_names(v, def, &nenum);
	if (x->kind == GQV_INT && !int64_ok(x->raw.p))
		unexpected_type(v, x, expected, def);
	switch (x->kind) {
	case GQV_NULL:
		return;
	case GQV_LIST:
		if (expected->elem == NULL)
			unexpected_type(v, x, expected, def);
		return;
	case GQV_INT:
		if (!one_of(def, int_ok))
			unexpected_type(v, x, expected, def);
		return;
	case GQV_FLOAT:
		if (!one_of(def, float_ok))
			unexpected_type(v, x, expected, def);
		return;
	case GQV_STRING:
	case GQV_BLOCK:
		if (is_kind(def, "ENUM")) {
			verr(v, x->pos, "Enum \"%s\" cannot represent non-enum value: %s.", gq_type_str(v->a, expected),
			     value_str(v, x, 0));
			suggest(v, "Did you mean the enum value", x->raw.p, enums, nenum, true);
		} else if (!one_of(def, str_ok)) {
			unexpected_type(v, x, expected, def);
		}
		return;
	case GQV_ENUM:
		if (!is_kind(def, "ENUM")) {
			bool was = v->failed;
			unexpected_type(v, x, expected, def);
			if (!was)
				suggest(v, "Did you mean the enum value", x->raw.p, enums, nenum, false);
		} else {
			bool found = false;
			for (size_t i = 0; i < nenum && !found; i++)
				found = strcmp(enums[i], x->raw.p) == 0;
			if (!found) {
				verr(v, x->pos, "Value \"%s\" does not exist in \"%s\" enum.", value_str(v, x, 0),
				     gq_type_str(v->a, expected));
				suggest(v, "Did you mean the enum value", x->raw.p, enums, nenum, true);
			}
		}
		return;
	case GQV_BOOLEAN:
		if (!one_of(def, bool_ok))
			unexpected_type(v, x, expected, def);
		return;
	case GQV_OBJECT:
		if (!charge(v, def->fields.n * (x->children.n + 1)))
			return;
		for (size_t i = 0; i < def->fields.n; i++) {
			const struct gq_fielddef *f = def->fields.v[i];
			if (f->type == NULL || !f->type->nonnull)
				continue;
			bool present = false;
			for (size_t j = 0; j < x->children.n && !present; j++)
				present = strcmp(((const struct gq_child *)x->children.v[j])->name, f->name) == 0;
			if (!present && f->defval == NULL)
				verr(v, x->pos, "Field \"%s.%s\" of required type \"%s\" was not provided.", def->name, f->name,
				     gq_type_str(v->a, f->type));
		}
		for (size_t j = 0; j < x->children.n; j++) {
			const struct gq_child *c = x->children.v[j];
			if (gq_find_field(&def->fields, c->name) == NULL) {
				bool was = v->failed;
				verr(v, c->pos, "Field \"%s\" is not defined by type \"%s\".", c->name, def->name);
				if (!was)
					suggest(v, "Did you mean", c->name, field_names(v, &def->fields), def->fields.n, true);
			}
		}
		return;
	default:
		return;
	}
}

static void walk_value(struct vctx *v, const struct gq_value *x, const struct gq_type *expected,
                       const struct gq_def *def, unsigned depth)
{
	if (x == NULL || !step(v) || deep(v, depth))
		return;
	const struct gq_vardef *vd = NULL;
	size_t vidx = 0;
	if (x->kind == GQV_VARIABLE && v->op) {
		if (!charge(v, v->op->vardefs.n))
			return;
		vd = find_vardef(v->op, x->raw.p, &vidx);
		if (vd)
			v->used[vidx] = true;
	}
	if (x->kind == GQV_OBJECT) {
		for (size_t i = 0; i < x->children.n; i++) {
			const struct gq_child *c = x->children.v[i];
			const struct gq_type *ct = NULL;
			const struct gq_def *cd = NULL;
			if (def) {
				const struct gq_fielddef *f = gq_find_field(&def->fields, c->name);
				if (f) {
					ct = f->type;
					cd = gq_schema_type(v->s, gq_type_name(f->type));
				}
			}
			walk_value(v, c->value, ct, cd, depth + 1);
		}
	}
	if (x->kind == GQV_LIST) {
		for (size_t i = 0; i < x->children.n; i++) {
			const struct gq_child *c = x->children.v[i];
			if (expected && expected->elem)
				walk_value(v, c->value, expected->elem, def, depth + 1);
			else
				walk_value(v, c->value, NULL, NULL, depth + 1);
		}
	}
	if (v->failed)
		return;
	/* NoUndefinedVariables */
	if (v->op && x->kind == GQV_VARIABLE && vd == NULL) {
		if (v->op->name[0])
			verr(v, x->pos, "Variable \"%s\" is not defined by operation \"%s\".", value_str(v, x, 0), v->op->name);
		else
			verr(v, x->pos, "Variable \"%s\" is not defined.", value_str(v, x, 0));
		return;
	}
	/* UniqueInputFieldNames */
	if (x->kind == GQV_OBJECT) {
		const struct gq_child *c = first_dup(v, &x->children, child_name);
		if (c) {
			verr(v, c->pos, "There can be only one input field named \"%s\".", c->name);
			return;
		}
	}
	values_of_correct_type(v, x, expected, def);
	if (v->failed)
		return;
	/* VariablesInAllowedPosition */
	if (x->kind == GQV_VARIABLE && expected && vd && v->op && vd->type) {
		struct gq_type tmp = *expected;
		if (vd->defval && vd->defval->kind != GQV_NULL && expected->nonnull)
			tmp.nonnull = false;
		if (!gq_type_compatible(vd->type, &tmp))
			verr(v, x->pos, "Variable \"%s\" of type \"%s\" used in position expecting type \"%s\".",
			     value_str(v, x, 0), gq_type_str(v->a, vd->type), gq_type_str(v->a, expected));
	}
}

/* ---- arguments and directives ------------------------------------------------ */

static void walk_args(struct vctx *v, const struct gq_list *args, const struct gq_list *argdefs)
{
	for (size_t i = 0; i < args->n && !v->failed; i++) {
		const struct gq_arg *g = args->v[i];
		const struct gq_fielddef *ad = argdefs ? gq_find_field(argdefs, g->name) : NULL;
		const struct gq_type *t = ad ? ad->type : NULL;
		const struct gq_def *d = ad ? gq_schema_type(v->s, gq_type_name(ad->type)) : NULL;
		walk_value(v, g->value, t, d, 0);
	}
}

static void unique_args(struct vctx *v, const struct gq_list *args)
{
	const struct gq_arg *g = first_dup(v, args, arg_name);
	if (g)
		verr(v, g->pos, "There can be only one argument named \"%s\".", g->name);
}

static void required_args(struct vctx *v, const struct gq_list *argdefs, const struct gq_list *args,
                          const char *what, const char *name, struct gq_pos pos)
{
	if (!charge(v, argdefs->n * (args->n + 1)))
		return;
	for (size_t i = 0; i < argdefs->n; i++) {
		const struct gq_fielddef *ad = argdefs->v[i];
		if (ad->type == NULL || !ad->type->nonnull || ad->defval)
			continue;
		bool given = false;
		for (size_t j = 0; j < args->n && !given; j++)
			given = strcmp(((const struct gq_arg *)args->v[j])->name, ad->name) == 0;
		if (!given) {
			verr(v, pos, "%s \"%s%s\" argument \"%s\" of type \"%s\" is required, but it was not provided.", what,
			     strcmp(what, "Directive") == 0 ? "@" : "", name, ad->name, gq_type_str(v->a, ad->type));
			return;
		}
	}
}

static void walk_directives(struct vctx *v, const struct gq_list *dirs, const char *location)
{
	for (size_t i = 0; i < dirs->n && !v->failed; i++) {
		const struct gq_directive *d = dirs->v[i];
		const struct gq_dirdef *def = gq_schema_directive(v->s, d->name);
		walk_args(v, &d->args, def ? &def->args : NULL);
		if (v->failed)
			return;
		/* KnownArgumentNames */
		if (def) {
			for (size_t j = 0; j < d->args.n; j++) {
				const struct gq_arg *g = d->args.v[j];
				if (gq_find_field(&def->args, g->name))
					continue;
				verr(v, d->pos, "Unknown argument \"%s\" on directive \"@%s\".", g->name, d->name);
				suggest(v, "Did you mean", g->name, field_names(v, &def->args), def->args.n, true);
				return;
			}
		}
		/* KnownDirectives */
		if (def == NULL) {
			verr(v, d->pos, "Unknown directive \"@%s\".", d->name);
			return;
		}
		bool ok = false;
		for (size_t j = 0; j < def->locations.n && !ok; j++)
			ok = strcmp(def->locations.v[j], location) == 0;
		if (!ok) {
			verr(v, d->pos, "Directive \"@%s\" may not be used on %s.", d->name, location);
			return;
		}
		required_args(v, &def->args, &d->args, "Directive", def->name, d->pos);
		unique_args(v, &d->args);
	}
	/* UniqueDirectivesPerLocation (gqlparser exempts a directive named
	 * "repeatable", not repeatable directives) */
	if (v->failed || dirs->n < 2)
		return;
	struct gq_list named = {0};
	for (size_t i = 0; i < dirs->n; i++)
		if (strcmp(((const struct gq_directive *)dirs->v[i])->name, "repeatable") != 0 &&
		    gq_push(v->a, &named, dirs->v[i]) < 0) {
			v->e->oom = true;
			verr(v, (struct gq_pos){0, 0}, "out of memory");
			return;
		}
	const struct gq_directive *d = first_dup(v, &named, dir_name);
	if (d)
		verr(v, d->pos, "The directive \"@%s\" can only be used once at this location.", d->name);
}

/* ---- fragments ------------------------------------------------------------------ */

static ptrdiff_t frag_find(const struct vctx *v, const char *name)
{
	size_t lo = 0, hi = v->q->frags.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->frag_names[mid], name);
		if (c == 0) {
			/* the first fragment with that name (Fragments.ForName) */
			while (mid > 0 && strcmp(v->frag_names[mid - 1], name) == 0)
				mid--;
			return (ptrdiff_t)v->frag_idx[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static const struct gq_def **possible_types(struct vctx *v, const struct gq_def *d, size_t *n)
{
	*n = 0;
	if (is_kind(d, "UNION")) {
		const struct gq_def **r = rarena_nalloc(v->a, d->types.n + 1, sizeof(*r));
		if (r == NULL)
			return NULL;
		for (size_t i = 0; i < d->types.n; i++) {
			const struct gq_def *t = gq_schema_type(v->s, d->types.v[i]);
			if (t)
				r[(*n)++] = t;
		}
		return r;
	}
	const struct gq_list *l = gq_schema_possible(v->s, d->name);
	if (l == NULL)
		return NULL;
	const struct gq_def **r = rarena_nalloc(v->a, l->n + 1, sizeof(*r));
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i])
			r[(*n)++] = l->v[i];
	return r;
}

/* PossibleFragmentSpreads: true when the spread can apply. */
static bool spread_possible(struct vctx *v, const struct gq_def *parent, const char *typecond)
{
	if (parent == NULL)
		return true;
	const struct gq_def **pdefs;
	size_t np;
	const struct gq_def *one[1] = {parent};
	if (is_kind(parent, "OBJECT")) {
		pdefs = one;
		np = 1;
	} else if (is_kind(parent, "INTERFACE") || is_kind(parent, "UNION")) {
		pdefs = possible_types(v, parent, &np);
	} else {
		return true;
	}
	const struct gq_def *fd = gq_schema_type(v->s, typecond);
	if (fd == NULL || !is_composite(fd))
		return true;
	size_t nf;
	const struct gq_def **fdefs = possible_types(v, fd, &nf);
	if (!charge(v, nf * np + nf + np))
		return true;
	for (size_t i = 0; i < nf; i++)
		for (size_t j = 0; j < np; j++)
			if (strcmp(pdefs[j]->name, fdefs[i]->name) == 0)
				return true;
	return false;
}

/* ---- selections -------------------------------------------------------------------- */

static void walk_sels(struct vctx *v, const struct gq_def *parent, const struct gq_list *sels, unsigned depth);

/* OverlappingFieldsCanBeMerged on a selection set. */
static void overlap(struct vctx *v, const struct gq_list *sels)
{
	if (v->failed)
		return;
	int r = gq_overlap_check(v->ov, sels, v->e);
	if (r != 0)
		v->failed = true;
}

static int cmp_cstr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static const char **possible_type_suggestions(struct vctx *v, const struct gq_def *parent, const char *name,
                                              size_t *n)
{
	*n = 0;
	if (!is_kind(parent, "INTERFACE") && !is_kind(parent, "UNION"))
		return NULL;
	size_t np;
	const struct gq_def **pt = possible_types(v, parent, &np);
	if (np == 0)
		return NULL;
	const char **objs = rarena_nalloc(v->a, np + 1, sizeof(*objs));
	size_t no = 0;
	if (objs == NULL)
		return NULL;
	for (size_t i = 0; i < np; i++)
		if (gq_find_field(&pt[i]->fields, name))
			objs[no++] = pt[i]->name;
	*n = no;
	return objs;
}

static void field_rules(struct vctx *v, const struct gq_sel *f, const struct gq_def *parent,
                        const struct gq_fielddef *def)
{
	/* FieldsOnCorrectType */
	if (parent && def == NULL) {
		verr(v, f->pos, "Cannot query field \"%s\" on type \"%s\".", f->name, parent->name);
		size_t nt;
		const char **types = possible_type_suggestions(v, parent, f->name, &nt);
		if (nt > 0) {
			/* gqlparser orders these by name (object types only here) */
			size_t len = strlen(v->e->msg);
			qsort(types, nt, sizeof(*types), cmp_cstr);
			char *m = v->e->msg;
			size_t cap = sizeof(v->e->msg), k = nt > 5 ? 5 : nt;
			len += (size_t)snprintf(m + len, cap - len, " Did you mean to use an inline fragment on ");
			for (size_t i = 0; i < k && len < cap; i++) {
				const char *sep = i == 0 ? "" : (k == 2 ? " or " : (i == k - 1 ? ", or " : ", "));
				len += (size_t)snprintf(m + len, cap - len, "%s\"%s\"", sep, types[i]);
			}
			if (len < cap)
				snprintf(m + len, cap - len, "?");
		} else if (is_kind(parent, "OBJECT") || is_kind(parent, "INTERFACE")) {
			suggest(v, "Did you mean", f->name, field_names(v, &parent->fields), parent->fields.n, true);
		}
		return;
	}
	if (def == NULL)
		return;
	/* KnownArgumentNames */
	if (parent) {
		for (size_t i = 0; i < f->args.n; i++) {
			const struct gq_arg *g = f->args.v[i];
			if (gq_find_field(&def->args, g->name))
				continue;
			verr(v, f->pos, "Unknown argument \"%s\" on field \"%s.%s\".", g->name, parent->name, f->name);
			suggest(v, "Did you mean", g->name, field_names(v, &def->args), def->args.n, true);
			return;
		}
	}
	if (v->op)
		overlap(v, &f->sels);
	if (v->failed)
		return;
	/* ProvidedRequiredArguments */
	required_args(v, &def->args, &f->args, "Field", f->name, f->pos);
	if (v->failed)
		return;
	/* ScalarLeafs */
	const struct gq_def *ft = gq_schema_type(v->s, gq_type_name(def->type));
	if (ft) {
		if (is_leaf(ft) && f->sels.n > 0) {
			verr(v, f->pos, "Field \"%s\" must not have a selection since type \"%s\" has no subfields.", f->name,
			     ft->name);
			return;
		}
		if (!is_leaf(ft) && f->sels.n == 0) {
			verr(v, f->pos, "Field \"%s\" of type \"%s\" must have a selection of subfields. Did you mean \"%s { ... }\"?",
			     f->name, gq_type_str(v->a, def->type), f->name);
			return;
		}
	}
	unique_args(v, &f->args);
}

static void walk_sel(struct vctx *v, const struct gq_def *parent, struct gq_sel *s, unsigned depth)
{
	if (!step(v) || deep(v, depth))
		return;
	if (s->kind == GQS_FIELD) {
		static struct gq_type str_type = {"String", NULL, false, {0, 0}};
		static struct gq_fielddef typename_def = {{"", 0}, "__typename", {0}, NULL, &str_type, {0}, {0, 0}};
		const struct gq_fielddef *def = NULL;
		if (strcmp(s->name, "__typename") == 0)
			def = &typename_def;
		else if (parent)
			def = gq_find_field(&parent->fields, s->name);
		s->fdef = def;
		s->objdef = parent;
		const struct gq_def *next = def ? gq_schema_type(v->s, gq_type_name(def->type)) : NULL;
		walk_args(v, &s->args, def ? &def->args : NULL);
		walk_directives(v, &s->dirs, "FIELD");
		walk_sels(v, next, &s->sels, depth + 1);
		if (!v->failed)
			field_rules(v, s, parent, def);
		return;
	}
	if (s->kind == GQS_INLINE) {
		const struct gq_def *next = parent;
		if (s->typecond[0])
			next = gq_schema_type(v->s, s->typecond);
		walk_directives(v, &s->dirs, "INLINE_FRAGMENT");
		walk_sels(v, next, &s->sels, depth + 1);
		if (v->failed)
			return;
		const struct gq_def *t = gq_schema_type(v->s, s->typecond);
		if (t && !is_composite(t)) {
			verr(v, s->pos, "Fragment cannot condition on non composite type \"%s\".", s->typecond);
			return;
		}
		if (s->typecond[0] && t == NULL) {
			verr(v, s->pos, "Unknown type \"%s\".", s->typecond);
			return;
		}
		overlap(v, &s->sels);
		if (v->failed)
			return;
		if (!spread_possible(v, parent, s->typecond))
			verr(v, s->pos, "Fragment cannot be spread here as objects of type \"%s\" can never be of type \"%s\".",
			     parent->name, s->typecond);
		return;
	}
	/* fragment spread */
	ptrdiff_t fi = frag_find(v, s->name);
	const struct gq_frag *f = fi >= 0 ? v->q->frags.v[fi] : NULL;
	s->fragdef = f;
	const struct gq_def *next = f ? gq_schema_type(v->s, f->typecond) : NULL;
	walk_directives(v, &s->dirs, "FRAGMENT_SPREAD");
	if (f && !v->validated[fi]) {
		v->validated[fi] = true;
		walk_sels(v, next, &f->sels, depth + 1);
	}
	if (v->failed)
		return;
	if (f == NULL) {
		verr(v, s->pos, "Unknown fragment \"%s\".", s->name);
		return;
	}
	if (!v->in_fragments)
		v->frag_used[fi] = true;
	if (!spread_possible(v, parent, f->typecond))
		verr(v, s->pos, "Fragment \"%s\" cannot be spread here as objects of type \"%s\" can never be of type \"%s\".",
		     s->name, parent->name, f->typecond);
}

static void walk_sels(struct vctx *v, const struct gq_def *parent, const struct gq_list *sels, unsigned depth)
{
	for (size_t i = 0; i < sels->n && !v->failed; i++)
		walk_sel(v, parent, sels->v[i], depth);
}

/* ---- operations and fragment definitions ------------------------------------------ */

struct topfield {
	const char *name;
	struct gq_pos pos;
};

static void top_fields(struct vctx *v, const struct gq_list *sels, struct gq_list *out, bool *seen, unsigned depth)
{
	for (size_t i = 0; i < sels->n && step(v) && !deep(v, depth); i++) {
		const struct gq_sel *s = sels->v[i];
		if (s->kind == GQS_FIELD) {
			gq_push(v->a, out, (void *)s);
		} else if (s->kind == GQS_INLINE) {
			top_fields(v, &s->sels, out, seen, depth + 1);
		} else {
			ptrdiff_t fi = frag_find(v, s->name);
			if (fi < 0)
				return;
			if (!seen[fi]) {
				seen[fi] = true;
				top_fields(v, &((const struct gq_frag *)v->q->frags.v[fi])->sels, out, seen, depth + 1);
			}
		}
	}
}

static void single_field_subscription(struct vctx *v, const struct gq_op *op)
{
	if (gq_schema_root(v->s, "subscription") == NULL || strcmp(op->operation, "subscription") != 0)
		return;
	bool *seen = rarena_zalloc(v->a, v->q->frags.n + 1);
	if (seen == NULL)
		return;
	struct gq_list all = {0};
	top_fields(v, &op->sels, &all, seen, 0);
	/* gqlparser keeps the first field of each name: the second of those
	 * is the first field named unlike the first, and the first one with a
	 * "__" name is the first such field */
	const struct gq_sel *second = NULL, *intro = NULL;
	for (size_t i = 1; i < all.n && second == NULL; i++)
		if (strcmp(((const struct gq_sel *)all.v[i])->name, ((const struct gq_sel *)all.v[0])->name) != 0)
			second = all.v[i];
	for (size_t i = 0; i < all.n && intro == NULL; i++)
		if (strncmp(((const struct gq_sel *)all.v[i])->name, "__", 2) == 0)
			intro = all.v[i];
	const char *name = "Anonymous Subscription";
	if (op->name[0]) {
		const char *q = gq_quote(v->a, op->name, strlen(op->name));
		size_t n = strlen(q) + 16;
		char *t = rarena_alloc(v->a, n);
		if (t) {
			snprintf(t, n, "Subscription %s", q);
			name = t;
		}
	}
	if (second) {
		verr(v, second->pos, "%s must select only one top level field.", name);
		return;
	}
	if (intro)
		verr(v, intro->pos, "%s must not select an introspection top level field.", name);
}

static void walk_operation(struct vctx *v, size_t oi)
{
	const struct gq_op *op = v->q->ops.v[oi];
	v->op = op;
	v->used = rarena_zalloc(v->a, op->vardefs.n + 1);
	memset(v->validated, 0, v->q->frags.n + 1);
	if (v->used == NULL) {
		verr(v, (struct gq_pos){0, 0}, "out of memory");
		v->e->oom = true;
		return;
	}
	for (size_t i = 0; i < op->vardefs.n && !v->failed; i++) {
		const struct gq_vardef *d = op->vardefs.v[i];
		const char *tn = gq_type_name(d->type);
		const struct gq_def *td = gq_schema_type(v->s, tn);
		if (td == NULL)
			verr(v, d->pos, "Unknown type \"%s\".", tn);
		else if (!is_input(td))
			verr(v, d->pos, "Variable \"$%s\" cannot be non-input type \"%s\".", d->var, gq_type_str(v->a, d->type));
	}
	const struct gq_def *root = gq_schema_root(v->s, op->operation[0] ? op->operation : "query");
	const char *loc = strcmp(op->operation, "mutation") == 0       ? "MUTATION"
	                  : strcmp(op->operation, "subscription") == 0 ? "SUBSCRIPTION"
	                                                                : "QUERY";
	for (size_t i = 0; i < op->vardefs.n && !v->failed; i++) {
		const struct gq_vardef *d = op->vardefs.v[i];
		if (d->defval)
			walk_value(v, d->defval, d->type, gq_schema_type(v->s, gq_type_name(d->type)), 0);
		walk_directives(v, &d->dirs, "VARIABLE_DEFINITION");
	}
	walk_directives(v, &op->dirs, loc);
	walk_sels(v, root, &op->sels, 0);
	if (v->failed)
		return;
	/* KnownRootType */
	if (root == NULL) {
		verr(v, op->pos, "Schema does not support operation type \"%s\"", op->operation);
		return;
	}
	/* LoneAnonymousOperation */
	if (op->name[0] == '\0' && v->q->ops.n > 1) {
		verr(v, op->pos, "This anonymous operation must be the only defined operation.");
		return;
	}
	/* NoUnusedVariables */
	for (size_t i = 0; i < op->vardefs.n; i++) {
		const struct gq_vardef *d = op->vardefs.v[i];
		if (v->used[i])
			continue;
		if (op->name[0])
			verr(v, d->pos, "Variable \"$%s\" is never used in operation \"%s\".", d->var, op->name);
		else
			verr(v, d->pos, "Variable \"$%s\" is never used.", d->var);
		return;
	}
	overlap(v, &op->sels);
	single_field_subscription(v, op);
	if (v->failed)
		return;
	/* UniqueOperationNames */
	if (v->op_dup[oi]) {
		verr(v, op->pos, "There can be only one operation named \"%s\".", op->name);
		return;
	}
	/* UniqueVariableNames */
	const struct gq_vardef *d = first_dup(v, &op->vardefs, var_name);
	if (d)
		verr(v, d->pos, "There can be only one variable named \"$%s\".", d->var);
}

/* NoFragmentCycles from fragment fi: depth-first over its spreads. */
struct cyc {
	bool *visited;
	ptrdiff_t *path_index; /* by fragment: index in path, or -1 */
	const struct gq_sel **path;
	size_t npath;
};

static void spreads_of(struct vctx *v, const struct gq_list *sels, struct gq_list *out)
{
	struct gq_list stack = {0};
	gq_push(v->a, &stack, (void *)sels);
	while (stack.n > 0 && step(v)) {
		const struct gq_list *set = stack.v[--stack.n];
		for (size_t i = 0; i < set->n; i++) {
			const struct gq_sel *s = set->v[i];
			if (s->kind == GQS_SPREAD)
				gq_push(v->a, out, (void *)s);
			else
				gq_push(v->a, &stack, (void *)&s->sels);
		}
	}
}

static void cycles(struct vctx *v, struct cyc *c, size_t fi, unsigned depth)
{
	const struct gq_frag *f = v->q->frags.v[fi];
	if (c->visited[fi] || v->failed || deep(v, depth))
		return;
	c->visited[fi] = true;
	struct gq_list spreads = {0};
	spreads_of(v, &f->sels, &spreads);
	if (spreads.n == 0)
		return;
	c->path_index[fi] = (ptrdiff_t)c->npath;
	for (size_t i = 0; i < spreads.n && !v->failed; i++) {
		const struct gq_sel *s = spreads.v[i];
		ptrdiff_t si = frag_find(v, s->name);
		ptrdiff_t ci = si >= 0 ? c->path_index[si] : -1;
		c->path[c->npath++] = s;
		if (ci < 0) {
			if (si >= 0)
				cycles(v, c, (size_t)si, depth + 1);
		} else {
			char via[400] = "";
			size_t len = 0;
			for (size_t k = (size_t)ci; k + 1 < c->npath && len < sizeof(via); k++)
				len += (size_t)snprintf(via + len, sizeof(via) - len, "%s\"%s\"", k == (size_t)ci ? " via " : ", ",
				                        c->path[k]->name);
			verr(v, s->pos, "Cannot spread fragment \"%s\" within itself%s.", s->name, via);
		}
		c->npath--;
	}
	c->path_index[fi] = -1;
}

static void walk_fragment(struct vctx *v, size_t fi, struct cyc *c)
{
	const struct gq_frag *f = v->q->frags.v[fi];
	v->op = NULL;
	memset(v->validated, 0, v->q->frags.n + 1);
	const struct gq_def *def = gq_schema_type(v->s, f->typecond);
	walk_directives(v, &f->dirs, "FRAGMENT_DEFINITION");
	walk_sels(v, def, &f->sels, 0);
	if (v->failed)
		return;
	if (def && f->typecond[0] && !is_composite(def)) {
		verr(v, f->pos, "Fragment \"%s\" cannot condition on non composite type \"%s\".", f->name, f->typecond);
		return;
	}
	if (def == NULL) {
		verr(v, f->pos, "Unknown type \"%s\".", f->typecond);
		return;
	}
	cycles(v, c, fi, 0);
	if (v->failed)
		return;
	if (!v->frag_used[fi]) {
		verr(v, f->pos, "Fragment \"%s\" is never used.", f->name);
		return;
	}
	overlap(v, &f->sels);
	if (v->failed)
		return;
	/* UniqueFragmentNames: an earlier fragment has the name */
	if (frag_find(v, f->name) != (ptrdiff_t)fi)
		verr(v, f->pos, "There can be only one fragment named \"%s\".", f->name);
}

int gq_validate(rarena *a, const struct gq_schema *s, const struct gq_qdoc *q, struct gq_err *e)
{
	memset(e, 0, sizeof(*e));
	struct vctx v = {0};
	v.a = a;
	v.s = s;
	v.q = q;
	v.e = e;
	size_t nf = q->frags.n;
	v.validated = rarena_zalloc(a, nf + 1);
	v.frag_used = rarena_zalloc(a, nf + 1);
	v.frag_idx = rarena_nalloc(a, nf + 1, sizeof(size_t));
	v.frag_names = rarena_nalloc(a, nf + 1, sizeof(char *));
	v.ov = gq_overlap_new(a, s, &v.steps);
	struct cyc c = {0};
	c.visited = rarena_zalloc(a, nf + 1);
	c.path_index = rarena_nalloc(a, nf + 1, sizeof(ptrdiff_t));
	c.path = rarena_nalloc(a, VDEPTH + 2, sizeof(*c.path));
	if (!v.validated || !v.frag_used || !v.frag_idx || !v.frag_names || !v.ov || !c.visited || !c.path_index || !c.path) {
		e->oom = true;
		gq_errf(e, (struct gq_pos){0, 0}, "out of memory");
		return -1;
	}
	struct gq_named *names = rarena_nalloc(a, nf + 1, sizeof(*names));
	if (names == NULL) {
		e->oom = true;
		gq_errf(e, (struct gq_pos){0, 0}, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nf; i++) {
		names[i].name = ((const struct gq_frag *)q->frags.v[i])->name;
		names[i].idx = i;
		c.path_index[i] = -1;
	}
	qsort(names, nf, sizeof(*names), gq_named_cmp);
	for (size_t i = 0; i < nf; i++) {
		v.frag_names[i] = names[i].name;
		v.frag_idx[i] = names[i].idx;
	}
	/* operations whose name an earlier one has */
	size_t no = q->ops.n;
	struct gq_named *onames = rarena_nalloc(a, no + 1, sizeof(*onames));
	v.op_dup = rarena_zalloc(a, no + 1);
	if (onames == NULL || v.op_dup == NULL) {
		e->oom = true;
		gq_errf(e, (struct gq_pos){0, 0}, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < no; i++) {
		onames[i].name = op_name(q->ops.v[i]);
		onames[i].idx = i;
	}
	qsort(onames, no, sizeof(*onames), gq_named_cmp);
	for (size_t i = 1; i < no; i++)
		if (strcmp(onames[i - 1].name, onames[i].name) == 0)
			v.op_dup[onames[i].idx] = true;
	for (size_t i = 0; i < q->ops.n && !v.failed; i++)
		walk_operation(&v, i);
	v.in_fragments = true;
	for (size_t i = 0; i < nf && !v.failed; i++)
		walk_fragment(&v, i, &c);
	return v.failed ? -1 : 0;
}
