/* Unit tests of the guest attesters (lib/attest/{tsm_report,snp_attester,
 * tdx_attester,snp_certtable,tdx_report,tdx_cceventlog}.c,
 * docs/attest-guest.md).
 *
 * There is no SNP or TDX hardware here: configfs-tsm is a scratch tree
 * whose "kernel" (guest_test_util.c) answers inblob writes with reports
 * signed by the tests' own AMD-like PKI (data/snp/testchain) or quotes
 * signed by keys made here (tdx_test_util.c); the ioctls go to a fake
 * device table. Every evidence is then checked by our verifier for its
 * TEE (round trip).
 *
 * argv: data/snp, data/eventlog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <linux/sev-guest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aael_writer.h"
#include "eventlog.h"
#include "guest_attest.h"
#include "guest_test_util.h"
#include "snp_int.h"
#include "tdx.h"
#include "tdx_test_util.h"

static const char *snp_dir, *evlog_dir;

static uint8_t *b64dec(const char *s, size_t *len)
{
	size_t n = strlen(s);
	uint8_t *out = malloc(n / 4 * 3 + 1);
	assert_non_null(out);
	int m = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	assert_true(m >= 0);
	size_t pad = n >= 2 && s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
	*len = (size_t)m - pad;
	return out;
}

/* ---- SNP: reports from the test PKI ----------------------------------- */

static uint8_t last_report[SNP_REPORT_SIZE];
static uint8_t test_host_data[32]; /* HOSTDATA of the reports made here */

static const uint8_t test_chip[64] = {
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c,
	0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
	0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
	0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73,
	0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f};

/* A Milan v3 report for rd at vmpl, with the chip and TCB the test VCEK
 * certifies (snp_make_chain.py), signed by the test VCEK's key. */
static void snp_make_report(const uint8_t rd[64], uint32_t vmpl, uint8_t out[SNP_REPORT_SIZE])
{
	snp_report *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->version = 3;
	r->policy = 0x30000;
	r->vmpl = vmpl;
	r->sig_algo = 1;
	r->plat_info = 1;
	r->has_cpuid = true;
	r->cpuid_fam_id = 0x19;
	r->cpuid_mod_id = 0x01;
	snp_tcb t = {.bootloader = 3, .tee = 0, .snp = 8, .microcode = 115};
	r->current_tcb = r->reported_tcb = r->committed_tcb = r->launch_tcb = t;
	memcpy(r->chip_id, test_chip, 64);
	memcpy(r->report_data, rd, 64);
	memcpy(r->host_data, test_host_data, 32);
	for (size_t i = 0; i < 48; i++)
		r->measurement[i] = (uint8_t)(0x30 + i);
	r->current_major = 1;
	r->current_minor = 55;
	assert_int_equal(snp_report_encode(r, NULL), 0);
	size_t kl;
	uint8_t *pem = gt_read(snp_dir, "/testchain/milan_vcek_key.pem", &kl);
	assert_non_null(pem);
	BIO *b = BIO_new_mem_buf(pem, (int)kl);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	assert_non_null(key);
	BIO_free(b);
	free(pem);
	unsigned char der[160];
	size_t der_len = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, der, &der_len, r->raw, SNP_SIGNED_SIZE), 1);
	const unsigned char *q = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)der_len);
	assert_non_null(sig);
	BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), r->sig_r, 72);
	BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), r->sig_s, 72);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	assert_int_equal(snp_report_encode(r, NULL), 0);
	memcpy(out, r->raw, SNP_REPORT_SIZE);
	memcpy(last_report, r->raw, SNP_REPORT_SIZE);
	free(r);
}

static void guid_bytes(const char *s, uint8_t out[16])
{
	char hex[33];
	size_t o = 0;
	for (; *s && o < 32; s++)
		if (*s != '-')
			hex[o++] = *s;
	hex[o] = 0;
	assert_int_equal(o, 32);
	gt_unhex(hex, out, 16);
}

typedef struct cert_in {
	const char *guid;
	const uint8_t *data;
	size_t len;
} cert_in;

/* A GHCB certificate table of n entries, padded to at least min bytes. */
static uint8_t *make_table(const cert_in *c, size_t n, size_t min, size_t *ret_len)
{
	size_t len = (n + 1) * 24;
	for (size_t i = 0; i < n; i++)
		len += c[i].len;
	size_t cap = len > min ? len : min;
	uint8_t *t = calloc(1, cap);
	assert_non_null(t);
	size_t off = (n + 1) * 24;
	for (size_t i = 0; i < n; i++) {
		guid_bytes(c[i].guid, t + 24 * i);
		for (int b = 0; b < 4; b++) {
			t[24 * i + 16 + b] = (uint8_t)(off >> (8 * b));
			t[24 * i + 20 + b] = (uint8_t)(c[i].len >> (8 * b));
		}
		memcpy(t + off, c[i].data, c[i].len);
		off += c[i].len;
	}
	*ret_len = cap;
	return t;
}

