/* The pkcs7 key wrapper (containers/ocicrypt keywrap/pkcs7/keywrapper_pkcs7.go,
 * which uses go.mozilla.org/pkcs7 with ContentEncryptionAlgorithm =
 * AES-128-GCM): a PKCS#7 (RFC 2315) EnvelopedData, one RecipientInfo per
 * certificate (RSA PKCS#1 v1.5 key transport), content = the PLBCO under
 * AES-128-GCM with GCMParameters {nonce, icvLen 16} and the tag appended to
 * the ciphertext.
 *
 * OpenSSL's PKCS7 code cannot use it: it has no GCM for EnvelopedData, and
 * mozilla/pkcs7 writes the GCMParameters SEQUENCE with a primitive tag
 * (0x10) around the real one and the nonce as [4], which d2i_PKCS7 rejects
 * ("type not constructed"). So unwrapping
 * walks the DER with OpenSSL's ASN1_get_object (a bounded cursor; every
 * length is checked against what is left) and decrypts with EVP;
 * wrapping writes the DER itself (a few nested elements, each length
 * computed from what it wraps), byte for byte in mozilla/pkcs7's layout,
 * since that is the only layout mozilla/pkcs7 reads back; the
 * RecipientInfos come from OpenSSL's i2d_PKCS7_RECIP_INFO. */
#include <errno.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

#define GCM_NONCE 12
#define GCM_TAG 16

static const unsigned char oid_enveloped[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};
static const unsigned char oid_aes128gcm[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x06};
static const unsigned char oid_aes256gcm[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e};

/* ---- a bounded DER cursor over ASN1_get_object ---------------------------- */

struct der {
	const unsigned char *p;
	long len;
};

/* Takes the next element (definite length only) off c: its tag and class,
 * whether constructed, and its contents in *in. */
static int der_next(struct der *c, int *tag, int *cls, bool *cons, struct der *in)
{
	if (c->len <= 0)
		return -EINVAL;
	const unsigned char *q = c->p;
	long l = 0;
	int f = ASN1_get_object(&q, &l, tag, cls, c->len);
	if ((f & 0x80) || (f & 0x01))
		return -EINVAL;
	long hdr = (long)(q - c->p);
	if (hdr <= 0 || l < 0 || l > c->len - hdr)
		return -EINVAL;
	in->p = q;
	in->len = l;
	*cons = (f & V_ASN1_CONSTRUCTED) != 0;
	c->p = q + l;
	c->len -= hdr + l;
	return 0;
}

/* The next element must have this universal tag (or context tag when
 * ctx is true) and constructedness. */
static int der_expect(struct der *c, int want, bool ctx, bool want_cons, struct der *in)
{
	int tag = 0, cls = 0;
	bool cons = false;
	int r = der_next(c, &tag, &cls, &cons, in);
	if (r < 0 || tag != want || cls != (ctx ? V_ASN1_CONTEXT_SPECIFIC : V_ASN1_UNIVERSAL) ||
	    cons != want_cons)
		return -EINVAL;
	return 0;
}

static bool der_is(const struct der *d, const unsigned char *oid, size_t n)
{
	return (size_t)d->len == n && memcmp(d->p, oid, n) == 0;
}

/* ---- unwrap --------------------------------------------------------------- */

struct envelope {
	struct der recipients; /* contents of the SET */
	size_t key_len;        /* 16 or 32 */
	unsigned char nonce[GCM_NONCE];
	unsigned char *ct; /* ciphertext || tag */
	size_t ct_len;
};

/* GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 }.
 * mozilla/pkcs7 wraps the SEQUENCE's full encoding in a second, primitive
 * 0x10 tag (an asn1.RawValue without IsCompound); proper DER has just the
 * SEQUENCE. */
