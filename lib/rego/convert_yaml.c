/* YAML text and libyaml documents to values (convert.h), as OPA's
 * yaml.unmarshal (sigs.k8s.io/yaml over go-yaml v2, then JSON): scalars
 * resolved by convert_yaml_scalar.c, merge keys, mapping keys turned into
 * strings, anchors and aliases bounded by size. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cocoon/limits.h"
#include "convert_int.h"
#include "utf8.h"

struct yanchor {
	char *name;
	const rv *val;
	struct yscal sc; /* for scalars: the resolved scalar (map keys) */
	uint64_t size;   /* nodes decoded to build it (alias accounting) */
	bool open;
};

struct yconv {
	rarena *a;
	cc_error **err;
	bool exact;          /* keep JSON-number spellings (conformance runner) */
	uint64_t decoded;    /* go-yaml's decodeCount */
	uint64_t aliased;    /* go-yaml's aliasCount */
	struct yanchor *anc; /* event front end */
	size_t nanc, canc;
	size_t *slots; /* open-addressing index into anc (SIZE_MAX: empty) */
	size_t nslots;
};

static int yc_oom(struct yconv *c)
{
	return cc_error_set(c->err, -ENOMEM, "out of memory converting YAML");
}

/* go-yaml v2 decoder's guard against alias bombs. */
static int yc_count(struct yconv *c, uint64_t nodes, bool alias)
{
	c->decoded = c->decoded + nodes < c->decoded ? UINT64_MAX : c->decoded + nodes;
	if (alias)
		c->aliased = c->aliased + nodes < c->aliased ? UINT64_MAX : c->aliased + nodes;
	if (c->aliased <= 100 || c->decoded <= 1000)
		return 0;
	double ratio;
	if (c->decoded <= 400000)
		ratio = 0.99;
	else if (c->decoded >= 4000000)
		ratio = 0.10;
	else
		ratio = 0.99 - 0.89 * ((double)(c->decoded - 400000) / 3600000.0);
	if ((double)c->aliased / (double)c->decoded > ratio)
		return cc_error_set(c->err, -ELOOP, "yaml: document contains excessive aliasing");
	return 0;
}

/* Resolves a scalar as go-yaml v2's decoder: quoted untagged -> string,
 * plain untagged -> resolve(), tagged -> resolve() checked against the tag. */
static int yc_resolve(struct yconv *c, const char *tag, const char *s, size_t n, bool plain,
                      struct yscal *o)
{
	memset(o, 0, sizeof(*o));
	o->k = Y_STR, o->s = s, o->n = n;
	if (tag == NULL || tag[0] == '\0') {
		if (plain)
			cv_resolve_plain(s, n, o);
		return 0;
	}
	if (strcmp(tag, YTAG_BINARY) == 0) {
		cc_buf b;
		cc_buf_init(&b, n);
		int r = cv_base64_decode(s, n, &b);
		if (r == 0) {
			char *d = rarena_strndup(c->a, b.p ? b.p : "", b.len);
			o->s = d, o->n = b.len;
			r = d ? 0 : -ENOMEM;
		}
		cc_buf_free(&b);
		if (r == -ENOMEM)
			return yc_oom(c);
		return r ? cc_error_set(c->err, -EINVAL, "yaml: !!binary value contains invalid base64 data")
		         : 0;
	}
	const char *const resolvable[] = {YTAG_STR, YTAG_BOOL, YTAG_INT, YTAG_FLOAT,
	                                  YTAG_NULL, YTAG_TIMESTAMP, NULL};
	bool ok = false;
	for (size_t i = 0; resolvable[i]; i++)
		ok = ok || strcmp(tag, resolvable[i]) == 0;
	if (!ok || strcmp(tag, YTAG_STR) == 0)
		return 0; /* unknown tags and !!str keep the text */
	cv_resolve_plain(s, n, o);
	const char *rtag = cv_kind_tag(o->k);
	if (strcmp(rtag, tag) == 0)
		return 0;
	if (strcmp(tag, YTAG_FLOAT) == 0 && o->k == Y_INT) {
		o->k = Y_FLOAT, o->f = (double)o->i;
		return 0;
	}
	if (strcmp(tag, YTAG_FLOAT) == 0 && o->k == Y_UINT) {
		o->k = Y_FLOAT, o->f = (double)o->u;
		return 0;
	}
	char b1[64], b2[64];
	return cc_error_set(c->err, -EINVAL, "yaml: cannot decode %s `%.*s` as a %s",
	                    cv_short_tag(rtag, b1, sizeof(b1)), (int)(n > 200 ? 200 : n), s,
	                    cv_short_tag(tag, b2, sizeof(b2)));
}

