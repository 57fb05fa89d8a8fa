/* `cocoon policy test-suite`: runs OPA-format YAML conformance cases with
 * the semantics of OPA's runner (v1/topdown/exported_test.go): modules
 * compiled together, `data` as the base document, `input_term` (a Rego
 * term) over `input`, results compared as a set of binding objects after
 * conversion to JSON (sets become arrays), `sort_bindings`, exact
 * `want_error_code`, `want_error` as a substring of the error. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "policy.h"
#include "rego/convert.h"
#include "rego/engine_int.h"
#include "rego/parser.h"

struct skip {
	char *key;    /* a case note, or a folder name ending in '/' */
	char *reason;
	bool used;
};

struct folder {
	char *name;
	int pass, fail, skip;
};

struct suite {
	bool v0;
	bool verbose;
	bool list_failures;
	const char *filter;
	struct skip *skips;
	size_t nskips;
	struct folder *folders;
	size_t nfolders;
	int pass, fail, skip;
};

/* ---- skip list: "<note or folder/>\t<reason>" per line, # comments ---- */

static int load_skips(struct suite *s, const char *path)
{
	char *buf;
	size_t len;
	cc_error *err = NULL;
	if (cc_read_file(path, 1u << 20, 0, &buf, &len, &err) < 0) {
		fprintf(stderr, "cocoon policy test-suite: %s\n", cc_error_message(err));
		cc_error_free(err);
		return -1;
	}
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *tab = strchr(line, '\t');
		if (tab == NULL) {
			fprintf(stderr, "cocoon policy test-suite: %s: line without a TAB-separated reason: %s\n",
			        path, line);
			free(buf);
			return -1;
		}
		*tab = '\0';
		struct skip *ns = realloc(s->skips, (s->nskips + 1) * sizeof(*ns));
		if (ns == NULL) {
			free(buf);
			return -1;
		}
		s->skips = ns;
		s->skips[s->nskips].key = strdup(line);
		s->skips[s->nskips].reason = strdup(tab + 1);
		s->skips[s->nskips].used = false;
		s->nskips++;
	}
	free(buf);
	return 0;
}

static struct skip *find_skip(struct suite *s, const char *folder, const char *note)
{
	for (size_t i = 0; i < s->nskips; i++) {
		const char *k = s->skips[i].key;
		size_t n = strlen(k);
		if (strcmp(k, note) == 0 ||
		    (n > 0 && k[n - 1] == '/' && strncmp(k, folder, n - 1) == 0 && folder[n - 1] == '\0'))
			return &s->skips[i];
	}
	return NULL;
}

static struct folder *folder_get(struct suite *s, const char *name)
{
	for (size_t i = 0; i < s->nfolders; i++)
		if (strcmp(s->folders[i].name, name) == 0)
			return &s->folders[i];
	struct folder *nf = realloc(s->folders, (s->nfolders + 1) * sizeof(*nf));
	if (nf == NULL)
		return NULL;
	s->folders = nf;
	struct folder *f = &s->folders[s->nfolders++];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	return f;
}

/* ---- YAML helpers ---- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static char *scalar_dup(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return strndup((const char *)n->data.scalar.value, n->data.scalar.length);
}

static bool scalar_true(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == 4 &&
	       memcmp(n->data.scalar.value, "true", 4) == 0;
}

/* ---- values ---- */

