/* JWK: round trips for every key type, the strictness rules, the TEE
 * public key shapes (trustee.md §1.3), the attestation service's JWKS
 * fixture and Trustee's x5c endorsement scenarios (trustee.md §5.6). */
#include <errno.h>

#include <openssl/pem.h>

#include "jose_jwk.h"
#include "jose_jwt.h"
#include "jose_test.h"
#include "jose_util.h"

static cj_jwk *parse_ok(const char *text)
{
	cj_jwk *k = NULL;
	cc_error *e = NULL;
	int r = cj_jwk_parse(text, strlen(text), &k, &e);
	if (r != 0)
		fail_msg("parse failed: %s", cc_error_message(e));
	return k;
}

static void parse_fails(const char *text, int code, const char *needle)
{
	cj_jwk *k = NULL;
	cc_error *e = NULL;
	int r = cj_jwk_parse(text, strlen(text), &k, &e);
	jt_expect_err(r, e, code, needle);
	assert_null(k);
	cc_error_free(e);
}

static char *dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);
	assert_non_null(s);
	return s;
}

static void round_trips(void **state)
{
	(void)state;
	static const struct {
		enum cj_keygen kind;
		const char *alg, *kty, *crv;
	} kinds[] = {
		{CJ_GEN_P256, "ES256", "EC", "P-256"},   {CJ_GEN_P384, "ES384", "EC", "P-384"},
		{CJ_GEN_P521, "ECDH-ES+A256KW", "EC", "P-521"}, {CJ_GEN_RSA2048, "RS256", "RSA", NULL},
		{CJ_GEN_ED25519, "EdDSA", "OKP", "Ed25519"},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		cj_jwk *k = NULL, *back = NULL, *pub = NULL;
		assert_int_equal(cj_jwk_generate(kinds[i].kind, kinds[i].alg, &k, NULL), 0);
		assert_true(cj_jwk_is_private(k));
		assert_string_equal(cj_jwk_kty_name(k), kinds[i].kty);
		if (kinds[i].crv)
			assert_string_equal(cj_jwk_crv(k), kinds[i].crv);
		json_t *priv = NULL, *pj = NULL;
		assert_int_equal(cj_jwk_to_json(k, CJ_JWK_PRIVATE, &priv, NULL), 0);
		assert_int_equal(cj_jwk_to_json(k, 0, &pj, NULL), 0);
		assert_null(json_object_get(pj, "d"));
		assert_non_null(json_object_get(priv, "d"));
		/* jsonwebtoken's order: alg first, then kty */
		assert_string_equal(json_object_iter_key(json_object_iter(pj)), "alg");
		assert_int_equal(cj_jwk_from_json(priv, &back, NULL), 0);
		assert_int_equal(cj_jwk_from_json(pj, &pub, NULL), 0);
		assert_true(cj_jwk_is_private(back));
		assert_false(cj_jwk_is_private(pub));
		assert_true(cj_jwk_public_eq(k, back));
		assert_true(cj_jwk_public_eq(k, pub));
		assert_string_equal(cj_jwk_alg(pub), kinds[i].alg);
		json_t *again = NULL;
		assert_int_equal(cj_jwk_to_json(back, CJ_JWK_PRIVATE, &again, NULL), 0);
		assert_true(json_equal(again, priv));
		cc_error *e = NULL;
		json_t *none = NULL;
		jt_expect_err(cj_jwk_to_json(pub, CJ_JWK_PRIVATE, &none, &e), e, -EINVAL, "public");
		assert_null(none);
		cc_error_free(e);
		json_decref(again);
		json_decref(priv);
		json_decref(pj);
		cj_jwk_free(k);
		cj_jwk_free(back);
		cj_jwk_free(pub);
	}
}

