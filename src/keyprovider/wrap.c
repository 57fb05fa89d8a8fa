/* cocoon-keyprovider's two operations (the behaviour of CoCo's
 * coco_keyprovider, guest-components attestation-agent/coco_keyprovider,
 * and of confidential-data-hub's UnWrapKey; docs/man/cocoon-keyprovider.md). */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"
#include "keyprovider.h"

/* The parameters after provider:NAME: "keyid=..::keypath=..::algorithm=..". */
struct wrap_params {
	char *keyid;
	char *keypath;
};

static void params_clear(struct wrap_params *p)
{
	free(p->keyid);
	free(p->keypath);
}

static int set_param(struct wrap_params *p, const char *k, size_t klen, const char *v,
                     size_t vlen, cc_error **err)
{
	char **slot = NULL;
	if (klen == 5 && strncmp(k, "keyid", 5) == 0)
		slot = &p->keyid;
	else if (klen == 7 && strncmp(k, "keypath", 7) == 0)
		slot = &p->keypath;
	else if (klen == 9 && strncmp(k, "algorithm", 9) == 0)
		return vlen == 7 && strncmp(v, "A256GCM", 7) == 0
		           ? 0
		           : cc_error_set(err, -ENOTSUP, "algorithm %.*s: only A256GCM", (int)vlen, v);
	else if (klen == 6 && strncmp(k, "sample", 6) == 0)
		return cc_error_set(err, -ENOTSUP, "sample=true (hard-coded KEK) is not supported");
	else
		return cc_error_set(err, -EINVAL, "unknown parameter \"%.*s\"", (int)klen, k);
	free(*slot);
	if ((*slot = strndup(v, vlen)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int parse_params(const char *s, size_t n, struct wrap_params *p, cc_error **err)
{
	if (memchr(s, '\0', n) != NULL)
		return cc_error_set(err, -EINVAL, "parameters contain a NUL byte");
	const char *end = s + n;
	while (s < end) {
		const char *sep = strstr(s, "::");
		const char *item_end = sep && sep < end ? sep : end;
		const char *eq = memchr(s, '=', (size_t)(item_end - s));
		int r = eq ? set_param(p, s, (size_t)(eq - s), eq + 1, (size_t)(item_end - eq - 1),
		                       err)
		           : cc_error_set(err, -EINVAL, "parameter \"%.*s\" is not key=value",
		                          (int)(item_end - s), s);
		if (r < 0)
			return r;
		s = item_end == end ? end : item_end + 2;
	}
	return 0;
}

/* coco_keyprovider's key id forms -> "kbs://..." */
static int normalize_kid(struct wrap_params *p, cc_error **err)
{
	char *kid = NULL;
	int r = 0;
	if (p->keyid == NULL) {
		unsigned char u[16];
		if (RAND_bytes(u, sizeof(u)) != 1)
			return cc_error_set(err, -EIO, "no random bytes");
		u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
		u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
		r = asprintf(&kid, "kbs:///default/image-kek/%02x%02x%02x%02x-%02x%02x-%02x%02x-"
		                   "%02x%02x-%02x%02x%02x%02x%02x%02x",
		             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		             u[12], u[13], u[14], u[15]);
	} else if (strncmp(p->keyid, "kbs://", 6) == 0) {
		kid = strdup(p->keyid);
	} else {
		r = asprintf(&kid, "kbs://%s", p->keyid);
	}
	if (r < 0 || kid == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	free(p->keyid);
	p->keyid = kid;
	char path[4096];
	return oc_kid_path(kid, path, sizeof(path), err);
}

static int kek_from_file(const char *path, unsigned char kek[KEK_LEN], cc_error **err)
{
	char *b = NULL;
	size_t n = 0;
	int r = cc_read_file(path, CC_IMG_MAX_KEY_FILE_BYTES, OC_READ, &b, &n, err);
	if (r < 0)
		return r;
	if (n == KEK_LEN)
		memcpy(kek, b, KEK_LEN);
	else
		r = cc_error_set(err, -EINVAL, "keypath %s: not exactly %d bytes", path, KEK_LEN);
	oc_free_secret(b, n);
	return r;
}

/* The KEK for wrapping: from keypath (and then recorded in the store, if
 * any), else the store's (a random one is created on first use, so every
 * layer of an image shares it). */
static int wrap_kek(const struct kp_options *o, const struct wrap_params *p,
                    unsigned char kek[KEK_LEN], cc_error **err)
{
	if (p->keypath != NULL) {
		int r = kek_from_file(p->keypath, kek, err);
		if (r == 0 && o->kek != NULL)
			r = o->kek->put(o->kek->ctx, p->keyid, kek, false, err);
		return r;
	}
	if (o->kek == NULL)
		return cc_error_set(err, -EINVAL, "no keypath= and no --keys-dir to keep a new KEK");
	if (RAND_priv_bytes(kek, KEK_LEN) != 1)
		return cc_error_set(err, -EIO, "no random bytes");
	return o->kek->put(o->kek->ctx, p->keyid, kek, true, err);
}

/* ec.Parameters[name][0] (base64 string or byte array). */
static int provider_params(const struct kp_options *o, const json_t *params, unsigned char **ret,
                           size_t *ret_len, cc_error **err)
{
	const char *name = o->name;
	if (name == NULL && json_object_size(params) == 1) {
		void *it = json_object_iter((json_t *)params);
		name = json_object_iter_key(it);
	}
	if (name == NULL)
		name = "attestation-agent";
	const json_t *list = json_object_get(params, name);
	if (!json_is_array(list) || json_array_size(list) == 0)
		return cc_error_set(err, -EINVAL, "no parameters for provider %s in ec.Parameters",
		                    name);
	return oc_json_bytes(json_array_get(list, 0), CC_IMG_MAX_KEYPROVIDER_MSG, ret, ret_len,
	                     "ec.Parameters", err);
}

int kp_keywrap(const struct kp_options *o, const struct oc_kp_request *req, char **ret,
               size_t *ret_len, cc_error **err)
{
	struct wrap_params p = {0};
	_cleanup_free_ unsigned char *raw = NULL, *ct = NULL;
	_cleanup_free_ char *pkt = NULL;
	size_t raw_len = 0, ct_len = 0, pkt_len = 0;
	unsigned char kek[KEK_LEN], iv[12];
	int r = provider_params(o, req->ec_params, &raw, &raw_len, err);
	if (r == 0)
		r = parse_params((const char *)raw, raw_len, &p, err);
	if (r == 0)
		r = normalize_kid(&p, err);
	if (r == 0)
		r = wrap_kek(o, &p, kek, err);
	if (r == 0)
		r = oc_aes256gcm_wrap(kek, req->optsdata, req->optsdata_len, iv, &ct, &ct_len, err);
	OPENSSL_cleanse(kek, sizeof(kek));
	if (r == 0)
		r = oc_annotation_packet_build(p.keyid, ct, ct_len, iv, sizeof(iv), &pkt, &pkt_len,
		                               err);
	if (r == 0)
		r = oc_kp_response_build(OC_KP_KEYWRAP, pkt, pkt_len, ret, ret_len, err);
	params_clear(&p);
	return r;
}

int kp_keyunwrap(const struct kp_options *o, const struct oc_kp_request *req, char **ret,
                 size_t *ret_len, cc_error **err)
{
	struct oc_annotation_packet a;
	int r = oc_annotation_packet_parse(req->annotation, req->annotation_len, &a, err);
	if (r < 0)
		return r;
	unsigned char kek[KEK_LEN];
	unsigned char *opts = NULL;
	size_t opts_len = 0;
	if (strcmp(a.provider, "kbs") != 0)
		r = cc_error_set(err, -ENOTSUP, "annotation packet: provider \"%.64s\" (KMS) is not "
		                                "supported, only kbs", a.provider);
	else if (o->kek == NULL)
		r = cc_error_set(err, -EINVAL, "no KEK source (--keys-dir) to unwrap %s", a.kid);
	else
		r = o->kek->get(o->kek->ctx, a.kid, kek, err);
	if (r == 0)
		r = oc_annotation_packet_unwrap(&a, kek, &opts, &opts_len, err);
	OPENSSL_cleanse(kek, sizeof(kek));
	if (r == 0)
		r = oc_kp_response_build(OC_KP_KEYUNWRAP, opts, opts_len, ret, ret_len, err);
	oc_free_secret(opts, opts_len);
	oc_annotation_packet_clear(&a);
	return r;
}