#define VCEK_GUID "63da758d-e664-4564-adc5-f4b93be8accd"
#define ASK_GUID "4ab7b379-bbac-4fe4-a02f-05aef327c782"
#define ARK_GUID "c0b406a4-a803-4952-9743-3fb6014cd0ae"

/* The test VCEK, ASK, ARK (DER) as a host would give them. */
static uint8_t *milan_table(size_t min, size_t *len)
{
	size_t vl, pl;
	uint8_t *vcek = gt_read(snp_dir, "/testchain/milan_vcek.der", &vl);
	uint8_t *pem = gt_read(snp_dir, "/testchain/milan_ask_ark.pem", &pl);
	assert_non_null(vcek);
	assert_non_null(pem);
	BIO *b = BIO_new_mem_buf(pem, (int)pl);
	X509 *ask = PEM_read_bio_X509(b, NULL, NULL, NULL);
	X509 *ark = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_non_null(ask);
	assert_non_null(ark);
	BIO_free(b);
	unsigned char *ask_der = NULL, *ark_der = NULL;
	int al = i2d_X509(ask, &ask_der), rl = i2d_X509(ark, &ark_der);
	assert_true(al > 0 && rl > 0);
	cert_in c[3] = {{VCEK_GUID, vcek, vl},
	                {ASK_GUID, ask_der, (size_t)al},
	                {ARK_GUID, ark_der, (size_t)rl}};
	uint8_t *t = make_table(c, 3, min, len);
	OPENSSL_free(ask_der);
	OPENSSL_free(ark_der);
	X509_free(ask);
	X509_free(ark);
	free(vcek);
	free(pem);
	return t;
}

static void snp_answer(gt_kernel *k, const uint8_t *in, size_t len, uint8_t **out,
                       size_t *out_len, uint8_t **aux, size_t *aux_len)
{
	uint8_t rd[64] = {0};
	memcpy(rd, in, len > 64 ? 64 : len);
	*out = malloc(SNP_REPORT_SIZE);
	assert_non_null(*out);
	snp_make_report(rd, (uint32_t)(k->privlevel < 0 ? 0 : k->privlevel), *out);
	*out_len = SNP_REPORT_SIZE;
	*aux = milan_table(0, aux_len);
}

/* A verifier trusting the test Milan roots; vcek_file for evidence
 * without a certificate table. */
