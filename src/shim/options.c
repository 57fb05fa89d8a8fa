/* Runtime options (options.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "options.h"
#include "runtimeoptions.pb-c.h"
#include "ttrpc.h"

#define OPTIONS_TYPE "runtimeoptions.v1.Options"

/* "runtimeoptions.v1.Options" or ".../runtimeoptions.v1.Options"
 * (typeurl's names, with or without a host prefix). */
static int is_options(const char *url)
{
	size_t n = strlen(url), t = strlen(OPTIONS_TYPE);
	return n >= t && strcmp(url + n - t, OPTIONS_TYPE) == 0 && (n == t || url[n - t - 1] == '/');
}

static char *dup_nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

int shim_options_from_any(const char *type_url, const uint8_t *value, size_t len,
                          struct shim_options *ret, cc_error **err)
{
	struct shim_options o = {0};
	if (type_url == NULL || !is_options(type_url)) {
		*ret = o;
		return 0;
	}
	ProtobufCMessage *m = NULL;
	int r = ttrpc_pb_unpack(&runtimeoptions__v1__options__descriptor, value, len, &m, err);
	if (r < 0)
		return cc_error_wrap(err, "runtime options");
	const Runtimeoptions__V1__Options *opt = (const Runtimeoptions__V1__Options *)m;
	o.config_path = dup_nonempty(opt->config_path);
	o.config_body = dup_nonempty(opt->config_body);
	bool oom = (opt->config_path[0] && !o.config_path) || (opt->config_body[0] && !o.config_body);
	ttrpc_pb_free(m);
	if (oom) {
		shim_options_free(&o);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (o.config_path != NULL && o.config_path[0] != '/') {
		r = cc_error_set(err, -EINVAL, "runtime options: config_path \"%s\" is not absolute",
		                 o.config_path);
		shim_options_free(&o);
		return r;
	}
	*ret = o;
	return 0;
}

int shim_options_decode(const uint8_t *data, size_t len, struct shim_options *ret, cc_error **err)
{
	if (len == 0) {
		*ret = (struct shim_options){0};
		return 0;
	}
	ProtobufCMessage *m = NULL;
	int r = ttrpc_pb_unpack(&google__protobuf__any__descriptor, data, len, &m, err);
	if (r < 0)
		return cc_error_wrap(err, "runtime options on stdin");
	const Google__Protobuf__Any *any = (const Google__Protobuf__Any *)m;
	r = shim_options_from_any(any->type_url, any->value.data, any->value.len, ret, err);
	ttrpc_pb_free(m);
	return r;
}

void shim_options_free(struct shim_options *o)
{
	free(o->config_path);
	free(o->config_body);
	o->config_path = o->config_body = NULL;
}
