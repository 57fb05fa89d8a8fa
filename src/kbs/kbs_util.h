/* Small helpers the KBS server's files share: string vectors, URIs, time
 * (bounded file reads: cc_read_file, cocoon/file.h). */
#ifndef COCOON_KBS_UTIL_H
#define COCOON_KBS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

#ifndef KBS_VERSION
#define KBS_VERSION "0.0.0"
#endif

/* Frees a NULL-terminated vector of strings; NULL is a no-op. */
void kbs_strv_free(char **v);

/* The file path a configured URI names: "file:///p" -> "/p", a plain path
 * as is; NULL for any other scheme (http://, https://). */
const char *kbs_uri_path(const char *uri);

/* Unix time now (seconds). */
int64_t kbs_now(void);

/* RFC 3339 UTC ("2026-11-22T10:05:00Z") of t into buf (at least 21
 * bytes); the HTTP date ("Sun, 22 Nov 2026 10:05:00 GMT", at least 30
 * bytes). Both written from fixed English names, whatever the locale. */
void kbs_fmt_rfc3339(int64_t t, char *buf, size_t n);
void kbs_fmt_http_date(int64_t t, char *buf, size_t n);
/* Parses what kbs_fmt_rfc3339 writes (an optional fraction of a second is
 * accepted and dropped). -EINVAL otherwise. */
int kbs_parse_rfc3339(const char *s, int64_t *ret);

/* Fills n bytes from the system's CSPRNG (getrandom). 0 or -EIO. */
int kbs_random(void *p, size_t n, cc_error **err);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void kbs_hex(const uint8_t *p, size_t n, char *out);

#endif