static attest_verifier *snp_test_verifier(const char *vcek_file)
{
	attest_verifier_opts o = {.vcek = vcek_file};
	attest_verifier *v = NULL;
	cc_error *err = NULL;
	if (snp_verifier_new(&o, &v, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	size_t l;
	uint8_t *pem = gt_read(snp_dir, "/testchain/milan_ask_ark_asvk.pem", &l);
	assert_non_null(pem);
	assert_int_equal(snp_verifier_set_roots(v, SNP_MILAN, (const char *)pem, NULL), 0);
	free(pem);
	return v;
}

/* The evidence verifies with rd, gives the same claims as the raw report
 * (last_report) verified with the VCEK, and refuses another rd. */
static void snp_round_trip(const char *text, const uint8_t *rd, size_t rd_len,
                           const char *vcek_file)
{
	json_error_t je;
	json_t *ev = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	assert_non_null(ev);
	/* member order as serde writes SnpEvidence */
	void *it = json_object_iter(ev);
	assert_string_equal(json_object_iter_key(it), "attestation_report");
	assert_string_equal(json_object_iter_key(json_object_iter_next(ev, it)), "cert_chain");
	attest_verifier *v = snp_test_verifier(vcek_file);
	json_t *claims = NULL, *want = NULL;
	cc_error *err = NULL;
	if (attest_verifier_evaluate(v, ev, rd, rd_len, NULL, 0, &claims, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	size_t vl;
	uint8_t *vcek = gt_read(snp_dir, "/testchain/milan_vcek.der", &vl);
	if (snp_verify_report(v, last_report, SNP_REPORT_SIZE, vcek, vl, rd, rd_len, &want, &err) <
	    0)
		fail_msg("%s", cc_error_message(err));
	assert_true(json_equal(claims, want));
	json_decref(claims);
	json_decref(want);
	uint8_t other[48];
	memset(other, 0xEE, sizeof(other));
	gt_assert_prefix(attest_verifier_evaluate(v, ev, other, sizeof(other), NULL, 0, &claims, &err),
	              &err, "report_data mismatch");
	free(vcek);
	attest_verifier_free(v);
	json_decref(ev);
}

static const uint8_t rd48[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
                                 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48};

static void test_snp_tsm(void **state)
{
	(void)state;
	char *root = gt_tmpdir();
	gt_mkdirs(root, TSM_REPORT_DIR);
	gt_kernel k = {.provider = "sev_guest", .answer = snp_answer, .privlevel = -1};
	guest_attester_opts o = {.root = root, .tsm = &gt_tsm_ops, .tsm_ctx = &k};
	attest_attester *a = NULL;
	cc_error *err = NULL;
	assert_int_equal(snp_attester_new(&o, &a, &err), 0);
	assert_string_equal(attest_attester_tee(a), "snp");
	char *text = NULL;
	if (attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	assert_int_equal(k.mkdirs, 1);
	assert_int_equal(k.rmdirs, 1);
	assert_int_equal(k.inblob_writes, 1);
	assert_int_equal(k.privlevel, 0);
	json_t *ev = json_loads(text, 0, NULL);
	json_t *chain = json_object_get(ev, "cert_chain");
	assert_int_equal(json_array_size(chain), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(chain, 0), "cert_type")),
	                    "VCEK");
	assert_string_equal(json_string_value(json_object_get(json_array_get(chain, 2), "cert_type")),
	                    "ARK");
	json_decref(ev);
	snp_round_trip(text, rd48, sizeof(rd48), NULL);
	free(text);

	/* another writer on our entry once: retried; every time: refused */
	k.race = 1;
	k.inblob_writes = 0;
	assert_int_equal(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), 0);
	assert_int_equal(k.inblob_writes, 2);
	free(text);
	k.race = 100;
	gt_assert_prefix(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	              "configfs-tsm: generation");
	k.race = 0;
	/* report data over 64 bytes */
	uint8_t big[65] = {0};
	gt_assert_prefix(attest_attester_get_evidence(a, big, sizeof(big), &text, &err), &err,
	              "SNP Attester: Report data must be no more than 64 bytes");
	attest_attester_free(a);
	/* VMPL 2 is written to privlevel and checked in the report */
	o.vmpl = 2;
	assert_int_equal(snp_attester_new(&o, &a, &err), 0);
	assert_int_equal(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), 0);
	assert_int_equal(k.privlevel, 2);
	free(text);
	/* under an SVSM the floor is 2: VMPL 0 is refused, and said why */
	k.floor = 2;
	assert_int_equal(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), 0);
	free(text);
	attest_attester_free(a);
	o.vmpl = 0;
	assert_int_equal(snp_attester_new(&o, &a, &err), 0);
	gt_assert_prefix(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	              "configfs-tsm: privlevel 0 is below privlevel_floor 2");
	k.floor = 0;
	attest_attester_free(a);
	/* every entry removed */
	assert_int_equal(k.mkdirs, k.rmdirs);
	gt_rm_rf(root);
	free(root);
}

/* A kernel answering another rd than asked: refused before sending. */
static void bad_answer(gt_kernel *k, const uint8_t *in, size_t len, uint8_t **out,
                       size_t *out_len, uint8_t **aux, size_t *aux_len)
{
	(void)in;
	(void)len;
	uint8_t rd[64];
	memset(rd, 0x55, 64);
	*out = malloc(SNP_REPORT_SIZE);
	snp_make_report(rd, (uint32_t)(k->privlevel < 0 ? 0 : k->privlevel), *out);
	*out_len = SNP_REPORT_SIZE;
	*aux = NULL;
	*aux_len = 0;
}

static void test_snp_tsm_refusals(void **state)
{
	(void)state;
	char *root = gt_tmpdir();
	gt_mkdirs(root, TSM_REPORT_DIR);
	gt_kernel k = {.provider = "sev_guest", .answer = bad_answer, .privlevel = -1};
	guest_attester_opts o = {.root = root, .tsm = &gt_tsm_ops, .tsm_ctx = &k};
	attest_attester *a = NULL;
	cc_error *err = NULL;
	char *text = NULL;
	assert_int_equal(snp_attester_new(&o, &a, &err), 0);
	gt_assert_prefix(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	              "report_data mismatch");
	/* another provider: configfs-tsm is not for us, and no /dev/sev-guest */
	k.provider = "tdx_guest";
	gt_assert_contains(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	                "/dev/sev-guest");
	assert_int_equal(k.mkdirs, k.rmdirs);
	attest_attester_free(a);
	/* the generic report call names the provider */
	tsm_request rq = {.root = root, .provider = "tdx_guest", .privlevel = -1, .inblob = rd48,
	                  .inblob_len = 48};
	tsm_result res;
	k.provider = "sev_guest";
	gt_assert_prefix(tsm_report_get(&gt_tsm_ops, &k, &rq, &res, &err), &err,
	              "configfs-tsm: provider is 'sev_guest', not 'tdx_guest'");
	rq.inblob_len = 0;
	gt_assert_prefix(tsm_report_get(&gt_tsm_ops, &k, &rq, &res, &err), &err,
	              "configfs-tsm: inblob must be 1 to 64 bytes");
	gt_rm_rf(root);
	free(root);
	/* no configfs-tsm at all */
	rq.inblob_len = 48;
	rq.root = "/nonexistent-cocoon-root";
	gt_assert_prefix(tsm_report_get(NULL, NULL, &rq, &res, &err), &err, "configfs-tsm: ");
}

