/* Fuzz target: the Azure vTPM verifiers' parsers (lib/attest/az_*.c).
 *
 * An input starting with '{' is az-snp-vtpm / az-tdx-vtpm evidence JSON,
 * parsed as a KBS would (JSON_REJECT_DUPLICATES, capped) and run through
 * the vTPM part of both verifiers: evidence versions 0-2, base64url, hex,
 * byte arrays, the HCL report, the HCLAkPub JWK, TPMS_ATTEST, then the
 * quote's signature (which fails for anything the fuzzer makes). Any other
 * input is a raw HCL report: its layout, the variable data's JSON (AK and
 * user-data) and, for an SNP one, the claims read from the SNP report.
 * Seeds: fuzz/corpus/az_evidence/ (Trustee's vectors, JSON and raw).
 */
#include "az_int.h"
#include "fuzz.h"

static void fuzz_json(const uint8_t *data, size_t size)
{
	if (size > CC_AZ_MAX_EVIDENCE_BYTES)
		return;
	json_t *ev = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (ev == NULL)
		return;
	static const uint8_t rd[] = "challenge";
	for (int t = 0; t < 2; t++) {
		az_evidence *e = NULL;
		az_hcl h;
		TPMS_ATTEST a;
		cc_error *err = NULL;
		if (az_verify_vtpm_part(t == 0 ? AZ_TEE_SNP : AZ_TEE_TDX, ev, rd, 9, &e, &h, &a,
		                        &err) == 0)
			az_evidence_free(e);
		cc_error_free(err);
	}
	json_decref(ev);
}

static void fuzz_hcl(const uint8_t *data, size_t size)
{
	az_hcl h;
	cc_error *err = NULL;
	if (az_hcl_parse(data, size, &h, &err) == 0) {
		EVP_PKEY *ak = NULL;
		if (az_hcl_ak(&h, &ak, &err) == 0)
			EVP_PKEY_free(ak);
		uint8_t ud[AZ_USER_DATA_SIZE];
		(void)az_hcl_user_data(&h, ud, &err);
		(void)az_check_var_data(&h, h.hw_report + 0x50, "SNP report", &err);
		json_t *c = NULL;
		if (h.report_type == AZ_HCL_TYPE_SNP &&
		    az_snp_report_claims(h.hw_report, h.hw_report_len, &c, &err) == 0)
			json_decref(c);
	}
	cc_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == '{')
		fuzz_json(data, size);
	else
		fuzz_hcl(data, size);
	return 0;
}
