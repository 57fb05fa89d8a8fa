/* libcocoon-cdh, part 1: sealed secrets (docs/cdh.md), as the Confidential
 * Data Hub of guest-components unseals them
 * (../shared/reference/guest-components.md §3.5).
 *
 * Wire form: "sealed." b64url(header) "." b64url(payload) "." b64url(sig),
 * a compact JWS behind a "sealed." prefix. The header is
 * {"alg":"ES256","kid":"kbs:///..."}: only ES256, and the kid is the KBS
 * resource URI of the EC P-256 public JWK that signed it. The payload is
 * {"version":"0.1.0","type":"vault"|"envelope",...}.
 *
 * Parsing checks the form only; cdh_sealed_unseal() fetches the signing key
 * by its kid, verifies the signature and only then acts on the payload. A
 * secret parsed with CDH_SEALED_SKIP_VERIFY (upstream's
 * skip_sealed_secret_verification: header and signature are not read) is
 * unsealed without a signature check; callers set it only from an explicit
 * configuration flag.
 */
#ifndef COCOON_CDH_SEALED_H
#define COCOON_CDH_SEALED_H

#include <stddef.h>

#include "cocoon/error.h"

typedef struct cdh_sealed cdh_sealed;

enum cdh_sealed_type {
	CDH_SEALED_VAULT,    /* the plaintext is the resource "name" */
	CDH_SEALED_ENVELOPE, /* encrypted_data under a DEK wrapped by a KMS key */
};

/* Flags for cdh_sealed_parse. */
#define CDH_SEALED_SKIP_VERIFY 1u /* unsigned secrets: header and signature ignored */

/* Fetches the resource at a KBS resource URI ("kbs:///repo/type/tag"):
 * the signing JWK, a vault secret, an envelope's key-encryption key. On
 * success *ret (malloc'd; the caller wipes and frees it) holds *ret_len
 * bytes. cocoon-cdh passes lib/kbsclient; unit tests pass a table. */
struct cdh_getter {
	int (*get)(void *ctx, const char *uri, unsigned char **ret, size_t *ret_len,
	           cc_error **err);
	void *ctx;
};

/* Parses len bytes of a sealed secret (at most CC_CDH_MAX_SEALED_BYTES).
 * -EINVAL naming the part or field at fault, -E2BIG over a cap. Nothing is
 * verified yet. */
int cdh_sealed_parse(const char *s, size_t len, unsigned flags, cdh_sealed **ret,
                     cc_error **err);
void cdh_sealed_free(cdh_sealed *s);

enum cdh_sealed_type cdh_sealed_type(const cdh_sealed *s);
/* The header's kid; NULL for a secret parsed with CDH_SEALED_SKIP_VERIFY. */
const char *cdh_sealed_kid(const cdh_sealed *s);
const char *cdh_sealed_provider(const cdh_sealed *s);
/* vault: "name"; envelope: "key_id". */
const char *cdh_sealed_name(const cdh_sealed *s);

/* Verifies s (unless parsed with CDH_SEALED_SKIP_VERIFY) with the JWK the
 * getter returns for its kid, then unseals it: vault → the getter's bytes
 * for "name"; envelope → AES-256-GCM-unwrap "encrypted_key" with the 32-byte
 * key the getter returns for "key_id", then decrypt "encrypted_data"
 * (A256GCM or A256CTR). Only provider "kbs" is supported (-ENOTSUP naming
 * others). -EBADMSG: bad signature or failed authentication. On success
 * *ret (malloc'd, NUL-terminated; wipe with cj_free_secret) holds *ret_len
 * bytes. The error never holds secret bytes. */
int cdh_sealed_unseal(const cdh_sealed *s, const struct cdh_getter *g, unsigned char **ret,
                      size_t *ret_len, cc_error **err);

#endif
