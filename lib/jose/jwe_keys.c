/* JWE key management (RFC 7518 §4): ECDH-ES+A256KW (§4.6), RSA-OAEP-256
 * (§4.3) and RSA1_5 (§4.2), all on OpenSSL 3. The Concat KDF of §4.6.2 is
 * NIST SP 800-56A's single-step KDF, which OpenSSL provides as "SSKDF":
 * Z from ECDH, OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo ||
 * SuppPubInfo with empty party infos, as Trustee and guest-components use. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "jose_util.h"
#include "jwe_int.h"
#include "jwk_int.h"

static const char *const kalg_names[] = {"ECDH-ES+A256KW", "RSA-OAEP-256", "RSA1_5"};

const char *cj_kalg_name(enum cj_kalg a)
{
	return kalg_names[a];
}

int cj_kalg_parse(const char *s, enum cj_kalg *ret, cc_error **err)
{
	for (size_t i = 0; s != NULL && i < 3; i++) {
		if (strcmp(s, kalg_names[i]) == 0) {
			*ret = (enum cj_kalg)i;
			return 0;
		}
	}
	return cc_error_set(err, -EINVAL, "jwe: key management algorithm \"%.40s\" is not allowed "
	                                  "(only ECDH-ES+A256KW, RSA-OAEP-256, RSA1_5)",
	                    s ? s : "(none)");
}

/* ---- ECDH-ES+A256KW ------------------------------------------------------ */

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The 32-byte KEK from ECDH(priv, peer) and the Concat KDF. peer_checked:
 * the peer's public key already passed EVP_PKEY_public_check when it was
 * read (cj_jwk.checked), so the derive does not repeat it (OpenSSL's
 * check includes a full scalar multiplication by the group order); any
 * other peer key is checked here. The curves must match either way. */
static int ecdh_kek(EVP_PKEY *priv, EVP_PKEY *peer, bool peer_checked, unsigned char kek[32])
{
	static const char algid[] = "ECDH-ES+A256KW";
	const size_t alen = sizeof(algid) - 1;
	unsigned char z[66], info[4 + sizeof(algid) - 1 + 4 + 4 + 4];
	size_t zlen = sizeof(z);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	bool ok = c != NULL && EVP_PKEY_derive_init(c) == 1 &&
	          EVP_PKEY_derive_set_peer_ex(c, peer, peer_checked ? 0 : 1) == 1 &&
	          EVP_PKEY_derive(c, z, &zlen) == 1;
	EVP_PKEY_CTX_free(c);
	be32(info, (uint32_t)alen);
	memcpy(info + 4, algid, alen);
	be32(info + 4 + alen, 0);      /* PartyUInfo: empty */
	be32(info + 8 + alen, 0);      /* PartyVInfo: empty */
	be32(info + 12 + alen, 256);   /* SuppPubInfo: keydatalen in bits */
	EVP_KDF *kdf = ok ? cj_alg_sskdf() : NULL;
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, zlen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info)),
		OSSL_PARAM_construct_end(),
	};
	ok = kc != NULL && EVP_KDF_derive(kc, kek, 32, params) == 1;
	EVP_KDF_CTX_free(kc);
	OPENSSL_cleanse(z, sizeof(z));
	ERR_clear_error();
	return ok ? 0 : -EIO;
}

/* RFC 3394 AES-256 key wrap (wrap) or unwrap (!wrap) of in. */
static int aes_kw(const unsigned char kek[32], bool wrap, const unsigned char *in, size_t n,
                  unsigned char *out, size_t *out_len)
{
	const EVP_CIPHER *kw = cj_alg_aes256_wrap();
	EVP_CIPHER_CTX *c = kw != NULL ? EVP_CIPHER_CTX_new() : NULL;
	int a = 0, b = 0;
	bool ok = c != NULL && n <= 64 &&
	          EVP_CipherInit_ex(c, kw, NULL, kek, NULL, wrap) == 1 &&
	          EVP_CipherUpdate(c, out, &a, in, (int)n) == 1 &&
	          EVP_CipherFinal_ex(c, out + a, &b) == 1;
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	*out_len = ok ? (size_t)a + (size_t)b : 0;
	return ok ? 0 : -EBADMSG;
}

