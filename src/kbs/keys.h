/* The server's keys (docs/kbs.md, "State directory"):
 *
 *  - the admin identity made at first start, as Trustee's docker-compose
 *    setup makes it: an Ed25519 key pair (admin-key.pem, admin-key.pub)
 *    and an EdDSA JWT in admin-token, {"alg":"EdDSA","typ":"JWT"} /
 *    {"iss":"cocoon-kbs","sub":"admin","aud":["KBS"],"role":"admin",
 *     "iat":..,"exp":iat+10y}, which `cocoon kbs config
 *    --admin-token-file DIR/admin-token` presents;
 *  - the EAR token signer: a P-256 key from the configuration
 *    (attestation_token_broker.signer.key_path) or generated once into
 *    token-signer.pem (its public half in token-signer.pub) and kept, so
 *    tokens stay valid across restarts.
 */
#ifndef COCOON_KBS_KEYS_H
#define COCOON_KBS_KEYS_H

#include "cocoon/error.h"
#include "config.h"
#include "jose_jwk.h"

/* Ten years, as Trustee's setup container writes its admin token. */
#define KBS_ADMIN_TOKEN_LIFETIME_S (10ll * 365 * 24 * 3600)

/* Makes the admin identity in the state directory when it is missing (a
 * missing admin-token is re-made from the key) and returns the admin
 * public key as PEM text in *ret_pub_pem (caller frees). */
int kbs_keys_admin(int dirfd, const char *dir, char **ret_pub_pem, cc_error **err);

/* The EAR signing key (private, "alg" ES256, with x5c when
 * signer.cert_path is set) in *ret. */
int kbs_keys_signer(const struct kbs_config *c, int dirfd, const char *dir, cj_jwk **ret,
                    cc_error **err);

/* PEM text of a key: the private key as PKCS#8, or the public key as
 * SubjectPublicKeyInfo. *ret is malloc'd (wipe a private one with
 * cj_free_secret). */
int kbs_keys_pem(EVP_PKEY *k, bool private_key, char **ret, size_t *ret_len, cc_error **err);

#endif