static int parse_gcm_params(struct der *alg, struct envelope *e)
{
	int tag = 0, cls = 0;
	bool cons = false;
	struct der params, nonce, icv;
	if (der_next(alg, &tag, &cls, &cons, &params) < 0 || tag != V_ASN1_SEQUENCE ||
	    cls != V_ASN1_UNIVERSAL)
		return -EINVAL;
	if (!cons) {
		struct der outer = params;
		if (der_expect(&outer, V_ASN1_SEQUENCE, false, true, &params) < 0 || outer.len != 0)
			return -EINVAL;
	}
	/* mozilla/pkcs7 tags the nonce [4] (asn1:"tag:4" meant OCTET STRING) */
	struct der save = params;
	if (der_expect(&params, V_ASN1_OCTET_STRING, false, false, &nonce) < 0) {
		params = save;
		if (der_expect(&params, V_ASN1_OCTET_STRING, true, false, &nonce) < 0)
			return -EINVAL;
	}
	if (nonce.len != GCM_NONCE)
		return -EINVAL;
	memcpy(e->nonce, nonce.p, GCM_NONCE);
	/* The tag must be 16 bytes, as Go's GCM writes it. */
	if (der_expect(&params, V_ASN1_INTEGER, false, false, &icv) < 0 || icv.len != 1 ||
	    icv.p[0] != GCM_TAG)
		return -EINVAL;
	return 0;
}

/* encryptedContent [0] IMPLICIT OCTET STRING: primitive, or constructed
 * from OCTET STRING segments (BER, as mozilla/pkcs7 writes it). */
static int take_content(struct der *c, struct envelope *e)
{
	int tag = 0, cls = 0;
	bool cons = false;
	struct der in, seg;
	if (der_next(c, &tag, &cls, &cons, &in) < 0 || tag != 0 || cls != V_ASN1_CONTEXT_SPECIFIC)
		return -EINVAL;
	if ((e->ct = malloc((size_t)in.len + 1)) == NULL)
		return -ENOMEM;
	if (!cons) {
		memcpy(e->ct, in.p, (size_t)in.len);
		e->ct_len = (size_t)in.len;
		return 0;
	}
	while (in.len > 0) {
		if (der_expect(&in, V_ASN1_OCTET_STRING, false, false, &seg) < 0)
			return -EINVAL;
		memcpy(e->ct + e->ct_len, seg.p, (size_t)seg.len);
		e->ct_len += (size_t)seg.len;
	}
	return 0;
}

static int parse_envelope(const void *pkt, size_t n, struct envelope *e)
{
	struct der top = {pkt, (long)n}, ci, oid, exp, env, ver, eci, alg, algoid;
	if (n > CC_IMG_MAX_ANNOTATION_BYTES)
		return -EFBIG;
	int r = der_expect(&top, V_ASN1_SEQUENCE, false, true, &ci);
	if (r == 0)
		r = der_expect(&ci, V_ASN1_OBJECT, false, false, &oid);
	if (r == 0 && !der_is(&oid, oid_enveloped, sizeof(oid_enveloped)))
		r = -ENOTSUP;
	if (r == 0)
		r = der_expect(&ci, 0, true, true, &exp);
	if (r == 0)
		r = der_expect(&exp, V_ASN1_SEQUENCE, false, true, &env);
	if (r == 0)
		r = der_expect(&env, V_ASN1_INTEGER, false, false, &ver);
	if (r == 0)
		r = der_expect(&env, V_ASN1_SET, false, true, &e->recipients);
	if (r == 0)
		r = der_expect(&env, V_ASN1_SEQUENCE, false, true, &eci);
	if (r == 0)
		r = der_expect(&eci, V_ASN1_OBJECT, false, false, &oid); /* pkcs7-data */
	if (r == 0)
		r = der_expect(&eci, V_ASN1_SEQUENCE, false, true, &alg);
	if (r == 0)
		r = der_expect(&alg, V_ASN1_OBJECT, false, false, &algoid);
	if (r == 0)
		e->key_len = der_is(&algoid, oid_aes128gcm, sizeof(oid_aes128gcm))   ? 16
		             : der_is(&algoid, oid_aes256gcm, sizeof(oid_aes256gcm)) ? 32
		                                                                     : 0;
	if (r == 0 && e->key_len == 0)
		r = -ENOTSUP;
	if (r == 0)
		r = parse_gcm_params(&alg, e);
	if (r == 0)
		r = take_content(&eci, e);
	if (r == 0 && e->ct_len < GCM_TAG)
		r = -EINVAL;
	return r;
}

