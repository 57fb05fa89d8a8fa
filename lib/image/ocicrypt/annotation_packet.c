/* CoCo's annotation packets: what coco_keyprovider puts in
 * enc.keys.provider.<name> and confidential-data-hub unwraps
 * (guest-components confidential-data-hub/hub/src/image/annotation_packet,
 * docs/ocicrypt.md):
 *   v1 {"kid":"kbs:///repo/type/tag","wrapped_data":b64,"iv":b64,"wrap_type":"A256GCM"}
 *   v2 {"version":"0.1.0","kid","wrapped_data","provider":"kbs","iv"?,"wrap_type"?,
 *       "provider_settings":{},"annotations":{}}
 * The byte fields are base64 strings (serde base64 in the Rust structs). */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "internal.h"

#define GCM_IV_LEN 12
#define GCM_TAG_LEN 16
#define CTR_IV_LEN 16

void oc_annotation_packet_clear(struct oc_annotation_packet *a)
{
	free(a->kid);
	free(a->wrapped_data);
	free(a->iv);
	free(a->wrap_type);
	free(a->provider);
	memset(a, 0, sizeof(*a));
}

static int opt_string(const json_t *j, const char *key, const char *dflt, char **ret,
                      cc_error **err)
{
	const json_t *v = json_object_get(j, key);
	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return cc_error_set(err, -EINVAL, "annotation packet: \"%s\" is not a string", key);
	const char *s = json_is_string(v) ? json_string_value(v) : dflt;
	if (s == NULL)
		return cc_error_set(err, -EINVAL, "annotation packet: \"%s\" is missing", key);
	if (json_is_string(v) && strlen(s) != json_string_length(v))
		return cc_error_set(err, -EINVAL, "annotation packet: \"%s\" contains NUL", key);
	if ((*ret = strdup(s)) == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int opt_bytes(const json_t *j, const char *key, bool required, unsigned char **ret,
                     size_t *len, cc_error **err)
{
	const json_t *v = json_object_get(j, key);
	if (required && (v == NULL || json_is_null(v)))
		return cc_error_set(err, -EINVAL, "annotation packet: \"%s\" is missing", key);
	char what[64];
	snprintf(what, sizeof(what), "annotation packet: \"%s\"", key);
	return oc_json_bytes(v, CC_IMG_MAX_ANNOTATION_BYTES, ret, len, what, err);
}

int oc_annotation_packet_parse(const void *p, size_t n, struct oc_annotation_packet *ret,
                               cc_error **err)
{
	json_t *j = NULL;
	int r = oc_json_parse(p, n, CC_IMG_MAX_ANNOTATION_BYTES, &j, "annotation packet", err);
	if (r < 0)
		return r;
	struct oc_annotation_packet a;
	memset(&a, 0, sizeof(a));
	if (!json_is_object(j))
		r = cc_error_set(err, -EINVAL, "annotation packet: not a JSON object");
	if (r == 0)
		r = opt_string(j, "kid", NULL, &a.kid, err);
	if (r == 0)
		r = opt_bytes(j, "wrapped_data", true, &a.wrapped_data, &a.wrapped_len, err);
	if (r == 0)
		r = opt_bytes(j, "iv", false, &a.iv, &a.iv_len, err);
	if (r == 0)
		r = opt_string(j, "wrap_type", "A256GCM", &a.wrap_type, err);
	if (r == 0)
		r = opt_string(j, "provider", "kbs", &a.provider, err);
	json_decref(j);
	if (r < 0) {
		oc_annotation_packet_clear(&a);
		return r;
	}
	*ret = a;
	return 0;
}

int oc_annotation_packet_build(const char *kid, const void *wrapped, size_t wrapped_len,
                               const void *iv, size_t iv_len, char **ret, size_t *ret_len,
                               cc_error **err)
{
	json_t *j = json_pack("{s:s,s:o,s:o,s:s}", "kid", kid, "wrapped_data",
	                      oc_json_bytes_b64(wrapped, wrapped_len), "iv",
	                      oc_json_bytes_b64(iv, iv_len), "wrap_type", "A256GCM");
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	*ret_len = strlen(s);
	return 0;
}

static int gcm_open(const unsigned char kek[32], const struct oc_annotation_packet *a,
                    unsigned char *out, int *out_len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ct_len = (int)(a->wrapped_len - GCM_TAG_LEN), n = 0, fin = 0;
	bool ok = ctx != NULL && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
	          EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL) &&
	          EVP_DecryptInit_ex(ctx, NULL, NULL, kek, a->iv) &&
	          EVP_DecryptUpdate(ctx, out, &n, a->wrapped_data, ct_len) &&
	          EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN,
	                              a->wrapped_data + ct_len) &&
	          EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	*out_len = n + fin;
	return ok ? 0 : -EACCES;
}

