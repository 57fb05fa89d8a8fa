/* OPA capabilities files (opa check --capabilities): the builtins a policy
 * may call. Functions a capabilities file declares that cocoon does not
 * provide (such as Trustee's host function query_reference_value) are
 * registered so that policies calling them compile; calling one at
 * evaluation time is an error naming it. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "policy.h"
#include "rego/bi.h"

static int not_provided(void *ctx, const char *const *args, size_t nargs, char **ret, cc_error **err)
{
	(void)ctx;
	(void)args;
	(void)nargs;
	(void)ret;
	/* The evaluator prefixes the function's name. */
	return cc_error_set(err, -ENOSYS, "declared by the capabilities file but not implemented here");
}

int policy_load_capabilities(rego_engine *e, const char *path, cc_error **err)
{
	char *buf;
	size_t len;
	int r = cc_read_file(path, CC_REGO_MAX_JSON_BYTES, 0, &buf, &len, err);
	if (r < 0)
		return r;
	json_error_t je;
	json_t *caps = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (caps == NULL)
		return cc_error_set_at(err, -EINVAL, NULL, path, je.line, je.column, "%s", je.text);
	json_t *builtins = json_object_get(caps, "builtins");
	if (!json_is_array(builtins)) {
		json_decref(caps);
		return cc_error_set(err, -EINVAL, "%s: no \"builtins\" array", path);
	}
	size_t i;
	json_t *b;
	json_array_foreach(builtins, i, b)
	{
		const char *name = json_string_value(json_object_get(b, "name"));
		json_t *args = json_object_get(json_object_get(b, "decl"), "args");
		if (name == NULL) {
			r = cc_error_set(err, -EINVAL, "%s: builtin %zu has no name", path, i);
			break;
		}
		if (rbi_lookup(name, strlen(name)) != NULL || strcmp(name, "print") == 0)
			continue;
		r = rego_engine_register_function(e, name, json_array_size(args), not_provided, NULL, err);
		if (r < 0)
			break;
	}
	json_decref(caps);
	return r;
}
