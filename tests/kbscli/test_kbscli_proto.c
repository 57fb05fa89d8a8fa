/* The KBS client's messages (lib/kbsclient/kbs_proto.c): the bodies it sends
 * byte for byte as kbs-types serializes them, the answers it parses
 * (Challenge, token, Trustee error bodies, Set-Cookie, the JWE with the
 * guest-components vector), and the checks on paths and tokens. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cocoon/limits.h"
#include "jose_util.h"
#include "kbs_client.h"

/* guest-components.md §2.4 vector (vectors/guest-components/
 * generated__kbs_jwe_ecdh_p256.json): a fixed P-256 TEE key, its runtime
 * data and a KBS answer encrypted to it. */
static const char vec_key[] = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
                              "\"x\":\"Rxw-dYxJBChbun5TEY7Q9SSt6wdX0lvS-Oew1236cUw\","
                              "\"y\":\"3VIPesqKi5F6zDf1HejwybvjrYWDgucC3CWhLQn3qFg\","
                              "\"d\":\"EjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJCrze8\"}";
static const char vec_nonce[] = "bm9uY2UtZnJvbS1rYnM";
static const char vec_sha384[] = "913f3f05ea8fee7bdb0acac852aa24423ad5acfa90170e47a6023bcaf977e05"
                                 "2c7e7611afa359cd87c25fb5fb7bf2bbb";
static const char vec_response[] =
	"{\"protected\":\"eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJlcGsiOnsiY3J2Ij"
	"oiUC0yNTYiLCJrdHkiOiJFQyIsIngiOiJYMmw3YjZIbkNpNjdvM2lNT01VbGF4WUM0aGw4VmJha1JnR3pfR2Fs"
	"ZnFrIiwieSI6Ilpha3ZscWhsSFI5WnpGcDlzbE8yVHZXemE3NnFrQlVBakVQb2k4UzVUZXcifX0\","
	"\"encrypted_key\":\"WiTZBnkAoBWlSHvQb9O9PeylkXK85hN70U4ZNuh29UFdwGfi-jEP7w\","
	"\"iv\":\"AAECAwQFBgcICQoL\",\"ciphertext\":\"M2elb-WGrXX5JPn_\","
	"\"tag\":\"CBuYESJJ5xqH3gBf4kjjWQ\"}";

