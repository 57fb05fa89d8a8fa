/* Fails every allocation in turn (STYLE.md "Tests") on the TPM verifier's
 * paths: evidence decoding and verification into claims, the evidence
 * JSON writer, the trusted-AK directory. Through tests/common/alloc_fail.h,
 * with jansson allocating through the same wrapper, every allocation of
 * our code and of the JSON it builds can fail; OpenSSL's and glibc's own
 * (strdup, opendir) cannot. Each step must succeed or fail with -ENOMEM and
 * unchanged outputs; the ASan build's LeakSanitizer checks nothing leaks.
 * argv[1] is Trustee's tpm_evidence.json; argv[2] (optional) the event log
 * vectors' directory (tests/attest/data/eventlog): parsing, replay, the
 * parsed-log JSON (EFI variables, device paths, tagged events) and the
 * AAEL listing of two CCEL logs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc_fail.h"
#include "eventlog.h"
#include "tpm_int.h"

static const char *fixture_path;

struct verify_arg {
	json_t *ev;
	const tpm_ak_set *trusted;
};

static int op_verify(void *p)
{
	struct verify_arg *a = p;
	static const uint8_t rd[48] = {
		0xa0, 0x41, 0x82, 0xb5, 0x06, 0x87, 0x8d, 0x4f, 0x29, 0xb9, 0x1e, 0xe6,
		0x06, 0xa7, 0x1a, 0x0d, 0x33, 0x61, 0xcc, 0xf1, 0xb2, 0x2d, 0xb2, 0x0c,
		0x98, 0xad, 0xca, 0xa5, 0x37, 0xbe, 0xa3, 0x93, 0xef, 0x0e, 0x41, 0xa1,
		0x8b, 0x35, 0x69, 0xab, 0x67, 0x8f, 0x14, 0x97, 0xfb, 0xc5, 0xc1, 0x20,
	};
	json_t *claims = NULL;
	cc_error *err = NULL;
	int r = tpm_verify_evidence(a->ev, rd, sizeof(rd), NULL, 0, a->trusted, &claims, &err);
	if (r < 0)
		assert_null(claims);
	else
		assert_int_equal(json_object_size(claims), 27);
	json_decref(claims);
	cc_error_free(err);
	return r;
}

static int op_format(void *p)
{
	const tpm_evidence *e = p;
	char *text = NULL;
	int r = tpm_evidence_format(e->ak_der, e->ak_der_len, e->message, e->message_len,
	                            e->signature, e->signature_len,
	                            (const uint8_t(*)[TPM_SHA256_SIZE])e->pcrs, &text, NULL);
	if (r < 0)
		assert_null(text);
	free(text);
	return r;
}

static int op_trust_dir(void *p)
{
	tpm_ak_set *s = NULL;
	cc_error *err = NULL;
	int r = tpm_ak_set_load_dir(p, &s, &err);
	if (r < 0)
		assert_null(s);
	else
		assert_int_equal(tpm_ak_set_count(s), 1);
	tpm_ak_set_free(s);
	cc_error_free(err);
	return r;
}

struct log_arg {
	uint8_t *p;
	size_t len;
};

static int op_eventlog(void *p)
{
	struct log_arg *a = p;
	eventlog *l = NULL;
	cc_error *err = NULL;
	json_t *j = NULL;
	int r = eventlog_parse(a->p, a->len, EVENTLOG_CCEL, &l, &err);
	if (r == 0) {
		r = eventlog_replay_json(l, &j, &err);
		json_decref(j);
		j = NULL;
	}
	if (r == 0) {
		r = eventlog_to_json(l, &j, &err);
		if (r == 0)
			assert_int_equal(json_array_size(json_object_get(j, "uefi_event_logs")),
			                 eventlog_count(l));
		json_decref(j);
		j = NULL;
	}
	if (r == 0) {
		r = eventlog_aael_json(l, &j, &err);
		json_decref(j);
	}
	eventlog_free(l);
	cc_error_free(err);
	return r;
}

static const char *eventlog_dir;

static void test_eventlog_alloc(void **state)
{
	if (eventlog_dir == NULL)
		skip();
	/* not CCEL_AAEL_alibabacloud: jansson reports some allocation
	 * failures while parsing an AAEL entry's JSON content as syntax
	 * errors, and that content then comes back as text */
	static const char *const names[] = {"CCEL_data_grub", "CCEL_data_grub_gke"};
	for (size_t i = 0; i < 2; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", eventlog_dir, names[i]);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		struct log_arg a = {__real_malloc(1u << 20), 0};
		assert_non_null(a.p);
		a.len = fread(a.p, 1, 1u << 20, f);
		fclose(f);
		alloc_fail_each(names[i], op_eventlog, &a, 0);
		free(a.p);
	}
}

static void test_alloc_failures(void **state)
{
	json_t *ev = json_load_file(fixture_path, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(ev);
	struct verify_arg va = {.ev = ev};
	alloc_fail_each("verify", op_verify, &va, 0);

	tpm_evidence *e = NULL;
	assert_int_equal(tpm_evidence_parse(ev, &e, NULL), 0);
	alloc_fail_each("format", op_format, e, 0);

	char dir[] = "/tmp/cocoon-tpm-alloc-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[512];
	snprintf(path, sizeof(path), "%s/ak.pub", dir);
	char *b64 = tpm_b64_encode(e->ak_der, e->ak_der_len);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "-----BEGIN PUBLIC KEY-----\n");
	for (size_t i = 0; i < strlen(b64); i += 64)
		fprintf(f, "%.64s\n", b64 + i);
	fprintf(f, "-----END PUBLIC KEY-----\n");
	fclose(f);
	free(b64);
	alloc_fail_each("trusted AK directory", op_trust_dir, dir, 0);

	tpm_ak_set *set = NULL;
	assert_int_equal(tpm_ak_set_load_dir(dir, &set, NULL), 0);
	va.trusted = set;
	alloc_fail_each("verify with a trusted AK", op_verify, &va, 0);
	tpm_ak_set_free(set);
	unlink(path);
	rmdir(dir);
	tpm_evidence_free(e);
	json_decref(ev);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tpm_alloc trustee_tpm_evidence.json\n");
		return 2;
	}
	fixture_path = argv[1];
	eventlog_dir = argc > 2 ? argv[2] : NULL;
	alloc_fail_hook_jansson();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_eventlog_alloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
