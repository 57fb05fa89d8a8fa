/* The AK and the quote's signature, with OpenSSL 3. Upstream signs and
 * verifies RSASSA-PKCS1-v1_5 with SHA-256 over the TPMS_ATTEST bytes
 * (az-cvm-vtpm's Quote::verify_signature); we also take ECC AKs (P-256,
 * P-384; ECDSA signatures) and SHA-384/512 signing hashes, and the AK as a
 * marshalled TPMT_PUBLIC or TPM2B_PUBLIC besides DER SPKI. */
#include <errno.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "tpm_int.h"

#define TPM_MIN_AK_BITS 2048

/* An AK's key must be RSA of at least 2048 bits, or ECC on NIST P-256 or
 * P-384 (the curves TPMs implement and TCG's EK/AK profiles name). */
static int check_ak_key(EVP_PKEY *pk, cc_error **err)
{
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bits(pk) < TPM_MIN_AK_BITS)
			return cc_error_set(err, -EINVAL, "ak_public: RSA key of %d bits, fewer than %d",
			                    EVP_PKEY_get_bits(pk), TPM_MIN_AK_BITS);
		return 0;
	}
	if (EVP_PKEY_is_a(pk, "EC")) {
		char group[32] = "";
		size_t glen = 0;
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                   sizeof(group), &glen) != 1 ||
		    (strcmp(group, "prime256v1") != 0 && strcmp(group, "secp384r1") != 0)) {
			ERR_clear_error();
			return cc_error_set(err, -ENOTSUP,
			                    "ak_public: ECC key on curve '%s', not P-256 or P-384", group);
		}
		return 0;
	}
	return cc_error_set(err, -ENOTSUP, "ak_public: the AK is neither an RSA nor an ECC key");
}

int tpm_ak_parse(const uint8_t *der, size_t len, EVP_PKEY **ret, cc_error **err)
{
	if (len > CC_TPM_MAX_FIELD_BYTES || len > LONG_MAX)
		return cc_error_set(err, -E2BIG, "ak_public: %zu bytes, more than %u", len,
		                    CC_TPM_MAX_FIELD_BYTES);
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk == NULL || p != der + len) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		return cc_error_set(err, -EINVAL,
		                    "ak_public: not a DER SubjectPublicKeyInfo public key");
	}
	int r = check_ak_key(pk, err);
	if (r < 0) {
		EVP_PKEY_free(pk);
		return r;
	}
	*ret = pk;
	return 0;
}

int tpm_ak_decode(const uint8_t *p, size_t len, EVP_PKEY **ret, cc_error **err)
{
	/* DER SubjectPublicKeyInfo is a SEQUENCE (0x30); a marshalled
	 * TPMT_PUBLIC starts with its type (0x0001 RSA, 0x0023 ECC) and a
	 * TPM2B_PUBLIC with its size (len - 2). */
	if (len > 0 && p[0] == 0x30)
		return tpm_ak_parse(p, len, ret, err);
	TPMT_PUBLIC pub;
	int r = -EINVAL;
	if (len >= 2 && (size_t)(p[0] << 8 | p[1]) == len - 2) {
		TPM2B_PUBLIC b;
		r = tpm_wire_public2b(p, len, &b, NULL);
		if (r == 0)
			pub = b.publicArea;
	}
	if (r < 0)
		r = tpm_wire_public(p, len, &pub, NULL);
	if (r < 0)
		return cc_error_set(err, -EINVAL,
		                    "ak_public: neither a DER SubjectPublicKeyInfo nor a marshalled "
		                    "TPMT_PUBLIC or TPM2B_PUBLIC");
	EVP_PKEY *pk = NULL;
	r = tpm_pkey_from_public(&pub, &pk, err);
	if (r < 0)
		return cc_error_wrap(err, "ak_public");
	r = check_ak_key(pk, err);
	if (r < 0) {
		EVP_PKEY_free(pk);
		return r;
	}
	*ret = pk;
	return 0;
}

int tpm_pkey_spki(EVP_PKEY *pk, uint8_t **ret_der, size_t *ret_len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	if (n <= 0) {
		ERR_clear_error();
		return -ENOMEM;
	}
	/* OPENSSL_malloc'd: copy so the caller can free() it. */
	uint8_t *copy = malloc((size_t)n);
	if (copy != NULL)
		memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	if (copy == NULL)
		return -ENOMEM;
	*ret_der = copy;
	*ret_len = (size_t)n;
	return 0;
}

