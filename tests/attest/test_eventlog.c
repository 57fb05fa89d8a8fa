/* Unit tests of the event log library (lib/attest/eventlog*.c,
 * docs/attest-eventlog.md): logs built here byte by byte (TCG2 with
 * several banks and StartupLocality, legacy SHA-1, CCEL with its padding),
 * replayed and compared with values computed here with OpenSSL; every
 * truncation point of each log fails with "truncated ..."; oversized
 * counts and sizes, unknown algorithms, wrong digest sizes and misplaced
 * records fail; and Trustee's CCEL vector (argv[1]: the data directory)
 * replays to upstream's RTMRs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "eventlog.h"

static const char *data_dir;

typedef struct buf {
	uint8_t p[8192];
	size_t len;
} buf;

static void put(buf *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof(b->p));
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put32(buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, x, 4);
}

static void put16(buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(b, x, 2);
}

static const EVP_MD *md_of(uint16_t alg)
{
	switch (alg) {
	case EVENTLOG_ALG_SHA1: return EVP_sha1();
	case EVENTLOG_ALG_SHA256: return EVP_sha256();
	case EVENTLOG_ALG_SHA384: return EVP_sha384();
	default: return EVP_sha512();
	}
}

static void hash(uint16_t alg, const void *p, size_t n, uint8_t *out)
{
	unsigned len;
	assert_int_equal(EVP_Digest(p, n, out, &len, md_of(alg), NULL), 1);
}

static const uint16_t banks3[] = {EVENTLOG_ALG_SHA1, EVENTLOG_ALG_SHA256, EVENTLOG_ALG_SHA384};

static void spec_id(buf *b, const uint16_t *algs, size_t n)
{
	uint8_t zero[20] = {0};
	put32(b, 0);
	put32(b, EVENTLOG_EV_NO_ACTION);
	put(b, zero, 20);
	put32(b, (uint32_t)(16 + 4 + 4 + 4 + 4 * n + 1));
	put(b, "Spec ID Event03", 16);
	put32(b, 0);
	uint8_t ver[4] = {0, 2, 0, 2};
	put(b, ver, 4);
	put32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put16(b, algs[i]);
		put16(b, (uint16_t)eventlog_alg_size(algs[i]));
	}
	uint8_t vendor = 0;
	put(b, &vendor, 1);
}

/* A TCG_PCR_EVENT2 with the real digests of data (zeros for EV_NO_ACTION). */
static void event2(buf *b, uint32_t pcr, uint32_t type, const void *data, size_t n,
                   const uint16_t *algs, size_t n_algs)
{
	put32(b, pcr);
	put32(b, type);
	put32(b, (uint32_t)n_algs);
	for (size_t i = 0; i < n_algs; i++) {
		uint8_t d[64] = {0};
		if (type != EVENTLOG_EV_NO_ACTION)
			hash(algs[i], data, n, d);
		put16(b, algs[i]);
		put(b, d, eventlog_alg_size(algs[i]));
	}
	put32(b, (uint32_t)n);
	put(b, data, n);
}

static void legacy_event(buf *b, uint32_t pcr, uint32_t type, const void *data, size_t n)
{
	uint8_t d[20];
	hash(EVENTLOG_ALG_SHA1, data, n, d);
	put32(b, pcr);
	put32(b, type);
	put(b, d, 20);
	put32(b, (uint32_t)n);
	put(b, data, n);
}

/* reg = H(reg || H(data)) for each data, from init. */
static void expect(uint16_t alg, const uint8_t *init, const char *const *datas, size_t n,
                   uint8_t *out)
{
	size_t size = eventlog_alg_size(alg);
	memcpy(out, init, size);
	for (size_t i = 0; i < n; i++) {
		uint8_t d[64], cat[128];
		hash(alg, datas[i], strlen(datas[i]), d);
		memcpy(cat, out, size);
		memcpy(cat + size, d, size);
		hash(alg, cat, 2 * size, out);
	}
}

