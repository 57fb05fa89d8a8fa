/* registries.d(5) configuration (containers/image docker/registries_d.go;
 * image-rs calls it the sigstore config): where simple-signing signatures
 * of a docker repository are read from.
 *
 *   default-docker: {lookaside: URL}            # or the older "sigstore"
 *   docker:
 *     <namespace>: {lookaside: URL, use-sigstore-attachments: BOOL}
 *
 * Parsed with libyaml's event API, so hostile nesting costs a counter, not
 * C stack. As in containers/image, unknown keys are ignored; duplicate keys
 * are errors. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "sig_int.h"
#include "util.h"

struct sig_ns {
	char *name;      /* NULL for default-docker */
	char *url;       /* "lookaside", else "sigstore"; NULL if neither */
	int attachments; /* use-sigstore-attachments: -1 unset, 0, 1 */
	char *from;      /* the document it came from */
};

struct sig_lookaside {
	struct sig_ns *def; /* default-docker, or NULL */
	struct sig_ns *v;
	size_t n;
};

static void ns_clear(struct sig_ns *ns)
{
	free(ns->name);
	free(ns->url);
	free(ns->from);
}

static void cfg_clear(struct sig_lookaside *l)
{
	if (l->def != NULL)
		ns_clear(l->def);
	free(l->def);
	for (size_t i = 0; i < l->n; i++)
		ns_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

sig_lookaside *sig_lookaside_new(void)
{
	return calloc(1, sizeof(sig_lookaside));
}

void sig_lookaside_free(sig_lookaside *l)
{
	if (l == NULL)
		return;
	cfg_clear(l);
	free(l);
}

CC_DEFINE_CLEANUP(sig_lookaside, sig_lookaside_free)

/* ---- the event reader ------------------------------------------------- */

struct yreader {
	yaml_parser_t p;
	yaml_event_t ev;
	bool have; /* ev holds an event to delete */
	const char *name;
	cc_error **err;
};

static int y_next(struct yreader *y)
{
	if (y->have)
		yaml_event_delete(&y->ev);
	y->have = false;
	if (!yaml_parser_parse(&y->p, &y->ev)) {
		const char *prob = y->p.problem ? y->p.problem : "syntax error";
		return cc_error_set(y->err, -EINVAL, "%s:%zu:%zu: %s", y->name,
		                    y->p.problem_mark.line + 1, y->p.problem_mark.column + 1, prob);
	}
	y->have = true;
	return 0;
}

static int y_fail(struct yreader *y, const char *msg)
{
	return cc_error_set(y->err, -EINVAL, "%s:%zu:%zu: %s", y->name,
	                    y->ev.start_mark.line + 1, y->ev.start_mark.column + 1, msg);
}

/* Skips the value whose first event is the current one. */
static int y_skip(struct yreader *y)
{
	size_t depth = 0;
	for (;;) {
		yaml_event_type_t t = y->ev.type;
		if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) {
			if (++depth > CC_IMG_MAX_SIG_YAML_DEPTH)
				return y_fail(y, "nested too deeply");
		} else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT) {
			depth--;
		} else if (t != YAML_SCALAR_EVENT && t != YAML_ALIAS_EVENT) {
			return y_fail(y, "unexpected end of document");
		}
		if (depth == 0)
			return 0;
		int r = y_next(y);
		if (r < 0)
			return r;
	}
}

/* The current event's scalar, as a NUL-free string. */
static int y_scalar(struct yreader *y, const char **ret)
{
	if (y->ev.type != YAML_SCALAR_EVENT)
		return y_fail(y, y->ev.type == YAML_ALIAS_EVENT ? "aliases are not supported here"
		                                                : "expected a scalar");
	const char *v = (const char *)y->ev.data.scalar.value;
	if (strlen(v) != y->ev.data.scalar.length)
		return y_fail(y, "NUL byte in a string");
	*ret = v;
	return 0;
}

