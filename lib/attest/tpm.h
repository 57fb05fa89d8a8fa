/* The `tpm` attester and verifier, wire-compatible with guest-components'
 * TPM attester and Trustee's TPM verifier (docs/attest-tpm.md).
 *
 * Evidence: {"ak_public": base64(DER SubjectPublicKeyInfo of the RSA AK),
 *            "tpm_quote": {"message": base64(TPMS_ATTEST),
 *                          "pcrs": [24 x hex(SHA-256 PCR 0..23)],
 *                          "signature": base64(TPMT_SIGNATURE, RSASSA-SHA256)}}
 * The quote's extraData is the report data zero-padded to 64 bytes.
 */
#ifndef COCOON_ATTEST_TPM_H
#define COCOON_ATTEST_TPM_H

#include <stdint.h>

#include "attest.h"

/* guest-components' AK handle (AA_TPM_AK_HANDLE's default). */
#define TPM_AK_HANDLE_DEFAULT 0x81010002u

/* The quote's extraData: report data zero-padded to this size (both
 * guest-components' attester and Trustee's verifier use 64). */
#define TPM_REPORT_DATA_SIZE 64u

/* PCRs quoted and sent (SHA-256 bank, PCR 0..23), and the init-data PCR. */
#define TPM_PCR_COUNT 24u
#define TPM_INITDATA_PCR 8u

enum {
	/* When ak_handle holds no key, create the AK (a restricted RSA-2048
	 * RSASSA-SHA256 signing key, primary in the endorsement hierarchy)
	 * and make it persistent at ak_handle. Without it the AK must have
	 * been provisioned, as guest-components expects. */
	TPM_ATTESTER_CREATE_AK = 1u << 0,
};

/* A TPM attester on the TCTI named by tcti, a tpm2-tss TCTI loader string
 * ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321", ...; NULL or ""
 * picks tpm2-tss's default). The TPM is opened for each call and closed
 * after it, so other clients (tpm2-tools, a second attester) can use it in
 * between. Checks the TPM answers and the AK is there (or creates it with
 * TPM_ATTESTER_CREATE_AK). */
int tpm_attester_new(const char *tcti, uint32_t ak_handle, unsigned flags,
                     attest_attester **ret, cc_error **err);

/* Extends SHA-256 PCR index (0..23) with digest (32 bytes), as
 * guest-components' extend_runtime_measurement and bind_init_data (PCR 8)
 * do. a must come from tpm_attester_new (-EINVAL otherwise). */
int tpm_attester_extend_pcr(attest_attester *a, unsigned index, const uint8_t digest[32],
                            cc_error **err);

/* Reads SHA-256 PCR index (0..23) into ret. */
int tpm_attester_read_pcr(attest_attester *a, unsigned index, uint8_t ret[32], cc_error **err);

/* The AK's public key as DER SubjectPublicKeyInfo (the evidence's
 * ak_public before base64); the caller frees *ret_der. */
int tpm_attester_ak_public(attest_attester *a, uint8_t **ret_der, size_t *ret_len,
                           cc_error **err);

/* A TPM verifier. trusted_ak_dir NULL: the AK is not checked here and the
 * attestation policy decides (Trustee's default policy:
 * input.tpm.ak_public in query_reference_value("trusted_aks")). Otherwise
 * every *.pub file in it (PEM public keys, at most CC_TPM_MAX_TRUSTED_AKS)
 * is a trusted AK and evidence signed by another AK is refused, as
 * Trustee's trusted_ak_keys_dir. */
int tpm_verifier_new(const char *trusted_ak_dir, attest_verifier **ret, cc_error **err);

/* A TPM verifier with every option it reads (docs/attest-tpm.md):
 * trusted_ak_dir as above; tpm_ak_ca_dir: the evidence's ak_certificate
 * must chain to a CA in it (*.pem or *.crt, and *.crl) at o->at and certify the
 * AK; nonce: must equal the quote's qualifying data byte for byte. */
int tpm_verifier_new_opts(const attest_verifier_opts *o, attest_verifier **ret,
                          cc_error **err);

#endif
