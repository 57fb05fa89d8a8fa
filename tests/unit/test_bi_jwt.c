/* Unit tests for the jwt builtin group (lib/rego/bi/jwt*.c): OPA's error
 * texts, base64url errors, header and constraint checks, and sign/verify
 * round trips for every algorithm family with JWK and PEM keys (the OPA
 * conformance cases cover the fixed vectors). */
#include <errno.h>

#include "bi_test.h"
#include "rego/bi/jwt_int.h"

#define EQ(name, args, want) T_EQ(rbi_group_jwt, name, args, want)
#define ERR "ERR eval_builtin_error: "

/* A P-384 key (generated for these tests) as a private JWK and as a PEM
 * public key, and a 2048-bit RSA key as a private JWK. */
#define EC_X "QycwLNZkFZhVRbnU9OntbBY8qweUY4KKPXwbzdtSJaaQbBUn_BQ9N7xJVcJalbJ8"
#define EC_Y "cKHGIR7HQVBGQMxM35mw4vYHGg4IjYxCW0wf22ht9vIn4Ek8iXeDkhcuHX3a15MQ"
#define EC_D "RPSSpeoukgNsx-JWSFG-MqSo9LP2upnzVCvlWjDMa-wB_i2YcZ4FNc4NrQoj6MnD"
#define EC_JWK                                                                                     \
	"{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-384\\\",\\\"x\\\":\\\"" EC_X "\\\",\\\"y\\\":\\\"" EC_Y \
	"\\\",\\\"d\\\":\\\"" EC_D "\\\"}"
#define EC_PEM                                                                                     \
	"-----BEGIN PUBLIC KEY-----\\n"                                                            \
	"MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEQycwLNZkFZhVRbnU9OntbBY8qweUY4KK\\n"                      \
	"PXwbzdtSJaaQbBUn/BQ9N7xJVcJalbJ8cKHGIR7HQVBGQMxM35mw4vYHGg4IjYxC\\n"                      \
	"W0wf22ht9vIn4Ek8iXeDkhcuHX3a15MQ\\n"                                                      \
	"-----END PUBLIC KEY-----\\n"
#define RSA_N                                                                                      \
	"uBkUAIgSlnpEIOSXbPGa1ptDn-bxlkvS1qOJZBlVd70xX4XBdRkm3vJA5b9_mu5NR3p7cgQHCNilqRujwgY3_C5NVJfGQ" \
	"wQTjk3kFS_1_4VaJGBeGR8rgG4gbJ_5PtKvbDrf8JtmmRdpANgxICu06SA-8yYAJCUZ1N0pI9IjtrIphT3sbpB1JiTNb4" \
	"sjeAhw8RW2leiRQ6s-BpolsmK7Ifu3jxX-6J8R9q96e0LIe4wqjAaF9bj9jq7N7rGoiF34a15FoyQsVh5VceHxpPSHEH1" \
	"ZT6p79f-chlG1Ag9olacwqNpvLoO9TybDpYqREdudaAkYwYSGdX6JAnkk6VPq8Q"
#define RSA_D                                                                                      \
	"G8TgoQHld-BCdYm1k5_QAM4TwcNmroqKZ4jsePZfT3vwvh1hZIXiOJ_nDSC5IUgPzRfbFgQogXuYZW0_Ys1oVXgwfvGT3" \
	"Nj5EC6MmGuPGjdltPX6S6TJfYpfBrOMt561CkjJLbRrIe2Hj7KMmnMtSzrrc-bH_6u-_T5M7dPNQknU-gVwOtPjhNQe0A" \
	"eQPEjnd5RsnRzIfR1sdCvyh8eDl9uryR4c3xbZxR6ZdnzaSose5nfwO1-TWnB_zoTQ0Lugx9ZjqAihKnDbPHabbGnebpq" \
	"D9YJHJHAQE6Bn2SDfgYs83EswJk4kSc_WdWNkXv_yPdThBJPt_lsnjoo7bNSgHw"
