/* Keyprovider protocol messages (containers/ocicrypt
 * keywrap/keyprovider/keyprovider.go; docs/keyprovider.md there):
 *
 *   request  {"op":"keywrap"|"keyunwrap",
 *             "keywrapparams":{"ec":{"Parameters":{NAME:[bytes]},"DecryptConfig":{..}},
 *                              "optsdata":bytes},
 *             "keyunwrapparams":{"dc":{"Parameters":{..}},"annotation":bytes}}
 *   answer   {"keywrapresults":{"annotation":bytes}} or
 *            {"keyunwrapresults":{"optsdata":bytes}}
 *
 * Go marshals []byte as base64 strings; serde (ocicrypt-rs, CoCo's
 * coco_keyprovider and confidential-data-hub) as integer arrays, and
 * ocicrypt-rs sends optsdata as the raw JSON text. Both are read; requests
 * are written as Go does, answers as coco_keyprovider does. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

void oc_kp_request_clear(struct oc_kp_request *r)
{
	json_decref(r->ec_params);
	oc_free_secret(r->optsdata, r->optsdata_len);
	free(r->annotation);
	memset(r, 0, sizeof(*r));
}

/* optsdata: bytes, or (ocicrypt-rs) the PLBCO's JSON text as a string. */
static int parse_optsdata(const json_t *v, struct oc_kp_request *out, cc_error **err)
{
	const char *s = json_string_value(v);
	if (s != NULL && json_string_length(v) > 0 && s[0] == '{') {
		size_t n = json_string_length(v);
		if (n > CC_IMG_MAX_KEYPROVIDER_MSG)
			return cc_error_set(err, -EFBIG, "keyprovider request: optsdata too large");
		if ((out->optsdata = malloc(n + 1)) == NULL)
			return cc_error_set(err, -ENOMEM, "out of memory");
		memcpy(out->optsdata, s, n + 1);
		out->optsdata_len = n;
		return 0;
	}
	return oc_json_bytes(v, CC_IMG_MAX_KEYPROVIDER_MSG, &out->optsdata, &out->optsdata_len,
	                     "keyprovider request: keywrapparams.optsdata", err);
}

static int parse_keywrap(const json_t *j, struct oc_kp_request *out, cc_error **err)
{
	const json_t *kw = json_object_get(j, "keywrapparams");
	const json_t *ec = json_object_get(kw, "ec");
	const json_t *params = json_object_get(ec, "Parameters");
	if (!json_is_object(kw))
		return cc_error_set(err, -EINVAL, "keyprovider request: \"keywrapparams\" missing");
	if (params != NULL && !json_is_null(params) && !json_is_object(params))
		return cc_error_set(err, -EINVAL,
		                    "keyprovider request: ec.Parameters is not an object");
	if (json_is_object(params))
		out->ec_params = json_incref((json_t *)params);
	int r = parse_optsdata(json_object_get(kw, "optsdata"), out, err);
	if (r == 0 && out->optsdata_len == 0)
		r = cc_error_set(err, -EINVAL, "keyprovider request: optsdata is empty");
	return r;
}

static int parse_keyunwrap(const json_t *j, struct oc_kp_request *out, cc_error **err)
{
	const json_t *ku = json_object_get(j, "keyunwrapparams");
	if (!json_is_object(ku))
		return cc_error_set(err, -EINVAL,
		                    "keyprovider request: \"keyunwrapparams\" missing");
	int r = oc_json_bytes(json_object_get(ku, "annotation"), CC_IMG_MAX_KEYPROVIDER_MSG,
	                      &out->annotation, &out->annotation_len,
	                      "keyprovider request: keyunwrapparams.annotation", err);
	if (r == 0 && out->annotation_len == 0)
		r = cc_error_set(err, -EINVAL, "keyprovider request: annotation is empty");
	return r;
}

int oc_kp_request_parse(const void *p, size_t n, struct oc_kp_request *ret, cc_error **err)
{
	json_t *j = NULL;
	int r = oc_json_parse(p, n, CC_IMG_MAX_KEYPROVIDER_MSG, &j, "keyprovider request", err);
	if (r < 0)
		return r;
	struct oc_kp_request out;
	memset(&out, 0, sizeof(out));
	const char *op = json_string_value(json_object_get(j, "op"));
	if (op != NULL && strcmp(op, "keywrap") == 0) {
		out.op = OC_KP_KEYWRAP;
		r = parse_keywrap(j, &out, err);
	} else if (op != NULL && strcmp(op, "keyunwrap") == 0) {
		out.op = OC_KP_KEYUNWRAP;
		r = parse_keyunwrap(j, &out, err);
	} else {
		r = cc_error_set(err, -EINVAL, "keyprovider request: \"op\" is not keywrap or "
		                               "keyunwrap");
	}
	json_decref(j);
	if (r < 0) {
		oc_kp_request_clear(&out);
		return r;
	}
	*ret = out;
	return 0;
}