/* cj_jwk_dup: the same key and metadata, independent of the original. */
static void dup(void **state)
{
	(void)state;
	size_t kl = 0, cl = 0;
	char *pem = jt_read("as-signing-key.pem", &kl);
	char *chain = jt_read("as-cert-chain.pem", &cl);
	cj_jwk *k = NULL, *d = NULL;
	assert_int_equal(cj_jwk_from_pem(pem, kl, "ES256", &k, NULL), 0);
	assert_int_equal(cj_jwk_set_kid(k, "as-1", NULL), 0);
	assert_int_equal(cj_jwk_set_x5c_pem(k, chain, cl, NULL), 0);
	json_t *want = NULL, *got = NULL;
	assert_int_equal(cj_jwk_to_json(k, CJ_JWK_PRIVATE, &want, NULL), 0);
	assert_int_equal(cj_jwk_dup(k, &d, NULL), 0);
	cj_jwk_free(k);
	assert_true(cj_jwk_is_private(d));
	assert_string_equal(cj_jwk_alg(d), "ES256");
	assert_string_equal(cj_jwk_kid(d), "as-1");
	assert_int_equal(json_array_size(cj_jwk_x5c(d)), 1);
	assert_int_equal(cj_jwk_to_json(d, CJ_JWK_PRIVATE, &got, NULL), 0);
	assert_true(json_equal(want, got));
	json_decref(want);
	json_decref(got);
	cj_jwk_free(d);
	free(pem);
	free(chain);
}

/* A valid P-256 public key (RFC 7515 A.3) to derive bad ones from. */
#define EC_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define EC_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define EC_D "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"

static void strict_ec(void **state)
{
	(void)state;
	cj_jwk *k = parse_ok("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "\",\"y\":\"" EC_Y
	                     "\",\"d\":\"" EC_D "\",\"kid\":\"a\",\"use\":\"sig\"}");
	assert_true(cj_jwk_is_private(k));
	assert_string_equal(cj_jwk_kid(k), "a");
	assert_null(cj_jwk_alg(k));
	cj_jwk_free(k);
	parse_fails("{\"kty\":\"oct\",\"k\":\"AAAA\"}", -EINVAL, "kty \"oct\"");
	parse_fails("{\"kty\":\"AKP\",\"alg\":\"ML-KEM-768+A192KW\",\"pub\":\"AAAA\"}", -EINVAL,
	            "AKP");
	parse_fails("{\"crv\":\"P-256\"}", -EINVAL, "kty");
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"AA\",\"y\":\"AA\"}", -EINVAL,
	            "P-192");
	parse_fails("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"}", -EINVAL,
	            "secp256k1");
	/* a 31-byte coordinate, padding, a point off the curve */
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "\",\"y\":"
	            "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
	            -EINVAL, "not 32");
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "=\",\"y\":\"" EC_Y "\"}",
	            -EINVAL, "\"x\"");
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "\",\"y\":"
	            "\"y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
	            -EINVAL, "valid");
	/* a private scalar of another key */
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "\",\"y\":\"" EC_Y
	            "\",\"d\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}",
	            -EINVAL, "valid");
	parse_fails("{\"kty\":\"EC\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X
	            "\",\"y\":\"" EC_Y "\"}",
	            -EINVAL, "duplicate");
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\",\"x\":\"" EC_X
	            "\",\"y\":\"" EC_Y "\"}",
	            -EINVAL, "ES384");
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"XX256\",\"x\":\"" EC_X
	            "\",\"y\":\"" EC_Y "\"}",
	            -EINVAL, "unknown alg");
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x5c\":\"MIIB\",\"x\":\"" EC_X
	            "\",\"y\":\"" EC_Y "\"}",
	            -EINVAL, "x5c");
	parse_fails("{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":7,\"x\":\"" EC_X "\",\"y\":\"" EC_Y
	            "\"}",
	            -EINVAL, "kid");
	parse_fails("[1]", -EINVAL, "object");
}