static void build_tcg2(buf *b, int locality)
{
	memset(b, 0, sizeof(*b));
	spec_id(b, banks3, 3);
	if (locality >= 0) {
		uint8_t loc[17] = "StartupLocality";
		loc[16] = (uint8_t)locality;
		event2(b, 0, EVENTLOG_EV_NO_ACTION, loc, sizeof(loc), banks3, 3);
	}
	event2(b, 0, 0x80000008, "blob", 4, banks3, 3);
	event2(b, 7, 4, "sep", 3, banks3, 3);
	event2(b, 0, 4, "sep0", 4, banks3, 3);
	event2(b, 23, 0xD, "ipl", 3, banks3, 3);
}

static void test_tcg2_replay(void **state)
{
	(void)state;
	for (int loc = -1; loc <= 3; loc += 4) {
		buf b;
		build_tcg2(&b, loc);
		eventlog *l = NULL;
		cc_error *err = NULL;
		assert_int_equal(eventlog_parse(b.p, b.len, EVENTLOG_AUTO, &l, &err), 0);
		assert_int_equal(eventlog_get_format(l), EVENTLOG_TCG2);
		assert_int_equal(eventlog_bank_count(l), 3);
		assert_int_equal(eventlog_count(l), loc >= 0 ? 5 : 4);
		for (size_t i = 0; i < 3; i++) {
			uint16_t alg = banks3[i];
			uint8_t init[64] = {0}, want[64], got[64];
			if (loc >= 0)
				init[eventlog_alg_size(alg) - 1] = (uint8_t)loc;
			static const char *const pcr0[] = {"blob", "sep0"};
			expect(alg, init, pcr0, 2, want);
			bool touched = false;
			assert_int_equal(eventlog_replay(l, alg, 0, got, &touched, &err), 0);
			assert_true(touched);
			assert_memory_equal(got, want, eventlog_alg_size(alg));
			assert_int_equal(eventlog_check_register(l, alg, 0, want,
			                                         eventlog_alg_size(alg), &err),
			                 0);
			memset(init, 0, sizeof(init));
			static const char *const pcr7[] = {"sep"};
			expect(alg, init, pcr7, 1, want);
			assert_int_equal(eventlog_replay(l, alg, 7, got, NULL, &err), 0);
			assert_memory_equal(got, want, eventlog_alg_size(alg));
			assert_int_equal(eventlog_replay(l, alg, 5, got, &touched, &err), 0);
			assert_false(touched);
			/* a tampered quote value */
			want[0] ^= 1;
			assert_int_equal(eventlog_check_register(l, alg, 7, want,
			                                         eventlog_alg_size(alg), &err),
			                 -EPERM);
			assert_non_null(strstr(cc_error_message(err), "event log replay: PCR 7 "));
			assert_non_null(strstr(cc_error_message(err), "mismatch"));
			cc_error_free(err);
			err = NULL;
		}
		uint8_t out[64];
		assert_int_equal(eventlog_replay(l, EVENTLOG_ALG_SHA512, 0, out, NULL, &err),
		                 -ENOENT);
		cc_error_free(err);
		err = NULL;
		assert_int_equal(eventlog_replay(l, EVENTLOG_ALG_SHA256, 24, out, NULL, &err),
		                 -EINVAL);
		cc_error_free(err);
		err = NULL;
		json_t *j = NULL;
		assert_int_equal(eventlog_replay_json(l, &j, &err), 0);
		assert_int_equal(json_object_size(json_object_get(j, "sha256")), 3); /* 0, 7, 23 */
		json_decref(j);
		assert_int_equal(eventlog_to_json(l, &j, &err), 0);
		assert_int_equal(json_array_size(json_object_get(j, "uefi_event_logs")),
		                 eventlog_count(l));
		json_decref(j);
		eventlog_free(l);
	}
}

