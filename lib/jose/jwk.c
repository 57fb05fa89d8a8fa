/* cj_jwk: an EVP_PKEY with its JWK metadata (alg, kid, x5c). Building from
 * OpenSSL keys, PEM and key generation; accessors. JSON parsing is in
 * jwk_parse.c, writing in jwk_emit.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cocoon/limits.h"
#include "jose_util.h"
#include "jwk_int.h"

static const struct cj_curve curves[] = {
	{"P-256", "prime256v1", 32, CJ_KTY_EC},
	{"P-384", "secp384r1", 48, CJ_KTY_EC},
	{"P-521", "secp521r1", 66, CJ_KTY_EC},
	{"Ed25519", "ED25519", 32, CJ_KTY_OKP},
};

const struct cj_curve *cj_curve_by_jwk_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(curves) / sizeof(*curves); i++)
		if (strcmp(name, curves[i].jwk_name) == 0)
			return &curves[i];
	return NULL;
}

/* Registered JOSE algorithms (RFC 7518, RFC 8037) a key may name, with the
 * key type (and curve) each needs. A known name on the wrong key, or an
 * unknown name, is refused when the JWK is read. */
static const struct {
	const char *alg;
	enum cj_kty kty;
	const char *crv; /* NULL: any curve of kty */
} alg_keys[] = {
	{"ES256", CJ_KTY_EC, "P-256"},     {"ES384", CJ_KTY_EC, "P-384"},
	{"ES512", CJ_KTY_EC, "P-521"},     {"ECDH-ES", CJ_KTY_EC, NULL},
	{"ECDH-ES+A128KW", CJ_KTY_EC, NULL}, {"ECDH-ES+A192KW", CJ_KTY_EC, NULL},
	{"ECDH-ES+A256KW", CJ_KTY_EC, NULL}, {"RS256", CJ_KTY_RSA, NULL},
	{"RS384", CJ_KTY_RSA, NULL},       {"RS512", CJ_KTY_RSA, NULL},
	{"PS256", CJ_KTY_RSA, NULL},       {"PS384", CJ_KTY_RSA, NULL},
	{"PS512", CJ_KTY_RSA, NULL},       {"RSA1_5", CJ_KTY_RSA, NULL},
	{"RSA-OAEP", CJ_KTY_RSA, NULL},    {"RSA-OAEP-256", CJ_KTY_RSA, NULL},
	{"EdDSA", CJ_KTY_OKP, "Ed25519"},
};

int cj_alg_suits(const char *alg, enum cj_kty kty, const struct cj_curve *curve,
                 cc_error **err)
{
	for (size_t i = 0; i < sizeof(alg_keys) / sizeof(*alg_keys); i++) {
		if (strcmp(alg, alg_keys[i].alg) != 0)
			continue;
		if (alg_keys[i].kty == kty &&
		    (alg_keys[i].crv == NULL || (curve && strcmp(alg_keys[i].crv, curve->jwk_name) == 0)))
			return 0;
		return cc_error_set(err, -EINVAL, "jwk: alg \"%s\" does not suit a %s%s%s key", alg,
		                    kty == CJ_KTY_EC ? "EC" : kty == CJ_KTY_RSA ? "RSA" : "OKP",
		                    curve ? " " : "", curve ? curve->jwk_name : "");
	}
	return cc_error_set(err, -EINVAL, "jwk: unknown alg \"%.40s\"", alg);
}

int cj_pkey_bn(const EVP_PKEY *pkey, const char *param, size_t len, unsigned char **ret,
               size_t *ret_len)
{
	BIGNUM *bn = NULL;
	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) {
		ERR_clear_error();
		return -ENOENT;
	}
	size_t n = len ? len : (size_t)BN_num_bytes(bn);
	unsigned char *p = malloc(n ? n : 1);
	int r = p == NULL ? -ENOMEM : BN_bn2binpad(bn, p, (int)n) < 0 ? -ERANGE : 0;
	BN_clear_free(bn);
	if (r < 0) {
		free(p);
		return r;
	}
	*ret = p;
	*ret_len = n;
	return 0;
}

