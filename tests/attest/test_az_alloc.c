/* Fails every allocation in turn (STYLE.md "Tests") on the Azure vTPM
 * verifiers' own paths: evidence decoding (v0 byte arrays, v1/v2 hex and
 * base64url, the PEM VCEK), the HCL report and its variable data JSON, the
 * AK, the vTPM quote checks and the claims. Through
 * tests/common/alloc_fail.h, with jansson allocating through the same
 * wrapper; OpenSSL's own allocations are not wrapped.
 * Each step must succeed or fail with -ENOMEM and unchanged outputs; the
 * ASan build's LeakSanitizer checks nothing leaks. argv[1] is
 * tests/attest/data/az. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_fail.h"
#include "az_int.h"

static const char *data_dir;

struct vtpm_arg {
	json_t *ev;
	enum az_tee tee;
	const uint8_t *rd;
	size_t rd_len;
};

/* The vTPM part and the claims, as evaluate() runs them. */
static int op_vtpm(void *p)
{
	const struct vtpm_arg *a = p;
	az_evidence *e = NULL;
	az_hcl h;
	TPMS_ATTEST at;
	cc_error *err = NULL;
	int r = az_verify_vtpm_part(a->tee, a->ev, a->rd, a->rd_len, &e, &h, &at, &err);
	if (r < 0)
		assert_null(e); /* outputs only on success */
	json_t *c = NULL;
	if (r == 0 && a->tee == AZ_TEE_SNP)
		r = az_snp_report_claims(h.hw_report, h.hw_report_len, &c, &err);
	else if (r == 0 && (c = json_object()) == NULL)
		r = -ENOMEM;
	if (r == 0 && az_vtpm_claims(c, e, &at) < 0)
		r = -ENOMEM;
	if (r == 0)
		assert_int_equal(json_object_size(json_object_get(c, "tpm")), 24);
	json_decref(c);
	az_evidence_free(e);
	/* jansson (2.14) reports some allocation failures inside its parser as
	 * syntax errors ("string or '}' expected"), and its lexer drops a
	 * character whose buffer cannot grow (lex_save ignores the failure), so
	 * the HCL variable data, which az_hcl.c parses, can read as bad JSON or
	 * as a bad AK / user-data: -EINVAL, still a refusal */
	const char *m = cc_error_message(err);
	if (r == -EINVAL && (strstr(m, "variable data is not JSON") != NULL ||
	                     strncmp(m, "AK public key", 13) == 0 ||
	                     strncmp(m, "user-data binding", 17) == 0))
		r = -ENOMEM;
	if (r != 0 && r != -ENOMEM)
		print_message("op: %s\n", cc_error_message(err));
	cc_error_free(err);
	return r;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		enum az_tee tee;
		bool v2;
	} cases[] = {
		{"snp-evidence-v0.json", AZ_TEE_SNP, false},
		{"snp-evidence-v1.json", AZ_TEE_SNP, false},
		{"snp-evidence-v2.json", AZ_TEE_SNP, true},
		{"tdx-evidence-v0.json", AZ_TEE_TDX, false},
		{"tdx-evidence-v1.json", AZ_TEE_TDX, false},
	};
	static const uint8_t v2_rd[48] = {
		0x98, 0x2f, 0x5c, 0x6e, 0x45, 0xdf, 0x0e, 0xd3, 0xf1, 0x0b, 0x6f, 0x60,
		0xb0, 0x2f, 0x0c, 0x83, 0x90, 0xe2, 0x81, 0x30, 0x0f, 0x38, 0x05, 0xe2,
		0x27, 0x9c, 0x16, 0x16, 0x8c, 0xd6, 0xae, 0x9a, 0xa3, 0x98, 0xf6, 0x47,
		0xca, 0xa2, 0x33, 0x87, 0x48, 0xcd, 0x0f, 0xd9, 0xf5, 0xf8, 0x19, 0xef,
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", data_dir, cases[i].file);
		json_t *ev = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
		assert_non_null(ev);
		struct vtpm_arg a = {ev, cases[i].tee, (const uint8_t *)"challenge", 9};
		if (cases[i].v2) {
			a.rd = v2_rd;
			a.rd_len = sizeof(v2_rd);
		}
		/* a run may succeed: a character jansson's lexer dropped from a
		 * member nothing reads */
		alloc_fail_each(cases[i].file, op_vtpm, &a, ALLOC_FAIL_SUCCESS);
		json_decref(ev);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_az_alloc DATA_DIR\n");
		return 2;
	}
	data_dir = argv[1];
	alloc_fail_hook_jansson();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