/* A plain scalar YAML resolves to null. */
static bool y_is_null(const struct yreader *y)
{
	if (y->ev.type != YAML_SCALAR_EVENT || y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)y->ev.data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* YAML 1.1 booleans, as go-yaml v2 resolves them. */
static int y_bool(struct yreader *y, int *ret)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
	                                  "true", "True", "TRUE", NULL};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF",
	                                 "false", "False", "FALSE", NULL};
	const char *v;
	int r = y_scalar(y, &v);
	if (r < 0)
		return r;
	for (size_t i = 0; y->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && yes[i]; i++) {
		if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
			*ret = strcmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return y_fail(y, "use-sigstore-attachments must be a boolean");
}

/* ---- the schema ------------------------------------------------------ */

/* Reads the keys of a mapping: for each key, on_key(y, key, arg) with the
 * current event at the value. Duplicate keys are errors. */
static int y_mapping(struct yreader *y, int (*on_key)(struct yreader *, const char *, void *),
                     void *arg)
{
	if (y->ev.type != YAML_MAPPING_START_EVENT)
		return y_fail(y, y->ev.type == YAML_ALIAS_EVENT ? "aliases are not supported here"
		                                                : "expected a mapping");
	char **seen = NULL;
	size_t nseen = 0;
	int r;
	for (;;) {
		if ((r = y_next(y)) < 0 || y->ev.type == YAML_MAPPING_END_EVENT)
			break;
		const char *k;
		if ((r = y_scalar(y, &k)) < 0)
			break;
		for (size_t i = 0; i < nseen && r == 0; i++)
			if (strcmp(seen[i], k) == 0)
				r = y_fail(y, "duplicate key");
		char **ns = r == 0 ? realloc(seen, (nseen + 1) * sizeof(char *)) : NULL;
		if (r == 0 && (ns == NULL || (ns[nseen] = strdup(k)) == NULL))
			r = cc_error_set(y->err, -ENOMEM, "out of memory");
		if (ns != NULL)
			seen = ns;
		if (r < 0)
			break;
		char *key = seen[nseen++];
		if ((r = y_next(y)) < 0 || (r = on_key(y, key, arg)) < 0)
			break;
	}
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	return r;
}

static int on_ns_key(struct yreader *y, const char *key, void *arg)
{
	struct sig_ns *ns = arg;
	if (strcmp(key, "use-sigstore-attachments") == 0)
		return y_is_null(y) ? 0 : y_bool(y, &ns->attachments);
	bool lookaside = strcmp(key, "lookaside") == 0;
	if (!lookaside && strcmp(key, "sigstore") != 0)
		return y_skip(y); /* staging locations (for writing), unknown keys */
	const char *v = "";
	int r = y_is_null(y) ? 0 : y_scalar(y, &v);
	if (r < 0 || v[0] == '\0')
		return r;
	/* "lookaside" wins over the deprecated "sigstore" */
	if (ns->url != NULL && !lookaside)
		return 0;
	free(ns->url);
	return sig_strdup(v, &ns->url, y->err);
}

/* A namespace's settings (a mapping, or null for none). */
static int read_ns(struct yreader *y, struct sig_ns *ns)
{
	ns->attachments = -1;
	if (y_is_null(y))
		return 0;
	/* "lookaside" is stored in url; "sigstore" only when there is none */
	return y_mapping(y, on_ns_key, ns);
}

static int on_docker_key(struct yreader *y, const char *key, void *arg)
{
	struct sig_lookaside *c = arg;
	struct sig_ns *nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return cc_error_set(y->err, -ENOMEM, "out of memory");
	c->v = nv;
	struct sig_ns *ns = &nv[c->n];
	memset(ns, 0, sizeof(*ns));
	c->n++;
	int r = sig_strdup(key, &ns->name, y->err);
	return r < 0 ? r : read_ns(y, ns);
}

static int on_top_key(struct yreader *y, const char *key, void *arg)
{
	struct sig_lookaside *c = arg;
	if (strcmp(key, "docker") == 0)
		return y_is_null(y) ? 0 : y_mapping(y, on_docker_key, c);
	if (strcmp(key, "default-docker") != 0)
		return y_skip(y);
	if (y_is_null(y))
		return 0;
	c->def = calloc(1, sizeof(*c->def));
	if (c->def == NULL)
		return cc_error_set(y->err, -ENOMEM, "out of memory");
	return read_ns(y, c->def);
}

