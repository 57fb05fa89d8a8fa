/* Sealed-secret parsing (cdh_sealed.h): the "sealed." prefix, the three
 * base64url parts, the JWS header (ES256 and a kbs:// kid) and the payload
 * JSON with exactly the members guest-components' VaultSecret and
 * EnvelopeSecret carry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cdh_sealed.h"
#include "cocoon/limits.h"
#include "jose_jwt.h"
#include "jose_util.h"
#include "sealed_int.h"

#define PREFIX "sealed."
#define VERSION "0.1.0"

void cdh_sealed_free(cdh_sealed *s)
{
	if (s == NULL)
		return;
	free(s->jws);
	free(s->kid);
	json_decref(s->payload);
	free(s);
}

enum cdh_sealed_type cdh_sealed_type(const cdh_sealed *s) { return s->type; }
const char *cdh_sealed_kid(const cdh_sealed *s) { return s->kid; }
const char *cdh_sealed_provider(const cdh_sealed *s) { return s->provider; }
const char *cdh_sealed_name(const cdh_sealed *s) { return s->name; }

/* The three parts after the prefix: p[i] of n[i] characters. */
static int split3(const char *t, size_t len, const char *p[3], size_t n[3], cc_error **err)
{
	const char *end = t + len;
	for (int i = 0; i < 3; i++) {
		const char *d = memchr(t, '.', (size_t)(end - t));
		if ((d == NULL) != (i == 2))
			return cc_error_set(err, -EINVAL,
			                    "sealed secret: not header.payload.signature "
			                    "(three parts after \"sealed.\")");
		p[i] = t;
		n[i] = (size_t)((d ? d : end) - t);
		t = d ? d + 1 : end;
	}
	return 0;
}

static int check_kid(const json_t *hdr, char **ret, cc_error **err)
{
	const json_t *alg = json_object_get(hdr, "alg");
	const json_t *kid = json_object_get(hdr, "kid");
	if (!json_is_string(alg))
		return cc_error_set(err, -EINVAL, "sealed secret header: no \"alg\" string");
	if (strcmp(json_string_value(alg), "ES256") != 0)
		return cc_error_set(err, -EINVAL, "sealed secret header: alg \"%s\" is not ES256",
		                    json_string_value(alg));
	if (!json_is_string(kid))
		return cc_error_set(err, -EINVAL, "sealed secret header: no \"kid\" string");
	const char *k = json_string_value(kid);
	if (strncmp(k, "kbs://", 6) != 0 || json_string_length(kid) > CC_KBS_MAX_KEY_BYTES)
		return cc_error_set(err, -EINVAL,
		                    "sealed secret header: kid is not a kbs:// resource URI");
	*ret = strdup(k);
	return *ret ? 0 : cc_error_set(err, -ENOMEM, "sealed secret: out of memory");
}

static const char *const vault_members[] = {"version", "type", "name", "provider",
                                            "provider_settings", "annotations", NULL};
static const char *const envelope_members[] = {
	"version",        "type",    "provider", "key_id",         "encrypted_key",
	"encrypted_data", "wrap_type", "iv",     "provider_settings", "annotations", NULL};

static int only_members(const json_t *o, const char *const *allowed, cc_error **err)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], k) != 0)
			i++;
		if (allowed[i] == NULL)
			return cc_error_set(err, -EINVAL, "sealed secret payload: unknown member \"%.64s\"",
			                    k);
	}
	return 0;
}

static int get_str(const json_t *o, const char *name, const char **ret, cc_error **err)
{
	const json_t *v = json_object_get(o, name);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return cc_error_set(err, -EINVAL,
		                    "sealed secret payload: \"%s\" is missing or not a non-empty string",
		                    name);
	*ret = json_string_value(v);
	return 0;
}

