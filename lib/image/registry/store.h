/* Image sources and destinations behind one small table (docs/image.md):
 * a registry repository (docker://) or an OCI layout (oci:DIR:NAME). The
 * copy and pull pipelines talk to these, never to the transports. */
#ifndef COCOON_IMAGE_STORE_H
#define COCOON_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "digest.h"
#include "manifest.h"
#include "ref.h"
#include "registry.h"

typedef struct img_store img_store;

struct img_store_opts {
	struct img_registry_opts registry; /* docker:// */
	bool create;                       /* oci: create the layout (destinations) */
};

/* Opens loc as a source or destination. */
int img_store_open(const img_location *loc, const struct img_store_opts *o, img_store **ret,
                   cc_error **err);
void img_store_free(img_store *s);

/* "docker://host/repo:tag" or "oci:DIR:NAME", for messages. */
const char *img_store_name(const img_store *s);

/* The location's manifest (d NULL) or the manifest with digest d (an
 * index's child). The bytes are checked against d when given. */
int img_store_get_manifest(img_store *s, const img_digest *d, img_fetched *ret, cc_error **err);

/* A blob of exactly size bytes into memory (at most max), digest checked. */
int img_store_get_blob_mem(img_store *s, const img_digest *d, int64_t size, size_t max,
                           char **ret_body, size_t *ret_len, cc_error **err);

/* A blob into fd from its current offset, digest and size checked while
 * it is copied. Thread-safe. */
int img_store_get_blob_fd(img_store *s, const img_digest *d, int64_t size, int fd,
                          img_progress_fn progress, void *ctx, cc_error **err);

/* A reader of blob d straight from an OCI layout source (no copy): its
 * digest and size are checked when it ends. -ENOTSUP (no message) for a
 * registry: download it with img_store_get_blob_fd. */
int img_store_blob_reader(img_store *s, const img_digest *d, int64_t size, img_reader **ret,
                          cc_error **err);
/* Destination side. */
int img_store_has_blob(img_store *s, const img_digest *d, bool *ret, cc_error **err);
/* size bytes from fd (from offset 0) as the blob d (already verified by
 * the caller). Thread-safe. */
int img_store_put_blob_fd(img_store *s, const img_digest *d, int64_t size, int fd, cc_error **err);
int img_store_put_blob_mem(img_store *s, const void *p, size_t n, img_digest *ret, cc_error **err);
/* Stores the manifest bytes under the location's tag or name (and returns
 * their digest in *ret). */
int img_store_put_manifest(img_store *s, const void *body, size_t len, const char *media_type,
                           img_digest *ret, cc_error **err);

/* A directory for temporary blob files near the destination (the layout's
 * blobs/ for oci:, $TMPDIR or /var/tmp for docker://). */
const char *img_store_tmpdir(const img_store *s);

/* The registry client of a docker:// store, or NULL. */
img_registry *img_store_registry(img_store *s);

/* The reference a docker:// store names, or NULL. */
const img_ref *img_store_ref(const img_store *s);

#endif
