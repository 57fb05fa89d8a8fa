/* tdx_evidence_tool PKI_DIR REPORT_DATA_HEX [VERSION [BODY_TYPE]]: prints
 * Trustee's TDX evidence JSON ({"cc_eventlog": null, "quote": base64}) of a
 * synthetic TD quote (VERSION 4, the default, or 5 with BODY_TYPE 2 or 3),
 * or with VERSION 3 Trustee's SGX evidence ({"quote": base64}) of an SGX
 * quote, made by tests/attest/tdx_test_util.c, whose REPORTDATA is
 * REPORT_DATA_HEX (zero-padded to 64 bytes). Its certification data is
 * PKI_DIR/pck_chain.pem and its QE report is signed with
 * PKI_DIR/pck_key.pem (the PCK leaf's key; test_kbs_tdx_rcar.py writes
 * both with make_dcap_pki.py's builders); the attestation key is new on
 * every run. For test_kbs_tdx_rcar.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcap_int.h"
#include "tdx_test_util.h"
#include "tpm_int.h"

/* A one-digit argument; 0 otherwise. */
static unsigned small(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] == '\0' ? (unsigned)(s[0] - '0') : 0;
}

static EVP_PKEY *read_key(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/pck_key.pem", dir);
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return k;
}

/* The quote with REPORTDATA = rd, its attestation key signature redone. */
static uint8_t *make_quote(tdx_test_keys *k, const char *chain, unsigned version,
                           unsigned body_type, const uint8_t rd[64], size_t *len)
{
	uint8_t *q = tdx_test_quote(k, version, body_type, (const uint8_t *)chain, strlen(chain),
	                            len);
	dcap_quote dq;
	cc_error *e = NULL;
	if (dcap_quote_parse(q, *len, &dq, &e) < 0) {
		fprintf(stderr, "tdx_evidence_tool: %s\n", cc_error_message(e));
		exit(1);
	}
	memcpy((uint8_t *)dq.body + (version == 3 ? SGX_REPORT_DATA_OFF : TDX_REPORT_DATA_OFF), rd, 64);
	tdx_test_sign(k->att, q, dq.signed_len, (uint8_t *)dq.signature);
	return q;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: tdx_evidence_tool PKI_DIR REPORT_DATA_HEX [VERSION [BODY_TYPE]]\n");
		return 2;
	}
	uint8_t rd[64] = {0};
	unsigned version = argc > 3 ? small(argv[3]) : 4;
	unsigned body_type = argc > 4 ? small(argv[4]) : 2;
	size_t hex_len = strlen(argv[2]);
	if (hex_len % 2 != 0 || hex_len > 2 * sizeof(rd) ||
	    dcap_hex_decode(argv[2], hex_len, rd, hex_len / 2) < 0 || version < 3 || version > 5 ||
	    (body_type != 2 && body_type != 3)) {
		fprintf(stderr, "tdx_evidence_tool: bad report data, version or body type\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/pck_chain.pem", argv[1]);
	size_t chain_len;
	char *chain = (char *)tdx_test_read(path, &chain_len);
	EVP_PKEY *pck = read_key(argv[1]);
	if (pck == NULL) {
		fprintf(stderr, "tdx_evidence_tool: cannot read %s/pck_key.pem\n", argv[1]);
		return 1;
	}
	tdx_test_keys *k = tdx_test_keys_new();
	EVP_PKEY_free(k->pck);
	k->pck = pck;
	size_t len;
	uint8_t *q = make_quote(k, chain, version, body_type, rd, &len);
	char *b64 = tpm_b64_encode(q, len);
	json_t *ev = !b64 ? NULL
	             : version == 3 ? json_pack("{s:s}", "quote", b64)
	                            : json_pack("{s:n, s:s}", "cc_eventlog", "quote", b64);
	char *out = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	if (out == NULL)
		return 1;
	puts(out);
	free(out);
	json_decref(ev);
	free(b64);
	free(q);
	free(chain);
	tdx_test_keys_free(k);
	return 0;
}
