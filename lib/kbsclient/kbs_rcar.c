/* The client's flows (kbs_client.h): RCAR as the guest's kbs_protocol
 * client runs it (guest-components.md §2.2), the resource fetch with its
 * 401 retries (§2.4), admin calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cocoon/limits.h"
#include "jose_jwe.h"
#include "jose_util.h"
#include "kbs_client.h"

static int post_json(kbs_http *h, const char *path, const char *body,
                     struct kbs_http_resp *r, cc_error **err)
{
	struct kbs_http_call c = {
	    .method = "POST",
	    .path = path,
	    .content_type = "application/json",
	    .body = body,
	    .body_len = strlen(body),
	    .max_body = CC_KBS_CLIENT_MAX_BODY,
	};
	return kbs_http_do(h, &c, r, err);
}

/* One Request-Challenge-Attestation exchange on a new session. A 4xx
 * answer is marked final in *ret_final. */
static int rcar_once(kbs_http *h, const struct kbs_rcar *o, char **ret_token, bool *ret_final,
                     cc_error **err)
{
	*ret_final = false;
	kbs_http_forget_session(h);
	char *body = NULL, *nonce = NULL, *evidence = NULL, *att = NULL;
	json_t *pub = NULL;
	struct kbs_http_resp r = {0};
	enum cj_hash hash = CJ_SHA384;
	unsigned char digest[CJ_HASH_MAX];
	int rc = kbs_request_body(attest_attester_tee(o->attester), &body, err);
	if (rc >= 0)
		rc = post_json(h, "auth", body, &r, err);
	if (rc >= 0 && r.status != 200) {
		*ret_final = r.status >= 400 && r.status < 500;
		rc = kbs_http_status_error(&r, -EPERM, "auth", err);
	}
	if (rc >= 0)
		rc = kbs_challenge_parse(r.body.p, r.body.len, &nonce, &hash, err);
	if (rc >= 0)
		rc = cj_jwk_to_tee_pubkey(o->tee_key, &pub, err);
	if (rc >= 0)
		rc = kbs_runtime_digest(nonce, pub, hash, digest, err);
	if (rc >= 0) {
		rc = attest_attester_get_evidence(o->attester, digest, cj_hash_len(hash), &evidence,
		                                  err);
		if (rc < 0) {
			*ret_final = true; /* the attester, not the network */
			cc_error_wrap(err, "%s attester", attest_attester_tee(o->attester));
		}
	}
	if (rc >= 0)
		rc = kbs_attestation_body(nonce, pub, evidence, strlen(evidence), o->init_data,
		                          o->init_data_len, &att, err);
	if (rc >= 0)
		rc = post_json(h, "attest", att, &r, err);
	if (rc >= 0 && r.status != 200) {
		*ret_final = r.status >= 400 && r.status < 500;
		rc = kbs_http_status_error(&r, -EPERM, "attest", err);
	}
	if (rc >= 0)
		rc = kbs_token_parse(r.body.p, r.body.len, ret_token, err);
	else if (rc == -EINVAL || rc == -E2BIG || rc == -EFBIG || rc == -ENOTSUP || rc == -EPROTO)
		*ret_final = true; /* a malformed or oversized answer, a TLS failure */
	kbs_http_resp_clear(&r);
	free(body);
	free(nonce);
	free(evidence);
	free(att);
	json_decref(pub);
	return rc;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int kbs_rcar_token(kbs_http *h, const struct kbs_rcar *o, char **ret_token, cc_error **err)
{
	int rc = -EIO;
	for (unsigned i = 0; i < CC_KBS_CLIENT_RCAR_ATTEMPTS; i++) {
		cc_error *e = NULL;
		bool final = false;
		rc = rcar_once(h, o, ret_token, &final, &e);
		if (rc >= 0)
			return 0;
		if (final || i + 1 == CC_KBS_CLIENT_RCAR_ATTEMPTS) {
			cc_error_move(err, &e);
			break;
		}
		cc_error_free(e);
		sleep_ms(CC_KBS_CLIENT_RCAR_RETRY_MS);
	}
	return cc_error_wrap(err, "attestation with %s", kbs_http_url(h));
}

int kbs_resource_decrypt(const cj_jwk *key, const char *jwe, size_t len, unsigned char **ret,
                         size_t *ret_len, cc_error **err)
{
	int r = cj_jwe_decrypt(key, jwe, len, ret, ret_len, NULL, err);
	return r < 0 ? cc_error_wrap(err, "the resource answer (JWE)") : 0;
}

/* Whether a 401 body says the session or token was refused (a new RCAR
 * may help), rather than the resource (a missing one, a policy's deny). */
static bool session_refused(const struct kbs_http_resp *r)
{
	static const char *const other[] = {
	    "PluginInternalError", "PluginNotFound", "InvalidRequestPath", "PolicyDeny",
	    "PolicyEngineError", "ParsePolicyError", "JweError", "SerdeError",
	};
	char *variant = NULL, *detail = NULL;
	if (kbs_error_parse(r->body.p, r->body.len, &variant, &detail, NULL) < 0)
		return true; /* not a Trustee error body: assume the session */
	bool refused = true;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (strcmp(variant, other[i]) == 0)
			refused = false;
	free(variant);
	free(detail);
	return refused;
}

int kbs_resource_fetch(kbs_http *h, const char *path, const char *bearer, const cj_jwk *key,
                       unsigned char **ret, size_t *ret_len, long *ret_status,
                       bool *ret_session, cc_error **err)
{
	*ret_status = 0;
	*ret_session = false;
	cc_buf url;
	cc_buf_init(&url, 0);
	if (cc_buf_printf(&url, "resource/%s", path) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct kbs_http_call c = {
	    .method = "GET",
	    .path = url.p,
	    .bearer = bearer,
	    .max_body = CC_KBS_CLIENT_MAX_RESOURCE_BODY,
	};
	struct kbs_http_resp r = {0};
	int rc = kbs_http_do(h, &c, &r, err);
	if (rc >= 0) {
		*ret_status = r.status;
		*ret_session = r.status == 401 && session_refused(&r);
		if (r.status == 200)
			rc = kbs_resource_decrypt(key, r.body.p, r.body.len, ret, ret_len, err);
		else
			rc = kbs_http_status_error(&r, r.status == 404 ? -ENOENT : -EPERM, "resource",
			                           err);
	}
	kbs_http_resp_clear(&r);
	cc_buf_free(&url);
	return rc;
}

int kbs_get_resource(kbs_http *h, const char *path, const struct kbs_rcar *o,
                     const char *bearer, const cj_jwk *key, unsigned char **ret,
                     size_t *ret_len, cc_error **err)
{
	int rc = kbs_resource_path_check(path, err);
	if (rc < 0)
		return rc;
	char *token = NULL;
	rc = -EPERM;
	for (unsigned i = 0; i < CC_KBS_CLIENT_GET_ATTEMPTS; i++) {
		if (o != NULL) {
			/* a session first, and a new one after each 401 */
			rc = kbs_rcar_token(h, o, &token, err);
			if (token != NULL)
				cj_free_secret(token, strlen(token));
			token = NULL;
			if (rc < 0)
				break;
		}
		cc_error *e = NULL;
		long status = 0;
		bool session = false;
		rc = kbs_resource_fetch(h, path, bearer, key, ret, ret_len, &status, &session, &e);
		if (rc < 0 && status == 401 && o != NULL && i + 1 < CC_KBS_CLIENT_GET_ATTEMPTS) {
			cc_error_free(e);
			continue;
		}
		if (rc < 0)
			cc_error_move(err, &e);
		break;
	}
	return rc < 0 ? cc_error_wrap(err, "get-resource %s", path) : 0;
}

int kbs_admin_call(kbs_http *h, const char *method, const char *path, const char *content_type,
                   const void *body, size_t len, const char *token, char **ret_body,
                   size_t *ret_len, cc_error **err)
{
	struct kbs_http_call c = {
	    .method = method,
	    .path = path,
	    .content_type = content_type,
	    .body = body,
	    .body_len = len,
	    .bearer = token,
	    .max_body = CC_KBS_CLIENT_MAX_BODY,
	};
	struct kbs_http_resp r = {0};
	int rc = kbs_http_do(h, &c, &r, err);
	if (rc >= 0 && r.status != 200)
		rc = kbs_http_status_error(&r, r.status == 404 ? -ENOENT : -EPERM, path, err);
	if (rc >= 0 && ret_body != NULL) {
		size_t n = r.body.len;
		char *out = malloc(n + 1);
		if (out == NULL) {
			rc = cc_error_set(err, -ENOMEM, "out of memory");
		} else {
			if (n > 0)
				memcpy(out, r.body.p, n);
			out[n] = '\0';
			*ret_body = out;
			if (ret_len != NULL)
				*ret_len = n;
		}
	}
	kbs_http_resp_clear(&r);
	return rc;
}
