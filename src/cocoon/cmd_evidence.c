/* `cocoon evidence`: verify a TEE's evidence offline with the verifiers the
 * KBS uses (lib/attest/registry.h), and replay event logs
 * (docs/man/cocoon-evidence.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "kbs_client.h"
#include "attest_registry.h"
#include "evidence_eventlog.h"
#include "evidence_get.h"

/* The largest evidence file read (Azure vTPM evidence with its certificate
 * tables and a TDX quote with its PCK chain stay far below). */
#define EVIDENCE_FILE_MAX (4u * 1024u * 1024u)
#define REPORT_DATA_MAX 64u
#define NONCE_MAX 64u

static void usage_evidence(FILE *f)
{
	fputs("Usage: cocoon evidence COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  verify           verify a TEE's evidence and print its claims\n"
	      "  replay-eventlog  replay a TCG2, legacy SHA-1 or CCEL event log\n"
	      "  get              print this guest's evidence (snp, tdx, tpm, sample)\n"
	      "  detect           print the TEE this guest runs in\n"
	      "\n"
	      "Run 'cocoon evidence COMMAND --help' for a command's options.\n",
	      f);
}

static void usage_verify(FILE *f)
{
	fputs("Usage: cocoon evidence verify --tee TEE --evidence FILE [OPTIONS]\n"
	      "\n"
	      "Verifies FILE (raw binary, hex with or without 0x, or Trustee's evidence JSON)\n"
	      "with the verifier cocoon-kbs uses for TEE and prints the claims as JSON.\n"
	      "Exit status: 0 verified, 1 refused (the message names the check that failed),\n"
	      "2 usage error.\n"
	      "\n"
	      "Options:\n"
	      "      --tee TEE            sample, tpm, snp, tdx, sgx, az-snp-vtpm, az-tdx-vtpm\n"
	      "                           (those this build has)\n"
	      "      --evidence FILE      the evidence\n"
	      "      --vcek FILE          snp: the VCEK or VLEK (PEM or DER)\n"
	      "      --cert-chain FILE    snp: PEM, ASK (or ASVK) then ARK; the ARK must equal\n"
	      "                           the built-in one for the product\n"
	      "      --collateral FILE    tdx, sgx: collateral JSON (PCS/PCCS bodies or\n"
	      "                           dcap-qvl's QuoteCollateralV3)\n"
	      "      --nonce HEX          tpm: must equal the quote's qualifying data\n"
	      "      --report-data HEX    must equal the report's report_data (zero-padded\n"
	      "                           to the field's width)\n"
	      "      --init-data HEX      the init-data digest the evidence must carry\n"
	      "      --at UNIX_SECONDS    the time for every validity check (default: now)\n"
	      "      --cache-dir DIR      offline store of VCEKs, CRLs and collateral\n"
	      "      --fetch              fetch what the store lacks from AMD KDS / Intel PCS\n"
	      "      --pccs-url URL       fetch collateral from this PCCS instead of Intel PCS\n"
	      "      --trusted-ak-dir DIR tpm: refuse quotes from AKs not in DIR (*.pub)\n"
	      "      --repeat N           then verify N more times with the same verifier and\n"
	      "                           print the rate on stderr (bench/run_verify.sh)\n"
	      "      --ak-ca-dir DIR      tpm: the evidence's ak_certificate must chain to a\n"
	      "                           CA in DIR (*.pem, *.crt; *.crl for revocation)\n"
	      "  -h, --help               show this help\n",
	      f);
}

/* Hex (optional 0x, whitespace ignored) into a new buffer. */
/* Scans text as hex (leading whitespace and 0x skipped, whitespace
 * ignored): the number of digits, copied to digits when not NULL, or -1
 * with *bad the offset of the first byte that is not hex. */
