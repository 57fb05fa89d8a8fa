/* Helpers of the guest attester tests (test_guest_attest.c,
 * test_guest_aael.c): scratch trees standing in for /sys, /dev and /run,
 * and a configfs-tsm "kernel" played on such a tree. */
#ifndef GUEST_TEST_UTIL_H
#define GUEST_TEST_UTIL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "tsm_report.h"

/* A new directory under $TMPDIR (or /tmp); the caller frees the string
 * after gt_rm_rf. */
char *gt_tmpdir(void);
void gt_rm_rf(const char *dir);
/* mkdir -p of root + path (path starts with '/'). */
void gt_mkdirs(const char *root, const char *path);
/* Writes root + path (parents made). */
void gt_write(const char *root, const char *path, const void *p, size_t len);
/* The whole file root + path, NUL-terminated; NULL when missing. */
uint8_t *gt_read(const char *root, const char *path, size_t *len);

/* The test fails unless r < 0 and *err's message starts with prefix
 * (contains part); *err is freed and reset. */
void gt_assert_prefix(int r, cc_error **err, const char *prefix);
void gt_assert_contains(int r, cc_error **err, const char *part);

/* n bytes from 2n hex digits of s (the test fails on anything else). */
void gt_unhex(const char *s, uint8_t *out, size_t n);

/* The configfs-tsm kernel: tsm ops (gt_tsm_ops, ctx a gt_kernel) over a
 * real directory tree. mkdir makes the entry's attributes (provider,
 * generation 0, empty blobs); a write to inblob or privlevel moves
 * generation on, as the kernel does, and a write to inblob calls answer to
 * fill outblob and auxblob. race: that many times, another "writer" moves
 * generation on once more right after our inblob write. */
typedef struct gt_kernel gt_kernel;
struct gt_kernel {
	const char *provider;
	/* Sets *out (and *aux, may stay NULL) to new buffers. */
	void (*answer)(gt_kernel *k, const uint8_t *inblob, size_t len, uint8_t **out,
	               size_t *out_len, uint8_t **aux, size_t *aux_len);
	void *answer_ctx;
	int privlevel;      /* the last value written, -1 none */
	int floor;          /* privlevel_floor: lower privlevel writes fail with EINVAL */
	unsigned race;
	unsigned inblob_writes, mkdirs, rmdirs;
};
extern const tsm_ops gt_tsm_ops;

#endif