static const EVP_MD *md_of(TPMI_ALG_HASH h)
{
	switch (h) {
	case TPM2_ALG_SHA256: return EVP_sha256();
	case TPM2_ALG_SHA384: return EVP_sha384();
	case TPM2_ALG_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

/* DER ECDSA-Sig-Value of a TPMS_SIGNATURE_ECDSA. */
static int ecdsa_der(const TPMS_SIGNATURE_ECDSA *e, unsigned char **ret, int *ret_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	BIGNUM *s = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
	if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(s);
		return -ENOMEM;
	}
	*ret = NULL;
	*ret_len = i2d_ECDSA_SIG(sig, ret);
	ECDSA_SIG_free(sig);
	return *ret_len > 0 ? 0 : -ENOMEM;
}

int tpm_verify_signature(EVP_PKEY *ak, const uint8_t *msg, size_t msg_len,
                         const TPMT_SIGNATURE *sig, cc_error **err)
{
	bool rsa = EVP_PKEY_is_a(ak, "RSA");
	TPMI_ALG_HASH hash;
	if (sig->sigAlg == TPM2_ALG_RSASSA && rsa)
		hash = sig->signature.rsassa.hash;
	else if (sig->sigAlg == TPM2_ALG_ECDSA && !rsa)
		hash = sig->signature.ecdsa.hash;
	else
		return cc_error_set(err, -ENOTSUP,
		                    "quote signature: TPMT_SIGNATURE scheme 0x%04x does not fit the "
		                    "%s AK (RSASSA for RSA, ECDSA for ECC)",
		                    (unsigned)sig->sigAlg, rsa ? "RSA" : "ECC");
	const EVP_MD *md = md_of(hash);
	if (md == NULL)
		return cc_error_set(err, -ENOTSUP,
		                    "quote signature: TPMT_SIGNATURE hash 0x%04x is not SHA-256, "
		                    "SHA-384 or SHA-512",
		                    (unsigned)hash);
	const unsigned char *s;
	size_t s_len;
	unsigned char *der = NULL;
	if (rsa) {
		s = sig->signature.rsassa.sig.buffer;
		s_len = sig->signature.rsassa.sig.size;
	} else {
		int n = 0;
		if (ecdsa_der(&sig->signature.ecdsa, &der, &n) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
		s = der;
		s_len = (size_t)n;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, ak) == 1 &&
	         EVP_DigestVerify(ctx, s, s_len, msg, msg_len) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	if (!ok)
		return cc_error_set(err, -EBADMSG,
		                    "quote signature: TPM quote signature verification failed: the "
		                    "message is not signed by ak_public");
	return 0;
}

static int rsa_from_public(const TPMT_PUBLIC *pub, EVP_PKEY **ret)
{
	uint32_t e = pub->parameters.rsaDetail.exponent;
	if (e == 0)
		e = 65537; /* Part 2 §12.2.3.5: 0 means the default exponent */
	BIGNUM *n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r = -ENOMEM;
	if (n == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_uint32(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || ctx == NULL)
		goto out;
	r = -EINVAL;
	if (EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1)
		r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	ERR_clear_error();
	return r;
}

static int ecc_from_public(const TPMT_PUBLIC *pub, EVP_PKEY **ret)
{
	const char *group;
	size_t size;
	switch (pub->parameters.eccDetail.curveID) {
	case TPM2_ECC_NIST_P256: group = "prime256v1"; size = 32; break;
	case TPM2_ECC_NIST_P384: group = "secp384r1"; size = 48; break;
	default: return -ENOTSUP;
	}
	const TPMS_ECC_POINT *pt = &pub->unique.ecc;
	if (pt->x.size > size || pt->y.size > size)
		return -EINVAL;
	/* uncompressed point: 04 || x || y, each left-padded to the size */
	unsigned char point[1 + 2 * 48] = {0x04};
	memcpy(point + 1 + size - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 1 + 2 * size - pt->y.size, pt->y.buffer, pt->y.size);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * size),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	int r = ctx != NULL ? -EINVAL : -ENOMEM;
	if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

int tpm_pkey_from_public(const TPMT_PUBLIC *pub, EVP_PKEY **ret, cc_error **err)
{
	int r;
	if (pub->type == TPM2_ALG_RSA)
		r = rsa_from_public(pub, ret);
	else if (pub->type == TPM2_ALG_ECC)
		r = ecc_from_public(pub, ret);
	else
		return cc_error_set(err, -ENOTSUP, "key type 0x%04x is neither RSA nor ECC",
		                    (unsigned)pub->type);
	if (r == -ENOTSUP)
		return cc_error_set(err, r, "ECC curve 0x%04x is not P-256 or P-384",
		                    (unsigned)pub->parameters.eccDetail.curveID);
	if (r < 0)
		return cc_error_set(err, r, "cannot build a public key from the TPMT_PUBLIC");
	return 0;
}

int tpm_spki_from_public(const TPMT_PUBLIC *pub, uint8_t **ret_der, size_t *ret_len,
                         cc_error **err)
{
	EVP_PKEY *pk = NULL;
	int r = tpm_pkey_from_public(pub, &pk, err);
	if (r < 0)
		return cc_error_wrap(err, "AK");
	r = tpm_pkey_spki(pk, ret_der, ret_len);
	EVP_PKEY_free(pk);
	if (r < 0)
		return cc_error_set(err, r, "AK: cannot encode its SubjectPublicKeyInfo");
	return 0;
}

int tpm_sha256_2(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                 uint8_t out[TPM_SHA256_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, a, a_len) == 1 && EVP_DigestUpdate(ctx, b, b_len) == 1 &&
	         EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == TPM_SHA256_SIZE;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -ENOMEM;
}

int tpm_pcrs_digest(const uint8_t (*pcrs)[TPM_SHA256_SIZE], size_t n,
                    uint8_t out[TPM_SHA256_SIZE])
{
	if (n > SIZE_MAX / TPM_SHA256_SIZE)
		return -EINVAL;
	return tpm_sha256_2((const uint8_t *)pcrs, n * TPM_SHA256_SIZE, NULL, 0, out);
}
