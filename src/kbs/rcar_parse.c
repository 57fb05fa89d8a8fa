/* RCAR payloads (rcar.h; kbs-types' Request and Attestation) and the
 * runtime-data binding. Everything here reads bytes from the network: JSON
 * with duplicate names refused, members type-checked before use. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jose_jcs.h"
#include "jose_jwk.h"
#include "jose_util.h"
#include "rcar.h"

static const char *const tees[] = {
	"az-snp-vtpm", "az-tdx-vtpm", "nvidia", "sev", "sgx", "snp", "tdx", "cca",
	"csv", "se", "hygondcu", "tpm", "sample", "sampledevice", NULL,
};

bool kbs_rcar_known_tee(const char *tee)
{
	for (size_t i = 0; tees[i] != NULL; i++)
		if (strcmp(tee, tees[i]) == 0)
			return true;
	return false;
}

/* A semver number: digits without a leading zero. */
static const char *semver_num(const char *p, unsigned long *ret)
{
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return NULL;
	unsigned long v = 0;
	while (*p >= '0' && *p <= '9') {
		if (v > 100000000ul)
			return NULL;
		v = v * 10 + (unsigned long)(*p++ - '0');
	}
	*ret = v;
	return p;
}

/* Semver MAJOR.MINOR.PATCH[-PRE][+BUILD]: 0 and whether it matches
 * "=0.4.0" (build metadata ignored, a prerelease never matches), or
 * -EINVAL when it is no semver at all. */
static int version_matches(const char *v, bool *ret)
{
	unsigned long n[3];
	const char *p = v;
	for (int i = 0; i < 3; i++) {
		if ((p = semver_num(p, &n[i])) == NULL || (i < 2 && *p++ != '.'))
			return -EINVAL;
	}
	bool pre = *p == '-';
	if (*p == '-' || *p == '+') {
		p++;
		if (*p == '\0')
			return -EINVAL;
		for (; *p != '\0'; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '.' || *p == '+'))
				return -EINVAL;
	} else if (*p != '\0') {
		return -EINVAL;
	}
	*ret = n[0] == 0 && n[1] == 4 && n[2] == 0 && !pre;
	return 0;
}

static const char *get_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int kbs_rcar_parse_request(const uint8_t *body, size_t len, json_t **ret_json,
                           const char **ret_tee, cc_error **err)
{
	json_t *j = NULL;
	int r = cj_json_parse(body, len, KBS_MAX_JSON_BODY, &j, "Request", err);
	if (r < 0)
		return r;
	const char *version = get_str(j, "version"), *tee = get_str(j, "tee");
	bool ok = false;
	if (!json_is_object(j))
		r = cc_error_set(err, -EINVAL, "deserialize Request: not a JSON object");
	else if (version == NULL)
		r = cc_error_set(err, -EINVAL, "deserialize Request: missing or non-string `version`");
	else if (tee == NULL)
		r = cc_error_set(err, -EINVAL, "deserialize Request: missing or non-string `tee`");
	else if (!kbs_rcar_known_tee(tee))
		r = cc_error_set(err, -EINVAL, "deserialize Request: unknown tee \"%.32s\"", tee);
	else if (json_object_get(j, "extra-params") == NULL)
		r = cc_error_set(err, -EINVAL, "deserialize Request: missing field `extra-params`");
	else if (version_matches(version, &ok) < 0)
		r = cc_error_set(err, -EINVAL, "failed to parse KBS version \"%.64s\"", version);
	else if (!ok)
		r = cc_error_set(err, -EPROTO,
		                 "KBS Client Protocol Version Mismatch: expect =" KBS_PROTOCOL_VERSION
		                 " while the request is %.64s",
		                 version);
	if (r < 0) {
		json_decref(j);
		return r;
	}
	*ret_json = j;
	*ret_tee = tee;
	return 0;
}

void kbs_attestation_clear(struct kbs_attestation *a)
{
	json_decref(a->json);
	memset(a, 0, sizeof(*a));
}

static int bad(cc_error **err, const char *what)
{
	return cc_error_set(err, -EINVAL, "deserialize Attestation: %s", what);
}

