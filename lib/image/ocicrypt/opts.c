/* Layer block cipher options (containers/ocicrypt blockcipher/blockcipher.go):
 * the private options (PLBCO) that key wrappers protect, and the public
 * options in the enc.pubopts annotation. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

/* The private options are tiny; anything bigger is not one. */
#define PLBCO_MAX_BYTES (64u * 1024u)

void oc_plbco_wipe(struct oc_plbco *o)
{
	OPENSSL_cleanse(o, sizeof(*o));
}

/* Copies a []byte field of exactly want bytes into out. */
static int fixed_bytes(const json_t *v, unsigned char *out, size_t want, const char *what,
                       cc_error **err)
{
	unsigned char *b = NULL;
	size_t n = 0;
	int r = oc_json_bytes(v, PLBCO_MAX_BYTES, &b, &n, what, err);
	if (r < 0)
		return r;
	if (n != want) {
		oc_free_secret(b, n + 1);
		return cc_error_set(err, -EINVAL, "%s: %zu bytes, expected %zu", what, n, want);
	}
	memcpy(out, b, want);
	oc_free_secret(b, n + 1);
	return 0;
}

static int plbco_digest(const json_t *d, img_digest *ret, cc_error **err)
{
	if (!json_is_string(d))
		return cc_error_set(err, -EINVAL,
		                    "layer key options: \"digest\" of the plain layer is missing");
	int r = img_digest_parse(json_string_value(d), json_string_length(d), ret, err);
	if (r < 0)
		cc_error_wrap(err, "layer key options: \"digest\"");
	return r;
}

int oc_plbco_parse(const void *p, size_t n, struct oc_plbco *ret, cc_error **err)
{
	json_t *j = NULL;
	int r = oc_json_parse(p, n, PLBCO_MAX_BYTES, &j, "layer key options", err);
	if (r < 0)
		return r;
	struct oc_plbco o;
	memset(&o, 0, sizeof(o));
	const json_t *co = json_object_get(j, "cipheroptions");
	if (!json_is_object(j))
		r = cc_error_set(err, -EINVAL, "layer key options: not a JSON object");
	else if (!json_is_string(json_object_get(j, "symkey")))
		r = cc_error_set(err, -EINVAL, "layer key options: \"symkey\" is missing");
	else if (!json_is_object(co) || json_object_get(co, "nonce") == NULL)
		r = cc_error_set(err, -EINVAL,
		                 "layer key options: \"cipheroptions\".\"nonce\" is missing");
	if (r == 0)
		r = fixed_bytes(json_object_get(j, "symkey"), o.symkey, OC_SYMKEY_LEN,
		                "layer key options: \"symkey\"", err);
	if (r == 0)
		r = fixed_bytes(json_object_get(co, "nonce"), o.nonce, OC_NONCE_LEN,
		                "layer key options: \"nonce\"", err);
	if (r == 0)
		r = plbco_digest(json_object_get(j, "digest"), &o.digest, err);
	if (r == 0)
		*ret = o;
	oc_plbco_wipe(&o);
	/* The parsed tree holds the key in base64: wipe its strings. */
	const char *key = NULL;
	json_t *v = NULL;
	json_object_foreach(j, key, v)
		if (json_is_string(v))
			OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
	json_decref(j);
	return r;
}

int oc_plbco_dump(const struct oc_plbco *o, char **ret, size_t *ret_len, cc_error **err)
{
	_cleanup_free_ char *k = oc_b64_encode(o->symkey, OC_SYMKEY_LEN);
	_cleanup_free_ char *nonce = oc_b64_encode(o->nonce, OC_NONCE_LEN);
	char d[IMG_DIGEST_STR_MAX];
	if (k == NULL || nonce == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	img_digest_format(&o->digest, d);
	/* Field order as Go's json.Marshal of PrivateLayerBlockCipherOptions. */
	cc_buf b;
	cc_buf_init(&b, 0);
	int r = cc_buf_printf(&b, "{\"symkey\":\"%s\",\"digest\":\"%s\","
	                          "\"cipheroptions\":{\"nonce\":\"%s\"}}",
	                      k, d, nonce);
	OPENSSL_cleanse(k, strlen(k));
	if (r < 0) {
		if (b.p)
			OPENSSL_cleanse(b.p, b.len);
		cc_buf_free(&b);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = cc_buf_steal(&b, ret_len);
	return 0;
}

static int pubopts_hmac(const json_t *j, struct oc_pubopts *o, cc_error **err)
{
	/* Go >= 1.0 puts it in "hmac"; the first releases in
	 * "cipheroptions"."hmac". */
	const json_t *h = json_object_get(j, "hmac");
	if (h == NULL || json_is_null(h))
		h = json_object_get(json_object_get(j, "cipheroptions"), "hmac");
	if (h == NULL || json_is_null(h))
		return 0;
	int r = fixed_bytes(h, o->hmac, OC_HMAC_LEN, "enc.pubopts: \"hmac\"", err);
	if (r == 0)
		o->has_hmac = true;
	return r;
}

int oc_pubopts_parse_b64(const char *b64, size_t n, struct oc_pubopts *ret, cc_error **err)
{
	struct oc_pubopts o = {.has_hmac = false};
	if (b64 == NULL || n == 0) {
		*ret = o;
		return 0;
	}
	_cleanup_free_ unsigned char *raw = NULL;
	size_t raw_len = 0;
	int r = oc_b64_decode(b64, n, CC_IMG_MAX_ANNOTATION_BYTES, &raw, &raw_len,
	                      "annotation " OC_ANN_PUBOPTS, err);
	if (r < 0)
		return r;
	json_t *j = NULL;
	r = oc_json_parse(raw, raw_len, PLBCO_MAX_BYTES, &j, "enc.pubopts", err);
	if (r < 0)
		return r;
	const json_t *c = json_object_get(j, "cipher");
	if (!json_is_object(j))
		r = cc_error_set(err, -EINVAL, "enc.pubopts: not a JSON object");
	else if (c != NULL && !json_is_null(c) && !json_is_string(c))
		r = cc_error_set(err, -EINVAL, "enc.pubopts: \"cipher\" is not a string");
	else if (json_is_string(c) && json_string_length(c) > 0 &&
	         strcmp(json_string_value(c), OC_CIPHER_AES256CTR) != 0)
		r = cc_error_set(err, -ENOTSUP, "enc.pubopts: unsupported cipher \"%.64s\"",
		                 json_string_value(c));
	if (r == 0)
		r = pubopts_hmac(j, &o, err);
	json_decref(j);
	if (r == 0)
		*ret = o;
	return r;
}

char *oc_pubopts_dump_b64(const unsigned char hmac[OC_HMAC_LEN])
{
	_cleanup_free_ char *h = oc_b64_encode(hmac, OC_HMAC_LEN);
	if (h == NULL)
		return NULL;
	cc_buf b;
	cc_buf_init(&b, 0);
	if (cc_buf_printf(&b, "{\"cipher\":\"" OC_CIPHER_AES256CTR "\",\"hmac\":\"%s\","
	                      "\"cipheroptions\":{}}",
	                  h) < 0) {
		cc_buf_free(&b);
		return NULL;
	}
	char *out = oc_b64_encode(b.p, b.len);
	cc_buf_free(&b);
	return out;
}
