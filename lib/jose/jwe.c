/* JWE, flattened JSON serialization, as the KBS sends resources
 * (trustee.md §1.6; RFC 7516 §5.1, §5.2, §7.2.2). The protected header is
 * written with the ordered writer so that its bytes are serde_json's for
 * Trustee's ProtectedHeader {alg, enc, other fields in a BTreeMap}: the Rust
 * client re-serializes the header it parsed to rebuild the AAD, so any other
 * byte order makes every tag check fail there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cocoon/limits.h"
#include "jcs_int.h"
#include "jose_jwe.h"
#include "jwe_int.h"

/* A256GCM over in (n bytes) with aad; tag out (seal) or in (open). */
static int gcm(bool seal, const unsigned char *cek, const unsigned char *iv, const char *aad,
               size_t aad_len, const unsigned char *in, size_t n, unsigned char *out,
               unsigned char *tag)
{
	const EVP_CIPHER *aes = cj_alg_aes256_gcm();
	EVP_CIPHER_CTX *c = aes != NULL ? EVP_CIPHER_CTX_new() : NULL;
	int len = 0, fin = 0;
	bool ok = c != NULL && n <= INT32_MAX && aad_len <= INT32_MAX &&
	          EVP_CipherInit_ex(c, aes, NULL, NULL, NULL, seal) == 1 &&
	          EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, CJ_GCM_IV, NULL) == 1 &&
	          EVP_CipherInit_ex(c, NULL, NULL, cek, iv, seal) == 1 &&
	          EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)aad, (int)aad_len) == 1 &&
	          EVP_CipherUpdate(c, out, &len, in, (int)n) == 1 &&
	          (seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CJ_GCM_TAG, tag) == 1) &&
	          EVP_CipherFinal_ex(c, out + len, &fin) == 1 &&
	          (!seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CJ_GCM_TAG, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	return ok ? 0 : -EBADMSG;
}

/* The key-management algorithm for key k: its "alg", or the default for
 * its type. */
static int pick_alg(const cj_jwk *k, enum cj_kalg *a, cc_error **err)
{
	const char *alg = cj_jwk_alg(k);
	if (alg == NULL) {
		if (cj_jwk_kty(k) == CJ_KTY_OKP)
			return cc_error_set(err, -EINVAL, "jwe: an OKP key cannot receive a JWE");
		*a = cj_jwk_kty(k) == CJ_KTY_EC ? CJ_ECDH_ES_A256KW : CJ_RSA_OAEP_256;
		return 0;
	}
	int r = cj_kalg_parse(alg, a, err);
	if (r == 0 && (*a == CJ_ECDH_ES_A256KW) != (cj_jwk_kty(k) == CJ_KTY_EC))
		r = cc_error_set(err, -EINVAL, "jwe: alg \"%s\" does not suit a %s key", alg,
		                 cj_jwk_kty_name(k));
	return r;
}

static int add_b64(json_t *o, const char *name, const unsigned char *p, size_t n)
{
	char *s = cj_b64url_encode(p, n);
	int r = s != NULL && json_object_set_new(o, name, json_string(s)) == 0 ? 0 : -ENOMEM;
	free(s);
	return r;
}