static long scan_hex(const char *text, size_t len, char *digits, size_t *bad)
{
	size_t n = 0;
	size_t i = 0;
	while (i < len && text[i] != '\0' && strchr(" \t\r\n", text[i]) != NULL)
		i++;
	if (len - i >= 2 && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X'))
		i += 2;
	for (; i < len; i++) {
		char c = text[i];
		if (c != '\0' && strchr(" \t\r\n", c) != NULL)
			continue;
		if (c == '\0' || strchr("0123456789abcdefABCDEF", c) == NULL) {
			*bad = i;
			return -1;
		}
		if (digits != NULL)
			digits[n] = c;
		n++;
	}
	return (long)n;
}

static int parse_hex(const char *what, const char *text, size_t len, size_t max, uint8_t **ret,
                     size_t *ret_len, cc_error **err)
{
	char *clean = malloc(len + 1);
	if (clean == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t bad = 0;
	long digits = scan_hex(text, len, clean, &bad);
	if (digits < 0) {
		free(clean);
		return cc_error_set(err, -EINVAL, "%s: not hex (byte %zu)", what, bad);
	}
	size_t n = (size_t)digits;
	clean[n] = '\0';
	if (n == 0 || n % 2 != 0 || n / 2 > max) {
		free(clean);
		return cc_error_set(err, -EINVAL, "%s: %zu hex digits (want an even number, 2..%zu)",
		                    what, n, 2 * max);
	}
	long out_len = 0;
	uint8_t *out = OPENSSL_hexstr2buf(clean, &out_len);
	free(clean);
	if (out == NULL)
		return cc_error_set(err, -EINVAL, "%s: not hex", what);
	uint8_t *copy = malloc((size_t)out_len);
	if (copy == NULL) {
		OPENSSL_free(out);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	memcpy(copy, out, (size_t)out_len);
	OPENSSL_free(out);
	*ret = copy;
	*ret_len = (size_t)out_len;
	return 0;
}

static bool looks_hex(const char *text, size_t len)
{
	size_t bad = 0;
	return scan_hex(text, len, NULL, &bad) > 0;
}

/* The file as evidence JSON: JSON as is, hex or raw bytes through the
 * TEE's wrap_raw. */
static int load_evidence(attest_verifier *v, const char *path, json_t **ret, cc_error **err)
{
	char *text = NULL;
	size_t len = 0;
	int r = cc_read_file(path, EVIDENCE_FILE_MAX, KBS_CLIENT_READ, &text, &len, err);
	if (r < 0)
		return r;
	size_t i = 0;
	while (i < len && text[i] != '\0' && strchr(" \t\r\n", text[i]) != NULL)
		i++;
	if (i < len && text[i] == '{') {
		json_error_t je;
		json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
		free(text);
		if (j == NULL)
			return cc_error_set(err, -EINVAL, "%s: not JSON: %s (line %d)", path, je.text,
			                    je.line);
		*ret = j;
		return 0;
	}
	if (looks_hex(text, len)) {
		uint8_t *raw = NULL;
		size_t raw_len = 0;
		r = parse_hex(path, text, len, EVIDENCE_FILE_MAX / 2, &raw, &raw_len, err);
		free(text);
		if (r < 0)
			return r;
		r = attest_verifier_wrap_raw(v, raw, raw_len, ret, err);
		free(raw);
		return r;
	}
	r = attest_verifier_wrap_raw(v, (const uint8_t *)text, len, ret, err);
	free(text);
	return r;
}

/* --repeat N: N more verifications of the same evidence with the same
 * verifier (its roots, caches and collateral parsed once, as in the KBS),
 * timed; the rate goes to stderr for bench/run_verify.sh. */
static int repeat_verify(attest_verifier *v, const json_t *evidence, const uint8_t *rd,
                         size_t rd_len, const uint8_t *id, size_t id_len, long n, cc_error **err)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		json_t *claims = NULL;
		int r = attest_verifier_evaluate(v, evidence, rd, rd_len, id, id_len, &claims, err);
		json_decref(claims);
		if (r < 0)
			return r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "repeat: %ld verifications in %.3f s: %.1f/s\n", n, s,
	        s > 0 ? (double)n / s : 0.0);
	return 0;
}

struct verify_args {
	const char *tee;
	const char *evidence;
	const char *report_data;
	const char *init_data;
	const char *nonce;
	long repeat;
	attest_verifier_opts opts;
};

static int run_verify(const struct verify_args *a, cc_error **err)
{
	uint8_t *report_data = NULL, *init_data = NULL, *nonce = NULL;
	size_t report_data_len = 0, init_data_len = 0, nonce_len = 0;
	attest_verifier *v = NULL;
	json_t *evidence = NULL, *claims = NULL;
	attest_verifier_opts opts = a->opts;
	int r = 0;
	if (a->report_data != NULL)
		r = parse_hex("--report-data", a->report_data, strlen(a->report_data),
		              REPORT_DATA_MAX, &report_data, &report_data_len, err);
	if (r == 0 && a->init_data != NULL)
		r = parse_hex("--init-data", a->init_data, strlen(a->init_data), REPORT_DATA_MAX,
		              &init_data, &init_data_len, err);
	if (r == 0 && a->nonce != NULL) {
		r = parse_hex("--nonce", a->nonce, strlen(a->nonce), NONCE_MAX, &nonce, &nonce_len,
		              err);
		opts.nonce = nonce;
		opts.nonce_len = nonce_len;
	}
	if (r == 0)
		r = attest_verifier_new_for(a->tee, &opts, &v, err);
	if (r == 0)
		r = load_evidence(v, a->evidence, &evidence, err);
	if (r == 0)
		r = attest_verifier_evaluate(v, evidence, report_data, report_data_len, init_data,
		                             init_data_len, &claims, err);
	if (r == 0 && a->repeat > 0)
		r = repeat_verify(v, evidence, report_data, report_data_len, init_data, init_data_len,
		                  a->repeat, err);
	if (r == 0) {
		char *out = json_dumps(claims, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (out == NULL)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		else
			printf("%s\n", out);
		free(out);
	}
	json_decref(claims);
	json_decref(evidence);
	attest_verifier_free(v);
	free(report_data);
	free(init_data);
	free(nonce);
	return r;
}

static int parse_at(const char *s, int64_t *ret)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return -EINVAL;
	*ret = (int64_t)v;
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	enum { O_TEE = 256, O_EVIDENCE, O_VCEK, O_CHAIN, O_COLL, O_NONCE, O_RD, O_ID, O_AT,
	       O_CACHE, O_FETCH, O_PCCS, O_AKDIR, O_AKCA, O_REPEAT };
	static const struct option longopts[] = {
		{"tee", required_argument, NULL, O_TEE},
		{"evidence", required_argument, NULL, O_EVIDENCE},
		{"vcek", required_argument, NULL, O_VCEK},
		{"cert-chain", required_argument, NULL, O_CHAIN},
		{"collateral", required_argument, NULL, O_COLL},
		{"nonce", required_argument, NULL, O_NONCE},
		{"report-data", required_argument, NULL, O_RD},
		{"init-data", required_argument, NULL, O_ID},
		{"at", required_argument, NULL, O_AT},
		{"cache-dir", required_argument, NULL, O_CACHE},
		{"fetch", no_argument, NULL, O_FETCH},
		{"pccs-url", required_argument, NULL, O_PCCS},
		{"trusted-ak-dir", required_argument, NULL, O_AKDIR},
		{"ak-ca-dir", required_argument, NULL, O_AKCA},
		{"repeat", required_argument, NULL, O_REPEAT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct verify_args a = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_TEE: a.tee = optarg; break;
		case O_EVIDENCE: a.evidence = optarg; break;
		case O_VCEK: a.opts.vcek = optarg; break;
		case O_CHAIN: a.opts.cert_chain = optarg; break;
		case O_COLL: a.opts.collateral = optarg; break;
		case O_NONCE: a.nonce = optarg; break;
		case O_RD: a.report_data = optarg; break;
		case O_ID: a.init_data = optarg; break;
		case O_AT:
			if (parse_at(optarg, &a.opts.at) < 0) {
				fprintf(stderr, "cocoon evidence verify: --at '%s': want Unix seconds\n",
				        optarg);
				return 2;
			}
			break;
		case O_CACHE: a.opts.cache_dir = optarg; break;
		case O_FETCH: a.opts.allow_fetch = 1; break;
		case O_PCCS: a.opts.pccs_url = optarg; break;
		case O_AKDIR: a.opts.trusted_ak_dir = optarg; break;
		case O_AKCA: a.opts.tpm_ak_ca_dir = optarg; break;
		case O_REPEAT: {
			char *end = NULL;
			errno = 0;
			a.repeat = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || a.repeat < 1 ||
			    a.repeat > 10000000) {
				fprintf(stderr, "cocoon evidence verify: --repeat '%s': want 1..10000000\n",
				        optarg);
				return 2;
			}
			break;
		}
		case 'h': usage_verify(stdout); return 0;
		default: usage_verify(stderr); return 2;
		}
	}
	if (optind != argc || a.tee == NULL || a.evidence == NULL) {
		fprintf(stderr, "cocoon evidence verify: %s\n",
		        optind != argc ? "unexpected argument" : "--tee and --evidence are required");
		usage_verify(stderr);
		return 2;
	}
	cc_error *err = NULL;
	int r = run_verify(&a, &err);
	if (r < 0) {
		fprintf(stderr, "cocoon evidence verify: %s\n", cc_error_message(err));
		bool usage = r == -ENOENT && strstr(cc_error_message(err), "no verifier") != NULL;
		cc_error_free(err);
		return usage ? 2 : 1;
	}
	return 0;
}

int cmd_evidence(int argc, char **argv)
{
	if (argc < 2) {
		usage_evidence(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		usage_evidence(stdout);
		return 0;
	}
	if (strcmp(sub, "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(sub, "replay-eventlog") == 0)
		return cmd_replay_eventlog(argc - 1, argv + 1);
	if (strcmp(sub, "get") == 0)
		return cmd_evidence_get(argc - 1, argv + 1);
	if (strcmp(sub, "detect") == 0)
		return cmd_evidence_detect(argc - 1, argv + 1);
	fprintf(stderr, "cocoon evidence: unknown command '%s' (see cocoon evidence --help)\n", sub);
	return 2;
}