static void test_legacy_replay(void **state)
{
	(void)state;
	buf b = {.len = 0};
	legacy_event(&b, 0, 8, "crtm", 4);
	legacy_event(&b, 4, 0xD, "ipl", 3);
	legacy_event(&b, 0, 4, "sep", 3);
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(b.p, b.len, EVENTLOG_AUTO, &l, &err), 0);
	assert_int_equal(eventlog_get_format(l), EVENTLOG_LEGACY);
	assert_int_equal(eventlog_count(l), 3);
	assert_int_equal(eventlog_bank_at(l, 0), EVENTLOG_ALG_SHA1);
	uint8_t init[20] = {0}, want[20], got[20];
	static const char *const pcr0[] = {"crtm", "sep"};
	expect(EVENTLOG_ALG_SHA1, init, pcr0, 2, want);
	assert_int_equal(eventlog_replay(l, EVENTLOG_ALG_SHA1, 0, got, NULL, &err), 0);
	assert_memory_equal(got, want, 20);
	eventlog_free(l);
	/* a legacy log is not a crypto-agile one */
	assert_int_equal(eventlog_parse(b.p, b.len, EVENTLOG_TCG2, &l, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "not a Spec ID Event03"));
	cc_error_free(err);
}

/* Every proper prefix of a log ends inside a record: "truncated ...". */
static void all_prefixes_truncated(const buf *b, eventlog_format fmt)
{
	for (size_t n = 1; n < b->len; n++) {
		eventlog *l = NULL;
		cc_error *err = NULL;
		int r = eventlog_parse(b->p, n, fmt, &l, &err);
		if (r == 0) {
			/* only a prefix that ends exactly at a record boundary parses */
			eventlog_free(l);
			continue;
		}
		assert_int_equal(r, -EINVAL);
		assert_true(strncmp(cc_error_message(err), "truncated ", 10) == 0 ||
		            strstr(cc_error_message(err), "Spec ID") != NULL);
		cc_error_free(err);
	}
}

static void test_truncated(void **state)
{
	(void)state;
	buf b;
	build_tcg2(&b, 3);
	all_prefixes_truncated(&b, EVENTLOG_TCG2);
	size_t boundaries = 0;
	for (size_t n = 1; n < b.len; n++) {
		eventlog *l = NULL;
		if (eventlog_parse(b.p, n, EVENTLOG_TCG2, &l, NULL) == 0) {
			boundaries++;
			eventlog_free(l);
		}
	}
	assert_int_equal(boundaries, 5); /* after the header and each of the first 4 records */
	buf lg = {.len = 0};
	legacy_event(&lg, 0, 8, "crtm", 4);
	legacy_event(&lg, 4, 0xD, "ipl", 3);
	all_prefixes_truncated(&lg, EVENTLOG_LEGACY);
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(b.p, 0, EVENTLOG_AUTO, &l, &err), -EINVAL);
	cc_error_free(err);
}

static void expect_fail(const buf *b, eventlog_format fmt, int code, const char *msg)
{
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(b->p, b->len, fmt, &l, &err), code);
	if (strstr(cc_error_message(err), msg) == NULL)
		fail_msg("'%s' lacks '%s'", cc_error_message(err), msg);
	cc_error_free(err);
	assert_null(l);
}

