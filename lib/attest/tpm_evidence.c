/* The TPM evidence JSON, as guest-components' TPM attester writes it and
 * Trustee's TPM verifier reads it (Evidence{ak_public, tpm_quote{signature,
 * message, pcrs}}; Trustee reference §3.2). Every field is checked for type
 * and size before it is decoded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tpm_int.h"

void tpm_evidence_free(tpm_evidence *e)
{
	if (e == NULL)
		return;
	free(e->ak_b64);
	free(e->ak_der);
	free(e->message);
	free(e->signature);
	free(e->report_data);
	free(e->ak_cert_pem);
	free(e->eventlog);
	free(e);
}

static int get_member(const json_t *obj, const char *name, const char *key, json_type type,
                      json_t **ret, cc_error **err)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL)
		return cc_error_set(err, -EINVAL, "%s%s: missing", name, key);
	if (json_typeof(v) != type)
		return cc_error_set(err, -EINVAL, "%s%s: not a JSON %s", name, key,
		                    type == JSON_STRING ? "string"
		                    : type == JSON_ARRAY ? "array"
		                                         : "object");
	*ret = v;
	return 0;
}

/* A base64 member of obj, decoded (at most max bytes). */
static int get_b64_max(const json_t *obj, const char *name, const char *key, size_t max,
                       uint8_t **ret, size_t *ret_len, cc_error **err)
{
	json_t *v;
	int r = get_member(obj, name, key, JSON_STRING, &v, err);
	if (r < 0)
		return r;
	size_t len = json_string_length(v);
	if (len > (max + 2) / 3 * 4)
		return cc_error_set(err, -E2BIG, "oversized %s%s: %zu base64 characters, more than "
		                    "%zu bytes",
		                    name, key, len, max);
	uint8_t *p;
	size_t n;
	r = tpm_b64_decode(json_string_value(v), len, max, &p, &n);
	if (r == -ENOMEM)
		return cc_error_set(err, r, "out of memory");
	if (r == -E2BIG)
		return cc_error_set(err, r, "oversized %s%s: more than %zu bytes", name, key, max);
	if (r < 0)
		return cc_error_set(err, r, "%s%s: not canonical standard base64", name, key);
	if (n == 0) {
		free(p);
		return cc_error_set(err, -EINVAL, "%s%s: empty", name, key);
	}
	*ret = p;
	*ret_len = n;
	return 0;
}

static int get_b64(const json_t *obj, const char *name, const char *key, uint8_t **ret,
                   size_t *ret_len, cc_error **err)
{
	return get_b64_max(obj, name, key, CC_TPM_MAX_FIELD_BYTES, ret, ret_len, err);
}

/* The optional members: report_data (guest-components' newer attester),
 * ak_certificate (PEM: the AK's certificate, then intermediates) and
 * eventlog (base64 of a TCG2 or legacy measured-boot log). */
static int get_optional(const json_t *ev, tpm_evidence *e, cc_error **err)
{
	int r = 0;
	if (json_object_get(ev, "report_data") != NULL) {
		r = get_b64(ev, "", "report_data", &e->report_data, &e->report_data_len, err);
		if (r == 0 && e->report_data_len > TPM_REPORT_DATA_SIZE)
			r = cc_error_set(err, -E2BIG, "oversized report_data: %zu bytes, more than %u",
			                 e->report_data_len, TPM_REPORT_DATA_SIZE);
	}
	json_t *cert = json_object_get(ev, "ak_certificate");
	if (r == 0 && cert != NULL) {
		if (!json_is_string(cert))
			return cc_error_set(err, -EINVAL, "ak_certificate: not a JSON string");
		if (json_string_length(cert) > CC_TPM_MAX_AK_CHAIN_BYTES)
			return cc_error_set(err, -E2BIG, "oversized ak_certificate: %zu bytes, more "
			                    "than %u",
			                    json_string_length(cert), CC_TPM_MAX_AK_CHAIN_BYTES);
		e->ak_cert_pem = strndup(json_string_value(cert), json_string_length(cert));
		e->ak_cert_pem_len = json_string_length(cert);
		if (e->ak_cert_pem == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r == 0 && json_object_get(ev, "eventlog") != NULL)
		r = get_b64_max(ev, "", "eventlog", CC_TPM_MAX_EVENTLOG_BYTES, &e->eventlog,
		                &e->eventlog_len, err);
	return r;
}

static int get_pcrs(const json_t *quote, tpm_evidence *e, cc_error **err)
{
	json_t *arr;
	int r = get_member(quote, "tpm_quote.", "pcrs", JSON_ARRAY, &arr, err);
	if (r < 0)
		return r;
	if (json_array_size(arr) != TPM_PCR_COUNT)
		return cc_error_set(err, -EINVAL,
		                    "tpm_quote.pcrs: %zu values, expected %u (SHA-256 PCR 0..23)",
		                    json_array_size(arr), TPM_PCR_COUNT);
	for (size_t i = 0; i < TPM_PCR_COUNT; i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_string(v))
			return cc_error_set(err, -EINVAL, "tpm_quote.pcrs[%zu]: not a JSON string",
			                    i);
		size_t len = json_string_length(v);
		if (tpm_hex_decode(json_string_value(v), len, e->pcrs[i], TPM_SHA256_SIZE) < 0)
			return cc_error_set(err, -EINVAL,
			                    "tpm_quote.pcrs[%zu]: %zu characters, expected 64 hex "
			                    "digits (a SHA-256 PCR)",
			                    i, len);
	}
	return 0;
}

