/* Fuzz target: the TPM verifier's evidence parsing (lib/attest/tpm_*.c).
 *
 * An input starting with '{' is evidence JSON, parsed as a KBS would
 * (JSON_REJECT_DUPLICATES, capped) and run through the whole verifier:
 * JSON members, base64/hex, the AK's DER, TPMT_SIGNATURE, TPMS_ATTEST and
 * the quote rules, the optional eventlog (parsed) and ak_certificate
 * (PEM) all come before the signature check, which then fails for anything
 * the fuzzer makes. Any other input is raw bytes for the binary parsers:
 * byte 0 mod 3 picks TPMS_ATTEST (0), TPMT_SIGNATURE (1) or the AK forms
 * (2: DER SPKI, TPMT_PUBLIC, TPM2B_PUBLIC), the rest is the structure.
 * Seeds: fuzz/corpus/tpm_evidence/ (real swtpm quotes, RSA and ECC AKs, as
 * evidence JSON and as raw structures).
 */
#include <string.h>

#include "cocoon/limits.h"
#include "fuzz.h"
#include "tpm_int.h"

static void fuzz_json(const uint8_t *data, size_t size)
{
	if (size > CC_TPM_MAX_EVIDENCE_BYTES)
		return;
	json_t *ev = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (ev == NULL)
		return;
	static const uint8_t rd[48] = {1, 2, 3};
	static const uint8_t id[32] = {4, 5, 6};
	json_t *claims = NULL;
	cc_error *err = NULL;
	static const uint8_t nonce[64] = {7};
	tpm_policy pol = {.nonce = nonce, .nonce_len = sizeof(nonce)};
	if (tpm_verify_evidence_policy(ev, rd, sizeof(rd), id, sizeof(id), &pol, &claims, &err) ==
	    0)
		json_decref(claims);
	cc_error_free(err);
	json_decref(ev);
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
	cc_error *err = NULL;
	if (data[0] % 3 == 0) {
		TPMS_ATTEST a;
		if (tpm_wire_attest(data + 1, size - 1, &a, &err) == 0)
			(void)tpm_wire_check_quote(&a, &err);
	} else if (data[0] % 3 == 1) {
		TPMT_SIGNATURE s;
		(void)tpm_wire_signature(data + 1, size - 1, &s, &err);
	} else {
		EVP_PKEY *pk = NULL;
		if (tpm_ak_decode(data + 1, size - 1, &pk, &err) == 0)
			EVP_PKEY_free(pk);
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
		fuzz_raw(data, size);
	return 0;
}