static bool pkey_has_private(const EVP_PKEY *pkey, enum cj_kty kty)
{
	if (kty == CJ_KTY_OKP) {
		size_t n = 0;
		bool has = EVP_PKEY_get_raw_private_key(pkey, NULL, &n) == 1 && n > 0;
		ERR_clear_error();
		return has;
	}
	BIGNUM *bn = NULL;
	bool has = EVP_PKEY_get_bn_param(pkey, kty == CJ_KTY_EC ? OSSL_PKEY_PARAM_PRIV_KEY
	                                                        : OSSL_PKEY_PARAM_RSA_D,
	                                 &bn) == 1;
	BN_clear_free(bn);
	ERR_clear_error();
	return has;
}

static int pkey_type(EVP_PKEY *pkey, enum cj_kty *kty, const struct cj_curve **curve,
                     cc_error **err)
{
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		int bits = EVP_PKEY_get_bits(pkey);
		if (bits < (int)CC_JOSE_MIN_RSA_BITS || bits > (int)CC_JOSE_MAX_RSA_BITS)
			return cc_error_set(err, -EINVAL, "jwk: RSA key of %d bits (%u to %u accepted)",
			                    bits, CC_JOSE_MIN_RSA_BITS, CC_JOSE_MAX_RSA_BITS);
		*kty = CJ_KTY_RSA;
		*curve = NULL;
		return 0;
	}
	char group[64] = "";
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		memcpy(group, "ED25519", 8);
	else if (EVP_PKEY_is_a(pkey, "EC"))
		EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		                               NULL);
	ERR_clear_error();
	for (size_t i = 0; i < sizeof(curves) / sizeof(*curves); i++) {
		if (strcmp(group, curves[i].ossl_name) == 0) {
			*kty = curves[i].kty;
			*curve = &curves[i];
			return 0;
		}
	}
	return cc_error_set(err, -EINVAL, "jwk: unsupported key type %s%s%s",
	                    EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "?",
	                    group[0] ? " on " : "", group);
}

int cj_jwk_wrap(EVP_PKEY *pkey, cj_jwk **ret, cc_error **err)
{
	enum cj_kty kty;
	const struct cj_curve *curve = NULL;
	int r = pkey_type(pkey, &kty, &curve, err);
	if (r < 0)
		return r;
	cj_jwk *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	k->pkey = pkey;
	k->kty = kty;
	k->curve = curve;
	k->priv = pkey_has_private(pkey, kty);
	*ret = k;
	return 0;
}

int cj_jwk_from_pkey(EVP_PKEY *pkey, const char *alg, cj_jwk **ret, cc_error **err)
{
	cj_jwk *k = NULL;
	if (pkey == NULL)
		return cc_error_set(err, -EINVAL, "jwk: no key");
	int r = cj_jwk_wrap(pkey, &k, err);
	if (r < 0)
		return r;
	EVP_PKEY_up_ref(pkey);
	if ((r = cj_jwk_set_alg(k, alg, err)) < 0) {
		cj_jwk_free(k);
		return r;
	}
	*ret = k;
	return 0;
}