static void test_malformed(void **state)
{
	(void)state;
	buf b;
	/* unknown algorithm in the header */
	static const uint16_t odd[] = {EVENTLOG_ALG_SHA256, 0x0099};
	memset(&b, 0, sizeof(b));
	spec_id(&b, odd, 1);
	/* the Spec ID body starts at 32: numberOfAlgorithms at +24, then
	 * {algId, digestSize} pairs */
	b.p[32 + 28] = 0x99;
	b.p[32 + 29] = 0x00;
	expect_fail(&b, EVENTLOG_TCG2, -EINVAL, "unknown algorithm 0x0099");
	/* wrong digest size in the header */
	memset(&b, 0, sizeof(b));
	spec_id(&b, banks3, 1);
	b.p[32 + 30] = 19;
	expect_fail(&b, EVENTLOG_TCG2, -EINVAL, "not 20");
	/* the same algorithm twice */
	static const uint16_t twice[] = {EVENTLOG_ALG_SHA256, EVENTLOG_ALG_SHA256};
	memset(&b, 0, sizeof(b));
	spec_id(&b, twice, 2);
	expect_fail(&b, EVENTLOG_TCG2, -EINVAL, "twice");
	/* too many algorithms in the header */
	memset(&b, 0, sizeof(b));
	spec_id(&b, banks3, 1);
	b.p[32 + 24] = CC_EVENTLOG_MAX_BANKS + 1;
	expect_fail(&b, EVENTLOG_TCG2, -E2BIG, "oversized TCG_EfiSpecIdEvent");
	/* a record with more digests than banks */
	memset(&b, 0, sizeof(b));
	spec_id(&b, banks3, 1);
	event2(&b, 0, 4, "x", 1, banks3, 2);
	expect_fail(&b, EVENTLOG_TCG2, -E2BIG, "oversized TPML_DIGEST_VALUES");
	/* a digest of a bank the header does not declare */
	memset(&b, 0, sizeof(b));
	spec_id(&b, banks3, 1);
	event2(&b, 0, 4, "x", 1, banks3 + 1, 1);
	expect_fail(&b, EVENTLOG_TCG2, -EINVAL, "does not declare");
	/* the same bank twice in one record */
	static const uint16_t two1[] = {EVENTLOG_ALG_SHA1, EVENTLOG_ALG_SHA1};
	memset(&b, 0, sizeof(b));
	spec_id(&b, banks3, 2);
	event2(&b, 0, 4, "x", 1, two1, 2);
	expect_fail(&b, EVENTLOG_TCG2, -EINVAL, "two sha1 digests");
	/* an event size over the cap */
	memset(&b, 0, sizeof(b));
	spec_id(&b, banks3, 1);
	event2(&b, 0, 4, "x", 1, banks3, 1);
	b.len -= 5;
	put32(&b, CC_EVENTLOG_MAX_EVENT_BYTES + 1);
	expect_fail(&b, EVENTLOG_TCG2, -E2BIG, "oversized event data");
	/* a PCR out of range */
	memset(&b, 0, sizeof(b));
	spec_id(&b, banks3, 1);
	event2(&b, 24, 4, "x", 1, banks3, 1);
	expect_fail(&b, EVENTLOG_TCG2, -EINVAL, "PCR 24");
	/* CCEL: MR index above 4 */
	memset(&b, 0, sizeof(b));
	spec_id(&b, banks3 + 2, 1);
	event2(&b, 5, 4, "x", 1, banks3 + 2, 1);
	expect_fail(&b, EVENTLOG_CCEL, -EINVAL, "MR index 5");
	/* oversized log */
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(b.p, (size_t)CC_EVENTLOG_MAX_BYTES + 1, EVENTLOG_AUTO, &l,
	                                &err),
	                 -E2BIG);
	cc_error_free(err);
}

/* Records over the count cap: the parse stops at CC_EVENTLOG_MAX_EVENTS. */
static void test_too_many_events(void **state)
{
	(void)state;
	size_t rec = 8 + 4 + 2 + 32 + 4;
	size_t len = 100 + rec * (CC_EVENTLOG_MAX_EVENTS + 1);
	uint8_t *p = calloc(1, len);
	assert_non_null(p);
	buf h;
	memset(&h, 0, sizeof(h));
	static const uint16_t sha256[] = {EVENTLOG_ALG_SHA256};
	spec_id(&h, sha256, 1);
	memcpy(p, h.p, h.len);
	size_t off = h.len;
	for (size_t i = 0; i <= CC_EVENTLOG_MAX_EVENTS; i++) {
		buf e;
		memset(&e, 0, sizeof(e));
		put32(&e, 1);
		put32(&e, 4);
		put32(&e, 1);
		put16(&e, EVENTLOG_ALG_SHA256);
		uint8_t d[32] = {0};
		put(&e, d, 32);
		put32(&e, 0);
		memcpy(p + off, e.p, e.len);
		off += e.len;
	}
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(p, off, EVENTLOG_TCG2, &l, &err), -E2BIG);
	assert_non_null(strstr(cc_error_message(err), "oversized event log"));
	cc_error_free(err);
	free(p);
}

