/* Fuzz target: the snp verifier's parsers (lib/attest/snp_*.c).
 *
 * An input starting with '{' is evidence JSON, parsed as the KBS does
 * (JSON_REJECT_DUPLICATES, capped) and run through the whole verifier: the
 * sev-crate report members, the cert_chain entries and their DER, the chain
 * and the signature (which then fail for anything the fuzzer makes). An
 * input starting with 0x30 is a certificate for the VEK extension parser.
 * Anything else is a raw report: parsed, turned into the evidence JSON and
 * back, and the two must agree. Seeds: fuzz/corpus/snp_report/ (Trustee's
 * reports, Genoa evidence and VCEKs).
 */
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "fuzz.h"
#include "snp_int.h"

static attest_verifier *verifier(void)
{
	static attest_verifier *v;
	if (v == NULL) {
		static const attest_verifier_opts o = {0};
		if (snp_verifier_new(&o, &v, NULL) < 0)
			abort();
	}
	return v;
}

static void fuzz_json(const uint8_t *data, size_t size)
{
	if (size > CC_SNP_MAX_EVIDENCE_BYTES)
		return;
	json_t *ev = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (ev == NULL)
		return;
	static const uint8_t rd[48] = {1, 2, 3};
	static const uint8_t id[32] = {4, 5, 6};
	json_t *claims = NULL;
	cc_error *err = NULL;
	if (attest_verifier_evaluate(verifier(), ev, rd, sizeof(rd), id, sizeof(id), &claims,
	                             &err) == 0)
		json_decref(claims);
	cc_error_free(err);
	json_decref(ev);
}

static void fuzz_cert(const uint8_t *data, size_t size)
{
	X509 *x = snp_x509_parse(data, size);
	if (x == NULL)
		return;
	snp_vek_ext ext;
	cc_error *err = NULL;
	(void)snp_vek_extensions(x, &ext, &err);
	cc_error_free(err);
	err = NULL;
	(void)snp_check_pss(x, "VCEK", &err);
	cc_error_free(err);
	X509_free(x);
}

/* raw -> JSON -> raw -> JSON: both JSON texts are the same. */
static void fuzz_raw(const uint8_t *data, size_t size)
{
	attest_verifier *v = verifier();
	json_t *ev = NULL, *ev2 = NULL;
	cc_error *err = NULL;
	if (attest_verifier_wrap_raw(v, data, size, &ev, &err) < 0) {
		cc_error_free(err);
		return;
	}
	snp_evidence *e = NULL;
	if (snp_evidence_parse(ev, &e, &err) == 0) {
		if (attest_verifier_wrap_raw(v, e->report.raw, SNP_REPORT_SIZE, &ev2, NULL) < 0 ||
		    !json_equal(json_object_get(ev, "attestation_report"),
		                json_object_get(ev2, "attestation_report")))
			abort();
		json_decref(ev2);
		snp_evidence_free(e);
	}
	cc_error_free(err);
	json_decref(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == '{')
		fuzz_json(data, size);
	else if (data[0] == 0x30)
		fuzz_cert(data, size);
	else
		fuzz_raw(data, size);
	return 0;
}
