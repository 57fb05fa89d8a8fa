/* libcocoon-jose, part 3: JWE in the flattened JSON serialization (RFC 7516
 * §7.2.2) exactly as the KBS answers a resource request
 * (../shared/reference/trustee.md §1.6, docs/jose.md):
 *
 *   {"protected":"<b64url header>","encrypted_key":"..","iv":"..",
 *    "ciphertext":"..","tag":".."}
 *
 * Content encryption is A256GCM only (AAD = the "protected" text). Key
 * management, from an allow-list: ECDH-ES+A256KW (P-256, P-384, P-521;
 * Concat KDF with SHA-256, empty PartyU/PartyV), RSA-OAEP-256, and RSA1_5
 * only when the key's "alg" asks for it (the caller is told, to warn).
 * Everything else ("none", "dir", PBES2-*, A128KW, ECDH-ES, RSA-OAEP, ...)
 * is refused with an error naming the algorithm.
 */
#ifndef COCOON_JOSE_JWE_H
#define COCOON_JOSE_JWE_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"
#include "jose_util.h"
#include "jose_jwk.h"

/* Encrypts len bytes to the public key `to`. The algorithm is the key's
 * "alg", or when it names none ECDH-ES+A256KW for EC and RSA-OAEP-256 for
 * RSA keys. The protected header is serialized byte for byte as serde_json
 * writes Trustee's ProtectedHeader: {"alg":..,"enc":"A256GCM"} and for ECDH
 * ,"epk":{"crv":..,"kty":"EC","x":..,"y":..}. *ret is the JWE text (NUL
 * terminated, malloc'd; length in *ret_len if not NULL). *ret_legacy (if not
 * NULL) is set true when RSA1_5 was used, so the caller can log a warning. */
int cj_jwe_encrypt(const cj_jwk *to, const void *pt, size_t len, char **ret, size_t *ret_len,
                   bool *ret_legacy, cc_error **err);

/* Decrypts a flattened-JSON JWE (at most CC_JOSE_MAX_JWE_BYTES) with the
 * private key k. Refuses: other serializations, unprotected headers but a
 * recipient "header" with "epk" (and "kid") only, "zip",
 * "crit", any enc but A256GCM, algorithms outside the allow-list or not
 * suiting k, RSA1_5 unless k's "alg" is RSA1_5. A modified header, key,
 * IV, ciphertext or tag gives -EBADMSG. The plaintext is NUL-terminated
 * (not counted in *ret_len); free it with cj_free_secret. *ret_legacy as
 * for encryption. */
int cj_jwe_decrypt(const cj_jwk *k, const char *jwe, size_t len, unsigned char **ret,
                   size_t *ret_len, bool *ret_legacy, cc_error **err);

#endif
