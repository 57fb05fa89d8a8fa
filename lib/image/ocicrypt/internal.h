/* Internal pieces of lib/image/ocicrypt shared between its files, the
 * cocoon-keyprovider program, the fuzz targets and the tests. */
#ifndef COCOON_IMAGE_OCICRYPT_INTERNAL_H
#define COCOON_IMAGE_OCICRYPT_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "cocoon/buf.h"
#include "cocoon/error.h"
#include "cocoon/file.h"
#include "digest.h"
#include "ocicrypt.h"

#define OC_ANN_PREFIX "org.opencontainers.image.enc.keys."
#define OC_ANN_PROVIDER_PREFIX "org.opencontainers.image.enc.keys.provider."
#define OC_ANN_PUBOPTS "org.opencontainers.image.enc.pubopts"
#define OC_CIPHER_AES256CTR "AES_256_CTR_HMAC_SHA256"
#define OC_SYMKEY_LEN 32
#define OC_NONCE_LEN 16
#define OC_HMAC_LEN 32

/* ---- base64 and JSON byte fields (b64.c) -------------------------------- */

/* Decodes standard base64 with padding (Go's base64.StdEncoding; no
 * whitespace) of n bytes at s into a new buffer of at most max bytes
 * (what names the field in errors). The buffer has one spare NUL byte. */
int oc_b64_decode(const char *s, size_t n, size_t max, unsigned char **ret, size_t *ret_len,
                  const char *what, cc_error **err);
/* Standard base64 with padding, NUL-terminated; NULL on OOM. */
char *oc_b64_encode(const void *p, size_t n);

/* A Go []byte field: a base64 string (Go) or an array of integers 0..255
 * (serde Vec<u8>, ocicrypt-rs / CoCo). JSON null gives an empty result. */
int oc_json_bytes(const json_t *v, size_t max, unsigned char **ret, size_t *ret_len,
                  const char *what, cc_error **err);
/* As a base64 string / as an integer array. NULL on OOM. */
json_t *oc_json_bytes_b64(const void *p, size_t n);
json_t *oc_json_bytes_ints(const void *p, size_t n);

/* Parses n bytes of JSON (duplicate keys rejected, at most max bytes). */
int oc_json_parse(const void *p, size_t n, size_t max, json_t **ret, const char *what,
                  cc_error **err);

/* Frees n bytes at p after wiping them. */
void oc_free_secret(void *p, size_t n);

/* ---- cipher options (opts.c) -------------------------------------------- */

/* The private layer block cipher options (Go PrivateLayerBlockCipherOptions):
 * {"symkey":b64,"digest":"sha256:..","cipheroptions":{"nonce":b64}}. */
struct oc_plbco {
	unsigned char symkey[OC_SYMKEY_LEN];
	unsigned char nonce[OC_NONCE_LEN];
	img_digest digest; /* of the plain (unencrypted) blob */
};

int oc_plbco_parse(const void *p, size_t n, struct oc_plbco *ret, cc_error **err);
/* Serialises as Go's json.Marshal does; *ret is a secret (oc_free_secret). */
int oc_plbco_dump(const struct oc_plbco *o, char **ret, size_t *ret_len, cc_error **err);
void oc_plbco_wipe(struct oc_plbco *o);

/* The public options (enc.pubopts, base64 of
 * {"cipher":"AES_256_CTR_HMAC_SHA256","hmac":b64,"cipheroptions":{}}). */
struct oc_pubopts {
	bool has_hmac;
	unsigned char hmac[OC_HMAC_LEN];
};

/* b64 may be NULL (annotation missing): defaults (cipher AES-256-CTR, no
 * HMAC, which fails at the end as in Go). Unknown cipher -> -ENOTSUP. */
int oc_pubopts_parse_b64(const char *b64, size_t n, struct oc_pubopts *ret, cc_error **err);
char *oc_pubopts_dump_b64(const unsigned char hmac[OC_HMAC_LEN]);

/* ---- the layer cipher (cipher.c) ---------------------------------------- */

/* A reader of the plain blob over ciphertext that checks the HMAC at the
 * end (see ocicrypt_decrypt_reader); *plain_out (may be NULL; must outlive
 * the reader) gets the digest of the plain bytes when it ends. Takes
 * ownership of inner. */
int oc_cipher_decrypt_reader(img_reader *inner, const struct oc_plbco *o,
                             const struct oc_pubopts *pub, const char *what, img_reader **ret,
                             img_digest *plain_out, cc_error **err);

/* Encryption state shared by the ciphertext reader and the encryptor. */
struct oc_enc_state;
/* A reader of ciphertext over plaintext with a fresh random key and nonce;
 * *ret_state is shared with the reader (refcounted). */
