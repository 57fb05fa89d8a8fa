/* Admin API authorization (admin.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_util.h"

struct idp {
	char *issuer, *audience;
	cj_verifier *v;
};

struct acl {
	char *role;
	pcre2_code *re;
};

struct kbs_admin {
	enum kbs_admin_mode mode;
	struct idp *idps;
	size_t n_idps;
	struct acl *acls;
	size_t n_acls;
};

const char *kbs_admin_mode_name(const struct kbs_admin *a)
{
	switch (a->mode) {
	case KBS_ADMIN_ALLOW_ALL: return "InsecureAllowAll";
	case KBS_ADMIN_DENY_ALL: return "DenyAll";
	case KBS_ADMIN_AUTHENTICATED: break;
	}
	return "AuthenticatedAuthorization";
}

void kbs_admin_free(struct kbs_admin *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_idps; i++) {
		free(a->idps[i].issuer);
		free(a->idps[i].audience);
		cj_verifier_free(a->idps[i].v);
	}
	free(a->idps);
	for (size_t i = 0; i < a->n_acls; i++) {
		free(a->acls[i].role);
		pcre2_code_free(a->acls[i].re);
	}
	free(a->acls);
	free(a);
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* An identity provider's verifier from a PEM key text or files. */
static int idp_init(struct idp *d, const struct kbs_idp *c, const char *pem, bool insecure_jwk,
                    cc_error **err)
{
	int r = cj_verifier_new(&d->v, err);
	const char *uris[2] = {c != NULL ? c->public_key_uri : NULL,
	                       c != NULL ? c->jwk_set_uri : NULL};
	if (r == 0 && pem != NULL)
		r = cj_verifier_add_pem_key(d->v, pem, strlen(pem), err);
	for (int i = 0; r == 0 && i < 2; i++) {
		if (uris[i] == NULL)
			continue;
		const char *path = kbs_uri_path(uris[i]);
		char *text = NULL;
		size_t len = 0;
		r = cc_read_file(path, CC_KBS_MAX_CONFIG_BYTES, CC_READ_REGULAR, &text, &len, err);
		if (r == 0)
			r = i == 0 ? cj_verifier_add_pem_key(d->v, text, len, err)
			           : cj_verifier_add_jwks(d->v, text, len, err);
		free(text);
		if (r < 0)
			cc_error_wrap(err, "admin identity provider %s", path);
	}
	cj_verifier_set_insecure_header_jwk(d->v, insecure_jwk);
	if (r == 0 && c != NULL) {
		d->issuer = dup_or_null(c->issuer);
		d->audience = dup_or_null(c->audience);
		if ((c->issuer && !d->issuer) || (c->audience && !d->audience))
			r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	return r;
}

static int acl_init(struct acl *a, const char *role, const char *pattern, cc_error **err)
{
	int ec;
	PCRE2_SIZE off;
	a->role = strdup(role);
	if (a->role == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	a->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &off,
	                      NULL);
	if (a->re == NULL) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return cc_error_set(err, -EINVAL, "admin ACL \"%.128s\": %s at offset %zu", pattern,
		                    (const char *)msg, (size_t)off);
	}
	return 0;
}

int kbs_admin_new(const struct kbs_config *c, const char *state_pub_pem,
                  struct kbs_admin **ret, cc_error **err)
{
	struct kbs_admin *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	a->mode = c->admin_from_state ? KBS_ADMIN_AUTHENTICATED : c->admin_mode;
	int r = 0;
	if (a->mode == KBS_ADMIN_AUTHENTICATED) {
		size_t ni = c->admin_from_state ? 1 : c->n_idps;
		size_t na = c->admin_from_state ? 1 : c->n_acls;
		a->idps = calloc(ni, sizeof(*a->idps));
		a->acls = calloc(na, sizeof(*a->acls));
		if (a->idps == NULL || a->acls == NULL)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; r == 0 && i < ni; i++, a->n_idps++)
			r = c->admin_from_state
			            ? idp_init(&a->idps[i], NULL, state_pub_pem, false, err)
			            : idp_init(&a->idps[i], &c->idps[i], NULL, c->admin_insecure_header_jwk,
			                       err);
		for (size_t i = 0; r == 0 && i < na; i++, a->n_acls++)
			r = c->admin_from_state
			            ? acl_init(&a->acls[i], "admin", "^/kbs/.+$", err)
			            : acl_init(&a->acls[i], c->acls[i].role, c->acls[i].allowed_endpoints,
			                       err);
	}
	if (r < 0) {
		kbs_admin_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

/* Whether aud (a string or an array of strings) holds want. */
static bool aud_has(const json_t *aud, const char *want)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	size_t i;
	json_t *e;
	json_array_foreach((json_t *)aud, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), want) == 0)
			return true;
	return false;
}

/* The role of a token some identity provider vouches for. */
static int authenticate(const struct kbs_admin *a, const struct kbs_request *req, char **ret_role,
                        cc_error **err)
{
	if (req->bearer == NULL)
		return cc_error_set(err, -EPERM, "%s",
		                    req->bearer_err < 0 ? "the Authorization field is not a Bearer token"
		                                        : "no Authorization: Bearer token");
	for (size_t i = 0; i < a->n_idps; i++) {
		json_t *claims = NULL;
		if (cj_verifier_verify(a->idps[i].v, req->bearer, req->bearer_len, &claims, NULL) < 0)
			continue;
		const char *iss = json_string_value(json_object_get(claims, "iss"));
		bool ok = (a->idps[i].issuer == NULL || (iss && strcmp(iss, a->idps[i].issuer) == 0)) &&
		          (a->idps[i].audience == NULL ||
		           aud_has(json_object_get(claims, "aud"), a->idps[i].audience));
		const char *role = json_string_value(json_object_get(claims, "role"));
		if (ok && role == NULL) {
			json_decref(claims);
			return cc_error_set(err, -EPERM, "Missing required `role` claim in JWT");
		}
		char *rc = ok ? strdup(role) : NULL;
		json_decref(claims);
		if (rc != NULL) {
			*ret_role = rc;
			return 0;
		}
	}
	return cc_error_set(err, -EPERM, "Cannot verify token with any of the issuers");
}

static bool acl_allows(const struct kbs_admin *a, const char *role, const char *path)
{
	bool ok = false;
	for (size_t i = 0; !ok && i < a->n_acls; i++) {
		if (strcmp(a->acls[i].role, role) != 0)
			continue;
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(a->acls[i].re, NULL);
		ok = md != NULL && pcre2_match(a->acls[i].re, (PCRE2_SPTR)path, PCRE2_ZERO_TERMINATED,
		                               0, 0, md, NULL) >= 0;
		pcre2_match_data_free(md);
	}
	return ok;
}

int kbs_admin_check(const struct kbs_admin *a, const struct kbs_request *req, cc_error **err)
{
	switch (a->mode) {
	case KBS_ADMIN_ALLOW_ALL: return 0;
	case KBS_ADMIN_DENY_ALL:
		return cc_error_set(err, -EPERM, "Admin endpoints disabled (authorization_mode = "
		                                 "\"DenyAll\")");
	case KBS_ADMIN_AUTHENTICATED: break;
	}
	char *role = NULL;
	int r = authenticate(a, req, &role, err);
	if (r < 0)
		return r;
	if (!acl_allows(a, role, req->path))
		r = cc_error_set(err, -EPERM, "role \"%.64s\" may not access this endpoint", role);
	free(role);
	return r;
}
