/* The snp verifier object (snp.h). First version: not implemented yet. */
#include <errno.h>

#include "snp.h"

int snp_verifier_new(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err)
{
	(void)o;
	(void)ret;
	return cc_error_set(err, -ENOTSUP, "snp: verifier not implemented yet");
}

int snp_verify_report(attest_verifier *snp, const uint8_t *report, size_t len,
                      const uint8_t *vcek_der, size_t vcek_len, const uint8_t *report_data,
                      size_t report_data_len, json_t **ret_claims, cc_error **err)
{
	(void)snp;
	(void)report;
	(void)len;
	(void)vcek_der;
	(void)vcek_len;
	(void)report_data;
	(void)report_data_len;
	(void)ret_claims;
	return cc_error_set(err, -ENOTSUP, "snp: verifier not implemented yet");
}
