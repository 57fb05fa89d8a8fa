/* snp_evidence_tool TESTCHAIN_DIR REPORT_DATA_HEX [HOST_DATA_HEX]: prints
 * Trustee's SNP evidence JSON ({"attestation_report": ..., "cert_chain":
 * [VCEK]}) of a synthetic Milan report whose report_data is
 * REPORT_DATA_HEX (zero-padded to 64 bytes) and host_data HOST_DATA_HEX,
 * signed with the test VCEK of tests/attest/data/snp/testchain/ (made by
 * snp_make_chain.py). For test_kbs_snp_rcar.py. */
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snp_int.h"

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);
	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	uint8_t *buf = malloc(64 * 1024);
	*len = buf ? fread(buf, 1, 64 * 1024, f) : 0;
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: snp_evidence_tool TESTCHAIN_DIR REPORT_DATA_HEX [HOST_DATA_HEX]\n");
		return 2;
	}
	snp_report r;
	memset(&r, 0, sizeof(r));
	r.version = 3;
	r.policy = 0x30000;
	r.sig_algo = SNP_SIG_ALGO_ECDSA_P384_SHA384;
	r.plat_info = 1;
	r.has_cpuid = true;
	r.cpuid_fam_id = 0x19;
	r.cpuid_mod_id = 0x01; /* Milan */
	snp_tcb t = {.bootloader = 3, .tee = 0, .snp = 8, .microcode = 115};
	r.current_tcb = r.reported_tcb = r.committed_tcb = r.launch_tcb = t;
	for (size_t i = 0; i < 64; i++)
		r.chip_id[i] = (uint8_t)(0x40 + i); /* snp_make_chain.py's CHIP_ID */
	for (size_t i = 0; i < 48; i++)
		r.measurement[i] = (uint8_t)(0xA0 + i);
	r.current_major = 1;
	r.current_minor = 55;
	if (unhex(argv[2], r.report_data, 64) < 0 || (argc == 4 && unhex(argv[3], r.host_data, 32) < 0)) {
		fprintf(stderr, "snp_evidence_tool: bad hex\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/milan_vcek_key.pem", argv[1]);
	FILE *kf = fopen(path, "r");
	EVP_PKEY *key = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
	if (kf)
		fclose(kf);
	snprintf(path, sizeof(path), "%s/milan_vcek.der", argv[1]);
	size_t vcek_len = 0;
	uint8_t *vcek = slurp(path, &vcek_len);
	if (key == NULL || vcek == NULL || vcek_len == 0) {
		fprintf(stderr, "snp_evidence_tool: cannot read the test VCEK and its key in %s\n", argv[1]);
		return 1;
	}
	unsigned char der[160];
	size_t der_len = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = snp_report_encode(&r, NULL) == 0 && md &&
	         EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key) == 1 &&
	         EVP_DigestSign(md, der, &der_len, r.raw, SNP_SIGNED_SIZE) == 1;
	const unsigned char *q = der;
	ECDSA_SIG *sig = ok ? d2i_ECDSA_SIG(NULL, &q, (long)der_len) : NULL;
	if (sig == NULL) {
		fprintf(stderr, "snp_evidence_tool: signing failed\n");
		return 1;
	}
	BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), r.sig_r, 72);
	BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), r.sig_s, 72);
	if (snp_report_encode(&r, NULL) < 0)
		return 1;
	json_t *data = json_array();
	for (size_t i = 0; i < vcek_len; i++)
		json_array_append_new(data, json_integer(vcek[i]));
	json_t *ev = json_pack("{s:o, s:[{s:s, s:o}]}", "attestation_report", snp_report_to_json(&r),
	                       "cert_chain", "cert_type", "VCEK", "data", data);
	char *out = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	if (out == NULL)
		return 1;
	puts(out);
	free(out);
	json_decref(ev);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	free(vcek);
	return 0;
}
