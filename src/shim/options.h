/* containerd's runtime options for the shim (kata.md §2.2): on the stdin
 * of `start` and in CreateTaskRequest.options, a google.protobuf.Any with
 * type_url "runtimeoptions.v1.Options" (`ctr run --runtime-config-path`,
 * CRI's runtime options). */
#ifndef COCOON_SHIM_OPTIONS_H
#define COCOON_SHIM_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

struct shim_options {
	char *config_path; /* NULL if not given */
	char *config_body; /* NULL if not given */
};

/* Decodes the bytes of an Any. Empty input or an Any of another type
 * (runc's options, say) gives empty options; a malformed one is -EINVAL. */
int shim_options_decode(const uint8_t *data, size_t len, struct shim_options *ret, cc_error **err);
/* Decodes an Any's type_url and value as above. */
int shim_options_from_any(const char *type_url, const uint8_t *value, size_t len,
                          struct shim_options *ret, cc_error **err);
void shim_options_free(struct shim_options *o);

#endif
