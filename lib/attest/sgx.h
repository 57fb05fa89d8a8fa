/* The `sgx` verifier (Intel SGX quote v3, the enclave-cc row),
 * wire-compatible with Trustee's sgx verifier (docs/attest-tdx.md, "SGX").
 *
 * Evidence: {"quote": base64(SGX quote v3)}. The quote is checked as a TD
 * quote is (tdx.h: attestation key signature, QE report signature and
 * binding, then the collateral side's dcap_verify); report_data is the
 * report body's REPORTDATA (64 bytes), init_data its CONFIGID (64 bytes),
 * both zero-padded as Trustee does. Claims: Trustee's sgx claims
 * ("header", "body", "report_data", "init_data", "platform_instance_id"
 * for a Platform CA leaf) plus tcb_status and advisory_ids. Tested on a
 * synthetic quote and collateral (docs/attest-tdx.md, "The synthetic SGX
 * vector"). */
#ifndef COCOON_ATTEST_SGX_H
#define COCOON_ATTEST_SGX_H

#include "attest.h"

/* The sgx verifier built with o (collateral, at); tdx_verifier.c. */
int sgx_verifier_new(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err);

#endif