/* Reads one document (an empty one is an empty configuration). */
static int read_doc(struct yreader *y, struct sig_lookaside *c)
{
	int r;
	if ((r = y_next(y)) < 0 || (r = y_next(y)) < 0) /* stream, document */
		return r;
	if (y->ev.type == YAML_STREAM_END_EVENT)
		return 0;
	if ((r = y_next(y)) < 0)
		return r;
	if (!y_is_null(y) && (r = y_mapping(y, on_top_key, c)) < 0)
		return r;
	if ((r = y_next(y)) < 0 || (r = y_next(y)) < 0) /* document end, stream end */
		return r;
	if (y->ev.type != YAML_STREAM_END_EVENT)
		return y_fail(y, "more than one YAML document");
	return 0;
}

static int parse_yaml(const char *name, const char *yaml, size_t n, struct sig_lookaside *c,
                      cc_error **err)
{
	struct yreader y = {.name = name, .err = err};
	if (!yaml_parser_initialize(&y.p))
		return cc_error_set(err, -ENOMEM, "out of memory");
	yaml_parser_set_input_string(&y.p, (const unsigned char *)yaml, n);
	int r = read_doc(&y, c);
	if (y.have)
		yaml_event_delete(&y.ev);
	yaml_parser_delete(&y.p);
	return r;
}

/* ---- merging ---------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Same settings (where they came from aside). */
static bool ns_equal(const struct sig_ns *a, const struct sig_ns *b)
{
	return str_eq(a->url, b->url) && a->attachments == b->attachments;
}

/* containers/image's loadAndMergeConfig refuses a "default-docker" or a
 * namespace that two documents define; image-rs (SigstoreConfig::
 * update_self) refuses only differing definitions and keeps one of two
 * identical ones. Configurations written for CoCo rely on the latter, so
 * it is what is done here: *drop[i] marks c's namespaces l already has. */
static int check_merge(const sig_lookaside *l, const struct sig_lookaside *c, const char *name,
                       bool *drop, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	if (c->def != NULL && l->def != NULL && !ns_equal(c->def, l->def))
		return cc_error_set(err, -EINVAL,
		                    "\"default-docker\" defined differently in \"%s\" and \"%s\"",
		                    l->def->from, name);
	for (size_t i = 0; i < c->n; i++) {
		drop[i] = false;
		for (size_t j = 0; j < l->n && !drop[i]; j++) {
			if (strcmp(c->v[i].name, l->v[j].name) != 0)
				continue;
			if (!ns_equal(&c->v[i], &l->v[j]))
				return cc_error_set(err, -EINVAL,
				                    "\"docker\" namespace \"%s\" defined differently in \"%s\" "
				                    "and \"%s\"",
				                    sig_quotes(c->v[i].name, q), l->v[j].from, name);
			drop[i] = true;
		}
	}
	return 0;
}

/* Sets every namespace's "from" to name. */
static int set_from(struct sig_lookaside *c, const char *name, cc_error **err)
{
	int r = 0;
	if (c->def != NULL)
		r = sig_strdup(name, &c->def->from, err);
	for (size_t i = 0; i < c->n && r == 0; i++)
		r = sig_strdup(name, &c->v[i].from, err);
	return r;
}

/* Moves c's namespaces not dropped, and its default-docker if l has
 * none, into l (whose v has room); clears c. */