static void strict_rsa_okp(void **state)
{
	(void)state;
	cj_jwk *k = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_RSA2048, NULL, &k, NULL), 0);
	json_t *j = NULL;
	assert_int_equal(cj_jwk_to_json(k, CJ_JWK_PRIVATE, &j, NULL), 0);
	/* a leading zero byte on n */
	unsigned char *n = NULL;
	size_t nl = 0;
	const char *n64 = json_string_value(json_object_get(j, "n"));
	assert_int_equal(cj_b64url_decode(n64, strlen(n64), 1024, &n, &nl, "n", NULL), 0);
	unsigned char *z = calloc(1, nl + 1);
	memcpy(z + 1, n, nl);
	char *zn = cj_b64url_encode(z, nl + 1);
	json_t *bad = json_deep_copy(j);
	json_object_set_new(bad, "n", json_string(zn));
	cc_error *e = NULL;
	cj_jwk *out = NULL;
	jt_expect_err(cj_jwk_from_json(bad, &out, &e), e, -EINVAL, "minimal");
	cc_error_free(e), e = NULL;
	json_decref(bad);
	/* the same as a public key (a tee-pubkey): refused, not a hang (the
	 * bit count never ended; found by fuzz_kbs_token) */
	bad = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "e", "AQAB", "n", zn);
	jt_expect_err(cj_jwk_from_json(bad, &out, &e), e, -EINVAL, "minimal");
	cc_error_free(e), e = NULL;
	json_decref(bad);
	bad = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "e", "AQAB", "n", "AA"); /* n = 0 */
	jt_expect_err(cj_jwk_from_json(bad, &out, &e), e, -EINVAL, "leading zero");
	cc_error_free(e), e = NULL;
	json_decref(bad);
	bad = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "e", "AAEAAQ", "n", n64);
	jt_expect_err(cj_jwk_from_json(bad, &out, &e), e, -EINVAL, "minimal");
	cc_error_free(e), e = NULL;
	/* a private key without its CRT members */
	json_decref(bad);
	bad = json_deep_copy(j);
	json_object_del(bad, "qi");
	jt_expect_err(cj_jwk_from_json(bad, &out, &e), e, -EINVAL, "qi");
	cc_error_free(e), e = NULL;
	json_decref(bad);
	/* 1024 bits: the first half of n */
	bad = json_pack("{s:s,s:s}", "kty", "RSA", "e", "AQAB");
	char *half = cj_b64url_encode(n, nl / 2);
	json_object_set_new(bad, "n", json_string(half));
	free(half);
	jt_expect_err(cj_jwk_from_json(bad, &out, &e), e, -EINVAL, "bits");
	cc_error_free(e), e = NULL;
	json_object_set_new(bad, "n", json_string(n64));
	json_object_set_new(bad, "e", json_string("Ag"));
	jt_expect_err(cj_jwk_from_json(bad, &out, &e), e, -EINVAL, NULL);
	cc_error_free(e), e = NULL;
	json_decref(bad);
	assert_null(out);
	/* Ed25519: RFC 8037 A.1/A.2, and a "d" of another key */
	cj_jwk *ed = parse_ok("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":"
	                      "\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\",\"x\":"
	                      "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
	cj_jwk_free(ed);
	parse_fails("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":"
	            "\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\",\"x\":"
	            "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURA\"}",
	            -EINVAL, "does not match");
	parse_fails("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAA\"}", -EINVAL, "X25519");
	free(n);
	free(z);
	free(zn);
	json_decref(j);
	cj_jwk_free(k);
}

