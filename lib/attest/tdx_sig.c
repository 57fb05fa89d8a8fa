/* The quote side's cryptographic checks (tdx.h), on OpenSSL 3: the
 * attestation key's signature over the quote, the PCK leaf's signature
 * over the QE report and the QE report's binding to the attestation key
 * (docs/attest-tdx.md, "Quote checks"). */
#include <errno.h>
#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <string.h>

#include "dcap_int.h"
#include "tdx.h"
#include "tpm_int.h"

/* Intel SGX extensions of a PCK certificate, and its PlatformInstanceID. */
#define SGX_EXT_OID "1.2.840.113741.1.13.1"
#define SGX_PLATFORM_INSTANCE_OID "1.2.840.113741.1.13.1.6"

/* A P-256 public key from its raw x || y. */
static EVP_PKEY *p256_key(const uint8_t xy[DCAP_ECDSA_KEY_SIZE])
{
	uint8_t pt[1 + DCAP_ECDSA_KEY_SIZE];
	pt[0] = 0x04;
	memcpy(pt + 1, xy, DCAP_ECDSA_KEY_SIZE);
	EVP_PKEY *key = NULL;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (b != NULL && ctx != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) &&
	    (params = OSSL_PARAM_BLD_to_param(b)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* 1: sig (raw r || s) is key's ECDSA-SHA256 signature over msg; 0: it is
 * not; -ENOMEM. */
static int ecdsa_verify(EVP_PKEY *key, const uint8_t *msg, size_t len,
                        const uint8_t sig[DCAP_ECDSA_SIG_SIZE])
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
	if (s == NULL || r == NULL || sv == NULL || ECDSA_SIG_set0(s, r, sv) != 1) {
		BN_free(r);
		BN_free(sv);
		ECDSA_SIG_free(s);
		return -ENOMEM;
	}
	unsigned char *der = NULL;
	int der_len = i2d_ECDSA_SIG(s, &der);
	ECDSA_SIG_free(s);
	if (der_len <= 0)
		return -ENOMEM;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	         EVP_DigestVerify(md, der, (size_t)der_len, msg, len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok;
}

/* The first certificate of the PCK chain (the leaf). */
static int pck_leaf(const dcap_quote *q, X509 **ret, cc_error **err)
{
	BIO *bio = BIO_new_mem_buf(q->pck_chain, (int)q->pck_chain_len);
	if (bio == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (leaf == NULL)
		return cc_error_set(err, -EBADMSG,
		                    "PCK chain: the certification data's first PEM certificate "
		                    "cannot be read");
	*ret = leaf;
	return 0;
}

static int check_quote_signature(const dcap_quote *q, cc_error **err)
{
	EVP_PKEY *ak = p256_key(q->att_key);
	if (ak == NULL)
		return cc_error_set(err, -EBADMSG,
		                    "quote signature: the attestation key is not a P-256 point");
	int r = ecdsa_verify(ak, q->header, q->signed_len, q->signature);
	EVP_PKEY_free(ak);
	if (r < 0)
		return cc_error_set(err, r, "out of memory");
	if (r == 0)
		return cc_error_set(err, -EBADMSG,
		                    "quote signature: the attestation key's ECDSA signature over "
		                    "the quote header and body does not verify");
	return 0;
}

static int check_qe_report_signature(const dcap_quote *q, cc_error **err)
{
	X509 *leaf;
	int r = pck_leaf(q, &leaf, err);
	if (r < 0)
		return r;
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
		X509_free(leaf);
		return cc_error_set(err, -EBADMSG,
		                    "QE report signature: the PCK leaf's key is not an EC key");
	}
	r = ecdsa_verify(key, q->qe_report, DCAP_SGX_BODY_SIZE, q->qe_report_sig);
	X509_free(leaf);
	if (r < 0)
		return cc_error_set(err, r, "out of memory");
	if (r == 0)
		return cc_error_set(err, -EBADMSG,
		                    "QE report signature: the PCK leaf's ECDSA signature over the "
		                    "QE report does not verify");
	return 0;
}

static int check_qe_binding(const dcap_quote *q, cc_error **err)
{
	uint8_t want[64] = {0};
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(md, q->att_key, DCAP_ECDSA_KEY_SIZE) == 1 &&
	         EVP_DigestUpdate(md, q->auth_data, q->auth_data_len) == 1 &&
	         EVP_DigestFinal_ex(md, want, NULL) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const uint8_t *got = q->qe_report + SGX_REPORT_DATA_OFF;
	if (CRYPTO_memcmp(got, want, 32) != 0)
		return cc_error_set(err, -EBADMSG,
		                    "QE report binding: QE report data is not SHA-256(attestation "
		                    "key || QE authentication data)");
	if (CRYPTO_memcmp(got + 32, want + 32, 32) != 0)
		return cc_error_set(err, -EBADMSG,
		                    "QE report binding: QE report data bytes 32..63 are not zero");
	return 0;
}

int dcap_quote_check_signatures(const dcap_quote *q, cc_error **err)
{
	int r = check_quote_signature(q, err);
	if (r == 0)
		r = check_qe_report_signature(q, err);
	if (r == 0)
		r = check_qe_binding(q, err);
	return r;
}

/* The value of the SEQUENCE { OID oid, value } inside seq whose OID is oid. */
static const ASN1_TYPE *find_oid_value(STACK_OF(ASN1_TYPE) *seq, const ASN1_OBJECT *oid,
                                       STACK_OF(ASN1_TYPE) **hold)
{
	for (int i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
		const ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);
		if (t->type != V_ASN1_SEQUENCE)
			continue;
		const unsigned char *p = t->value.sequence->data;
		STACK_OF(ASN1_TYPE) *pair = d2i_ASN1_SEQUENCE_ANY(NULL, &p, t->value.sequence->length);
		if (pair == NULL)
			continue;
		if (sk_ASN1_TYPE_num(pair) == 2 &&
		    sk_ASN1_TYPE_value(pair, 0)->type == V_ASN1_OBJECT &&
		    OBJ_cmp(sk_ASN1_TYPE_value(pair, 0)->value.object, oid) == 0) {
			*hold = pair;
			return sk_ASN1_TYPE_value(pair, 1);
		}
		sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
	}
	return NULL;
}

int dcap_quote_platform_instance_id(const dcap_quote *q, char ret[33], cc_error **err)
{
	X509 *leaf;
	int r = pck_leaf(q, &leaf, err);
	if (r < 0)
		return r;
	ASN1_OBJECT *ext_oid = OBJ_txt2obj(SGX_EXT_OID, 1);
	ASN1_OBJECT *pi_oid = OBJ_txt2obj(SGX_PLATFORM_INSTANCE_OID, 1);
	STACK_OF(ASN1_TYPE) *seq = NULL, *pair = NULL;
	r = -EBADMSG;
	int idx = ext_oid != NULL ? X509_get_ext_by_OBJ(leaf, ext_oid, -1) : -1;
	if (idx >= 0) {
		const ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
		const unsigned char *p = ASN1_STRING_get0_data(d);
		seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(d));
	}
	if (seq != NULL && pi_oid != NULL) {
		const ASN1_TYPE *v = find_oid_value(seq, pi_oid, &pair);
		ret[0] = '\0';
		r = 0;
		if (v != NULL) {
			r = -EBADMSG;
			if (v->type == V_ASN1_OCTET_STRING && v->value.octet_string->length == 16) {
				uint8_t be[16];
				for (int i = 0; i < 16; i++)
					be[i] = v->value.octet_string->data[15 - i];
				tpm_hex_encode(be, 16, ret);
				r = 0;
			}
		}
	}
	sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	ASN1_OBJECT_free(ext_oid);
	ASN1_OBJECT_free(pi_oid);
	X509_free(leaf);
	if (r < 0)
		return cc_error_set(err, r,
		                    "PCK chain: the PCK leaf's Intel SGX extensions (OID " SGX_EXT_OID
		                    ") cannot be read");
	return 0;
}

int dcap_quote_pck_ext(const dcap_quote *q, struct dcap_pck_ext *ret, cc_error **err)
{
	X509 *leaf;
	int r = pck_leaf(q, &leaf, err);
	if (r < 0)
		return r;
	r = dcap_pck_ext_from_cert(leaf, ret, err);
	X509_free(leaf);
	return r;
}
