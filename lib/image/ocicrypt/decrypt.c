/* Layer decryption (containers/ocicrypt encryption.go DecryptLayer):
 * find a wrapped PLBCO one of our keys opens, then stream the plain blob
 * through the checking cipher reader. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

/* Why each annotation failed, for the final message. */
struct tried {
	cc_buf why;
};

static void note(struct tried *t, const char *wrapper, cc_error *e)
{
	cc_buf_printf(&t->why, "%s%s: %s", t->why.len ? "; " : "", wrapper, cc_error_message(e));
	cc_error_free(e);
}

static int provider_unwrap(const ocicrypt_keys *k, const char *name, const void *pkt, size_t n,
                           unsigned char **ret, size_t *ret_len, cc_error **err)
{
	if (!oc_keys_providers_enabled(k))
		return cc_error_set(err, -ENOKEY, "the layer key is wrapped by key provider '%.64s'; "
		                    "no provider was enabled (--decryption-key provider:%.64s)", name, name);
	const struct oc_kpconfig *c = NULL;
	int r = oc_keys_kpconfig(k, &c, err);
	if (r < 0)
		return r;
	if (c == NULL || c->n == 0)
		return cc_error_set(err, -ENOKEY, "no key providers configured "
		                                  "(OCICRYPT_KEYPROVIDER_CONFIG)");
	_cleanup_free_ char *req = NULL;
	size_t req_len = 0;
	if ((r = oc_kp_keyunwrap_request(pkt, n, &req, &req_len, err)) < 0)
		return r;
	/* The provider of that name; if there is none, every provider, as
	 * ocicrypt-rs does (it ignores the name). */
	const struct oc_kp *named = oc_keys_provider_allowed(k, name) ? oc_kpconfig_find(c, name) : NULL;
	cc_buf why;
	cc_buf_init(&why, 4096);
	for (size_t i = 0; i < c->n; i++) {
		const struct oc_kp *kp = named ? named : &c->v[i];
		if (!oc_keys_provider_allowed(k, kp->name))
			continue;
		cc_error *e = NULL;
		r = oc_kp_call(kp, OC_KP_KEYUNWRAP, req, req_len, ret, ret_len, &e);
		if (r == 0) {
			cc_buf_free(&why);
			return 0;
		}
		cc_buf_printf(&why, "%s%s", why.len ? "; " : "", cc_error_message(e));
		cc_error_free(e);
		if (named)
			break;
	}
	if (why.len == 0)
		r = cc_error_set(err, -ENOKEY, "key provider '%.64s': none of the enabled providers is "
		                 "in the keyprovider config", name);
	else
		r = cc_error_set(err, -EACCES, "%s", why.p);
	cc_buf_free(&why);
	return r;
}

/* Tries one wrapped key (the bytes of one base64 item). */
static int unwrap_one(const ocicrypt_keys *k, const char *scheme, const unsigned char *pkt,
                      size_t n, unsigned char **ret, size_t *ret_len, cc_error **err)
{
	if (strcmp(scheme, "jwe") == 0)
		return oc_jwe_unwrap(k, pkt, n, ret, ret_len, err);
	if (strcmp(scheme, "pkcs7") == 0)
		return oc_pkcs7_unwrap(k, pkt, n, ret, ret_len, err);
	if (strncmp(scheme, "provider.", 9) == 0)
		return provider_unwrap(k, scheme + 9, pkt, n, ret, ret_len, err);
	return cc_error_set(err, -ENOTSUP, "key wrapper not supported");
}

/* Tries every comma-separated item of one enc.keys.<scheme> annotation;
 * on success *ret holds the parsed PLBCO. */
