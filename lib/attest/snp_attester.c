/* The `snp` attester (guest_attest.h): guest-components' attester/src/snp
 * in C. The report comes from configfs-tsm (provider sev_guest: outblob is
 * the report, auxblob the certificate table) when the kernel has it, else
 * from /dev/sev-guest's SNP_GET_EXT_REPORT, as the sev crate asks for it
 * (message version 1, VMPL 0, the report data zero-padded to 64 bytes).
 * The answer is checked before it is sent: a report that does not parse,
 * or that carries other report data or another VMPL than asked, is an
 * error here rather than a refusal at the verifier. */
#include <errno.h>
#include <linux/sev-guest.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "cocoon/limits.h"
#include "guest_attest.h"
#include "snp_int.h"

#define SNP_PAGE 4096u
#define SNP_FIRST_CERTS_BYTES (4u * SNP_PAGE)
/* MSG_REPORT_RSP (SEV-SNP ABI): status, report size, 24 reserved, report. */
#define SNP_RSP_REPORT_OFF 0x20u

struct snp_attester {
	attest_attester base;
	char root[PATH_MAX - 128]; /* leaves room for the device paths */
	const tsm_ops *tsm;
	void *tsm_ctx;
	const guest_dev_ops *dev;
	void *dev_ctx;
	int vmpl;
};

static const attest_attester_ops snp_attester_ops;

/* ---- /dev/sev-guest --------------------------------------------------- */

static int fw_error(cc_error **err, const char *what, int r, const struct snp_guest_request_ioctl *g)
{
	return cc_error_set(err, r < 0 ? r : -EIO,
	                    "SNP %s: %s (firmware error 0x%x, VMM error 0x%x)", what,
	                    strerror(r < 0 ? -r : EIO), g->fw_error, g->vmm_error);
}

/* The report out of a MSG_REPORT_RSP. */
static int report_from_rsp(const struct snp_report_resp *rsp, uint8_t out[SNP_REPORT_SIZE],
                           cc_error **err)
{
	uint32_t status, size;
	memcpy(&status, rsp->data, 4);
	memcpy(&size, rsp->data + 4, 4);
	if (status != 0)
		return cc_error_set(err, -EIO, "SNP report: firmware status 0x%x", status);
	if (size != SNP_REPORT_SIZE)
		return cc_error_set(err, -EIO, "SNP report: the firmware says %u bytes, not %u",
		                    size, SNP_REPORT_SIZE);
	memcpy(out, rsp->data + SNP_RSP_REPORT_OFF, SNP_REPORT_SIZE);
	return 0;
}

/* SNP_GET_EXT_REPORT; *certs (the table the host supplied, malloc'd) may
 * be NULL on return when the kernel has no extended requests and the plain
 * SNP_GET_REPORT answered. */