/* ---- SNP: /dev/sev-guest ---------------------------------------------- */

typedef struct fake_dev {
	bool sev, tdx;          /* which nodes exist */
	size_t need;            /* certificate buffer the host needs */
	bool no_ext;            /* the kernel has no SNP_GET_EXT_REPORT */
	uint32_t status;        /* firmware status in the answer */
	const uint8_t *report;  /* this report instead of one made here */
	const uint8_t *table;   /* this certificate table instead of milan_table() */
	size_t table_len;
	unsigned ext_calls, plain_calls, opens, closes;
	uint8_t tdreport[TDX_TDREPORT_SIZE];
} fake_dev;

static int fd_open(void *ctx, const char *path)
{
	fake_dev *d = ctx;
	size_t n = strlen(path);
	bool sev = n >= 14 && strcmp(path + n - 14, "/dev/sev-guest") == 0;
	bool tdx = n >= 14 && strcmp(path + n - 14, "/dev/tdx_guest") == 0;
	if ((sev && d->sev) || (tdx && d->tdx)) {
		d->opens++;
		return 7;
	}
	return -ENOENT;
}

static void snp_rsp(fake_dev *d, const struct snp_report_req *req, uint64_t resp)
{
	struct snp_report_resp *rsp = (struct snp_report_resp *)(uintptr_t)resp;
	uint32_t size = SNP_REPORT_SIZE;
	memset(rsp, 0, sizeof(*rsp));
	memcpy(rsp->data, &d->status, 4);
	memcpy(rsp->data + 4, &size, 4);
	if (d->report != NULL)
		memcpy(rsp->data + 0x20, d->report, SNP_REPORT_SIZE);
	else
		snp_make_report(req->user_data, req->vmpl, rsp->data + 0x20);
}

static int fd_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	fake_dev *d = ctx;
	assert_int_equal(fd, 7);
	if (req == SNP_GET_EXT_REPORT) {
		struct snp_guest_request_ioctl *g = arg;
		assert_int_equal(g->msg_version, 1);
		d->ext_calls++;
		if (d->no_ext)
			return -ENOTTY;
		struct snp_ext_report_req *x = (struct snp_ext_report_req *)(uintptr_t)g->req_data;
		if (x->certs_len < d->need) {
			x->certs_len = (uint32_t)d->need;
			g->exitinfo2 = (uint64_t)SNP_GUEST_VMM_ERR_INVALID_LEN << 32;
			return -EIO;
		}
		size_t tl = d->table_len;
		uint8_t *t = d->table != NULL ? NULL : milan_table(0, &tl);
		assert_true(tl <= x->certs_len);
		memcpy((void *)(uintptr_t)x->certs_address, t != NULL ? t : d->table, tl);
		free(t);
		snp_rsp(d, &x->data, g->resp_data);
		return 0;
	}
	if (req == SNP_GET_REPORT) {
		struct snp_guest_request_ioctl *g = arg;
		d->plain_calls++;
		snp_rsp(d, (const struct snp_report_req *)(uintptr_t)g->req_data, g->resp_data);
		return 0;
	}
	if (req == TDX_CMD_GET_REPORT0) {
		struct tdx_report_req *t = arg;
		memcpy(t->tdreport, d->tdreport, TDX_TDREPORT_SIZE);
		memcpy(t->tdreport + 128, t->reportdata, 64);
		return 0;
	}
	return -ENOTTY;
}

static void fd_close(void *ctx, int fd)
{
	fake_dev *d = ctx;
	assert_int_equal(fd, 7);
	d->closes++;
}

static const guest_dev_ops fake_dev_ops = {fd_open, fd_ioctl, fd_close};

