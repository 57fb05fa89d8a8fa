/* What the shim reads from a bundle (kata.md §2.4): config.json, and from
 * its annotations the pod the container belongs to (§2.10). */
#ifndef COCOON_SHIM_BUNDLE_H
#define COCOON_SHIM_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cocoon/error.h"

/* Reads <bundle>/config.json (at most CC_SHIM_MAX_SPEC_BYTES, duplicate
 * keys refused). */
int shim_bundle_spec(const char *bundle, json_t **ret, cc_error **err);

struct shim_pod {
	char *sandbox_id; /* the pod's sandbox: whose shim serves this container */
	bool is_sandbox;  /* this container is that sandbox (or stands alone) */
};

/* The pod of container id from the spec's annotations: CRI's
 * io.kubernetes.cri.container-type ("sandbox"/"container") and
 * io.kubernetes.cri.sandbox-id (CRI-O's io.kubernetes.cri-o.ContainerType
 * and .SandboxID too). A container without them is its own sandbox, as
 * with `ctr run`. */
int shim_bundle_pod(json_t *spec, const char *id, struct shim_pod *ret, cc_error **err);
void shim_pod_free(struct shim_pod *p);

/* containerd's identifier rule (identifiers.Validate): 1-76 characters of
 * [A-Za-z0-9_.-], starting and ending with a letter or digit. */
bool shim_valid_id(const char *id);

#endif