/* Value of a resolved scalar, after the JSON round trip OPA does. */
static int yc_scalar_value(struct yconv *c, const struct yscal *sc, const rv **ret)
{
	cc_buf b;
	int r = 0;
	switch (sc->k) {
	case Y_NULL:
		*ret = rv_null();
		return 0;
	case Y_BOOL:
		*ret = rv_bool(sc->b);
		return 0;
	case Y_INT:
	case Y_UINT:
	case Y_FLOAT:
		if (c->exact && rv_num_parse(c->a, sc->s, sc->n) != NULL)
			return cv_num_from_text(c->a, sc->s, sc->n, ret, c->err);
		if (sc->k == Y_INT) {
			*ret = rv_int(c->a, sc->i);
			return *ret ? 0 : yc_oom(c);
		}
		if (sc->k == Y_FLOAT && (isnan(sc->f) || isinf(sc->f))) {
			*ret = NULL; /* fine as a map key; yc_need() refuses it as a value */
			return 0;
		}
		cc_buf_init(&b, 0);
		r = sc->k == Y_UINT ? cc_buf_printf(&b, "%llu", (unsigned long long)sc->u)
		                    : cv_go_json_float(sc->f, &b);
		r = r < 0 ? yc_oom(c) : cv_num_from_text(c->a, b.p, b.len, ret, c->err);
		cc_buf_free(&b);
		return r;
	default:
		if (rutf8_valid(sc->s, sc->n)) {
			*ret = rv_str(c->a, sc->s, sc->n);
			return *ret ? 0 : yc_oom(c);
		}
		cc_buf_init(&b, 0);
		r = rutf8_sanitize(sc->s, sc->n, &b);
		*ret = r == 0 ? rv_str(c->a, b.p ? b.p : "", b.len) : NULL;
		cc_buf_free(&b);
		return *ret ? 0 : yc_oom(c);
	}
}

/* A node's value where a value is needed: NaN and infinities have none
 * (encoding/json refuses them, after go-yaml accepted them). */
static int yc_need(struct yconv *c, const rv *v, const struct yscal *sc)
{
	if (v)
		return 0;
	return cc_error_set(c->err, -EINVAL, "json: unsupported value: %s",
	                    isnan(sc->f) ? "NaN" : sc->f > 0 ? "+Inf" : "-Inf");
}

/* Mapping key as sigs.k8s.io/yaml turns go-yaml's keys into strings. */
static int yc_key(struct yconv *c, const struct yscal *sc, const rv **ret)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = 0;
	switch (sc->k) {
	case Y_STR:
	case Y_TIMESTAMP:
		return yc_scalar_value(c, sc, ret);
	case Y_INT:
		r = cc_buf_printf(&b, "%lld", (long long)sc->i);
		break;
	case Y_BOOL:
		r = cc_buf_adds(&b, sc->b ? "true" : "false");
		break;
	case Y_FLOAT:
		if (isnan(sc->f))
			r = cc_buf_adds(&b, ".nan");
		else if (isinf(sc->f))
			r = cc_buf_adds(&b, sc->f > 0 ? ".inf" : "-.inf");
		else
			r = cv_go_fmt_g(sc->f, true, &b);
		break;
	case Y_UINT:
		return cc_error_set(c->err, -EINVAL, "unsupported map key of type: uint64");
	case Y_NULL:
		return cc_error_set(c->err, -EINVAL, "unsupported map key of type: <nil>");
	default:
		return cc_error_set(c->err, -EINVAL, "yaml: invalid map key");
	}
	*ret = r == 0 ? rv_str(c->a, b.p ? b.p : "", b.len) : NULL;
	cc_buf_free(&b);
	return *ret ? 0 : yc_oom(c);
}

