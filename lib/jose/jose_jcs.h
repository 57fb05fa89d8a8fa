/* libcocoon-jose, part 1: JSON Canonicalization Scheme (RFC 8785) and the
 * digests Trustee binds into TEE evidence (docs/jose.md,
 * ../shared/reference/trustee.md §1.4).
 *
 * Errors follow docs/errors.md: 0 or a negative errno, an optional cc_error
 * naming what was wrong, outputs written only on success.
 */
#ifndef COCOON_JOSE_JCS_H
#define COCOON_JOSE_JCS_H

#include <stddef.h>

#include <jansson.h>

#include "cocoon/error.h"

/* Hash functions the runtime-data binding uses (Trustee's lowercase names:
 * "sha256", "sha384", "sha512"). */
enum cj_hash {
	CJ_SHA256,
	CJ_SHA384,
	CJ_SHA512,
};

#define CJ_HASH_MAX 64 /* bytes of the longest digest (SHA-512) */

/* The digest length of h in bytes (32, 48 or 64). */
size_t cj_hash_len(enum cj_hash h);
/* Parses "sha256" / "sha384" / "sha512" into *ret. -EINVAL (naming the
 * string) for anything else, such as "sm3". */
int cj_hash_from_name(const char *name, enum cj_hash *ret, cc_error **err);
/* Hashes n bytes with h into out (cj_hash_len(h) bytes). 0 or -EIO. */
int cj_hash_bytes(enum cj_hash h, const void *p, size_t n, unsigned char *out, cc_error **err);

/* RFC 8785 canonical form of v: object members sorted by their names' UTF-16
 * code units, no whitespace, strings escaped as ECMAScript JSON.stringify
 * does, numbers in ECMAScript Number.prototype.toString form (integers are
 * IEEE 754 doubles there: above 2^53 they lose precision as in JavaScript).
 * Returns a NUL-terminated malloc'd string in *ret (length in *ret_len if
 * not NULL). -ELOOP past CC_JOSE_MAX_JCS_DEPTH levels, -ENOMEM. */
int cj_jcs_serialize(const json_t *v, char **ret, size_t *ret_len, cc_error **err);

/* h(JCS(v)) into out (cj_hash_len(h) bytes): Trustee's runtime-data digest
 * (SHA-384 for every TEE but se, which uses SHA-512). */
int cj_jcs_digest(const json_t *v, enum cj_hash h, unsigned char *out, cc_error **err);

#endif