static int parse_payload(cdh_sealed *s, cc_error **err)
{
	const json_t *o = s->payload;
	if (!json_is_object(o))
		return cc_error_set(err, -EINVAL, "sealed secret payload: not a JSON object");
	const char *version = NULL, *type = NULL;
	int r = get_str(o, "version", &version, err);
	if (r == 0 && strcmp(version, VERSION) != 0)
		r = cc_error_set(err, -EINVAL, "sealed secret payload: version \"%.32s\" is not %s",
		                 version, VERSION);
	if (r == 0)
		r = get_str(o, "type", &type, err);
	if (r < 0)
		return r;
	if (strcmp(type, "vault") == 0) {
		s->type = CDH_SEALED_VAULT;
		r = only_members(o, vault_members, err);
		if (r == 0)
			r = get_str(o, "name", &s->name, err);
	} else if (strcmp(type, "envelope") == 0) {
		s->type = CDH_SEALED_ENVELOPE;
		r = only_members(o, envelope_members, err);
		if (r == 0)
			r = get_str(o, "key_id", &s->name, err);
		if (r == 0)
			r = get_str(o, "encrypted_key", &s->encrypted_key, err);
		if (r == 0)
			r = get_str(o, "encrypted_data", &s->encrypted_data, err);
		if (r == 0)
			r = get_str(o, "wrap_type", &s->wrap_type, err);
		if (r == 0)
			r = get_str(o, "iv", &s->iv, err);
	} else {
		r = cc_error_set(err, -EINVAL,
		                 "sealed secret payload: type \"%.32s\" is not vault or envelope", type);
	}
	if (r == 0)
		r = get_str(o, "provider", &s->provider, err);
	for (int i = 0; r == 0 && i < 2; i++) {
		const char *m = i ? "annotations" : "provider_settings";
		const json_t *v = json_object_get(o, m);
		if (v != NULL && !json_is_object(v))
			r = cc_error_set(err, -EINVAL, "sealed secret payload: \"%s\" is not an object",
			                 m);
	}
	if (r == 0)
		s->annotations = json_object_get(o, "annotations");
	return r;
}

int cdh_sealed_parse(const char *str, size_t len, unsigned flags, cdh_sealed **ret,
                     cc_error **err)
{
	const size_t plen = sizeof(PREFIX) - 1;
	if (len > CC_CDH_MAX_SEALED_BYTES)
		return cc_error_set(err, -E2BIG, "sealed secret: %zu bytes, more than %u", len,
		                    CC_CDH_MAX_SEALED_BYTES);
	if (len < plen || memcmp(str, PREFIX, plen) != 0)
		return cc_error_set(err, -EINVAL, "sealed secret: no \"sealed.\" prefix");
	if (memchr(str, 0, len) != NULL)
		return cc_error_set(err, -EINVAL, "sealed secret: embedded NUL byte");
	const char *t = str + plen;
	size_t tlen = len - plen;
	const char *p[3];
	size_t n[3];
	int r = split3(t, tlen, p, n, err);
	if (r < 0)
		return r;
	cdh_sealed *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "sealed secret: out of memory");
	s->flags = flags;
	if (!(flags & CDH_SEALED_SKIP_VERIFY)) {
		json_t *hdr = NULL;
		r = cj_jws_peek_header(t, tlen, &hdr, err);
		if (r == 0)
			r = check_kid(hdr, &s->kid, err);
		json_decref(hdr);
		if (r == 0 && (s->jws = strndup(t, tlen)) == NULL)
			r = cc_error_set(err, -ENOMEM, "sealed secret: out of memory");
		s->jws_len = tlen;
	}
	unsigned char *pl = NULL;
	size_t pl_len = 0;
	if (r == 0)
		r = cj_b64url_decode(p[1], n[1], CC_CDH_MAX_SEALED_BYTES, &pl, &pl_len,
		                     "sealed secret payload", err);
	if (r == 0)
		r = cj_json_parse(pl, pl_len, CC_CDH_MAX_SEALED_BYTES, &s->payload,
		                  "sealed secret payload", err);
	free(pl);
	if (r == 0)
		r = parse_payload(s, err);
	if (r < 0) {
		cdh_sealed_free(s);
		return r;
	}
	*ret = s;
	return 0;
}