static int try_annotation(const ocicrypt_keys *k, const char *scheme, const char *value,
                          struct oc_plbco *ret, cc_error **err)
{
	if ((strcmp(scheme, "jwe") == 0 || strcmp(scheme, "pkcs7") == 0) && oc_keys_count(k) == 0)
		return cc_error_set(err, -ENOKEY, "no private key given");
	cc_error *last = NULL;
	size_t items = 0;
	for (const char *s = value; *s || items == 0;) {
		size_t len = strcspn(s, ",");
		if (++items > CC_IMG_MAX_WRAPPED_KEYS)
			break;
		unsigned char *pkt = NULL, *opts = NULL;
		size_t pkt_len = 0, opts_len = 0;
		cc_error *e = NULL;
		int r = oc_b64_decode(s, len, CC_IMG_MAX_ANNOTATION_BYTES, &pkt, &pkt_len,
		                      "wrapped key", &e);
		if (r == 0)
			r = unwrap_one(k, scheme, pkt, pkt_len, &opts, &opts_len, &e);
		free(pkt);
		if (r == 0) {
			r = oc_plbco_parse(opts, opts_len, ret, &e);
			oc_free_secret(opts, opts_len);
		}
		if (r == 0) {
			cc_error_free(last);
			return 0;
		}
		cc_error_free(last);
		last = e;
		s += len;
		if (*s == ',')
			s++;
		if (*s == '\0')
			break;
	}
	int code = cc_error_code(last) < 0 ? cc_error_code(last) : -EACCES;
	cc_error_set(err, code, "%s", cc_error_message(last));
	cc_error_free(last);
	return code;
}

static int find_plbco(const ocicrypt_keys *k, const char *mt, const json_t *ann,
                      struct oc_plbco *ret, cc_error **err)
{
	struct tried t;
	cc_buf_init(&t.why, 16384);
	const char *key = NULL;
	const json_t *v = NULL;
	size_t n = 0;
	json_object_foreach((json_t *)ann, key, v) {
		if (strncmp(key, OC_ANN_PREFIX, strlen(OC_ANN_PREFIX)) != 0 || !json_is_string(v))
			continue;
		const char *scheme = key + strlen(OC_ANN_PREFIX);
		n++;
		cc_error *e = NULL;
		if (try_annotation(k, scheme, json_string_value(v), ret, &e) == 0) {
			cc_buf_free(&t.why);
			return 0;
		}
		note(&t, scheme, e);
	}
	int r = n == 0 ? cc_error_set(err, -EINVAL, "layer %s: no " OC_ANN_PREFIX "* annotation",
	                              mt)
	               : cc_error_set(err, -EACCES, "no key could unwrap layer %s: tried %s", mt,
	                              t.why.p ? t.why.p : "");
	cc_buf_free(&t.why);
	return r;
}

int ocicrypt_decrypt_reader(const ocicrypt_keys *keys, const char *media_type,
                            const json_t *annotations, img_reader *ciphertext, img_reader **ret,
                            cc_error **err)
{
	return ocicrypt_decrypt_reader_digest(keys, media_type, annotations, ciphertext, ret, NULL,
	                                      err);
}

int ocicrypt_decrypt_reader_digest(const ocicrypt_keys *keys, const char *media_type,
                                   const json_t *annotations, img_reader *ciphertext,
                                   img_reader **ret, img_digest *ret_plain, cc_error **err)
{
	int r = 0;
	if (!ocicrypt_media_type_is_encrypted(media_type))
		r = cc_error_set(err, -EINVAL, "media type %s is not an encrypted layer type",
		                 media_type ? media_type : "(none)");
	else if (!json_is_object(annotations))
		r = cc_error_set(err, -EINVAL, "encrypted layer %s has no annotations", media_type);
	struct oc_plbco opts;
	struct oc_pubopts pub;
	if (r == 0)
		r = find_plbco(keys, media_type, annotations, &opts, err);
	if (r == 0) {
		const json_t *po = json_object_get(annotations, OC_ANN_PUBOPTS);
		r = oc_pubopts_parse_b64(json_string_value(po), json_string_length(po), &pub, err);
		if (r == 0)
			r = oc_cipher_decrypt_reader(ciphertext, &opts, &pub, "encrypted layer", ret,
			                             ret_plain, err);
		else
			img_reader_free(ciphertext);
		oc_plbco_wipe(&opts);
		return r;
	}
	img_reader_free(ciphertext);
	return r;
}