/* RecipientInfo ::= SEQUENCE { version, issuerAndSerialNumber,
 * keyEncryptionAlgorithm, encryptedKey OCTET STRING } */
static int next_encrypted_key(struct der *set, struct der *ek)
{
	struct der ri, skip;
	int tag = 0, cls = 0;
	bool cons = false;
	if (der_expect(set, V_ASN1_SEQUENCE, false, true, &ri) < 0)
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		if (der_next(&ri, &tag, &cls, &cons, &skip) < 0)
			return -EINVAL;
	return der_expect(&ri, V_ASN1_OCTET_STRING, false, false, ek);
}

static int gcm_open(const struct envelope *e, const unsigned char *key, unsigned char *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ct_len = (int)(e->ct_len - GCM_TAG), n = 0, fin = 0;
	bool ok = c != NULL &&
	          EVP_DecryptInit_ex(c, e->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
	                             NULL, NULL, NULL) == 1 &&
	          EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE, NULL) == 1 &&
	          EVP_DecryptInit_ex(c, NULL, NULL, key, e->nonce) == 1 &&
	          EVP_DecryptUpdate(c, out, &n, e->ct, ct_len) == 1 &&
	          EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG,
	                              (void *)(e->ct + ct_len)) == 1 &&
	          EVP_DecryptFinal_ex(c, out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EACCES;
}

/* One RSA key against one encrypted key: the content opens or not. */
static int try_key(const struct envelope *e, EVP_PKEY *k, const struct der *ek,
                   unsigned char *out)
{
	unsigned char key[512];
	size_t n = sizeof(key);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	bool ok = c != NULL && (size_t)EVP_PKEY_get_size(k) <= sizeof(key) &&
	          EVP_PKEY_decrypt_init(c) == 1 &&
	          EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	          EVP_PKEY_decrypt(c, key, &n, ek->p, (size_t)ek->len) == 1 && n == e->key_len;
	EVP_PKEY_CTX_free(c);
	int r = ok ? gcm_open(e, key, out) : -EACCES;
	OPENSSL_cleanse(key, sizeof(key));
	ERR_clear_error();
	return r;
}

int oc_pkcs7_unwrap(const ocicrypt_keys *k, const void *pkt, size_t n, unsigned char **ret,
                    size_t *ret_len, cc_error **err)
{
	struct envelope e;
	memset(&e, 0, sizeof(e));
	int r = parse_envelope(pkt, n, &e);
	if (r < 0) {
		free(e.ct);
		return cc_error_set(err, r, r == -ENOTSUP ? "pkcs7: not EnvelopedData with AES-GCM"
		                                          : "pkcs7: malformed EnvelopedData");
	}
	unsigned char *out = malloc(e.ct_len + 1);
	size_t nrcp = 0;
	r = out ? -EACCES : -ENOMEM;
	for (struct der set = e.recipients; r == -EACCES && set.len > 0 && nrcp < CC_IMG_MAX_WRAPPED_KEYS;) {
		struct der ek;
		if (next_encrypted_key(&set, &ek) < 0)
			break;
		nrcp++;
		for (size_t i = 0; r == -EACCES && i < oc_keys_count(k); i++)
			if (EVP_PKEY_is_a(oc_keys_at(k, i)->pkey, "RSA"))
				r = try_key(&e, oc_keys_at(k, i)->pkey, &ek, out);
	}
	free(e.ct);
	if (r < 0) {
		oc_free_secret(out, e.ct_len + 1);
		return cc_error_set(err, r, "pkcs7 (%zu recipient%s): none of the %zu private key%s "
		                            "fits",
		                    nrcp, nrcp == 1 ? "" : "s", oc_keys_count(k),
		                    oc_keys_count(k) == 1 ? "" : "s");
	}
	out[e.ct_len - GCM_TAG] = '\0';
	*ret = out;
	*ret_len = e.ct_len - GCM_TAG;
	return 0;
}