/* A CCEL area: padding ends it, RTMR = index - 1, index 0 not replayed. */
static void test_ccel(void **state)
{
	(void)state;
	static const uint16_t sha384[] = {EVENTLOG_ALG_SHA384};
	buf b;
	memset(&b, 0, sizeof(b));
	spec_id(&b, sha384, 1);
	event2(&b, 0, 4, "mrtd", 4, sha384, 1);
	event2(&b, 1, 4, "rtmr0", 5, sha384, 1);
	event2(&b, 4, 4, "rtmr3", 5, sha384, 1);
	size_t end = b.len;
	memset(b.p + end, 0xFF, 64);
	b.len += 64;
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(b.p, b.len, EVENTLOG_CCEL, &l, &err), 0);
	assert_int_equal(eventlog_count(l), 3);
	uint8_t zero[48] = {0}, want[48], got[48];
	static const char *const r0[] = {"rtmr0"}, *const r3[] = {"rtmr3"};
	expect(EVENTLOG_ALG_SHA384, zero, r0, 1, want);
	assert_int_equal(eventlog_check_register(l, EVENTLOG_ALG_SHA384, 0, want, 48, &err), 0);
	expect(EVENTLOG_ALG_SHA384, zero, r3, 1, want);
	assert_int_equal(eventlog_check_register(l, EVENTLOG_ALG_SHA384, 3, want, 48, &err), 0);
	bool touched = true;
	assert_int_equal(eventlog_replay(l, EVENTLOG_ALG_SHA384, 1, got, &touched, &err), 0);
	assert_false(touched);
	assert_memory_equal(got, zero, 48);
	want[0] ^= 1;
	assert_int_equal(eventlog_check_register(l, EVENTLOG_ALG_SHA384, 3, want, 48, &err),
	                 -EPERM);
	assert_non_null(strstr(cc_error_message(err), "event log replay: RTMR 3 sha384 mismatch"));
	cc_error_free(err);
	err = NULL;
	eventlog_free(l);
	/* zero padding works too; a stray byte after it does not */
	memset(b.p + end, 0, 64);
	assert_int_equal(eventlog_parse(b.p, b.len, EVENTLOG_CCEL, &l, &err), 0);
	eventlog_free(l);
	b.p[b.len - 1] = 7;
	expect_fail(&b, EVENTLOG_CCEL, -EINVAL, "CCEL padding");
	/* a short tail of padding */
	b.len = end + 3;
	memset(b.p + end, 0xFF, 3);
	assert_int_equal(eventlog_parse(b.p, b.len, EVENTLOG_CCEL, &l, &err), 0);
	eventlog_free(l);
}

/* The AAEL entries of an EV_EVENT_TAG record. */
static void test_aael(void **state)
{
	(void)state;
	static const uint16_t sha384[] = {EVENTLOG_ALG_SHA384};
	buf b;
	memset(&b, 0, sizeof(b));
	spec_id(&b, sha384, 1);
	static const char *const lines[] = {"dom op one", "dom op {\"a\": 1}", "d2 x y z",
	                                    "nospace"};
	for (size_t i = 0; i < 4; i++) {
		buf e = {.len = 0};
		put(&e, "LEAA", 4);
		put32(&e, (uint32_t)strlen(lines[i]));
		put(&e, lines[i], strlen(lines[i]));
		event2(&b, 4, EVENTLOG_EV_EVENT_TAG, e.p, e.len, sha384, 1);
	}
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(b.p, b.len, EVENTLOG_CCEL, &l, &err), 0);
	json_t *j = NULL;
	assert_int_equal(eventlog_aael_json(l, &j, &err), 0);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"d2\":{\"x\":[\"y z\"]},\"dom\":{\"op\":[\"one\",\"{\\\"a\\\": 1}\"]}}");
	free(s);
	json_decref(j);
	assert_int_equal(eventlog_to_json(l, &j, &err), 0);
	json_t *d = json_object_get(json_array_get(json_object_get(j, "uefi_event_logs"), 1),
	                            "details");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(d, "data"), "content"), "a")),
	                 1);
	json_decref(j);
	eventlog_free(l);
}

