/* The `tdx` attester (guest_attest.h): guest-components' attester/src/tdx
 * in C. The quote comes from configfs-tsm (provider tdx_guest); upstream's
 * other path, libtdx-attest asking the Quote Generation Service over vsock
 * for a quote of the TDREPORT /dev/tdx_guest gives, is not written here:
 * without configfs-tsm get_evidence fails and says so (the TDREPORT is
 * still read, tdx_get_tdreport, for MRCONFIGID and RTMRs). The quote is
 * parsed and its report data compared before it is sent. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cocoon/limits.h"
#include "guest_attest.h"
#include "tdx.h"

#define CCEL_PATH "/sys/firmware/acpi/tables/data/CCEL"
#define AAEL_DEFAULT_PATH "/run/attestation-agent/eventlog"

struct tdx_attester {
	attest_attester base;
	char root[PATH_MAX - 128]; /* leaves room for the device paths */
	char *aael_path; /* NULL: $AAEL_PATH or root + default, at each call */
	const tsm_ops *tsm;
	void *tsm_ctx;
	const guest_dev_ops *dev;
	void *dev_ctx;
};

static const attest_attester_ops tdx_attester_ops;

static const guest_attester_opts no_opts;

int tdx_get_tdreport(const guest_attester_opts *o, const uint8_t *report_data, size_t len,
                     tdx_tdreport *ret, cc_error **err)
{
	if (o == NULL)
		o = &no_opts;
	if (len > 64 || (len > 0 && report_data == NULL))
		return cc_error_set(err, -EINVAL, "TDREPORT: report data is more than 64 bytes");
	const guest_dev_ops *dev = o->dev != NULL ? o->dev : &guest_dev_real_ops;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/dev/tdx_guest", o->root != NULL ? o->root : "");
	int fd = dev->open(o->dev_ctx, path);
	if (fd < 0)
		return cc_error_set(err, fd == -ENOENT ? -ENODEV : fd, "TDX: %s: %s", path,
		                    strerror(-fd));
	struct tdx_report_req *req = calloc(1, sizeof(*req));
	int r = req == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
	if (r == 0) {
		if (len > 0)
			memcpy(req->reportdata, report_data, len);
		int x = dev->ioctl(o->dev_ctx, fd, TDX_CMD_GET_REPORT0, req);
		if (x < 0)
			r = cc_error_set(err, x, "TDX_CMD_GET_REPORT0: %s", strerror(-x));
	}
	if (r == 0)
		r = tdx_tdreport_parse(req->tdreport, sizeof(req->tdreport), ret, err);
	if (r == 0 && memcmp(ret->report_data, req->reportdata, 64) != 0)
		r = cc_error_set(err, -EIO, "report_data mismatch: the TDREPORT does not carry the "
		                 "report data asked for");
	dev->close(o->dev_ctx, fd);
	free(req);
	return r;
}

/* A whole file, bounded; *ret NULL (return 0) when it does not exist. */
static int read_optional(const char *path, size_t max, const char *what, uint8_t **ret,
                         size_t *ret_len, cc_error **err)
{
	*ret = NULL;
	*ret_len = 0;
	int r = tsm_fs_ops.read(NULL, path, max, ret, ret_len);
	if (r == -ENOENT)
		return 0;
	if (r == -EFBIG)
		return cc_error_set(err, -E2BIG, "oversized: %s %s (more than %zu bytes)", what, path,
		                    max);
	if (r < 0)
		return cc_error_set(err, r, "reading %s %s: %s", what, path, strerror(-r));
	return 0;
}