static int init_data_of(const json_t *init, struct kbs_attestation *a, cc_error **err)
{
	if (init == NULL || json_is_null(init))
		return 0;
	const json_t *f = json_object_get(init, "format"), *b = json_object_get(init, "body");
	if (!json_is_object(init))
		return bad(err, "`init-data` is not an object");
	if (!json_is_string(f) || !json_is_string(b))
		return bad(err, "`init-data` needs string `format` and `body`");
	a->init_data_format = json_string_value(f);
	a->init_data_body = json_string_value(b);
	a->init_data_body_len = json_string_length(b);
	return 0;
}

int kbs_tee_pubkey_parse(const json_t *k, cj_jwk **ret, cc_error **err)
{
	const char *kty = json_string_value(json_object_get(k, "kty"));
	const json_t *n = json_object_get(k, "n");
	if (kty != NULL && strcmp(kty, "RSA") == 0 && json_is_string(n)) {
		uint8_t *b = NULL;
		size_t len = 0;
		int r = cj_b64url_decode(json_string_value(n), json_string_length(n), 4096, &b, &len,
		                         "tee-pubkey n", err);
		bool minimal = r == 0 && len > 0 && b[0] != 0;
		free(b);
		if (r < 0)
			return r;
		if (!minimal)
			return cc_error_set(err, -EINVAL, "tee-pubkey: the RSA modulus \"n\" is not "
			                                  "minimal (RFC 7518 §6.3.1.1)");
	}
	return cj_jwk_from_tee_pubkey(k, ret, err);
}

/* The key the resource will be encrypted to must be one the KBS can use. */
static int tee_pubkey_ok(const json_t *k, cc_error **err)
{
	cj_jwk *jwk = NULL;
	int r = kbs_tee_pubkey_parse(k, &jwk, err);
	cj_jwk_free(jwk);
	return r < 0 ? cc_error_wrap(err, "deserialize Attestation: runtime-data.tee-pubkey") : 0;
}

int kbs_rcar_parse_attestation(const uint8_t *body, size_t len, struct kbs_attestation *ret,
                               cc_error **err)
{
	struct kbs_attestation a = {0};
	int r = cj_json_parse(body, len, KBS_MAX_JSON_BODY, &a.json, "Attestation", err);
	if (r < 0)
		return r;
	const json_t *rd = json_object_get(a.json, "runtime-data");
	const json_t *te = json_object_get(a.json, "tee-evidence");
	const json_t *add = json_object_get(te, "additional_evidence");
	if (!json_is_object(a.json))
		r = bad(err, "not a JSON object");
	else if (!json_is_object(rd))
		r = bad(err, "missing or non-object `runtime-data`");
	else if ((a.nonce = get_str(rd, "nonce")) == NULL)
		r = bad(err, "missing or non-string `runtime-data.nonce`");
	else if (!json_is_object(a.tee_pubkey = json_object_get(rd, "tee-pubkey")))
		r = bad(err, "missing or non-object `runtime-data.tee-pubkey`");
	else if (!json_is_object(te))
		r = bad(err, "missing or non-object `tee-evidence`");
	else if ((a.primary_evidence = json_object_get(te, "primary_evidence")) == NULL)
		r = bad(err, "missing `tee-evidence.primary_evidence`");
	else if (add != NULL && !json_is_string(add))
		r = bad(err, "`tee-evidence.additional_evidence` is not a string");
	else if ((r = tee_pubkey_ok(a.tee_pubkey, err)) == 0)
		r = init_data_of(json_object_get(a.json, "init-data"), &a, err);
	if (r < 0) {
		kbs_attestation_clear(&a);
		return r;
	}
	a.additional_evidence = add != NULL ? json_string_value(add) : "";
	*ret = a;
	return 0;
}

int kbs_runtime_data(const json_t *tee_pubkey, const char *nonce, const char *additional,
                     json_t **ret_obj, uint8_t digest[48], cc_error **err)
{
	json_t *o = additional != NULL
	                    ? json_pack("{s:O,s:s,s:s}", "tee-pubkey", (json_t *)tee_pubkey, "nonce",
	                                nonce, "additional-evidence", additional)
	                    : json_pack("{s:O,s:s}", "tee-pubkey", (json_t *)tee_pubkey, "nonce", nonce);
	if (o == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = cj_jcs_digest(o, CJ_SHA384, digest, err);
	if (r < 0) {
		json_decref(o);
		return cc_error_wrap(err, "runtime data");
	}
	*ret_obj = o;
	return 0;
}