/* The protected header's text, base64url: the AAD. */
static int protected_b64(enum cj_kalg a, json_t *epk, char **ret, cc_error **err)
{
	json_t *h = json_pack("{s:s,s:s}", "alg", cj_kalg_name(a), "enc", "A256GCM");
	if (h != NULL && epk != NULL && json_object_set(h, "epk", epk) != 0) {
		json_decref(h);
		h = NULL;
	}
	char *text = NULL;
	size_t len = 0;
	int r = h ? cj_json_dump_ordered(h, &text, &len, err)
	          : cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(h);
	if (r == 0 && (*ret = cj_b64url_encode(text, len)) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	free(text);
	return r;
}

static int seal(enum cj_kalg a, const cj_jwk *to, const unsigned char *cek, const void *pt,
                size_t len, json_t *jwe, cc_error **err)
{
	unsigned char *ek = NULL, iv[CJ_GCM_IV], tag[CJ_GCM_TAG];
	size_t ek_len = 0;
	json_t *epk = NULL;
	char *p64 = NULL;
	unsigned char *ct = malloc(len ? len : 1);
	int r = ct ? cj_key_wrap(a, to, cek, &ek, &ek_len, &epk, err)
	           : cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = protected_b64(a, epk, &p64, err);
	if (r == 0 && RAND_bytes(iv, sizeof(iv)) != 1)
		r = cc_error_set(err, -EIO, "jwe: no random bytes from OpenSSL");
	if (r == 0 && gcm(true, cek, iv, p64, strlen(p64), pt, len, ct, tag) < 0)
		r = cc_error_set(err, -EIO, "jwe: A256GCM encryption failed");
	if (r == 0 && (json_object_set_new(jwe, "protected", json_string(p64)) != 0 ||
	               add_b64(jwe, "encrypted_key", ek, ek_len) < 0 ||
	               add_b64(jwe, "iv", iv, sizeof(iv)) < 0 ||
	               add_b64(jwe, "ciphertext", ct, len) < 0 ||
	               add_b64(jwe, "tag", tag, sizeof(tag)) < 0))
		r = cc_error_set(err, -ENOMEM, "out of memory");
	free(ek);
	free(ct);
	free(p64);
	json_decref(epk);
	return r;
}

int cj_jwe_encrypt(const cj_jwk *to, const void *pt, size_t len, char **ret, size_t *ret_len,
                   bool *ret_legacy, cc_error **err)
{
	enum cj_kalg a;
	int r = pick_alg(to, &a, err);
	if (r < 0)
		return r;
	if (len > CC_JOSE_MAX_JWE_BYTES / 4 * 3 - 65536)
		return cc_error_set(err, -E2BIG, "jwe: %zu bytes of plaintext, too many for a JWE "
		                                 "of at most %u bytes", len, CC_JOSE_MAX_JWE_BYTES);
	unsigned char cek[CJ_CEK_LEN];
	json_t *jwe = json_object();
	if (jwe == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (RAND_priv_bytes(cek, sizeof(cek)) != 1)
		r = cc_error_set(err, -EIO, "jwe: no random bytes from OpenSSL");
	if (r == 0)
		r = seal(a, to, cek, pt, len, jwe, err);
	OPENSSL_cleanse(cek, sizeof(cek));
	char *out = NULL;
	size_t out_len = 0;
	if (r == 0)
		r = cj_json_dump_ordered(jwe, &out, &out_len, err);
	json_decref(jwe);
	if (r < 0)
		return r;
	*ret = out;
	if (ret_len)
		*ret_len = out_len;
	if (ret_legacy)
		*ret_legacy = a == CJ_RSA1_5;
	return 0;
}

/* ---- decryption ------------------------------------------------------------ */

struct parsed {
	json_t *jwe;
	json_t *hdr;
	enum cj_kalg alg;
	unsigned char *ek, *iv, *ct, *tag;
	size_t ek_len, iv_len, ct_len, tag_len;
};

static void parsed_free(struct parsed *p)
{
	json_decref(p->jwe);
	json_decref(p->hdr);
	free(p->ek);
	free(p->iv);
	free(p->ct);
	free(p->tag);
}

static int member_b64(const json_t *o, const char *name, size_t max, unsigned char **ret,
                      size_t *ret_len, cc_error **err)
{
	const json_t *v = json_object_get(o, name);
	char what[32];
	snprintf(what, sizeof(what), "jwe: \"%s\"", name);
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "%s %s", what, v ? "is not a string" : "is missing");
	return cj_b64url_decode(json_string_value(v), json_string_length(v), max, ret, ret_len,
	                        what, err);
}

/* The protected header's checks: allow-listed alg suiting k, A256GCM,
 * nothing this library would have to understand and does not. */
static int check_header(struct parsed *p, const cj_jwk *k, cc_error **err)
{
	const json_t *h = p->hdr;
	if (!json_is_object(h))
		return cc_error_set(err, -EINVAL, "jwe: the protected header is not a JSON object");
	const char *alg = json_string_value(json_object_get(h, "alg"));
	const char *enc = json_string_value(json_object_get(h, "enc"));
	int r = cj_kalg_parse(alg, &p->alg, err);
	if (r < 0)
		return r;
	if (enc == NULL || strcmp(enc, "A256GCM") != 0)
		return cc_error_set(err, -EINVAL, "jwe: content encryption \"%.40s\" is not allowed "
		                                  "(only A256GCM)", enc ? enc : "(none)");
	if (json_object_get(h, "zip") != NULL || json_object_get(h, "crit") != NULL)
		return cc_error_set(err, -EINVAL, "jwe: \"%s\" is not supported",
		                    json_object_get(h, "zip") ? "zip" : "crit");
	const char *kalg = cj_jwk_alg(k);
	if (kalg != NULL && strcmp(kalg, alg) != 0)
		return cc_error_set(err, -EINVAL, "jwe: alg \"%s\", but the key is for \"%s\"", alg,
		                    kalg);
	if (p->alg == CJ_RSA1_5 && kalg == NULL)
		return cc_error_set(err, -EINVAL, "jwe: RSA1_5 only for a key whose alg asks for it");
	if ((p->alg == CJ_ECDH_ES_A256KW) != (cj_jwk_kty(k) == CJ_KTY_EC) ||
	    !cj_jwk_is_private(k))
		return cc_error_set(err, -EINVAL, "jwe: alg \"%s\" needs a private %s key", alg,
		                    p->alg == CJ_ECDH_ES_A256KW ? "EC" : "RSA");
	return 0;
}

/* The per-recipient unprotected "header" (RFC 7516 §7.2.1) may carry only
 * "epk" and "kid", as jwcrypto and go-jose put the ephemeral key there for
 * ECDH; "alg" and "enc" must be protected. A changed epk only changes the
 * derived KEK, so the wrapped key then fails to unwrap. */
static int merge_recipient_header(struct parsed *p, cc_error **err)
{
	json_t *rh = json_object_get(p->jwe, "header");
	const char *key;
	json_t *v;
	if (rh == NULL)
		return 0;
	if (!json_is_object(rh))
		return cc_error_set(err, -EINVAL, "jwe: \"header\" is not a JSON object");
	json_object_foreach(rh, key, v) {
		if (strcmp(key, "epk") != 0 && strcmp(key, "kid") != 0)
			return cc_error_set(err, -EINVAL, "jwe: \"%.32s\" must be in the protected "
			                                  "header", key);
		if (json_object_get(p->hdr, key) != NULL)
			return cc_error_set(err, -EINVAL, "jwe: \"%s\" in both headers", key);
		if (json_object_set(p->hdr, key, v) != 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int parse(const char *s, size_t len, const cj_jwk *k, struct parsed *p, cc_error **err)
{
	int r = cj_json_parse(s, len, CC_JOSE_MAX_JWE_BYTES, &p->jwe, "jwe", err);
	if (r < 0)
		return r;
	if (!json_is_object(p->jwe))
		return cc_error_set(err, -EINVAL, "jwe: not a JSON object");
	static const char *const refused[] = {"recipients", "unprotected"};
	for (size_t i = 0; i < 2; i++)
		if (json_object_get(p->jwe, refused[i]) != NULL)
			return cc_error_set(err, -EINVAL, "jwe: \"%s\" is not supported (flattened "
			                                  "serialization only)",
			                    refused[i]);
	unsigned char *h = NULL;
	size_t hl = 0;
	r = member_b64(p->jwe, "protected", CC_JOSE_MAX_HEADER_BYTES, &h, &hl, err);
	if (r == 0)
		r = cj_json_parse(h, hl, CC_JOSE_MAX_HEADER_BYTES, &p->hdr, "jwe protected header",
		                  err);
	free(h);
	if (r == 0)
		r = check_header(p, k, err);
	if (r == 0)
		r = merge_recipient_header(p, err);
	if (r == 0)
		r = member_b64(p->jwe, "encrypted_key", CC_JOSE_MAX_RSA_BITS / 8, &p->ek, &p->ek_len,
		               err);
	if (r == 0)
		r = member_b64(p->jwe, "iv", CJ_GCM_IV, &p->iv, &p->iv_len, err);
	if (r == 0)
		r = member_b64(p->jwe, "tag", CJ_GCM_TAG, &p->tag, &p->tag_len, err);
	if (r == 0)
		r = member_b64(p->jwe, "ciphertext", CC_JOSE_MAX_JWE_BYTES, &p->ct, &p->ct_len, err);
	if (r == 0 && (p->iv_len != CJ_GCM_IV || p->tag_len != CJ_GCM_TAG))
		r = cc_error_set(err, -EINVAL, "jwe: \"iv\" must be %d bytes and \"tag\" %d",
		                 CJ_GCM_IV, CJ_GCM_TAG);
	return r;
}

/* The AAD: the "protected" text, then "." and "aad" if present (§5.1.14). */
static int build_aad(const json_t *jwe, char **ret, size_t *ret_len, cc_error **err)
{
	const json_t *prot = json_object_get(jwe, "protected");
	const json_t *aad = json_object_get(jwe, "aad");
	if (aad != NULL && !json_is_string(aad))
		return cc_error_set(err, -EINVAL, "jwe: \"aad\" is not a string");
	size_t pl = json_string_length(prot), al = aad ? json_string_length(aad) : 0;
	char *s = malloc(pl + 1 + al + 1);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	memcpy(s, json_string_value(prot), pl);
	if (aad) {
		s[pl] = '.';
		memcpy(s + pl + 1, json_string_value(aad), al);
	}
	*ret_len = aad ? pl + 1 + al : pl;
	s[*ret_len] = '\0';
	*ret = s;
	return 0;
}

int cj_jwe_decrypt(const cj_jwk *k, const char *jwe, size_t len, unsigned char **ret,
                   size_t *ret_len, bool *ret_legacy, cc_error **err)
{
	struct parsed p = {0};
	unsigned char cek[CJ_CEK_LEN];
	char *aad = NULL;
	size_t aad_len = 0;
	int r = parse(jwe, len, k, &p, err);
	if (r == 0)
		r = cj_key_unwrap(p.alg, k, p.hdr, p.ek, p.ek_len, cek, err);
	if (r == 0)
		r = build_aad(p.jwe, &aad, &aad_len, err);
	unsigned char *pt = r == 0 ? malloc(p.ct_len + 1) : NULL;
	if (r == 0 && pt == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && gcm(false, cek, p.iv, aad, aad_len, p.ct, p.ct_len, pt, p.tag) < 0)
		r = cc_error_set(err, -EBADMSG, "jwe: authentication failed (wrong key or modified "
		                                "header, key, iv, ciphertext or tag)");
	OPENSSL_cleanse(cek, sizeof(cek));
	free(aad);
	enum cj_kalg alg = p.alg;
	size_t n = p.ct_len;
	parsed_free(&p);
	if (r < 0) {
		cj_free_secret(pt, n + 1);
		return r;
	}
	pt[n] = '\0';
	*ret = pt;
	*ret_len = n;
	if (ret_legacy)
		*ret_legacy = alg == CJ_RSA1_5;
	return 0;
}
