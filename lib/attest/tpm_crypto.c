/* The AK and the quote's signature, with OpenSSL 3. Upstream signs and
 * verifies RSASSA-PKCS1-v1_5 with SHA-256 over the TPMS_ATTEST bytes
 * (az-cvm-vtpm's Quote::verify_signature); so do we. */
#include <errno.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "tpm_int.h"

#define TPM_MIN_AK_BITS 2048

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
	if (!EVP_PKEY_is_a(pk, "RSA")) {
		EVP_PKEY_free(pk);
		return cc_error_set(err, -ENOTSUP, "ak_public: the AK is not an RSA key");
	}
	if (EVP_PKEY_get_bits(pk) < TPM_MIN_AK_BITS) {
		int bits = EVP_PKEY_get_bits(pk);
		EVP_PKEY_free(pk);
		return cc_error_set(err, -EINVAL, "ak_public: RSA key of %d bits, fewer than %d",
		                    bits, TPM_MIN_AK_BITS);
	}
	*ret = pk;
	return 0;
}

int tpm_verify_signature(EVP_PKEY *ak, const uint8_t *msg, size_t msg_len,
                         const TPMT_SIGNATURE *sig, cc_error **err)
{
	if (sig->sigAlg != TPM2_ALG_RSASSA)
		return cc_error_set(err, -ENOTSUP,
		                    "TPMT_SIGNATURE: scheme 0x%04x is not supported, expected "
		                    "RSASSA",
		                    (unsigned)sig->sigAlg);
	const TPMS_SIGNATURE_RSA *rsa = &sig->signature.rsassa;
	if (rsa->hash != TPM2_ALG_SHA256)
		return cc_error_set(err, -ENOTSUP,
		                    "TPMT_SIGNATURE: hash 0x%04x is not supported, expected SHA-256",
		                    (unsigned)rsa->hash);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, ak) == 1 &&
	         EVP_DigestVerify(ctx, rsa->sig.buffer, rsa->sig.size, msg, msg_len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return cc_error_set(err, -EBADMSG,
		                    "TPM quote signature verification failed: the message is not "
		                    "signed by ak_public");
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

int tpm_spki_from_public(const TPMT_PUBLIC *pub, uint8_t **ret_der, size_t *ret_len,
                         cc_error **err)
{
	if (pub->type != TPM2_ALG_RSA)
		return cc_error_set(err, -ENOTSUP,
		                    "AK: key type 0x%04x is not RSA (upstream's TPM evidence has an "
		                    "RSA AK)",
		                    (unsigned)pub->type);
	EVP_PKEY *pk = NULL;
	int r = rsa_from_public(pub, &pk);
	if (r < 0)
		return cc_error_set(err, r, "AK: cannot build an RSA public key from its public area");
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (n <= 0) {
		ERR_clear_error();
		return cc_error_set(err, -ENOMEM, "AK: cannot encode its SubjectPublicKeyInfo");
	}
	/* OPENSSL_malloc'd: copy so the caller can free() it. */
	uint8_t *copy = malloc((size_t)n);
	if (copy == NULL) {
		OPENSSL_free(der);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*ret_der = copy;
	*ret_len = (size_t)n;
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