static char *hex(const unsigned char *p, size_t n)
{
	char *o = malloc(n * 2 + 1);
	for (size_t i = 0; i < n; i++) {
		o[2 * i] = "0123456789abcdef"[p[i] >> 4];
		o[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
	o[2 * n] = '\0';
	return o;
}

static cj_jwk *vector_key(void)
{
	cj_jwk *k = NULL;
	assert_int_equal(cj_jwk_parse(vec_key, strlen(vec_key), &k, NULL), 0);
	return k;
}

static void request_body(void **state)
{
	(void)state;
	char *b = NULL;
	assert_int_equal(kbs_request_body("sample", &b, NULL), 0);
	assert_string_equal(b, "{\"version\":\"0.4.0\",\"tee\":\"sample\",\"extra-params\":{"
	                       "\"supported-hash-algorithms\":[\"sha256\",\"sha384\",\"sha512\"]}}");
	free(b);
	cc_error *err = NULL;
	b = NULL;
	assert_int_equal(kbs_request_body("", &b, &err), -EINVAL);
	assert_null(b);
	cc_error_free(err);
}

static void challenge(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		int rc;
		enum cj_hash h;
	} cases[] = {
	    /* Trustee: "" for every TEE but se */
	    {"{\"nonce\":\"abc=\",\"extra-params\":\"\"}", 0, CJ_SHA384},
	    {"{\"extra-params\":{},\"nonce\":\"abc=\"}", 0, CJ_SHA384},
	    {"{\"nonce\":\"abc=\",\"extra-params\":{\"selected-hash-algorithm\":\"sha512\"}}", 0,
	     CJ_SHA512},
	    {"{\"nonce\":\"abc=\",\"extra-params\":{\"selected-hash-algorithm\":\"SHA256\"}}", 0,
	     CJ_SHA256},
	    {"{\"nonce\":\"abc=\",\"extra-params\":null,\"other\":1}", 0, CJ_SHA384},
	    {"{\"nonce\":\"abc=\",\"extra-params\":{\"selected-hash-algorithm\":\"sm3\"}}",
	     -ENOTSUP, 0},
	    {"{\"nonce\":\"abc=\",\"extra-params\":{\"selected-hash-algorithm\":1}}", -EINVAL, 0},
	    {"{\"nonce\":\"abc=\"}", -EINVAL, 0},
	    {"{\"extra-params\":\"\"}", -EINVAL, 0},
	    {"{\"nonce\":7,\"extra-params\":\"\"}", -EINVAL, 0},
	    {"{\"nonce\":\"\",\"extra-params\":\"\"}", -EINVAL, 0},
	    {"{\"nonce\":\"a\",\"nonce\":\"b\",\"extra-params\":\"\"}", -EINVAL, 0},
	    {"[\"nonce\"]", -EINVAL, 0},
	    {"{\"nonce\":\"a\\u0000b\",\"extra-params\":\"\"}", -EINVAL, 0},
	    {"{\"nonce\":\"abc=\",\"extra-params\":\"\"} x", -EINVAL, 0},
	    {"", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *nonce = NULL;
		enum cj_hash h = (enum cj_hash)99;
		cc_error *err = NULL;
		int rc = kbs_challenge_parse(cases[i].body, strlen(cases[i].body), &nonce, &h, &err);
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d (%s)", i, rc, cc_error_message(err));
		if (rc == 0) {
			assert_string_equal(nonce, "abc=");
			assert_int_equal(h, cases[i].h);
			assert_null(err);
		} else {
			assert_null(nonce); /* outputs untouched on failure */
			assert_int_equal(h, 99);
			assert_non_null(err);
		}
		free(nonce);
		cc_error_free(err);
	}
	/* an oversized nonce */
	size_t big = CC_KBS_CLIENT_MAX_NONCE_BYTES + 1;
	char *body = malloc(big + 64);
	int n = snprintf(body, big + 64, "{\"nonce\":\"%0*d\",\"extra-params\":\"\"}", (int)big, 0);
	char *nonce = NULL;
	enum cj_hash h;
	assert_int_equal(kbs_challenge_parse(body, (size_t)n, &nonce, &h, NULL), -E2BIG);
	free(body);
}

/* The worked example of trustee.md §1.4 and the guest-components vector. */
static void runtime_digest(void **state)
{
	(void)state;
	json_t *pub = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "alg",
	                        "ECDH-ES+A256KW", "x", "AAAA", "y", "BBBB");
	unsigned char d[CJ_HASH_MAX];
	assert_int_equal(kbs_runtime_digest("bm9uY2U=", pub, CJ_SHA384, d, NULL), 0);
	char *h = hex(d, 48);
	assert_string_equal(h, "d20490d30e5f16cba693abc1ca3c31ed977d2722d0adf01a980972d16913dc38"
	                       "f103c1f12abf477df0523af2b12e4b43");
	free(h);
	json_decref(pub);

	cj_jwk *k = vector_key();
	assert_int_equal(cj_jwk_to_tee_pubkey(k, &pub, NULL), 0);
	assert_int_equal(kbs_runtime_digest(vec_nonce, pub, CJ_SHA384, d, NULL), 0);
	h = hex(d, 48);
	assert_string_equal(h, vec_sha384);
	free(h);
	json_decref(pub);
	cj_jwk_free(k);
}

static void attestation_body(void **state)
{
	(void)state;
	cj_jwk *k = vector_key();
	json_t *pub = NULL;
	assert_int_equal(cj_jwk_to_tee_pubkey(k, &pub, NULL), 0);
	static const char ev[] = "{\"svn\":\"1\",\"report_data\":\"AAAA\"}";
	static const char pubtext[] =
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
		"\"x\":\"Rxw-dYxJBChbun5TEY7Q9SSt6wdX0lvS-Oew1236cUw\","
		"\"y\":\"3VIPesqKi5F6zDf1HejwybvjrYWDgucC3CWhLQn3qFg\"}";
	char *b = NULL;
	assert_int_equal(kbs_attestation_body(vec_nonce, pub, ev, strlen(ev), NULL, 0, &b, NULL), 0);
	char want[1024];
	snprintf(want, sizeof(want),
	         "{\"init-data\":null,\"runtime-data\":{\"nonce\":\"%s\",\"tee-pubkey\":%s},"
	         "\"tee-evidence\":{\"primary_evidence\":%s,\"additional_evidence\":\"\"}}",
	         vec_nonce, pubtext, ev);
	assert_string_equal(b, want);
	free(b);
	/* init-data: the TOML text as a JSON string; member order of the
	 * evidence kept as the attester wrote it */
	static const char toml[] = "version = \"0.1.0\"\nalgorithm = \"sha384\"\n[data]\n\"a\" = 'x'\n";
	static const char ev2[] = "{\"z\":1,\"a\":[true,null]}";
	assert_int_equal(
	    kbs_attestation_body("n", pub, ev2, strlen(ev2), toml, strlen(toml), &b, NULL), 0);
	snprintf(want, sizeof(want),
	         "{\"init-data\":{\"format\":\"toml\",\"body\":\"version = \\\"0.1.0\\\"\\n"
	         "algorithm = \\\"sha384\\\"\\n[data]\\n\\\"a\\\" = 'x'\\n\"},"
	         "\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":%s},"
	         "\"tee-evidence\":{\"primary_evidence\":%s,\"additional_evidence\":\"\"}}",
	         pubtext, ev2);
	assert_string_equal(b, want);
	free(b);
	/* refusals: evidence that is not JSON, init-data that is not UTF-8 */
	b = NULL;
	cc_error *err = NULL;
	assert_int_equal(kbs_attestation_body("n", pub, "{", 1, NULL, 0, &b, &err), -EINVAL);
	assert_null(b);
	cc_error_free(err);
	err = NULL;
	assert_int_equal(kbs_attestation_body("n", pub, ev, strlen(ev), "\xff\xfe", 2, &b, &err),
	                 -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "init-data"));
	assert_null(b);
	cc_error_free(err);
	json_decref(pub);
	cj_jwk_free(k);
}