int tpm_evidence_parse(const json_t *ev, tpm_evidence **ret, cc_error **err)
{
	if (!json_is_object(ev))
		return cc_error_set(err, -EINVAL, "TPM evidence: not a JSON object");
	tpm_evidence *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	json_t *quote, *ak;
	int r = get_member(ev, "", "ak_public", JSON_STRING, &ak, err);
	if (r >= 0)
		r = get_b64(ev, "", "ak_public", &e->ak_der, &e->ak_der_len, err);
	if (r >= 0)
		r = get_member(ev, "", "tpm_quote", JSON_OBJECT, &quote, err);
	if (r >= 0)
		r = get_b64(quote, "tpm_quote.", "message", &e->message, &e->message_len, err);
	if (r >= 0)
		r = get_b64(quote, "tpm_quote.", "signature", &e->signature, &e->signature_len,
		            err);
	if (r >= 0)
		r = get_pcrs(quote, e, err);
	if (r >= 0)
		r = get_optional(ev, e, err);
	if (r >= 0) {
		e->ak_b64 = strdup(json_string_value(ak));
		if (e->ak_b64 == NULL)
			r = cc_error_set(err, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		tpm_evidence_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

/* Sets obj[key] = base64(p); 0 or -ENOMEM. */
static int set_b64(json_t *obj, const char *key, const uint8_t *p, size_t len)
{
	char *s = tpm_b64_encode(p, len);
	int r = s != NULL && json_object_set_new(obj, key, json_string(s)) == 0 ? 0 : -ENOMEM;
	free(s);
	return r;
}

static json_t *pcr_array(const uint8_t (*pcrs)[TPM_SHA256_SIZE])
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < TPM_PCR_COUNT; i++) {
		char hex[2 * TPM_SHA256_SIZE + 1];
		tpm_hex_encode(pcrs[i], TPM_SHA256_SIZE, hex);
		if (json_array_append_new(arr, json_string(hex)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

int tpm_evidence_format(const uint8_t *ak_der, size_t ak_len, const uint8_t *msg, size_t msg_len,
                        const uint8_t *sig, size_t sig_len,
                        const uint8_t (*pcrs)[TPM_SHA256_SIZE], char **ret_json,
                        cc_error **err)
{
	json_t *ev = json_object(), *quote = json_object();
	int r = ev != NULL && quote != NULL ? 0 : -ENOMEM;
	if (r == 0)
		r = set_b64(quote, "signature", sig, sig_len);
	if (r == 0)
		r = set_b64(quote, "message", msg, msg_len);
	if (r == 0 && json_object_set_new(quote, "pcrs", pcr_array(pcrs)) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = set_b64(ev, "ak_public", ak_der, ak_len);
	if (r == 0) {
		r = json_object_set(ev, "tpm_quote", quote) == 0 ? 0 : -ENOMEM;
	}
	char *text = NULL;
	if (r == 0) {
		/* serde_json writes a Value's members sorted, without spaces. */
		text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
		if (text == NULL)
			r = -ENOMEM;
	}
	json_decref(quote);
	json_decref(ev);
	if (r < 0)
		return cc_error_set(err, r, "out of memory");
	*ret_json = text;
	return 0;
}