/* A fresh key pair on the curve of `to`: keygen with `to` as the template,
 * so that OpenSSL copies its group instead of building the curve again
 * from its name for every JWE. */
static EVP_PKEY *ephemeral_key(const cj_jwk *to)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, cj_jwk_pkey(to), NULL);
	EVP_PKEY *eph = NULL;
	if (c == NULL || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_generate(c, &eph) != 1) {
		EVP_PKEY_free(eph);
		eph = NULL;
	}
	EVP_PKEY_CTX_free(c);
	return eph;
}

/* The "epk" member: {"crv","kty":"EC","x","y"} (serde's sorted order), the
 * coordinates from the uncompressed point, each exactly the curve's size. */
static json_t *epk_json(EVP_PKEY *eph, const struct cj_curve *cv)
{
	unsigned char pt[1 + 2 * 66];
	size_t n = 0;
	if (EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
	                                    sizeof(pt), &n) != 1 ||
	    n != 1 + 2 * cv->len || pt[0] != 0x04)
		return NULL;
	char *x = cj_b64url_encode(pt + 1, cv->len);
	char *y = cj_b64url_encode(pt + 1 + cv->len, cv->len);
	json_t *o = x && y ? json_pack("{s:s,s:s,s:s,s:s}", "crv", cv->jwk_name, "kty", "EC", "x",
	                               x, "y", y)
	                   : NULL;
	free(x);
	free(y);
	return o;
}

static int ecdh_wrap(const cj_jwk *to, const unsigned char *cek, unsigned char **ek,
                     size_t *ek_len, json_t **epk, cc_error **err)
{
	EVP_PKEY *eph = ephemeral_key(to);
	unsigned char kek[32], *out = malloc(CJ_CEK_LEN + 8);
	size_t n = 0;
	int r = eph && out ? 0 : -ENOMEM;
	if (r == 0 && (r = ecdh_kek(eph, cj_jwk_pkey(to), to->checked, kek)) == 0)
		r = aes_kw(kek, true, cek, CJ_CEK_LEN, out, &n);
	json_t *e = r == 0 ? epk_json(eph, to->curve) : NULL;
	if (r == 0 && e == NULL)
		r = -ENOMEM;
	EVP_PKEY_free(eph);
	OPENSSL_cleanse(kek, sizeof(kek));
	ERR_clear_error();
	if (r < 0) {
		free(out);
		return cc_error_set(err, r, "jwe: ECDH-ES+A256KW key wrap failed");
	}
	*epk = e;
	*ek = out;
	*ek_len = n;
	return 0;
}

static int ecdh_unwrap(const cj_jwk *k, const json_t *hdr, const unsigned char *ek,
                       size_t ek_len, unsigned char *cek, cc_error **err)
{
	const json_t *epk = json_object_get(hdr, "epk");
	const char *kty = json_string_value(json_object_get(epk, "kty"));
	const char *crv = json_string_value(json_object_get(epk, "crv"));
	if (!json_is_object(epk) || kty == NULL || strcmp(kty, "EC") != 0)
		return cc_error_set(err, -EINVAL, "jwe: \"epk\" is not an EC public key");
	if (crv == NULL || strcmp(crv, k->curve->jwk_name) != 0)
		return cc_error_set(err, -EINVAL, "jwe: \"epk\" is on curve \"%.16s\", the key on %s",
		                    crv ? crv : "", k->curve->jwk_name);
	if (json_object_get(epk, "d") != NULL)
		return cc_error_set(err, -EINVAL, "jwe: \"epk\" holds a private key");
	if (ek_len != CJ_CEK_LEN + 8)
		return cc_error_set(err, -EBADMSG, "jwe: \"encrypted_key\" is %zu bytes, not %d",
		                    ek_len, CJ_CEK_LEN + 8);
	cj_jwk *peer = NULL;
	int r = cj_jwk_from_json(epk, &peer, err); /* checks the point is on the curve */
	if (r < 0)
		return cc_error_wrap(err, "jwe: \"epk\"");
	unsigned char kek[32], out[CJ_CEK_LEN + 8];
	size_t n = 0;
	r = ecdh_kek(cj_jwk_pkey(k), cj_jwk_pkey(peer), peer->checked, kek);
	if (r < 0)
		r = cc_error_set(err, r, "jwe: ECDH failed");
	else if (aes_kw(kek, false, ek, ek_len, out, &n) < 0 || n != CJ_CEK_LEN)
		r = cc_error_set(err, -EBADMSG, "jwe: the encrypted key does not unwrap (wrong key "
		                                "or modified JWE)");
	else
		memcpy(cek, out, CJ_CEK_LEN);
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(out, sizeof(out));
	cj_jwk_free(peer);
	return r;
}

