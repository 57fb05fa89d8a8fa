/* Fuzz target: the TPM verifier's evidence parsing (lib/attest/tpm_*.c).
 *
 * An input starting with '{' is evidence JSON, parsed as a KBS would
 * (JSON_REJECT_DUPLICATES, capped) and run through the whole verifier:
 * JSON members, base64/hex, the AK's DER, TPMT_SIGNATURE, TPMS_ATTEST and
 * the quote rules all come before the signature check, which then fails
 * for anything the fuzzer makes. Any other input is raw bytes for the
 * binary parsers: byte 0 picks TPMS_ATTEST (even) or TPMT_SIGNATURE (odd),
 * the rest is the structure. Seeds: fuzz/corpus/tpm_evidence/ (a real
 * swtpm quote as evidence JSON and as raw structures).
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
	if (tpm_verify_evidence(ev, rd, sizeof(rd), id, sizeof(id), NULL, &claims, &err) == 0)
		json_decref(claims);
	cc_error_free(err);
	json_decref(ev);
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
	cc_error *err = NULL;
	if (data[0] % 2 == 0) {
		TPMS_ATTEST a;
		if (tpm_wire_attest(data + 1, size - 1, &a, &err) == 0)
			(void)tpm_wire_check_quote(&a, &err);
	} else {
		TPMT_SIGNATURE s;
		(void)tpm_wire_signature(data + 1, size - 1, &s, &err);
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