/* guest-components' attesters start an AAEL-only cc_eventlog (no CCEL) with
 * their fixed 73-byte header, whose Spec ID event has zeros for its
 * signature and versions (attester/src/utils.rs EL_HEADER); it parses in
 * CCEL mode only, and its digest sizes still have to be right. */
static void test_upstream_aa_header(void **state)
{
	(void)state;
	static const uint16_t sha384[] = {EVENTLOG_ALG_SHA384};
	static const uint8_t el_header[73] = {
	    0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, [28] = 0x29, [56] = 0x03,
	    [60] = 0x0B, 0x00, 0x20, 0x00, 0x0C, 0x00, 0x30, 0x00, 0x12, 0x00, 0x20, 0x00, 0x00};
	buf b;
	memset(&b, 0, sizeof(b));
	put(&b, el_header, sizeof(el_header));
	buf e = {.len = 0};
	put(&e, "LEAA", 4);
	put32(&e, 10);
	put(&e, "dom op one", 10);
	event2(&b, 4, EVENTLOG_EV_EVENT_TAG, e.p, e.len, sha384, 1);
	memset(b.p + b.len, 0xFF, 8);
	b.len += 8;
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(b.p, b.len, EVENTLOG_CCEL, &l, &err), 0);
	assert_int_equal(eventlog_count(l), 1);
	json_t *j = NULL;
	assert_int_equal(eventlog_aael_json(l, &j, &err), 0);
	char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(txt, "{\"dom\":{\"op\":[\"one\"]}}");
	free(txt);
	json_decref(j);
	eventlog_free(l);
	/* the same bytes are not a TCG2 log: that needs the signature */
	expect_fail(&b, EVENTLOG_TCG2, -EINVAL, "not a Spec ID Event03");
	/* a zeroed header still has to declare digest sizes that are right */
	b.p[62] = 0x21;
	expect_fail(&b, EVENTLOG_CCEL, -EINVAL, "33-byte digest");
}

/* Trustee's CCEL_data: upstream's RTMR 0 and 1. */
static void test_trustee_ccel(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/CCEL_data", data_dir);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *p = malloc(1u << 20);
	assert_non_null(p);
	size_t n = fread(p, 1, 1u << 20, f);
	fclose(f);
	assert_int_equal(n, 1u << 20);
	eventlog *l = NULL;
	cc_error *err = NULL;
	assert_int_equal(eventlog_parse(p, n, EVENTLOG_CCEL, &l, &err), 0);
	assert_int_equal(eventlog_count(l), 5);
	static const char *const want[] = {
		"2dc712306a963eadb894ad47dbaa17df44814151555aee11cbb843becca88950ffd079664902e6f22c66f7c8213543f4",
		"0fa3be56af61208bbd179dc7b124988eb929319154663c539d6f46445ecac2fec287075047ff7bd1922829fec28cd3cf",
	};
	json_t *j = NULL;
	assert_int_equal(eventlog_replay_json(l, &j, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "sha384"), "0")),
	                    want[0]);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "sha384"), "1")),
	                    want[1]);
	assert_null(json_object_get(json_object_get(j, "sha384"), "2"));
	json_decref(j);
	eventlog_free(l);
	/* every truncation of the log's records fails closed */
	size_t used = 5756 + 3; /* the records end before the 0xFF padding */
	for (size_t k = 1; k < used; k += 7) {
		if (eventlog_parse(p, k, EVENTLOG_CCEL, &l, &err) == 0) {
			eventlog_free(l);
			continue;
		}
		cc_error_free(err);
		err = NULL;
	}
	free(p);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcg2_replay),      cmocka_unit_test(test_legacy_replay),
		cmocka_unit_test(test_truncated),        cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_events), cmocka_unit_test(test_ccel),
		cmocka_unit_test(test_aael),             cmocka_unit_test(test_trustee_ccel),
		cmocka_unit_test(test_upstream_aa_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
