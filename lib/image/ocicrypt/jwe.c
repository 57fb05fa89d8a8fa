/* The jwe key wrapper (containers/ocicrypt keywrap/jwe/keywrapper_jwe.go):
 * the PLBCO as the plaintext of a JWE in JSON serialization (RFC 7516 §7.2),
 * content encryption A256GCM, one recipient per public key with alg
 * RSA-OAEP (RSA keys) or ECDH-ES+A256KW (EC keys). JOSE itself is libjose.
 *
 * One recipient gives the flattened form with "alg" in the protected header,
 * as go-jose's FullSerialize does; several give "recipients" with "alg" in
 * each recipient's header. Unwrapping accepts both, and only the key
 * management algorithms Go ocicrypt can produce (no RSA1_5, no PBES2, no
 * "dir"), so a hostile header cannot pick a weak or costly algorithm. */
#include <errno.h>
#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

static const char *const allowed_alg[] = {
	"RSA-OAEP", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW",
};
static const char *const allowed_enc[] = {
	"A128GCM", "A192GCM", "A256GCM", "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static const char *default_alg(const EVP_PKEY *k)
{
	return EVP_PKEY_is_a(k, "RSA") ? "RSA-OAEP" : "ECDH-ES+A256KW";
}

static json_t *public_jwk(const EVP_PKEY *k)
{
	json_t *jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, (EVP_PKEY *)k);
	if (jwk != NULL && !jose_jwk_pub(NULL, jwk)) {
		json_decref(jwk);
		jwk = NULL;
	}
	ERR_clear_error();
	return jwk;
}

static int wrap_one(json_t *jwe, json_t *cek, const EVP_PKEY *k, bool single, size_t i,
                    cc_error **err)
{
	json_t *jwk = public_jwk(k);
	json_t *rcp = NULL;
	if (single)
		json_object_set_new(json_object_get(jwe, "protected"), "alg",
		                    json_string(default_alg(k)));
	else
		rcp = json_pack("{s:{s:s}}", "header", "alg", default_alg(k));
	bool ok = jwk != NULL && (single || rcp != NULL) &&
	          jose_jwe_enc_jwk(NULL, jwe, rcp, jwk, cek);
	json_decref(jwk);
	json_decref(rcp);
	ERR_clear_error();
	if (!ok)
		return cc_error_set(err, -EIO, "jwe: cannot wrap to recipient %zu (%s)", i + 1,
		                    default_alg(k));
	return 0;
}

