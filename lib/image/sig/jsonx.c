/* Strict JSON object helpers (jsonx.h). */
#include "jsonx.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "util.h"

int sig_json_keys(json_t *obj, const char *const *allowed, cc_error **err)
{
	const char *key;
	json_t *v;
	char q[SIG_QUOTE_MAX];
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a != NULL && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok)
			return cc_error_set(err, -EINVAL, "unknown key \"%s\"", sig_quotes(key, q));
	}
	return 0;
}

int sig_json_exact(json_t *obj, const char *const *fields, cc_error **err)
{
	int r = sig_json_keys(obj, fields, err);
	if (r < 0)
		return r;
	for (const char *const *a = fields; *a != NULL; a++)
		if (json_object_get(obj, *a) == NULL)
			return cc_error_set(err, -EINVAL, "key \"%s\" missing", *a);
	return 0;
}

int sig_json_str(json_t *obj, const char *key, const char **ret, cc_error **err)
{
	json_t *v = json_object_get(obj, key);
	*ret = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "\"%s\" must be a string", key);
	*ret = json_string_value(v);
	return 0;
}

int sig_json_dup(json_t *obj, const char *key, char **ret, cc_error **err)
{
	const char *s;
	int r = sig_json_str(obj, key, &s, err);
	if (r < 0 || s == NULL)
		return r;
	return sig_strdup(s, ret, err);
}

int sig_json_load(const void *p, size_t n, const char *what, json_t **ret, cc_error **err)
{
	json_error_t jerr;
	char q[SIG_QUOTE_MAX];
	json_t *root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return cc_error_set(err, -EINVAL, "%s: invalid JSON at line %d column %d: %s", what,
		                    jerr.line, jerr.column, sig_quotes(jerr.text, q));
	if (!json_is_object(root)) {
		json_decref(root);
		return cc_error_set(err, -EINVAL, "%s: must be a JSON object", what);
	}
	*ret = root;
	return 0;
}
