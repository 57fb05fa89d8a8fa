/* Fuzz target: what the guest attesters read from devices and firmware
 * (lib/attest/snp_certtable.c, tdx_report.c, tdx_cceventlog.c,
 * snp_attester.c; docs/attest-guest.md). The first byte picks the parser:
 *   0  SNP certificate table (configfs-tsm auxblob, SNP_GET_EXT_REPORT's
 *      certificate buffer) -> the evidence's cert_chain
 *   1  TDREPORT (/dev/tdx_guest)
 *   2  CCEL area -> cc_eventlog (trimmed at its end marker), then the
 *      result parsed as the verifier does
 *   3  a whole /dev/sev-guest answer: the rest is the MSG_REPORT_RSP
 *      (4000 bytes, zero-filled) then the certificate buffer, given to the
 *      snp attester through a fake device table
 *   4  an AA event log write-ahead file left by a crash: the rest is
 *      [u16 log length][log bytes][WAL bytes], written to a scratch
 *      directory, then the writer is opened (recovery) on a register kept
 *      in memory
 * Seeds: fuzz/corpus/guest_answers/ (made by tests/attest/make_guest_seeds.py). */
#include <errno.h>
#include <linux/sev-guest.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "aael_writer.h"
#include "eventlog.h"
#include "fuzz.h"
#include "guest_attest.h"

static const uint8_t *cur;
static size_t cur_len;

static int f_open(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	return 3;
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	(void)fd;
	if (req != SNP_GET_EXT_REPORT)
		return -ENOTTY;
	struct snp_guest_request_ioctl *g = arg;
	struct snp_ext_report_req *x = (struct snp_ext_report_req *)(uintptr_t)g->req_data;
	struct snp_report_resp *rsp = (struct snp_report_resp *)(uintptr_t)g->resp_data;
	size_t n = cur_len < sizeof(rsp->data) ? cur_len : sizeof(rsp->data);
	memset(rsp->data, 0, sizeof(rsp->data));
	memcpy(rsp->data, cur, n);
	size_t rest = cur_len - n;
	if (rest > x->certs_len)
		rest = x->certs_len;
	memcpy((void *)(uintptr_t)x->certs_address, cur + n, rest);
	return 0;
}

static void f_close(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
}

static const guest_dev_ops fuzz_dev = {f_open, f_ioctl, f_close};

static uint8_t reg_value[48];

static int reg_read(void *ctx, unsigned pcr, uint8_t *out, size_t len, cc_error **err)
{
	(void)ctx;
	(void)pcr;
	(void)err;
	memcpy(out, reg_value, len);
	return 0;
}

static int reg_extend(void *ctx, unsigned pcr, const uint8_t *d, size_t len, cc_error **err)
{
	(void)ctx;
	(void)pcr;
	(void)err;
	for (size_t i = 0; i < len; i++)
		reg_value[i] ^= d[i]; /* any change will do */
	return 0;
}

static const aael_register mem_reg = {
	.alg = 0x000C, .mr_index = aael_tdx_pcr_to_ccmr, .read = reg_read, .extend = reg_extend};

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (n > 0 && write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static char wal_dir[64];

/* The scratch directory goes when the process ends. */
static void remove_wal_dir(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", wal_dir, AAEL_LOG_NAME);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", wal_dir, AAEL_WAL_NAME);
	unlink(path);
	rmdir(wal_dir);
}

static void fuzz_wal(const uint8_t *p, size_t n)
{
	const char *dir = wal_dir;
	if (wal_dir[0] == 0) {
		const char *t = getenv("TMPDIR");
		snprintf(wal_dir, sizeof(wal_dir), "%s/cocoon-fuzz-aael-XXXXXX",
		         t != NULL && *t != 0 && strlen(t) < 32 ? t : "/tmp");
		if (mkdtemp(wal_dir) == NULL)
			abort();
		atexit(remove_wal_dir);
	}
	if (n < 2)
		return;
	size_t log_len = (size_t)p[0] | (size_t)p[1] << 8;
	if (log_len > n - 2)
		log_len = n - 2;
	put(dir, AAEL_LOG_NAME, p + 2, log_len);
	put(dir, AAEL_WAL_NAME, p + 2 + log_len, n - 2 - log_len);
	memset(reg_value, 0, sizeof(reg_value));
	aael_writer_opts o = {.dir = dir, .reg = &mem_reg};
	aael_writer *w = NULL;
	cc_error *err = NULL;
	if (aael_writer_open(&o, &w, &err) == 0)
		aael_writer_free(w);
	cc_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	cc_error *err = NULL;
	switch (data[0]) {
	case 0: {
		json_t *j = NULL;
		if (snp_certtable_to_json(p, n, &j, &err) == 0)
			json_decref(j);
		break;
	}
	case 1: {
		tdx_tdreport r;
		tdx_tdreport_parse(p, n, &r, &err);
		break;
	}
	case 2: {
		uint8_t *el = NULL;
		size_t el_len = 0;
		static const uint8_t aael[1] = {0};
		if (tdx_cc_eventlog_build(p, n, aael, 0, &el, &el_len, &err) == 0 && el != NULL) {
			eventlog *l = NULL;
			cc_error *e2 = NULL;
			if (eventlog_parse(el, el_len, EVENTLOG_CCEL, &l, &e2) == 0)
				eventlog_free(l);
			cc_error_free(e2);
		}
		free(el);
		break;
	}
	case 3: {
		cur = p;
		cur_len = n;
		guest_attester_opts o = {.root = "/nonexistent-cocoon-fuzz", .dev = &fuzz_dev};
		attest_attester *a = NULL;
		if (snp_attester_new(&o, &a, &err) == 0) {
			static const uint8_t rd[64];
			char *ev = NULL;
			if (attest_attester_get_evidence(a, rd, sizeof(rd), &ev, &err) == 0)
				free(ev);
			attest_attester_free(a);
		}
		break;
	}
	case 4:
		fuzz_wal(p, n);
		break;
	default:
		break;
	}
	cc_error_free(err);
	return 0;
}