/* An encrypted PEM key is refused: OpenSSL's default would prompt on the
 * terminal, which a library must never do. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

int cj_jwk_from_pem(const char *pem, size_t len, const char *alg, cj_jwk **ret,
                    cc_error **err)
{
	if (len > CC_JOSE_MAX_JWK_BYTES || len > INT32_MAX)
		return cc_error_set(err, -E2BIG, "pem key: %zu bytes, more than %u", len,
		                    CC_JOSE_MAX_JWK_BYTES);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	if (pkey == NULL && bio != NULL) {
		BIO_free(bio);
		bio = BIO_new_mem_buf(pem, (int)len);
		pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL) : NULL;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL)
		return cc_error_set(err, -EINVAL, "pem key: no PEM private or public key found");
	int r = cj_jwk_from_pkey(pkey, alg, ret, err);
	EVP_PKEY_free(pkey);
	return r;
}

int cj_jwk_generate(enum cj_keygen kind, const char *alg, cj_jwk **ret, cc_error **err)
{
	EVP_PKEY *pkey = NULL;
	switch (kind) {
	case CJ_GEN_P256: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
	case CJ_GEN_P384: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
	case CJ_GEN_P521: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"); break;
	case CJ_GEN_RSA2048: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048); break;
	case CJ_GEN_RSA3072: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072); break;
	case CJ_GEN_RSA4096: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096); break;
	case CJ_GEN_ED25519: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	}
	ERR_clear_error();
	if (pkey == NULL)
		return cc_error_set(err, -EIO, "jwk: key generation failed (OpenSSL)");
	int r = cj_jwk_from_pkey(pkey, alg, ret, err);
	EVP_PKEY_free(pkey);
	return r;
}

int cj_jwk_dup(const cj_jwk *k, cj_jwk **ret, cc_error **err)
{
	cj_jwk *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*d = *k;
	d->alg = k->alg ? strdup(k->alg) : NULL;
	d->kid = k->kid ? strdup(k->kid) : NULL;
	d->x5c = k->x5c ? json_deep_copy(k->x5c) : NULL;
	if ((k->alg && !d->alg) || (k->kid && !d->kid) || (k->x5c && !d->x5c) ||
	    EVP_PKEY_up_ref(k->pkey) != 1) {
		d->pkey = NULL;
		cj_jwk_free(d);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = d;
	return 0;
}

void cj_jwk_free(cj_jwk *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->alg);
	free(k->kid);
	json_decref(k->x5c);
	free(k);
}

EVP_PKEY *cj_jwk_pkey(const cj_jwk *k) { return k->pkey; }
enum cj_kty cj_jwk_kty(const cj_jwk *k) { return k->kty; }
const char *cj_jwk_crv(const cj_jwk *k) { return k->curve ? k->curve->jwk_name : NULL; }
const char *cj_jwk_alg(const cj_jwk *k) { return k->alg; }
const char *cj_jwk_kid(const cj_jwk *k) { return k->kid; }
bool cj_jwk_is_private(const cj_jwk *k) { return k->priv; }
const json_t *cj_jwk_x5c(const cj_jwk *k) { return k->x5c; }

const char *cj_jwk_kty_name(const cj_jwk *k)
{
	return k->kty == CJ_KTY_EC ? "EC" : k->kty == CJ_KTY_RSA ? "RSA" : "OKP";
}

bool cj_jwk_public_eq(const cj_jwk *a, const cj_jwk *b)
{
	bool eq = a != NULL && b != NULL && EVP_PKEY_eq(a->pkey, b->pkey) == 1;
	ERR_clear_error();
	return eq;
}

static int set_str(char **dst, const char *s, cc_error **err)
{
	char *c = NULL;
	if (s != NULL && (c = strdup(s)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	free(*dst);
	*dst = c;
	return 0;
}

int cj_jwk_set_alg(cj_jwk *k, const char *alg, cc_error **err)
{
	int r = alg ? cj_alg_suits(alg, k->kty, k->curve, err) : 0;
	return r < 0 ? r : set_str(&k->alg, alg, err);
}

int cj_jwk_set_kid(cj_jwk *k, const char *kid, cc_error **err)
{
	return set_str(&k->kid, kid, err);
}

/* Appends the standard base64 of cert's DER to arr. */
static int x5c_append(json_t *arr, X509 *cert)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);
	char *b = n > 0 ? cj_b64_encode(der, (size_t)n) : NULL;
	OPENSSL_free(der);
	int r = b != NULL && json_array_append_new(arr, json_string(b)) == 0 ? 0 : -ENOMEM;
	free(b);
	return r;
}

int cj_jwk_set_x5c_pem(cj_jwk *k, const char *pem, size_t len, cc_error **err)
{
	if (len > CC_JOSE_MAX_JWK_BYTES || len > INT32_MAX)
		return cc_error_set(err, -E2BIG, "x5c: certificate chain over %u bytes",
		                    CC_JOSE_MAX_JWK_BYTES);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	json_t *arr = json_array();
	int r = bio && arr ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	X509 *cert;
	while (r == 0 && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (json_array_size(arr) == 0) {
			EVP_PKEY *leaf = X509_get0_pubkey(cert);
			if (leaf == NULL || EVP_PKEY_eq(leaf, k->pkey) != 1)
				r = cc_error_set(err, -EINVAL, "x5c: the first certificate does not "
				                               "hold this key");
		}
		if (r == 0 && json_array_size(arr) >= CC_JOSE_MAX_X5C_CERTS)
			r = cc_error_set(err, -E2BIG, "x5c: more than %u certificates",
			                 CC_JOSE_MAX_X5C_CERTS);
		if (r == 0 && x5c_append(arr, cert) < 0)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		X509_free(cert);
	}
	ERR_clear_error();
	BIO_free(bio);
	if (r == 0 && json_array_size(arr) == 0)
		r = cc_error_set(err, -EINVAL, "x5c: no PEM certificate found");
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	json_decref(k->x5c);
	k->x5c = arr;
	return 0;
}
