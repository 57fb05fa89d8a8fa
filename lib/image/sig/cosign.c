/* Cosign signatures in public-key mode (containers/image
 * docker/docker_image_src.go getSignaturesFromSigstoreAttachments,
 * signature/policy_eval_sigstore.go, signature/internal/cosign_payload.go;
 * cosign's specs/SIGNATURE_SPEC.md):
 *
 *   the signatures of manifest sha256:<hex> of repo are the OCI image
 *   <repo>:sha256-<hex>.sig; each layer is one signature: its blob is the
 *   payload, its annotation dev.cosignproject.cosign/signature the base64
 *   signature over the payload bytes.
 *
 * The registry is reached through the caller's callbacks; every blob is
 * checked against its descriptor's digest and size here. Verification is
 * OpenSSL's, with the key types and hashes sigstore's LoadVerifier uses
 * for crypto.SHA256: ECDSA (ASN.1 signature) and RSA PKCS#1 v1.5 over
 * SHA-256, Ed25519 over the payload itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "jsonx.h"
#include "sig_int.h"
#include "util.h"

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define SIG_ANNOTATION "dev.cosignproject.cosign/signature"

/* ---- reading the signature image -------------------------------------- */

/* One layer descriptor: digest, size, media type, signature annotation. */
static int read_layer(json_t *l, img_digest *d, int64_t *size, const char **mt,
                      const char **sig, cc_error **err)
{
	const char *ds;
	json_t *sz = json_object_get(l, "size"), *ann = json_object_get(l, "annotations");
	if (!json_is_object(l))
		return cc_error_set(err, -EINVAL, "must be an object");
	int r = sig_json_str(l, "digest", &ds, err);
	if (r == 0)
		r = sig_json_str(l, "mediaType", mt, err);
	if (r < 0)
		return r;
	if (ds == NULL || *mt == NULL || !json_is_integer(sz) || json_integer_value(sz) < 0)
		return cc_error_set(err, -EINVAL, "needs \"mediaType\", \"digest\" and \"size\"");
	if ((r = img_digest_parse(ds, strlen(ds), d, err)) < 0)
		return r;
	*size = json_integer_value(sz);
	*sig = NULL;
	if (ann != NULL && !json_is_object(ann))
		return cc_error_set(err, -EINVAL, "\"annotations\" must be an object");
	return ann == NULL ? 0 : sig_json_str(ann, SIG_ANNOTATION, sig, err);
}