static void tee_pubkey(void **state)
{
	(void)state;
	cj_jwk *k = NULL, *back = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, NULL, &k, NULL), 0);
	json_t *t = NULL;
	assert_int_equal(cj_jwk_to_tee_pubkey(k, &t, NULL), 0);
	char *s = dump(t);
	/* kbs-types' TeePubKey order */
	assert_memory_equal(s, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\",\"x\":",
	                    52);
	assert_int_equal(cj_jwk_from_tee_pubkey(t, &back, NULL), 0);
	assert_true(cj_jwk_public_eq(k, back));
	assert_string_equal(cj_jwk_alg(back), "ECDH-ES+A256KW");
	free(s);
	json_decref(t);
	cj_jwk_free(back);
	cj_jwk_free(k);

	assert_int_equal(cj_jwk_generate(CJ_GEN_RSA2048, "RSA1_5", &k, NULL), 0);
	assert_int_equal(cj_jwk_to_tee_pubkey(k, &t, NULL), 0);
	s = dump(t);
	assert_memory_equal(s, "{\"kty\":\"RSA\",\"alg\":\"RSA1_5\",\"n\":", 32);
	assert_int_equal(cj_jwk_from_tee_pubkey(t, &back, NULL), 0);
	cc_error *e = NULL;
	cj_jwk *none = NULL;
	json_object_set_new(t, "alg", json_string("RSA-OAEP"));
	jt_expect_err(cj_jwk_from_tee_pubkey(t, &none, &e), e, -EINVAL, "RSA-OAEP");
	cc_error_free(e), e = NULL;
	json_object_del(t, "alg");
	jt_expect_err(cj_jwk_from_tee_pubkey(t, &none, &e), e, -EINVAL, "alg");
	cc_error_free(e), e = NULL;
	free(s);
	json_decref(t);
	cj_jwk_free(back);
	cj_jwk_free(k);

	/* P-384 is not a KBS curve; a private key is refused */
	assert_int_equal(cj_jwk_generate(CJ_GEN_P384, NULL, &k, NULL), 0);
	jt_expect_err(cj_jwk_to_tee_pubkey(k, &t, &e), e, -EINVAL, "P-384");
	cc_error_free(e), e = NULL;
	json_t *priv = NULL;
	assert_int_equal(cj_jwk_to_json(k, CJ_JWK_PRIVATE, &priv, NULL), 0);
	json_object_set_new(priv, "alg", json_string("ECDH-ES+A256KW"));
	jt_expect_err(cj_jwk_from_tee_pubkey(priv, &none, &e), e, -EINVAL, "private");
	cc_error_free(e), e = NULL;
	json_object_del(priv, "d");
	jt_expect_err(cj_jwk_from_tee_pubkey(priv, &none, &e), e, -EINVAL, "P-384");
	cc_error_free(e), e = NULL;
	assert_null(none);
	json_decref(priv);
	cj_jwk_free(k);
}

/* The attestation service's JWKS for its signing key and certificate. */
static void as_jwks_fixture(void **state)
{
	(void)state;
	size_t kl = 0, cl = 0, jl = 0;
	char *key = jt_read("as-signing-key.pem", &kl);
	char *chain = jt_read("as-cert-chain.pem", &cl);
	char *want = jt_read("as-expected-jwks.json", &jl);
	cj_jwk *k = NULL;
	assert_int_equal(cj_jwk_from_pem(key, kl, "ES256", &k, NULL), 0);
	assert_int_equal(cj_jwk_set_x5c_pem(k, chain, cl, NULL), 0);
	json_t *jwks = NULL, *wj = json_loads(want, 0, NULL);
	const cj_jwk *keys[] = {k};
	assert_int_equal(cj_jwks_to_json(keys, 1, &jwks, NULL), 0);
	assert_true(json_equal(jwks, wj)); /* Trustee's test: equal as a JwkSet */
	/* and the bytes are serde's for jsonwebtoken's JwkSet */
	char *got = dump(jwks);
	const json_t *wk = json_array_get(json_object_get(wj, "keys"), 0);
	char *bytes = NULL;
	assert_true(asprintf(&bytes, "{\"keys\":[{\"alg\":\"ES256\",\"x5c\":[\"%s\"],\"kty\":\"EC\","
	                             "\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}",
	                     json_string_value(json_array_get(json_object_get(wk, "x5c"), 0)),
	                     json_string_value(json_object_get(wk, "x")),
	                     json_string_value(json_object_get(wk, "y"))) > 0);
	assert_string_equal(got, bytes);
	/* a chain whose leaf is another key is refused */
	cj_jwk *other = NULL;
	cc_error *e = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, NULL, &other, NULL), 0);
	jt_expect_err(cj_jwk_set_x5c_pem(other, chain, cl, &e), e, -EINVAL, "first certificate");
	assert_null(cj_jwk_x5c(other));
	cc_error_free(e);
	cj_jwk_free(other);
	free(bytes);
	free(got);
	json_decref(jwks);
	json_decref(wj);
	cj_jwk_free(k);
	free(key);
	free(chain);
	free(want);
}

