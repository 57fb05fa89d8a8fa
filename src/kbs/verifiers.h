/* The built-in attestation service's verifier registry: one lib/attest
 * verifier per TEE this build verifies (sample, tpm), chosen by the
 * Request's tee. Verifiers are read-only after start and shared by the
 * worker threads. */
#ifndef COCOON_KBS_VERIFIERS_H
#define COCOON_KBS_VERIFIERS_H

#include "attest.h"
#include "config.h"

struct kbs_verifiers;

int kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret, cc_error **err);
/* The verifier for tee, or NULL when this build has none. */
attest_verifier *kbs_verifiers_get(const struct kbs_verifiers *v, const char *tee);
void kbs_verifiers_free(struct kbs_verifiers *v);

#endif
