/* Copying an image between stores (skopeo copy): docker:// or oci: to
 * docker:// or oci:, one platform's image out of an index, layers copied
 * in parallel, each optionally rewritten on the way (encryption,
 * decryption: see cmd_image.c). Unchanged manifests keep their bytes and
 * so their digest. */
#ifndef COCOON_IMAGE_COPY_H
#define COCOON_IMAGE_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "manifest.h"
#include "store.h"

/* A layer rewrite. in reads the source blob (its digest and size are
 * checked when it ends, so a rewrite that read to the end saw good bytes;
 * the reader stays the caller's); the function writes the new blob to
 * out_fd and fills *out (media type, digest, size, annotations: all owned
 * by *out). Returns 0, 1 to keep the layer as it is (nothing read or
 * written, *out untouched), or a negative errno. Called from worker
 * threads, one call per layer. */
struct img_layer_xform {
	int (*fn)(void *ctx, size_t index, const img_descriptor *in, img_reader *in_r, int out_fd,
	          img_descriptor *out, cc_error **err);
	void *ctx;
};

/* Progress of one layer (index; what is "layer" or "config"). Calls are
 * serialized by the copier. */
typedef void (*img_copy_progress_fn)(void *ctx, const img_descriptor *layer, size_t index,
                                     size_t count, uint64_t done, uint64_t total);

struct img_copy_opts {
	unsigned jobs;                     /* layers at a time (default 3) */
	const struct img_layer_xform *xform;
	img_copy_progress_fn progress;
	void *progress_ctx;
	const char *os, *arch, *variant;   /* platform; NULL: this machine's */
	bool to_oci;                       /* write a Docker schema 2 manifest as OCI */
};

/* Copies src's image to dst. *ret_digest (may be NULL) gets the digest of
 * the manifest written. */
int img_copy(img_store *src, img_store *dst, const struct img_copy_opts *o, img_digest *ret_digest,
             cc_error **err);

/* The image manifest of src for the platform: follows an index to the
 * platform's entry. ret_list (may be NULL) gets the index's digest and
 * *ret_has_list whether there was one. */
int img_resolve_manifest(img_store *src, const char *os, const char *arch, const char *variant,
                         img_fetched *ret_bytes, img_manifest **ret, img_digest *ret_list,
                         bool *ret_has_list, cc_error **err);

#endif
