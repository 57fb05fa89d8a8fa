/* The work behind `cocoon image` (cmd_image.c parses the flags). */
#ifndef COCOON_IMAGE_CLI_H
#define COCOON_IMAGE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"

struct image_copy_args {
	const char *src, *dst;
	bool src_tls_verify, dst_tls_verify;
	const char *src_creds, *dst_creds;
	const char *src_cert_dir, *dst_cert_dir;
	const char *authfile;
	char **enc_keys, **dec_keys;
	size_t nenc, ndec;
	const char *os, *arch, *variant;
	unsigned jobs;
	long idle_timeout; /* seconds; 0: default */
	int retries;       /* < 0: default */
	bool quiet;
};

void image_copy_args_init(struct image_copy_args *a);
int image_copy(const struct image_copy_args *a, cc_error **err);

/* Progress output (image_progress.c): one line per finished blob, and on
 * a terminal a status line updated in place. */
struct image_progress;
struct image_progress *image_progress_new(bool quiet);
void image_progress_free(struct image_progress *p);
void image_progress_line(struct image_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Replaces the status line (terminals only). */
void image_progress_status(struct image_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
