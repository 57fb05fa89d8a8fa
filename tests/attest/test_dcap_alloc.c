/* Fails every allocation in turn (STYLE.md "Tests") on the DCAP collateral
 * side's paths: dcap_collateral_parse in both shapes and dcap_verify of the
 * real vector (argv[1] = tests/attest/data/dcap). Through
 * tests/common/alloc_fail.h, with jansson allocating through the same
 * wrapper, every allocation of our code and of the JSON it reads can fail;
 * OpenSSL's cannot. No step may crash; the ASan
 * build's LeakSanitizer checks nothing leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "dcap_test_util.h"

static const char *data_dir;

/* jansson recovers from a few of its own allocation failures while parsing
 * (the call then succeeds): only our code's must fail, which LeakSanitizer
 * checks; any code is accepted, as no step may crash or leak. */
#define DCAP_ACCEPT (ALLOC_FAIL_SUCCESS | ALLOC_FAIL_ANY)

struct parse_arg {
	const char *json;
	size_t len;
};

static int op_parse(void *p)
{
	struct parse_arg *a = p;
	dcap_collateral *c = NULL;
	cc_error *e = NULL;
	int r = dcap_collateral_parse(a->json, a->len, &c, &e);
	cc_error_free(e);
	dcap_collateral_free(c);
	return r;
}

static int op_verify(void *p)
{
	struct dcap_real *r = p;
	struct dcap_verify_in in = dcap_real_in(r, 1757462400);
	struct dcap_verify_out out;
	cc_error *e = NULL;
	int rc = dcap_verify(r->c, &in, &out, &e);
	cc_error_free(e);
	if (rc == 0)
		json_decref(out.advisory_ids);
	return rc;
}

static void test_parse(void **state)
{
	(void)state;
	struct parse_arg a;
	char *json = dcap_test_slurp(data_dir, "quote_collateral.json", &a.len);
	a.json = json;
	assert_int_equal(op_parse(&a), 0); /* jansson's one-time set-up first */
	alloc_fail_each("parse QuoteCollateralV3", op_parse, &a, DCAP_ACCEPT);
	free(json);
	static const char pcs[] =
		"{\"tcb_info\":{\"tcbInfo\":{\"id\":\"TDX\"},\"signature\":\"" 
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"},"
		"\"qe_identity\":\"{\\\"enclaveIdentity\\\":{},\\\"signature\\\":\\\""
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\\\"}\","
		"\"pck_crl\":\"-----BEGIN X509 CRL-----\\nMA==\\n-----END X509 CRL-----\\n\",\"root_ca_crl\":\"3000\","
		"\"tcb_info_issuer_chain\":\"%2D%2D\",\"qe_identity_issuer_chain\":\"x\"}";
	a.json = pcs;
	a.len = sizeof(pcs) - 1;
	/* the PEM CRL does not parse: every step fails, none may crash or leak */
	for (int n = 1; n < 60; n++) {
		alloc_fail_arm(n);
		op_parse(&a);
		alloc_fail_arm(0);
	}
}

static void test_verify(void **state)
{
	(void)state;
	struct dcap_real r;
	dcap_real_load(data_dir, &r);
	alloc_fail_each("verify the real vector", op_verify, &r, DCAP_ACCEPT);
	dcap_collateral_free(r.c);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	alloc_fail_hook_jansson();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