/* kbs/test_data/jwk/scenario0{1..7}: Trustee's verify_jwk_endorsement. */
static void x5c_scenarios(void **state)
{
	(void)state;
	static const bool ok[] = {true, false, false, false, true, true, true};
	static const char *const why[] = {NULL, "leaf", "no x5c", "trust anchor", NULL, NULL, NULL};
	for (int i = 1; i <= 7; i++) {
		char name[64];
		size_t jl = 0, tl = 0;
		snprintf(name, sizeof(name), "scenario%02d-jwk.json", i);
		char *jwk = jt_read(name, &jl);
		snprintf(name, sizeof(name), "scenario%02d-trust.pem", i);
		char *trust = jt_read(name, &tl);
		cj_verifier *v = NULL;
		cj_jwk *k = NULL;
		cc_error *e = NULL;
		assert_int_equal(cj_verifier_new(&v, NULL), 0);
		assert_int_equal(cj_verifier_add_trust_pem(v, trust, tl, NULL), 0);
		assert_int_equal(cj_jwk_parse(jwk, jl, &k, NULL), 0);
		int r = cj_verifier_check_jwk(v, k, &e);
		if (ok[i - 1] && r != 0)
			fail_msg("scenario %d: %s", i, cc_error_message(e));
		if (!ok[i - 1])
			jt_expect_err(r, e, -EPERM, why[i - 1]);
		cc_error_free(e);
		cj_jwk_free(k);
		cj_verifier_free(v);
		free(jwk);
		free(trust);
	}
}

static void jwks_sets(void **state)
{
	(void)state;
	const char *text = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"one\",\"x\":"
	                   "\"" EC_X "\",\"y\":\"" EC_Y "\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	                   "\"kid\":\"two\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";
	cj_jwks *s = NULL;
	assert_int_equal(cj_jwks_parse(text, strlen(text), &s, NULL), 0);
	assert_int_equal(cj_jwks_count(s), 2);
	assert_string_equal(cj_jwk_crv(cj_jwks_find(s, "two")), "Ed25519");
	assert_null(cj_jwks_find(s, "three"));
	assert_ptr_equal(cj_jwks_at(s, 0), cj_jwks_find(s, "one"));
	cj_jwks_free(s);
	s = NULL;
	const char *bad = "{\"keys\":[{\"kty\":\"EC\"},{\"kty\":\"oct\",\"k\":\"AA\"}]}";
	cc_error *e = NULL;
	jt_expect_err(cj_jwks_parse(bad, strlen(bad), &s, &e), e, -EINVAL, "key 0");
	assert_null(s);
	cc_error_free(e);
}

/* PEM in: private and public keys; an encrypted key is refused (no
 * passphrase prompt from a library), and so is text with no key. */
static void pem_keys(void **state)
{
	(void)state;
	cj_jwk *k = NULL, *back = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P384, NULL, &k, NULL), 0);
	BIO *pub = BIO_new(BIO_s_mem()), *enc = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PUBKEY(pub, cj_jwk_pkey(k)), 1);
	assert_int_equal(PEM_write_bio_PrivateKey(enc, cj_jwk_pkey(k), EVP_aes_256_cbc(),
	                                          (unsigned char *)"pw", 2, NULL, NULL), 1);
	char *p = NULL;
	long n = BIO_get_mem_data(pub, &p);
	assert_int_equal(cj_jwk_from_pem(p, (size_t)n, "ES384", &back, NULL), 0);
	assert_false(cj_jwk_is_private(back));
	assert_true(cj_jwk_public_eq(k, back));
	cj_jwk_free(back);
	back = NULL;
	cc_error *e = NULL;
	n = BIO_get_mem_data(enc, &p);
	jt_expect_err(cj_jwk_from_pem(p, (size_t)n, NULL, &back, &e), e, -EINVAL, "no PEM");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_jwk_from_pem("hello", 5, NULL, &back, &e), e, -EINVAL, "no PEM");
	cc_error_free(e);
	assert_null(back);
	BIO_free(pub);
	BIO_free(enc);
	cj_jwk_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trips),     cmocka_unit_test(dup),
		cmocka_unit_test(strict_ec),       cmocka_unit_test(strict_rsa_okp),
		cmocka_unit_test(tee_pubkey),      cmocka_unit_test(as_jwks_fixture),
		cmocka_unit_test(x5c_scenarios),   cmocka_unit_test(jwks_sets),
		cmocka_unit_test(pem_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
