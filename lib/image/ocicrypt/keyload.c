/* Loading keys and certificates: PEM, DER (through OpenSSL's decoders, which
 * know PKCS#1, SEC1, PKCS#8 and encrypted PKCS#8 / traditional PEM) and JWK
 * (through libjose), as Go ocicrypt's utils.ParsePrivateKey/ParsePublicKey
 * accept them. */
#include <errno.h>
#include <fcntl.h>
#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

/* No prompting: an encrypted key without a password fails to decode. */
static int no_passphrase(char *buf, size_t size, size_t *len, const OSSL_PARAM params[],
                         void *arg)
{
	return 0;
}

static EVP_PKEY *decode_pkey(const void *data, size_t n, int selection, const char *password)
{
	EVP_PKEY *pkey = NULL;
	OSSL_DECODER_CTX *dctx =
	    OSSL_DECODER_CTX_new_for_pkey(&pkey, NULL, NULL, NULL, selection, NULL, NULL);
	if (dctx == NULL)
		return NULL;
	if (password != NULL)
		OSSL_DECODER_CTX_set_passphrase(dctx, (const unsigned char *)password,
		                                strlen(password));
	else
		OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, NULL);
	const unsigned char *p = data;
	size_t len = n;
	if (OSSL_DECODER_from_data(dctx, &p, &len) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	ERR_clear_error();
	return pkey;
}

static bool looks_like_json(const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i < n && p[i] == '{';
}

static int jwk_to_pkey(const void *data, size_t n, bool priv, const char *name, EVP_PKEY **ret,
                       cc_error **err)
{
	json_t *jwk = NULL;
	int r = oc_json_parse(data, n, CC_IMG_MAX_KEY_FILE_BYTES, &jwk, name, err);
	if (r < 0)
		return r;
	if (priv && json_object_get(jwk, "d") == NULL)
		r = cc_error_set(err, -EINVAL, "%s: JWK is not a private key (no \"d\")", name);
	EVP_PKEY *pkey = r == 0 ? jose_openssl_jwk_to_EVP_PKEY(NULL, jwk) : NULL;
	json_decref(jwk);
	ERR_clear_error();
	if (r < 0)
		return r;
	if (pkey == NULL)
		return cc_error_set(err, -EINVAL, "%s: unsupported or invalid JWK", name);
	*ret = pkey;
	return 0;
}

static int check_key_type(EVP_PKEY *pkey, const char *name, cc_error **err)
{
	if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "EC"))
		return 0;
	return cc_error_set(err, -ENOTSUP, "%s: unsupported key type %s (RSA or EC only)", name,
	                    EVP_PKEY_get0_type_name(pkey));
}

int oc_load_private_key(const void *data, size_t n, const char *password, const char *name,
                        EVP_PKEY **ret, cc_error **err)
{
	EVP_PKEY *pkey = NULL;
	if (looks_like_json(data, n)) {
		int r = jwk_to_pkey(data, n, true, name, &pkey, err);
		if (r < 0)
			return r;
	} else {
		pkey = decode_pkey(data, n, EVP_PKEY_KEYPAIR, password);
		if (pkey == NULL)
			return cc_error_set(err, -EINVAL,
			                    "%s: not a private key in PEM, DER or JWK form%s", name,
			                    password ? " (or wrong password)"
			                             : " (an encrypted key needs a password)");
	}
	int r = check_key_type(pkey, name, err);
	if (r < 0) {
		EVP_PKEY_free(pkey);
		return r;
	}
	*ret = pkey;
	return 0;
}

int oc_load_public_key(const void *data, size_t n, const char *name, EVP_PKEY **ret,
                       cc_error **err)
{
	EVP_PKEY *pkey = NULL;
	if (looks_like_json(data, n)) {
		int r = jwk_to_pkey(data, n, false, name, &pkey, err);
		if (r < 0)
			return r;
	} else {
		pkey = decode_pkey(data, n, EVP_PKEY_PUBLIC_KEY, NULL);
		if (pkey == NULL)
			return cc_error_set(err, -EINVAL, "%s: not a public key in PEM, DER or JWK form",
			                    name);
	}
	int r = check_key_type(pkey, name, err);
	if (r < 0) {
		EVP_PKEY_free(pkey);
		return r;
	}
	*ret = pkey;
	return 0;
}

int oc_load_cert(const void *data, size_t n, const char *name, X509 **ret, cc_error **err)
{
	if (n > INT_MAX)
		return cc_error_set(err, -EFBIG, "%s: too large", name);
	BIO *bio = BIO_new_mem_buf(data, (int)n);
	if (bio == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL) {
		const unsigned char *p = data;
		x = d2i_X509(NULL, &p, (long)n);
	}
	ERR_clear_error();
	if (x == NULL)
		return cc_error_set(err, -EINVAL, "%s: not an X.509 certificate (PEM or DER)", name);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (pk == NULL || !EVP_PKEY_is_a(pk, "RSA")) {
		X509_free(x);
		return cc_error_set(err, -ENOTSUP, "%s: pkcs7 needs a certificate with an RSA key",
		                    name);
	}
	*ret = x;
	return 0;
}
