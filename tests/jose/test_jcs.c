/* JCS (RFC 8785) and the runtime-data digests: Trustee's vectors
 * (trustee.md §1.4), RFC 8785's own examples (§3.2.2, §3.2.3, Appendix B). */
#include <errno.h>
#include <math.h>

#include "jcs_int.h"
#include "jose_jcs.h"
#include "jose_test.h"
#include "jose_util.h"

static char *jcs_of(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
	if (v == NULL)
		fail_msg("bad test JSON: %s", je.text);
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(cj_jcs_serialize(v, &out, &len, NULL), 0);
	assert_int_equal(strlen(out), len);
	json_decref(v);
	return out;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void digest_is(const char *text, enum cj_hash h, const char *want)
{
	json_t *v = json_loads(text, 0, NULL);
	assert_non_null(v);
	unsigned char d[CJ_HASH_MAX];
	char hx[2 * CJ_HASH_MAX + 1];
	assert_int_equal(cj_jcs_digest(v, h, d, NULL), 0);
	hex(d, cj_hash_len(h), hx);
	assert_string_equal(hx, want);
	json_decref(v);
}

static void trustee_vectors(void **state)
{
	(void)state;
	char *s = jcs_of("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}");
	assert_string_equal(s, "{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}");
	free(s);
	digest_is("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}", CJ_SHA384,
	          "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a18642"
	          "7c813ca941da78870c3");
	/* the worked example: runtime data of the KBS Attestation */
	const char *rd = "{\"tee-pubkey\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":"
	                 "\"ECDH-ES+A256KW\",\"x\":\"AAAA\",\"y\":\"BBBB\"},\"nonce\":"
	                 "\"bm9uY2U=\",\"additional-evidence\":\"\"}";
	s = jcs_of(rd);
	assert_string_equal(s, "{\"additional-evidence\":\"\",\"nonce\":\"bm9uY2U=\",\"tee-pubkey\":"
	                       "{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":"
	                       "\"AAAA\",\"y\":\"BBBB\"}}");
	free(s);
	digest_is(rd, CJ_SHA384,
	          "d20490d30e5f16cba693abc1ca3c31ed977d2722d0adf01a980972d16913dc38f103c1f12abf477"
	          "df0523af2b12e4b43");
}

/* RFC 8785 §3.2.2: the sample object with numbers, escapes and literals. */
static void rfc8785_sample(void **state)
{
	(void)state;
	char *s = jcs_of("{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
	                 "0.000000000000000000000000001],\n  \"string\": "
	                 "\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
	                 "  \"literals\": [null, true, false]\n}");
	assert_string_equal(s, "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,"
	                       "1e+30,4.5,0.002,1e-27],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B"
	                       "\\\"\\\\\\\\\\\"/\"}");
	free(s);
}

/* RFC 8785 §3.2.3: members sorted by UTF-16 code units (the emoji's high
 * surrogate sorts before U+FB33 although its code point is larger). */
static void rfc8785_sorting(void **state)
{
	(void)state;
	char *s = jcs_of("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":"
	                 "\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":"
	                 "\"Emoji: Grinning Face\",\"\\u0080\":\"Control\",\"\\u00f6\":"
	                 "\"Latin Small Letter O With Diaeresis\"}");
	assert_string_equal(s, "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
	                       "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":"
	                       "\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	                       "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
	free(s);
}

static double from_bits(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof(d));
	return d;
}

/* RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript text. */
static void rfc8785_numbers(void **state)
{
	(void)state;
	static const struct {
		uint64_t bits;
		const char *text;
	} v[] = {
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		char out[CJ_ES6_NUMBER_MAX];
		size_t n = cj_es6_number(from_bits(v[i].bits), out);
		assert_string_equal(out, v[i].text);
		assert_int_equal(n, strlen(v[i].text));
	}
}

static void integers(void **state)
{
	(void)state;
	char *s = jcs_of("[0, -1, 9007199254740992, 9007199254740993, -9007199254740993, "
	                 "1e21, 1.0, -0.0, 100, 1e2]");
	/* integers are doubles: 2^53 + 1 rounds to 2^53 as in JavaScript */
	assert_string_equal(s, "[0,-1,9007199254740992,9007199254740992,-9007199254740992,1e+21,1,"
	                       "0,100,100]");
	free(s);
}

/* The ordered writer (serde_json's bytes for the JOSE headers). */
static void ordered_writer(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:s,s:s,s:{s:s,s:i}}", "z", "1", "a", "\x1f\x7f", "m", "b", "x",
	                      "k", -5);
	char *s = NULL;
	assert_int_equal(cj_json_dump_ordered(v, &s, NULL, NULL), 0);
	assert_string_equal(s, "{\"z\":\"1\",\"a\":\"\\u001f\x7f\",\"m\":{\"b\":\"x\",\"k\":-5}}");
	free(s);
	json_decref(v);
}

