/* The verifier table (attest_registry.h). */
#include <errno.h>
#include <string.h>

#include "attest_registry.h"
#include "az.h"
#include "sample_verifier.h"
#include "snp.h"
#include "sgx.h"
#include "tdx.h"
#include "tpm.h"

static int new_sample(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err)
{
	(void)o;
	return sample_verifier_new(ret, err);
}

static int new_tpm(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err)
{
	return tpm_verifier_new_opts(o, ret, err);
}

static const struct {
	const char *tee;
	int (*make)(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err);
} verifiers[] = {
	{"sample", new_sample},
	{"tpm", new_tpm},
	{"snp", snp_verifier_new},
	{"tdx", tdx_verifier_new},
	{"sgx", sgx_verifier_new},
	{"az-snp-vtpm", az_snp_vtpm_verifier_new},
	{"az-tdx-vtpm", az_tdx_vtpm_verifier_new},
};

#define N_VERIFIERS (sizeof(verifiers) / sizeof(verifiers[0]))

int attest_verifier_new_for(const char *tee, const attest_verifier_opts *opts,
                            attest_verifier **ret, cc_error **err)
{
	static const attest_verifier_opts defaults = {0};
	for (size_t i = 0; i < N_VERIFIERS; i++)
		if (strcmp(verifiers[i].tee, tee) == 0)
			return verifiers[i].make(opts != NULL ? opts : &defaults, ret, err);
	char known[256] = "";
	for (size_t i = 0; i < N_VERIFIERS; i++) {
		if (i > 0)
			strncat(known, ", ", sizeof(known) - strlen(known) - 1);
		strncat(known, verifiers[i].tee, sizeof(known) - strlen(known) - 1);
	}
	return cc_error_set(err, -ENOENT, "tee '%s': this build has no verifier for it (it has: %s)",
	                    tee, known);
}

const char *attest_verifier_tee_at(size_t i)
{
	return i < N_VERIFIERS ? verifiers[i].tee : NULL;
}

int attest_verifier_wrap_raw(attest_verifier *v, const uint8_t *raw, size_t len,
                             json_t **ret_evidence, cc_error **err)
{
	if (v->ops->wrap_raw == NULL)
		return cc_error_set(err, -ENOTSUP,
		                    "tee '%s': evidence must be JSON (it has no raw report form)",
		                    v->ops->tee);
	return v->ops->wrap_raw(v, raw, len, ret_evidence, err);
}
