/* Fuzz target: the DCAP quote side (lib/attest/tdx_*.c): SGX quote v3 and
 * TDX quotes v4/v5 with their signature and certification data.
 *
 * An input starting with '{' is tdx or sgx evidence JSON (byte 1 picks:
 * '"' tdx, else sgx is tried too) through the whole verifier without
 * collateral: base64, the quote parser, the signature and QE binding
 * checks, the claims, and (tdx) the CC event log; it then fails at the
 * collateral or a signature. Any other input is a raw quote: parsed, and
 * when it parses its claims, QE report fields, PCK leaf extension (the
 * platform instance id) and signatures are computed. Seeds:
 * fuzz/corpus/tdx_quote/ (Trustee's TDX v4/v5 and Occlum SGX v3 quotes,
 * the DCAP vector's quote, evidence JSON).
 */
#include <string.h>

#include "attest_registry.h"
#include "cocoon/limits.h"
#include "fuzz.h"
#include "tdx.h"

static attest_verifier *tdx_v, *sgx_v;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (attest_verifier_new_for("tdx", NULL, &tdx_v, NULL) != 0 ||
	    attest_verifier_new_for("sgx", NULL, &sgx_v, NULL) != 0)
		__builtin_trap();
	return 0;
}

static void fuzz_json(const uint8_t *data, size_t size)
{
	if (size > 2 * CC_TDX_MAX_QUOTE_BYTES)
		return;
	json_t *ev = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (ev == NULL)
		return;
	static const uint8_t rd[48] = {1, 2, 3};
	attest_verifier *vs[2] = {tdx_v, sgx_v};
	for (int i = 0; i < 2; i++) {
		json_t *claims = NULL;
		cc_error *err = NULL;
		if (attest_verifier_evaluate(vs[i], ev, rd, sizeof(rd), NULL, 0, &claims, &err) == 0)
			json_decref(claims);
		cc_error_free(err);
	}
	json_decref(ev);
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
	dcap_quote q;
	cc_error *err = NULL;
	if (dcap_quote_parse(data, size, &q, &err) != 0) {
		cc_error_free(err);
		return;
	}
	json_t *claims = NULL;
	if (dcap_quote_claims(&q, &claims, NULL) == 0)
		json_decref(claims);
	struct dcap_qe_report qe;
	dcap_quote_qe_report(&q, &qe);
	char piid[33];
	if (dcap_quote_platform_instance_id(&q, piid, &err) != 0) {
		cc_error_free(err);
		err = NULL;
	}
	if (dcap_quote_check_signatures(&q, &err) != 0)
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
