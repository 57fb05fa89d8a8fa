/* Token verification and the TEE key of verified claims (token.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_util.h"
#include "keys.h"
#include "rcar.h"
#include "token.h"

static int add_file(cj_verifier *v, const char *uri, bool jwks, cc_error **err)
{
	const char *path = kbs_uri_path(uri);
	char *text = NULL;
	size_t len = 0;
	if (path == NULL)
		return cc_error_set(err, -EINVAL, "%s: only local files are supported", uri);
	int r = cc_read_file(path, CC_KBS_MAX_CONFIG_BYTES, CC_READ_REGULAR, &text, &len, err);
	if (r == 0)
		r = jwks ? cj_verifier_add_jwks(v, text, len, err)
		         : cj_verifier_add_trust_pem(v, text, len, err);
	free(text);
	return r < 0 ? cc_error_wrap(err, "[attestation_token] %s", path) : 0;
}

int kbs_token_verifier_new(const struct kbs_config *c, const cj_jwk *signer, cj_verifier **ret,
                           cc_error **err)
{
	cj_verifier *v = NULL;
	char *pem = NULL;
	int r = cj_verifier_new(&v, err);
	if (r == 0)
		r = kbs_keys_pem(cj_jwk_pkey(signer), false, &pem, NULL, err);
	if (r == 0)
		r = cj_verifier_add_pem_key(v, pem, strlen(pem), err);
	free(pem);
	for (size_t i = 0; r == 0 && i < c->n_trusted_certs; i++)
		r = add_file(v, c->trusted_certs_paths[i], false, err);
	for (size_t i = 0; r == 0 && i < c->n_trusted_jwk_sets; i++)
		r = add_file(v, c->trusted_jwk_sets[i], true, err);
	if (r < 0) {
		cj_verifier_free(v);
		return r;
	}
	cj_verifier_set_insecure_header_jwk(v, c->insecure_header_jwk);
	*ret = v;
	return 0;
}

/* Whether the header names our signer: "jwk" with its kty, crv, x, y. */
static bool own_signer(const json_t *hdr, const char *x, const char *y)
{
	const json_t *k = json_object_get(hdr, "jwk");
	const char *kty = json_string_value(json_object_get(k, "kty"));
	const char *crv = json_string_value(json_object_get(k, "crv"));
	const char *kx = json_string_value(json_object_get(k, "x"));
	const char *ky = json_string_value(json_object_get(k, "y"));
	return kty != NULL && crv != NULL && kx != NULL && ky != NULL && strcmp(kty, "EC") == 0 &&
	       strcmp(crv, "P-256") == 0 && strcmp(kx, x) == 0 && strcmp(ky, y) == 0;
}

int kbs_token_verify(const cj_verifier *v, const cj_jwk *signer, const char *signer_x,
                     const char *signer_y, const char *token, size_t len, int64_t now,
                     json_t **ret, int64_t *ret_until, cc_error **err)
{
	json_t *hdr = NULL;
	if (cj_jws_peek_header(token, len, &hdr, NULL) < 0 || !own_signer(hdr, signer_x, signer_y)) {
		json_decref(hdr);
		return cj_verifier_verify_until(v, token, len, ret, ret_until, err);
	}
	json_decref(hdr);
	char *pl = NULL;
	size_t n = 0;
	json_t *claims = NULL;
	int r = cj_jws_verify(signer, token, len, NULL, &pl, &n, err);
	if (r == 0)
		r = cj_json_parse(pl, n, CC_JOSE_MAX_TOKEN_BYTES, &claims, "jwt claims", err);
	free(pl);
	if (r == 0 && !json_is_object(claims))
		r = cc_error_set(err, -EINVAL, "jwt: the claims are not a JSON object");
	if (r == 0)
		r = cj_jwt_check_claims(claims, now, 0, 0, err);
	if (r < 0) {
		json_decref(claims);
		return r;
	}
	*ret = claims;
	*ret_until = INT64_MAX;
	return 0;
}

const json_t *kbs_json_pointer(const json_t *doc, const char *ptr)
{
	if (*ptr == '\0')
		return doc;
	if (*ptr != '/')
		return NULL;
	const json_t *cur = doc;
	char tok[256];
	while (cur != NULL && *ptr == '/') {
		ptr++;
		size_t n = 0;
		for (; *ptr != '\0' && *ptr != '/'; ptr++) {
			char ch = *ptr;
			if (ch == '~') {
				ptr++;
				if (*ptr != '0' && *ptr != '1')
					return NULL;
				ch = *ptr == '0' ? '~' : '/';
			}
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = ch;
		}
		tok[n] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_getn(cur, tok, n);
		} else if (json_is_array(cur)) {
			char *end;
			unsigned long i = strtoul(tok, &end, 10);
			bool ok = n > 0 && *end == '\0' && (tok[0] != '0' || n == 1) && tok[0] != '-' &&
			          tok[0] != '+';
			cur = ok ? json_array_get(cur, i) : NULL;
		} else {
			cur = NULL;
		}
	}
	return cur;
}

int kbs_token_teekey_json(const json_t *claims, char *const *extra, size_t n_extra,
                          const json_t **ret, cc_error **err)
{
	static const char *const paths[] = {
		"/tdx/attester_runtime_data/tee-pubkey",
		"/tdx/attester_user_data/tee-pubkey",
		"/customized_claims/runtime_data/tee-pubkey",
		"/submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims/tee-pubkey",
		"/tee-pubkey",
	};
	const json_t *k = NULL;
	for (size_t i = 0; k == NULL && i < n_extra; i++)
		k = kbs_json_pointer(claims, extra[i]);
	for (size_t i = 0; k == NULL && i < sizeof(paths) / sizeof(paths[0]); i++)
		k = kbs_json_pointer(claims, paths[i]);
	if (!json_is_object(k))
		return cc_error_set(err, -ENOENT, "Failed to extract Tee public key from claims: no "
		                                  "tee-pubkey in the token");
	*ret = k;
	return 0;
}

int kbs_token_teekey(const json_t *claims, char *const *extra, size_t n_extra, cj_jwk **ret,
                     cc_error **err)
{
	const json_t *k = NULL;
	int r = kbs_token_teekey_json(claims, extra, n_extra, &k, err);
	if (r == 0)
		r = kbs_tee_pubkey_parse(k, ret, err);
	return r < 0 ? cc_error_wrap(err, "Failed to extract Tee public key from claims") : 0;
}
