/* Unit tests of the AA event log writer (lib/attest/aael_writer.c,
 * aael_rtmr.c) and of platform detection (platform.c),
 * docs/attest-guest.md.
 *
 * The writer runs on a register kept in memory (and once on the TDX sysfs
 * files of a scratch tree); crashes are made by leaving the files as a
 * crash at each step would. Its output is read back by our event log
 * parser (eventlog.h, AAEL and CCEL forms) and compared with
 * guest-components' vector (data/guest/aael_tcg2_entry.json).
 *
 * argv: data/guest, data/az. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aael_writer.h"
#include "eventlog.h"
#include "guest_attest.h"
#include "guest_test_util.h"
#include "platform.h"

static const char *guest_dir, *az_dir;

static void unhex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(s), 2 * n);
	gt_unhex(s, out, n);
}

/* ---- a register in memory -------------------------------------------- */

typedef struct mem_reg {
	uint8_t v[32][48];
	unsigned extends;
	int fail;       /* extend: 1 fails before, 2 fails after extending */
} mem_reg;

static int mr_read(void *ctx, unsigned pcr, uint8_t *out, size_t len, cc_error **err)
{
	mem_reg *m = ctx;
	assert_int_equal(len, 48);
	assert_true(pcr < 32);
	memcpy(out, m->v[pcr], 48);
	(void)err;
	return 0;
}

static void sha384_extend(uint8_t reg[48], const uint8_t *d)
{
	uint8_t buf[96];
	memcpy(buf, reg, 48);
	memcpy(buf + 48, d, 48);
	unsigned int n;
	EVP_Digest(buf, 96, reg, &n, EVP_sha384(), NULL);
}

static int mr_extend(void *ctx, unsigned pcr, const uint8_t *d, size_t len, cc_error **err)
{
	mem_reg *m = ctx;
	assert_int_equal(len, 48);
	if (m->fail == 1)
		return cc_error_set(err, -EIO, "test: extend failed");
	sha384_extend(m->v[pcr], d);
	m->extends++;
	if (m->fail == 2)
		return cc_error_set(err, -EIO, "test: extend reported failure after extending");
	return 0;
}

static const aael_register mem_register = {
	.alg = 0x000C,
	.mr_index = aael_tdx_pcr_to_ccmr,
	.read = mr_read,
	.extend = mr_extend,
};