int oc_jwe_wrap(const EVP_PKEY *const *keys, size_t n, const void *opts, size_t opts_len,
                unsigned char **ret, size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	if (n == 0)
		return 0;
	json_t *jwe = json_pack("{s:{s:s}}", "protected", "enc", "A256GCM");
	json_t *cek = json_object();
	int r = jwe && cek ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = wrap_one(jwe, cek, keys[i], n == 1, i, err);
	if (r == 0 && !jose_jwe_enc_cek(NULL, jwe, cek, opts, opts_len))
		r = cc_error_set(err, -EIO, "jwe: A256GCM encryption failed");
	char *out = r == 0 ? json_dumps(jwe, JSON_COMPACT) : NULL;
	if (r == 0 && out == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(jwe);
	json_decref(cek); /* libjose keeps the CEK as a JWK: "k" is secret */
	ERR_clear_error();
	if (r < 0)
		return r;
	*ret = (unsigned char *)out;
	*ret_len = strlen(out);
	return 0;
}

/* Every recipient must ask for an algorithm Go ocicrypt could have used. */
static int check_algs(const json_t *jwe, size_t *ret_n, cc_error **err)
{
	const json_t *rcps = json_object_get(jwe, "recipients");
	size_t n = json_is_array(rcps) ? json_array_size(rcps) : 1;
	if (json_is_array(rcps) && n == 0)
		return cc_error_set(err, -EINVAL, "jwe: no recipients");
	if (n > CC_IMG_MAX_WRAPPED_KEYS)
		return cc_error_set(err, -E2BIG, "jwe: %zu recipients, more than %u", n,
		                    CC_IMG_MAX_WRAPPED_KEYS);
	for (size_t i = 0; i < n; i++) {
		const json_t *rcp = json_is_array(rcps) ? json_array_get(rcps, i) : NULL;
		json_t *hdr = jose_jwe_hdr(jwe, rcp);
		const char *alg = json_string_value(json_object_get(hdr, "alg"));
		const char *enc = json_string_value(json_object_get(hdr, "enc"));
		bool ok = in_list(alg, allowed_alg, sizeof(allowed_alg) / sizeof(*allowed_alg)) &&
		          in_list(enc, allowed_enc, sizeof(allowed_enc) / sizeof(*allowed_enc));
		int r = ok ? 0
		           : cc_error_set(err, -ENOTSUP, "jwe: recipient %zu: unsupported alg/enc "
		                                         "\"%.32s\"/\"%.32s\"",
		                          i + 1, alg ? alg : "", enc ? enc : "");
		json_decref(hdr);
		if (r < 0)
			return r;
	}
	*ret_n = n;
	return 0;
}

static int parse_jwe(const void *pkt, size_t n, json_t **ret, size_t *nrcp, cc_error **err)
{
	json_t *jwe = NULL;
	int r = oc_json_parse(pkt, n, CC_IMG_MAX_ANNOTATION_BYTES, &jwe, "jwe", err);
	if (r < 0)
		return r;
	if (!json_is_object(jwe) || !json_is_string(json_object_get(jwe, "ciphertext")) ||
	    !json_is_string(json_object_get(jwe, "protected")))
		r = cc_error_set(err, -EINVAL, "jwe: not a JWE in JSON serialization");
	if (r == 0)
		r = check_algs(jwe, nrcp, err);
	if (r < 0) {
		json_decref(jwe);
		return r;
	}
	*ret = jwe;
	return 0;
}

size_t oc_jwe_recipient_count(const void *pkt, size_t n)
{
	json_t *jwe = NULL;
	size_t nrcp = 0;
	if (parse_jwe(pkt, n, &jwe, &nrcp, NULL) < 0)
		return 0;
	json_decref(jwe);
	return nrcp;
}

static unsigned char *try_key(json_t *jwe, const EVP_PKEY *k, size_t *len)
{
	json_t *jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, (EVP_PKEY *)k);
	if (jwk == NULL)
		return NULL;
	unsigned char *pt = jose_jwe_dec(NULL, jwe, NULL, jwk, len);
	/* jwk holds the private key: jansson strings are wiped on free by
	 * nothing, so clear "d" & co. before dropping it. */
	const char *name = NULL;
	json_t *v = NULL;
	json_object_foreach(jwk, name, v)
		if (json_is_string(v))
			OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
	json_decref(jwk);
	ERR_clear_error();
	return pt;
}

int oc_jwe_unwrap(const ocicrypt_keys *k, const void *pkt, size_t n, unsigned char **ret,
                  size_t *ret_len, cc_error **err)
{
	json_t *jwe = NULL;
	size_t nrcp = 0;
	int r = parse_jwe(pkt, n, &jwe, &nrcp, err);
	if (r < 0)
		return r;
	size_t nkeys = oc_keys_count(k);
	for (size_t i = 0; i < nkeys; i++) {
		size_t len = 0;
		unsigned char *pt = try_key(jwe, oc_keys_at(k, i)->pkey, &len);
		if (pt != NULL) {
			json_decref(jwe);
			*ret = pt;
			*ret_len = len;
			return 0;
		}
	}
	json_decref(jwe);
	return cc_error_set(err, -EACCES, "jwe (%zu recipient%s): none of the %zu private key%s "
	                                  "fits",
	                    nrcp, nrcp == 1 ? "" : "s", nkeys, nkeys == 1 ? "" : "s");
}