/* A ground Rego term (input_term) as a value. */
static int term_value(rarena *a, const ast_term *t, const rv **ret)
{
	switch (t->kind) {
	case AT_VALUE:
		*ret = t->u.val;
		return 0;
	case AT_ARR:
	case AT_SET: {
		const rv **items = rarena_nalloc(a, t->u.list.n + 1, sizeof(*items));
		if (items == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < t->u.list.n; i++)
			if (term_value(a, t->u.list.items[i], &items[i]) < 0)
				return -EINVAL;
		*ret = t->kind == AT_ARR ? rv_arr(a, items, t->u.list.n) : rv_set(a, items, t->u.list.n);
		return *ret ? 0 : -ENOMEM;
	}
	case AT_OBJ: {
		size_t n = t->u.obj.n;
		const rv **k = rarena_nalloc(a, n + 1, sizeof(*k));
		const rv **v = rarena_nalloc(a, n + 1, sizeof(*v));
		if (k == NULL || v == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (term_value(a, t->u.obj.keys[i], &k[i]) < 0 || term_value(a, t->u.obj.vals[i], &v[i]) < 0)
				return -EINVAL;
		*ret = rv_obj(a, k, v, n, NULL);
		return *ret ? 0 : -EINVAL;
	}
	default:
		return -EINVAL;
	}
}

/* The value as it looks after a JSON round trip: sets become arrays and
 * object keys strings. */
static const rv *jsonify(rarena *a, const rv *x)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	const rv *out = NULL;
	if (rv_to_json(x, &b, false) == 0)
		rv_from_json_text(a, b.p, b.len, &out, NULL);
	cc_buf_free(&b);
	return out;
}

static const rv *sort_arrays(rarena *a, const rv *bind)
{
	if (bind->t != RV_OBJ)
		return bind;
	const rv **vals = rarena_nalloc(a, bind->u.o.n + 1, sizeof(*vals));
	if (vals == NULL)
		return NULL;
	for (size_t i = 0; i < bind->u.o.n; i++) {
		const rv *v = bind->u.o.v[i];
		if (v->t == RV_ARR && v->u.a.n > 1) {
			/* keep duplicates: sort a copy instead of deduplicating */
			const rv **items = rarena_nalloc(a, v->u.a.n + 1, sizeof(*items));
			if (items == NULL)
				return NULL;
			memcpy(items, v->u.a.v, v->u.a.n * sizeof(*items));
			for (size_t p = 1; p < v->u.a.n; p++)
				for (size_t q = p; q > 0 && rv_cmp(items[q - 1], items[q]) > 0; q--) {
					const rv *t = items[q];
					items[q] = items[q - 1];
					items[q - 1] = t;
				}
			v = rv_arr(a, items, v->u.a.n);
		}
		vals[i] = v;
	}
	return rv_obj(a, bind->u.o.k, vals, bind->u.o.n, NULL);
}

static int cmp_ptr(const void *x, const void *y)
{
	return rv_cmp(*(const rv *const *)x, *(const rv *const *)y);
}

/* ---- one case ---- */

struct ccase {
	char *note;
	char *query;
	char **modules;
	size_t nmodules;
	const rv *data;
	const rv *input;
	bool has_input;
	const rv *want;  /* array of binding objects, or NULL */
	char *want_code;
	char *want_error;
	bool sort_bindings;
	bool strict;
};

static void ccase_free(struct ccase *c)
{
	free(c->note);
	free(c->query);
	for (size_t i = 0; i < c->nmodules; i++)
		free(c->modules[i]);
	free(c->modules);
	free(c->want_code);
	free(c->want_error);
}

