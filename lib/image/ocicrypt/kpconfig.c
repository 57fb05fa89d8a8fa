/* OCICRYPT_KEYPROVIDER_CONFIG (containers/ocicrypt
 * config/keyprovider-config/config.go; ocicrypt-rs adds ttrpc and native):
 *   {"key-providers":{"NAME":{"cmd":{"path":"/p","args":[]}}
 *                     "NAME2":{"grpc":"host:port"}, "NAME3":{"ttrpc":"unix:///s"},
 *                     "NAME4":{"native":"attestation-agent"}}} */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

static void kp_clear(struct oc_kp *kp)
{
	free(kp->name);
	free(kp->path);
	free(kp->addr);
	for (size_t i = 0; kp->args && kp->args[i]; i++)
		free(kp->args[i]);
	free(kp->args);
}

void oc_kpconfig_free(struct oc_kpconfig *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		kp_clear(&c->v[i]);
	free(c->v);
	free(c);
}

const struct oc_kp *oc_kpconfig_find(const struct oc_kpconfig *c, const char *name)
{
	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	return NULL;
}

static int parse_cmd(const json_t *cmd, struct oc_kp *kp, const char *file, cc_error **err)
{
	const json_t *path = json_object_get(cmd, "path");
	const json_t *args = json_object_get(cmd, "args");
	if (!json_is_string(path) || json_string_length(path) == 0 ||
	    strlen(json_string_value(path)) != json_string_length(path))
		return cc_error_set(err, -EINVAL, "%s: key provider %s: \"cmd\".\"path\" is missing",
		                    file, kp->name);
	if (args != NULL && !json_is_null(args) && !json_is_array(args))
		return cc_error_set(err, -EINVAL, "%s: key provider %s: \"args\" is not an array",
		                    file, kp->name);
	size_t n = json_array_size(args);
	if (n > CC_IMG_MAX_KEYPROVIDER_ARGS)
		return cc_error_set(err, -E2BIG, "%s: key provider %s: more than %u args", file,
		                    kp->name, CC_IMG_MAX_KEYPROVIDER_ARGS);
	kp->kind = OC_KP_CMD;
	kp->path = strdup(json_string_value(path));
	kp->args = calloc(n + 1, sizeof(char *));
	if (kp->path == NULL || kp->args == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(args, i);
		if (!json_is_string(a) || strlen(json_string_value(a)) != json_string_length(a))
			return cc_error_set(err, -EINVAL, "%s: key provider %s: arg %zu is not a string",
			                    file, kp->name, i);
		if ((kp->args[i] = strdup(json_string_value(a))) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_provider(const char *name, const json_t *v, struct oc_kp *kp, const char *file,
                          cc_error **err)
{
	static const struct {
		const char *key;
		enum oc_kp_kind kind;
	} addr_kinds[] = {{"grpc", OC_KP_GRPC}, {"ttrpc", OC_KP_TTRPC}, {"native", OC_KP_NATIVE}};
	if ((kp->name = strdup(name)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (!json_is_object(v))
		return cc_error_set(err, -EINVAL, "%s: key provider %s: not an object", file, name);
	const json_t *cmd = json_object_get(v, "cmd");
	if (json_is_object(cmd))
		return parse_cmd(cmd, kp, file, err);
	for (size_t i = 0; i < sizeof(addr_kinds) / sizeof(*addr_kinds); i++) {
		const json_t *a = json_object_get(v, addr_kinds[i].key);
		if (!json_is_string(a))
			continue;
		kp->kind = addr_kinds[i].kind;
		if ((kp->addr = strdup(json_string_value(a))) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		return 0;
	}
	return cc_error_set(err, -EINVAL, "%s: key provider %s: none of cmd, grpc, ttrpc, native",
	                    file, name);
}

int oc_kpconfig_parse(const void *p, size_t n, const char *file, struct oc_kpconfig **ret,
                      cc_error **err)
{
	json_t *j = NULL;
	int r = oc_json_parse(p, n, CC_IMG_MAX_KEYPROVIDER_MSG, &j, file, err);
	if (r < 0)
		return r;
	const json_t *kps = json_object_get(j, "key-providers");
	struct oc_kpconfig *c = calloc(1, sizeof(*c));
	if (c == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	else if (!json_is_object(j) || (kps != NULL && !json_is_object(kps) && !json_is_null(kps)))
		r = cc_error_set(err, -EINVAL, "%s: expected {\"key-providers\":{...}}", file);
	else if (json_object_size(kps) > CC_IMG_MAX_KEYPROVIDERS)
		r = cc_error_set(err, -E2BIG, "%s: more than %u key providers", file,
		                 CC_IMG_MAX_KEYPROVIDERS);
	else if ((c->v = calloc(json_object_size(kps) + 1, sizeof(*c->v))) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	const char *name = NULL;
	const json_t *v = NULL;
	if (r == 0) {
		json_object_foreach((json_t *)kps, name, v) {
			c->n++;
			if ((r = parse_provider(name, v, &c->v[c->n - 1], file, err)) < 0)
				break;
		}
	}
	json_decref(j);
	if (r < 0) {
		oc_kpconfig_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int oc_kpconfig_load(const char *path, struct oc_kpconfig **ret, cc_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t n = 0;
	cc_error *e = NULL;
	int r = cc_read_file(path, CC_IMG_MAX_KEYPROVIDER_MSG, OC_READ, &data, &n, &e);
	if (r == -ENOENT) {
		/* Go: a config file that does not exist means no providers. */
		cc_error_free(e);
		struct oc_kpconfig *c = calloc(1, sizeof(*c));
		if (c == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		*ret = c;
		return 0;
	}
	if (r < 0) {
		cc_error_move(err, &e);
		return r;
	}
	return oc_kpconfig_parse(data, n, path, ret, err);
}
