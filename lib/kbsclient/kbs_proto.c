/* RCAR messages (kbs_client.h): the bodies the client sends and the
 * answers it reads, as kbs-types 0.18 serializes and parses them
 * (../shared/reference/trustee.md §1.3, §1.4, §1.8). No I/O here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_client.h"

/* Compact JSON text of v (members in insertion order, no spaces), as
 * serde_json writes a struct; steals v. */
static int dump(json_t *v, char **ret, cc_error **err)
{
	if (v == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
}

int kbs_request_body(const char *tee, char **ret, cc_error **err)
{
	if (tee == NULL || *tee == '\0')
		return cc_error_set(err, -EINVAL, "no TEE name for the KBS request");
	/* sm3, which guest-components also offers, is left out: this client
	 * cannot compute it, so a KBS must not select it. */
	json_t *req = json_pack("{s:s, s:s, s:{s:[s,s,s]}}", "version", KBS_PROTOCOL_VERSION,
	                        "tee", tee, "extra-params", "supported-hash-algorithms", "sha256",
	                        "sha384", "sha512");
	return dump(req, ret, err);
}

/* The hash algorithm a Challenge's extra-params selects (SHA-384 unless it
 * names one), as the guest client reads it. */
static int challenge_hash(const json_t *extra, enum cj_hash *ret, cc_error **err)
{
	*ret = CJ_SHA384;
	if (!json_is_object(extra))
		return 0; /* Trustee sends "" for every TEE but se */
	const json_t *sel = json_object_get(extra, "selected-hash-algorithm");
	if (sel == NULL)
		return 0;
	if (!json_is_string(sel))
		return cc_error_set(err, -EINVAL,
		                    "challenge: extra-params.selected-hash-algorithm is not a string");
	const char *name = json_string_value(sel);
	static const struct {
		const char *name;
		enum cj_hash h;
	} known[] = {{"sha256", CJ_SHA256}, {"sha384", CJ_SHA384}, {"sha512", CJ_SHA512}};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcasecmp(name, known[i].name) == 0) {
			*ret = known[i].h;
			return 0;
		}
	return cc_error_set(err, -ENOTSUP,
	                    "challenge: the KBS selected hash algorithm \"%.32s\", which this "
	                    "client does not offer",
	                    name);
}

