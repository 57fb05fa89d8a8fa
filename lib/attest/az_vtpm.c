/* The vTPM quote of the Azure evidence (az_int.h), checked as Trustee's
 * az_snp_vtpm verify_tpm_signature, verify_tpm_nonce, verify_tpm_pcrs and
 * verify_init_data, plus the quote's structure (tpm_wire_check_quote: a
 * quote of exactly SHA-256 PCRs 0..23, so that "pcr08" is PCR 8). */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "az_int.h"
#include "tpm_int.h"

/* The raw RSASSA-PKCS1-v1_5/SHA-256 signature (what the vTPM's
 * TPMT_SIGNATURE held) checked as the tpm verifier does. */
static int verify_signature(const az_evidence *e, EVP_PKEY *ak, cc_error **err)
{
	TPMT_SIGNATURE sig = {.sigAlg = TPM2_ALG_RSASSA};
	sig.signature.rsassa.hash = TPM2_ALG_SHA256;
	if (e->signature_len > sizeof(sig.signature.rsassa.sig.buffer))
		return cc_error_set(err, -EINVAL, "quote signature: %zu bytes, more than %zu",
		                    e->signature_len, sizeof(sig.signature.rsassa.sig.buffer));
	sig.signature.rsassa.sig.size = (UINT16)e->signature_len;
	memcpy(sig.signature.rsassa.sig.buffer, e->signature, e->signature_len);
	if (tpm_verify_signature(ak, e->message, e->message_len, &sig, err) < 0)
		return cc_error_wrap(err, "quote signature: vTPM quote is not signed by AKpub "
		                          "(the HCL report's HCLAkPub)");
	return 0;
}

int az_vtpm_verify(const az_evidence *e, EVP_PKEY *ak, const uint8_t *expected,
                   size_t expected_len, TPMS_ATTEST *ret_attest, cc_error **err)
{
	int r = verify_signature(e, ak, err);
	if (r < 0)
		return r;
	TPMS_ATTEST a;
	r = tpm_wire_attest(e->message, e->message_len, &a, err);
	if (r >= 0)
		r = tpm_wire_check_quote(&a, err);
	if (r < 0)
		return cc_error_wrap(err, "tpm_quote.message");
	if (a.extraData.size != expected_len ||
	    CRYPTO_memcmp(a.extraData.buffer, expected, expected_len) != 0)
		return cc_error_set(err, -EPERM,
		                    "nonce mismatch: TPM quote nonce doesn't match expected "
		                    "report_data");
	uint8_t d[AZ_PCR_SIZE];
	if (tpm_pcrs_digest((const uint8_t(*)[TPM_SHA256_SIZE])e->pcrs, AZ_PCR_COUNT, d) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (CRYPTO_memcmp(d, a.attested.quote.pcrDigest.buffer, sizeof(d)) != 0)
		return cc_error_set(err, -EBADMSG,
		                    "pcr digest: Digest of PCRs does not match digest in Quote");
	*ret_attest = a;
	return 0;
}

int az_vtpm_check_init_data(const az_evidence *e, const uint8_t *digest, size_t len,
                            cc_error **err)
{
	if (len != AZ_PCR_SIZE)
		return cc_error_set(err, -EINVAL,
		                    "init_data mismatch: the init-data digest is %zu bytes; a vTPM "
		                    "binds a SHA-256 digest (32 bytes) in PCR %u",
		                    len, AZ_INITDATA_PCR);
	static const uint8_t zeros[AZ_PCR_SIZE];
	uint8_t want[AZ_PCR_SIZE];
	if (tpm_sha256_2(zeros, sizeof(zeros), digest, len, want) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (CRYPTO_memcmp(want, e->pcrs[AZ_INITDATA_PCR], sizeof(want)) != 0)
		return cc_error_set(err, -EPERM,
		                    "init_data mismatch: Expected init_data digest is different from "
		                    "the content of PCR%u",
		                    AZ_INITDATA_PCR);
	return 0;
}

int az_check_user_data(const az_hcl *h, const uint8_t *expected, size_t len, cc_error **err)
{
	uint8_t ud[AZ_USER_DATA_SIZE];
	int r = az_hcl_user_data(h, ud, err);
	if (r < 0)
		return r;
	if (len > sizeof(ud) || CRYPTO_memcmp(ud, expected, len) != 0)
		return cc_error_set(err, -EPERM,
		                    "user-data binding: User-data in HCL variable data doesn't match "
		                    "report_data");
	return 0;
}

int az_check_var_data(const az_hcl *h, const uint8_t *rd, const char *what, cc_error **err)
{
	uint8_t d[32];
	if (az_hcl_var_data_sha256(h, d) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (CRYPTO_memcmp(d, rd, sizeof(d)) != 0)
		return cc_error_set(err, -EPERM,
		                    "user-data binding: %s report data mismatch: its first 32 bytes "
		                    "are not SHA-256 of the HCL variable data",
		                    what);
	return 0;
}

int az_expected_report_data(const uint8_t *rd, size_t rd_len, const uint8_t *nonce,
                            size_t nonce_len, const uint8_t **ret, size_t *ret_len,
                            cc_error **err)
{
	if (rd != NULL && nonce != NULL &&
	    (rd_len != nonce_len || CRYPTO_memcmp(rd, nonce, rd_len) != 0))
		return cc_error_set(err, -EINVAL,
		                    "nonce mismatch: the nonce and the report data given differ (the "
		                    "vTPM quote's qualifying data is the report data)");
	if (rd == NULL && nonce == NULL)
		return cc_error_set(err, -EINVAL,
		                    "report_data mismatch: unexpected empty report data (the vTPM "
		                    "quote is bound to the runtime-data digest: give --report-data "
		                    "or --nonce)");
	*ret = rd != NULL ? rd : nonce;
	*ret_len = rd != NULL ? rd_len : nonce_len;
	return 0;
}

static int set_hex(json_t *o, const char *key, const uint8_t *p, size_t len)
{
	char hex[2 * sizeof(((TPM2B_DATA *)0)->buffer) + 1];
	if (len > sizeof(((TPM2B_DATA *)0)->buffer))
		return -EINVAL;
	tpm_hex_encode(p, len, hex);
	return json_object_set_new(o, key, json_string(hex)) == 0 ? 0 : -ENOMEM;
}

int az_vtpm_claims(json_t *claims, const az_evidence *e, const TPMS_ATTEST *a)
{
	json_t *tpm = json_object();
	if (tpm == NULL || json_object_set_new(claims, "tpm", tpm) < 0)
		return -ENOMEM;
	int r = 0;
	for (unsigned i = 0; r == 0 && i < AZ_PCR_COUNT; i++) {
		char key[8];
		snprintf(key, sizeof(key), "pcr%02u", i);
		r = set_hex(tpm, key, e->pcrs[i], AZ_PCR_SIZE);
	}
	if (r == 0)
		r = set_hex(claims, "init_data", e->pcrs[AZ_INITDATA_PCR], AZ_PCR_SIZE);
	if (r == 0)
		r = set_hex(claims, "report_data", a->extraData.buffer, a->extraData.size);
	return r;
}