#define RSA_PUB "{\\\"kty\\\":\\\"RSA\\\",\\\"n\\\":\\\"" RSA_N "\\\",\\\"e\\\":\\\"AQAB\\\"}"
#define RSA_PRIV                                                                                   \
	"{\\\"kty\\\":\\\"RSA\\\",\\\"n\\\":\\\"" RSA_N "\\\",\\\"e\\\":\\\"AQAB\\\",\\\"d\\\":\\\"" RSA_D \
	"\\\"}"
#define ED_JWK                                                                                     \
	"{\\\"kty\\\":\\\"OKP\\\",\\\"crv\\\":\\\"Ed25519\\\",\\\"x\\\":\\\"wEZFfoAj1rFKTLOOmjJjVZlCH" \
	"wksuvMb2I5y_hg70E8\\\",\\\"d\\\":\\\"9XI34uQzYUJfWhDZf_0nYsLMBRVu8a6dFsy60P8uugk\\\"}"

/* HS256 over {"alg":"HS256","typ":"JWT"}.{"sub":"0","iss":"opa"} (OPA's case). */
#define HS_TOKEN                                                                                   \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO_WRONMSJ" \
	"zGUDP9pDjy8Jp0_tdRXY"

/* Signs {"iss":"cocoon"} with alg and key (a JWK in the literal syntax). */
static const char *sign(const char *alg, const char *jwk)
{
	char args[4096];
	snprintf(args, sizeof(args), "[\"{\\\"alg\\\":\\\"%s\\\"}\", \"{\\\"iss\\\":\\\"cocoon\\\"}\", \"%s\"]",
	         alg, jwk);
	const char *t = t_call(rbi_group_jwt, "io.jwt.encode_sign_raw", args);
	assert_true(t[0] == '"');
	return t;
}

static const char *verify(const char *fn, const char *token, const char *key)
{
	char args[8192];
	snprintf(args, sizeof(args), "[%s, \"%s\"]", token, key);
	return t_call(rbi_group_jwt, fn, args);
}

static void test_decode_errors(void **state)
{
	(void)state;
	EQ("io.jwt.decode", "[\"abc\"]", ERR "io.jwt.decode: encoded JWT had no period separators");
	EQ("io.jwt.decode", "[\"a.b\"]", ERR "io.jwt.decode: encoded JWT must have 3 sections, found 2");
	EQ("io.jwt.decode", "[\"a.b.c.d\"]", ERR "io.jwt.decode: encoded JWT must have 3 sections, found 4");
	EQ("io.jwt.decode", "[\"a*.b.c\"]",
	   ERR "io.jwt.decode: JWT header had invalid encoding: illegal base64 data at input byte 1");
	EQ("io.jwt.decode", "[\"abcde.b.c\"]",
	   ERR "io.jwt.decode: JWT header had invalid encoding: illegal base64url string: abcde");
	EQ("io.jwt.decode", "[\"ab*d.b.c\"]",
	   ERR "io.jwt.decode: JWT header had invalid encoding: illegal base64 data at input byte 2");
	/* {"enc":"A128GCM"} */
	EQ("io.jwt.decode", "[\"eyJlbmMiOiJBMTI4R0NNIn0.e30.\"]",
	   ERR "io.jwt.decode: JWT is a JWE object, which is not supported");
	/* [] as the header */
	EQ("io.jwt.decode", "[\"W10.e30.\"]", ERR "io.jwt.decode: bad JWT header: decoded JSON type was not an Object");
	EQ("io.jwt.decode", "[1]", "ERR eval_type_error: io.jwt.decode: operand 1 must be string but got number");
	EQ("io.jwt.decode", "[\"e30.e30.\"]", "[{}, {}, \"\"]");
	EQ("io.jwt.decode", "[\"" HS_TOKEN "\"]",
	   "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, "
	   "\"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]");
}

static void test_verify_hs(void **state)
{
	(void)state;
	EQ("io.jwt.verify_hs256", "[\"" HS_TOKEN "\", \"secret\"]", "true");
	EQ("io.jwt.verify_hs256", "[\"" HS_TOKEN "\", \"Secret\"]", "false");
	EQ("io.jwt.verify_hs384", "[\"" HS_TOKEN "\", \"secret\"]", "false");
	EQ("io.jwt.verify_hs256", "[\"" HS_TOKEN "x\", \"secret\"]", "false");
	EQ("io.jwt.verify_hs256", "[\"" HS_TOKEN "\", 1]",
	   "ERR eval_type_error: io.jwt.verify_hs256: operand 2 must be string but got number");
}

