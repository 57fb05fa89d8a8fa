/* tpm-tool: drives the TPM attester and verifier for the integration test
 * (test_tpm_swtpm.py) and the timing run.
 *
 *   tpm-tool evidence --tcti T [--ak-handle H] [--create-ak] [--report-data HEX]
 *   tpm-tool verify --evidence FILE [--report-data HEX] [--init-data HEX]
 *                   [--trusted-ak-dir DIR]
 *   tpm-tool extend --tcti T --pcr N --digest HEX
 *   tpm-tool read-pcr --tcti T --pcr N
 *   tpm-tool ak-public --tcti T [--ak-handle H]       (base64 DER)
 *   tpm-tool time --tcti T [--ak-handle H] --rounds N (ms per quote, verify)
 *
 * Evidence and claims go to stdout as JSON; an error goes to stderr as one
 * line and the exit status is 1 (2 for bad usage).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest.h"
#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "tpm.h"
#include "tpm_int.h"

struct opts {
	const char *tcti, *evidence, *trusted_dir;
	uint32_t ak_handle;
	unsigned flags;
	uint8_t rd[TPM_REPORT_DATA_SIZE], id[64], digest[32];
	size_t rd_len, id_len;
	bool have_rd, have_id, have_digest;
	unsigned pcr, rounds;
};

static int fail(cc_error *e)
{
	fprintf(stderr, "tpm-tool: %s\n", cc_error_message(e));
	cc_error_free(e);
	return 1;
}

static int usage(const char *why)
{
	fprintf(stderr, "tpm-tool: %s (see the comment at the top of tpm_tool.c)\n", why);
	return 2;
}

static int hex_arg(const char *s, uint8_t *out, size_t max, size_t *ret_len)
{
	size_t len = strlen(s);
	if (len % 2 != 0 || len / 2 > max)
		return -EINVAL;
	*ret_len = len / 2;
	return tpm_hex_decode(s, len, out, len / 2);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"tcti", required_argument, NULL, 't'},
		{"ak-handle", required_argument, NULL, 'a'},
		{"create-ak", no_argument, NULL, 'c'},
		{"report-data", required_argument, NULL, 'r'},
		{"init-data", required_argument, NULL, 'i'},
		{"evidence", required_argument, NULL, 'e'},
		{"trusted-ak-dir", required_argument, NULL, 'd'},
		{"pcr", required_argument, NULL, 'p'},
		{"digest", required_argument, NULL, 'g'},
		{"rounds", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	size_t n;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 't': o->tcti = optarg; break;
		case 'e': o->evidence = optarg; break;
		case 'd': o->trusted_dir = optarg; break;
		case 'c': o->flags |= TPM_ATTESTER_CREATE_AK; break;
		case 'a':
			o->ak_handle = (uint32_t)strtoul(optarg, &end, 16);
			break;
		case 'p':
			o->pcr = (unsigned)strtoul(optarg, &end, 10);
			break;
		case 'n':
			o->rounds = (unsigned)strtoul(optarg, &end, 10);
			break;
		case 'r':
			o->have_rd = true;
			if (hex_arg(optarg, o->rd, sizeof(o->rd), &o->rd_len) < 0)
				return usage("--report-data: hex, at most 64 bytes");
			break;
		case 'i':
			o->have_id = true;
			if (hex_arg(optarg, o->id, sizeof(o->id), &o->id_len) < 0)
				return usage("--init-data: hex, at most 64 bytes");
			break;
		case 'g':
			o->have_digest = true;
			if (hex_arg(optarg, o->digest, sizeof(o->digest), &n) < 0 || n != 32)
				return usage("--digest: 64 hex digits");
			break;
		default: return usage("unknown option");
		}
		if (end != NULL && (*end != '\0' || end == optarg))
			return usage("bad number");
	}
	return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	char *buf = malloc(CC_TPM_MAX_EVIDENCE_BYTES + 1);
	if (buf == NULL)
		return -ENOMEM;
	size_t n = fread(buf, 1, CC_TPM_MAX_EVIDENCE_BYTES + 1, f);
	if (ferror(f) || n > CC_TPM_MAX_EVIDENCE_BYTES) {
		free(buf);
		return n > CC_TPM_MAX_EVIDENCE_BYTES ? -E2BIG : -EIO;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

static int verify_file(const struct opts *o, attest_verifier *v, cc_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file(o->evidence, &text, &len);
	if (r < 0)
		return cc_error_set(err, r, "%s: %s", o->evidence, strerror(-r));
	json_error_t je;
	json_t *ev = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (ev == NULL)
		return cc_error_set(err, -EINVAL, "%s: %s", o->evidence, je.text);
	json_t *claims = NULL;
	r = attest_verifier_evaluate(v, ev, o->have_rd ? o->rd : NULL, o->rd_len,
	                             o->have_id ? o->id : NULL, o->id_len, &claims, err);
	json_decref(ev);
	if (r < 0)
		return r;
	char *out = json_dumps(claims, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(claims);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	puts(out);
	free(out);
	return 0;
}

static int cmd_verify(const struct opts *o)
{
	cc_error *err = NULL;
	attest_verifier *v = NULL;
	if (o->evidence == NULL)
		return usage("verify needs --evidence");
	int r = tpm_verifier_new(o->trusted_dir, &v, &err);
	if (r >= 0)
		r = verify_file(o, v, &err);
	attest_verifier_free(v);
	return r < 0 ? fail(err) : 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Rounds of get_evidence and of verifying it, each timed: "quote_ms
 * verify_ms" per line. */
