/* Token verification and the TEE key of verified claims (token.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_util.h"
#include "keys.h"
#include "token.h"

static int add_file(cj_verifier *v, const char *uri, bool jwks, cc_error **err)
{
	const char *path = kbs_uri_path(uri);
	char *text = NULL;
	size_t len = 0;
	if (path == NULL)
		return cc_error_set(err, -EINVAL, "%s: only local files are supported", uri);
	int r = kbs_read_file(path, CC_KBS_MAX_CONFIG_BYTES, &text, &len, err);
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

int kbs_token_teekey(const json_t *claims, char *const *extra, size_t n_extra, cj_jwk **ret,
                     cc_error **err)
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
	int r = cj_jwk_from_tee_pubkey(k, ret, err);
	return r < 0 ? cc_error_wrap(err, "Failed to extract Tee public key from claims") : 0;
}
