/* OCI content digests (image-spec descriptor.md, "Digests"): parsing,
 * formatting, hashing, and a reader that checks a stream against one. */
#ifndef COCOON_IMAGE_DIGEST_H
#define COCOON_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "reader.h"

enum img_digest_alg { IMG_DIGEST_SHA256 = 0, IMG_DIGEST_SHA512 = 1 };

/* "sha512:" + 128 hex digits + NUL */
#define IMG_DIGEST_STR_MAX (7 + 128 + 1)

typedef struct img_digest {
	enum img_digest_alg alg;
	unsigned char b[64]; /* the first img_digest_size(alg) bytes are used */
} img_digest;

/* Bytes of a digest of this algorithm (32 or 64). */
size_t img_digest_size(enum img_digest_alg alg);
/* "sha256" or "sha512". */
const char *img_digest_alg_name(enum img_digest_alg alg);

/* Parses "sha256:<64 hex>" or "sha512:<128 hex>" (n bytes at s, no NUL
 * needed). As the image spec requires for registered algorithms, the hex is
 * lower case and exactly the digest's length. Other algorithms are rejected
 * ("unsupported digest algorithm"). On success writes *ret. */
int img_digest_parse(const char *s, size_t n, img_digest *ret, cc_error **err);

/* Writes "alg:hex" into out (IMG_DIGEST_STR_MAX bytes) and returns out. */
char *img_digest_format(const img_digest *d, char out[IMG_DIGEST_STR_MAX]);

/* Lower-case hex of the digest only (no "alg:"), into out (129 bytes). */
char *img_digest_hex(const img_digest *d, char out[129]);

/* Constant-time equality (algorithm and bytes). */
bool img_digest_eq(const img_digest *a, const img_digest *b);

/* Incremental hashing (OpenSSL EVP). */
typedef struct img_hasher img_hasher;
img_hasher *img_hasher_new(enum img_digest_alg alg); /* NULL on OOM */
void img_hasher_update(img_hasher *h, const void *p, size_t n);
/* Finishes into *out; the hasher may not be updated afterwards. */
void img_hasher_final(img_hasher *h, img_digest *out);
void img_hasher_free(img_hasher *h);

/* Digest of n bytes at p. Returns 0 or -ENOMEM. */
int img_digest_bytes(enum img_digest_alg alg, const void *p, size_t n, img_digest *ret,
                     cc_error **err);

/* A reader that passes inner through and, when it ends, compares the digest
 * of everything it passed with *want: a mismatch fails that last read with
 * -EBADMSG "<what>: digest mismatch: expected X, got Y". If want_size >= 0
 * the stream must also be exactly want_size bytes long (more fails as soon
 * as it arrives: -EFBIG; fewer at the end: -EBADMSG). If got is not NULL it
 * receives the computed digest when the stream ends. Takes ownership of
 * inner (freed on failure too). NULL on OOM. */
img_reader *img_digest_reader(img_reader *inner, const img_digest *want, int64_t want_size,
                              const char *what);

/* As img_digest_reader, hashing on a worker thread (img_offload): for
 * layer-sized streams, so that hashing overlaps the consumer's own work on
 * the other core. Same checks, same results. */
img_reader *img_digest_reader_offload(img_reader *inner, const img_digest *want,
                                      int64_t want_size, const char *what);

/* ---- work on another thread --------------------------------------------- */

/* Runs update(ctx, bytes) on a worker thread for every byte fed, in the
 * order fed. feed() copies the bytes (into a ring of 4 x 256 KiB; it waits
 * while the ring is full), so the caller may reuse or change its buffer at
 * once. wait() returns when every byte fed has been passed to update().
 * Without a thread (creation failed) feed() calls update() itself. free()
 * finishes the queue and joins the thread. NULL on OOM. */
typedef struct img_offload img_offload;
typedef void (*img_offload_fn)(void *ctx, const void *p, size_t n);
img_offload *img_offload_new(img_offload_fn update, void *ctx);
void img_offload_feed(img_offload *o, const void *p, size_t n);
void img_offload_wait(img_offload *o);
void img_offload_free(img_offload *o);

/* A reader that only computes: when inner ends, *got (which must outlive
 * the reader) holds the digest of all bytes passed. NULL on OOM. */
img_reader *img_hash_reader(img_reader *inner, enum img_digest_alg alg, img_digest *got);

#endif