static char *b64(const uint8_t *p, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* The quote through configfs-tsm, parsed and checked: a TD quote whose
 * report data is rd. */
static int get_quote(struct tdx_attester *t, const uint8_t rd[64], tsm_result *res,
                     cc_error **err)
{
	tsm_request rq = {.root = t->root, .provider = "tdx_guest", .privlevel = -1,
	                  .inblob = rd, .inblob_len = 64};
	int r = tsm_report_get(t->tsm, t->tsm_ctx, &rq, res, err);
	if (r < 0)
		return r;
	if (res->outblob_len > CC_TDX_MAX_QUOTE_BYTES)
		r = cc_error_set(err, -E2BIG, "oversized TDX quote: %zu bytes", res->outblob_len);
	dcap_quote q;
	if (r == 0)
		r = dcap_quote_parse(res->outblob, res->outblob_len, &q, err);
	if (r == 0 && q.tee_type != DCAP_TEE_TDX)
		r = cc_error_set(err, -EIO, "TDX quote: tee type 0x%x is not TDX", q.tee_type);
	if (r == 0 && memcmp(q.body + TDX_REPORT_DATA_OFF, rd, 64) != 0)
		r = cc_error_set(err, -EIO, "report_data mismatch: the TDX quote does not carry "
		                 "the report data asked for");
	if (r < 0) {
		tsm_result_clear(res);
		return cc_error_wrap(err, "TDX Attester: quote generation using TSM reports failed");
	}
	return 0;
}

static int eventlog_b64(struct tdx_attester *t, char **ret, cc_error **err)
{
	*ret = NULL;
	char ccel_path[PATH_MAX + 64], aael_path[PATH_MAX + 64];
	snprintf(ccel_path, sizeof(ccel_path), "%s%s", t->root, CCEL_PATH);
	const char *env = getenv("AAEL_PATH");
	if (t->aael_path != NULL)
		snprintf(aael_path, sizeof(aael_path), "%s", t->aael_path);
	else if (env != NULL && *env != 0)
		snprintf(aael_path, sizeof(aael_path), "%s", env);
	else
		snprintf(aael_path, sizeof(aael_path), "%s%s", t->root, AAEL_DEFAULT_PATH);
	uint8_t *ccel = NULL, *aael = NULL, *el = NULL;
	size_t ccel_len = 0, aael_len = 0, el_len = 0;
	int r = read_optional(ccel_path, CC_TDX_MAX_CCEL_BYTES, "CCEL", &ccel, &ccel_len, err);
	if (r == 0)
		r = read_optional(aael_path, CC_AAEL_MAX_FILE_BYTES, "AA event log", &aael,
		                  &aael_len, err);
	if (r == 0)
		r = tdx_cc_eventlog_build(ccel, ccel_len, aael, aael_len, &el, &el_len, err);
	if (r == 0 && el != NULL && (*ret = b64(el, el_len)) == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	free(ccel);
	free(aael);
	free(el);
	return r;
}

static int get_evidence(attest_attester *a, const uint8_t *report_data, size_t len,
                        char **ret_evidence, cc_error **err)
{
	struct tdx_attester *t = (struct tdx_attester *)a;
	if (a == NULL || a->ops != &tdx_attester_ops)
		return cc_error_set(err, -EINVAL, "not a tdx attester");
	if (len > 64 || (len > 0 && report_data == NULL))
		return cc_error_set(err, -EINVAL,
		                    "TDX Attester: Report data must be no more than 64 bytes");
	uint8_t rd[64] = {0};
	if (len > 0)
		memcpy(rd, report_data, len);
	tsm_result res;
	cc_error *terr = NULL;
	int r = get_quote(t, rd, &res, &terr);
	if (r == -ENODEV) {
		/* No configfs-tsm: the TDREPORT is all /dev/tdx_guest gives. */
		guest_attester_opts o = {.root = t->root, .dev = t->dev, .dev_ctx = t->dev_ctx};
		tdx_tdreport rep;
		cc_error *derr = NULL;
		int d = tdx_get_tdreport(&o, rd, 64, &rep, &derr);
		if (d == 0)
			r = cc_error_set(err, -ENOTSUP,
			                 "TDX quote: configfs-tsm is not available (%s) and /dev/tdx_guest "
			                 "gives only a TDREPORT; a quote from it needs the Quote "
			                 "Generation Service over vsock, which cocoon does not do",
			                 cc_error_message(terr));
		else
			r = cc_error_set(err, -ENODEV, "TDX quote: neither configfs-tsm (%s) nor "
			                 "/dev/tdx_guest (%s)", cc_error_message(terr),
			                 cc_error_message(derr));
		cc_error_free(derr);
	}
	cc_error_move(err, &terr);
	if (r < 0)
		return r;
	char *el = NULL, *quote = b64(res.outblob, res.outblob_len);
	r = quote == NULL ? cc_error_set(err, -ENOMEM, "out of memory") : 0;
	if (r == 0)
		r = eventlog_b64(t, &el, err);
	json_t *ev = NULL;
	if (r == 0)
		ev = json_pack("{s:o,s:s}", "cc_eventlog", el != NULL ? json_string(el) : json_null(),
		               "quote", quote);
	char *text = ev != NULL ? json_dumps(ev, JSON_COMPACT) : NULL;
	if (r == 0 && text == NULL)
		r = cc_error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		*ret_evidence = text;
	json_decref(ev);
	free(el);
	free(quote);
	tsm_result_clear(&res);
	return r;
}

static void attester_free(attest_attester *a)
{
	struct tdx_attester *t = (struct tdx_attester *)a;
	if (t == NULL)
		return;
	free(t->aael_path);
	free(t);
}

static const attest_attester_ops tdx_attester_ops = {
	.tee = "tdx",
	.get_evidence = get_evidence,
	.free = attester_free,
};

int tdx_attester_new(const guest_attester_opts *o, attest_attester **ret, cc_error **err)
{
	if (o == NULL)
		o = &no_opts;
	struct tdx_attester *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	int n = snprintf(t->root, sizeof(t->root), "%s", o->root != NULL ? o->root : "");
	if (n < 0 || (size_t)n >= sizeof(t->root)) {
		free(t);
		return cc_error_set(err, -ENAMETOOLONG, "tdx attester: root path too long");
	}
	if (o->aael_path != NULL && (t->aael_path = strdup(o->aael_path)) == NULL) {
		free(t);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	t->base.ops = &tdx_attester_ops;
	t->tsm = o->tsm;
	t->tsm_ctx = o->tsm_ctx;
	t->dev = o->dev != NULL ? o->dev : &guest_dev_real_ops;
	t->dev_ctx = o->dev_ctx;
	*ret = &t->base;
	return 0;
}