/* ---- wrap ----------------------------------------------------------------- */

/* Appends tag, DER length and n content bytes. */
static int der_put(cc_buf *b, unsigned char tag, const void *p, size_t n)
{
	unsigned char hdr[6] = {tag};
	size_t h = 2;
	if (n < 0x80) {
		hdr[1] = (unsigned char)n;
	} else if (n < 0x100) {
		hdr[1] = 0x81;
		hdr[2] = (unsigned char)n;
		h = 3;
	} else if (n < 0x10000) {
		hdr[1] = 0x82;
		hdr[2] = (unsigned char)(n >> 8);
		hdr[3] = (unsigned char)n;
		h = 4;
	} else if (n < 0x1000000) {
		hdr[1] = 0x83;
		hdr[2] = (unsigned char)(n >> 16);
		hdr[3] = (unsigned char)(n >> 8);
		hdr[4] = (unsigned char)n;
		h = 5;
	} else {
		return -EFBIG;
	}
	return cc_buf_add(b, hdr, h) < 0 || cc_buf_add(b, p, n) < 0 ? -ENOMEM : 0;
}

/* Wraps the contents of b in one element (b is replaced). */
static int der_wrap(cc_buf *b, unsigned char tag)
{
	cc_buf out;
	cc_buf_init(&out, 0);
	int r = der_put(&out, tag, b->p, b->len);
	cc_buf_free(b);
	*b = out;
	return r;
}

/* RecipientInfo for x (issuerAndSerialNumber, rsaEncryption), by OpenSSL. */
static int put_recipient(cc_buf *set, X509 *x, const unsigned char *key, size_t key_len)
{
	PKCS7_RECIP_INFO *ri = PKCS7_RECIP_INFO_new();
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(x), NULL);
	unsigned char ek[1024], *der = NULL;
	size_t n = sizeof(ek);
	bool ok = ri != NULL && c != NULL && PKCS7_RECIP_INFO_set(ri, x) == 1 &&
	          EVP_PKEY_encrypt_init(c) == 1 &&
	          EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	          EVP_PKEY_encrypt(c, NULL, &n, key, key_len) == 1 && n <= sizeof(ek) &&
	          EVP_PKEY_encrypt(c, ek, &n, key, key_len) == 1 &&
	          ASN1_STRING_set(ri->enc_key, ek, (int)n) == 1;
	int len = ok ? i2d_PKCS7_RECIP_INFO(ri, &der) : -1;
	int r = len > 0 && cc_buf_add(set, der, (size_t)len) == 0 ? 0 : -EIO;
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(c);
	PKCS7_RECIP_INFO_free(ri);
	return r;
}

/* EncryptedContentInfo exactly as mozilla/pkcs7 writes it (and reads it:
 * it unmarshals the parameters' contents as the GCMParameters SEQUENCE,
 * with the nonce tagged [4]). */
