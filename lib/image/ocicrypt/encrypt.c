/* Layer encryption (containers/ocicrypt encryption.go EncryptLayer): the
 * ciphertext streams out first; the finaliser then wraps the PLBCO to every
 * recipient, one annotation per wrapper, and adds enc.pubopts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/cleanup.h"
#include "internal.h"


struct ocicrypt_encryptor {
	const ocicrypt_recipients *r;
	const char *media_type;
	struct oc_enc_state *st;
};

void ocicrypt_encryptor_free(ocicrypt_encryptor *e)
{
	if (e == NULL)
		return;
	oc_enc_state_unref(e->st);
	free(e);
}

/* Every provider recipient must be in the keyprovider config. */
static int check_providers(const ocicrypt_recipients *r, const json_t *providers,
                           cc_error **err)
{
	if (json_object_size(providers) == 0)
		return 0;
	const struct oc_kpconfig *c = NULL;
	int ret = oc_recipients_kpconfig(r, &c, err);
	if (ret < 0)
		return ret;
	const char *name = NULL;
	const json_t *v = NULL;
	json_object_foreach((json_t *)providers, name, v) {
		if (oc_kpconfig_find(c, name) == NULL)
			return cc_error_set(err, -ENOENT, "encryption key provider:%s: no such key "
			                                  "provider in OCICRYPT_KEYPROVIDER_CONFIG",
			                    name);
	}
	return 0;
}

int ocicrypt_encryptor_new(const ocicrypt_recipients *r, const char *plain_media_type,
                           img_reader *plaintext, ocicrypt_encryptor **ret,
                           img_reader **ret_ciphertext, cc_error **err)
{
	EVP_PKEY *const *jwe;
	X509 *const *certs;
	size_t njwe, ncerts;
	const json_t *providers;
	oc_recipients_get(r, &jwe, &njwe, &certs, &ncerts, &providers);
	const char *mt = ocicrypt_media_type_encrypted(plain_media_type);
	int rc = 0;
	if (mt == NULL)
		rc = cc_error_set(err, -EINVAL, "media type %s cannot be encrypted",
		                  plain_media_type ? plain_media_type : "(none)");
	else if (njwe + ncerts + json_object_size(providers) == 0)
		rc = cc_error_set(err, -EINVAL, "no encryption recipients");
	else
		rc = check_providers(r, providers, err);
	ocicrypt_encryptor *e = rc == 0 ? calloc(1, sizeof(*e)) : NULL;
	if (rc == 0 && e == NULL)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	if (rc < 0) {
		img_reader_free(plaintext);
		return rc;
	}
	e->r = r;
	e->media_type = mt;
	rc = oc_cipher_encrypt_reader(plaintext, &e->st, ret_ciphertext, err);
	if (rc < 0) {
		free(e);
		return rc;
	}
	*ret = e;
	return 0;
}

static int set_b64(json_t *ann, const char *key, const unsigned char *p, size_t n,
                   cc_error **err)
{
	json_t *v = oc_json_bytes_b64(p, n);
	if (v == NULL || json_object_set_new(ann, key, v) != 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int wrap_providers(const ocicrypt_encryptor *e, const json_t *providers,
                          const char *opts, size_t opts_len, json_t *ann, cc_error **err)
{
	if (json_object_size(providers) == 0)
		return 0;
	const struct oc_kpconfig *c = NULL;
	int r = oc_recipients_kpconfig(e->r, &c, err);
	char *req = NULL;
	size_t req_len = 0;
	if (r == 0)
		r = oc_kp_keywrap_request(providers, opts, opts_len, &req, &req_len, err);
	const char *name = NULL;
	const json_t *v = NULL;
	json_object_foreach((json_t *)providers, name, v) {
		if (r < 0)
			break;
		unsigned char *out = NULL;
		size_t out_len = 0;
		r = oc_kp_call(oc_kpconfig_find(c, name), OC_KP_KEYWRAP, req, req_len, &out,
		               &out_len, err);
		if (r < 0)
			break;
		_cleanup_free_ char *key = NULL;
		if (asprintf(&key, OC_ANN_PROVIDER_PREFIX "%s", name) < 0)
			key = NULL;
		r = key ? set_b64(ann, key, out, out_len, err)
		        : cc_error_set(err, -ENOMEM, "out of memory");
		free(out);
	}
	oc_free_secret(req, req_len);
	return r;
}

static int wrap_all(const ocicrypt_encryptor *e, const char *opts, size_t opts_len, json_t *ann,
                    cc_error **err)
{
	EVP_PKEY *const *jwe;
	X509 *const *certs;
	size_t njwe, ncerts;
	const json_t *providers;
	oc_recipients_get(e->r, &jwe, &njwe, &certs, &ncerts, &providers);
	unsigned char *out = NULL;
	size_t out_len = 0;
	int r = oc_jwe_wrap((const EVP_PKEY *const *)jwe, njwe, opts, opts_len, &out, &out_len,
	                    err);
	if (r == 0 && out != NULL)
		r = set_b64(ann, OC_ANN_PREFIX "jwe", out, out_len, err);
	free(out);
	out = NULL;
	if (r == 0)
		r = oc_pkcs7_wrap(certs, ncerts, opts, opts_len, &out, &out_len, err);
	if (r == 0 && out != NULL)
		r = set_b64(ann, OC_ANN_PREFIX "pkcs7", out, out_len, err);
	free(out);
	if (r == 0)
		r = wrap_providers(e, providers, opts, opts_len, ann, err);
	return r;
}

int ocicrypt_encryptor_finish(ocicrypt_encryptor *e, const char **ret_media_type,
                              json_t **ret_annotations, cc_error **err)
{
	struct oc_plbco o;
	unsigned char hmac[OC_HMAC_LEN];
	int r = oc_enc_state_result(e->st, &o, hmac, err);
	if (r < 0)
		return r;
	char *opts = NULL;
	size_t opts_len = 0;
	json_t *ann = json_object();
	r = ann ? oc_plbco_dump(&o, &opts, &opts_len, err)
	        : cc_error_set(err, -ENOMEM, "out of memory");
	oc_plbco_wipe(&o);
	if (r == 0)
		r = wrap_all(e, opts, opts_len, ann, err);
	oc_free_secret(opts, opts_len);
	_cleanup_free_ char *pub = r == 0 ? oc_pubopts_dump_b64(hmac) : NULL;
	if (r == 0 && (pub == NULL || json_object_set_new(ann, OC_ANN_PUBOPTS, json_string(pub))))
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		json_decref(ann);
		return r;
	}
	*ret_media_type = e->media_type;
	*ret_annotations = ann;
	return 0;
}
