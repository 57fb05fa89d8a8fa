/* A test tool for test_guest_cli.py (docs/attest-guest.md):
 *   guest-tool aael DIR [EVENT...]
 *       opens the AA event log writer on DIR (finishing a WAL left there)
 *       with a SHA-384 register kept in DIR/register (48 bytes; zeros when
 *       missing; extend = SHA-384(old || digest)), logs each EVENT
 *       ("domain operation content") at the default PCR 17, prints the
 *       register in hex
 *   guest-tool aael-tpm TCTI PCR DIR [EVENT...]
 *       the same with a TPM's SHA-256 PCR (tpm2-tss, aael_tpm_pcr) as the
 *       register and init_pcr PCR; prints the PCR in hex
 *   guest-tool bind TEE TCTI DIGEST_HEX
 *       guest_bind_init_data on this machine (tpm: through TCTI)
 *   guest-tool cc-eventlog CCEL|- AAEL|- OUT
 *       writes the TDX evidence's cc_eventlog bytes built from them */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aael_writer.h"
#include "guest_attest.h"
#include "tsm_report.h"

static char reg_path[4096];

static int reg_read(void *ctx, unsigned pcr, uint8_t *out, size_t len, cc_error **err)
{
	(void)ctx;
	(void)pcr;
	memset(out, 0, len);
	FILE *f = fopen(reg_path, "rb");
	if (f == NULL)
		return errno == ENOENT ? 0 : cc_error_set(err, -errno, "%s", reg_path);
	size_t n = fread(out, 1, len, f);
	fclose(f);
	return n == len ? 0 : cc_error_set(err, -EIO, "%s: short", reg_path);
}

static int reg_extend(void *ctx, unsigned pcr, const uint8_t *d, size_t len, cc_error **err)
{
	uint8_t buf[96], v[48];
	int r = reg_read(ctx, pcr, buf, 48, err);
	if (r < 0 || len != 48)
		return r < 0 ? r : cc_error_set(err, -EINVAL, "bad digest size");
	memcpy(buf + 48, d, 48);
	unsigned int n;
	EVP_Digest(buf, 96, v, &n, EVP_sha384(), NULL);
	FILE *f = fopen(reg_path, "wb");
	if (f == NULL || fwrite(v, 1, 48, f) != 48) {
		if (f != NULL)
			fclose(f);
		return cc_error_set(err, -EIO, "%s: cannot write", reg_path);
	}
	return fclose(f) == 0 ? 0 : cc_error_set(err, -EIO, "%s: cannot write", reg_path);
}

static const aael_register file_register = {
	.alg = 0x000C,
	.mr_index = aael_tdx_pcr_to_ccmr,
	.read = reg_read,
	.extend = reg_extend,
};

static int fail(cc_error *err)
{
	fprintf(stderr, "guest-tool: %s\n", cc_error_message(err));
	cc_error_free(err);
	return 1;
}

/* Logs events (argv[1..]) into the writer of dir with reg; prints the
 * register's value. */
static int log_events(const char *dir, const aael_register *reg, void *ctx, unsigned pcr,
                      int argc, char **argv)
{
	aael_writer_opts o = {.dir = dir, .init_pcr = pcr, .reg = reg, .reg_ctx = ctx};
	aael_writer *w = NULL;
	cc_error *err = NULL;
	if (aael_writer_open(&o, &w, &err) < 0)
		return fail(err);
	for (int i = 0; i < argc; i++) {
		char *ev = strdup(argv[i]);
		char *s1 = ev != NULL ? strchr(ev, ' ') : NULL;
		char *s2 = s1 != NULL ? strchr(s1 + 1, ' ') : NULL;
		if (s2 == NULL) {
			fprintf(stderr, "guest-tool: event '%s' is not 'domain operation content'\n",
			        argv[i]);
			free(ev);
			aael_writer_free(w);
			return 2;
		}
		*s1 = *s2 = 0;
		int r = aael_writer_extend(w, ev, s1 + 1, s2 + 1, AAEL_DEFAULT_PCR, &err);
		free(ev);
		if (r < 0) {
			aael_writer_free(w);
			return fail(err);
		}
	}
	aael_writer_free(w);
	uint8_t v[64];
	size_t dl = reg->alg == 0x000B ? 32 : 48;
	if (reg->read(ctx, pcr, v, dl, &err) < 0)
		return fail(err);
	for (size_t i = 0; i < dl; i++)
		printf("%02x", v[i]);
	printf("\n");
	return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	if (strcmp(path, "-") == 0)
		return NULL;
	uint8_t *p = NULL;
	if (tsm_fs_ops.read(NULL, path, 16u << 20, &p, len) < 0) {
		fprintf(stderr, "guest-tool: cannot read %s\n", path);
		exit(1);
	}
	return p;
}

static int cmd_cc_eventlog(char **argv)
{
	size_t cl = 0, al = 0, el_len = 0;
	uint8_t *ccel = slurp(argv[0], &cl), *aael = slurp(argv[1], &al), *el = NULL;
	cc_error *err = NULL;
	int r = tdx_cc_eventlog_build(ccel, cl, aael, al, &el, &el_len, &err);
	free(ccel);
	free(aael);
	if (r < 0)
		return fail(err);
	FILE *f = fopen(argv[2], "wb");
	if (f == NULL || (el_len > 0 && fwrite(el, 1, el_len, f) != el_len) || fclose(f) != 0) {
		fprintf(stderr, "guest-tool: cannot write %s\n", argv[2]);
		free(el);
		return 1;
	}
	free(el);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "aael") == 0) {
		snprintf(reg_path, sizeof(reg_path), "%s/register", argv[2]);
		return log_events(argv[2], &file_register, NULL, AAEL_DEFAULT_PCR, argc - 3, argv + 3);
	}
	if (argc >= 5 && strcmp(argv[1], "aael-tpm") == 0)
		return log_events(argv[4], &aael_tpm_pcr, argv[2], (unsigned)strtoul(argv[3], NULL, 10), argc - 5,
		                  argv + 5);
	if (argc == 5 && strcmp(argv[1], "bind") == 0) {
		long n = 0;
		unsigned char *dg = OPENSSL_hexstr2buf(argv[4], &n);
		cc_error *err = NULL;
		int r = dg == NULL ? cc_error_set(&err, -EINVAL, "digest: not hex")
		                   : guest_bind_init_data(argv[2], NULL, argv[3], dg, (size_t)n, &err);
		OPENSSL_free(dg);
		if (r < 0)
			return fail(err);
		puts(r == 0 ? "bound" : "unsupported");
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "cc-eventlog") == 0)
		return cmd_cc_eventlog(argv + 2);
	fprintf(stderr, "usage: guest-tool aael DIR [EVENT...] | aael-tpm TCTI PCR DIR [EVENT...] | cc-eventlog CCEL|- AAEL|- OUT\n");
	return 2;
}
