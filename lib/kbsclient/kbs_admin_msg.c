/* Admin request bodies (kbs_client.h) as kbs-client builds them
 * (../shared/reference/trustee.md §1.2, §2.2, §2.3, §3.6, §6), the
 * built-in resource policies and the admin JWT. No I/O here. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "jose_jwt.h"
#include "jose_util.h"
#include "kbs_client.h"

/* The built-in resource policies. Rego v1 with `import rego.v1`, so both
 * regorus (Trustee) and OPA-compatible engines in v0 mode read them. The
 * KBS evaluates data.policy.allow with the token's claims as input and
 * {"plugin", "resource-path", "query"} as data (trustee.md §2.3). */
#define POLICY_HEAD "package policy\n\nimport rego.v1\n\n"

static const char policy_allow_all[] =
	"# cocoon kbs: every request the KBS asks about is allowed.\n"
	POLICY_HEAD "default allow := true\n";

static const char policy_deny_all[] =
	"# cocoon kbs: nothing is released.\n"
	POLICY_HEAD "default allow := false\n";

static const char policy_affirming[] =
	"# cocoon kbs: released only when the token has at least one submodule\n"
	"# and every submodule's EAR status is \"affirming\".\n"
	POLICY_HEAD "default allow := false\n"
	"\n"
	"allow if {\n"
	"\tcount(input.submods) > 0\n"
	"\tcount(affirming) == count(input.submods)\n"
	"}\n"
	"\n"
	"affirming contains name if {\n"
	"\tinput.submods[name][\"ear.status\"] == \"affirming\"\n"
	"}\n";

static const char policy_default[] =
	"# cocoon kbs: the KBS's default: resources are released to any attester\n"
	"# but the sample one (whatever the EAR status).\n"
	POLICY_HEAD "default allow := false\n"
	"\n"
	"allow if {\n"
	"\tdata.plugin == \"resource\"\n"
	"\tnot input.submods.cpu0[\"ear.veraison.annotated-evidence\"].sample\n"
	"}\n";

const char *kbs_builtin_policy(enum kbs_builtin_policy p)
{
	switch (p) {
	case KBS_POLICY_ALLOW_ALL: return policy_allow_all;
	case KBS_POLICY_DENY_ALL: return policy_deny_all;
	case KBS_POLICY_AFFIRMING: return policy_affirming;
	case KBS_POLICY_DEFAULT: return policy_default;
	}
	return NULL;
}

static int dump(json_t *v, char **ret, cc_error **err)
{
	char *s = v == NULL ? NULL : json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
}

int kbs_resource_policy_body(const void *policy, size_t len, char **ret, cc_error **err)
{
	char *b64 = cj_b64url_encode(policy, len);
	if (b64 == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	json_t *v = json_pack("{s:s}", "policy", b64);
	free(b64);
	return dump(v, ret, err);
}

int kbs_attestation_policy_body(const char *type, const char *id, const void *policy,
                                size_t len, char **ret, cc_error **err)
{
	if (type[0] == '\0' || id[0] == '\0')
		return cc_error_set(err, -EINVAL, "attestation policy: empty --type or --id");
	char *b64 = cj_b64url_encode(policy, len);
	if (b64 == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	json_t *v = json_pack("{s:s, s:s, s:s}", "type", type, "policy_id", id, "policy", b64);
	free(b64);
	if (v == NULL)
		return cc_error_set(err, -EINVAL,
		                    "attestation policy: --type or --id is not UTF-8 text");
	return dump(v, ret, err);
}

/* A decimal i32 as Rust's str::parse::<i32> reads it: an optional sign,
 * digits, nothing else. */
static int parse_i32(const char *s, json_int_t *ret)
{
	const char *p = s;
	bool neg = *p == '-';
	if (*p == '+' || *p == '-')
		p++;
	if (*p == '\0')
		return -EINVAL;
	long long v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > (long long)INT32_MAX + 1)
			return -ERANGE;
	}
	if (neg)
		v = -v;
	if (v > INT32_MAX || v < INT32_MIN)
		return -ERANGE;
	*ret = (json_int_t)v;
	return 0;
}

static int rv_value(const char *value, enum kbs_rv_kind kind, json_t **ret, cc_error **err)
{
	json_int_t i = 0;
	json_t *v = NULL;
	switch (kind) {
	case KBS_RV_INTEGER:
		if (parse_i32(value, &i) < 0)
			return cc_error_set(err, -EINVAL,
			                    "reference value \"%.64s\" is not a 32-bit integer", value);
		v = json_integer(i);
		break;
	case KBS_RV_BOOL:
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return cc_error_set(err, -EINVAL,
			                    "reference value \"%.64s\" is not true or false", value);
		v = json_boolean(value[0] == 't');
		break;
	case KBS_RV_STRING:
		v = json_string(value);
		if (v == NULL)
			return cc_error_set(err, -EINVAL, "reference value is not UTF-8 text");
		break;
	}
	if (v == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = v;
	return 0;
}

int kbs_sample_rv_body(const char *name, const char *value, enum kbs_rv_kind kind, bool single,
                       char **ret, cc_error **err)
{
	if (name[0] == '\0')
		return cc_error_set(err, -EINVAL, "reference value name is empty");
	json_t *v = NULL;
	int r = rv_value(value, kind, &v, err);
	if (r < 0)
		return r;
	if (!single)
		v = json_pack("[o]", v);
	json_t *prov = v == NULL ? NULL : json_object();
	if (prov != NULL && json_object_set_new(prov, name, v) < 0) {
		json_decref(prov);
		return cc_error_set(err, -EINVAL, "reference value name is not UTF-8 text");
	}
	if (prov == NULL) {
		json_decref(v);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	char *text = NULL;
	r = dump(prov, &text, err);
	if (r < 0)
		return r;
	char *b64 = cj_b64_encode(text, strlen(text));
	free(text);
	if (b64 == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	json_t *msg = json_pack("{s:s, s:s, s:s}", "version", "0.1.0", "type", "sample", "payload",
	                        b64);
	free(b64);
	return dump(msg, ret, err);
}

int kbs_admin_jwt(const cj_jwk *key, int64_t now, char **ret, cc_error **err)
{
	if (cj_jwk_kty(key) != CJ_KTY_OKP || !cj_jwk_is_private(key))
		return cc_error_set(err, -EINVAL,
		                    "the admin key must be an Ed25519 private key (as kbs-client's)");
	json_t *claims = json_pack("{s:I, s:I, s:I, s:s, s:s}", "iat", (json_int_t)now, "exp",
	                           (json_int_t)(now + CC_KBS_CLIENT_ADMIN_JWT_SECONDS), "nbf",
	                           (json_int_t)now, "sub", "admin", "role", "admin");
	if (claims == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = cj_jwt_sign(key, "EdDSA", 0, claims, ret, err);
	json_decref(claims);
	return r < 0 ? cc_error_wrap(err, "signing the admin token") : 0;
}
