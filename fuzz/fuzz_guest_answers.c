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
 * Seeds: fuzz/corpus/guest_answers/ (made by tests/attest/make_guest_seeds.py). */
#include <errno.h>
#include <linux/sev-guest.h>
#include <stdlib.h>
#include <string.h>

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
	default:
		break;
	}
	cc_error_free(err);
	return 0;
}
