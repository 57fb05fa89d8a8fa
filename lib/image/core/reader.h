/* Pull-style byte streams for the image pipeline (docs/image.md).
 *
 * A pipeline is a chain of readers, each wrapping the one before it:
 *
 *   file or HTTP body -> verify digest -> decrypt (ocicrypt) -> decompress
 *     -> verify diff_id -> tar unpacker
 *
 * A reader that checks something (a digest, an HMAC, a size) does so when
 * its input ends and reports a mismatch as an error from the read that would
 * have returned end-of-stream: a consumer that reads until 0 has seen every
 * check pass. Readers never hold a whole layer in memory.
 */
#ifndef COCOON_IMAGE_READER_H
#define COCOON_IMAGE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cocoon/error.h"

typedef struct img_reader img_reader;

struct img_reader_ops {
	/* Reads up to n (> 0) bytes into buf. Returns the number read (> 0), 0 at
	 * the end of the stream, or a negative errno with *err set. After an
	 * error or the end, further calls return the same result. */
	ssize_t (*read)(void *self, void *buf, size_t n, cc_error **err);
	/* Releases self and everything it owns (including its inner reader). */
	void (*free)(void *self);
};

/* A reader backed by ops and self (ownership of self passes to the reader;
 * ops->free(self) runs when the reader is freed, also when this fails).
 * NULL on OOM. */
img_reader *img_reader_new(const struct img_reader_ops *ops, void *self);

/* See struct img_reader_ops.read. Counts the bytes delivered. */
ssize_t img_reader_read(img_reader *r, void *buf, size_t n, cc_error **err);

/* Reads exactly n bytes unless the stream ends first: returns the number
 * read (< n only at the end), or a negative errno. */
ssize_t img_reader_read_full(img_reader *r, void *buf, size_t n, cc_error **err);

/* Reads to the end, discarding the bytes (so that checks at the end run).
 * Returns 0 or a negative errno. */
int img_reader_drain(img_reader *r, cc_error **err);

/* Bytes delivered so far. */
uint64_t img_reader_count(const img_reader *r);

/* Frees r and its chain; NULL is a no-op. */
void img_reader_free(img_reader *r);

/* A reader over a file descriptor, which it closes when own is true.
 * NULL on OOM (fd is then closed if own). */
img_reader *img_reader_fd(int fd, bool own);

/* A reader that passes inner through without owning it: freeing it leaves
 * inner alone (for a chain built on a reader someone else frees). NULL on
 * OOM or for a NULL inner. */
img_reader *img_reader_borrow(img_reader *inner);

/* A reader over n bytes at p, which must outlive it. NULL on OOM. */
img_reader *img_reader_mem(const void *p, size_t n);

/* A reader that passes inner through but fails with -EFBIG ("<what>: more
 * than <max> bytes") once more than max bytes arrive, and, if exact is true,
 * with -EBADMSG ("<what>: <n> bytes, expected <max>") when it ends short.
 * Takes ownership of inner (freed on failure too). NULL on OOM. */
img_reader *img_reader_limit(img_reader *inner, uint64_t max, bool exact, const char *what);
/* (Every wrapping constructor returns NULL for a NULL inner, so chains can
 * be built without a check after each step: one NULL check at the end.) */

/* ---- sinks ------------------------------------------------------------ */

/* Writes n bytes at p to fd, through short writes and EINTR. Errors say
 * "write: <strerror>"; the caller wraps them with the file's name. */
int img_write_all(int fd, const void *p, size_t n, cc_error **err);

/* Progress of img_reader_to_fd: bytes so far and the caller's total. */
typedef void (*img_copy_fn)(void *ctx, uint64_t done, uint64_t total);

/* Copies r to its end into fd (from fd's offset), in 256 KiB chunks;
 * progress (may be NULL) is called after each with total passed through.
 * *ret_n (may be NULL) gets the bytes copied. r stays the caller's. */
int img_reader_to_fd(img_reader *r, int fd, uint64_t total, img_copy_fn progress, void *ctx,
                     uint64_t *ret_n, cc_error **err);

#endif
