/* Init-data TOML: digest and claims (initdata.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initdata.h"
#include "toml.h"

void kbs_initdata_clear(struct kbs_initdata *d)
{
	json_decref(d->claims);
	memset(d, 0, sizeof(*d));
}

static json_t *datetime_json(const toml_datetime *t)
{
	char b[64];
	switch (t->kind) {
	case TOML_LOCAL_DATE:
		snprintf(b, sizeof(b), "%04d-%02d-%02d", t->year, t->month, t->day);
		break;
	case TOML_LOCAL_TIME:
		snprintf(b, sizeof(b), "%02d:%02d:%02d", t->hour, t->minute, t->second);
		break;
	default:
		snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d", t->year, t->month, t->day,
		         t->hour, t->minute, t->second);
		if (t->kind == TOML_OFFSET_DATETIME && t->offset_minutes == 0)
			snprintf(b + strlen(b), sizeof(b) - strlen(b), "Z");
		else if (t->kind == TOML_OFFSET_DATETIME)
			snprintf(b + strlen(b), sizeof(b) - strlen(b), "%c%02d:%02d",
			         t->offset_minutes < 0 ? '-' : '+', abs(t->offset_minutes) / 60,
			         abs(t->offset_minutes) % 60);
	}
	return json_string(b);
}

/* TOML -> JSON as serde's toml::Value -> serde_json::Value (date-times as
 * their RFC 3339 text). Depth is bounded by the TOML parser. NULL on OOM
 * or a string that is not valid for JSON. */
static json_t *toml_json(const toml_value *v)
{
	size_t n;
	const char *s;
	json_t *o;
	switch (toml_type(v)) {
	case TOML_STRING:
		s = toml_string(v, &n);
		return json_stringn(s, n);
	case TOML_INTEGER:
		return json_integer(toml_integer(v));
	case TOML_FLOAT:
		return json_real(toml_float(v));
	case TOML_BOOLEAN:
		return json_boolean(toml_boolean(v));
	case TOML_DATETIME:
		return datetime_json(toml_dt(v));
	case TOML_ARRAY:
		o = json_array();
		for (size_t i = 0; o != NULL && i < toml_array_len(v); i++)
			if (json_array_append_new(o, toml_json(toml_array_at(v, i))) < 0) {
				json_decref(o);
				o = NULL;
			}
		return o;
	case TOML_TABLE:
		o = json_object();
		for (size_t i = 0; o != NULL && i < toml_table_len(v); i++) {
			const char *key;
			size_t klen;
			const toml_value *e = toml_table_at(v, i, &key, &klen);
			if (json_object_setn_new(o, key, klen, toml_json(e)) < 0) {
				json_decref(o);
				o = NULL;
			}
		}
		return o;
	}
	return NULL;
}

/* "aa.toml" / "cdh.toml": their TOML as JSON, when it parses. */
static int convert_toml_claim(json_t *claims, const char *key)
{
	json_t *v = json_object_get(claims, key);
	if (!json_is_string(v))
		return 0;
	toml_doc *d = NULL;
	if (toml_parse(json_string_value(v), json_string_length(v), key, &d, NULL) < 0)
		return 0; /* kept as the string, as upstream */
	json_t *j = toml_json(toml_doc_root(d));
	toml_doc_free(d);
	if (j == NULL)
		return -ENOMEM;
	return json_object_set_new(claims, key, j) < 0 ? -ENOMEM : 0;
}

/* "policy.rego": the JSON object after "policy_data := {" (the rest of
 * the text must be that object), as agent_policy_claims. */
static int convert_policy_claim(json_t *claims)
{
	static const char pat[] = "policy_data := {";
	json_t *v = json_object_get(claims, "policy.rego");
	const char *s = json_string_value(v);
	if (s == NULL)
		return 0;
	size_t n = json_string_length(v);
	const char *at = memmem(s, n, pat, sizeof(pat) - 1);
	if (at == NULL)
		return 0;
	const char *obj = at + sizeof(pat) - 2;
	json_t *pd = json_loadb(obj, n - (size_t)(obj - s), JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(pd)) {
		json_decref(pd);
		return 0;
	}
	if (json_object_set_new(claims, "agent_policy_claims", pd) < 0)
		return -ENOMEM;
	return json_object_del(claims, "policy.rego") < 0 ? -ENOMEM : 0;
}

static int data_claims(const toml_value *data, json_t **ret, cc_error **err)
{
	json_t *c = json_object();
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < toml_table_len(data); i++) {
		const char *key;
		size_t klen;
		const toml_value *e = toml_table_at(data, i, &key, &klen);
		if (toml_type(e) != TOML_STRING) {
			json_decref(c);
			return cc_error_set(err, -EINVAL, "init-data: data.%.64s is %s, not a string",
			                    key, toml_type_name(toml_type(e)));
		}
		size_t n;
		const char *s = toml_string(e, &n);
		json_t *js = json_stringn(s, n);
		if (js == NULL || json_object_setn_new(c, key, klen, js) < 0) {
			json_decref(c);
			return cc_error_set(err, -EINVAL, "init-data: data.%.64s is not valid UTF-8", key);
		}
	}
	int r = convert_toml_claim(c, "cdh.toml");
	if (r == 0)
		r = convert_toml_claim(c, "aa.toml");
	if (r == 0)
		r = convert_policy_claim(c);
	if (r < 0) {
		json_decref(c);
		return cc_error_set(err, r, "out of memory");
	}
	*ret = c;
	return 0;
}

int kbs_initdata_parse(const char *format, const char *body, size_t len,
                       struct kbs_initdata *ret, cc_error **err)
{
	if (strcmp(format, "toml") != 0)
		return cc_error_set(err, -EINVAL, "Unsupported initdata format \"%.32s\"", format);
	toml_doc *doc = NULL;
	int r = toml_parse(body, len, "init-data", &doc, err);
	if (r < 0)
		return cc_error_wrap(err, "parse init-data TOML");
	const toml_value *root = toml_doc_root(doc);
	const toml_value *ver = toml_table_get(root, "version");
	const toml_value *alg = toml_table_get(root, "algorithm");
	const toml_value *data = toml_table_get(root, "data");
	enum cj_hash h = CJ_SHA256;
	struct kbs_initdata d = {0};
	if (ver == NULL || toml_type(ver) != TOML_STRING)
		r = cc_error_set(err, -EINVAL, "init-data: missing or non-string `version`");
	else if (alg == NULL || toml_type(alg) != TOML_STRING)
		r = cc_error_set(err, -EINVAL, "init-data: missing or non-string `algorithm`");
	else if (cj_hash_from_name(toml_string(alg, NULL), &h, err) < 0)
		r = cc_error_wrap(err, "init-data: algorithm");
	else if (data == NULL || toml_type(data) != TOML_TABLE)
		r = cc_error_set(err, -EINVAL, "init-data: missing or non-table `data`");
	else if ((r = data_claims(data, &d.claims, err)) == 0)
		r = cj_hash_bytes(h, body, len, d.digest, err);
	toml_doc_free(doc);
	if (r < 0) {
		kbs_initdata_clear(&d);
		return r;
	}
	d.digest_len = cj_hash_len(h);
	*ret = d;
	return 0;
}
