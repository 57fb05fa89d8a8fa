/* The KBS client behind `cocoon kbs`: Trustee's RCAR protocol 0.4.0 as the
 * guest's kbs_protocol client speaks it (../shared/reference/trustee.md
 * §1, guest-components.md §2), and the admin API as kbs-client drives it
 * (trustee.md §1.2, §2, §6). docs/man/cocoon-kbs-client.md.
 *
 * Three layers, each quiet (errors per docs/errors.md, nothing printed):
 *  - messages (kbs_proto.c, kbs_admin_msg.c): builders of the request
 *    bodies and parsers of the server's answers, no I/O;
 *  - HTTP (kbs_http.c): one libcurl handle per client, the session cookie,
 *    bounded bodies;
 *  - flows (kbs_rcar.c): RCAR, resource fetch and decryption, admin calls.
 *
 * No secret leaves through an error message: resource bytes, private keys,
 * tokens and the session cookie are never formatted into one. What the
 * server says in a Trustee error body ("detail") is.
 */
#ifndef COCOON_KBS_CLIENT_H
#define COCOON_KBS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "attest.h"
#include "cocoon/buf.h"
#include "cocoon/error.h"
#include "cocoon/file.h"
#include "jose_jcs.h"
#include "jose_jwk.h"

/* The protocol version sent in Request (Trustee requires exactly this). */
#define KBS_PROTOCOL_VERSION "0.4.0"
/* The session cookie's name (trustee.md §1.5). */
#define KBS_SESSION_COOKIE "kbs-session-id"
/* Longest session cookie value kept (Trustee's is 32 hex digits). */
#define KBS_SESSION_ID_MAX 256u
/* Trustee's error body "type" prefix (trustee.md §1.8). */
#define KBS_ERROR_TYPE_PREFIX "https://github.com/confidential-containers/kbs/errors/"

/* ---- messages (kbs_proto.c) ------------------------------------------- */

/* The Request body for POST /kbs/v0/auth:
 * {"version":"0.4.0","tee":TEE,"extra-params":{"supported-hash-algorithms":
 * ["sha256","sha384","sha512"]}} (kbs-types' field order; the hash
 * algorithms this client can compute). *ret is malloc'd text. */
int kbs_request_body(const char *tee, char **ret, cc_error **err);

/* Parses a Challenge ({"nonce":S,"extra-params":V}, duplicate keys
 * refused, at most CC_KBS_CLIENT_MAX_BODY bytes). *ret_nonce is the nonce
 * (malloc'd; at most CC_KBS_CLIENT_MAX_NONCE_BYTES); *ret_hash the hash the
 * runtime data is bound with: extra-params' "selected-hash-algorithm"
 * (case-insensitive) when V is an object carrying it, else SHA-384. */
int kbs_challenge_parse(const char *body, size_t len, char **ret_nonce, enum cj_hash *ret_hash,
                        cc_error **err);

/* The report data for the primary attester: h(JCS({"tee-pubkey":K,
 * "nonce":N,"additional-evidence":""})) into out (cj_hash_len(h) bytes),
 * as both guest-components and Trustee compute it (trustee.md §1.4). */
int kbs_runtime_digest(const char *nonce, const json_t *tee_pubkey, enum cj_hash h,
                       unsigned char out[CJ_HASH_MAX], cc_error **err);

/* The Attestation body for POST /kbs/v0/attest, members in kbs-types'
 * order: {"init-data":null|{"format":"toml","body":T},"runtime-data":
 * {"nonce":N,"tee-pubkey":K},"tee-evidence":{"primary_evidence":E,
 * "additional_evidence":""}}. evidence is the attester's JSON text (parsed
 * and embedded as a value, its member order kept); init_data the TOML text
 * (NULL: none; must be UTF-8). *ret is malloc'd text. */
int kbs_attestation_body(const char *nonce, const json_t *tee_pubkey, const char *evidence,
                         size_t evidence_len, const char *init_data, size_t init_data_len,
                         char **ret, cc_error **err);

/* Parses the /attest answer {"token":T}: *ret_token is T (malloc'd, at most
 * CC_JOSE_MAX_TOKEN_BYTES, visible ASCII only so that it can travel in an
 * Authorization header). Other members are ignored. */
int kbs_token_parse(const char *body, size_t len, char **ret_token, cc_error **err);

/* Parses a Trustee error body {"type":".../errors/<Variant>","detail":D}.
 * Returns 0 with the variant (the type's last segment, or the whole type
 * when it lacks Trustee's prefix) and the detail, each malloc'd and made
 * printable (control characters become '?', at most
 * CC_KBS_CLIENT_MAX_DETAIL_BYTES kept), or -EINVAL when body is not one. */
int kbs_error_parse(const char *body, size_t len, char **ret_variant, char **ret_detail,
                    cc_error **err);

/* The value of the kbs-session-id cookie in one Set-Cookie header value
 * (n bytes, not NUL-terminated): copied into out when the header sets that
 * cookie with a value of cookie-octets (RFC 6265 §4.1.1), at most
 * KBS_SESSION_ID_MAX bytes. Returns 1 when found, 0 when the header sets
 * another cookie (or is malformed). */