static int ctr_open(const unsigned char kek[32], const struct oc_annotation_packet *a,
                    unsigned char *out, int *out_len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;
	bool ok = ctx != NULL && EVP_DecryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, kek, a->iv) &&
	          EVP_DecryptUpdate(ctx, out, &n, a->wrapped_data, (int)a->wrapped_len);
	EVP_CIPHER_CTX_free(ctx);
	*out_len = n;
	return ok ? 0 : -EIO;
}

int oc_annotation_packet_unwrap(const struct oc_annotation_packet *a, const unsigned char kek[32],
                                unsigned char **ret, size_t *ret_len, cc_error **err)
{
	bool gcm = strcmp(a->wrap_type, "A256GCM") == 0;
	if (!gcm && strcmp(a->wrap_type, "A256CTR") != 0)
		return cc_error_set(err, -ENOTSUP, "annotation packet %s: unsupported wrap_type "
		                                   "\"%.32s\"", a->kid, a->wrap_type);
	if (a->iv_len != (gcm ? GCM_IV_LEN : CTR_IV_LEN))
		return cc_error_set(err, -EINVAL, "annotation packet %s: iv is %zu bytes, expected %d",
		                    a->kid, a->iv_len, gcm ? GCM_IV_LEN : CTR_IV_LEN);
	if ((gcm && a->wrapped_len < GCM_TAG_LEN) || a->wrapped_len > CC_IMG_MAX_ANNOTATION_BYTES)
		return cc_error_set(err, -EINVAL, "annotation packet %s: wrapped_data of %zu bytes",
		                    a->kid, a->wrapped_len);
	unsigned char *out = malloc(a->wrapped_len + 1);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int n = 0;
	int r = gcm ? gcm_open(kek, a, out, &n) : ctr_open(kek, a, out, &n);
	if (r < 0) {
		oc_free_secret(out, a->wrapped_len + 1);
		return cc_error_set(err, r, "annotation packet %s: %s failed (wrong key or modified "
		                            "data)",
		                    a->kid, a->wrap_type);
	}
	out[n] = '\0';
	*ret = out;
	*ret_len = (size_t)n;
	return 0;
}

int oc_aes256gcm_wrap(const unsigned char kek[32], const void *pt, size_t n,
                      unsigned char iv[12], unsigned char **ret_ct, size_t *ret_len,
                      cc_error **err)
{
	if (n > CC_IMG_MAX_KEYPROVIDER_MSG)
		return cc_error_set(err, -EFBIG, "A256GCM: plaintext too large");
	if (RAND_bytes(iv, GCM_IV_LEN) != 1)
		return cc_error_set(err, -EIO, "A256GCM: no random bytes from OpenSSL");
	unsigned char *out = malloc(n + GCM_TAG_LEN);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	bool ok = out != NULL && ctx != NULL &&
	          EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
	          EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL) &&
	          EVP_EncryptInit_ex(ctx, NULL, NULL, kek, iv) &&
	          EVP_EncryptUpdate(ctx, out, &len, pt, (int)n) &&
	          EVP_EncryptFinal_ex(ctx, out + len, &fin) &&
	          EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, out + len + fin);
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		free(out);
		return cc_error_set(err, out ? -EIO : -ENOMEM, "A256GCM: encryption failed");
	}
	*ret_ct = out;
	*ret_len = (size_t)(len + fin) + GCM_TAG_LEN;
	return 0;
}

static bool seg_ok(const char *s, size_t n)
{
	if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int oc_kid_path(const char *kid, char *out, size_t out_size, cc_error **err)
{
	const char *p = kid;
	if (strncmp(p, "kbs://", 6) == 0) {
		p += 6;
		p += strcspn(p, "/"); /* the KBS host is ignored, as CDH does */
	}
	while (*p == '/')
		p++;
	size_t len = strlen(p), nseg = 0;
	if (len + 1 > out_size)
		return cc_error_set(err, -ENAMETOOLONG, "key id too long");
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (!seg_ok(s, n))
			return cc_error_set(err, -EINVAL, "key id \"%.200s\": bad path segment", kid);
		nseg++;
		s += n;
		if (*s == '/')
			s++;
	}
	if (nseg != 3 || p[len - 1] == '/')
		return cc_error_set(err, -EINVAL, "key id \"%.200s\": expected kbs:///repo/type/tag",
		                    kid);
	memcpy(out, p, len + 1);
	return 0;
}
