/* The jwe key wrapper (containers/ocicrypt keywrap/jwe/keywrapper_jwe.go):
 * the PLBCO as the plaintext of a JWE in JSON serialization (RFC 7516 §7.2),
 * content encryption A256GCM, one recipient per public key with alg
 * RSA-OAEP (RSA keys) or ECDH-ES+A256KW (EC keys), as go-jose produces it.
 *
 * Written on OpenSSL, not libjose: Debian 12's libjose 11 cannot wrap with
 * RSA-OAEP or RSA-OAEP-256 on OpenSSL 3 (only RSA1_5 works), see
 * docs/ocicrypt.md. libjose still converts JWKs to and from EVP_PKEY.
 *
 * One recipient gives the flattened form with every header in the protected
 * header, as go-jose's FullSerialize does; several give "recipients" with
 * "alg" (and "epk") in each recipient's header. Unwrapping accepts both, and
 * only the algorithms go-jose can produce for ocicrypt (no RSA1_5, no
 * PBES2, no "dir", GCM content only), so a hostile header cannot choose a
 * weak or costly algorithm. */
#include <errno.h>
#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

#define CEK_MAX 32
#define GCM_IV 12
#define GCM_TAG 16

/* ---- base64url (RFC 7515 §2, no padding) -------------------------------- */

static char *b64url_enc(const void *p, size_t n)
{
	char *s = oc_b64_encode(p, n);
	if (s == NULL)
		return NULL;
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == '=')
		s[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	return s;
}

static json_t *b64url_json(const void *p, size_t n)
{
	_cleanup_free_ char *s = b64url_enc(p, n);
	return s ? json_string(s) : NULL;
}