static int put_content(cc_buf *b, const unsigned char *key, const void *pt, size_t n)
{
	static const unsigned char oid_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
	unsigned char params[2 + 2 + GCM_NONCE + 3] = {0x30, 2 + GCM_NONCE + 3, 0x84, GCM_NONCE};
	_cleanup_free_ unsigned char *ct = malloc(n + GCM_TAG);
	int len = 0, fin = 0;
	if (ct == NULL || n > INT32_MAX || RAND_bytes(params + 4, GCM_NONCE) != 1)
		return -EIO;
	memcpy(params + 4 + GCM_NONCE, "\x02\x01\x10", 3);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	bool ok = c != NULL && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
	          EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE, NULL) == 1 &&
	          EVP_EncryptInit_ex(c, NULL, NULL, key, params + 4) == 1 &&
	          EVP_EncryptUpdate(c, ct, &len, pt, (int)n) == 1 &&
	          EVP_EncryptFinal_ex(c, ct + len, &fin) == 1 &&
	          EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, ct + len + fin) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return -EIO;
	cc_buf alg, enc;
	cc_buf_init(&alg, 0);
	cc_buf_init(&enc, 0);
	int r = der_put(&alg, V_ASN1_OBJECT, oid_aes128gcm, sizeof(oid_aes128gcm));
	if (r == 0)
		r = der_put(&alg, V_ASN1_SEQUENCE, params, sizeof(params)); /* primitive 0x10 */
	if (r == 0)
		r = der_wrap(&alg, 0x30);
	if (r == 0)
		r = der_put(&enc, V_ASN1_OCTET_STRING, ct, (size_t)(len + fin) + GCM_TAG);
	if (r == 0)
		r = der_wrap(&enc, 0xa0);
	if (r == 0)
		r = der_put(b, V_ASN1_OBJECT, oid_data, sizeof(oid_data));
	if (r == 0)
		r = cc_buf_add(b, alg.p, alg.len) < 0 || cc_buf_add(b, enc.p, enc.len) < 0 ? -ENOMEM
		                                                                            : 0;
	cc_buf_free(&alg);
	cc_buf_free(&enc);
	return r == 0 ? der_wrap(b, 0x30) : r;
}

static int build_envelope(X509 *const *certs, size_t n, const unsigned char *key,
                          const void *pt, size_t pt_len, cc_buf *out)
{
	cc_buf set, eci;
	cc_buf_init(&set, 0);
	cc_buf_init(&eci, 0);
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = put_recipient(&set, certs[i], key, 16);
	if (r == 0)
		r = der_wrap(&set, 0x31);
	if (r == 0)
		r = put_content(&eci, key, pt, pt_len);
	if (r == 0)
		r = der_put(out, V_ASN1_INTEGER, "\0", 1);
	if (r == 0)
		r = cc_buf_add(out, set.p, set.len) < 0 || cc_buf_add(out, eci.p, eci.len) < 0
		        ? -ENOMEM
		        : 0;
	cc_buf_free(&set);
	cc_buf_free(&eci);
	if (r == 0)
		r = der_wrap(out, 0x30); /* EnvelopedData */
	if (r == 0)
		r = der_wrap(out, 0xa0); /* [0] EXPLICIT */
	if (r < 0)
		return r;
	cc_buf ci;
	cc_buf_init(&ci, 0);
	r = der_put(&ci, V_ASN1_OBJECT, oid_enveloped, sizeof(oid_enveloped));
	if (r == 0)
		r = cc_buf_add(&ci, out->p, out->len) < 0 ? -ENOMEM : 0;
	cc_buf_free(out);
	*out = ci;
	return r == 0 ? der_wrap(out, 0x30) : r;
}

int oc_pkcs7_wrap(X509 *const *certs, size_t n, const void *opts, size_t opts_len,
                  unsigned char **ret, size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	if (n == 0)
		return 0;
	unsigned char key[16];
	cc_buf out;
	cc_buf_init(&out, 0);
	int r = RAND_priv_bytes(key, sizeof(key)) == 1 ? 0 : -EIO;
	if (r == 0)
		r = build_envelope(certs, n, key, opts, opts_len, &out);
	OPENSSL_cleanse(key, sizeof(key));
	ERR_clear_error();
	if (r < 0) {
		cc_buf_free(&out);
		return cc_error_set(err, r, "pkcs7: cannot build EnvelopedData");
	}
	*ret = (unsigned char *)cc_buf_steal(&out, ret_len);
	return 0;
}