static void depth_cap(void **state)
{
	(void)state;
	json_t *v = json_array();
	for (int i = 0; i < 600; i++)
		v = json_pack("[o]", v);
	char *s = NULL;
	cc_error *e = NULL;
	int r = cj_jcs_serialize(v, &s, NULL, &e);
	jt_expect_err(r, e, -ELOOP, "deeper");
	assert_null(s);
	cc_error_free(e);
	json_decref(v);
}

static void hash_names(void **state)
{
	(void)state;
	enum cj_hash h = CJ_SHA256;
	assert_int_equal(cj_hash_from_name("sha512", &h, NULL), 0);
	assert_int_equal(h, CJ_SHA512);
	assert_int_equal(cj_hash_len(h), 64);
	cc_error *e = NULL;
	jt_expect_err(cj_hash_from_name("sm3", &h, &e), e, -EINVAL, "sm3");
	assert_int_equal(h, CJ_SHA512); /* unchanged */
	cc_error_free(e);
	unsigned char d[32];
	char hx[65];
	assert_int_equal(cj_hash_bytes(CJ_SHA256, "abc", 3, d, NULL), 0);
	hex(d, 32, hx);
	assert_string_equal(hx, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void base64(void **state)
{
	(void)state;
	unsigned char *p = NULL;
	size_t n = 0;
	cc_error *e = NULL;
	char *s = cj_b64url_encode("\xfb\xff", 2);
	assert_string_equal(s, "-_8");
	free(s);
	s = cj_b64_encode("\xfb\xff", 2);
	assert_string_equal(s, "+/8=");
	free(s);
	assert_int_equal(cj_b64url_decode("-_8", 3, 16, &p, &n, "t", NULL), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(p, "\xfb\xff", 2);
	free(p);
	p = NULL;
	/* trailing bits set, padding, wrong alphabet, bad length, over the cap */
	jt_expect_err(cj_b64url_decode("-_9", 3, 16, &p, &n, "t", &e), e, -EINVAL, "canonical");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_b64url_decode("-_8=", 4, 16, &p, &n, "t", &e), e, -EINVAL, "base64url");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_b64url_decode("+/8", 3, 16, &p, &n, "t", &e), e, -EINVAL, "base64url");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_b64url_decode("AAAAA", 5, 16, &p, &n, "t", &e), e, -EINVAL, "length");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_b64url_decode("AAAAAAAA", 8, 5, &p, &n, "t", &e), e, -E2BIG, "more");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_b64_decode("+/8", 3, 16, &p, &n, "t", &e), e, -EINVAL, "length");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_b64_decode("AA=A", 4, 16, &p, &n, "t", &e), e, -EINVAL, "base64");
	cc_error_free(e), e = NULL;
	assert_null(p);
	assert_int_equal(cj_b64_decode("+/8=", 4, 16, &p, &n, "t", NULL), 0);
	assert_int_equal(n, 2);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trustee_vectors), cmocka_unit_test(rfc8785_sample),
		cmocka_unit_test(rfc8785_sorting), cmocka_unit_test(rfc8785_numbers),
		cmocka_unit_test(integers),        cmocka_unit_test(ordered_writer),
		cmocka_unit_test(depth_cap),       cmocka_unit_test(hash_names),
		cmocka_unit_test(base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
