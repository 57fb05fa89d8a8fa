/* The HCL report (az_int.h): layout from azure-cvm-tooling's
 * az-cvm-vtpm/src/hcl, read with explicit lengths. Upstream deserializes
 * the fixed part with bincode and slices the variable data by its declared
 * size (a size past the end panics there); here every size is checked
 * against the bytes and against the header's own sizes. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "az_int.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int check_sizes(const uint8_t *p, size_t len, uint32_t var_size, cc_error **err)
{
	uint32_t report_size = le32(p + 8), data_size = le32(p + AZ_HCL_REQ_OFF);
	if (len - AZ_HCL_VAR_DATA_OFF < var_size)
		return cc_error_set(err, -EINVAL,
		                    "truncated: HCL report: variable data of %u bytes runs past the "
		                    "end (%zu bytes)",
		                    var_size, len);
	if ((uint64_t)data_size != (uint64_t)AZ_HCL_REQ_SIZE + var_size)
		return cc_error_set(err, -EINVAL,
		                    "HCL report: IGVM request data_size %u is not %u + "
		                    "variable_data_size %u",
		                    data_size, AZ_HCL_REQ_SIZE, var_size);
	if ((uint64_t)report_size != (uint64_t)AZ_HCL_REQ_OFF + data_size)
		return cc_error_set(err, -EINVAL,
		                    "HCL report: header report_size %u is not %u + data_size %u",
		                    report_size, AZ_HCL_REQ_OFF, data_size);
	return 0;
}

int az_hcl_parse(const uint8_t *p, size_t len, az_hcl *ret, cc_error **err)
{
	if (len > CC_AZ_MAX_HCL_REPORT_BYTES)
		return cc_error_set(err, -E2BIG, "oversized: HCL report is %zu bytes, more than %u",
		                    len, CC_AZ_MAX_HCL_REPORT_BYTES);
	if (len < AZ_HCL_VAR_DATA_OFF)
		return cc_error_set(err, -EINVAL,
		                    "truncated: HCL report is %zu bytes, its fixed part is %u", len,
		                    AZ_HCL_VAR_DATA_OFF);
	if (le32(p) != AZ_HCL_SIGNATURE)
		return cc_error_set(err, -EINVAL, "HCL report: signature is not \"HCLA\"");
	const uint8_t *req = p + AZ_HCL_REQ_OFF;
	uint32_t type = le32(req + 8), hash = le32(req + 12), var_size = le32(req + 16);
	if (type != AZ_HCL_TYPE_SNP && type != AZ_HCL_TYPE_TDX)
		return cc_error_set(err, -EINVAL, "HCL report: report type %u is neither SNP (%u) "
		                    "nor TDX (%u)", type, AZ_HCL_TYPE_SNP, AZ_HCL_TYPE_TDX);
	if (hash != AZ_HCL_HASH_SHA256)
		return cc_error_set(err, -EINVAL,
		                    "HCL report: report data hash type %u is not SHA-256 (%u)", hash,
		                    AZ_HCL_HASH_SHA256);
	int r = check_sizes(p, len, var_size, err);
	if (r < 0)
		return r;
	ret->version = le32(p + 4);
	ret->report_type = type;
	ret->hw_report = p + AZ_HCL_HW_REPORT_OFF;
	ret->hw_report_len = type == AZ_HCL_TYPE_SNP ? AZ_SNP_REPORT_SIZE : AZ_TD_REPORT_SIZE;
	ret->var_data = p + AZ_HCL_VAR_DATA_OFF;
	ret->var_data_len = var_size;
	return 0;
}

int az_hcl_var_data_sha256(const az_hcl *h, uint8_t out[32])
{
	return SHA256(h->var_data, h->var_data_len, out) != NULL ? 0 : -ENOMEM;
}

static int var_data_json(const az_hcl *h, json_t **ret, cc_error **err)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)h->var_data, h->var_data_len, JSON_REJECT_DUPLICATES,
	                       &je);
	/* jansson reports an allocation failure as out_of_memory, or (its
	 * lexer's buffer) with no message at all */
	if (j == NULL && (json_error_code(&je) == json_error_out_of_memory || je.text[0] == '\0'))
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (j == NULL)
		return cc_error_set(err, -EINVAL, "HCL report: variable data is not JSON: %s",
		                    je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return cc_error_set(err, -EINVAL, "HCL report: variable data is not a JSON object");
	}
	*ret = j;
	return 0;
}

