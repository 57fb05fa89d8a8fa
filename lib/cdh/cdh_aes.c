/* AES-256-GCM and AES-256-CTR decryption with OpenSSL (cdh_aes.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cdh_aes.h"
#include "jose_util.h"

#define GCM_TAG 16u

int cdh_wrap_parse(const char *name, enum cdh_wrap *ret, cc_error **err)
{
	if (name != NULL && strcmp(name, "A256GCM") == 0)
		*ret = CDH_WRAP_A256GCM;
	else if (name != NULL && strcmp(name, "A256CTR") == 0)
		*ret = CDH_WRAP_A256CTR;
	else
		return cc_error_set(err, -EINVAL, "wrap_type \"%s\": not A256GCM or A256CTR",
		                    name ? name : "");
	return 0;
}

int cdh_aes_decrypt(enum cdh_wrap w, const unsigned char *key, size_t key_len,
                    const unsigned char *iv, size_t iv_len, const unsigned char *in, size_t n,
                    unsigned char **ret, size_t *ret_len, const char *what, cc_error **err)
{
	bool gcm = w == CDH_WRAP_A256GCM;
	if (key_len != 32)
		return cc_error_set(err, -EINVAL, "%s: key of %zu bytes, not 32", what, key_len);
	if (iv_len != (gcm ? 12u : 16u))
		return cc_error_set(err, -EINVAL, "%s: iv of %zu bytes, not %u", what, iv_len,
		                    gcm ? 12u : 16u);
	if (gcm && n < GCM_TAG)
		return cc_error_set(err, -EINVAL, "%s: %zu bytes, shorter than the GCM tag", what,
		                    n);
	size_t clen = gcm ? n - GCM_TAG : n;
	if (clen > INT_MAX)
		return cc_error_set(err, -E2BIG, "%s: %zu bytes", what, n);
	unsigned char *out = malloc(clen + 1);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int r = 0, l1 = 0, l2 = 0;
	if (out == NULL || c == NULL) {
		r = cc_error_set(err, -ENOMEM, "%s: out of memory", what);
		goto out;
	}
	if (EVP_DecryptInit_ex(c, gcm ? EVP_aes_256_gcm() : EVP_aes_256_ctr(), NULL, NULL,
	                       NULL) != 1 ||
	    (gcm && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) != 1) ||
	    EVP_DecryptInit_ex(c, NULL, NULL, key, iv) != 1 ||
	    EVP_DecryptUpdate(c, out, &l1, in, (int)clen) != 1 ||
	    (gcm && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, (int)GCM_TAG,
	                                (void *)(in + clen)) != 1)) {
		r = cc_error_set(err, -EIO, "%s: AES decryption could not start", what);
		goto out;
	}
	if (EVP_DecryptFinal_ex(c, out + l1, &l2) != 1) {
		r = cc_error_set(err, -EBADMSG, "%s: authentication failed", what);
		goto out;
	}
	out[(size_t)l1 + (size_t)l2] = 0;
	*ret_len = (size_t)l1 + (size_t)l2;
	*ret = out;
	out = NULL;
out:
	EVP_CIPHER_CTX_free(c);
	cj_free_secret(out, clen + 1);
	return r;
}
