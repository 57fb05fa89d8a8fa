/* Tests only: the tdx/sgx verifiers' hook for a test DCAP PKI. Included by
 * tdx_verifier.c and test programs (tests/kbssrv/kbs_testroots.c); no
 * configuration key or CLI option of a shipped binary reaches it. */
#ifndef COCOON_ATTEST_TDX_INT_H
#define COCOON_ATTEST_TDX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "attest.h"

/* Replaces the pinned Intel SGX Root CA of verifier v (from
 * tdx_verifier_new or sgx_verifier_new) with the certificate der (DER,
 * copied) for every later collateral check, so that tests can sign PCK
 * chains, TCB info and CRLs with a PKI they control. */
int tdx_verifier_set_test_root(attest_verifier *v, const uint8_t *der, size_t len,
                               cc_error **err);

#endif
