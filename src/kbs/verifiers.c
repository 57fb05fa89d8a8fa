/* The verifier registry (verifiers.h): every TEE of lib/attest's table
 * (attest_registry.h), built with the KBS configuration's options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attest_registry.h"
#include "verifiers.h"

#define MAX_VERIFIERS 16
/* Trustee's OfflineStore directory (cache_dir/vcek/<hwid>/<tcb>_vcek.der). */
#define KBS_KDS_STORE_DIR "/opt/confidential-containers/attestation-service/kds-store"

struct kbs_verifiers {
	attest_verifier *v[MAX_VERIFIERS];
};

int kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret, cc_error **err)
{
	struct kbs_verifiers *vs = calloc(1, sizeof(*vs));
	if (vs == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = 0;
	const char *tee;
	for (size_t i = 0; r == 0 && i < MAX_VERIFIERS && (tee = attest_verifier_tee_at(i)); i++) {
		attest_verifier_opts opts = {.trusted_ak_dir = c->tpm_trusted_ak_keys_dir};
		if (strcmp(tee, "snp") == 0 || strcmp(tee, "az-snp-vtpm") == 0) {
			opts.cache_dir = c->snp_kds_store_dir ? c->snp_kds_store_dir : KBS_KDS_STORE_DIR;
			opts.allow_fetch = c->snp_kds_fetch;
		} else if (strcmp(tee, "tdx") == 0 || strcmp(tee, "sgx") == 0 ||
		           strcmp(tee, "az-tdx-vtpm") == 0) {
			opts.cache_dir = c->tdx_collateral_dir;
			opts.pccs_url = c->tdx_pccs_url;
			opts.allow_fetch = c->tdx_fetch;
		}
		if ((r = attest_verifier_new_for(tee, &opts, &vs->v[i], err)) < 0)
			cc_error_wrap(err, "%s_verifier", tee);
	}
	if (r < 0) {
		kbs_verifiers_free(vs);
		return r;
	}
	*ret = vs;
	return 0;
}

attest_verifier *kbs_verifiers_get(const struct kbs_verifiers *vs, const char *tee)
{
	for (size_t i = 0; i < MAX_VERIFIERS; i++)
		if (vs->v[i] != NULL && strcmp(attest_verifier_tee(vs->v[i]), tee) == 0)
			return vs->v[i];
	return NULL;
}

void kbs_verifiers_free(struct kbs_verifiers *vs)
{
	if (vs == NULL)
		return;
	for (size_t i = 0; i < MAX_VERIFIERS; i++)
		attest_verifier_free(vs->v[i]);
	free(vs);
}
