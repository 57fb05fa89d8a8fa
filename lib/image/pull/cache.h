/* The content-addressed blob cache of the pull pipeline (pull.h):
 * DIR/blobs/<alg>/<hex>, as an OCI layout stores blobs, written through
 * anonymous temporary files in DIR/tmp and linked into place once their
 * digest and size held. Blobs are keyed by the digest of their bytes only (for an
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
 * cached, or another negative errno (with *err; also when the path is not a
 * regular file). */
int img_blob_cache_get(img_blob_cache *c, const img_digest *d, cc_error **err);

/* A new temporary file for a blob (read-write fd; anonymous with O_TMPFILE,
 * else named in tmp/ with *ret_token naming it). */
int img_blob_cache_begin(img_blob_cache *c, char **ret_token, cc_error **err);

/* Stores the temporary file (fd, already verified by the caller) as blob d:
 * fsync, then linked or renamed into place; another process having stored
 * d meanwhile is fine. Frees token; fd stays open and the caller's. */
int img_blob_cache_commit(img_blob_cache *c, char *token, int fd, const img_digest *d,
                          cc_error **err);
/* Forgets a temporary file that will not be committed (frees token). */
void img_blob_cache_abort(img_blob_cache *c, char *token);

/* Removes blob d (found corrupt). */
void img_blob_cache_drop(img_blob_cache *c, const img_digest *d);

#endif
