/* `cocoon evidence get` and `cocoon evidence detect` (evidence_get.h): the
 * guest side of attestation from the command line, with lib/attest's
 * attesters and platform detection (docs/attest-guest.md). */
#include "evidence_get.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "guest_attest.h"
#include "platform.h"
#include "sample_attester.h"
#include "tpm.h"

static void usage_get(FILE *f)
{
	fputs("Usage: cocoon evidence get [--tee TEE] [--report-data HEX] [--root DIR]\n"
	      "                           [--tcti TCTI]\n"
	      "\n"
	      "Prints this guest's evidence JSON for the report data (at most 64 bytes; none:\n"
	      "empty), as the attestation agent's GetEvidence returns it.\n"
	      "Exit status: 0 printed, 1 the TEE refused or is missing, 2 usage error.\n"
	      "\n"
	      "Options:\n"
	      "      --tee TEE          auto (default: detected as guest-components does),\n"
	      "                         snp, tdx, tpm, sample\n"
	      "      --report-data HEX  the report data\n"
	      "      --root DIR         look for /sys, /dev and /run under DIR\n"
	      "      --tcti TCTI        tpm: the tpm2-tss TCTI (default: tpm2-tss's)\n",
	      f);
}

static void usage_detect(FILE *f)
{
	fputs("Usage: cocoon evidence detect [--root DIR]\n"
	      "\n"
	      "Prints the TEE this guest runs in (tdx, sgx, snp, csv, cca, se, tpm or sample),\n"
	      "decided as guest-components' attestation agent decides it.\n",
	      f);
}

static const char *detect(const char *root)
{
	platform_opts o = {.root = root, .occlum = getenv("OCCLUM"),
	                   .aa_tpm_device = getenv("AA_TPM_DEVICE")};
	return platform_detect(&o);
}

static int make_attester(const char *tee, const char *root, const char *tcti,
                         attest_attester **ret, cc_error **err)
{
	guest_attester_opts o = {.root = root};
	if (strcmp(tee, "snp") == 0)
		return snp_attester_new(&o, ret, err);
	if (strcmp(tee, "tdx") == 0)
		return tdx_attester_new(&o, ret, err);
	if (strcmp(tee, "tpm") == 0)
		return tpm_attester_new(tcti, TPM_AK_HANDLE_DEFAULT, 0, ret, err);
	if (strcmp(tee, "sample") == 0)
		return sample_attester_new(ret, err);
	return cc_error_set(err, -ENOTSUP, "no attester for TEE '%s' (cocoon has snp, tdx, tpm, "
	                    "sample)", tee);
}

int cmd_evidence_get(int argc, char **argv)
{
	enum { O_TEE = 256, O_RD, O_ROOT, O_TCTI };
	static const struct option opts[] = {
		{"tee", required_argument, NULL, O_TEE},
		{"report-data", required_argument, NULL, O_RD},
		{"root", required_argument, NULL, O_ROOT},
		{"tcti", required_argument, NULL, O_TCTI},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tee = "auto", *rd_hex = NULL, *root = "", *tcti = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_TEE: tee = optarg; break;
		case O_RD: rd_hex = optarg; break;
		case O_ROOT: root = optarg; break;
		case O_TCTI: tcti = optarg; break;
		case 'h': usage_get(stdout); return 0;
		default: usage_get(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "cocoon evidence get: unexpected argument '%s'\n", argv[optind]);
		usage_get(stderr);
		return 2;
	}
	unsigned char *rd = NULL;
	long rd_len = 0;
	if (rd_hex != NULL && *rd_hex != 0 &&
	    (rd = OPENSSL_hexstr2buf(rd_hex, &rd_len)) == NULL) {
		fprintf(stderr, "cocoon evidence get: --report-data: not hex\n");
		return 2;
	}
	if (strcmp(tee, "auto") == 0)
		tee = detect(root);
	attest_attester *a = NULL;
	char *ev = NULL;
	cc_error *err = NULL;
	int r = make_attester(tee, root, tcti, &a, &err);
	if (r == 0)
		r = attest_attester_get_evidence(a, rd, (size_t)rd_len, &ev, &err);
	attest_attester_free(a);
	OPENSSL_free(rd);
	if (r < 0) {
		fprintf(stderr, "cocoon evidence get: %s: %s\n", tee, cc_error_message(err));
		cc_error_free(err);
		return 1;
	}
	puts(ev);
	free(ev);
	return 0;
}

int cmd_evidence_detect(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = "";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'h': usage_detect(stdout); return 0;
		default: usage_detect(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage_detect(stderr);
		return 2;
	}
	puts(detect(root));
	return 0;
}