static int load_case(rarena *a, yaml_document_t *doc, yaml_node_t *n, struct ccase *c, char **why)
{
	memset(c, 0, sizeof(*c));
	c->note = scalar_dup(map_get(doc, n, "note"));
	c->query = scalar_dup(map_get(doc, n, "query"));
	if (c->note == NULL || c->query == NULL) {
		*why = strdup("case without note or query");
		return -1;
	}
	yaml_node_t *mods = map_get(doc, n, "modules");
	if (mods && mods->type == YAML_SEQUENCE_NODE) {
		size_t cnt = (size_t)(mods->data.sequence.items.top - mods->data.sequence.items.start);
		c->modules = calloc(cnt + 1, sizeof(*c->modules));
		for (size_t i = 0; c->modules && i < cnt; i++)
			c->modules[c->nmodules++] =
			    scalar_dup(yaml_document_get_node(doc, mods->data.sequence.items.start[i]));
	}
	cc_error *err = NULL;
	yaml_node_t *d = map_get(doc, n, "data");
	if (d && rv_from_yaml_node(a, doc, d, &c->data, &err) < 0)
		goto bad;
	yaml_node_t *it = map_get(doc, n, "input_term");
	yaml_node_t *in = map_get(doc, n, "input");
	if (it) {
		char *src = scalar_dup(it);
		ast_term *t;
		struct rparse_opts po = {0};
		int r = src ? rparse_term(a, "input_term", src, strlen(src), &po, &t, &err) : -EINVAL;
		free(src);
		if (r < 0 || term_value(a, t, &c->input) < 0)
			goto bad;
		c->has_input = true;
	} else if (in) {
		if (rv_from_yaml_node(a, doc, in, &c->input, &err) < 0)
			goto bad;
		c->has_input = true;
	}
	yaml_node_t *w = map_get(doc, n, "want_result");
	if (w && rv_from_yaml_node(a, doc, w, &c->want, &err) < 0)
		goto bad;
	c->want_code = scalar_dup(map_get(doc, n, "want_error_code"));
	c->want_error = scalar_dup(map_get(doc, n, "want_error"));
	c->sort_bindings = scalar_true(map_get(doc, n, "sort_bindings"));
	c->strict = scalar_true(map_get(doc, n, "strict_error"));
	return 0;
bad:
	if (asprintf(why, "bad case: %s", cc_error_message(err)) < 0)
		*why = NULL;
	cc_error_free(err);
	return -1;
}

static char *fmt_value(const rv *v)
{
	cc_buf b;
	cc_buf_init(&b, 4096);
	if (rv_to_json(v, &b, false) < 0 && b.len == 0) {
		cc_buf_free(&b);
		return strdup("<too large>");
	}
	return cc_buf_steal(&b, NULL);
}

/* A case that wants an error: 1 if the evaluation (r, err, its text msg)
 * failed as wanted, else 0 with *why set. */
static int check_error(const struct ccase *c, int r, const cc_error *err, const char *msg, char **why)
{
	if (r == 0) {
		if (asprintf(why, "want error %s %s, got success", c->want_code ? c->want_code : "",
		             c->want_error ? c->want_error : "") < 0)
			*why = NULL;
	} else if (c->want_code && (cc_error_kind(err) == NULL || strcmp(cc_error_kind(err), c->want_code))) {
		if (asprintf(why, "want error code %s, got: %s", c->want_code, msg ? msg : "?") < 0)
			*why = NULL;
	} else if (c->want_error && strstr(msg ? msg : "", c->want_error) == NULL) {
		if (asprintf(why, "want error containing \"%s\", got: %s", c->want_error, msg ? msg : "?") < 0)
			*why = NULL;
	} else {
		return 1;
	}
	return 0;
}

/* A case that wants results: 1 if the rows of res equal the wanted ones
 * (in any order), else 0 with *why set. */
static int check_rows(rego_engine *e, const struct ccase *c, const rego_result *res, char **why)
{
	rarena *a = rego_engine_eval_arena(e);
	size_t n = rego_result_rows(res);
	const rv **got = rarena_nalloc(a, n + 1, sizeof(*got));
	for (size_t i = 0; got && i < n; i++) {
		got[i] = jsonify(a, rego_result_bindings(res, i));
		if (got[i] && c->sort_bindings)
			got[i] = sort_arrays(a, got[i]);
		if (got[i] == NULL)
			got = NULL;
	}
	const rv *want = c->want ? c->want : rv_empty_arr();
	size_t wn = want->t == RV_ARR ? want->u.a.n : 0;
	const rv **wv = rarena_nalloc(a, wn + 1, sizeof(*wv));
	for (size_t i = 0; wv && i < wn; i++) {
		wv[i] = c->sort_bindings ? sort_arrays(a, want->u.a.v[i]) : want->u.a.v[i];
		if (wv[i] == NULL)
			wv = NULL;
	}
	int ok = 0;
	if (got && wv) {
		qsort(got, n, sizeof(*got), cmp_ptr);
		qsort(wv, wn, sizeof(*wv), cmp_ptr);
		ok = n == wn;
		for (size_t i = 0; ok && i < n; i++)
			ok = rv_eq(got[i], wv[i]);
	}
	if (!ok) {
		const rv *ga = got ? rv_arr(a, got, n) : NULL;
		char *gs = ga ? fmt_value(ga) : strdup("?");
		char *ws = fmt_value(want);
		if (asprintf(why, "want %s, got %s", ws ? ws : "?", gs ? gs : "?") < 0)
			*why = NULL;
		free(gs);
		free(ws);
	}
	return ok;
}