/* ---- RSA ------------------------------------------------------------------ */

static EVP_PKEY_CTX *rsa_ctx(const cj_jwk *k, enum cj_kalg a, bool enc)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, cj_jwk_pkey(k), NULL);
	bool oaep = a == CJ_RSA_OAEP_256;
	if (c == NULL || (enc ? EVP_PKEY_encrypt_init(c) : EVP_PKEY_decrypt_init(c)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, oaep ? RSA_PKCS1_OAEP_PADDING : RSA_PKCS1_PADDING) != 1 ||
	    (oaep && (EVP_PKEY_CTX_set_rsa_oaep_md_name(c, "SHA256", NULL) != 1 ||
	              EVP_PKEY_CTX_set_rsa_mgf1_md_name(c, "SHA256", NULL) != 1))) {
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	return c;
}

static int rsa_wrap(enum cj_kalg a, const cj_jwk *to, const unsigned char *cek,
                    unsigned char **ek, size_t *ek_len, cc_error **err)
{
	EVP_PKEY_CTX *c = rsa_ctx(to, a, true);
	size_t n = 0;
	unsigned char *out = NULL;
	bool ok = c != NULL && EVP_PKEY_encrypt(c, NULL, &n, cek, CJ_CEK_LEN) == 1 &&
	          (out = malloc(n)) != NULL && EVP_PKEY_encrypt(c, out, &n, cek, CJ_CEK_LEN) == 1;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	if (!ok) {
		free(out);
		return cc_error_set(err, -EIO, "jwe: %s key wrap failed", cj_kalg_name(a));
	}
	*ek = out;
	*ek_len = n;
	return 0;
}

static int rsa_unwrap(enum cj_kalg a, const cj_jwk *k, const unsigned char *ek, size_t ek_len,
                      unsigned char *cek, cc_error **err)
{
	size_t mod = (size_t)EVP_PKEY_get_size(cj_jwk_pkey(k));
	if (ek_len != mod)
		return cc_error_set(err, -EBADMSG, "jwe: \"encrypted_key\" is %zu bytes, the RSA "
		                                   "modulus %zu", ek_len, mod);
	unsigned char *out = malloc(mod);
	EVP_PKEY_CTX *c = out ? rsa_ctx(k, a, false) : NULL;
	size_t n = mod;
	bool ok = c != NULL && EVP_PKEY_decrypt(c, out, &n, ek, ek_len) == 1 && n == CJ_CEK_LEN;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	int r = 0;
	if (ok)
		memcpy(cek, out, CJ_CEK_LEN);
	else if (out == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	else if (a == CJ_RSA1_5) /* no padding oracle: fail later, at the tag */
		r = RAND_bytes(cek, CJ_CEK_LEN) == 1 ? 0 : cc_error_set(err, -EIO, "jwe: no random");
	else
		r = cc_error_set(err, -EBADMSG, "jwe: the encrypted key does not decrypt (wrong key "
		                                "or modified JWE)");
	cj_free_secret(out, mod);
	return r;
}

/* ---- dispatch ------------------------------------------------------------- */

int cj_key_wrap(enum cj_kalg a, const cj_jwk *to, const unsigned char *cek, unsigned char **ek,
                size_t *ek_len, json_t **epk, cc_error **err)
{
	return a == CJ_ECDH_ES_A256KW ? ecdh_wrap(to, cek, ek, ek_len, epk, err)
	                              : rsa_wrap(a, to, cek, ek, ek_len, err);
}

int cj_key_unwrap(enum cj_kalg a, const cj_jwk *k, const json_t *hdr, const unsigned char *ek,
                  size_t ek_len, unsigned char *cek, cc_error **err)
{
	return a == CJ_ECDH_ES_A256KW ? ecdh_unwrap(k, hdr, ek, ek_len, cek, err)
	                              : rsa_unwrap(a, k, ek, ek_len, cek, err);
}