static int finish_buf(cc_buf *b, int r, char **ret, size_t *ret_len, cc_error **err)
{
	if (r < 0) {
		if (b->p)
			OPENSSL_cleanse(b->p, b->len);
		cc_buf_free(b);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = cc_buf_steal(b, ret_len);
	return 0;
}

int oc_kp_keywrap_request(const json_t *params, const void *optsdata, size_t n, char **ret,
                          size_t *ret_len, cc_error **err)
{
	_cleanup_free_ char *ps = json_dumps(params, JSON_COMPACT);
	char *od = oc_b64_encode(optsdata, n);
	if (ps == NULL || od == NULL) {
		oc_free_secret(od, od ? strlen(od) : 0);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = cc_buf_printf(&b,
	                      "{\"op\":\"keywrap\",\"keywrapparams\":{\"ec\":{\"Parameters\":%s,"
	                      "\"DecryptConfig\":{\"Parameters\":null}},\"optsdata\":\"%s\"},"
	                      "\"keyunwrapparams\":{\"dc\":null,\"annotation\":null}}",
	                      ps, od);
	oc_free_secret(od, strlen(od));
	return finish_buf(&b, r, ret, ret_len, err);
}

int oc_kp_keyunwrap_request(const void *annotation, size_t n, char **ret, size_t *ret_len,
                            cc_error **err)
{
	_cleanup_free_ char *a = oc_b64_encode(annotation, n);
	if (a == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = cc_buf_printf(&b,
	                      "{\"op\":\"keyunwrap\",\"keywrapparams\":{\"ec\":null,"
	                      "\"optsdata\":null},\"keyunwrapparams\":{\"dc\":{\"Parameters\":{}},"
	                      "\"annotation\":\"%s\"}}",
	                      a);
	return finish_buf(&b, r, ret, ret_len, err);
}

int oc_kp_response_parse(const void *p, size_t n, enum oc_kp_op op, unsigned char **ret,
                         size_t *ret_len, cc_error **err)
{
	json_t *j = NULL;
	int r = oc_json_parse(p, n, CC_IMG_MAX_KEYPROVIDER_MSG, &j, "keyprovider answer", err);
	if (r < 0)
		return r;
	const char *obj = op == OC_KP_KEYWRAP ? "keywrapresults" : "keyunwrapresults";
	const char *field = op == OC_KP_KEYWRAP ? "annotation" : "optsdata";
	const json_t *res = json_object_get(j, obj);
	const json_t *v = json_object_get(res, field);
	unsigned char *b = NULL;
	size_t len = 0;
	if (!json_is_object(res) || v == NULL || json_is_null(v))
		r = cc_error_set(err, -EINVAL, "keyprovider answer: no %s.%s", obj, field);
	else
		r = oc_json_bytes(v, CC_IMG_MAX_KEYPROVIDER_MSG, &b, &len, "keyprovider answer", err);
	if (r == 0 && len == 0)
		r = cc_error_set(err, -EINVAL, "keyprovider answer: %s.%s is empty", obj, field);
	if (op == OC_KP_KEYUNWRAP) /* the tree holds the PLBCO */
		OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
	json_decref(j);
	if (r < 0) {
		oc_free_secret(b, len);
		return r;
	}
	*ret = b;
	*ret_len = len;
	return 0;
}

int oc_kp_response_build(enum oc_kp_op op, const void *p, size_t n, char **ret,
                         size_t *ret_len, cc_error **err)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	const unsigned char *s = p;
	int r = cc_buf_adds(&b, op == OC_KP_KEYWRAP ? "{\"keywrapresults\":{\"annotation\":["
	                                            : "{\"keyunwrapresults\":{\"optsdata\":[");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = cc_buf_printf(&b, i ? ",%u" : "%u", s[i]);
	if (r == 0)
		r = cc_buf_adds(&b, "]}}");
	return finish_buf(&b, r, ret, ret_len, err);
}