static int b64url_dec(const json_t *v, size_t max, unsigned char **ret, size_t *ret_len,
                      const char *what, cc_error **err)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (s == NULL)
		return cc_error_set(err, -EINVAL, "jwe: \"%s\" is missing", what);
	if (n % 4 == 1 || n > CC_IMG_MAX_ANNOTATION_BYTES)
		return cc_error_set(err, -EINVAL, "jwe: \"%s\": bad base64url length", what);
	_cleanup_free_ char *t = malloc(n + 3);
	if (t == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+' || c == '/' || c == '=')
			return cc_error_set(err, -EINVAL, "jwe: \"%s\": not base64url", what);
		t[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	size_t len = n;
	while (len % 4)
		t[len++] = '=';
	char w[48];
	snprintf(w, sizeof(w), "jwe: \"%s\"", what);
	return oc_b64_decode(t, len, max, ret, ret_len, w, err);
}

/* ---- algorithms ----------------------------------------------------------- */

static size_t enc_key_len(const char *enc)
{
	if (enc == NULL)
		return 0;
	if (strcmp(enc, "A128GCM") == 0)
		return 16;
	if (strcmp(enc, "A192GCM") == 0)
		return 24;
	if (strcmp(enc, "A256GCM") == 0)
		return 32;
	return 0;
}

static const EVP_CIPHER *gcm_cipher(size_t key_len)
{
	return key_len == 16 ? EVP_aes_128_gcm() : key_len == 24 ? EVP_aes_192_gcm()
	                                                          : EVP_aes_256_gcm();
}

/* RSA-OAEP (SHA-1, MGF1-SHA-1) or RSA-OAEP-256. */
static EVP_PKEY_CTX *rsa_ctx(EVP_PKEY *k, const char *alg, bool encrypt)
{
	bool sha256 = strcmp(alg, "RSA-OAEP-256") == 0;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	const char *md = sha256 ? "SHA256" : "SHA1";
	if (c == NULL || (encrypt ? EVP_PKEY_encrypt_init(c) : EVP_PKEY_decrypt_init(c)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md_name(c, md, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(c, md, NULL) != 1) {
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	return c;
}

static int rsa_wrap(EVP_PKEY *k, const char *alg, const unsigned char *cek, size_t cek_len,
                    unsigned char **ek, size_t *ek_len)
{
	EVP_PKEY_CTX *c = rsa_ctx(k, alg, true);
	size_t n = 0;
	int r = -EIO;
	if (c != NULL && EVP_PKEY_encrypt(c, NULL, &n, cek, cek_len) == 1 &&
	    (*ek = malloc(n)) != NULL) {
		if (EVP_PKEY_encrypt(c, *ek, &n, cek, cek_len) == 1) {
			*ek_len = n;
			r = 0;
		} else {
			free(*ek);
		}
	}
	EVP_PKEY_CTX_free(c);
	return r;
}

static int rsa_unwrap(EVP_PKEY *k, const char *alg, const unsigned char *ek, size_t ek_len,
                      unsigned char *cek, size_t cek_len)
{
	EVP_PKEY_CTX *c = rsa_ctx(k, alg, false);
	unsigned char out[512];
	size_t n = sizeof(out);
	bool ok = c != NULL && (size_t)EVP_PKEY_get_size(k) <= sizeof(out) &&
	          EVP_PKEY_decrypt(c, out, &n, ek, ek_len) == 1 && n == cek_len;
	if (ok)
		memcpy(cek, out, cek_len);
	OPENSSL_cleanse(out, sizeof(out));
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -EACCES;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* ECDH then the Concat KDF of RFC 7518 §4.6.2 (NIST SP 800-56A single-step
 * KDF with SHA-256: OpenSSL's SSKDF), empty apu/apv as go-jose uses. */
static int ecdh_kdf(EVP_PKEY *priv, EVP_PKEY *peer, const char *algid, unsigned char *out,
                    size_t out_len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	unsigned char z[80], info[64];
	size_t zlen = sizeof(z), alen = strlen(algid);
	bool ok = c != NULL && alen <= 32 && EVP_PKEY_derive_init(c) == 1 &&
	          EVP_PKEY_derive_set_peer(c, peer) == 1 && EVP_PKEY_derive(c, z, &zlen) == 1;
	EVP_PKEY_CTX_free(c);
	if (ok) {
		put_be32(info, (uint32_t)alen);
		memcpy(info + 4, algid, alen);
		memset(info + 4 + alen, 0, 8); /* PartyUInfo, PartyVInfo: empty */
		put_be32(info + 12 + alen, (uint32_t)(out_len * 8));
		EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
		EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
		EVP_KDF_free(kdf);
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, zlen),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, 16 + alen),
			OSSL_PARAM_construct_end(),
		};
		ok = kc != NULL && EVP_KDF_derive(kc, out, out_len, params) == 1;
		EVP_KDF_CTX_free(kc);
	}
	OPENSSL_cleanse(z, sizeof(z));
	return ok ? 0 : -EIO;
}

/* RFC 3394 AES key wrap with a 16/24/32-byte KEK. */
static int aes_kw(const unsigned char *kek, size_t kek_len, bool wrap, const unsigned char *in,
                  size_t in_len, unsigned char *out, size_t *out_len)
{
	const EVP_CIPHER *ciph = kek_len == 16   ? EVP_aes_128_wrap()
	                         : kek_len == 24 ? EVP_aes_192_wrap()
	                                         : EVP_aes_256_wrap();
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;
	bool ok = c != NULL && EVP_CipherInit_ex(c, ciph, NULL, kek, NULL, wrap ? 1 : 0) == 1 &&
	          EVP_CipherUpdate(c, out, &n, in, (int)in_len) == 1 &&
	          EVP_CipherFinal_ex(c, out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(c);
	*out_len = (size_t)(n + fin);
	return ok ? 0 : -EACCES;
}

static size_t kw_len(const char *alg)
{
	if (strcmp(alg, "ECDH-ES+A128KW") == 0)
		return 16;
	if (strcmp(alg, "ECDH-ES+A192KW") == 0)
		return 24;
	if (strcmp(alg, "ECDH-ES+A256KW") == 0)
		return 32;
	return 0;
}

static json_t *public_jwk(EVP_PKEY *k)
{
	json_t *jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, k);
	if (jwk != NULL && !jose_jwk_pub(NULL, jwk)) {
		json_decref(jwk);
		jwk = NULL;
	}
	ERR_clear_error();
	return jwk;
}

/* ECDH-ES+A256KW to pub: a fresh ephemeral key on pub's curve. */
static int ec_wrap(EVP_PKEY *pub, const unsigned char *cek, size_t cek_len, unsigned char **ek,
                   size_t *ek_len, json_t **epk)
{
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	unsigned char kek[32];
	int r = c && EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &eph) == 1 ? 0 : -EIO;
	EVP_PKEY_CTX_free(c);
	if (r == 0)
		r = ecdh_kdf(eph, pub, "ECDH-ES+A256KW", kek, sizeof(kek));
	if (r == 0 && (*ek = malloc(cek_len + 8)) == NULL)
		r = -ENOMEM;
	if (r == 0 && (r = aes_kw(kek, sizeof(kek), true, cek, cek_len, *ek, ek_len)) < 0)
		free(*ek);
	if (r == 0 && (*epk = public_jwk(eph)) == NULL) {
		free(*ek);
		r = -ENOMEM;
	}
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_PKEY_free(eph);
	return r;
}

static int ec_unwrap(EVP_PKEY *priv, const char *alg, const json_t *hdr,
                     const unsigned char *ek, size_t ek_len, unsigned char *cek, size_t cek_len)
{
	const json_t *epk = json_object_get(hdr, "epk");
	const char *kty = json_string_value(json_object_get(epk, "kty"));
	if (kty == NULL || strcmp(kty, "EC") != 0 || json_object_get(epk, "d") != NULL)
		return -EINVAL;
	EVP_PKEY *peer = jose_openssl_jwk_to_EVP_PKEY(NULL, epk);
	ERR_clear_error();
	if (peer == NULL)
		return -EINVAL;
	size_t kl = kw_len(alg);
	unsigned char kek[32], out[CEK_MAX + 8];
	size_t n = 0;
	int r = ecdh_kdf(priv, peer, kl ? alg : json_string_value(json_object_get(hdr, "enc")),
	                 kl ? kek : cek, kl ? kl : cek_len);
	if (r == 0 && kl != 0) {
		r = ek_len == cek_len + 8 ? aes_kw(kek, kl, false, ek, ek_len, out, &n) : -EACCES;
		if (r == 0 && n == cek_len)
			memcpy(cek, out, cek_len);
		else
			r = -EACCES;
	}
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(out, sizeof(out));
	EVP_PKEY_free(peer);
	ERR_clear_error();
	return r;
}

/* ---- content encryption (A*GCM, AAD = the protected header's base64url) -- */

static int gcm(bool seal, const unsigned char *cek, size_t cek_len, const char *aad,
               const unsigned char *iv, const unsigned char *in, size_t n, unsigned char *out,
               unsigned char tag[GCM_TAG])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	bool ok = c != NULL && n <= INT32_MAX &&
	          EVP_CipherInit_ex(c, gcm_cipher(cek_len), NULL, NULL, NULL, seal) == 1 &&
	          EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, GCM_IV, NULL) == 1 &&
	          EVP_CipherInit_ex(c, NULL, NULL, cek, iv, seal) == 1 &&
	          EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	          EVP_CipherUpdate(c, out, &len, in, (int)n) == 1 &&
	          (seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, tag) == 1) &&
	          EVP_CipherFinal_ex(c, out + len, &fin) == 1 &&
	          (!seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EACCES;
}