int kbs_challenge_parse(const char *body, size_t len, char **ret_nonce, enum cj_hash *ret_hash,
                        cc_error **err)
{
	json_t *v = NULL;
	int r = cj_json_parse(body, len, CC_KBS_CLIENT_MAX_BODY, &v, "challenge", err);
	if (r < 0)
		return r;
	const json_t *nonce = json_object_get(v, "nonce");
	const json_t *extra = json_object_get(v, "extra-params");
	enum cj_hash h = CJ_SHA384;
	if (!json_is_object(v))
		r = cc_error_set(err, -EINVAL, "challenge: not a JSON object");
	else if (!json_is_string(nonce))
		r = cc_error_set(err, -EINVAL, "challenge: \"nonce\" missing or not a string");
	else if (extra == NULL)
		r = cc_error_set(err, -EINVAL, "challenge: \"extra-params\" missing");
	else if (json_string_length(nonce) == 0)
		r = cc_error_set(err, -EINVAL, "challenge: empty nonce");
	else if (json_string_length(nonce) > CC_KBS_CLIENT_MAX_NONCE_BYTES)
		r = cc_error_set(err, -E2BIG, "challenge: nonce of %zu bytes, more than %u",
		                 json_string_length(nonce), CC_KBS_CLIENT_MAX_NONCE_BYTES);
	else
		r = challenge_hash(extra, &h, err);
	char *n = NULL;
	if (r >= 0 && (n = strdup(json_string_value(nonce))) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(v);
	if (r < 0)
		return r;
	*ret_nonce = n;
	*ret_hash = h;
	return 0;
}

int kbs_runtime_digest(const char *nonce, const json_t *tee_pubkey, enum cj_hash h,
                       unsigned char out[CJ_HASH_MAX], cc_error **err)
{
	/* json_pack's "O" takes a new reference; the cast is jansson's API. */
	json_t *rd = json_pack("{s:O, s:s, s:s}", "tee-pubkey", (json_t *)tee_pubkey, "nonce", nonce,
	                       "additional-evidence", "");
	if (rd == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = cj_jcs_digest(rd, h, out, err);
	json_decref(rd);
	return r < 0 ? cc_error_wrap(err, "runtime data") : 0;
}

int kbs_attestation_body(const char *nonce, const json_t *tee_pubkey, const char *evidence,
                         size_t evidence_len, const char *init_data, size_t init_data_len,
                         char **ret, cc_error **err)
{
	json_t *ev = NULL;
	int r = cj_json_parse(evidence, evidence_len, CC_KBS_CLIENT_MAX_FILE_BYTES, &ev,
	                      "the attester's evidence", err);
	if (r < 0)
		return r;
	json_t *init = json_null();
	if (init_data != NULL) {
		json_t *text = json_stringn(init_data, init_data_len);
		if (text == NULL) {
			json_decref(ev);
			return cc_error_set(err, -EINVAL,
			                    "init-data: not UTF-8 text or contains a NUL byte");
		}
		init = json_pack("{s:s, s:o}", "format", "toml", "body", text);
	}
	json_t *att = init == NULL ? NULL
	                           : json_pack("{s:o, s:{s:s, s:O}, s:{s:o, s:s}}", "init-data", init,
	                                       "runtime-data", "nonce", nonce, "tee-pubkey",
	                                       (json_t *)tee_pubkey, "tee-evidence",
	                                       "primary_evidence", ev, "additional_evidence", "");
	if (init == NULL)
		json_decref(ev);
	return dump(att, ret, err);
}

int kbs_token_check(const char *tok, size_t n, const char *what, cc_error **err)
{
	if (n == 0)
		return cc_error_set(err, -EINVAL, "%s is empty", what);
	if (n > CC_JOSE_MAX_TOKEN_BYTES)
		return cc_error_set(err, -E2BIG, "%s: %zu bytes, more than %u", what, n,
		                    CC_JOSE_MAX_TOKEN_BYTES);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)tok[i] < 0x21 || (unsigned char)tok[i] > 0x7e)
			return cc_error_set(err, -EINVAL,
			                    "%s: byte %zu is not visible ASCII (a token cannot "
			                    "carry it in an HTTP header)",
			                    what, i);
	return 0;
}

int kbs_token_parse(const char *body, size_t len, char **ret_token, cc_error **err)
{
	json_t *v = NULL;
	int r = cj_json_parse(body, len, CC_KBS_CLIENT_MAX_BODY, &v, "attestation answer", err);
	if (r < 0)
		return r;
	const json_t *t = json_object_get(v, "token");
	char *tok = NULL;
	if (!json_is_object(v))
		r = cc_error_set(err, -EINVAL, "attestation answer: not a JSON object");
	else if (!json_is_string(t))
		r = cc_error_set(err, -EINVAL, "attestation answer: \"token\" missing or not a string");
	else
		r = kbs_token_check(json_string_value(t), json_string_length(t),
		                    "attestation answer: the token", err);
	if (r >= 0 && (tok = strdup(json_string_value(t))) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	json_decref(v);
	if (r < 0)
		return r;
	*ret_token = tok;
	return 0;
}

int kbs_token_expiry(const char *tok, size_t n, int64_t *ret_exp, cc_error **err)
{
	const char *dot1 = memchr(tok, '.', n);
	const char *dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - tok)) : NULL;
	if (dot2 == NULL)
		return cc_error_set(err, -EINVAL, "attestation token: not a compact JWS");
	unsigned char *p = NULL;
	size_t len = 0;
	int r = cj_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), CC_JOSE_MAX_TOKEN_BYTES, &p,
	                         &len, "attestation token claims", err);
	if (r < 0)
		return r;
	json_t *v = NULL;
	r = cj_json_parse(p, len, CC_JOSE_MAX_TOKEN_BYTES, &v, "attestation token claims", err);
	free(p);
	if (r < 0)
		return r;
	const json_t *exp = json_object_get(v, "exp");
	if (!json_is_object(v)) {
		r = cc_error_set(err, -EINVAL, "attestation token claims: not a JSON object");
	} else if (exp == NULL) {
		r = 0;
	} else if (!json_is_number(exp)) {
		r = cc_error_set(err, -EINVAL, "attestation token claims: \"exp\" is not a number");
	} else {
		double d = json_number_value(exp);
		if (!(d > -9.0e15 && d < 9.0e15)) {
			r = cc_error_set(err, -EINVAL, "attestation token claims: \"exp\" out of range");
		} else {
			*ret_exp = (int64_t)d;
			r = 1;
		}
	}
	json_decref(v);
	return r;
}

