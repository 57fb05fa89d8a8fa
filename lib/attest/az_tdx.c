/* The az-tdx-vtpm verifier (az.h): Trustee's az_tdx_vtpm steps
 * (docs/attest-azure.md, "Checks"), the TD quote checked by the tdx
 * verifier (tdx.h: quote and QE signatures, PCK chain, DCAP collateral).
 * The HCL variable data's binding to the TD quote's REPORTDATA is checked
 * before the DCAP verification (upstream: after); both must pass, so the
 * same evidence is accepted, and a wrong binding is named without
 * collateral. */
#include <errno.h>

#include "az_int.h"
#include "tdx.h"

/* The TD quote's REPORTDATA starts with SHA-256 of the HCL variable data
 * (upstream's verify_hcl_var_data). */
static int check_td_quote_binding(const az_evidence *e, const az_hcl *h, cc_error **err)
{
	dcap_quote q;
	int r = dcap_quote_parse(e->td_quote, e->td_quote_len, &q, err);
	if (r < 0)
		return cc_error_wrap(err, "td_quote");
	if (q.tee_type != DCAP_TEE_TDX)
		return cc_error_set(err, -EINVAL, "td_quote: not a TD quote (TEE type 0x%08x)",
		                    q.tee_type);
	return az_check_var_data(h, q.body + TDX_REPORT_DATA_OFF, "TDX Quote", err);
}

static int tdx_evaluate(attest_verifier *base, const json_t *evidence, const uint8_t *rd,
                        size_t rd_len, const uint8_t *id, size_t id_len, json_t **ret,
                        cc_error **err)
{
	az_verifier *v = (az_verifier *)base;
	az_eval ev;
	int r = az_eval_begin(v, AZ_TEE_TDX, evidence, rd, rd_len, &ev, err);
	if (r < 0)
		return r;
	r = check_td_quote_binding(ev.e, &ev.h, err);
	json_t *claims = NULL;
	if (r == 0)
		r = tdx_verify_quote(v->hw, ev.e->td_quote, ev.e->td_quote_len, NULL, 0, &claims,
		                     err);
	return az_eval_end(&ev, r, claims, id, id_len, ret, err);
}

static const attest_verifier_ops az_tdx_ops = {
	.tee = "az-tdx-vtpm",
	.tee_class = "cpu",
	.evaluate = tdx_evaluate,
	.free = az_verifier_free,
};

int az_tdx_vtpm_verifier_new(const attest_verifier_opts *o, attest_verifier **ret,
                             cc_error **err)
{
	return az_verifier_new(o, &az_tdx_ops, tdx_verifier_new, ret, err);
}