static void token(void **state)
{
	(void)state;
	char *t = NULL;
	const char *ok = "{\"token\":\"eyJ.eyJ.sig\",\"extra\":1}";
	assert_int_equal(kbs_token_parse(ok, strlen(ok), &t, NULL), 0);
	assert_string_equal(t, "eyJ.eyJ.sig");
	free(t);
	static const char *const bad[] = {
	    "{}", "{\"token\":1}", "{\"token\":\"\"}", "{\"token\":\"a b\"}",
	    "{\"token\":\"a\\r\\nX-Injected: 1\"}", "{\"token\":\"a\",\"token\":\"b\"}", "[]", "nope",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error *err = NULL;
		t = NULL;
		assert_int_equal(kbs_token_parse(bad[i], strlen(bad[i]), &t, &err), -EINVAL);
		assert_null(t);
		/* the message never quotes the token */
		assert_null(strstr(cc_error_message(err), "X-Injected"));
		cc_error_free(err);
	}
	assert_int_equal(kbs_token_check("abc", 3, "t", NULL), 0);
	assert_int_equal(kbs_token_check("a\x7f", 2, "t", NULL), -EINVAL);
	assert_int_equal(kbs_token_check("", 0, "t", NULL), -EINVAL);
}

static void error_body(void **state)
{
	(void)state;
	char *var = NULL, *det = NULL;
	const char *b = "{\"type\":\"https://github.com/confidential-containers/kbs/errors/"
	                "PolicyDeny\",\"detail\":\"Resource not permitted.\"}";
	assert_int_equal(kbs_error_parse(b, strlen(b), &var, &det, NULL), 0);
	assert_string_equal(var, "PolicyDeny");
	assert_string_equal(det, "Resource not permitted.");
	free(var);
	free(det);
	/* a type without Trustee's prefix is kept whole; controls made '?' */
	b = "{\"type\":\"about:blank\",\"detail\":\"line1\\nline2\\u001b[31m\"}";
	assert_int_equal(kbs_error_parse(b, strlen(b), &var, &det, NULL), 0);
	assert_string_equal(var, "about:blank");
	assert_string_equal(det, "line1?line2?[31m");
	free(var);
	free(det);
	/* a long detail is cut */
	size_t n = CC_KBS_CLIENT_MAX_DETAIL_BYTES * 2;
	char *big = malloc(n + 64);
	int len = snprintf(big, n + 64, "{\"type\":\"x\",\"detail\":\"%0*d\"}", (int)n, 0);
	assert_int_equal(kbs_error_parse(big, (size_t)len, &var, &det, NULL), 0);
	assert_int_equal(strlen(det), CC_KBS_CLIENT_MAX_DETAIL_BYTES + 3);
	assert_string_equal(det + CC_KBS_CLIENT_MAX_DETAIL_BYTES, "...");
	free(var);
	free(det);
	free(big);
	static const char *const bad[] = {"{\"type\":\"x\"}", "{\"detail\":\"x\"}",
	                                  "{\"type\":1,\"detail\":\"x\"}", "<html>", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		var = det = NULL;
		assert_int_equal(kbs_error_parse(bad[i], strlen(bad[i]), &var, &det, NULL), -EINVAL);
		assert_null(var);
		assert_null(det);
	}
}

