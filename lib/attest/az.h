/* The Azure confidential VM verifiers `az-snp-vtpm` and `az-tdx-vtpm`,
 * wire-compatible with Trustee's deps/verifier/src/az_{snp,tdx}_vtpm
 * (docs/attest-azure.md).
 *
 * Evidence (versions 0, 1 and 2): the HCL report (the paravisor's report:
 * the SNP report or TD report, and JSON variable data holding the vTPM's
 * attestation key), a vTPM quote signed by that key over the runtime-data
 * digest, the 24 SHA-256 PCRs, and the VCEK (SNP) or the TD quote (TDX).
 */
#ifndef COCOON_ATTEST_AZ_H
#define COCOON_ATTEST_AZ_H

#include "attest.h"

/* The az-snp-vtpm verifier built with o (the SNP verifier's options: at,
 * cert_chain, cache_dir, allow_fetch; nonce). The VCEK comes from the
 * evidence, as upstream. */
int az_snp_vtpm_verifier_new(const attest_verifier_opts *o, attest_verifier **ret,
                             cc_error **err);

/* The az-tdx-vtpm verifier built with o (the TDX verifier's options:
 * collateral, cache_dir, allow_fetch, pccs_url, at; nonce). Without
 * collateral the TD quote cannot be verified and evaluate() fails after the
 * vTPM and HCL checks (docs/attest-azure.md). */
int az_tdx_vtpm_verifier_new(const attest_verifier_opts *o, attest_verifier **ret,
                             cc_error **err);

#endif
