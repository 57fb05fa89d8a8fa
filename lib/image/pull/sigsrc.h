/* Signature sources of a pull (sigsrc.c). */
#ifndef COCOON_IMAGE_PULL_SIGSRC_H
#define COCOON_IMAGE_PULL_SIGSRC_H

#include "ref.h"
#include "registry.h"
#include "sig.h"

struct img_sigsrc {
	img_registry *reg;   /* the image's registry client, or NULL (oci: source) */
	const img_ref *ref;  /* its reference */
	const struct img_registry_opts *opts; /* for other repositories */
	int (*get_resource)(void *ctx, const char *uri, size_t max, void **ret, size_t *ret_len,
	                    cc_error **err);
	void *resource_ctx;
};

/* Fills cb with callbacks over s (which must outlive their use). */
void img_sigsrc_callbacks(struct img_sigsrc *s, struct sig_callbacks *cb);

#endif