int kbs_set_cookie_parse(const char *v, size_t n, char out[KBS_SESSION_ID_MAX + 1]);

/* Checks a resource path as the KBS does: exactly three segments
 * (repository/type/tag), each [A-Za-z0-9_-][A-Za-z0-9_.-]* (trustee.md
 * §2.1). -EINVAL naming what is wrong. */
int kbs_resource_path_check(const char *path, cc_error **err);

/* Checks that a bearer token (an attestation or admin token) is n bytes of
 * visible ASCII (0x21-0x7e), 1 to CC_JOSE_MAX_TOKEN_BYTES of them; `what`
 * names it in the error. Never quotes the token. */
int kbs_token_check(const char *tok, size_t n, const char *what, cc_error **err);

/* The "exp" claim of an attestation token, read WITHOUT checking the
 * signature (as guest-components' client does: the token is only a cache
 * key here; the KBS checks it). Returns 1 and *ret_exp when the claims
 * carry a numeric exp, 0 when they carry none, -EINVAL when the token is
 * not a compact JWS with a JSON object payload. Never quotes the token. */
int kbs_token_expiry(const char *tok, size_t n, int64_t *ret_exp, cc_error **err);

/* ---- admin messages (kbs_admin_msg.c) --------------------------------- */

enum kbs_builtin_policy {
	KBS_POLICY_ALLOW_ALL,
	KBS_POLICY_DENY_ALL,
	KBS_POLICY_AFFIRMING,
	KBS_POLICY_DEFAULT,
};

/* The Rego text of a built-in resource policy (set-resource-policy
 * --allow-all, --deny-all, --affirming, --default): the semantics of
 * Trustee's sample policies, written for cocoon (docs/man). */
const char *kbs_builtin_policy(enum kbs_builtin_policy p);

/* {"policy":"<base64url-nopad of policy>"} for POST /resource-policy. */
int kbs_resource_policy_body(const void *policy, size_t len, char **ret, cc_error **err);

/* {"type":T,"policy_id":ID,"policy":"<base64url-nopad>"} for POST
 * /attestation-policy (kbs-client's SetPolicyInput). */
int kbs_attestation_policy_body(const char *type, const char *id, const void *policy,
                                size_t len, char **ret, cc_error **err);

enum kbs_rv_kind {
	KBS_RV_STRING,
	KBS_RV_INTEGER, /* a 32-bit signed decimal integer, as kbs-client's i32 */
	KBS_RV_BOOL,    /* "true" or "false" */
};

/* The RVPS message for POST /reference-value with the sample extractor:
 * {"version":"0.1.0","type":"sample","payload":"<base64 of {NAME:V}>"},
 * V the value parsed as kind, inside a one-element array unless single. */
int kbs_sample_rv_body(const char *name, const char *value, enum kbs_rv_kind kind, bool single,
                       char **ret, cc_error **err);

/* Claims of the admin JWT signed with --auth-private-key: kbs-client's
 * (iat, nbf, exp = iat + CC_KBS_CLIENT_ADMIN_JWT_SECONDS) plus "sub" and
 * "role" "admin", which Trustee v0.21's admin ACLs ask for. */
int kbs_admin_jwt(const cj_jwk *ed25519_key, int64_t now, char **ret, cc_error **err);

/* ---- HTTP (kbs_http.c) ------------------------------------------------ */

typedef struct kbs_http kbs_http;

/* A client for the KBS at url (http:// or https://, a trailing '/' is
 * dropped; no path, query or fragment besides). ca_file: PEM root
 * certificates that replace the system's for HTTPS, or NULL. */
int kbs_http_new(const char *url, const char *ca_file, kbs_http **ret, cc_error **err);
/* Root certificates for HTTPS from PEM text (len bytes) instead of a
 * file, replacing the ca_file's or the system's (the AA config's "cert").
 * The text is copied. */
int kbs_http_set_ca_pem(kbs_http *h, const char *pem, size_t len, cc_error **err);
/* Frees h and wipes its session cookie; NULL is a no-op. */
void kbs_http_free(kbs_http *h);
/* Forgets the session cookie (a new RCAR starts a new session). */
void kbs_http_forget_session(kbs_http *h);
/* The base URL as given (for messages). */
const char *kbs_http_url(const kbs_http *h);

struct kbs_http_resp {
	long status;
	cc_buf body; /* at most the call's max_body bytes */
};

struct kbs_http_call {
	const char *method;       /* GET, POST, DELETE */
	const char *path;         /* after /kbs/v0/, already escaped */
	const char *content_type; /* of the body, or NULL */
	const void *body;
	size_t body_len;
	const char *bearer; /* Authorization: Bearer value or NULL; never logged */
	size_t max_body;    /* answer bodies over it fail with -EFBIG */
};

/* One request. Sends the session cookie when there is one and keeps a new
 * one the answer sets. Returns 0 when an HTTP answer arrived (any status),
 * or a negative errno for transport failures (-ECONNREFUSED, -ETIMEDOUT,
 * -EPROTO for TLS, -ECONNRESET, -EIO) or an answer over max_body (-EFBIG).
 * r must be cleared with kbs_http_resp_clear. */
