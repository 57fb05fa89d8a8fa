/* The content-addressed blob cache of the pull pipeline (pull.h):
 * DIR/blobs/<alg>/<hex>, as an OCI layout stores blobs, written through
 * temporary files in DIR/tmp and renamed into place once their digest and
 * size held. Blobs are keyed by the digest of their bytes only (for an
 * encrypted layer: of its ciphertext). Safe for threads and for several
 * processes sharing DIR. */
#ifndef COCOON_IMAGE_PULL_CACHE_H
#define COCOON_IMAGE_PULL_CACHE_H

#include "cocoon/error.h"
#include "digest.h"

typedef struct img_blob_cache img_blob_cache;

/* Opens (creating what is missing, mode 0700) the cache in dir. */
int img_blob_cache_open(const char *dir, img_blob_cache **ret, cc_error **err);
void img_blob_cache_free(img_blob_cache *c);

/* The cached blob d opened read-only: an fd, or -ENOENT when it is not
 * cached, or another negative errno (with *err). */
int img_blob_cache_get(img_blob_cache *c, const img_digest *d, cc_error **err);

/* A new temporary file for blob d: returns its fd and, in *ret_token, what
 * img_blob_cache_commit/_abort need (freed by them). */
int img_blob_cache_begin(img_blob_cache *c, char **ret_token, cc_error **err);

/* Moves the temporary file (already verified by the caller) to d's place.
 * Another process having stored d meanwhile is fine. */
int img_blob_cache_commit(img_blob_cache *c, char *token, const img_digest *d, cc_error **err);
void img_blob_cache_abort(img_blob_cache *c, char *token);

/* Removes blob d (found corrupt). */
void img_blob_cache_drop(img_blob_cache *c, const img_digest *d);

#endif