/* Fetches one layer's payload and appends it to out. */
static int fetch_layer(const struct sig_callbacks *cb, void *ctx, const char *repo, json_t *l,
                       const char *tag, size_t i, struct sig_blobs *out, cc_error **err)
{
	img_digest d, got;
	int64_t size = 0;
	const char *mt = NULL, *sig = NULL;
	int r = read_layer(l, &d, &size, &mt, &sig, err);
	if (r < 0)
		return cc_error_wrap(err, "%s:%s: layer %zu", repo, tag, i);
	if ((uint64_t)size > CC_IMG_MAX_SIGNATURE_BYTES)
		return cc_error_set(err, -EFBIG, "%s:%s: layer %zu: %lld bytes, more than %u", repo, tag,
		                    i, (long long)size, CC_IMG_MAX_SIGNATURE_BYTES);
	void *p = NULL;
	size_t n = 0;
	if ((r = cb->get_blob(ctx, repo, &d, size, CC_IMG_MAX_SIGNATURE_BYTES, &p, &n, err)) < 0)
		return cc_error_wrap(err, "%s:%s: layer %zu", repo, tag, i);
	r = img_digest_bytes(d.alg, p, n, &got, err);
	if (r == 0 && (n != (uint64_t)size || !img_digest_eq(&d, &got)))
		r = cc_error_set(err, -EBADMSG, "%s:%s: layer %zu does not match its descriptor", repo,
		                 tag, i);
	char *where = NULL;
	if (r == 0 && asprintf(&where, "%s:%s layer %zu", repo, tag, i + 1) < 0) {
		where = NULL;
		r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		free(p);
		return r;
	}
	if ((r = sig_blobs_push(out, p, n, where, err)) < 0)
		return r;
	struct sig_blob *b = &out->v[out->n - 1];
	if ((b->media_type = strdup(mt)) == NULL || (sig && (b->annotation = strdup(sig)) == NULL))
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int parse_sig_manifest(const void *m, size_t n, const char *media_type, const char *what,
                              json_t **ret, cc_error **err)
{
	char q[SIG_QUOTE_MAX];
	if (media_type != NULL && strcmp(media_type, OCI_MANIFEST) != 0)
		return cc_error_set(err, -EINVAL, "%s: unexpected media type \"%s\" for a signature "
		                                  "manifest",
		                    what, sig_quotes(media_type, q));
	json_t *root = NULL;
	int r = sig_json_load(m, n, what, &root, err);
	if (r < 0)
		return r;
	const char *mt = NULL;
	json_t *layers = json_object_get(root, "layers");
	if ((r = sig_json_str(root, "mediaType", &mt, err)) < 0 ||
	    (mt != NULL && strcmp(mt, OCI_MANIFEST) != 0) || !json_is_array(layers) ||
	    json_object_get(root, "manifests") != NULL) {
		json_decref(root);
		return r < 0 ? cc_error_wrap(err, "%s", what)
		             : cc_error_set(err, -EINVAL, "%s: not an OCI image manifest", what);
	}
	if (json_array_size(layers) > CC_IMG_MAX_SIGNATURES) {
		json_decref(root);
		return cc_error_set(err, -E2BIG, "%s: more than %u signatures", what,
		                    CC_IMG_MAX_SIGNATURES);
	}
	*ret = root;
	return 0;
}

int sig_cosign_fetch(const struct sig_callbacks *cb, void *ctx, const char *repo,
                     const img_digest *d, struct sig_blobs *out, cc_error **err)
{
	if (cb == NULL || cb->get_manifest == NULL || cb->get_blob == NULL)
		return 0;
	char hex[129], tag[IMG_DIGEST_STR_MAX + 8];
	snprintf(tag, sizeof(tag), "%s-%s.sig", img_digest_alg_name(d->alg), img_digest_hex(d, hex));
	void *m = NULL;
	size_t n = 0;
	_cleanup_free_ char *mt = NULL;
	cc_error *e = NULL;
	int r = cb->get_manifest(ctx, repo, tag, CC_IMG_MAX_MANIFEST_BYTES, &m, &n, &mt, &e);
	if (r == -ENOENT) {
		cc_error_free(e);
		return 0;
	}
	if (r < 0) {
		cc_error_move(err, &e);
		return cc_error_wrap(err, "%s:%s", repo, tag);
	}
	_cleanup_free_ char *what = NULL;
	if (asprintf(&what, "%s:%s", repo, tag) < 0) {
		free(m);
		what = NULL;
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	_cleanup_(json_decrefp) json_t *root = NULL;
	r = n > CC_IMG_MAX_MANIFEST_BYTES
	        ? cc_error_set(err, -EFBIG, "%s: manifest too large", what)
	        : parse_sig_manifest(m, n, mt, what, &root, err);
	free(m);
	if (r < 0)
		return r;
	json_t *layers = json_object_get(root, "layers"), *l;
	size_t i;
	json_array_foreach(layers, i, l) {
		if ((r = fetch_layer(cb, ctx, repo, l, tag, i, out, err)) < 0)
			return r;
	}
	return 0;
}

/* ---- verification ----------------------------------------------------- */

CC_DEFINE_CLEANUP(EVP_PKEY, EVP_PKEY_free)
CC_DEFINE_CLEANUP(EVP_MD_CTX, EVP_MD_CTX_free)

/* The public key of the first PEM block, which must be "PUBLIC KEY" or
 * "RSA PUBLIC KEY" (sigstore cryptoutils.UnmarshalPEMToPublicKey). */
static int load_pem_key(const unsigned char *pem, size_t n, EVP_PKEY **ret, cc_error **err)
{
	const char *b = memmem(pem, n, "-----BEGIN ", 11);
	size_t off = b ? (size_t)(b - (const char *)pem) : n;
	bool pub = n - off > 26 && memcmp(b + 11, "PUBLIC KEY-----", 15) == 0;
	bool rsa = n - off > 30 && memcmp(b + 11, "RSA PUBLIC KEY-----", 19) == 0;
	if (b == NULL || (!pub && !rsa))
		return cc_error_set(err, -EINVAL, "not a PEM \"PUBLIC KEY\" or \"RSA PUBLIC KEY\"");
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = (const unsigned char *)b;
	size_t len = n - off;
	OSSL_DECODER_CTX *dc = OSSL_DECODER_CTX_new_for_pkey(
	    &pkey, "PEM", pub ? "SubjectPublicKeyInfo" : "type-specific", rsa ? "RSA" : NULL,
	    EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	bool ok = dc != NULL && OSSL_DECODER_from_data(dc, &p, &len) == 1 && pkey != NULL;
	OSSL_DECODER_CTX_free(dc);
	if (!ok) {
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		return cc_error_set(err, -EINVAL, "cannot parse the public key");
	}
	*ret = pkey;
	return 0;
}

/* The digest to use with key k (NULL: none, Ed25519), or an error. */
static int key_md(EVP_PKEY *k, const char **ret, cc_error **err)
{
	char group[64];
	if (EVP_PKEY_is_a(k, "ED25519")) {
		*ret = NULL;
		return 0;
	}
	*ret = "SHA256";
	if (EVP_PKEY_is_a(k, "RSA")) {
		if (EVP_PKEY_get_bits(k) < 2048)
			return cc_error_set(err, -EINVAL, "RSA key of %d bits (at least 2048 needed)",
			                    EVP_PKEY_get_bits(k));
		return 0;
	}
	if (EVP_PKEY_is_a(k, "EC") &&
	    EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   NULL) == 1 &&
	    (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0 ||
	     strcmp(group, "secp521r1") == 0))
		return 0;
	return cc_error_set(err, -EINVAL, "unsupported public key type %s (ECDSA P-256/P-384/P-521, "
	                                  "RSA or Ed25519 expected)",
	                    EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "?");
}

int sig_cosign_verify(const unsigned char *pem, size_t pem_len, const char *b64,
                      const unsigned char *payload, size_t payload_len, cc_error **err)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
	const char *md = NULL;
	int r = load_pem_key(pem, pem_len, &k, err);
	if (r == 0)
		r = key_md(k, &md, err);
	if (r < 0)
		return r;
	_cleanup_free_ unsigned char *sig = NULL;
	size_t sig_len = 0;
	if ((r = sig_b64_decode(b64, strlen(b64), "signature annotation", &sig, &sig_len, err)) < 0)
		return r;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (EVP_DigestVerifyInit_ex(c, NULL, md, NULL, NULL, k, NULL) != 1)
		r = cc_error_set(err, -EINVAL, "cannot set up signature verification");
	else if (EVP_DigestVerify(c, sig, sig_len, payload, payload_len) != 1)
		r = cc_error_set(err, -EPERM, "cryptographic signature verification failed");
	ERR_clear_error();
	return r;
}
