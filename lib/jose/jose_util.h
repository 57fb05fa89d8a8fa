/* libcocoon-jose: base64 (RFC 4648) and bounded JSON parsing shared by the
 * JOSE parts and their callers (the KBS carries base64 nonces and evidence).
 */
#ifndef COCOON_JOSE_UTIL_H
#define COCOON_JOSE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cocoon/error.h"

/* base64url without padding (RFC 7515 §2) of n bytes: a malloc'd,
 * NUL-terminated string, or NULL on out of memory. */
char *cj_b64url_encode(const void *p, size_t n);
/* Standard base64 with padding (RFC 4648 §4), as x5c and KBS nonces use. */
char *cj_b64_encode(const void *p, size_t n);

/* Strict base64url decoding of len characters: the URL-safe alphabet only,
 * no padding, no whitespace, unused trailing bits zero (so that every value
 * has one encoding). At most max decoded bytes (-E2BIG). The result is
 * malloc'd (one spare NUL byte after it); `what` names the field in errors. */
int cj_b64url_decode(const char *s, size_t len, size_t max, unsigned char **ret,
                     size_t *ret_len, const char *what, cc_error **err);
/* Strict standard base64: '+' '/', padding required to a multiple of 4. */
int cj_b64_decode(const char *s, size_t len, size_t max, unsigned char **ret, size_t *ret_len,
                  const char *what, cc_error **err);

/* Parses len bytes of JSON (at most max) with JSON_REJECT_DUPLICATES;
 * -E2BIG over the cap, -EINVAL naming `what` and the parser's message. */
int cj_json_parse(const void *p, size_t len, size_t max, json_t **ret, const char *what,
                  cc_error **err);

/* Wipes n bytes at p (OPENSSL_cleanse) and frees p; NULL is a no-op. */
void cj_free_secret(void *p, size_t n);

#endif
