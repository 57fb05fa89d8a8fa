/* Sealed-secret unsealing (cdh_sealed.h): the signature check with the JWK
 * named by the kid, then the vault or envelope payload with the "kbs"
 * provider. Every secret byte is wiped before it is freed and never goes
 * into an error message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cdh_aes.h"
#include "cdh_sealed.h"
#include "cocoon/limits.h"
#include "jose_jwk.h"
#include "jose_jwt.h"
#include "jose_util.h"
#include "sealed_int.h"

static int fetch(const struct cdh_getter *g, const char *uri, const char *what,
                 unsigned char **ret, size_t *ret_len, cc_error **err)
{
	if (strncmp(uri, "kbs://", 6) != 0)
		return cc_error_set(err, -EINVAL, "sealed secret: %s is not a kbs:// resource URI",
		                    what);
	int r = g->get(g->ctx, uri, ret, ret_len, err);
	if (r < 0)
		return cc_error_wrap(err, "sealed secret: fetching the %s %s", what, uri);
	return 0;
}

static int verify(const cdh_sealed *s, const struct cdh_getter *g, cc_error **err)
{
	unsigned char *jwk = NULL;
	size_t jwk_len = 0;
	cj_jwk *key = NULL;
	int r = fetch(g, s->kid, "signing key", &jwk, &jwk_len, err);
	if (r == 0) {
		r = cj_jwk_parse((const char *)jwk, jwk_len, &key, err);
		if (r < 0)
			cc_error_wrap(err, "sealed secret: signing key %s", s->kid);
	}
	cj_free_secret(jwk, jwk_len);
	if (r == 0 && (cj_jwk_kty(key) != CJ_KTY_EC || strcmp(cj_jwk_crv(key), "P-256") != 0))
		r = cc_error_set(err, -EINVAL, "sealed secret: signing key %s is not an EC P-256 key",
		                 s->kid);
	if (r == 0) {
		r = cj_jws_verify(key, s->jws, s->jws_len, NULL, NULL, NULL, err);
		if (r < 0)
			cc_error_wrap(err, "sealed secret signed by %s", s->kid);
	}
	cj_jwk_free(key);
	return r;
}

static int b64_field(const char *v, size_t max, const char *what, unsigned char **ret,
                     size_t *ret_len, cc_error **err)
{
	return cj_b64_decode(v, strlen(v), max, ret, ret_len, what, err);
}

static int envelope(const cdh_sealed *s, const struct cdh_getter *g, unsigned char **ret,
                    size_t *ret_len, cc_error **err)
{
	unsigned char *kek = NULL, *wrapped = NULL, *wiv = NULL, *dek = NULL, *iv = NULL,
	              *data = NULL;
	size_t kek_len = 0, wrapped_len = 0, wiv_len = 0, dek_len = 0, iv_len = 0, data_len = 0;
	enum cdh_wrap w;
	const json_t *a = json_object_get(s->annotations, "iv");
	int r = cdh_wrap_parse(s->wrap_type, &w, err);
	if (r == 0 && !json_is_string(a))
		r = cc_error_set(err, -EINVAL,
		                 "sealed secret: the kbs provider needs annotations.iv (the key-wrap "
		                 "nonce)");
	if (r == 0)
		r = b64_field(json_string_value(a), 64, "annotations.iv", &wiv, &wiv_len, err);
	if (r == 0)
		r = b64_field(s->encrypted_key, 1024, "encrypted_key", &wrapped, &wrapped_len, err);
	if (r == 0)
		r = b64_field(s->iv, 64, "iv", &iv, &iv_len, err);
	if (r == 0)
		r = b64_field(s->encrypted_data, CC_CDH_MAX_SEALED_BYTES, "encrypted_data", &data,
		              &data_len, err);
	if (r == 0)
		r = fetch(g, s->name, "key", &kek, &kek_len, err);
	if (r == 0)
		r = cdh_aes_decrypt(CDH_WRAP_A256GCM, kek, kek_len, wiv, wiv_len, wrapped,
		                    wrapped_len, &dek, &dek_len, "sealed secret encrypted_key", err);
	if (r == 0)
		r = cdh_aes_decrypt(w, dek, dek_len, iv, iv_len, data, data_len, ret, ret_len,
		                    "sealed secret encrypted_data", err);
	cj_free_secret(kek, kek_len);
	cj_free_secret(dek, dek_len);
	free(wrapped);
	free(wiv);
	free(iv);
	free(data);
	return r;
}

int cdh_sealed_unseal(const cdh_sealed *s, const struct cdh_getter *g, unsigned char **ret,
                      size_t *ret_len, cc_error **err)
{
	int r = 0;
	if (!(s->flags & CDH_SEALED_SKIP_VERIFY))
		r = verify(s, g, err);
	if (r == 0 && strcasecmp(s->provider, "kbs") != 0)
		r = cc_error_set(err, -ENOTSUP, "sealed secret: provider \"%.32s\" is not supported "
		                 "(only kbs)", s->provider);
	if (r < 0)
		return r;
	if (s->type == CDH_SEALED_ENVELOPE)
		return envelope(s, g, ret, ret_len, err);
	unsigned char *v = NULL;
	size_t n = 0;
	r = fetch(g, s->name, "secret", &v, &n, err);
	if (r < 0)
		return r;
	unsigned char *out = n < SIZE_MAX ? malloc(n + 1) : NULL;
	if (out != NULL) {
		if (n > 0)
			memcpy(out, v, n);
		out[n] = 0;
	}
	cj_free_secret(v, n);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "sealed secret: out of memory");
	*ret = out;
	*ret_len = n;
	return 0;
}
