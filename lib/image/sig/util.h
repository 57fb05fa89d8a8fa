/* Small helpers shared by the signature code (internal). */
#ifndef COCOON_IMAGE_SIG_UTIL_H
#define COCOON_IMAGE_SIG_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"

/* Scoped cleanup with a NAME##p function from CC_DEFINE_CLEANUP. */
#define _cleanup_(f) __attribute__((cleanup(f)))

/* Room for a quoted excerpt of hostile text in a message. */
#define SIG_QUOTE_MAX 100

/* Writes a printable excerpt of n bytes at s into out (SIG_QUOTE_MAX
 * bytes): printable ASCII as is, '"' and '\\' and other bytes escaped,
 * cut with "..." when long. Returns out. */
const char *sig_quote(const char *s, size_t n, char out[SIG_QUOTE_MAX]);

/* sig_quote of a NUL-terminated string (NULL gives "(null)"). */
const char *sig_quotes(const char *s, char out[SIG_QUOTE_MAX]);

/* Decodes standard base64 (RFC 4648 section 4, padded; line breaks are
 * skipped as Go's decoder skips them) of n bytes at s into a malloc'd
 * buffer. -EINVAL ("<what>: invalid base64") on anything else. */
int sig_b64_decode(const char *s, size_t n, const char *what, unsigned char **ret,
                   size_t *ret_len, cc_error **err);

/* Reads the regular file at path (following symlinks: the path is
 * configuration, not hostile input), at most max bytes. -EFBIG past max. */
int sig_read_file(const char *path, size_t max, void **ret, size_t *ret_len, cc_error **err);

/* Reads all of fd (a regular file) into a malloc'd buffer, at most max
 * bytes; what names it in messages. */
int sig_read_fd(int fd, size_t max, const char *what, void **ret, size_t *ret_len,
                cc_error **err);

/* Whether s starts with "<scheme>://" (a letter, then letters, digits,
 * '+', '-', '.'). */
bool sig_has_scheme(const char *s);

/* strdup that reports -ENOMEM through err: 0 or -ENOMEM. */
int sig_strdup(const char *s, char **ret, cc_error **err);

#endif