/* An RSA public key from a JWK's "n" and "e" (base64url). */
static int rsa_from_jwk(const json_t *k, EVP_PKEY **ret, cc_error **err)
{
	const char *n_s = json_string_value(json_object_get(k, "n"));
	const char *e_s = json_string_value(json_object_get(k, "e"));
	if (n_s == NULL || e_s == NULL)
		return cc_error_set(err, -EINVAL, "AK public key: the RSA JWK lacks \"n\" or \"e\"");
	uint8_t *n = NULL, *e = NULL;
	size_t n_len = 0, e_len = 0;
	int r = az_b64url_decode(n_s, strlen(n_s), CC_AZ_MAX_AK_BYTES, &n, &n_len,
	                         "AK public key: n", err);
	if (r == 0)
		r = az_b64url_decode(e_s, strlen(e_s), 8, &e, &e_len, "AK public key: e", err);
	if (r < 0) {
		free(n);
		return r;
	}
	BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL), *be = BN_bin2bn(e, (int)e_len, NULL);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	if (bn != NULL && be != NULL && b != NULL &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) == 1 &&
	    (params = OSSL_PARAM_BLD_to_param(b)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	ERR_clear_error();
	if (pkey == NULL)
		return cc_error_set(err, -EINVAL, "AK public key: not a usable RSA key");
	int bits = EVP_PKEY_get_bits(pkey);
	if (bits < (int)CC_AZ_MIN_AK_BITS) {
		EVP_PKEY_free(pkey);
		return cc_error_set(err, -EINVAL, "AK public key: RSA-%d is below RSA-%u", bits,
		                    CC_AZ_MIN_AK_BITS);
	}
	*ret = pkey;
	return 0;
}

int az_hcl_ak(const az_hcl *h, EVP_PKEY **ret, cc_error **err)
{
	json_t *j = NULL;
	int r = var_data_json(h, &j, err);
	if (r < 0)
		return cc_error_wrap(err, "AK public key");
	const json_t *keys = json_object_get(j, "keys");
	const json_t *ak = NULL;
	size_t i;
	const json_t *k;
	json_array_foreach(keys, i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));
		if (kid != NULL && strcmp(kid, "HCLAkPub") == 0) {
			ak = k;
			break;
		}
	}
	if (ak == NULL)
		r = cc_error_set(err, -EINVAL,
		                 "AK public key: no key with kid \"HCLAkPub\" in the HCL variable "
		                 "data");
	else if (!json_is_string(json_object_get(ak, "kty")) ||
	         strcmp(json_string_value(json_object_get(ak, "kty")), "RSA") != 0)
		r = cc_error_set(err, -EINVAL, "AK public key: HCLAkPub is not an RSA key");
	else
		r = rsa_from_jwk(ak, ret, err);
	json_decref(j);
	return r;
}

int az_hcl_user_data(const az_hcl *h, uint8_t out[AZ_USER_DATA_SIZE], cc_error **err)
{
	json_t *j = NULL;
	int r = var_data_json(h, &j, err);
	if (r < 0)
		return cc_error_wrap(err, "user-data binding");
	const char *s = json_string_value(json_object_get(j, "user-data"));
	uint8_t *b = NULL;
	size_t n = 0;
	if (s == NULL)
		r = cc_error_set(err, -EINVAL,
		                 "user-data binding: the HCL variable data has no \"user-data\"");
	else
		r = az_hex_decode(s, strlen(s), AZ_USER_DATA_SIZE, &b, &n,
		                  "user-data binding: HCL user-data", err);
	if (r == 0 && n != AZ_USER_DATA_SIZE)
		r = cc_error_set(err, -EINVAL, "user-data binding: HCL user-data is %zu bytes, not %u",
		                 n, AZ_USER_DATA_SIZE);
	if (r == 0)
		memcpy(out, b, AZ_USER_DATA_SIZE);
	free(b);
	json_decref(j);
	return r;
}
