/* Internal interfaces between the files of lib/image/sig. */
#ifndef COCOON_IMAGE_SIG_INT_H
#define COCOON_IMAGE_SIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"
#include "digest.h"
#include "dockerref.h"
#include "sig.h"

/* ---- lookaside.c ------------------------------------------------------ */

/* The lookaside base URL for a reference whose policy identity is
 * identity and namespaces ns (NULL-terminated), as containers/image's
 * signatureTopLevel picks it ("lookaside", else "sigstore", of the most
 * specific namespace that has one, else of "default-docker"). NULL when
 * none is configured. The string belongs to l. */
const char *sig_lookaside_base(const sig_lookaside *l, const char *identity, char *const *ns);

/* Whether cosign attachments are read for the reference: the most specific
 * explicit "use-sigstore-attachments", else true (image-rs always reads
 * them; containers/image's default is false, see docs/signatures.md). */
bool sig_lookaside_use_attachments(const sig_lookaside *l, const char *identity,
                                   char *const *ns);

/* ---- fetch.c ---------------------------------------------------------- */

/* A signature read from somewhere (where: "file:///.../signature-1"). */
struct sig_blob {
	unsigned char *p;
	size_t n;
	char *where;
	char *media_type; /* cosign: the layer's media type */
	char *annotation; /* cosign: the base64 signature annotation, or NULL */
};

struct sig_blobs {
	struct sig_blob *v;
	size_t n;
};

void sig_blobs_clear(struct sig_blobs *b);
/* Appends a blob (taking p and where, which are freed on failure too). */
int sig_blobs_push(struct sig_blobs *b, unsigned char *p, size_t n, char *where, cc_error **err);

/* Reads the lookaside signatures of manifest digest d: for N = 1, 2, ...
 * "<base>/<repo_path>@<alg>=<hex>/signature-N" until one does not exist
 * (at most CC_IMG_MAX_SIGNATURES), appending them to out. base is a
 * file:// URL (read beneath its directory: no symlink may lead out of it)
 * or http(s):// (libcurl, TLS verified; ca_file adds CAs). Other schemes,
 * I/O errors and HTTP errors other than 404 fail. */
int sig_lookaside_fetch(const char *base, const char *repo_path, const img_digest *d,
                        const char *ca_file, struct sig_blobs *out, cc_error **err);

/* ---- payload.c -------------------------------------------------------- */

/* The signed claims of a simple-signing or cosign payload (untrusted until
 * the signature over it is verified). */
struct sig_payload {
	char *digest;    /* critical.image.docker-manifest-digest */
	char *reference; /* critical.identity.docker-reference */
};

/* Parses a payload as strictly as containers/image's
 * untrustedSignature.UnmarshalJSON (cosign: UntrustedCosignPayload, whose
 * "optional" may be null and whose type is "cosign container image
 * signature"). -EINVAL naming the field at fault. */
int sig_payload_parse(const void *p, size_t n, bool cosign, struct sig_payload *ret,
                      cc_error **err);
void sig_payload_clear(struct sig_payload *p);

/* ---- keys.c ----------------------------------------------------------- */

/* A key's bytes: keyPath entries are read (absolute paths from the file
 * system, URIs through cb->get_resource), keyData entries copied. */
struct sig_keys {
	struct sig_keydata_buf {
		unsigned char *p;
		size_t n;
		char *name; /* the path or URI, or "keyData" */
	} *v;
	size_t n;
};

struct sig_pr;
int sig_keys_load(const struct sig_pr *pr, const struct sig_callbacks *cb, void *ctx,
                  struct sig_keys *ret, cc_error **err);
void sig_keys_clear(struct sig_keys *k);

/* ---- gpg.c ------------------------------------------------------------ */

typedef struct sig_gpg sig_gpg;

/* A private, temporary GnuPG home under tmpdir (NULL: $TMPDIR or /tmp)
 * holding exactly the keys of keys (which must yield at least one key),
 * with key fetching and agent start-up turned off. */
int sig_gpg_new(const struct sig_keys *keys, const char *tmpdir, sig_gpg **ret, cc_error **err);

/* Verifies an opaque OpenPGP signed message: exactly one signature, good,
 * by a key (or subkey) of one of the imported keys. On success *ret
 * (malloc'd) is the signed content and *ret_fpr the primary key's
 * fingerprint (malloc'd). */
int sig_gpg_verify(sig_gpg *g, const void *sig, size_t n, unsigned char **ret, size_t *ret_len,
                   char **ret_fpr, cc_error **err);

/* Removes the home directory; NULL is a no-op. */
void sig_gpg_free(sig_gpg *g);

/* ---- cosign.c --------------------------------------------------------- */

/* Reads the cosign signatures attached to manifest digest d of repository
 * repo (the OCI image <repo>:<alg>-<hex>.sig) through cb, appending one
 * blob per layer (payload, media type, signature annotation). No manifest
 * (-ENOENT from the callback) means no signatures. */
int sig_cosign_fetch(const struct sig_callbacks *cb, void *ctx, const char *repo,
                     const img_digest *d, struct sig_blobs *out, cc_error **err);

/* Verifies base64 signature b64 over payload with the public key in PEM
 * (a "PUBLIC KEY" or "RSA PUBLIC KEY" block: ECDSA P-256/P-384/P-521 with
 * SHA-256, RSA PKCS#1 v1.5 with SHA-256, Ed25519). 0, -EPERM (does not
 * verify) or -EINVAL (bad key or encoding). */
int sig_cosign_verify(const unsigned char *pem, size_t pem_len, const char *b64,
                      const unsigned char *payload, size_t payload_len, cc_error **err);

#endif