static void test_round_trips(void **state)
{
	(void)state;
	const char *es = sign("ES384", EC_JWK);
	assert_string_equal(verify("io.jwt.verify_es384", es, EC_PEM), "true");
	assert_string_equal(verify("io.jwt.verify_es384", es, EC_JWK), "true");
	assert_string_equal(verify("io.jwt.verify_es256", es, EC_PEM), "false");
	assert_string_equal(verify("io.jwt.verify_rs384", es, EC_PEM), "false");
	const char *ps = sign("PS512", RSA_PRIV);
	assert_string_equal(verify("io.jwt.verify_ps512", ps, RSA_PUB), "true");
	assert_string_equal(verify("io.jwt.verify_rs512", ps, RSA_PUB), "false");
	const char *rs = sign("RS256", RSA_PRIV);
	assert_string_equal(verify("io.jwt.verify_rs256", rs, RSA_PUB), "true");
	assert_string_equal(verify("io.jwt.verify_ps256", rs, RSA_PUB), "false");
	const char *ed = sign("EdDSA", ED_JWK);
	assert_string_equal(verify("io.jwt.verify_eddsa", ed, ED_JWK), "true");
	assert_string_equal(verify("io.jwt.verify_es256", ed, EC_JWK), "false");
	/* A JWKS: the key whose kid or alg fits is used. */
	assert_string_equal(verify("io.jwt.verify_rs256", rs,
	                           "{\\\"keys\\\":[" EC_JWK "," RSA_PUB "]}"),
	                    "true");
	/* A key of the wrong type signs nothing. */
	char args[4096];
	snprintf(args, sizeof(args), "[\"{\\\"alg\\\":\\\"RS256\\\"}\", \"{}\", \"%s\"]", EC_JWK);
	EQ("io.jwt.encode_sign_raw", args,
	   ERR "io.jwt.encode_sign_raw: failed to sign payload using RS256: the key does not suit the algorithm");
}

static void test_key_errors(void **state)
{
	(void)state;
	EQ("io.jwt.verify_rs256", "[\"" HS_TOKEN "\", \"nope\"]",
	   ERR "io.jwt.verify_rs256: failed to parse a JWK key (set): invalid JSON");
	EQ("io.jwt.verify_rs256", "[\"" HS_TOKEN "\", \"" EC_PEM "x\"]",
	   ERR "io.jwt.verify_rs256: extra data after a PEM certificate block");
	EQ("io.jwt.verify_rs256",
	   "[\"" HS_TOKEN "\", \"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"]",
	   ERR "io.jwt.verify_rs256: failed to extract a Key from the PEM certificate");
	EQ("io.jwt.verify_rs256",
	   "[\"" HS_TOKEN "\", \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\"]",
	   ERR "io.jwt.verify_rs256: failed to parse a PEM certificate: x509: malformed certificate");
	EQ("io.jwt.encode_sign_raw", "[\"{}\", \"{}\", \"{\\\"kty\\\":\\\"EC\\\"}\"]",
	   ERR "io.jwt.encode_sign_raw: failed to parse jwk key: invalid JWK");
	EQ("io.jwt.encode_sign_raw", "[\"{}\", \"{}\", \"{\\\"keys\\\":[]}\"]",
	   ERR "io.jwt.encode_sign_raw: no keys found in JWK set");
	/* An RSA modulus over OpenSSL's 16384 bits is refused (private
	 * operations on it would not end in bounded time). */
	static char big[8192];
	int m = snprintf(big, sizeof(big), "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"B");
	for (int i = 0; i < 2740; i++)
		big[m++] = 'A';
	m += snprintf(big + m, sizeof(big) - (size_t)m, "\",\"d\":\"AQAB\"}");
	struct rjwt_keys *ks = calloc(1, sizeof(*ks));
	assert_non_null(ks);
	t_cx.fname = "f";
	assert_int_equal(rjwt_key_from_jwk_text(&t_cx, big, (size_t)m, ks), -EINVAL);
	assert_string_equal(cc_error_message(t_cx.err), "f: failed to parse jwk key: invalid JWK");
	assert_int_equal(ks->n, 0);
	free(ks);
}