/* Runs one case; returns 1 pass, 0 fail (with *why set). */
static int run_case(struct suite *s, const struct ccase *c, char **why)
{
	struct rego_options ro;
	rego_options_default(&ro);
	ro.v0 = s->v0;
	ro.strict_builtin_errors = c->strict;
	ro.max_steps = 20000000;
	rego_engine *e = rego_engine_new(&ro);
	if (e == NULL) {
		*why = strdup("out of memory");
		return 0;
	}
	cc_error *err = NULL;
	int r = 0;
	for (size_t i = 0; r == 0 && i < c->nmodules; i++) {
		char name[32];
		snprintf(name, sizeof(name), "test-%zu.rego", i);
		r = rego_engine_add_policy(e, name, c->modules[i], strlen(c->modules[i]), &err);
	}
	if (r == 0 && c->data)
		r = rego_engine_set_data_value(e, c->data, &err);
	if (r == 0 && c->has_input)
		r = rego_engine_set_input_value(e, c->input, &err);
	const rego_result *res = NULL;
	if (r == 0)
		r = rego_engine_eval(e, c->query, &res, &err);
	int ok = 0;
	char *msg = r < 0 ? cc_error_format(err) : NULL;
	if (c->want_code || c->want_error) {
		ok = check_error(c, r, err, msg, why);
	} else if (r < 0) {
		if (asprintf(why, "unexpected error: %s", msg ? msg : "?") < 0)
			*why = NULL;
	} else {
		ok = check_rows(e, c, res, why);
	}
	free(msg);
	cc_error_free(err);
	rego_engine_free(e);
	return ok;
}

/* ---- files and directories ---- */

static void basename_of_dir(const char *path, char *out, size_t outn)
{
	const char *end = strrchr(path, '/');
	size_t n = end ? (size_t)(end - path) : 0;
	const char *start = path;
	for (size_t i = 0; i < n; i++)
		if (path[i] == '/')
			start = path + i + 1;
	if (end == NULL)
		n = 0, start = ".";
	size_t len = end ? (size_t)(end - start) : 1;
	if (len >= outn)
		len = outn - 1;
	memcpy(out, start, len);
	out[len] = '\0';
}

static int run_file(struct suite *s, const char *path)
{
	char folder_name[256];
	basename_of_dir(path, folder_name, sizeof(folder_name));
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	int rc = 0;
	if (!yaml_parser_load(&p, &doc)) {
		fprintf(stderr, "%s:%zu: YAML error: %s\n", path, p.problem_mark.line + 1,
		        p.problem ? p.problem : "?");
		yaml_parser_delete(&p);
		fclose(f);
		return -1;
	}
	struct folder *fo = folder_get(s, folder_name);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	yaml_node_t *cases = map_get(&doc, root, "cases");
	rarena *a = rarena_new(0);
	for (yaml_node_item_t *it = cases && cases->type == YAML_SEQUENCE_NODE ? cases->data.sequence.items.start : NULL;
	     fo && a && it && it < cases->data.sequence.items.top; it++) {
		yaml_node_t *cn = yaml_document_get_node(&doc, *it);
		yaml_node_t *noten = map_get(&doc, cn, "note");
		char *note = scalar_dup(noten);
		if (note && s->filter && strstr(note, s->filter) == NULL) {
			free(note);
			continue;
		}
		struct skip *sk = note ? find_skip(s, folder_name, note) : NULL;
		if (sk) {
			sk->used = true;
			fo->skip++;
			s->skip++;
			free(note);
			continue;
		}
		free(note);
		struct ccase c;
		char *why = NULL;
		int ok = 0;
		if (load_case(a, &doc, cn, &c, &why) == 0)
			ok = run_case(s, &c, &why);
		if (ok) {
			fo->pass++;
			s->pass++;
		} else {
			fo->fail++;
			s->fail++;
			if (s->verbose || s->list_failures)
				printf("FAIL %s (%s)%s%s\n", c.note ? c.note : "?", path, s->verbose ? ": " : "",
				       s->verbose && why ? why : "");
		}
		free(why);
		ccase_free(&c);
		rarena_reset(a);
	}
	rarena_free(a);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	fclose(f);
	return rc;
}