int oc_cipher_encrypt_reader(img_reader *inner, struct oc_enc_state **ret_state,
                             img_reader **ret, cc_error **err);
/* After the reader ended: the PLBCO (digest of the plaintext that passed)
 * and the HMAC. -EINVAL before the end. */
int oc_enc_state_result(const struct oc_enc_state *s, struct oc_plbco *ret_opts,
                        unsigned char ret_hmac[OC_HMAC_LEN], cc_error **err);
void oc_enc_state_unref(struct oc_enc_state *s);

/* ---- keys (keys.c) ------------------------------------------------------ */

struct oc_key {
	EVP_PKEY *pkey;
	char *name; /* file name, for messages */
};

/* Loads a private key (PEM, DER or JWK) from memory. */
int oc_load_private_key(const void *data, size_t n, const char *password, const char *name,
                        EVP_PKEY **ret, cc_error **err);
/* Loads a public key (PEM/DER SubjectPublicKeyInfo, PKCS#1, JWK). */
int oc_load_public_key(const void *data, size_t n, const char *name, EVP_PKEY **ret,
                       cc_error **err);
/* Loads an X.509 certificate (PEM or DER). */
int oc_load_cert(const void *data, size_t n, const char *name, X509 **ret, cc_error **err);
/* Key, certificate and config files are read with cc_read_file
 * (cocoon/file.h): regular files only, wiped when freed on the way. */
#define OC_READ (CC_READ_REGULAR | CC_READ_SECRET)

/* The private keys of a key set (jwe and pkcs7 unwrap). */
size_t oc_keys_count(const ocicrypt_keys *k);
const struct oc_key *oc_keys_at(const ocicrypt_keys *k, size_t i);

/* ---- keyprovider config (kpconfig.c) ------------------------------------ */

enum oc_kp_kind { OC_KP_CMD, OC_KP_GRPC, OC_KP_TTRPC, OC_KP_NATIVE };

struct oc_kp {
	char *name;
	enum oc_kp_kind kind;
	char *path;   /* cmd */
	char **args;  /* cmd, NULL-terminated */
	char *addr;   /* grpc / ttrpc / native */
};

struct oc_kpconfig {
	struct oc_kp *v;
	size_t n;
};

/* Parses an OCICRYPT_KEYPROVIDER_CONFIG document (file names it). */
int oc_kpconfig_parse(const void *p, size_t n, const char *file, struct oc_kpconfig **ret,
                      cc_error **err);
/* Reads the file at path; a missing file is an empty config (as in Go). */
int oc_kpconfig_load(const char *path, struct oc_kpconfig **ret, cc_error **err);
void oc_kpconfig_free(struct oc_kpconfig *c);
const struct oc_kp *oc_kpconfig_find(const struct oc_kpconfig *c, const char *name);

/* The config of a key set / recipient list (loaded on first use from the
 * environment unless set). NULL with 0 when there is none. */
int oc_keys_kpconfig(const ocicrypt_keys *k, const struct oc_kpconfig **ret, cc_error **err);
/* Whether the key set lets key provider name unwrap (a config given with
 * ocicrypt_keys_set_provider_config, or provider:NAME among the keys), and
 * whether it lets any provider at all. */
bool oc_keys_provider_allowed(const ocicrypt_keys *k, const char *name);
bool oc_keys_providers_enabled(const ocicrypt_keys *k);

/* ---- keyprovider protocol messages (kpmsg.c) ----------------------------- */

enum oc_kp_op { OC_KP_KEYWRAP, OC_KP_KEYUNWRAP };

/* One decoded request (what a provider reads on stdin). */
struct oc_kp_request {
	enum oc_kp_op op;
	json_t *ec_params;      /* keywrap: ec.Parameters (object or NULL) */
	unsigned char *optsdata; /* keywrap: the PLBCO (secret) */
	size_t optsdata_len;
	unsigned char *annotation; /* keyunwrap */
	size_t annotation_len;
};

int oc_kp_request_parse(const void *p, size_t n, struct oc_kp_request *ret, cc_error **err);
void oc_kp_request_clear(struct oc_kp_request *r);

/* Builds the requests as Go ocicrypt marshals them ([]byte as base64).
 * params: provider name -> array of byte strings (already JSON). */
int oc_kp_keywrap_request(const json_t *params, const void *optsdata, size_t n, char **ret,
                          size_t *ret_len, cc_error **err);
int oc_kp_keyunwrap_request(const void *annotation, size_t n, char **ret, size_t *ret_len,
                            cc_error **err);

/* Parses a provider's answer: the keywrapresults.annotation or the
 * keyunwrapresults.optsdata bytes (base64 string or integer array). */
