/* ocicrypt: OCI layer encryption (docs/ocicrypt.md), wire-compatible with
 * Go containers/ocicrypt (skopeo, containerd imgcrypt) and ocicrypt-rs
 * (image-rs in the CoCo guest).
 *
 * An encrypted layer is the plain blob under AES-256-CTR with an
 * HMAC-SHA256 of the ciphertext (cipher AES_256_CTR_HMAC_SHA256). The
 * symmetric key, the nonce and the digest of the plain blob form the
 * "private layer block cipher options" (PLBCO), a small JSON document that
 * key wrappers (jwe, pkcs7, provider) encrypt to recipients; the wrapped
 * copies travel in the layer descriptor's annotations
 * org.opencontainers.image.enc.keys.<wrapper>, the HMAC in
 * org.opencontainers.image.enc.pubopts.
 *
 * Everything here follows the error contract (docs/errors.md): functions
 * return 0 or a negative errno and fill *err; messages never contain key
 * material.
 */
#ifndef COCOON_IMAGE_OCICRYPT_H
#define COCOON_IMAGE_OCICRYPT_H

#include <jansson.h>
#include <stdbool.h>

#include "cocoon/error.h"
#include "digest.h"
#include "reader.h"

/* ---- media types (image-spec layer types + "+encrypted") ---------------- */

/* True if mt is one of the encrypted layer media types. */
bool ocicrypt_media_type_is_encrypted(const char *mt);

/* The plain media type of an encrypted one ("...tar+gzip+encrypted" ->
 * "...tar+gzip"), or NULL if mt is not an encrypted layer type. Static. */
const char *ocicrypt_media_type_plain(const char *mt);

/* The encrypted media type of a plain layer type, or NULL if mt is not a
 * layer type that can be encrypted. Docker's rootfs.diff.tar.gzip maps to
 * the OCI tar+gzip+encrypted, as Go ocicrypt does. Static. */
const char *ocicrypt_media_type_encrypted(const char *mt);

/* ---- decryption keys (skopeo --decryption-key) -------------------------- */

typedef struct ocicrypt_keys ocicrypt_keys;

/* An empty key set. The keyprovider config is read lazily from
 * $OCICRYPT_KEYPROVIDER_CONFIG unless ocicrypt_keys_set_provider_config()
 * names one. NULL on OOM. */
ocicrypt_keys *ocicrypt_keys_new(void);
void ocicrypt_keys_free(ocicrypt_keys *k);

/* Adds a private key as skopeo's --decryption-key spells it:
 *   FILE | FILE:pass=PASSWORD | FILE:file=PASSWORDFILE | FILE:fd=N | FILE:PASSWORD
 * FILE holds a PEM or DER private key (PKCS#1, SEC1, PKCS#8, encrypted
 * PKCS#8 or encrypted traditional PEM) or a private JWK. The key serves the
 * jwe and pkcs7 wrappers. */
int ocicrypt_keys_add(ocicrypt_keys *k, const char *spec, cc_error **err);

/* Adds a private key from memory (name is used in messages; password may
 * be NULL). */
int ocicrypt_keys_add_mem(ocicrypt_keys *k, const void *data, size_t n, const char *password,
                          const char *name, cc_error **err);

/* Uses the keyprovider config file at path (NULL: none at all, not even
 * from the environment). Parsed now; errors name the file. */
int ocicrypt_keys_set_provider_config(ocicrypt_keys *k, const char *path, cc_error **err);

/* ---- encryption recipients (skopeo --encryption-key) -------------------- */

typedef struct ocicrypt_recipients ocicrypt_recipients;

/* An empty recipient list (keyprovider config as for ocicrypt_keys_new).
 * NULL on OOM. */
ocicrypt_recipients *ocicrypt_recipients_new(void);
void ocicrypt_recipients_free(ocicrypt_recipients *r);

/* Adds a recipient as skopeo's --encryption-key spells it:
 *   jwe:PUBKEY   a PEM/DER public key or a public JWK (RSA or EC)
 *   pkcs7:CERT   an X.509 certificate (PEM or DER) with an RSA key
 *   provider:NAME[:ARGS]  the keyprovider NAME from the keyprovider config
 *                (ARGS, or "Enabled" when absent, is passed to it) */
int ocicrypt_recipients_add(ocicrypt_recipients *r, const char *spec, cc_error **err);

/* See ocicrypt_keys_set_provider_config. */
int ocicrypt_recipients_set_provider_config(ocicrypt_recipients *r, const char *path,
                                            cc_error **err);

/* ---- layers ------------------------------------------------------------- */

/* Decrypts a layer. annotations are the layer descriptor's (a JSON object of
 * strings); media_type its media type (must be an encrypted one).
 * Unwraps the PLBCO with the first annotation/key that works, then returns
 * in *ret a reader of the plain blob. The reader checks, when the
 * ciphertext ends, the HMAC (pubopts); a mismatch fails the read that would
 * have returned 0 ("HMAC mismatch"), so a consumer that read to the end saw
 * the check pass. The PLBCO's plaintext digest is not enforced, as in Go
 * ocicrypt and ocicrypt-rs (skopeo records the digest of the layer before
 * it compressed it): consumers check what they know (a pull checks the
 * diff_id; ocicrypt_decrypt_reader_digest gives the real digest). Takes
 * ownership of ciphertext (freed on failure too). */
int ocicrypt_decrypt_reader(const ocicrypt_keys *keys, const char *media_type,
                            const json_t *annotations, img_reader *ciphertext, img_reader **ret,
                            cc_error **err);

/* As ocicrypt_decrypt_reader, and *ret_plain (may be NULL; it must outlive
 * the reader) gets the digest of the plain bytes when the reader ends
 * without error, so a caller need not hash them again. */
int ocicrypt_decrypt_reader_digest(const ocicrypt_keys *keys, const char *media_type,
                                   const json_t *annotations, img_reader *ciphertext,
                                   img_reader **ret, img_digest *ret_plain, cc_error **err);

/* Encrypts a layer: ocicrypt_encryptor_new() returns in *ret_ciphertext a
 * reader of the encrypted blob over plaintext (ownership of plaintext
 * passes to it, also on failure). Read it to the end, then call
 * ocicrypt_encryptor_finish(), which wraps the PLBCO to every recipient and
 * returns the encrypted media type and the new annotations (enc.keys.*,
 * enc.pubopts) to merge into the descriptor. The reader and the encryptor
 * may be freed in either order. Random key and nonce from OpenSSL RAND. */
typedef struct ocicrypt_encryptor ocicrypt_encryptor;

int ocicrypt_encryptor_new(const ocicrypt_recipients *r, const char *plain_media_type,
                           img_reader *plaintext, ocicrypt_encryptor **ret,
                           img_reader **ret_ciphertext, cc_error **err);

/* After the ciphertext reader returned 0: *ret_media_type (static) and
 * *ret_annotations (new object, caller frees). -EINVAL if the stream was
 * not read to its end. */
int ocicrypt_encryptor_finish(ocicrypt_encryptor *e, const char **ret_media_type,
                              json_t **ret_annotations, cc_error **err);

void ocicrypt_encryptor_free(ocicrypt_encryptor *e);

#endif
