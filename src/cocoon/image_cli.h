/* The work behind `cocoon image` (cmd_image.c parses the flags). */
#ifndef COCOON_IMAGE_CLI_H
#define COCOON_IMAGE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

/* Options copy and pull share (same spelling as skopeo's). */
struct image_common_args {
	const char *authfile;
	char **dec_keys;
	size_t ndec;
	const char *os, *arch, *variant;
	long jobs;         /* 0: default */
	long idle_timeout; /* seconds; 0: default */
	long retries;      /* < 0: default */
	bool quiet;
};

/* getopt_long entries of the shared options (values >= IMAGE_OPT_COMMON),
 * to be spliced into a command's table, and their handler: returns 1 when
 * c was one of them, 0 when not, -1 (after printing why) on a bad value. */
enum { IMAGE_OPT_COMMON = 400 };
#define IMAGE_COMMON_LONGOPTS                                                                      \
	{"authfile", required_argument, NULL, IMAGE_OPT_COMMON + 0},                               \
	    {"decryption-key", required_argument, NULL, IMAGE_OPT_COMMON + 1},                     \
	    {"override-os", required_argument, NULL, IMAGE_OPT_COMMON + 2},                        \
	    {"override-arch", required_argument, NULL, IMAGE_OPT_COMMON + 3},                      \
	    {"override-variant", required_argument, NULL, IMAGE_OPT_COMMON + 4},                   \
	    {"jobs", required_argument, NULL, 'j'},                                                \
	    {"idle-timeout", required_argument, NULL, IMAGE_OPT_COMMON + 5},                       \
	    {"retries", required_argument, NULL, IMAGE_OPT_COMMON + 6},                            \
	    {"quiet", no_argument, NULL, 'q'}
#define IMAGE_COMMON_SHORTOPTS "j:q"
void image_common_args_init(struct image_common_args *a);
int image_common_opt(int c, const char *arg, struct image_common_args *a);
void image_common_args_clear(struct image_common_args *a);

struct image_copy_args {
	const char *src, *dst;
	bool src_tls_verify, dst_tls_verify;
	const char *src_creds, *dst_creds;
	const char *src_cert_dir, *dst_cert_dir;
	char **enc_keys;
	size_t nenc;
	struct image_common_args c;
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
/* n bytes for people: "512 B", "3.4 KiB", "2.9 MiB", "1.2 GiB". */
const char *image_size(uint64_t n, char buf[24]);
/* Replaces the status line (terminals only). */
void image_progress_status(struct image_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
