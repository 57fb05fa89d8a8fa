/* One table of the verifiers this build has (attest_registry.c), so that the KBS
 * and `cocoon evidence verify` build them the same way. Adding a TEE is one
 * row in attest_registry.c and its constructor in its own files. */
#ifndef COCOON_ATTEST_REGISTRY_H
#define COCOON_ATTEST_REGISTRY_H

#include "attest.h"

/* The verifier for tee ("sample", "tpm", "snp", ...) built with opts (NULL:
 * all defaults). -ENOENT with a message listing the known TEEs when this
 * build has no verifier for tee. */
int attest_verifier_new_for(const char *tee, const attest_verifier_opts *opts,
                            attest_verifier **ret, cc_error **err);

/* The i-th TEE name of the table, NULL past the end. */
const char *attest_verifier_tee_at(size_t i);

#endif
