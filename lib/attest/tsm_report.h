/* The Linux configfs-tsm report interface (Documentation/ABI/testing/
 * configfs-tsm): one report per directory under
 * <root>/sys/kernel/config/tsm/report/. We mkdir an entry, check its
 * `provider`, optionally write `privlevel`, write `inblob` (the report
 * data), read `outblob` (SNP: the attestation report; TDX: the quote) and,
 * when asked, `auxblob` (SNP: the certificate table), then check that
 * `generation` moved by exactly one since our write (another writer on the
 * same entry would make outblob someone else's; retried, bounded by
 * CC_TSM_ATTEMPTS), and rmdir the entry (docs/attest-guest.md).
 *
 * The file operations go through a small table so that tests can play the
 * kernel on a fake tree in a temporary directory (tsm_fs_ops below are the
 * real ones; a test's table wraps them).
 */
#ifndef COCOON_ATTEST_TSM_REPORT_H
#define COCOON_ATTEST_TSM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

/* Under the root prefix. */
#define TSM_REPORT_DIR "/sys/kernel/config/tsm/report"

typedef struct tsm_ops {
	/* Each returns 0 or a negative errno (no message). */
	int (*mkdir)(void *ctx, const char *path);
	int (*rmdir)(void *ctx, const char *path);
	int (*write)(void *ctx, const char *path, const uint8_t *p, size_t len);
	/* Reads the whole attribute into a new buffer (*ret, NUL-terminated
	 * for convenience, *ret_len without it); -EFBIG when it is longer
	 * than max. */
	int (*read)(void *ctx, const char *path, size_t max, uint8_t **ret, size_t *ret_len);
} tsm_ops;

/* The real file operations (ctx unused). */
extern const tsm_ops tsm_fs_ops;

typedef struct tsm_request {
	const char *root;       /* path prefix ("" or NULL: "/") */
	const char *provider;   /* "tdx_guest", "sev_guest", "arm_cca_guest" */
	int privlevel;          /* SNP VMPL 0..3 written to `privlevel`; < 0: not written */
	const uint8_t *inblob;  /* report data, 1..64 bytes */
	size_t inblob_len;
	bool want_aux;          /* read `auxblob` too */
} tsm_request;

typedef struct tsm_result {
	uint8_t *outblob;
	size_t outblob_len;
	uint8_t *auxblob;       /* NULL when not asked or empty */
	size_t auxblob_len;
} tsm_result;

/* One report. ops NULL: tsm_fs_ops. Errors start with "configfs-tsm:";
 * -ENODEV when the report directory does not exist or its provider is
 * not rq->provider. */
int tsm_report_get(const tsm_ops *ops, void *ctx, const tsm_request *rq, tsm_result *ret,
                   cc_error **err);
void tsm_result_clear(tsm_result *r);

/* Whether configfs-tsm reports exist under root with provider (a probe
 * entry is made, its provider read, and removed, as guest-components
 * detects TDX). */
bool tsm_report_has_provider(const tsm_ops *ops, void *ctx, const char *root,
                             const char *provider);

#endif
