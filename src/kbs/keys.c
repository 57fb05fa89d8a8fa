/* The admin identity and the EAR signer (keys.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_util.h"
#include "keys.h"
#include "state.h"

int kbs_keys_pem(EVP_PKEY *k, bool private_key, char **ret, size_t *ret_len, cc_error **err)
{
	BIO *b = BIO_new(BIO_s_secmem());
	int ok = b != NULL && (private_key ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
	                                   : PEM_write_bio_PUBKEY(b, k));
	char *data = NULL;
	long n = ok ? BIO_get_mem_data(b, &data) : 0;
	char *out = n > 0 ? malloc((size_t)n + 1) : NULL;
	if (out != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "cannot write a PEM key");
	*ret = out;
	if (ret_len != NULL)
		*ret_len = (size_t)n;
	return 0;
}

/* Writes k as name.pem (private, created only) and name.pub (public):
 * -EEXIST when another server wrote name.pem first. */
static int write_pair(int dirfd, const char *dir, const cj_jwk *k, const char *name,
                      cc_error **err)
{
	char *priv = NULL, *pub = NULL, f[64];
	size_t priv_len = 0, pub_len = 0;
	int r = kbs_keys_pem(cj_jwk_pkey(k), true, &priv, &priv_len, err);
	if (r == 0)
		r = kbs_keys_pem(cj_jwk_pkey(k), false, &pub, &pub_len, err);
	snprintf(f, sizeof(f), "%s.pem", name);
	if (r == 0)
		r = kbs_state_write(dirfd, dir, f, priv, priv_len, true, err);
	snprintf(f, sizeof(f), "%s.pub", name);
	if (r == 0)
		r = kbs_state_write(dirfd, dir, f, pub, pub_len, false, err);
	cj_free_secret(priv, priv_len);
	free(pub);
	return r;
}

/* ---- the admin identity ---------------------------------------------------- */

/* "<b64url header>.<b64url claims>.<b64url signature>" signed with the
 * Ed25519 key. The header is written as Trustee's setup writes it. */
static int admin_token(EVP_PKEY *k, char **ret, cc_error **err)
{
	static const char hdr[] = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}";
	int64_t iat = kbs_now();
	json_t *c = json_pack("{s:s,s:s,s:[s],s:s,s:I,s:I}", "iss", "cocoon-kbs", "sub", "admin",
	                      "aud", "KBS", "role", "admin", "iat", (json_int_t)iat, "exp",
	                      (json_int_t)(iat + KBS_ADMIN_TOKEN_LIFETIME_S));
	char *claims = c != NULL ? json_dumps(c, JSON_COMPACT) : NULL;
	json_decref(c);
	char *h64 = cj_b64url_encode(hdr, sizeof(hdr) - 1);
	char *c64 = claims != NULL ? cj_b64url_encode(claims, strlen(claims)) : NULL;
	free(claims);
	char *input = NULL, *token = NULL, *s64 = NULL;
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -ENOMEM;
	if (h64 != NULL && c64 != NULL && md != NULL &&
	    asprintf(&input, "%s.%s", h64, c64) >= 0) {
		r = EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
		            EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input)) == 1
		        ? 0
		        : -EIO;
		s64 = r == 0 ? cj_b64url_encode(sig, siglen) : NULL;
		if (r == 0 && (s64 == NULL || asprintf(&token, "%s.%s", input, s64) < 0)) {
			token = NULL;
			r = -ENOMEM;
		}
	}
	EVP_MD_CTX_free(md);
	free(h64);
	free(c64);
	free(input);
	free(s64);
	if (r < 0)
		return cc_error_set(err, r, "cannot sign the admin token");
	*ret = token;
	return 0;
}

static int write_token(int dirfd, const char *dir, EVP_PKEY *k, cc_error **err)
{
	char *tok = NULL;
	int r = admin_token(k, &tok, err);
	if (r == 0)
		r = kbs_state_write(dirfd, dir, "admin-token", tok, strlen(tok), true, err);
	if (r == -EEXIST)
		r = 0;
	cj_free_secret(tok, tok != NULL ? strlen(tok) : 0);
	return r;
}

/* A new Ed25519 pair: admin-key.pem, admin-key.pub, admin-token. */
static int admin_create(int dirfd, const char *dir, cc_error **err)
{
	cj_jwk *k = NULL;
	int r = cj_jwk_generate(CJ_GEN_ED25519, "EdDSA", &k, err);
	if (r == 0)
		r = write_pair(dirfd, dir, k, "admin-key", err);
	if (r == 0)
		r = write_token(dirfd, dir, cj_jwk_pkey(k), err);
	cj_jwk_free(k);
	return r;
}

