/* Bundle config.json and pod membership (bundle.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "bundle.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"

int shim_bundle_spec(const char *bundle, json_t **ret, cc_error **err)
{
	const char *parts[] = {bundle, "config.json"};
	_cleanup_free_ char *path = shim_path_join(parts, 2);
	if (path == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = shim_read_small_file(path, CC_SHIM_MAX_SPEC_BYTES, &text, &len, err);
	if (r < 0)
		return r;
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		return cc_error_set(err, -EINVAL, "%s:%d:%d: %s", path, je.line, je.column, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return cc_error_set(err, -EINVAL, "%s: not a JSON object", path);
	}
	*ret = j;
	return 0;
}

static const char *annotation(json_t *spec, const char *key)
{
	return json_string_value(json_object_get(json_object_get(spec, "annotations"), key));
}

int shim_bundle_pod(json_t *spec, const char *id, struct shim_pod *ret, cc_error **err)
{
	const char *type = annotation(spec, "io.kubernetes.cri.container-type");
	const char *sid = annotation(spec, "io.kubernetes.cri.sandbox-id");
	if (type == NULL) {
		type = annotation(spec, "io.kubernetes.cri-o.ContainerType");
		sid = annotation(spec, "io.kubernetes.cri-o.SandboxID");
	}
	bool member = type != NULL && strcmp(type, "container") == 0 && sid != NULL &&
	              strcmp(sid, id) != 0;
	if (member && !shim_valid_id(sid))
		return cc_error_set(err, -EINVAL, "sandbox id \"%s\" in the annotations is not valid",
		                    sid);
	char *s = strdup(member ? sid : id);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	ret->sandbox_id = s;
	ret->is_sandbox = !member;
	return 0;
}

void shim_pod_free(struct shim_pod *p)
{
	free(p->sandbox_id);
	p->sandbox_id = NULL;
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool shim_valid_id(const char *id)
{
	/* ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$, at most 76 characters */
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 76)
		return false;
	bool need_alnum = true;
	for (size_t i = 0; i < n; i++) {
		if (alnum(id[i]))
			need_alnum = false;
		else if ((id[i] == '_' || id[i] == '.' || id[i] == '-') && !need_alnum)
			need_alnum = true;
		else
			return false;
	}
	return !need_alnum;
}