static void merge_into(sig_lookaside *l, struct sig_lookaside *c, const bool *drop)
{
	for (size_t i = 0; i < c->n; i++) {
		if (drop[i])
			ns_clear(&c->v[i]);
		else
			l->v[l->n++] = c->v[i];
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
	if (l->def == NULL)
		l->def = TAKE_PTR(c->def);
	cfg_clear(c);
}

int sig_lookaside_add(sig_lookaside *l, const char *name, const char *yaml, size_t n,
                      cc_error **err)
{
	if (n > CC_IMG_MAX_SIG_CONFIG_BYTES)
		return cc_error_set(err, -E2BIG, "%s: larger than %u bytes", name,
		                    CC_IMG_MAX_SIG_CONFIG_BYTES);
	struct sig_lookaside c = {0};
	int r = parse_yaml(name, yaml, n, &c, err);
	_cleanup_free_ bool *drop = r == 0 ? calloc(c.n + 1, sizeof(bool)) : NULL;
	if (r == 0 && drop == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = check_merge(l, &c, name, drop, err);
	if (r == 0)
		r = set_from(&c, name, err);
	struct sig_ns *nv = r == 0 ? realloc(l->v, (l->n + c.n + 1) * sizeof(*nv)) : NULL;
	if (r == 0 && nv == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		cfg_clear(&c);
		return r;
	}
	l->v = nv;
	merge_into(l, &c, drop);
	return 0;
}

static int yaml_name_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

int sig_lookaside_load_dir(const char *dir, sig_lookaside **ret, cc_error **err)
{
	_cleanup_(sig_lookaside_freep) sig_lookaside *l = sig_lookaside_new();
	if (l == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct dirent **names = NULL;
	int n = scandir(dir, &names, yaml_name_filter, alphasort);
	if (n < 0 && errno != ENOENT)
		return cc_error_set(err, -errno, "%s: %s", dir, strerror(errno));
	int r = 0;
	for (int i = 0; i < n; i++) {
		char *path = NULL;
		void *buf = NULL;
		size_t len = 0;
		if (r == 0 && asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			path = NULL;
			r = cc_error_set(err, -ENOMEM, "out of memory");
		}
		if (r == 0)
			r = sig_read_file(path, CC_IMG_MAX_SIG_CONFIG_BYTES, &buf, &len, err);
		if (r == 0)
			r = sig_lookaside_add(l, path, buf, len, err);
		free(buf);
		free(path);
		free(names[i]);
	}
	free(names);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}

/* ---- lookups ---------------------------------------------------------- */

static const struct sig_ns *find_ns(const sig_lookaside *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

const char *sig_lookaside_base(const sig_lookaside *l, const char *identity, char *const *ns)
{
	if (l == NULL)
		return NULL;
	const struct sig_ns *m = find_ns(l, identity);
	if (m != NULL && m->url != NULL)
		return m->url;
	for (size_t i = 0; ns != NULL && ns[i] != NULL; i++)
		if ((m = find_ns(l, ns[i])) != NULL && m->url != NULL)
			return m->url;
	return l->def != NULL ? l->def->url : NULL;
}

bool sig_lookaside_use_attachments(const sig_lookaside *l, const char *identity,
                                   char *const *ns)
{
	if (l == NULL)
		return true;
	const struct sig_ns *m = find_ns(l, identity);
	if (m != NULL && m->attachments >= 0)
		return m->attachments;
	for (size_t i = 0; ns != NULL && ns[i] != NULL; i++)
		if ((m = find_ns(l, ns[i])) != NULL && m->attachments >= 0)
			return m->attachments;
	if (l->def != NULL && l->def->attachments >= 0)
		return l->def->attachments;
	return true;
}

int sig_lookaside_url(const sig_lookaside *l, const char *reference, char **ret, cc_error **err)
{
	sig_dockerref *ref = NULL;
	char **ns = NULL;
	int r = sig_dockerref_parse(reference, strlen(reference), &ref, err);
	if (r < 0)
		return r;
	if ((r = sig_dockerref_tag_name_only(ref)) == 0)
		r = sig_dockerref_namespaces(ref, &ns);
	char *url = NULL;
	const char *base = r == 0 ? sig_lookaside_base(l, sig_dockerref_string(ref), ns) : NULL;
	if (r == 0 && base != NULL && asprintf(&url, "%s/%s", base, sig_dockerref_path(ref)) < 0)
		r = -ENOMEM;
	sig_strv_free(ns);
	sig_dockerref_free(ref);
	if (r < 0)
		return cc_error_set(err, r, "out of memory");
	*ret = url;
	return 0;
}