/* Key/value assignments of one mapping, in order (last one wins). */
struct ymap {
	rvec keys;
	rvec vals;
};

static int ymap_set(struct yconv *c, struct ymap *m, const rv *k, const rv *v)
{
	if (m->keys.n >= CC_REGO_MAX_BUILTIN_ELEMS)
		return cc_error_set(c->err, -E2BIG, "yaml: mapping too large");
	if (rvec_push(&m->keys, k) < 0 || rvec_push(&m->vals, v) < 0)
		return yc_oom(c);
	return 0;
}

/* go-yaml v2's merge ("<<"): a mapping, or a sequence of mappings where
 * earlier ones take precedence. Existing keys are overwritten. */
static int ymap_merge(struct yconv *c, struct ymap *m, const rv *v)
{
	if (v->t == RV_OBJ) {
		for (size_t i = 0; i < v->u.o.n; i++) {
			int r = ymap_set(c, m, v->u.o.k[i], v->u.o.v[i]);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (v->t == RV_ARR) {
		for (size_t i = v->u.a.n; i-- > 0;)
			if (v->u.a.v[i]->t != RV_OBJ)
				return cc_error_set(c->err, -EINVAL, "yaml: map merge requires map or sequence of maps as the value");
		for (size_t i = v->u.a.n; i-- > 0;) {
			int r = ymap_merge(c, m, v->u.a.v[i]);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return cc_error_set(c->err, -EINVAL, "yaml: map merge requires map or sequence of maps as the value");
}

struct kvidx {
	const rv *k;
	size_t idx;
};

static int kvidx_cmp(const void *a, const void *b)
{
	const struct kvidx *x = a, *y = b;
	int r = rv_cmp(x->k, y->k);
	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Builds the object, keeping the last assignment of every key. */
static int ymap_finish(struct yconv *c, struct ymap *m, const rv **ret)
{
	size_t n = m->keys.n;
	struct kvidx *t = rarena_nalloc(c->a, n ? n : 1, sizeof(*t));
	const rv **k = rarena_nalloc(c->a, n ? n : 1, sizeof(*k));
	const rv **v = rarena_nalloc(c->a, n ? n : 1, sizeof(*v));
	if (t == NULL || k == NULL || v == NULL)
		return yc_oom(c);
	for (size_t i = 0; i < n; i++)
		t[i].k = m->keys.v[i], t[i].idx = i;
	qsort(t, n, sizeof(*t), kvidx_cmp);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && rv_cmp(t[i].k, t[i + 1].k) == 0)
			continue;
		k[o] = t[i].k;
		v[o] = m->vals.v[t[i].idx];
		o++;
	}
	*ret = rv_obj(c->a, k, v, o, NULL);
	return *ret ? 0 : yc_oom(c);
}

static bool is_merge_key(const char *tag, const char *s, size_t n, bool plain)
{
	if (!cv_eq_lit(s, n, "<<"))
		return false;
	return (plain && (tag == NULL || tag[0] == '\0')) ||
	       (tag && strcmp(tag, YTAG "merge") == 0);
}

/* go-yaml v2's parser error: "yaml: line N: problem". */
static int yaml_parser_err(yaml_parser_t *p, cc_error **err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return cc_error_set(err, -ENOMEM, "yaml: out of memory");
	size_t line = 0;
	if (p->problem_mark.line != 0) {
		line = p->problem_mark.line;
		if (p->error == YAML_SCANNER_ERROR)
			line++;
	} else if (p->context_mark.line != 0) {
		line = p->context_mark.line;
	}
	const char *msg = p->problem ? p->problem : "unknown problem parsing YAML content";
	if (line)
		return cc_error_set(err, -EINVAL, "yaml: line %zu: %s", line, msg);
	return cc_error_set(err, -EINVAL, "yaml: %s", msg);
}

/* ---- event front end (rv_from_yaml_text) ---- */

struct yev {
	struct yconv *c;
	yaml_parser_t *p;
};

static size_t anc_hash(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static int anc_rehash(struct yconv *c, size_t nslots)
{
	size_t *s = malloc(nslots * sizeof(*s));
	if (s == NULL)
		return yc_oom(c);
	for (size_t i = 0; i < nslots; i++)
		s[i] = SIZE_MAX;
	for (size_t i = 0; i < c->nanc; i++) {
		size_t h = anc_hash(c->anc[i].name) & (nslots - 1);
		while (s[h] != SIZE_MAX && strcmp(c->anc[s[h]].name, c->anc[i].name) != 0)
			h = (h + 1) & (nslots - 1);
		s[h] = i; /* later definitions replace earlier ones */
	}
	free(c->slots);
	c->slots = s;
	c->nslots = nslots;
	return 0;
}

static struct yanchor *anc_find(struct yconv *c, const char *name)
{
	if (c->nslots == 0)
		return NULL;
	size_t h = anc_hash(name) & (c->nslots - 1);
	while (c->slots[h] != SIZE_MAX) {
		if (strcmp(c->anc[c->slots[h]].name, name) == 0)
			return &c->anc[c->slots[h]];
		h = (h + 1) & (c->nslots - 1);
	}
	return NULL;
}

/* Registers (or re-defines) an anchor; returns its index. */
static int anc_add(struct yconv *c, const char *name, size_t *idx)
{
	if (c->nanc == c->canc) {
		size_t nc = c->canc ? c->canc * 2 : 16;
		struct yanchor *na = realloc(c->anc, nc * sizeof(*na));
		if (na == NULL)
			return yc_oom(c);
		c->anc = na;
		c->canc = nc;
	}
	struct yanchor *a = &c->anc[c->nanc];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	if (a->name == NULL)
		return yc_oom(c);
	a->open = true;
	*idx = c->nanc++;
	if (c->nanc * 2 > c->nslots)
		return anc_rehash(c, c->nslots ? c->nslots * 2 : 64);
	size_t h = anc_hash(name) & (c->nslots - 1);
	while (c->slots[h] != SIZE_MAX && strcmp(c->anc[c->slots[h]].name, name) != 0)
		h = (h + 1) & (c->nslots - 1);
	c->slots[h] = *idx;
	return 0;
}

static void anc_free(struct yconv *c)
{
	for (size_t i = 0; i < c->nanc; i++)
		free(c->anc[i].name);
	free(c->anc);
	free(c->slots);
}

static int ye_next(struct yev *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(y->p, ev))
		return yaml_parser_err(y->p, y->c->err);
	return 0;
}

/* Converts the node starting with ev (consumed). *sc gets the resolved
 * scalar (or Y_SEQ / Y_MAP), *size the nodes decoded. */
static int ye_node(struct yev *y, yaml_event_t *ev, unsigned depth, const rv **ret,
                   struct yscal *sc, uint64_t *size);

static int ye_item(struct yev *y, struct ymap *m, yaml_event_t *ev, unsigned depth,
                   uint64_t *size)
{
	const rv *v;
	struct yscal sc;
	uint64_t sz = 0;
	int r = ye_node(y, ev, depth + 1, &v, &sc, &sz);
	if (r == 0)
		r = yc_need(y->c, v, &sc);
	if (r < 0)
		return r;
	*size += sz;
	if (m->keys.n >= CC_REGO_MAX_BUILTIN_ELEMS)
		return cc_error_set(y->c->err, -E2BIG, "yaml: sequence too large");
	return rvec_push(&m->keys, v) < 0 ? yc_oom(y->c) : 0;
}

static int ye_pair(struct yev *y, struct ymap *m, yaml_event_t *ev, unsigned depth,
                   uint64_t *size)
{
	struct yconv *c = y->c;
	bool merge = ev->type == YAML_SCALAR_EVENT &&
	             is_merge_key((const char *)ev->data.scalar.tag,
	                          (const char *)ev->data.scalar.value, ev->data.scalar.length,
	                          ev->data.scalar.plain_implicit != 0);
	const rv *k, *v;
	struct yscal ks, vs;
	uint64_t ksz = 0, vsz = 0;
	yaml_event_t vev;
	int r = ye_node(y, ev, depth + 1, &k, &ks, &ksz);
	if (r == 0)
		r = ye_next(y, &vev);
	if (r == 0)
		r = ye_node(y, &vev, depth + 1, &v, &vs, &vsz);
	if (r == 0)
		r = yc_need(c, v, &vs);
	if (r < 0)
		return r;
	*size += ksz + vsz;
	if (merge)
		return ymap_merge(c, m, v);
	if (ks.k == Y_SEQ || ks.k == Y_MAP)
		return cc_error_set(c->err, -EINVAL, "yaml: invalid map key");
	if ((r = yc_key(c, &ks, &k)) < 0)
		return r;
	return ymap_set(c, m, k, v);
}

static int ye_collection(struct yev *y, bool map, unsigned depth, const rv **ret, uint64_t *size)
{
	struct yconv *c = y->c;
	struct ymap m;
	rvec_init(&m.keys, c->a);
	rvec_init(&m.vals, c->a);
	*size = 1;
	for (;;) {
		yaml_event_t ev;
		int r = ye_next(y, &ev);
		if (r < 0)
			return r;
		if (ev.type == (map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
			yaml_event_delete(&ev);
			break;
		}
		r = map ? ye_pair(y, &m, &ev, depth, size) : ye_item(y, &m, &ev, depth, size);
		if (r < 0)
			return r;
	}
	if (!map) {
		*ret = rvec_to_arr(&m.keys);
		return *ret ? 0 : yc_oom(c);
	}
	return ymap_finish(c, &m, ret);
}

static int ye_alias(struct yev *y, const char *name, const rv **ret, struct yscal *sc,
                    uint64_t *size)
{
	struct yconv *c = y->c;
	struct yanchor *a = anc_find(c, name);
	if (a == NULL)
		return cc_error_set(c->err, -EINVAL, "yaml: unknown anchor '%.200s' referenced", name);
	if (a->open)
		return cc_error_set(c->err, -ELOOP, "yaml: anchor '%.200s' value contains itself", name);
	*ret = a->val;
	*sc = a->sc;
	*size = a->size;
	return yc_count(c, a->size, true);
}

static int ye_node(struct yev *y, yaml_event_t *ev, unsigned depth, const rv **ret,
                   struct yscal *sc, uint64_t *size)
{
	struct yconv *c = y->c;
	int r = 0;
	const char *anchor = NULL;
	size_t ai = SIZE_MAX;
	memset(sc, 0, sizeof(*sc));
	*size = 1;
	if (depth > CC_REGO_MAX_JSON_DEPTH) {
		r = cc_error_set(c->err, -ELOOP, "yaml: nesting deeper than %u levels",
		                 CC_REGO_MAX_JSON_DEPTH);
		goto out;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		r = ye_alias(y, (const char *)ev->data.alias.anchor, ret, sc, size);
		goto out;
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = (const char *)ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = (const char *)ev->data.mapping_start.anchor;
		break;
	default:
		r = cc_error_set(c->err, -EINVAL, "yaml: unexpected event");
		goto out;
	}
	if (anchor && (r = anc_add(c, anchor, &ai)) < 0)
		goto out;
	if ((r = yc_count(c, 1, false)) < 0)
		goto out;
	if (ev->type == YAML_SCALAR_EVENT) {
		const char *v = rarena_strndup(c->a, (const char *)ev->data.scalar.value,
		                               ev->data.scalar.length);
		r = v == NULL ? yc_oom(c)
		              : yc_resolve(c, (const char *)ev->data.scalar.tag, v, ev->data.scalar.length,
		                           ev->data.scalar.plain_implicit != 0, sc);
		if (r == 0)
			r = yc_scalar_value(c, sc, ret);
	} else {
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		sc->k = map ? Y_MAP : Y_SEQ;
		r = ye_collection(y, map, depth, ret, size);
	}
	if (r == 0 && ai != SIZE_MAX) {
		c->anc[ai].val = *ret;
		c->anc[ai].sc = *sc;
		c->anc[ai].size = *size;
		c->anc[ai].open = false;
	}
out:
	yaml_event_delete(ev);
	return r;
}

/* Reads the first document of the stream (go-yaml v2's Unmarshal). */
static int ye_document(struct yev *y, const rv **ret)
{
	yaml_event_t ev;
	int r = ye_next(y, &ev);
	if (r < 0)
		return r;
	bool start = ev.type == YAML_STREAM_START_EVENT;
	yaml_event_delete(&ev);
	if (!start)
		return cc_error_set(y->c->err, -EINVAL, "yaml: expected stream start");
	if ((r = ye_next(y, &ev)) < 0)
		return r;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		*ret = rv_null();
		return 0;
	}
	yaml_event_delete(&ev);
	if ((r = ye_next(y, &ev)) < 0)
		return r;
	struct yscal sc;
	uint64_t size;
	if ((r = ye_node(y, &ev, 0, ret, &sc, &size)) < 0 || (r = yc_need(y->c, *ret, &sc)) < 0)
		return r;
	if ((r = ye_next(y, &ev)) < 0) /* document end */
		return r;
	yaml_event_delete(&ev);
	return 0;
}

int rv_from_yaml_text(rarena *a, const char *txt, size_t n, const rv **ret, cc_error **err)
{
	if (n > CC_REGO_MAX_JSON_BYTES)
		return cc_error_set(err, -E2BIG, "YAML document of %zu bytes is over the %u byte limit",
		                    n, CC_REGO_MAX_JSON_BYTES);
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return cc_error_set(err, -ENOMEM, "yaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)txt, n);
	struct yconv c = {.a = a, .err = err};
	struct yev y = {&c, &p};
	const rv *v = NULL;
	int r = ye_document(&y, &v);
	if (r == 0)
		*ret = v;
	anc_free(&c);
	yaml_parser_delete(&p);
	return r;
}

/* ---- document front end (rv_from_yaml_node) ---- */

struct ydoc {
	struct yconv *c;
	yaml_document_t *doc;
	size_t nnodes;
	unsigned char *state; /* 0 new, 1 in progress, 2 done */
	const rv **val;
	struct yscal *sc;
	uint64_t *size;
};

static int yd_node(struct ydoc *d, yaml_node_t *node, unsigned depth, size_t *idx);

/* The document API gives untagged scalars the default !!str tag. */
static const char *yd_tag(const yaml_node_t *nd)
{
	const char *tag = (const char *)nd->tag;
	return tag && strcmp(tag, YTAG_STR) == 0 ? NULL : tag;
}

static int yd_scalar(struct ydoc *d, yaml_node_t *nd, size_t i)
{
	struct yconv *c = d->c;
	const char *v = rarena_strndup(c->a, (const char *)nd->data.scalar.value,
	                               nd->data.scalar.length);
	if (v == NULL)
		return yc_oom(c);
	int r = yc_resolve(c, yd_tag(nd), v, nd->data.scalar.length,
	                   nd->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, &d->sc[i]);
	return r ? r : yc_scalar_value(c, &d->sc[i], &d->val[i]);
}

static int yd_collection(struct ydoc *d, yaml_node_t *nd, unsigned depth, size_t i)
{
	struct yconv *c = d->c;
	struct ymap m;
	rvec_init(&m.keys, c->a);
	rvec_init(&m.vals, c->a);
	int r = 0;
	d->size[i] = 1;
	if (nd->type == YAML_SEQUENCE_NODE) {
		d->sc[i].k = Y_SEQ;
		for (yaml_node_item_t *it = nd->data.sequence.items.start;
		     r == 0 && it < nd->data.sequence.items.top; it++) {
			size_t ci;
			r = yd_node(d, yaml_document_get_node(d->doc, *it), depth + 1, &ci);
			if (r == 0)
				r = yc_need(c, d->val[ci], &d->sc[ci]);
			if (r == 0 && rvec_push(&m.keys, d->val[ci]) < 0)
				r = yc_oom(c);
			if (r == 0)
				d->size[i] += d->size[ci];
		}
		if (r == 0 && (d->val[i] = rvec_to_arr(&m.keys)) == NULL)
			r = yc_oom(c);
		return r;
	}
	d->sc[i].k = Y_MAP;
	for (yaml_node_pair_t *pr = nd->data.mapping.pairs.start;
	     r == 0 && pr < nd->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(d->doc, pr->key);
		size_t ki, vi;
		r = yd_node(d, kn, depth + 1, &ki);
		if (r == 0)
			r = yd_node(d, yaml_document_get_node(d->doc, pr->value), depth + 1, &vi);
		if (r == 0)
			r = yc_need(c, d->val[vi], &d->sc[vi]);
		if (r < 0)
			break;
		d->size[i] += d->size[ki] + d->size[vi];
		const rv *k;
		if (kn->type == YAML_SCALAR_NODE &&
		    is_merge_key(yd_tag(kn), (const char *)kn->data.scalar.value, kn->data.scalar.length,
		                 kn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE))
			r = ymap_merge(c, &m, d->val[vi]);
		else if (d->sc[ki].k == Y_SEQ || d->sc[ki].k == Y_MAP)
			r = cc_error_set(c->err, -EINVAL, "yaml: invalid map key");
		else if ((r = yc_key(c, &d->sc[ki], &k)) == 0)
			r = ymap_set(c, &m, k, d->val[vi]);
	}
	return r ? r : ymap_finish(c, &m, &d->val[i]);
}

static int yd_node(struct ydoc *d, yaml_node_t *nd, unsigned depth, size_t *idx)
{
	struct yconv *c = d->c;
	if (nd == NULL)
		return cc_error_set(c->err, -EINVAL, "yaml: missing node");
	size_t i = (size_t)(nd - d->doc->nodes.start);
	*idx = i;
	if (depth > CC_REGO_MAX_JSON_DEPTH)
		return cc_error_set(c->err, -ELOOP, "yaml: nesting deeper than %u levels",
		                    CC_REGO_MAX_JSON_DEPTH);
	if (d->state[i] == 2) /* shared through an alias */
		return yc_count(c, d->size[i], true);
	if (d->state[i] == 1)
		return cc_error_set(c->err, -ELOOP, "yaml: anchor value contains itself");
	d->state[i] = 1;
	int r = yc_count(c, 1, false);
	if (r == 0 && nd->type == YAML_SCALAR_NODE) {
		d->size[i] = 1;
		r = yd_scalar(d, nd, i);
	} else if (r == 0) {
		r = yd_collection(d, nd, depth, i);
	}
	d->state[i] = r == 0 ? 2 : 1;
	return r;
}

int rv_from_yaml_node(rarena *a, struct yaml_document_s *doc, struct yaml_node_s *node,
                      const rv **ret, cc_error **err)
{
	struct yconv c = {.a = a, .err = err, .exact = true};
	if (node == NULL) {
		*ret = rv_null();
		return 0;
	}
	struct ydoc d = {&c, doc, (size_t)(doc->nodes.top - doc->nodes.start), NULL, NULL, NULL, NULL};
	size_t nn = d.nnodes ? d.nnodes : 1;
	d.state = calloc(nn, 1);
	d.val = calloc(nn, sizeof(*d.val));
	d.sc = calloc(nn, sizeof(*d.sc));
	d.size = calloc(nn, sizeof(*d.size));
	int r;
	if (!d.state || !d.val || !d.sc || !d.size) {
		r = yc_oom(&c);
	} else {
		size_t i;
		r = yd_node(&d, node, 0, &i);
		if (r == 0)
			r = yc_need(&c, d.val[i], &d.sc[i]);
		if (r == 0)
			*ret = d.val[i];
	}
	free(d.state);
	free(d.val);
	free(d.sc);
	free(d.size);
	return r;
}