int kbs_keys_admin(int dirfd, const char *dir, char **ret_pub_pem, cc_error **err)
{
	char *pub = NULL, *priv = NULL, *tok = NULL;
	size_t priv_len = 0, tok_len = 0;
	int r = kbs_state_read(dirfd, dir, "admin-key.pub", CC_KBS_MAX_STATE_FILE_BYTES, &pub, NULL,
	                       err);
	if (r == -ENOENT) {
		r = admin_create(dirfd, dir, err);
		if (r == 0 || r == -EEXIST) /* another server made it first */
			r = kbs_state_read(dirfd, dir, "admin-key.pub", CC_KBS_MAX_STATE_FILE_BYTES, &pub,
			                   NULL, err);
	}
	if (r < 0)
		return r == -ENOENT ? cc_error_set(err, r, "%s/admin-key.pub: missing", dir) : r;
	r = kbs_state_read(dirfd, dir, "admin-token", CC_KBS_MAX_STATE_FILE_BYTES, &tok, &tok_len,
	                   err);
	if (r == -ENOENT) {
		/* the token was deleted: make a new one with the key */
		cj_jwk *k = NULL;
		r = kbs_state_read(dirfd, dir, "admin-key.pem", CC_KBS_MAX_STATE_FILE_BYTES, &priv,
		                   &priv_len, err);
		if (r == 0)
			r = cj_jwk_from_pem(priv, priv_len, "EdDSA", &k, err);
		if (r == 0)
			r = write_token(dirfd, dir, cj_jwk_pkey(k), err);
		cj_jwk_free(k);
		cj_free_secret(priv, priv_len);
	}
	cj_free_secret(tok, tok_len);
	if (r < 0) {
		free(pub);
		return r == -ENOENT ? cc_error_set(err, r, "%s/admin-key.pem: missing", dir) : r;
	}
	*ret_pub_pem = pub;
	return 0;
}

/* ---- the EAR signer ------------------------------------------------------------- */

static int signer_from_pem(const char *pem, size_t len, const char *where, cj_jwk **ret,
                           cc_error **err)
{
	cj_jwk *k = NULL;
	int r = cj_jwk_from_pem(pem, len, "ES256", &k, err);
	if (r == 0 && (!cj_jwk_is_private(k) || cj_jwk_kty(k) != CJ_KTY_EC ||
	               strcmp(cj_jwk_crv(k), "P-256") != 0))
		r = cc_error_set(err, -EINVAL, "a P-256 EC private key (as Trustee's EAR broker needs)");
	if (r < 0) {
		cj_jwk_free(k);
		return cc_error_wrap(err, "token signer %s", where);
	}
	*ret = k;
	return 0;
}

static int signer_state(int dirfd, const char *dir, cj_jwk **ret, cc_error **err)
{
	char *pem = NULL;
	size_t len = 0;
	cj_jwk *k = NULL;
	int r = kbs_state_read(dirfd, dir, "token-signer.pem", CC_KBS_MAX_STATE_FILE_BYTES, &pem,
	                       &len, err);
	if (r == -ENOENT) {
		r = cj_jwk_generate(CJ_GEN_P256, "ES256", &k, err);
		if (r == 0)
			r = write_pair(dirfd, dir, k, "token-signer", err);
		if (r == 0 || r == -EEXIST) /* when another server made it first, use that one */
			r = kbs_state_read(dirfd, dir, "token-signer.pem", CC_KBS_MAX_STATE_FILE_BYTES,
			                   &pem, &len, err);
		cj_jwk_free(k);
		k = NULL;
	}
	if (r == 0)
		r = signer_from_pem(pem, len, "token-signer.pem", &k, err);
	cj_free_secret(pem, len);
	if (r == 0)
		*ret = k;
	return r;
}

int kbs_keys_signer(const struct kbs_config *c, int dirfd, const char *dir, cj_jwk **ret,
                    cc_error **err)
{
	cj_jwk *k = NULL;
	int r;
	if (c->signer_key_path != NULL) {
		char *pem = NULL;
		size_t len = 0;
		r = cc_read_file(c->signer_key_path, CC_KBS_MAX_STATE_FILE_BYTES, CC_READ_REGULAR, &pem,
		                 &len, err);
		if (r == 0)
			r = signer_from_pem(pem, len, c->signer_key_path, &k, err);
		cj_free_secret(pem, len);
	} else {
		r = signer_state(dirfd, dir, &k, err);
	}
	if (r == 0 && c->signer_cert_path != NULL) {
		char *pem = NULL;
		size_t len = 0;
		r = cc_read_file(c->signer_cert_path, CC_KBS_MAX_STATE_FILE_BYTES, CC_READ_REGULAR, &pem,
		                 &len, err);
		if (r == 0 && (r = cj_jwk_set_x5c_pem(k, pem, len, err)) < 0)
			cc_error_wrap(err, "signer.cert_path %s", c->signer_cert_path);
		free(pem);
	}
	if (r < 0) {
		cj_jwk_free(k);
		return r;
	}
	*ret = k;
	return 0;
}