static bool is_yaml(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int run_path(struct suite *s, const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(s, path);
	if (depth > 16)
		return 0;
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		if (name[0] != '.') {
			char *full = NULL;
			struct stat cst;
			if (asprintf(&full, "%s/%s", path, name) >= 0 && stat(full, &cst) == 0 &&
			    (S_ISDIR(cst.st_mode) || is_yaml(name)) && run_path(s, full, depth + 1) < 0)
				rc = -1;
			free(full);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static void usage_suite(FILE *f)
{
	fputs("Usage: cocoon policy test-suite [OPTIONS] DIR...\n"
	      "\n"
	      "Runs OPA-format YAML conformance cases (cases: [{note, query, modules, data,\n"
	      "input | input_term, want_result | want_error | want_error_code, ...}]) found\n"
	      "under each DIR and prints a per-folder table, ending with\n"
	      "'N passed, N failed, N skipped'.\n"
	      "\n"
	      "Options:\n"
	      "      --skip FILE       cases to skip: '<note or folder/>TAB<reason>' per line\n"
	      "      --v0-compatible   compile the modules as Rego v0\n"
	      "      --run TEXT        only cases whose note contains TEXT\n"
	      "  -l, --list-failures   print the notes of failing cases\n"
	      "  -v, --verbose         print each failure with the expected and actual result\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "Exit status: 0 when no case failed, 1 otherwise, 2 on bad arguments.\n",
	      f);
}

int policy_test_suite(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"skip", required_argument, NULL, 's'},
	    {"v0-compatible", no_argument, NULL, '0'},
	    {"run", required_argument, NULL, 'r'},
	    {"list-failures", no_argument, NULL, 'l'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct suite s;
	memset(&s, 0, sizeof(s));
	const char *skipfile = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "lvh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			skipfile = optarg;
			break;
		case '0':
			s.v0 = true;
			break;
		case 'r':
			s.filter = optarg;
			break;
		case 'l':
			s.list_failures = true;
			break;
		case 'v':
			s.verbose = true;
			break;
		case 'h':
			usage_suite(stdout);
			return 0;
		default:
			usage_suite(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage_suite(stderr);
		return 2;
	}
	if (skipfile && load_skips(&s, skipfile) < 0)
		return 2;
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (run_path(&s, argv[i], 0) < 0)
			rc = 2;
	printf("%-40s %7s %7s %7s\n", "folder", "passed", "failed", "skipped");
	for (size_t i = 0; i < s.nfolders; i++) {
		printf("%-40s %7d %7d %7d\n", s.folders[i].name, s.folders[i].pass, s.folders[i].fail,
		       s.folders[i].skip);
		free(s.folders[i].name);
	}
	for (size_t i = 0; i < s.nskips; i++) {
		if (!s.skips[i].used && !s.filter)
			fprintf(stderr, "note: skip entry matched no case: %s\n", s.skips[i].key);
		free(s.skips[i].key);
		free(s.skips[i].reason);
	}
	free(s.skips);
	free(s.folders);
	printf("%d passed, %d failed, %d skipped\n", s.pass, s.fail, s.skip);
	if (rc)
		return rc;
	return s.fail ? 1 : 0;
}