static int ioctl_report(struct snp_attester *s, const uint8_t rd[64], uint8_t out[SNP_REPORT_SIZE],
                        uint8_t **certs, size_t *certs_len, cc_error **err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/dev/sev-guest", s->root);
	int fd = s->dev->open(s->dev_ctx, path);
	if (fd < 0)
		return cc_error_set(err, fd == -ENOENT ? -ENODEV : fd, "SNP: %s: %s", path,
		                    strerror(-fd));
	struct snp_report_resp *rsp = calloc(1, sizeof(*rsp));
	struct snp_ext_report_req req;
	memset(&req, 0, sizeof(req));
	memcpy(req.data.user_data, rd, 64);
	req.data.vmpl = (uint32_t)s->vmpl;
	size_t cap = SNP_FIRST_CERTS_BYTES;
	uint8_t *buf = NULL;
	int r = rsp == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
	bool done = false;
	for (unsigned i = 0; r == 0 && !done && i < CC_SNP_EXT_REPORT_ATTEMPTS; i++) {
		free(buf);
		buf = calloc(1, cap);
		if (buf == NULL) {
			r = cc_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		req.certs_address = (uint64_t)(uintptr_t)buf;
		req.certs_len = (uint32_t)cap;
		struct snp_guest_request_ioctl g = {.msg_version = 1,
		                                    .req_data = (uint64_t)(uintptr_t)&req,
		                                    .resp_data = (uint64_t)(uintptr_t)rsp};
		int x = s->dev->ioctl(s->dev_ctx, fd, SNP_GET_EXT_REPORT, &g);
		if (x == -ENOTTY || x == -EOPNOTSUPP) {
			/* no extended requests: the plain report, no certificates */
			free(buf);
			buf = NULL;
			cap = 0;
			struct snp_guest_request_ioctl g2 = {.msg_version = 1,
			                                     .req_data = (uint64_t)(uintptr_t)&req.data,
			                                     .resp_data = (uint64_t)(uintptr_t)rsp};
			x = s->dev->ioctl(s->dev_ctx, fd, SNP_GET_REPORT, &g2);
			if (x < 0)
				r = fw_error(err, "SNP_GET_REPORT", x, &g2);
			done = true;
		} else if (x < 0 && g.vmm_error == SNP_GUEST_VMM_ERR_INVALID_LEN) {
			/* the host's certificates need more room: it says how much */
			size_t want = req.certs_len;
			if (want <= cap || want > CC_SNP_MAX_CERTS_BUF_BYTES || want % SNP_PAGE != 0)
				r = cc_error_set(err, -E2BIG,
				                 "oversized: SNP certificate buffer: the host asks for %zu "
				                 "bytes (had %zu, at most %u, whole pages)",
				                 want, cap, CC_SNP_MAX_CERTS_BUF_BYTES);
			cap = want;
		} else if (x < 0) {
			r = fw_error(err, "SNP_GET_EXT_REPORT", x, &g);
		} else {
			done = true;
		}
	}
	if (r == 0 && !done)
		r = cc_error_set(err, -EAGAIN,
		                 "SNP_GET_EXT_REPORT: the certificate buffer was too small %u times",
		                 CC_SNP_EXT_REPORT_ATTEMPTS);
	if (r == 0)
		r = report_from_rsp(rsp, out, err);
	s->dev->close(s->dev_ctx, fd);
	OPENSSL_cleanse(&req, sizeof(req));
	free(rsp);
	if (r < 0) {
		free(buf);
		return r;
	}
	*certs = buf;
	*certs_len = cap;
	return 0;
}

/* ---- evidence --------------------------------------------------------- */

static int tsm_present(const struct snp_attester *s)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s", s->root, TSM_REPORT_DIR);
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A report for rd (64 bytes) from configfs-tsm or the ioctls, parsed and
 * checked (report data, VMPL); *certs: the host's certificate table
 * (malloc'd; NULL: none). */
static int fetch_report(struct snp_attester *s, const uint8_t rd[64], snp_report *rep,
                        uint8_t **certs, size_t *certs_len, cc_error **err)
{
	uint8_t raw[SNP_REPORT_SIZE];
	*certs = NULL;
	*certs_len = 0;
	int r = -ENODEV;
	if (tsm_present(s)) {
		tsm_request rq = {.root = s->root, .provider = "sev_guest", .privlevel = s->vmpl,
		                  .inblob = rd, .inblob_len = 64, .want_aux = true};
		tsm_result res;
		cc_error *terr = NULL;
		r = tsm_report_get(s->tsm, s->tsm_ctx, &rq, &res, &terr);
		if (r == 0 && res.outblob_len != SNP_REPORT_SIZE)
			r = cc_error_set(&terr, -EIO, "configfs-tsm: outblob is %zu bytes, not an SNP "
			                 "report (%u)", res.outblob_len, SNP_REPORT_SIZE);
		if (r == 0) {
			memcpy(raw, res.outblob, SNP_REPORT_SIZE);
			*certs = res.auxblob;
			*certs_len = res.auxblob_len;
			res.auxblob = NULL;
		}
		tsm_result_clear(&res);
		if (r != -ENODEV)
			cc_error_move(err, &terr);
		cc_error_free(terr);
	}
	if (r == -ENODEV)
		r = ioctl_report(s, rd, raw, certs, certs_len, err);
	if (r == 0)
		r = snp_report_parse(raw, SNP_REPORT_SIZE, rep, err);
	if (r == 0 && memcmp(rep->report_data, rd, 64) != 0)
		r = cc_error_set(err, -EIO, "report_data mismatch: the SNP report does not carry "
		                 "the report data asked for");
	if (r == 0 && rep->vmpl != (uint32_t)s->vmpl)
		r = cc_error_set(err, -EIO, "SNP report: VMPL %u, not %d as asked", rep->vmpl,
		                 s->vmpl);
	if (r < 0) {
		free(*certs);
		*certs = NULL;
	}
	return r;
}

static int get_evidence(attest_attester *a, const uint8_t *report_data, size_t len,
                        char **ret_evidence, cc_error **err)
{
	struct snp_attester *s = (struct snp_attester *)a;
	if (a == NULL || a->ops != &snp_attester_ops)
		return cc_error_set(err, -EINVAL, "not an snp attester");
	if (len > 64 || (len > 0 && report_data == NULL))
		return cc_error_set(err, -EINVAL,
		                    "SNP Attester: Report data must be no more than 64 bytes");
	uint8_t rd[64] = {0};
	if (len > 0)
		memcpy(rd, report_data, len);
	uint8_t *certs = NULL;
	size_t certs_len = 0;
	snp_report *rep = malloc(sizeof(*rep));
	int r = rep == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
	if (r == 0)
		r = fetch_report(s, rd, rep, &certs, &certs_len, err);
	json_t *chain = NULL;
	if (r == 0 && certs != NULL)
		r = snp_certtable_to_json(certs, certs_len, &chain, err);
	else if (r == 0)
		chain = json_null();
	json_t *ev = NULL;
	if (r == 0) {
		ev = json_pack("{s:o,s:o}", "attestation_report", snp_report_to_json(rep),
		               "cert_chain", chain);
		chain = NULL;
		char *text = ev != NULL ? json_dumps(ev, JSON_COMPACT) : NULL;
		if (text == NULL)
			r = cc_error_set(err, -ENOMEM, "out of memory");
		else
			*ret_evidence = text;
	}
	json_decref(ev);
	json_decref(chain);
	free(rep);
	free(certs);
	return r;
}

int snp_get_host_data(const guest_attester_opts *o, uint8_t ret[32], cc_error **err)
{
	attest_attester *a = NULL;
	int r = snp_attester_new(o, &a, err);
	if (r < 0)
		return r;
	static const uint8_t zero[64];
	uint8_t *certs = NULL;
	size_t certs_len = 0;
	snp_report *rep = malloc(sizeof(*rep));
	r = rep == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
	if (r == 0)
		r = fetch_report((struct snp_attester *)a, zero, rep, &certs, &certs_len, err);
	if (r == 0)
		memcpy(ret, rep->host_data, 32);
	free(certs);
	free(rep);
	attest_attester_free(a);
	return r;
}

static void attester_free(attest_attester *a)
{
	free(a);
}

static const attest_attester_ops snp_attester_ops = {
	.tee = "snp",
	.get_evidence = get_evidence,
	.free = attester_free,
};

int snp_attester_new(const guest_attester_opts *o, attest_attester **ret, cc_error **err)
{
	static const guest_attester_opts none;
	if (o == NULL)
		o = &none;
	if (o->vmpl < 0 || o->vmpl > 3)
		return cc_error_set(err, -EINVAL, "snp attester: VMPL %d is not 0..3", o->vmpl);
	struct snp_attester *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int n = snprintf(s->root, sizeof(s->root), "%s", o->root != NULL ? o->root : "");
	if (n < 0 || (size_t)n >= sizeof(s->root)) {
		free(s);
		return cc_error_set(err, -ENAMETOOLONG, "snp attester: root path too long");
	}
	s->base.ops = &snp_attester_ops;
	s->tsm = o->tsm;
	s->tsm_ctx = o->tsm_ctx;
	s->dev = o->dev != NULL ? o->dev : &guest_dev_real_ops;
	s->dev_ctx = o->dev_ctx;
	s->vmpl = o->vmpl;
	*ret = &s->base;
	return 0;
}