static void set_cookie(void **state)
{
	(void)state;
	static const struct {
		const char *h;
		const char *want; /* NULL: not ours */
	} cases[] = {
	    {" kbs-session-id=0123abcd; Expires=Wed, 21 Oct 2026 07:28:00 GMT", "0123abcd"},
	    {"kbs-session-id=abc", "abc"},
	    {"kbs-session-id=\"quoted\"; Path=/", "quoted"},
	    {"kbs-session-id=abc  ; Secure", "abc"},
	    {"other=1; kbs-session-id=abc", NULL},
	    {"kbs-session-idx=abc", NULL},
	    {"kbs-session-id=", NULL},
	    {"kbs-session-id=a b", NULL},
	    {"kbs-session-id=a,b", NULL},
	    {"kbs-session-id=a\\b", NULL},
	    {"kbs-session-id", NULL},
	    {"", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[KBS_SESSION_ID_MAX + 1] = "untouched";
		int r = kbs_set_cookie_parse(cases[i].h, strlen(cases[i].h), out);
		if (cases[i].want == NULL) {
			assert_int_equal(r, 0);
			assert_string_equal(out, "untouched");
		} else {
			assert_int_equal(r, 1);
			assert_string_equal(out, cases[i].want);
		}
	}
	/* the longest value kept, and one byte more */
	char h[KBS_SESSION_ID_MAX + 32], out[KBS_SESSION_ID_MAX + 1];
	int n = snprintf(h, sizeof(h), "kbs-session-id=%0*d", (int)KBS_SESSION_ID_MAX, 0);
	assert_int_equal(kbs_set_cookie_parse(h, (size_t)n, out), 1);
	n = snprintf(h, sizeof(h), "kbs-session-id=%0*d", (int)KBS_SESSION_ID_MAX + 1, 0);
	assert_int_equal(kbs_set_cookie_parse(h, (size_t)n, out), 0);
	/* the length given is honoured, not the NUL */
	assert_int_equal(kbs_set_cookie_parse("kbs-session-id=abcdef", 17, out), 1);
	assert_string_equal(out, "ab");
}

static void resource_path(void **state)
{
	(void)state;
	static const char *const ok[] = {"default/key/1", "a/b/c", "my_repo/resource-type/123.abc",
	                                 "-a/_b/c..d"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(kbs_resource_path_check(ok[i], NULL), 0);
	static const char *const bad[] = {"",         "a/b",      "a/b/c/d", "/a/b/c",   "a/b/c/",
	                                  "a//b/c",   "../b/c",   ".a/b/c",  "a/b/.c",   "a/b/c?x=1",
	                                  "a/b/c#f",  "a/b%2f/c", "a/ b/c",  "a/b/c\n", "é/b/c"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error *err = NULL;
		if (kbs_resource_path_check(bad[i], &err) != -EINVAL)
			fail_msg("path \"%s\" accepted", bad[i]);
		cc_error_free(err);
	}
}

static void escape_path(void **state)
{
	(void)state;
	char *e = kbs_http_escape_path("rvps:///ns/a b?c#d%/é~_.-");
	assert_string_equal(e, "rvps%3A///ns/a%20b%3Fc%23d%25/%C3%A9~_.-");
	free(e);
}

static void decrypt_vector(void **state)
{
	(void)state;
	cj_jwk *k = vector_key();
	unsigned char *pt = NULL;
	size_t n = 0;
	assert_int_equal(kbs_resource_decrypt(k, vec_response, strlen(vec_response), &pt, &n, NULL),
	                 0);
	assert_int_equal(n, 12);
	assert_memory_equal(pt, "test content", 12);
	cj_free_secret(pt, n);
	/* a changed tag, a truncated answer, an error body instead of a JWE */
	char *bad = strdup(vec_response);
	char *tag = strstr(bad, "CBuY");
	tag[0] = 'D';
	cc_error *err = NULL;
	pt = NULL;
	assert_int_equal(kbs_resource_decrypt(k, bad, strlen(bad), &pt, &n, &err), -EBADMSG);
	assert_null(pt);
	cc_error_free(err);
	err = NULL;
	assert_true(kbs_resource_decrypt(k, vec_response, 40, &pt, &n, &err) < 0);
	cc_error_free(err);
	err = NULL;
	const char *eb = "{\"type\":\"x\",\"detail\":\"y\"}";
	assert_true(kbs_resource_decrypt(k, eb, strlen(eb), &pt, &n, &err) < 0);
	assert_null(pt);
	cc_error_free(err);
	free(bad);
	cj_jwk_free(k);
}

static void tee_keys(void **state)
{
	(void)state;
	cj_jwk *k = NULL;
	assert_int_equal(kbs_tee_key_generate(&k, NULL), 0);
	assert_string_equal(cj_jwk_alg(k), "ECDH-ES+A256KW");
	assert_string_equal(cj_jwk_crv(k), "P-256");
	assert_true(cj_jwk_is_private(k));
	cj_jwk_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(request_body),  cmocka_unit_test(challenge),
	    cmocka_unit_test(runtime_digest), cmocka_unit_test(attestation_body),
	    cmocka_unit_test(token),         cmocka_unit_test(error_body),
	    cmocka_unit_test(set_cookie),    cmocka_unit_test(resource_path),
	    cmocka_unit_test(escape_path),   cmocka_unit_test(decrypt_vector),
	    cmocka_unit_test(tee_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
