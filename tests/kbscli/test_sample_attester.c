/* The sample attester (lib/attest/sample_attester.c): guest-components'
 * evidence bytes for known report data, the bounds, and (when the tree
 * has it) Trustee's sample verifier accepting what it makes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sample_attester.h"
#if __has_include("sample_verifier.h")
#include "sample_verifier.h"
#define HAVE_SAMPLE_VERIFIER 1
#endif

static char *evidence(attest_attester *a, const uint8_t *rd, size_t n, int want_rc)
{
	char *ev = NULL;
	cc_error *err = NULL;
	int r = attest_attester_get_evidence(a, rd, n, &ev, &err);
	if (r != want_rc)
		fail_msg("get_evidence(%zu bytes): %d (%s)", n, r, cc_error_message(err));
	cc_error_free(err);
	return ev;
}

static void shape(void **state)
{
	(void)state;
	attest_attester *a = NULL;
	assert_int_equal(sample_attester_new(&a, NULL), 0);
	assert_string_equal(attest_attester_tee(a), "sample");
	uint8_t rd[64];
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)i;
	/* serde_json's form of SampleQuote, standard base64 with padding */
	char *ev = evidence(a, rd, 3, 0);
	assert_string_equal(ev, "{\"svn\":\"1\",\"report_data\":\"AAEC\"}");
	free(ev);
	ev = evidence(a, rd, 4, 0);
	assert_string_equal(ev, "{\"svn\":\"1\",\"report_data\":\"AAECAw==\"}");
	free(ev);
	ev = evidence(a, (const uint8_t *)"\xfb\xff", 2, 0);
	assert_string_equal(ev, "{\"svn\":\"1\",\"report_data\":\"+/8=\"}");
	free(ev);
	ev = evidence(a, NULL, 0, 0);
	assert_string_equal(ev, "{\"svn\":\"1\",\"report_data\":\"\"}");
	free(ev);
	/* a 48-byte digest is not padded (Trustee compares it exactly) */
	ev = evidence(a, rd, 48, 0);
	assert_int_equal(strlen(ev), strlen("{\"svn\":\"1\",\"report_data\":\"\"}") + 64);
	free(ev);
	ev = evidence(a, rd, 64, 0);
	free(ev);
	assert_null(evidence(a, rd, 65, -EINVAL));
	attest_attester_free(a);
	attest_attester_free(NULL);
}

static void against_verifier(void **state)
{
	(void)state;
#ifdef HAVE_SAMPLE_VERIFIER
	attest_attester *a = NULL;
	attest_verifier *v = NULL;
	assert_int_equal(sample_attester_new(&a, NULL), 0);
	assert_int_equal(sample_verifier_new(&v, NULL), 0);
	uint8_t rd[48], other[48];
	for (size_t i = 0; i < sizeof(rd); i++) {
		rd[i] = (uint8_t)(i * 7);
		other[i] = (uint8_t)(i * 7 + 1);
	}
	char *ev = evidence(a, rd, sizeof(rd), 0);
	json_t *j = json_loads(ev, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	json_t *claims = NULL;
	assert_int_equal(attest_verifier_evaluate(v, j, rd, sizeof(rd), NULL, 0, &claims, NULL), 0);
	json_decref(claims);
	cc_error *err = NULL;
	claims = NULL;
	assert_true(attest_verifier_evaluate(v, j, other, sizeof(other), NULL, 0, &claims, &err) < 0);
	assert_null(claims);
	cc_error_free(err);
	json_decref(j);
	free(ev);
	attest_verifier_free(v);
	attest_attester_free(a);
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(shape),
	    cmocka_unit_test(against_verifier),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