static int time_rounds(const struct opts *o, attest_attester *a, cc_error **err)
{
	attest_verifier *v = NULL;
	int r = tpm_verifier_new(NULL, &v, err);
	for (unsigned i = 0; r >= 0 && i < o->rounds; i++) {
		char *text = NULL;
		double t0 = now_ms();
		r = attest_attester_get_evidence(a, o->rd, o->rd_len, &text, err);
		double t1 = now_ms();
		if (r < 0)
			break;
		json_t *ev = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *claims = NULL;
		free(text);
		r = attest_verifier_evaluate(v, ev, o->rd, o->rd_len, NULL, 0, &claims, err);
		double t2 = now_ms();
		json_decref(ev);
		json_decref(claims);
		if (r >= 0)
			printf("%.3f %.3f\n", t1 - t0, t2 - t1);
	}
	attest_verifier_free(v);
	return r;
}

static int attester_cmd(const char *cmd, const struct opts *o, attest_attester *a, cc_error **err)
{
	if (strcmp(cmd, "evidence") == 0) {
		char *text = NULL;
		int r = attest_attester_get_evidence(a, o->rd, o->rd_len, &text, err);
		if (r >= 0)
			puts(text);
		free(text);
		return r;
	}
	if (strcmp(cmd, "extend") == 0) {
		if (!o->have_digest)
			return cc_error_set(err, -EINVAL, "extend needs --digest");
		return tpm_attester_extend_pcr(a, o->pcr, o->digest, err);
	}
	if (strcmp(cmd, "read-pcr") == 0) {
		uint8_t v[32];
		char hex[65];
		int r = tpm_attester_read_pcr(a, o->pcr, v, err);
		if (r >= 0) {
			tpm_hex_encode(v, sizeof(v), hex);
			puts(hex);
		}
		return r;
	}
	if (strcmp(cmd, "ak-public") == 0) {
		uint8_t *der = NULL;
		size_t len = 0;
		int r = tpm_attester_ak_public(a, &der, &len, err);
		char *b64 = r >= 0 ? tpm_b64_encode(der, len) : NULL;
		if (b64 != NULL)
			puts(b64);
		free(b64);
		free(der);
		return r;
	}
	return time_rounds(o, a, err);
}

int main(int argc, char **argv)
{
	struct opts o = {.ak_handle = TPM_AK_HANDLE_DEFAULT, .rounds = 10};
	if (argc < 2)
		return usage("no command");
	const char *cmd = argv[1];
	int r = parse_opts(argc - 1, argv + 1, &o);
	if (r != 0)
		return r;
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(&o);
	if (strcmp(cmd, "evidence") != 0 && strcmp(cmd, "extend") != 0 &&
	    strcmp(cmd, "read-pcr") != 0 && strcmp(cmd, "ak-public") != 0 &&
	    strcmp(cmd, "time") != 0)
		return usage("unknown command");
	cc_error *err = NULL;
	attest_attester *a = NULL;
	r = tpm_attester_new(o.tcti, o.ak_handle, o.flags, &a, &err);
	if (r >= 0)
		r = attester_cmd(cmd, &o, a, &err);
	attest_attester_free(a);
	return r < 0 ? fail(err) : 0;
}
