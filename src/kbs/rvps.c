/* The built-in RVPS (rvps.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cocoon/limits.h"
#include "errors.h"
#include "jose_util.h"
#include "kbs_util.h"
#include "rvps.h"
#include "worker.h"

#define RV_VERSION "0.1.0"

int kbs_rvps_parse(const uint8_t *body, size_t len, json_t **ret, cc_error **err)
{
	json_t *m = NULL, *values = NULL;
	int r = cj_json_parse(body, len, CC_KBS_MAX_VALUE_BYTES, &m, "reference value message", err);
	if (r < 0)
		return r;
	const json_t *ver = json_object_get(m, "version"), *type = json_object_get(m, "type");
	const json_t *payload = json_object_get(m, "payload");
	const char *v = ver != NULL ? json_string_value(ver) : RV_VERSION; /* serde default */
	if (!json_is_object(m))
		r = cc_error_set(err, -EINVAL, "parse message: not a JSON object");
	else if (v == NULL)
		r = cc_error_set(err, -EINVAL, "parse message: `version` is not a string");
	else if (!json_is_string(type) || !json_is_string(payload))
		r = cc_error_set(err, -EINVAL, "parse message: needs string `type` and `payload`");
	else if (strcmp(v, RV_VERSION) != 0)
		r = cc_error_set(err, -EINVAL, "Version unmatched! Need " RV_VERSION ", given %.32s.", v);
	else if (strcmp(json_string_value(type), "sample") != 0)
		r = cc_error_set(err, -ENOTSUP,
		                 "provenance type \"%.32s\" is not supported (this RVPS extracts "
		                 "\"sample\")",
		                 json_string_value(type));
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	if (r == 0)
		r = cj_b64_decode(json_string_value(payload), json_string_length(payload),
		                  CC_KBS_MAX_VALUE_BYTES, &raw, &raw_len, "sample payload", err);
	if (r == 0)
		r = cj_json_parse(raw, raw_len, CC_KBS_MAX_VALUE_BYTES, &values,
		                  "sample provenance", err);
	free(raw);
	json_decref(m);
	const char *name;
	json_t *val;
	if (r == 0 && !json_is_object(values))
		r = cc_error_set(err, -EINVAL, "sample provenance: not a JSON object");
	else if (r == 0 && json_object_size(values) > CC_KBS_MAX_RV_PER_MESSAGE)
		r = cc_error_set(err, -E2BIG, "sample provenance: more than %u reference values",
		                 CC_KBS_MAX_RV_PER_MESSAGE);
	if (r == 0)
		json_object_foreach(values, name, val) {
			size_t n = strlen(name);
			if (n == 0 || n > CC_KBS_MAX_KEY_BYTES) {
				r = cc_error_set(err, -EINVAL, "sample provenance: a name is empty or longer "
				                               "than %u bytes", CC_KBS_MAX_KEY_BYTES);
				break;
			}
		}
	if (r < 0) {
		json_decref(values);
		return r;
	}
	*ret = values;
	return 0;
}

/* now + 12 months, as "%Y-%m-%dT%H:%M:%SZ". */
static void expiration(int64_t now, char *buf, size_t n)
{
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	tm.tm_year += 1;
	kbs_fmt_rfc3339((int64_t)timegm(&tm), buf, n);
}

int kbs_rvps_register(kbs_store *st, const json_t *values, int64_t now, cc_error **err)
{
	char exp[32];
	expiration(now, exp, sizeof(exp));
	const char *name;
	json_t *val;
	int r = 0;
	json_object_foreach((json_t *)values, name, val) {
		json_t *rv = json_pack("{s:s,s:s,s:s,s:O}", "version", RV_VERSION, "name", name,
		                       "expiration", exp, "value", val);
		char *text = rv != NULL ? json_dumps(rv, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		json_decref(rv);
		if (text == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		r = kbs_store_put(st, KBS_NS_REFERENCE_VALUE, name, strlen(name), text, strlen(text), 0,
		                  KBS_PUT_OVERWRITE, err);
		free(text);
		if (r < 0)
			return cc_error_wrap(err, "reference value %.64s", name);
	}
	return 0;
}

int kbs_rvps_query(kbs_store *st, const char *id, size_t id_len, json_t **ret, cc_error **err)
{
	uint8_t *v = NULL;
	size_t n = 0;
	if (id_len == 0 || id_len > CC_KBS_MAX_KEY_BYTES)
		return -ENOENT;
	int r = kbs_store_get(st, KBS_NS_REFERENCE_VALUE, id, id_len, &v, &n, NULL, err);
	if (r < 0)
		return r;
	json_t *rv = NULL;
	r = cj_json_parse(v, n, CC_KBS_MAX_VALUE_BYTES, &rv, "stored reference value", err);
	kbs_store_value_free(v, n);
	json_t *val = json_object_get(rv, "value");
	if (r == 0 && val == NULL)
		r = cc_error_set(err, -EINVAL, "stored reference value has no `value`");
	if (r == 0)
		*ret = json_incref(val);
	json_decref(rv);
	return r;
}

void kbs_rvps_post(kbs_ctx *ctx, const struct kbs_request *req, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	json_t *values = NULL;
	struct kbs_worker *w;
	int r = kbs_rvps_parse(req->body, req->body_len, &values, &e);
	if (r == 0)
		r = kbs_worker_get(ctx, &w, &e);
	if (r == 0)
		r = kbs_rvps_register(w->store, values, kbs_ctx_now(ctx), &e);
	json_decref(values);
	if (r < 0)
		kbs_fail_err(rep, KBS_E_RVPS, "Failed to register reference value", e);
	else
		rep->content_type = "application/json";
}

void kbs_rvps_get(kbs_ctx *ctx, const char *id, struct kbs_reply *rep)
{
	cc_error *e = NULL;
	json_t *v = NULL;
	struct kbs_worker *w;
	int r = kbs_worker_get(ctx, &w, &e);
	if (r == 0)
		r = kbs_rvps_query(w->store, id, strlen(id), &v, &e);
	if (r == -ENOENT) {
		cc_error_free(e);
		kbs_fail(rep, KBS_E_RVPS, "Failed to get reference_values: no reference value %.128s",
		         id);
		return;
	}
	if (r < 0) {
		kbs_fail_err(rep, KBS_E_RVPS, "Failed to get reference_values", e);
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (s == NULL || cc_buf_adds(&rep->body, s) < 0) {
		free(s);
		kbs_fail(rep, KBS_E_RVPS, "out of memory");
		return;
	}
	free(s);
	rep->content_type = "application/json";
}