/* The log file, parsed as the verifier's AAEL form, replays MR 4 to want. */
static void check_replay(const char *dir, const uint8_t want[48], size_t n_events)
{
	size_t len;
	uint8_t *p = gt_read(dir, "/" AAEL_LOG_NAME, &len);
	assert_non_null(p);
	eventlog *l = NULL;
	cc_error *err = NULL;
	if (eventlog_parse(p, len, EVENTLOG_AAEL, &l, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	assert_int_equal(eventlog_count(l), n_events);
	uint8_t got[48];
	assert_int_equal(eventlog_replay(l, EVENTLOG_ALG_SHA384, 4, got, NULL, NULL), 0);
	assert_memory_equal(got, want, 48);
	eventlog_free(l);
	free(p);
}

static void test_vector(void **state)
{
	(void)state;
	size_t len;
	uint8_t *p = gt_read(guest_dir, "/aael_tcg2_entry.json", &len);
	assert_non_null(p);
	json_t *v = json_loads((const char *)p, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(v);
	free(p);
	const char *hex = json_string_value(json_object_get(v, "tcg2_entry_hex"));
	size_t n = strlen(hex) / 2;
	uint8_t *want = malloc(n);
	unhex(hex, want, n);
	uint8_t *rec, dg[64], wd[48];
	size_t rl;
	const char *ev = json_string_value(json_object_get(v, "event"));
	assert_int_equal(aael_entry_encode(0x000C, 4, ev, strlen(ev), &rec, &rl, dg, NULL), 0);
	assert_int_equal(rl, n);
	assert_memory_equal(rec, want, n);
	unhex(json_string_value(json_object_get(v, "event_digest_sha384_hex")), wd, 48);
	assert_memory_equal(dg, wd, 48);
	free(rec);
	/* upstream's SHA-256 digest of the same event */
	assert_int_equal(aael_entry_encode(0x000B, 4, ev, strlen(ev), &rec, &rl, dg, NULL), 0);
	uint8_t w256[32];
	unhex("46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351", w256, 32);
	assert_memory_equal(dg, w256, 32);
	free(rec);
	free(want);
	json_decref(v);
	/* the TDX PCR -> CC MR mapping */
	static const unsigned want_map[18] = {4, 1, 2, 2, 2, 2, 2, 1, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4};
	for (unsigned i = 0; i < 18; i++)
		assert_int_equal(aael_tdx_pcr_to_ccmr(i), want_map[i]);
}

static aael_writer *open_writer(const char *dir, mem_reg *m)
{
	aael_writer_opts o = {.dir = dir, .reg = &mem_register, .reg_ctx = m};
	aael_writer *w = NULL;
	cc_error *err = NULL;
	if (aael_writer_open(&o, &w, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	return w;
}

static void test_writer(void **state)
{
	(void)state;
	char *root = gt_tmpdir();
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/run-aa", root);
	mem_reg m = {0};
	aael_writer *w = open_writer(dir, &m);
	cc_error *err = NULL;
	assert_int_equal(aael_writer_extend(w, "domain", "operation", "content", AAEL_DEFAULT_PCR,
	                                    &err),
	                 0);
	assert_int_equal(aael_writer_extend(w, "github.com/confidential-containers", "PullImage",
	                                    "{\"image\":\"a\", \"digest\":\"b\"}", AAEL_DEFAULT_PCR,
	                                    &err),
	                 0);
	assert_int_equal(m.extends, 2);
	check_replay(dir, m.v[17], 2);
	/* no WAL left */
	size_t l;
	assert_null(gt_read(dir, "/" AAEL_WAL_NAME, &l));
	/* the events as the verifier reports them */
	uint8_t *p = gt_read(dir, "/" AAEL_LOG_NAME, &l);
	eventlog *el = NULL;
	json_t *j = NULL;
	assert_int_equal(eventlog_parse(p, l, EVENTLOG_AAEL, &el, NULL), 0);
	assert_int_equal(eventlog_aael_json(el, &j, NULL), 0);
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(json_object_get(j, "domain"), "operation"), 0)),
	                    "content");
	json_decref(j);
	eventlog_free(el);
	free(p);
	/* refusals */
	gt_assert_prefix(aael_writer_extend(w, "d", "o", "two\nlines", AAEL_DEFAULT_PCR, &err), &err,
	              "AAEL: content contains newline");
	gt_assert_prefix(aael_writer_extend(w, "a domain", "o", "c", AAEL_DEFAULT_PCR, &err), &err,
	              "AAEL: domain and operation");
	gt_assert_prefix(aael_writer_extend(w, "", "o", "c", AAEL_DEFAULT_PCR, &err), &err,
	              "AAEL: domain and operation");
	char *huge = malloc(70000);
	memset(huge, 'x', 69999);
	huge[69999] = 0;
	gt_assert_prefix(aael_writer_extend(w, "d", "o", huge, AAEL_DEFAULT_PCR, &err), &err,
	              "oversized: AAEL event");
	free(huge);
	/* an extend that fails without extending: nothing logged, no WAL */
	m.fail = 1;
	gt_assert_prefix(aael_writer_extend(w, "d", "o", "c", AAEL_DEFAULT_PCR, &err), &err,
	              "test: extend failed");
	assert_null(gt_read(dir, "/" AAEL_WAL_NAME, &l));
	check_replay(dir, m.v[17], 2);
	/* one that extended but said it failed: logged */
	m.fail = 2;
	assert_int_equal(aael_writer_extend(w, "d", "o", "c", AAEL_DEFAULT_PCR, &err), 0);
	m.fail = 0;
	check_replay(dir, m.v[17], 3);
	/* another PCR is extended, the record keeps init_pcr's MR (upstream) */
	uint8_t before17[48];
	memcpy(before17, m.v[17], 48);
	assert_int_equal(aael_writer_extend(w, "d", "o", "pcr9", 9, &err), 0);
	assert_memory_equal(m.v[17], before17, 48);
	uint8_t z[48] = {0};
	assert_memory_not_equal(m.v[9], z, 48);
	aael_writer_free(w);
	/* reopening appends; a second writer on the same log is refused */
	w = open_writer(dir, &m);
	aael_writer *w2 = NULL;
	aael_writer_opts o2 = {.dir = dir, .reg = &mem_register, .reg_ctx = &m};
	gt_assert_contains(aael_writer_open(&o2, &w2, &err), &err, "is in use by another writer");
	assert_null(w2);
	assert_int_equal(aael_writer_extend(w, "d", "o", "again", AAEL_DEFAULT_PCR, &err), 0);
	aael_writer_free(w);
	gt_rm_rf(root);
	free(root);
}

/* ---- crash recovery --------------------------------------------------- */

typedef enum { CRASH_AFTER_WAL, CRASH_AFTER_EXTEND, CRASH_TORN, CRASH_AFTER_LOG } crash_point;

/* Leaves dir as a crash at point p while logging "d o c" would, after one
 * complete event; m is the register. */
static void crash(const char *dir, mem_reg *m, crash_point p, uint8_t **rec, size_t *rec_len)
{
	aael_writer *w = open_writer(dir, m);
	assert_int_equal(aael_writer_extend(w, "d", "o", "first", AAEL_DEFAULT_PCR, NULL), 0);
	aael_writer_free(w);
	size_t off;
	uint8_t *log = gt_read(dir, "/" AAEL_LOG_NAME, &off);
	uint8_t dg[64], expected[48];
	const char *text = "d o c";
	assert_int_equal(aael_entry_encode(0x000C, 4, text, strlen(text), rec, rec_len, dg, NULL), 0);
	memcpy(expected, m->v[17], 48);
	sha384_extend(expected, dg);
	uint8_t wal[8 + 48 + 5];
	for (int i = 0; i < 8; i++)
		wal[i] = (uint8_t)((uint64_t)off >> (56 - 8 * i));
	memcpy(wal + 8, expected, 48);
	memcpy(wal + 56, text, 5);
	gt_write(dir, "/" AAEL_WAL_NAME, wal, sizeof(wal));
	if (p != CRASH_AFTER_WAL)
		sha384_extend(m->v[17], dg);
	size_t add = p == CRASH_TORN ? *rec_len / 2 : p == CRASH_AFTER_LOG ? *rec_len : 0;
	log = realloc(log, off + *rec_len);
	memcpy(log + off, *rec, add);
	gt_write(dir, "/" AAEL_LOG_NAME, log, off + add);
	free(log);
}

static void test_recovery(void **state)
{
	(void)state;
	for (crash_point p = CRASH_AFTER_WAL; p <= CRASH_AFTER_LOG; p++) {
		char *root = gt_tmpdir();
		mem_reg m = {0};
		uint8_t *rec;
		size_t rec_len;
		crash(root, &m, p, &rec, &rec_len);
		unsigned before = m.extends;
		aael_writer *w = open_writer(root, &m);
		/* extended exactly once in all, logged exactly once */
		assert_int_equal(m.extends, before + (p == CRASH_AFTER_WAL ? 1 : 0));
		check_replay(root, m.v[17], 2);
		size_t l;
		assert_null(gt_read(root, "/" AAEL_WAL_NAME, &l));
		assert_int_equal(aael_writer_extend(w, "d", "o", "next", AAEL_DEFAULT_PCR, NULL), 0);
		check_replay(root, m.v[17], 3);
		aael_writer_free(w);
		free(rec);
		gt_rm_rf(root);
		free(root);
	}
	/* a register someone else extended: fatal */
	char *root = gt_tmpdir();
	mem_reg m = {0};
	uint8_t *rec;
	size_t rec_len;
	crash(root, &m, CRASH_AFTER_WAL, &rec, &rec_len);
	m.v[17][0] ^= 1;
	aael_writer_opts o = {.dir = root, .reg = &mem_register, .reg_ctx = &m};
	aael_writer *w = NULL;
	cc_error *err = NULL;
	gt_assert_prefix(aael_writer_open(&o, &w, &err), &err, "AAEL recovery: register 17");
	free(rec);
	gt_rm_rf(root);
	free(root);
	/* other bytes where the record goes: fatal (upstream would append) */
	root = gt_tmpdir();
	memset(&m, 0, sizeof(m));
	crash(root, &m, CRASH_AFTER_LOG, &rec, &rec_len);
	o.dir = root;
	size_t l;
	uint8_t *log = gt_read(root, "/" AAEL_LOG_NAME, &l);
	log[l - 1] ^= 1;
	gt_write(root, "/" AAEL_LOG_NAME, log, l);
	gt_assert_prefix(aael_writer_open(&o, &w, &err), &err, "AAEL recovery: the log holds other");
	/* a WAL cut short */
	gt_write(root, "/" AAEL_WAL_NAME, "\0\0\0", 3);
	gt_assert_prefix(aael_writer_open(&o, &w, &err), &err, "truncated: AAEL WAL");
	/* a WAL whose text is not "domain operation content" */
	uint8_t wal[8 + 48 + 3] = {0};
	memcpy(wal + 56, "d o", 3);
	gt_write(root, "/" AAEL_WAL_NAME, wal, sizeof(wal));
	gt_assert_prefix(aael_writer_open(&o, &w, &err), &err, "AAEL: the event text has no two");
	free(log);
	free(rec);
	gt_rm_rf(root);
	free(root);
}

/* The TDX sysfs measurement files of a scratch tree: PCR 17 is RTMR 3,
 * written 48 bytes (a file here keeps the last write, the kernel would
 * extend). */
static void test_rtmr_sysfs(void **state)
{
	(void)state;
	char *root = gt_tmpdir();
	uint8_t zero[48] = {0};
	static const char rtmr3[] = "/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384";
	gt_write(root, rtmr3, zero, 48);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/run", root);
	aael_writer_opts o = {.dir = dir, .reg = &aael_tdx_rtmr, .reg_ctx = root};
	aael_writer *w = NULL;
	cc_error *err = NULL;
	assert_int_equal(aael_writer_open(&o, &w, &err), 0);
	assert_int_equal(aael_writer_extend(w, "domain", "operation", "content", AAEL_DEFAULT_PCR,
	                                    &err),
	                 0);
	size_t l;
	uint8_t *v = gt_read(root, rtmr3, &l);
	assert_int_equal(l, 48);
	uint8_t want[48];
	unhex("dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e49cd8d7"
	      "93f670d02",
	      want, 48);
	assert_memory_equal(v, want, 48);
	free(v);
	/* PCR 8 is RTMR 2, which this tree lacks */
	gt_assert_prefix(aael_writer_extend(w, "d", "o", "c", 8, &err), &err, "RTMR: ");
	aael_writer_free(w);
	gt_rm_rf(root);
	free(root);
}

/* ---- platform detection ---------------------------------------------- */

static int hcl_from_file(void *ctx, uint8_t **ret, size_t *ret_len)
{
	*ret = gt_read(az_dir, (const char *)ctx, ret_len);
	return *ret != NULL ? 0 : -ENOENT;
}

static const char *detect_in(const char *root, platform_opts *o)
{
	o->root = root;
	return platform_detect(o);
}

static void test_platform(void **state)
{
	(void)state;
	char *root = gt_tmpdir();
	platform_opts o = {0};
	assert_string_equal(detect_in(root, &o), "sample");
	/* from the bottom of the order up: each new file wins */
	char tpm[PATH_MAX];
	snprintf(tpm, sizeof(tpm), "%s/vtpm-node", root);
	gt_write(root, "/vtpm-node", "", 0);
	o.aa_tpm_device = tpm;
	assert_string_equal(detect_in(root, &o), "tpm");
	o.aa_tpm_device = "/nonexistent-cocoon-tpm";
	assert_string_equal(detect_in(root, &o), "sample");
	gt_write(root, "/dev/tpm1", "", 0);
	assert_string_equal(detect_in(root, &o), "tpm");
	gt_write(root, "/sys/firmware/uv/prot_virt_guest", "0\n", 2);
	assert_string_equal(detect_in(root, &o), "tpm");
	gt_write(root, "/sys/firmware/uv/prot_virt_guest", "1\n", 2);
	assert_string_equal(detect_in(root, &o), "se");
	gt_mkdirs(root, TSM_REPORT_DIR);
	gt_kernel k = {.provider = "arm_cca_guest", .privlevel = -1};
	o.tsm = &gt_tsm_ops;
	o.tsm_ctx = &k;
	assert_string_equal(detect_in(root, &o), "cca");
	assert_int_equal(k.mkdirs, k.rmdirs);
	gt_write(root, "/dev/csv-guest", "", 0);
	assert_string_equal(detect_in(root, &o), "csv");
	gt_mkdirs(root, "/sys/devices/platform/sev-guest");
	assert_string_equal(detect_in(root, &o), "snp");
	o.read_hcl_report = hcl_from_file;
	o.hcl_ctx = (void *)"/snp-hcl-report.bin";
	assert_string_equal(detect_in(root, &o), "az-snp-vtpm");
	o.hcl_ctx = (void *)"/tdx-hcl-report.bin";
	assert_string_equal(detect_in(root, &o), "az-tdx-vtpm");
	o.hcl_ctx = (void *)"/no-such-report";
	assert_string_equal(detect_in(root, &o), "snp");
	gt_write(root, "/dev/attestation/attestation_type", "epid", 4);
	assert_string_equal(detect_in(root, &o), "snp");
	gt_write(root, "/dev/attestation/attestation_type", "dcap", 4);
	assert_string_equal(detect_in(root, &o), "sgx");
	k.provider = "tdx_guest";
	assert_string_equal(detect_in(root, &o), "tdx");
	k.provider = "sev_guest";
	assert_string_equal(detect_in(root, &o), "sgx");
	gt_write(root, "/dev/tdx_guest", "", 0);
	assert_string_equal(detect_in(root, &o), "tdx");
	assert_int_equal(k.mkdirs, k.rmdirs);
	/* $OCCLUM alone */
	char *r2 = gt_tmpdir();
	platform_opts o2 = {.occlum = "1"};
	assert_string_equal(detect_in(r2, &o2), "sgx");
	gt_rm_rf(r2);
	free(r2);
	gt_rm_rf(root);
	free(root);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s GUEST_DATA_DIR AZ_DATA_DIR\n", argv[0]);
		return 2;
	}
	guest_dir = argv[1];
	az_dir = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_rtmr_sysfs),
		cmocka_unit_test(test_platform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