int oc_kp_response_parse(const void *p, size_t n, enum oc_kp_op op, unsigned char **ret,
                         size_t *ret_len, cc_error **err);
/* Builds an answer with the bytes as an integer array (as CoCo's
 * coco_keyprovider does; Go and Rust clients both read it). */
int oc_kp_response_build(enum oc_kp_op op, const void *p, size_t n, char **ret,
                         size_t *ret_len, cc_error **err);

/* Runs a cmd keyprovider: writes the request to its stdin, returns its
 * stdout (at most CC_IMG_MAX_KEYPROVIDER_MSG bytes). Kills and reaps it on
 * timeout or error. */
int oc_kp_exec(const struct oc_kp *kp, const void *req, size_t req_len, int timeout_ms,
               unsigned char **ret, size_t *ret_len, cc_error **err);

/* Sends one request to the provider (cmd only for now) and returns the
 * result bytes. */
int oc_kp_call(const struct oc_kp *kp, enum oc_kp_op op, const char *req, size_t req_len,
               unsigned char **ret, size_t *ret_len, cc_error **err);

/* ---- annotation packets of CoCo (annotation_packet.c) -------------------- */

/* confidential-data-hub hub/src/image/annotation_packet: v1
 * {"kid","wrapped_data","iv","wrap_type"} and v2 (adds "version",
 * "provider", "provider_settings", "annotations"). */
struct oc_annotation_packet {
	char *kid;
	unsigned char *wrapped_data;
	size_t wrapped_len;
	unsigned char *iv;
	size_t iv_len;
	char *wrap_type; /* "A256GCM" (default) or "A256CTR" */
	char *provider;  /* "kbs" (default) */
};

int oc_annotation_packet_parse(const void *p, size_t n, struct oc_annotation_packet *ret,
                               cc_error **err);
void oc_annotation_packet_clear(struct oc_annotation_packet *a);
/* Builds a v1 packet (the form coco_keyprovider emits). */
int oc_annotation_packet_build(const char *kid, const void *wrapped, size_t wrapped_len,
                               const void *iv, size_t iv_len, char **ret, size_t *ret_len,
                               cc_error **err);

/* Unwraps the packet's wrapped_data with a 32-byte KEK (A256GCM: data is
 * ciphertext || 16-byte tag, 12-byte iv; A256CTR: 16-byte iv). The result
 * is a secret. */
int oc_annotation_packet_unwrap(const struct oc_annotation_packet *a, const unsigned char kek[32],
                                unsigned char **ret, size_t *ret_len, cc_error **err);
/* AES-256-GCM with a random 12-byte IV: *ret_ct = ciphertext || tag. */
int oc_aes256gcm_wrap(const unsigned char kek[32], const void *pt, size_t n,
                      unsigned char iv[12], unsigned char **ret_ct, size_t *ret_len,
                      cc_error **err);

/* Maps a KBS resource URI (kbs:///repo/type/tag, kbs://host/repo/type/tag,
 * /repo/type/tag or repo/type/tag) to "repo/type/tag" in out (each segment
 * [A-Za-z0-9._-], not "." or ".."). */
int oc_kid_path(const char *kid, char *out, size_t out_size, cc_error **err);

/* Accessors of a recipient list (keys.c) for encrypt.c. */
void oc_recipients_get(const ocicrypt_recipients *r, EVP_PKEY *const **jwe, size_t *njwe,
                       X509 *const **certs, size_t *ncerts, const json_t **providers);
int oc_recipients_kpconfig(const ocicrypt_recipients *r, const struct oc_kpconfig **ret,
                           cc_error **err);

/* ---- wrappers (jwe.c, pkcs7.c) ------------------------------------------ */

/* Each wrap returns in *ret the wrapper's output for all its recipients (or
 * NULL with 0 when it has none); each unwrap returns the PLBCO (a secret)
 * or an error saying why no key fitted. */
int oc_jwe_wrap(const EVP_PKEY *const *keys, size_t n, const void *opts, size_t opts_len,
                unsigned char **ret, size_t *ret_len, cc_error **err);
int oc_jwe_unwrap(const ocicrypt_keys *k, const void *pkt, size_t n, unsigned char **ret,
                  size_t *ret_len, cc_error **err);
/* Number of recipients in a JWE (for messages), 0 if it does not parse. */
size_t oc_jwe_recipient_count(const void *pkt, size_t n);

int oc_pkcs7_wrap(X509 *const *certs, size_t n, const void *opts, size_t opts_len,
                  unsigned char **ret, size_t *ret_len, cc_error **err);
int oc_pkcs7_unwrap(const ocicrypt_keys *k, const void *pkt, size_t n, unsigned char **ret,
                    size_t *ret_len, cc_error **err);

#endif