/* A printable copy of n bytes: at most max kept, control and non-ASCII
 * bytes as '?', "..." when cut. */
static char *printable(const char *s, size_t n, size_t max)
{
	bool cut = n > max;
	if (cut)
		n = max;
	char *o = malloc(n + 4);
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		o[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	memcpy(o + n, cut ? "..." : "", cut ? 4 : 1);
	return o;
}

int kbs_error_parse(const char *body, size_t len, char **ret_variant, char **ret_detail,
                    cc_error **err)
{
	json_t *v = NULL;
	int r = cj_json_parse(body, len, CC_KBS_CLIENT_MAX_BODY, &v, "error body", err);
	if (r < 0)
		return r;
	const json_t *type = json_object_get(v, "type");
	const json_t *detail = json_object_get(v, "detail");
	if (!json_is_object(v) || !json_is_string(type) || !json_is_string(detail)) {
		json_decref(v);
		return cc_error_set(err, -EINVAL, "error body: not a Trustee error (type, detail)");
	}
	const char *t = json_string_value(type);
	size_t tn = json_string_length(type);
	size_t plen = strlen(KBS_ERROR_TYPE_PREFIX);
	if (tn > plen && strncmp(t, KBS_ERROR_TYPE_PREFIX, plen) == 0)
		t += plen, tn -= plen;
	char *var = printable(t, tn, 64);
	char *det = printable(json_string_value(detail), json_string_length(detail),
	                      CC_KBS_CLIENT_MAX_DETAIL_BYTES);
	json_decref(v);
	if (var == NULL || det == NULL) {
		free(var);
		free(det);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret_variant = var;
	*ret_detail = det;
	return 0;
}

/* RFC 6265 §4.1.1 cookie-octet. */
static bool cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

int kbs_set_cookie_parse(const char *v, size_t n, char out[KBS_SESSION_ID_MAX + 1])
{
	size_t i = 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	size_t name_len = strlen(KBS_SESSION_COOKIE);
	if (n - i <= name_len || memcmp(v + i, KBS_SESSION_COOKIE, name_len) != 0 ||
	    v[i + name_len] != '=')
		return 0;
	i += name_len + 1;
	size_t start = i;
	while (i < n && v[i] != ';')
		i++;
	size_t end = i;
	while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
		end--;
	/* a DQUOTE-wrapped value (RFC 6265 allows it) */
	if (end - start >= 2 && v[start] == '"' && v[end - 1] == '"')
		start++, end--;
	size_t len = end - start;
	if (len == 0 || len > KBS_SESSION_ID_MAX)
		return 0;
	for (size_t k = start; k < end; k++)
		if (!cookie_octet((unsigned char)v[k]))
			return 0;
	memcpy(out, v + start, len);
	out[len] = '\0';
	return 1;
}

/* Trustee's segment rule: [A-Za-z0-9_-][A-Za-z0-9_.-]* */
static bool segment_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || (!first && c == '.');
}

int kbs_resource_path_check(const char *path, cc_error **err)
{
	size_t segs = 0, seglen = 0;
	for (const char *p = path;; p++) {
		if (*p == '/' || *p == '\0') {
			if (seglen == 0)
				return cc_error_set(err, -EINVAL,
				                    "resource path \"%.256s\": empty segment (expected "
				                    "REPOSITORY/TYPE/TAG)",
				                    path);
			segs++;
			seglen = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (!segment_char(*p, seglen == 0))
			return cc_error_set(err, -EINVAL,
			                    "resource path \"%.256s\": character %zu is not allowed "
			                    "(segments are [A-Za-z0-9_-][A-Za-z0-9_.-]*)",
			                    path, (size_t)(p - path) + 1);
		seglen++;
	}
	if (segs != 3)
		return cc_error_set(err, -EINVAL,
		                    "resource path \"%.256s\": %zu segments, expected "
		                    "REPOSITORY/TYPE/TAG",
		                    path, segs);
	return 0;
}
