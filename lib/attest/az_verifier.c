/* What az-snp-vtpm and az-tdx-vtpm share (az_int.h): the vTPM part of the
 * evaluation (Trustee's steps 1-3 and the v2 user-data binding) and the
 * verifier object holding the hardware report's verifier. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "az_int.h"

/* Everything up to the hardware report: the evidence, the HCL report of
 * the wanted type, its AK, the vTPM quote, and (v2) the user-data. */
int az_verify_vtpm_part(enum az_tee tee, const json_t *evidence, const uint8_t *expected,
                        size_t expected_len, az_evidence **ret_ev, az_hcl *ret_hcl,
                        TPMS_ATTEST *ret_attest, cc_error **err)
{
	az_evidence *e = NULL;
	int r = az_evidence_parse(tee, evidence, &e, err);
	if (r < 0)
		return r;
	uint32_t want = tee == AZ_TEE_SNP ? AZ_HCL_TYPE_SNP : AZ_HCL_TYPE_TDX;
	EVP_PKEY *ak = NULL;
	r = az_hcl_parse(e->hcl_report, e->hcl_report_len, ret_hcl, err);
	if (r == 0 && ret_hcl->report_type != want)
		r = cc_error_set(err, -EINVAL, "HCL report: it holds a %s report, not a %s one",
		                 ret_hcl->report_type == AZ_HCL_TYPE_SNP ? "SNP" : "TDX",
		                 tee == AZ_TEE_SNP ? "SNP" : "TDX");
	if (r == 0)
		r = az_hcl_ak(ret_hcl, &ak, err);
	if (r == 0)
		r = az_vtpm_verify(e, ak, expected, expected_len, ret_attest, err);
	if (r == 0 && e->version == 2)
		r = az_check_user_data(ret_hcl, expected, expected_len, err);
	EVP_PKEY_free(ak);
	if (r < 0) {
		az_evidence_free(e);
		return r;
	}
	*ret_ev = e;
	return 0;
}

int az_eval_begin(const az_verifier *v, enum az_tee tee, const json_t *evidence,
                  const uint8_t *rd, size_t rd_len, az_eval *ret, cc_error **err)
{
	const uint8_t *expected;
	size_t expected_len;
	int r = az_expected_report_data(rd, rd_len, v->nonce, v->nonce_len, &expected,
	                                &expected_len, err);
	if (r < 0)
		return r;
	return az_verify_vtpm_part(tee, evidence, expected, expected_len, &ret->e, &ret->h,
	                           &ret->a, err);
}

int az_eval_end(az_eval *ev, int r, json_t *claims, const uint8_t *id, size_t id_len,
                json_t **ret, cc_error **err)
{
	if (r == 0 && id != NULL)
		r = az_vtpm_check_init_data(ev->e, id, id_len, err);
	if (r == 0 && az_vtpm_claims(claims, ev->e, &ev->a) < 0)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	az_evidence_free(ev->e);
	ev->e = NULL;
	if (r < 0) {
		json_decref(claims);
		return r;
	}
	*ret = claims;
	return 0;
}

void az_verifier_free(attest_verifier *base)
{
	az_verifier *v = (az_verifier *)base;
	if (v == NULL)
		return;
	attest_verifier_free(v->hw);
	free(v->nonce);
	free(v);
}

int az_verifier_new(const attest_verifier_opts *o, const attest_verifier_ops *ops,
                    az_hw_new_fn hw_new, attest_verifier **ret, cc_error **err)
{
	az_verifier *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	v->base.ops = ops;
	if (o->nonce != NULL) {
		v->nonce = malloc(o->nonce_len + 1);
		if (v->nonce == NULL) {
			free(v);
			return cc_error_set(err, -ENOMEM, "out of memory");
		}
		if (o->nonce_len > 0)
			memcpy(v->nonce, o->nonce, o->nonce_len);
		v->nonce_len = o->nonce_len;
	}
	int r = hw_new(o, &v->hw, err);
	if (r < 0) {
		az_verifier_free(&v->base);
		return cc_error_wrap(err, "%s", ops->tee);
	}
	*ret = &v->base;
	return 0;
}
