/* Loading policies, data and input files for `cocoon policy`. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "policy.h"
#include "rego/convert.h"
#include "rego/engine_int.h"

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Parses a JSON or YAML document file into arena a. */
static int load_doc(rarena *a, const char *path, const rv **ret, cc_error **err)
{
	char *buf;
	size_t len;
	int r = cc_read_file(path, CC_REGO_MAX_JSON_BYTES, 0, &buf, &len, err);
	if (r < 0)
		return r;
	if (has_suffix(path, ".yaml") || has_suffix(path, ".yml"))
		r = rv_from_yaml_text(a, buf, len, ret, err);
	else
		r = rv_from_json_text(a, buf, len, ret, err);
	free(buf);
	if (r < 0 && err && *err && cc_error_line(*err) > 0)
		cc_error_set_file(err, path); /* file:line:col: message */
	else if (r < 0)
		cc_error_wrap(err, "%s", path);
	return r;
}

/* Adds a data document under data.<prefix...>. */
static int add_data_at(rego_engine *e, rarena *a, const char *const *prefix, size_t n,
                       const rv *doc, const char *path, cc_error **err)
{
	for (size_t i = n; i-- > 0;) {
		const rv *k = rv_cstr(a, prefix[i]);
		if (k == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		doc = rv_obj(a, &k, &doc, 1, NULL);
		if (doc == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	int r = rego_engine_add_data_value(e, doc, err);
	if (r < 0)
		cc_error_wrap(err, "%s", path);
	return r;
}

static int load_file(rego_engine *e, const char *path, const char *const *prefix, size_t n,
                     bool explicit, cc_error **err)
{
	if (has_suffix(path, ".rego")) {
		char *buf;
		size_t len;
		int r = cc_read_file(path, CC_REGO_MAX_POLICY_BYTES, 0, &buf, &len, err);
		if (r < 0)
			return r;
		r = rego_engine_add_policy(e, path, buf, len, err);
		free(buf);
		return r;
	}
	bool data = has_suffix(path, ".json") || has_suffix(path, ".yaml") || has_suffix(path, ".yml");
	if (!data) {
		if (explicit)
			return cc_error_set(err, -EINVAL, "%s: not a .rego, .json or .yaml file", path);
		return 0;
	}
	rarena *a = rarena_new(0);
	if (a == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const rv *doc;
	int r = load_doc(a, path, &doc, err);
	if (r == 0 && n == 0 && doc->t != RV_OBJ)
		r = cc_error_set(err, -EINVAL, "%s: data file at the root must hold an object", path);
	if (r == 0)
		r = add_data_at(e, a, prefix, n, doc, path, err);
	rarena_free(a);
	return r;
}

#define MAX_DIR_DEPTH CC_CLI_MAX_DIR_DEPTH

static int load_dir(rego_engine *e, const char *dir, const char **prefix, size_t n, cc_error **err)
{
	if (n >= MAX_DIR_DEPTH)
		return cc_error_set(err, -ELOOP, "%s: directories nest too deeply", dir);
	struct dirent **ents;
	int cnt = scandir(dir, &ents, NULL, alphasort);
	if (cnt < 0)
		return cc_error_set(err, -errno, "%s: %s", dir, strerror(errno));
	int r = 0;
	for (int i = 0; i < cnt; i++) {
		const char *name = ents[i]->d_name;
		if (r == 0 && name[0] != '.') {
			char *full = NULL;
			struct stat st;
			if (asprintf(&full, "%s/%s", dir, name) < 0) {
				r = cc_error_set(err, -ENOMEM, "out of memory");
			} else if (stat(full, &st) < 0) {
				r = cc_error_set(err, -errno, "%s: %s", full, strerror(errno));
			} else if (S_ISDIR(st.st_mode)) {
				prefix[n] = name;
				r = load_dir(e, full, prefix, n + 1, err);
			} else if (S_ISREG(st.st_mode)) {
				r = load_file(e, full, prefix, n, false, err);
			}
			free(full);
		}
		free(ents[i]);
	}
	free(ents);
	return r;
}

int policy_load_path(rego_engine *e, const char *path, cc_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		const char *prefix[MAX_DIR_DEPTH];
		return load_dir(e, path, prefix, 0, err);
	}
	return load_file(e, path, NULL, 0, true, err);
}

int policy_load_input(rego_engine *e, const char *path, cc_error **err)
{
	rarena *a = rarena_new(0);
	if (a == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const rv *doc;
	int r = load_doc(a, path, &doc, err);
	if (r == 0)
		r = rego_engine_set_input_value(e, doc, err);
	rarena_free(a);
	return r;
}
