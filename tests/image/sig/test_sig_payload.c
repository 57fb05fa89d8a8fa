/* Simple-signing and cosign payloads (lib/image/sig/payload.c), as strict
 * as containers/image's untrustedSignature.strictUnmarshalJSON and
 * UntrustedCosignPayload: exactly the critical fields, "optional" an
 * object (cosign: or null) whose unknown members are ignored. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cocoon/limits.h"
#include "helpers.h"
#include "sig_int.h"

#define D "sha256:69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a"
#define REF "quay.io/ali_os_security/alpine:latest"
#define CRIT(type, extra)                                                                          \
	"\"critical\":{\"identity\":{\"docker-reference\":\"" REF "\"},\"image\":{"                 \
	"\"docker-manifest-digest\":\"" D "\"},\"type\":\"" type "\"" extra "}"
#define SIMPLE "atomic container signature"
#define COSIGN "cosign container image signature"

static void expect_ok(const char *json, bool cosign)
{
	struct sig_payload p = {0};
	cc_error *err = NULL;
	if (sig_payload_parse(json, strlen(json), cosign, &p, &err) != 0)
		fail_msg("%s: %s", json, cc_error_message(err));
	assert_string_equal(p.digest, D);
	assert_string_equal(p.reference, REF);
	sig_payload_clear(&p);
}

static void test_accepted(void **state)
{
	(void)state;
	/* the payload of image-rs's signature-1 (verify.rs SIG_PAYLOAD_JSON) */
	expect_ok("{\"critical\":{\"identity\":{\"docker-reference\":\"" REF "\"},"
	          "\"image\":{\"docker-manifest-digest\":\"" D "\"},"
	          "\"type\":\"atomic container signature\"},"
	          "\"optional\":{\"creator\":\"atomic 2.0.0\",\"timestamp\":1634533638}}",
	          false);
	/* key order and unknown optional members do not matter */
	expect_ok("{\"optional\":{\"x\":[1,{}],\"timestamp\":1.0e3}," CRIT(SIMPLE, "") "}", false);
	expect_ok("{" CRIT(SIMPLE, "") ",\"optional\":{}}", false);
	/* cosign: "optional" may be null (cosign writes that) */
	expect_ok("{" CRIT(COSIGN, "") ",\"optional\":null}", true);
	expect_ok("{" CRIT(COSIGN, "") ",\"optional\":{\"Bundle\":1,\"creator\":\"c\"}}", true);
}

static void test_rejected(void **state)
{
	(void)state;
	static const struct {
		bool cosign;
		const char *json, *msg;
	} t[] = {
	    {false, "[]", "signature payload: must be a JSON object"},
	    {false, "{", "signature payload: invalid JSON at line 1 column 1: string or '}' expected "
	                 "near end of file"},
	    {false, "{" CRIT(SIMPLE, "") "}", "signature payload: key \"optional\" missing"},
	    {false, "{\"optional\":{}}", "signature payload: key \"critical\" missing"},
	    {false, "{" CRIT(SIMPLE, "") ",\"optional\":{},\"x\":1}",
	     "signature payload: unknown key \"x\""},
	    {false, "{" CRIT(SIMPLE, ",\"x\":1") ",\"optional\":{}}",
	     "signature payload: critical: unknown key \"x\""},
	    {false, "{" CRIT(COSIGN, "") ",\"optional\":{}}",
	     "signature payload: unrecognized signature type \"" COSIGN "\""},
	    {true, "{" CRIT(SIMPLE, "") ",\"optional\":{}}",
	     "cosign payload: unrecognized signature type \"" SIMPLE "\""},
	    {false, "{" CRIT(SIMPLE, "") ",\"optional\":null}",
	     "signature payload: \"optional\" must be an object"},
	    {false, "{" CRIT(SIMPLE, "") ",\"optional\":{\"creator\":1}}",
	     "signature payload: \"optional.creator\" must be a string"},
	    {false, "{" CRIT(SIMPLE, "") ",\"optional\":{\"timestamp\":1.5}}",
	     "signature payload: \"optional.timestamp\" is not an integer"},
	    {false, "{" CRIT(SIMPLE, "") ",\"optional\":{\"timestamp\":\"1\"}}",
	     "signature payload: \"optional.timestamp\" is not an integer"},
	    {false, "{\"critical\":[],\"optional\":{}}",
	     "signature payload: \"critical\" must be an object"},
	    {false, "{\"critical\":{\"type\":\"" SIMPLE "\",\"image\":{\"docker-manifest-digest\":\"" D
	            "\"}},\"optional\":{}}",
	     "signature payload: critical: key \"identity\" missing"},
	    {false, "{\"critical\":{\"type\":\"" SIMPLE "\",\"image\":{\"docker-manifest-digest\":\"" D
	            "\",\"x\":1},\"identity\":{\"docker-reference\":\"r\"}},\"optional\":{}}",
	     "signature payload: critical.image: unknown key \"x\""},
	    {false, "{\"critical\":{\"type\":\"" SIMPLE "\",\"image\":{\"docker-manifest-digest\":1},"
	            "\"identity\":{\"docker-reference\":\"r\"}},\"optional\":{}}",
	     "signature payload: critical.image: \"docker-manifest-digest\" must be a string"},
	    {false, "{\"critical\":{\"type\":\"" SIMPLE "\",\"image\":{\"docker-manifest-digest\":\"" D
	            "\"},\"identity\":{}},\"optional\":{}}",
	     "signature payload: critical.identity: key \"docker-reference\" missing"},
	    {false, "{\"critical\":{\"type\":\"" SIMPLE "\",\"image\":{\"docker-manifest-digest\":"
	            "\"sha256:abc\"},\"identity\":{\"docker-reference\":\"r\"}},\"optional\":{}}",
	     "signature payload: invalid docker-manifest-digest \"sha256:abc\": invalid sha256 "
	     "digest: 3 hex digits, expected 64"},
	    {false, "{" CRIT(SIMPLE, "") ",\"optional\":{},\"optional\":{}}",
	     "signature payload: invalid JSON at line 1 column 255: duplicate object key near "
	     "'\\\"optional\\\"'"},
	    {false, "{\"critical\":{\"type\":\"atomic\\u0000\"}}",
	     "signature payload: invalid JSON at line 1 column 34: \\\\u0000 is not allowed without "
	     "JSON_ALLOW_NUL near '\\\"atomic\\\\u0000\\\"'"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sig_payload p = {(char *)(uintptr_t)1, NULL};
		cc_error *err = NULL;
		int r = sig_payload_parse(t[i].json, strlen(t[i].json), t[i].cosign, &p, &err);
		if (r != -EINVAL || strcmp(cc_error_message(err), t[i].msg) != 0)
			fail_msg("%s\n  got %d \"%s\"\n  want \"%s\"", t[i].json, r, cc_error_message(err),
			         t[i].msg);
		assert_ptr_equal(p.digest, (char *)(uintptr_t)1); /* untouched */
		cc_error_free(err);
	}
	/* the size cap */
	size_t n = CC_IMG_MAX_SIGNATURE_BYTES + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	struct sig_payload p = {0};
	assert_int_equal(sig_payload_parse(big, n, false, &p, NULL), -E2BIG);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
