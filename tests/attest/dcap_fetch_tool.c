/* dcap-fetch-tool BASE_URL FMSPC_HEX PROCESSOR_CA IS_TDX CACHE_DIR|-:
 * dcap_collateral_fetch, then the collateral printed in dcap-qvl's
 * QuoteCollateralV3 shape (test_dcap_fetch.py compares it with the
 * vector and hands it to cocoon evidence verify). Exit 1 with the error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcap_int.h"

static json_t *hex(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);
	for (size_t i = 0; h && i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", p[i]);
	json_t *v = h ? json_stringn(h, 2 * n) : NULL;
	free(h);
	return v;
}

int main(int argc, char **argv)
{
	uint8_t fmspc[6];
	if (argc != 6 || strlen(argv[2]) != 12 || dcap_hex_decode(argv[2], 12, fmspc, 6) < 0) {
		fprintf(stderr, "usage: dcap-fetch-tool BASE_URL FMSPC_HEX PROCESSOR_CA IS_TDX CACHE_DIR|-\n");
		return 2;
	}
	const char *cache = strcmp(argv[5], "-") == 0 ? NULL : argv[5];
	dcap_collateral *c = NULL;
	cc_error *e = NULL;
	if (dcap_collateral_fetch(argv[1], fmspc, argv[3][0] == '1', argv[4][0] == '1', cache, &c,
	                          &e) < 0) {
		fprintf(stderr, "dcap-fetch-tool: %s\n", cc_error_message(e));
		cc_error_free(e);
		return 1;
	}
	json_t *o = json_object();
	json_object_set_new(o, "tcb_info", json_stringn(c->tcb_info, c->tcb_info_len));
	json_object_set_new(o, "tcb_info_signature", hex(c->tcb_info_sig, DCAP_SIG_LEN));
	json_object_set_new(o, "qe_identity", json_stringn(c->qe_identity, c->qe_identity_len));
	json_object_set_new(o, "qe_identity_signature", hex(c->qe_identity_sig, DCAP_SIG_LEN));
	json_object_set_new(o, "pck_crl", hex(c->pck_crl, c->pck_crl_len));
	json_object_set_new(o, "root_ca_crl", hex(c->root_ca_crl, c->root_ca_crl_len));
	json_object_set_new(o, "tcb_info_issuer_chain", json_string(c->tcb_info_issuer_chain));
	json_object_set_new(o, "qe_identity_issuer_chain", json_string(c->qe_identity_issuer_chain));
	if (c->pck_crl_issuer_chain)
		json_object_set_new(o, "pck_crl_issuer_chain", json_string(c->pck_crl_issuer_chain));
	json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	dcap_collateral_free(c);
	return 0;
}