/* ---- wrap ----------------------------------------------------------------- */

static const char *default_alg(const EVP_PKEY *k)
{
	return EVP_PKEY_is_a(k, "RSA") ? "RSA-OAEP" : "ECDH-ES+A256KW";
}

/* One recipient's header (alg, epk) and encrypted_key. */
static int wrap_recipient(EVP_PKEY *k, const unsigned char *cek, json_t **hdr, json_t **ek,
                          cc_error **err)
{
	unsigned char *key = NULL;
	size_t key_len = 0;
	json_t *epk = NULL;
	const char *alg = default_alg(k);
	int r = EVP_PKEY_is_a(k, "RSA") ? rsa_wrap(k, alg, cek, CEK_MAX, &key, &key_len)
	                                : ec_wrap(k, cek, CEK_MAX, &key, &key_len, &epk);
	ERR_clear_error();
	if (r < 0)
		return cc_error_set(err, r == -ENOMEM ? r : -EIO, "jwe: cannot wrap to a %s key",
		                    alg);
	*hdr = epk ? json_pack("{s:s,s:o}", "alg", alg, "epk", epk) : json_pack("{s:s}", "alg", alg);
	*ek = b64url_json(key, key_len);
	free(key);
	if (*hdr == NULL || *ek == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Encrypts the payload under cek with the protected header prot. */
static int seal_payload(json_t *jwe, json_t *prot, const unsigned char *cek, const void *pt,
                        size_t n, cc_error **err)
{
	_cleanup_free_ char *ps = json_dumps(prot, JSON_COMPACT | JSON_SORT_KEYS);
	_cleanup_free_ char *p64 = ps ? b64url_enc(ps, strlen(ps)) : NULL;
	_cleanup_free_ unsigned char *ct = malloc(n + 1);
	unsigned char iv[GCM_IV], tag[GCM_TAG];
	if (p64 == NULL || ct == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (RAND_bytes(iv, sizeof(iv)) != 1 || gcm(true, cek, CEK_MAX, p64, iv, pt, n, ct, tag) < 0)
		return cc_error_set(err, -EIO, "jwe: A256GCM encryption failed");
	if (json_object_set_new(jwe, "protected", json_string(p64)) ||
	    json_object_set_new(jwe, "iv", b64url_json(iv, sizeof(iv))) ||
	    json_object_set_new(jwe, "ciphertext", b64url_json(ct, n)) ||
	    json_object_set_new(jwe, "tag", b64url_json(tag, sizeof(tag))))
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int build_jwe(EVP_PKEY *const *keys, size_t n, const unsigned char *cek, json_t *jwe,
                     json_t *prot, const void *opts, size_t opts_len, cc_error **err)
{
	json_t *rcps = n > 1 ? json_array() : NULL;
	if (n > 1 && (rcps == NULL || json_object_set_new(jwe, "recipients", rcps) != 0))
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *hdr = NULL, *ek = NULL;
		int r = wrap_recipient(keys[i], cek, &hdr, &ek, err);
		if (r == 0 && n == 1) {
			/* flattened: every header is protected, as go-jose does */
			r = json_object_update(prot, hdr) || json_object_set(jwe, "encrypted_key", ek)
			        ? cc_error_set(err, -ENOMEM, "out of memory")
			        : 0;
		} else if (r == 0) {
			r = json_array_append_new(rcps, json_pack("{s:O,s:O}", "header", hdr,
			                                          "encrypted_key", ek))
			        ? cc_error_set(err, -ENOMEM, "out of memory")
			        : 0;
		}
		json_decref(hdr);
		json_decref(ek);
		if (r < 0)
			return r;
	}
	return seal_payload(jwe, prot, cek, opts, opts_len, err);
}

int oc_jwe_wrap(const EVP_PKEY *const *keys, size_t n, const void *opts, size_t opts_len,
                unsigned char **ret, size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	if (n == 0)
		return 0;
	unsigned char cek[CEK_MAX];
	json_t *jwe = json_object();
	json_t *prot = json_pack("{s:s}", "enc", "A256GCM");
	int r = jwe && prot ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && RAND_priv_bytes(cek, sizeof(cek)) != 1)
		r = cc_error_set(err, -EIO, "jwe: no random bytes from OpenSSL");
	if (r == 0)
		r = build_jwe((EVP_PKEY *const *)keys, n, cek, jwe, prot, opts, opts_len, err);
	OPENSSL_cleanse(cek, sizeof(cek));
	char *out = r == 0 ? json_dumps(jwe, JSON_COMPACT) : NULL;
	if (r == 0 && out == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(jwe);
	json_decref(prot);
	if (r < 0)
		return r;
	*ret = (unsigned char *)out;
	*ret_len = strlen(out);
	return 0;
}

/* ---- unwrap --------------------------------------------------------------- */

static const char *const allowed_alg[] = {
	"RSA-OAEP", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW",
};

static bool alg_allowed(const char *alg)
{
	for (size_t i = 0; alg != NULL && i < sizeof(allowed_alg) / sizeof(*allowed_alg); i++)
		if (strcmp(alg, allowed_alg[i]) == 0)
			return true;
	return false;
}

struct parsed_jwe {
	json_t *jwe;
	json_t *prot;       /* decoded protected header */
	const char *p64;    /* its base64url text: the AAD */
	size_t nrcp;
};

static void parsed_clear(struct parsed_jwe *p)
{
	json_decref(p->jwe);
	json_decref(p->prot);
	memset(p, 0, sizeof(*p));
}

/* The merged header of recipient i: protected + unprotected + header. */
static json_t *recipient_header(const struct parsed_jwe *p, size_t i, const json_t **ek)
{
	const json_t *rcps = json_object_get(p->jwe, "recipients");
	const json_t *rcp = json_is_array(rcps) ? json_array_get(rcps, i) : p->jwe;
	json_t *h = json_deep_copy(p->prot);
	const json_t *u = json_object_get(p->jwe, "unprotected");
	const json_t *rh = json_object_get(rcp, "header");
	if (h == NULL || (json_is_object(u) && json_object_update_missing(h, (json_t *)u)) ||
	    (json_is_object(rh) && json_object_update_missing(h, (json_t *)rh))) {
		json_decref(h);
		return NULL;
	}
	*ek = json_object_get(rcp, "encrypted_key");
	return h;
}

static int check_recipients(struct parsed_jwe *p, cc_error **err)
{
	const json_t *rcps = json_object_get(p->jwe, "recipients");
	p->nrcp = json_is_array(rcps) ? json_array_size(rcps) : 1;
	if (json_is_array(rcps) && p->nrcp == 0)
		return cc_error_set(err, -EINVAL, "jwe: no recipients");
	if (p->nrcp > CC_IMG_MAX_WRAPPED_KEYS)
		return cc_error_set(err, -E2BIG, "jwe: %zu recipients, more than %u", p->nrcp,
		                    CC_IMG_MAX_WRAPPED_KEYS);
	for (size_t i = 0; i < p->nrcp; i++) {
		const json_t *ek = NULL;
		json_t *h = recipient_header(p, i, &ek);
		if (h == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		const char *alg = json_string_value(json_object_get(h, "alg"));
		const char *enc = json_string_value(json_object_get(h, "enc"));
		int r = alg_allowed(alg) && enc_key_len(enc) != 0 && json_object_get(h, "zip") == NULL
		            ? 0
		            : cc_error_set(err, -ENOTSUP, "jwe: recipient %zu: unsupported alg/enc "
		                                          "\"%.32s\"/\"%.32s\"",
		                           i + 1, alg ? alg : "", enc ? enc : "");
		json_decref(h);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_jwe(const void *pkt, size_t n, struct parsed_jwe *p, cc_error **err)
{
	memset(p, 0, sizeof(*p));
	int r = oc_json_parse(pkt, n, CC_IMG_MAX_ANNOTATION_BYTES, &p->jwe, "jwe", err);
	if (r < 0)
		return r;
	unsigned char *ph = NULL;
	size_t ph_len = 0;
	const json_t *pj = json_object_get(p->jwe, "protected");
	if (!json_is_object(p->jwe) || !json_is_string(pj))
		r = cc_error_set(err, -EINVAL, "jwe: not a JWE in JSON serialization");
	if (r == 0)
		r = b64url_dec(pj, CC_IMG_MAX_ANNOTATION_BYTES, &ph, &ph_len, "protected", err);
	if (r == 0)
		r = oc_json_parse(ph, ph_len, CC_IMG_MAX_ANNOTATION_BYTES, &p->prot,
		                  "jwe protected header", err);
	free(ph);
	if (r == 0 && !json_is_object(p->prot))
		r = cc_error_set(err, -EINVAL, "jwe: protected header is not an object");
	p->p64 = json_string_value(pj);
	if (r == 0)
		r = check_recipients(p, err);
	if (r < 0)
		parsed_clear(p);
	return r;
}

size_t oc_jwe_recipient_count(const void *pkt, size_t n)
{
	struct parsed_jwe p;
	if (parse_jwe(pkt, n, &p, NULL) < 0)
		return 0;
	size_t nrcp = p.nrcp;
	parsed_clear(&p);
	return nrcp;
}

/* Unwraps recipient i's CEK with k (0, or < 0 if it does not fit). */
static int unwrap_cek(const struct parsed_jwe *p, size_t i, EVP_PKEY *k, unsigned char *cek,
                      size_t *cek_len)
{
	const json_t *ekj = NULL;
	json_t *h = recipient_header(p, i, &ekj);
	const char *alg = json_string_value(json_object_get(h, "alg"));
	size_t len = enc_key_len(json_string_value(json_object_get(h, "enc")));
	unsigned char *ek = NULL;
	size_t ek_len = 0;
	int r = h ? 0 : -ENOMEM;
	bool rsa = alg != NULL && strncmp(alg, "RSA", 3) == 0;
	if (r == 0 && rsa != (bool)EVP_PKEY_is_a(k, "RSA"))
		r = -EACCES;
	if (r == 0 && strcmp(alg, "ECDH-ES") != 0)
		r = b64url_dec(ekj, 1024, &ek, &ek_len, "encrypted_key", NULL);
	if (r == 0)
		r = rsa ? rsa_unwrap(k, alg, ek, ek_len, cek, len)
		        : ec_unwrap(k, alg, h, ek, ek_len, cek, len);
	free(ek);
	json_decref(h);
	ERR_clear_error();
	*cek_len = len;
	return r;
}

static int open_payload(const struct parsed_jwe *p, const unsigned char *cek, size_t cek_len,
                        unsigned char **ret, size_t *ret_len, cc_error **err)
{
	unsigned char *iv = NULL, *ct = NULL, *tag = NULL;
	size_t iv_len = 0, ct_len = 0, tag_len = 0;
	int r = b64url_dec(json_object_get(p->jwe, "iv"), 64, &iv, &iv_len, "iv", err);
	if (r == 0)
		r = b64url_dec(json_object_get(p->jwe, "tag"), 64, &tag, &tag_len, "tag", err);
	if (r == 0)
		r = b64url_dec(json_object_get(p->jwe, "ciphertext"), CC_IMG_MAX_ANNOTATION_BYTES, &ct,
		               &ct_len, "ciphertext", err);
	if (r == 0 && (iv_len != GCM_IV || tag_len != GCM_TAG))
		r = cc_error_set(err, -EINVAL, "jwe: iv or tag of the wrong size");
	unsigned char *pt = r == 0 ? malloc(ct_len + 1) : NULL;
	if (r == 0 && pt == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && gcm(false, cek, cek_len, p->p64, iv, ct, ct_len, pt, tag) < 0)
		r = cc_error_set(err, -EACCES, "jwe: content decryption failed (modified JWE)");
	free(iv);
	free(tag);
	free(ct);
	if (r < 0) {
		oc_free_secret(pt, ct_len + 1);
		return r;
	}
	pt[ct_len] = '\0';
	*ret = pt;
	*ret_len = ct_len;
	return 0;
}

int oc_jwe_unwrap(const ocicrypt_keys *k, const void *pkt, size_t n, unsigned char **ret,
                  size_t *ret_len, cc_error **err)
{
	struct parsed_jwe p;
	int r = parse_jwe(pkt, n, &p, err);
	if (r < 0)
		return r;
	size_t nkeys = oc_keys_count(k);
	for (size_t i = 0; i < nkeys; i++) {
		for (size_t j = 0; j < p.nrcp; j++) {
			unsigned char cek[CEK_MAX];
			size_t cek_len = 0;
			if (unwrap_cek(&p, j, oc_keys_at(k, i)->pkey, cek, &cek_len) < 0)
				continue;
			r = open_payload(&p, cek, cek_len, ret, ret_len, err);
			OPENSSL_cleanse(cek, sizeof(cek));
			parsed_clear(&p);
			return r;
		}
	}
	size_t nrcp = p.nrcp;
	parsed_clear(&p);
	return cc_error_set(err, -EACCES, "jwe (%zu recipient%s): none of the %zu private key%s "
	                                  "fits",
	                    nrcp, nrcp == 1 ? "" : "s", nkeys, nkeys == 1 ? "" : "s");
}