int kbs_http_do(kbs_http *h, const struct kbs_http_call *c, struct kbs_http_resp *r,
                cc_error **err);
/* Wipes and frees the body (it may hold a JWE or a token). */
void kbs_http_resp_clear(struct kbs_http_resp *r);

/* An error for a non-2xx answer: "<what>: HTTP <status> <Variant>: <detail>"
 * from a Trustee error body, or the status and a short printable excerpt
 * of another body. Returns code. */
int kbs_http_status_error(const struct kbs_http_resp *r, int code, const char *what,
                          cc_error **err);

/* Percent-encodes every character of s but the RFC 3986 unreserved ones
 * and '/' (an id that may span segments). malloc'd or NULL. */
char *kbs_http_escape_path(const char *s);

/* ---- flows (kbs_rcar.c) ----------------------------------------------- */

struct kbs_rcar {
	attest_attester *attester; /* borrowed */
	const cj_jwk *tee_key;     /* private; its public part goes in tee-pubkey */
	const char *init_data;     /* TOML text or NULL */
	size_t init_data_len;
};

/* Runs Request-Challenge-Attestation on a fresh session and returns the
 * attestation token (*ret_token, malloc'd). A transport failure or a 5xx
 * answer is retried (CC_KBS_CLIENT_RCAR_ATTEMPTS in all, 1 s apart, as the
 * guest client retries); a refusal (4xx) is final at once. */
int kbs_rcar_token(kbs_http *h, const struct kbs_rcar *o, char **ret_token, cc_error **err);

/* GETs /kbs/v0/resource/PATH and decrypts the JWE with key. With o (RCAR
 * mode) the session comes from kbs_rcar_token, and a 401 starts a new one
 * (CC_KBS_CLIENT_GET_ATTEMPTS GETs in all, as the guest client); with a
 * bearer token instead (o NULL) the token is sent as is and a 401 is
 * final. *ret (cj_free_secret) and *ret_len: the plaintext. */
int kbs_get_resource(kbs_http *h, const char *path, const struct kbs_rcar *o,
                     const char *bearer, const cj_jwk *key, unsigned char **ret,
                     size_t *ret_len, cc_error **err);

/* One GET /kbs/v0/resource/PATH (path already checked) with the session
 * cookie (and bearer when not NULL), decrypted with key. *ret_status: the
 * HTTP status (0 when none arrived); *ret_session: a 401 that refuses the
 * session or token (a new RCAR may help), not one of Trustee's variants
 * about the resource itself (PluginInternalError for a missing one,
 * PolicyDeny, ...). -ENOENT for 404, -EPERM for other statuses, transport
 * and decryption errors as they come. */
int kbs_resource_fetch(kbs_http *h, const char *path, const char *bearer, const cj_jwk *key,
                       unsigned char **ret, size_t *ret_len, long *ret_status,
                       bool *ret_session, cc_error **err);

/* Decrypts a resource answer (a flattened JWE) with key. */
int kbs_resource_decrypt(const cj_jwk *key, const char *jwe, size_t len, unsigned char **ret,
                         size_t *ret_len, cc_error **err);

/* An admin call: method on path with body, the admin token as Bearer (NULL:
 * anonymous). 200 is success; *ret_body (if not NULL) gets the answer
 * (malloc'd, NUL-terminated). */
int kbs_admin_call(kbs_http *h, const char *method, const char *path, const char *content_type,
                   const void *body, size_t len, const char *token, char **ret_body,
                   size_t *ret_len, cc_error **err);

/* ---- keys and files (kbs_keys.c) -------------------------------------- */

/* A fresh TEE key: EC P-256 with alg ECDH-ES+A256KW (guest-components'
 * default). */
int kbs_tee_key_generate(cj_jwk **ret, cc_error **err);
/* A fresh TEE key for an attestation agent's tee_key_algorithm
 * (guest-components' names): "ECDH-ES+A256KW-P256" (also NULL, the
 * default), "ECDH-ES+A256KW-P521", "RSA-OAEP-256" (RSA 2048). Anything else
 * (ML-KEM-768+A192KW among them) is -ENOTSUP naming it. */
int kbs_tee_key_new(const char *algorithm, cj_jwk **ret, cc_error **err);
/* A TEE key from a PEM private key: RSA (alg RSA-OAEP-256; 2048 bits or
 * more) or EC P-256/P-521 (ECDH-ES+A256KW). `what` names the file. */
int kbs_tee_key_from_pem(const char *pem, size_t len, const char *what, cj_jwk **ret,
                         cc_error **err);

/* How the client reads its files (cc_read_file): regular files only, and
 * their contents (keys, tokens, resources) wiped from every buffer freed on
 * the way; the caller frees with cj_free_secret. */
#define KBS_CLIENT_READ (CC_READ_REGULAR | CC_READ_SECRET)

/* The admin token file kbs-client would use when none is given: the first
 * of ./kbs/config/docker-compose/admin-token and $HOME/.trustee/admin-token
 * that exists (malloc'd path), or NULL (anonymous). */
char *kbs_default_admin_token_path(void);

#endif
