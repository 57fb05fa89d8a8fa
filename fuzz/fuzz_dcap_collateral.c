/* Fuzz target: the DCAP collateral side's parsers (lib/attest/dcap_*.c).
 *
 * An input starting with '{' is collateral JSON (dcap_collateral_parse:
 * both shapes, the raw-span scanner, hex, PEM/hex CRLs, URL-encoded
 * chains); its signed texts then go through the body parsers. Any other
 * input: byte 0 picks the PEM chain reader (byte 0 % 4 == 3), the PCK SGX
 * extension DER parser (other odd) or the tcbInfo / enclaveIdentity body
 * parsers (even) on the rest; a body that
 * parses runs the TCB level matching, TDX module and QE identity checks
 * against a fixed platform. Seeds: fuzz/corpus/dcap_collateral/ (the real
 * TDX collateral in both shapes, its bodies and PCK extension, and the
 * synthetic ones of tests/attest/make_dcap_pki.py).
 */
#include <string.h>

#include "dcap_int.h"
#include "fuzz.h"

static void bodies(const char *text, size_t len)
{
	static const uint8_t svn[16] = {6, 1, 4};
	static const uint8_t svn2[16] = {7, 1, 4};
	static const uint8_t zero[48];
	struct dcap_qe_report qe = {.isvsvn = 6, .isvprodid = 2};
	struct dcap_pck_ext pck = {.cpusvn = {4, 4, 2, 2, 5, 255, 0, 2}, .pcesvn = 13};
	struct dcap_verify_in in = {.qe = &qe, .is_tdx = 1, .tee_tcb_svn = svn,
	                            .mr_signer_seam = zero, .seam_attributes = zero};
	const struct dcap_level *l = NULL;
	struct dcap_match m;
	struct dcap_tcb_info t;
	cc_error *err = NULL;
	if (dcap_tcb_info_parse(text, len, &t, &err) == 0) {
		dcap_tcb_match(&t, &in, &pck, DCAP_UP_TO_DATE, &m, &err);
		cc_error_free(err);
		err = NULL;
		in.tee_tcb_svn2 = svn2; /* a TD 1.5 quote: the relaunch check too */
		dcap_tcb_match(&t, &in, &pck, DCAP_UP_TO_DATE, &m, &err);
		cc_error_free(err);
		err = NULL;
		in.is_tdx = 0;
		in.tee_tcb_svn2 = NULL;
		dcap_tcb_match(&t, &in, &pck, DCAP_UP_TO_DATE, &m, &err);
		dcap_tcb_info_clear(&t);
	}
	cc_error_free(err);
	err = NULL;
	struct dcap_qe_identity q;
	if (dcap_qe_identity_parse(text, len, &q, &err) == 0) {
		dcap_qe_identity_check(&q, &qe, 1, &l, &err);
		dcap_qe_identity_clear(&q);
	}
	cc_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > CC_DCAP_MAX_COLLATERAL_BYTES)
		return 0;
	cc_error *err = NULL;
	if (data[0] == '{') {
		dcap_collateral *c = NULL;
		if (dcap_collateral_parse((const char *)data, size, &c, &err) == 0) {
			bodies(c->tcb_info, c->tcb_info_len);
			bodies(c->qe_identity, c->qe_identity_len);
			dcap_collateral_free(c);
		}
		cc_error_free(err);
		return 0;
	}
	if (data[0] % 4 == 3) {
		STACK_OF(X509) *sk = NULL;
		if (dcap_chain_load("fuzz", (const char *)data + 1, size - 1, 3, &sk, &err) == 0)
			sk_X509_pop_free(sk, X509_free);
		cc_error_free(err);
		return 0;
	}
	if (data[0] % 2) {
		struct dcap_pck_ext e = {0};
		dcap_pck_ext_parse(data + 1, size - 1, &e, &err);
		cc_error_free(err);
		return 0;
	}
	bodies((const char *)data + 1, size - 1);
	return 0;
}
