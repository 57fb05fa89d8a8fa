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

/* `cocoon image pull` (image_pull.c): parses its flags and runs it. */
int cmd_image_pull(int argc, char **argv);

/* Flag helpers shared by the subcommands (cmd_image.c); they print what
 * was wrong and return -1. */
int image_parse_bool(const char *flag, const char *v, bool *out);
int image_parse_uint(const char *flag, const char *v, long lo, long hi, long *out);
int image_add_arg(char ***list, size_t *n, const char *arg);

/* Layer encryption/decryption (image_crypt.c): skopeo's --encryption-key
 * and --decryption-key specs, as a layer rewrite for img_copy. */
struct image_crypt;
struct img_layer_xform;
typedef struct ocicrypt_keys ocicrypt_keys;
int image_crypt_new(char *const *enc, size_t nenc, char *const *dec, size_t ndec,
                    struct image_crypt **ret, cc_error **err);
const struct img_layer_xform *image_crypt_xform(const struct image_crypt *c);
/* The decryption keys, or NULL when none were given. */
const ocicrypt_keys *image_crypt_keys(const struct image_crypt *c);
void image_crypt_free(struct image_crypt *c);
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