static void test_snp_ioctl(void **state)
{
	(void)state;
	char *root = gt_tmpdir(); /* no configfs-tsm in it */
	fake_dev d = {.sev = true, .need = 5 * 4096};
	guest_attester_opts o = {.root = root, .dev = &fake_dev_ops, .dev_ctx = &d};
	attest_attester *a = NULL;
	cc_error *err = NULL;
	char *text = NULL;
	assert_int_equal(snp_attester_new(&o, &a, &err), 0);
	/* the host's certificates need 5 pages: asked again with its size */
	if (attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	assert_int_equal(d.ext_calls, 2);
	assert_int_equal(d.opens, d.closes);
	snp_round_trip(text, rd48, sizeof(rd48), NULL);
	free(text);
	/* a host asking for more than the cap */
	d.need = 1u << 20;
	gt_assert_prefix(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	              "oversized: SNP certificate buffer");
	/* a firmware error status */
	d.need = 0;
	d.status = 0x16;
	gt_assert_prefix(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	              "SNP report: firmware status 0x16");
	/* no extended requests: SNP_GET_REPORT, cert_chain null, the VCEK
	 * given to the verifier */
	d.status = 0;
	d.no_ext = true;
	assert_int_equal(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), 0);
	assert_int_equal(d.plain_calls, 1);
	json_t *ev = json_loads(text, 0, NULL);
	assert_true(json_is_null(json_object_get(ev, "cert_chain")));
	json_decref(ev);
	char vcek[PATH_MAX];
	snprintf(vcek, sizeof(vcek), "%s/testchain/milan_vcek.der", snp_dir);
	snp_round_trip(text, rd48, sizeof(rd48), vcek);
	free(text);
	/* no device */
	d.sev = false;
	gt_assert_contains(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	                "/dev/sev-guest");
	attest_attester_free(a);
	gt_rm_rf(root);
	free(root);
}

/* guest-components' own SNP evidence (Trustee's Genoa vector, made by the
 * snp attester with the sev crate): the same report and certificate
 * table through our attester give the same JSON, member for member and in
 * the same order; the sev crate version we follow (6.3) adds
 * launch_mit_vector and current_mit_vector, null for a v3 report. */
