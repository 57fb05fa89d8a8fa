/* The verifier registry (verifiers.h). Adding a TEE is one line here and
 * its constructor in lib/attest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sample_verifier.h"
#include "tpm.h"
#include "verifiers.h"

#define N_VERIFIERS 2

struct kbs_verifiers {
	attest_verifier *v[N_VERIFIERS];
};

int kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret, cc_error **err)
{
	struct kbs_verifiers *vs = calloc(1, sizeof(*vs));
	if (vs == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = sample_verifier_new(&vs->v[0], err);
	if (r == 0 && (r = tpm_verifier_new(c->tpm_trusted_ak_keys_dir, &vs->v[1], err)) < 0)
		cc_error_wrap(err, "tpm_verifier.trusted_ak_keys_dir");
	if (r < 0) {
		kbs_verifiers_free(vs);
		return r;
	}
	*ret = vs;
	return 0;
}

attest_verifier *kbs_verifiers_get(const struct kbs_verifiers *vs, const char *tee)
{
	for (size_t i = 0; i < N_VERIFIERS; i++)
		if (vs->v[i] != NULL && strcmp(attest_verifier_tee(vs->v[i]), tee) == 0)
			return vs->v[i];
	return NULL;
}

void kbs_verifiers_free(struct kbs_verifiers *vs)
{
	if (vs == NULL)
		return;
	for (size_t i = 0; i < N_VERIFIERS; i++)
		attest_verifier_free(vs->v[i]);
	free(vs);
}