static void test_decode_verify(void **state)
{
	(void)state;
	const char *dv = "io.jwt.decode_verify";
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"secret\"}]",
	   "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}]");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"secret\", \"iss\": \"opa\", \"alg\": \"HS256\"}]",
	   "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}]");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"secret\", \"iss\": \"other\"}]", "[false, {}, {}]");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"secret\", \"aud\": \"x\"}]", "[false, {}, {}]");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"secret\", \"alg\": \"RS256\"}]", "[false, {}, {}]");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"wrong\"}]", "[false, {}, {}]");
	EQ(dv, "[\"" HS_TOKEN "\", {\"cert\": \"" EC_PEM "\"}]", "[false, {}, {}]");
	EQ(dv, "[\"" HS_TOKEN "\", {}]", ERR "io.jwt.decode_verify: no key constraint");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"s\", \"cert\": \"" EC_PEM "\"}]",
	   ERR "io.jwt.decode_verify: duplicate key constraints");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"s\", \"nope\": 1}]",
	   ERR "io.jwt.decode_verify: unknown token validation constraint: nope");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": \"s\", \"time\": -1}]",
	   ERR "io.jwt.decode_verify: token time constraint: must not be negative");
	EQ(dv, "[\"" HS_TOKEN "\", {\"secret\": 1}]", ERR "io.jwt.decode_verify: secret constraint: must be a string");
	EQ(dv, "[\"" HS_TOKEN "\", {\"cert\": 1}]", ERR "io.jwt.decode_verify: cert constraint: must be a string");
	EQ(dv, "[\"" HS_TOKEN "\", []]",
	   "ERR eval_type_error: io.jwt.decode_verify: operand 2 must be object but got array");
	/* A signed token with a time window. */
	char args[4096];
	snprintf(args, sizeof(args),
	         "[\"{\\\"alg\\\":\\\"ES384\\\"}\", \"{\\\"nbf\\\":100,\\\"exp\\\":200}\", \"%s\"]", EC_JWK);
	const char *t = t_call(rbi_group_jwt, "io.jwt.encode_sign_raw", args);
	char q[8192];
	snprintf(q, sizeof(q), "[%s, {\"cert\": \"%s\", \"time\": 150000000000}]", t, EC_PEM);
	EQ(dv, q, "[true, {\"alg\": \"ES384\"}, {\"exp\": 200, \"nbf\": 100}]");
	snprintf(q, sizeof(q), "[%s, {\"cert\": \"%s\", \"time\": 200000000000}]", t, EC_PEM);
	EQ(dv, q, "[false, {}, {}]");
	snprintf(q, sizeof(q), "[%s, {\"cert\": \"%s\", \"time\": 99000000000}]", t, EC_PEM);
	EQ(dv, q, "[false, {}, {}]");
}

static void test_b64url(void **state)
{
	(void)state;
	char *out;
	size_t n;
	t_cx.fname = "f";
	assert_int_equal(rjwt_b64url_decode(&t_cx, "aGVsbG8", 7, &out, &n, NULL), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(rjwt_b64url_decode(&t_cx, "aGVs\nbG8=", 9, &out, &n, NULL), 0);
	assert_int_equal(n, 5);
	assert_true(rjwt_b64url_decode(&t_cx, "aGVsbG8==", 9, &out, &n, "x") < 0);
	assert_string_equal(cc_error_message(t_cx.err), "f: x: illegal base64 data at input byte 8");
	char *e = rjwt_b64url_encode(&t_cx, "\xff\xef", 2, &n);
	assert_string_equal(e, "_-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_errors), cmocka_unit_test(test_verify_hs),
	    cmocka_unit_test(test_round_trips),   cmocka_unit_test(test_key_errors),
	    cmocka_unit_test(test_decode_verify), cmocka_unit_test(test_b64url),
	};
	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