static void test_snp_upstream_vector(void **state)
{
	(void)state;
	size_t vl;
	uint8_t *vtext = gt_read(snp_dir, "/evidence-genoa.json", &vl);
	assert_non_null(vtext);
	json_t *vec = json_loads((const char *)vtext, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(vec);
	snp_evidence *e = NULL;
	assert_int_equal(snp_evidence_parse(vec, &e, NULL), 0);
	assert_int_equal(e->n_certs, 1);
	size_t tl;
	uint8_t *table = make_table(&(cert_in){VCEK_GUID, e->certs[0].data, e->certs[0].len}, 1, 0,
	                            &tl);
	fake_dev d = {.sev = true, .report = e->report.raw, .table = table, .table_len = tl};
	char *root = gt_tmpdir();
	guest_attester_opts o = {.root = root, .dev = &fake_dev_ops, .dev_ctx = &d};
	attest_attester *a = NULL;
	char *text = NULL;
	cc_error *err = NULL;
	assert_int_equal(snp_attester_new(&o, &a, &err), 0);
	if (attest_attester_get_evidence(a, e->report.report_data, 64, &text, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	json_t *ours = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(ours);
	json_t *rep = json_object_get(ours, "attestation_report");
	assert_true(json_is_null(json_object_get(rep, "launch_mit_vector")));
	assert_true(json_is_null(json_object_get(rep, "current_mit_vector")));
	json_object_del(rep, "launch_mit_vector");
	json_object_del(rep, "current_mit_vector");
	char *a1 = json_dumps(ours, JSON_COMPACT), *a2 = json_dumps(vec, JSON_COMPACT);
	assert_string_equal(a1, a2);
	/* and the file itself is serde's compact text */
	while (vl > 0 && (vtext[vl - 1] == '\n' || vtext[vl - 1] == ' '))
		vtext[--vl] = 0;
	assert_string_equal(a1, (const char *)vtext);
	free(a1);
	free(a2);
	json_decref(ours);
	free(text);
	attest_attester_free(a);
	json_decref(vec);
	snp_evidence_free(e);
	free(table);
	free(vtext);
	gt_rm_rf(root);
	free(root);
}

/* ---- the certificate table parser ------------------------------------ */

static void put32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_certtable(void **state)
{
	(void)state;
	static const uint8_t one[3] = {1, 2, 3};
	cert_in c[2] = {{VCEK_GUID, one, 3}, {"11111111-2222-3333-4444-555555555555", one, 2}};
	size_t len;
	uint8_t *t = make_table(c, 2, 0, &len);
	json_t *j = NULL;
	cc_error *err = NULL;
	assert_int_equal(snp_certtable_to_json(t, len, &j, &err), 0);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "[{\"cert_type\":\"VCEK\",\"data\":[1,2,3]},"
	                       "{\"cert_type\":{\"OTHER\":\"11111111-2222-3333-4444-555555555555\"},"
	                       "\"data\":[1,2]}]");
	free(s);
	json_decref(j);
	/* an empty table is the sev crate's None */
	uint8_t zero[24] = {0};
	assert_int_equal(snp_certtable_to_json(zero, 24, &j, &err), 0);
	assert_true(json_is_null(j));
	/* no terminator */
	gt_assert_prefix(snp_certtable_to_json(t, 48, &j, &err), &err, "truncated: SNP certificate table");
	gt_assert_prefix(snp_certtable_to_json(zero, 23, &j, &err), &err, "truncated");
	/* past the buffer */
	gt_assert_prefix(snp_certtable_to_json(t, len - 1, &j, &err), &err, "truncated: SNP certificate "
	              "table entry 1");
	/* pointing into the table */
	uint8_t *m = malloc(len);
	memcpy(m, t, len);
	put32le(m + 16, 10);
	gt_assert_contains(snp_certtable_to_json(m, len, &j, &err), &err, "overlaps the table");
	/* zero length, huge length, offset overflow */
	memcpy(m, t, len);
	put32le(m + 20, 0);
	gt_assert_contains(snp_certtable_to_json(m, len, &j, &err), &err, "is 0 bytes");
	memcpy(m, t, len);
	put32le(m + 20, 0xFFFFFFFFu);
	gt_assert_prefix(snp_certtable_to_json(m, len, &j, &err), &err, "oversized");
	memcpy(m, t, len);
	put32le(m + 16, 0xFFFFFFF0u);
	gt_assert_prefix(snp_certtable_to_json(m, len, &j, &err), &err, "truncated");
	/* the same GUID twice */
	memcpy(m, t, len);
	memcpy(m + 24, m, 16);
	gt_assert_contains(snp_certtable_to_json(m, len, &j, &err), &err, "appears twice");
	free(m);
	free(t);
	/* too many entries */
	cert_in many[17];
	char guids[17][37];
	for (size_t i = 0; i < 17; i++) {
		snprintf(guids[i], sizeof(guids[i]), "%08zx-0000-0000-0000-000000000001", i + 1);
		many[i] = (cert_in){guids[i], one, 1};
	}
	t = make_table(many, 17, 0, &len);
	gt_assert_prefix(snp_certtable_to_json(t, len, &j, &err), &err, "oversized: SNP certificate "
	              "table has more than 16 entries");
	free(t);
	t = make_table(many, 16, 0, &len);
	assert_int_equal(snp_certtable_to_json(t, len, &j, &err), 0);
	assert_int_equal(json_array_size(j), 16);
	json_decref(j);
	free(t);
}

/* ---- TDX ------------------------------------------------------------- */

static tdx_test_keys *keys;
static uint8_t want_rtmr[4][48];

static void tdx_answer(gt_kernel *k, const uint8_t *in, size_t len, uint8_t **out,
                       size_t *out_len, uint8_t **aux, size_t *aux_len)
{
	(void)k;
	uint8_t *q = tdx_test_quote(keys, 4, 0, NULL, 0, out_len);
	dcap_quote dq;
	assert_int_equal(dcap_quote_parse(q, *out_len, &dq, NULL), 0);
	uint8_t *body = (uint8_t *)dq.body;
	memset(body + TDX_REPORT_DATA_OFF, 0, 64);
	memcpy(body + TDX_REPORT_DATA_OFF, in, len);
	memcpy(body + TDX_RTMR0_OFF, want_rtmr, sizeof(want_rtmr));
	tdx_test_sign(keys->att, q, dq.signed_len, (uint8_t *)dq.signature);
	*out = q;
	*aux = NULL;
	*aux_len = 0;
}

/* SHA-384 extends of the RTMRs the cc_eventlog el replays to. */
static void replay_into_want(const uint8_t *el, size_t len)
{
	eventlog *l = NULL;
	cc_error *err = NULL;
	if (eventlog_parse(el, len, EVENTLOG_CCEL, &l, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(eventlog_replay(l, EVENTLOG_ALG_SHA384, i, want_rtmr[i], NULL, NULL),
		                 0);
	eventlog_free(l);
}

/* get_evidence on root; the quote's signatures, report data and (with an
 * event log) the RTMR replay pass our verifier's quote-side checks. */
static void tdx_round_trip(const char *root, gt_kernel *k, const uint8_t *want_el,
                           size_t want_el_len)
{
	guest_attester_opts o = {.root = root, .tsm = &gt_tsm_ops, .tsm_ctx = k};
	attest_attester *a = NULL;
	cc_error *err = NULL;
	char *text = NULL;
	assert_int_equal(tdx_attester_new(&o, &a, &err), 0);
	assert_string_equal(attest_attester_tee(a), "tdx");
	if (attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	attest_attester_free(a);
	json_t *ev = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(ev);
	void *it = json_object_iter(ev);
	assert_string_equal(json_object_iter_key(it), "cc_eventlog");
	assert_string_equal(json_object_iter_key(json_object_iter_next(ev, it)), "quote");
	size_t ql;
	uint8_t *q = b64dec(json_string_value(json_object_get(ev, "quote")), &ql);
	dcap_quote dq;
	assert_int_equal(dcap_quote_parse(q, ql, &dq, &err), 0);
	assert_int_equal(dcap_quote_check_signatures(&dq, &err), 0);
	assert_memory_equal(dq.body + TDX_REPORT_DATA_OFF, rd48, 48);
	json_t *el = json_object_get(ev, "cc_eventlog");
	if (want_el == NULL) {
		assert_true(json_is_null(el));
	} else {
		size_t l;
		uint8_t *got = b64dec(json_string_value(el), &l);
		assert_int_equal(l, want_el_len);
		assert_memory_equal(got, want_el, l);
		json_t *claims = json_object();
		if (tdx_ccel_check(&dq, got, l, claims, &err) < 0)
			fail_msg("%s", cc_error_message(err));
		assert_non_null(json_object_get(claims, "uefi_event_logs"));
		json_decref(claims);
		free(got);
	}
	free(q);
	json_decref(ev);
	free(text);
}

/* Two AAEL records (TDX: MR 4, SHA-384) as the writer makes them. */
static uint8_t *two_records(size_t *len)
{
	static const char *const ev[2] = {"github.com/confidential-containers PullImage "
	                                  "{\"image\":\"a\",\"digest\":\"b\"}",
	                                  "domain operation content"};
	uint8_t *out = NULL;
	*len = 0;
	for (int i = 0; i < 2; i++) {
		uint8_t *rec, dg[64];
		size_t rl;
		assert_int_equal(aael_entry_encode(0x000C, 4, ev[i], strlen(ev[i]), &rec, &rl, dg, NULL),
		                 0);
		out = realloc(out, *len + rl);
		memcpy(out + *len, rec, rl);
		*len += rl;
		free(rec);
	}
	return out;
}

static void test_tdx_tsm(void **state)
{
	(void)state;
	keys = tdx_test_keys_new();
	char *root = gt_tmpdir();
	gt_mkdirs(root, TSM_REPORT_DIR);
	gt_kernel k = {.provider = "tdx_guest", .answer = tdx_answer, .privlevel = -1};
	/* no CCEL, no AAEL: cc_eventlog null */
	memset(want_rtmr, 0, sizeof(want_rtmr));
	tdx_round_trip(root, &k, NULL, 0);
	assert_int_equal(k.privlevel, -1); /* TDX writes no privlevel */

	/* an AAEL alone: the fixed header, the records, 8 x 0xFF */
	size_t al;
	uint8_t *aael = two_records(&al);
	gt_write(root, "/run/attestation-agent/eventlog", aael, al);
	uint8_t *el;
	size_t el_len;
	assert_int_equal(tdx_cc_eventlog_build(NULL, 0, aael, al, &el, &el_len, NULL), 0);
	assert_int_equal(el_len, 73 + al + 8);
	replay_into_want(el, el_len);
	uint8_t zero[48] = {0};
	assert_memory_equal(want_rtmr[0], zero, 48);
	assert_memory_not_equal(want_rtmr[3], zero, 48);
	tdx_round_trip(root, &k, el, el_len);
	free(el);

	/* a CCEL (Trustee's OVMF vector, trimmed at its end marker) and the AAEL */
	size_t cl;
	uint8_t *ccel = gt_read(evlog_dir, "/CCEL_data", &cl);
	assert_non_null(ccel);
	gt_write(root, "/sys/firmware/acpi/tables/data/CCEL", ccel, cl);
	assert_int_equal(tdx_cc_eventlog_build(ccel, cl, aael, al, &el, &el_len, NULL), 0);
	assert_true(el_len < cl + al + 8);
	assert_memory_equal(el + el_len - 8 - al, aael, al);
	replay_into_want(el, el_len);
	tdx_round_trip(root, &k, el, el_len);
	free(el);
	/* a CCEL without its end marker is refused, as upstream's trim_ccel */
	cc_error *err = NULL;
	gt_assert_prefix(tdx_cc_eventlog_build(ccel, 100, NULL, 0, &el, &el_len, &err), &err,
	              "truncated CCEL");
	free(ccel);
	free(aael);
	gt_rm_rf(root);
	free(root);
	tdx_test_keys_free(keys);
}

static void test_tdx_legacy(void **state)
{
	(void)state;
	char *root = gt_tmpdir(); /* no configfs-tsm */
	fake_dev d = {.tdx = true};
	d.tdreport[0] = 0x81;
	for (size_t i = 0; i < 48; i++)
		d.tdreport[576 + i] = (uint8_t)(0xC0 + i); /* MRCONFIGID */
	guest_attester_opts o = {.root = root, .dev = &fake_dev_ops, .dev_ctx = &d};
	attest_attester *a = NULL;
	cc_error *err = NULL;
	char *text = NULL;
	assert_int_equal(tdx_attester_new(&o, &a, &err), 0);
	gt_assert_contains(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	                "Quote Generation Service over vsock");
	tdx_tdreport rep;
	assert_int_equal(tdx_get_tdreport(&o, rd48, sizeof(rd48), &rep, &err), 0);
	assert_memory_equal(rep.report_data, rd48, 48);
	assert_int_equal(rep.mrconfigid[0], 0xC0);
	assert_int_equal(d.opens, d.closes);
	d.tdreport[0] = 0x00;
	gt_assert_prefix(tdx_get_tdreport(&o, rd48, sizeof(rd48), &rep, &err), &err,
	              "TDREPORT: report type 0x00");
	d.tdx = false;
	gt_assert_prefix(attest_attester_get_evidence(a, rd48, sizeof(rd48), &text, &err), &err,
	              "TDX quote: neither configfs-tsm");
	attest_attester_free(a);
	uint8_t buf[TDX_TDREPORT_SIZE + 1] = {0x81};
	gt_assert_prefix(tdx_tdreport_parse(buf, TDX_TDREPORT_SIZE - 1, &rep, &err), &err,
	              "truncated TDREPORT");
	gt_assert_prefix(tdx_tdreport_parse(buf, TDX_TDREPORT_SIZE + 1, &rep, &err), &err,
	              "oversized TDREPORT");
	gt_rm_rf(root);
	free(root);
}

/* Init-data binding: HOSTDATA, MRCONFIGID (sysfs, then the TDREPORT), the
 * TPM's digest size, the TEEs without a binding. */
static void test_bind_init_data(void **state)
{
	(void)state;
	uint8_t digest[48];
	for (size_t i = 0; i < 48; i++)
		digest[i] = (uint8_t)(0x90 + i);
	char *root = gt_tmpdir();
	fake_dev d = {.sev = true, .tdx = true};
	guest_attester_opts o = {.root = root, .dev = &fake_dev_ops, .dev_ctx = &d};
	cc_error *err = NULL;
	/* SNP: the sha384 digest cut to 32 bytes is HOSTDATA */
	memcpy(test_host_data, digest, 32);
	assert_int_equal(guest_bind_init_data("snp", &o, NULL, digest, 48, &err), 0);
	test_host_data[31] ^= 1;
	gt_assert_prefix(guest_bind_init_data("snp", &o, NULL, digest, 48, &err), &err,
	              "init_data mismatch: HOSTDATA is ");
	memset(test_host_data, 0, 32);
	/* TDX: MRCONFIGID from the TDREPORT */
	d.tdreport[0] = 0x81;
	memcpy(d.tdreport + 576, digest, 48);
	assert_int_equal(guest_bind_init_data("tdx", &o, NULL, digest, 48, &err), 0);
	/* a sha256 digest is zero-padded */
	memset(d.tdreport + 576 + 32, 0, 16);
	assert_int_equal(guest_bind_init_data("tdx", &o, NULL, digest, 32, &err), 0);
	gt_assert_prefix(guest_bind_init_data("tdx", &o, NULL, digest, 48, &err), &err,
	              "init_data mismatch: MRCONFIGID");
	/* the kernel's sysfs file wins over the TDREPORT */
	memcpy(d.tdreport + 576, digest, 48);
	uint8_t other[48] = {1};
	gt_write(root, "/sys/devices/virtual/misc/tdx_guest/measurements/mrconfigid", other, 48);
	gt_assert_prefix(guest_bind_init_data("tdx", &o, NULL, digest, 48, &err), &err,
	              "init_data mismatch: MRCONFIGID is 0100");
	/* TPM: SHA-256 only */
	gt_assert_prefix(guest_bind_init_data("tpm", &o, NULL, digest, 48, &err), &err,
	              "init_data: a 48-byte digest cannot extend the SHA-256 PCR 8");
	/* no binding: upstream's Unsupported */
	assert_int_equal(guest_bind_init_data("sample", &o, NULL, digest, 48, &err), 1);
	assert_int_equal(guest_bind_init_data("cca", &o, NULL, digest, 48, &err), 1);
	gt_rm_rf(root);
	free(root);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s SNP_DATA_DIR EVENTLOG_DATA_DIR\n", argv[0]);
		return 2;
	}
	snp_dir = argv[1];
	evlog_dir = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_tsm),
		cmocka_unit_test(test_snp_tsm_refusals),
		cmocka_unit_test(test_snp_ioctl),
		cmocka_unit_test(test_snp_upstream_vector),
		cmocka_unit_test(test_certtable),
		cmocka_unit_test(test_tdx_tsm),
		cmocka_unit_test(test_tdx_legacy),
		cmocka_unit_test(test_bind_init_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
