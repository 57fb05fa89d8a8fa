/* JWS/JWT: every signature algorithm, the EAR header's bytes
 * (trustee.md §3.5), refusals (none, HMAC, alg mismatch, tampering,
 * non-canonical base64), claim checks and the token verifier's modes
 * (trustee.md §1.7). */
#include <errno.h>
#include <time.h>

#include <openssl/pem.h>

#include "jose_jwt.h"
#include "jose_test.h"
#include "jose_util.h"

#define NOW 1760426134

static json_t *claims(int64_t exp)
{
	return json_pack("{s:s,s:I,s:I,s:s}", "eat_profile", "tag:github.com,2024:x", "iat",
	                 (json_int_t)NOW, "exp", (json_int_t)exp, "iss", "CoCo-Attestation-Service");
}

static char *sign(const cj_jwk *k, const char *alg, unsigned flags, int64_t exp)
{
	json_t *c = claims(exp);
	char *t = NULL;
	cc_error *e = NULL;
	if (cj_jwt_sign(k, alg, flags, c, &t, &e) != 0)
		fail_msg("sign: %s", cc_error_message(e));
	json_decref(c);
	return t;
}

static void all_algorithms(void **state)
{
	(void)state;
	static const struct {
		enum cj_keygen kind;
		const char *alg;
	} v[] = {
		{CJ_GEN_P256, "ES256"},    {CJ_GEN_P384, "ES384"},   {CJ_GEN_P521, "ES512"},
		{CJ_GEN_RSA2048, "RS256"}, {CJ_GEN_RSA2048, "RS384"}, {CJ_GEN_RSA2048, "RS512"},
		{CJ_GEN_RSA2048, "PS256"}, {CJ_GEN_RSA2048, "PS384"}, {CJ_GEN_RSA2048, "PS512"},
		{CJ_GEN_ED25519, "EdDSA"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		cj_jwk *k = NULL;
		assert_int_equal(cj_jwk_generate(v[i].kind, v[i].alg, &k, NULL), 0);
		char *t = sign(k, NULL, 0, NOW + 300);
		json_t *h = NULL;
		char *pl = NULL;
		size_t pn = 0;
		cc_error *e = NULL;
		if (cj_jws_verify(k, t, strlen(t), &h, &pl, &pn, &e) != 0)
			fail_msg("%s: %s", v[i].alg, cc_error_message(e));
		assert_string_equal(json_string_value(json_object_get(h, "alg")), v[i].alg);
		json_t *c = json_loadb(pl, pn, 0, NULL);
		assert_int_equal(cj_jwt_check_claims(c, NOW, 0, 0, NULL), 0);
		/* a flipped bit in the payload or the signature */
		char *bad = strdup(t);
		char *dot = strchr(bad, '.');
		dot[1] = dot[1] == 'e' ? 'f' : 'e';
		jt_expect_err(cj_jws_verify(k, bad, strlen(bad), NULL, NULL, NULL, &e), e, -EBADMSG,
		              v[i].alg);
		cc_error_free(e), e = NULL;
		memcpy(bad, t, strlen(t) + 1);
		char *sig = strrchr(bad, '.') + 1;
		sig[0] = sig[0] == 'A' ? 'B' : 'A';
		jt_expect_err(cj_jws_verify(k, bad, strlen(bad), NULL, NULL, NULL, &e), e, -EBADMSG,
		              "does not verify");
		cc_error_free(e), e = NULL;
		free(bad);
		json_decref(c);
		json_decref(h);
		free(pl);
		free(t);
		cj_jwk_free(k);
	}
}

/* The EAR token header: {"typ":"JWT","alg":"ES256","jwk":{...}} with the jwk
 * in jsonwebtoken's member order. */
static void ear_header(void **state)
{
	(void)state;
	size_t kl = 0, cl = 0;
	char *key = jt_read("as-signing-key.pem", &kl);
	char *chain = jt_read("as-cert-chain.pem", &cl);
	cj_jwk *k = NULL;
	assert_int_equal(cj_jwk_from_pem(key, kl, "ES256", &k, NULL), 0);
	assert_int_equal(cj_jwk_set_x5c_pem(k, chain, cl, NULL), 0);
	char *t = sign(k, NULL, CJ_JWS_EMBED_JWK, NOW + 300);
	json_t *h = NULL;
	assert_int_equal(cj_jws_peek_header(t, strlen(t), &h, NULL), 0);
	const json_t *jwk = json_object_get(h, "jwk");
	char *want = NULL;
	assert_true(asprintf(&want, "{\"typ\":\"JWT\",\"alg\":\"ES256\",\"jwk\":{\"alg\":\"ES256\","
	                            "\"x5c\":[\"%s\"],\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
	                            "\"y\":\"%s\"}}",
	                     json_string_value(json_array_get(json_object_get(jwk, "x5c"), 0)),
	                     json_string_value(json_object_get(jwk, "x")),
	                     json_string_value(json_object_get(jwk, "y"))) > 0);
	char *h64 = cj_b64url_encode(want, strlen(want));
	assert_memory_equal(t, h64, strlen(h64));
	assert_int_equal(t[strlen(h64)], '.');
	/* verified with the certificate as trust anchor, as a KBS would */
	cj_verifier *v = NULL;
	json_t *c = NULL;
	cc_error *e = NULL;
	assert_int_equal(cj_verifier_new(&v, NULL), 0);
	cj_verifier_set_time(v, NOW + 10);
	jt_expect_err(cj_verifier_verify(v, t, strlen(t), &c, &e), e, -EPERM, "trusted cert");
	cc_error_free(e), e = NULL;
	assert_int_equal(cj_verifier_add_trust_pem(v, chain, cl, NULL), 0);
	if (cj_verifier_verify(v, t, strlen(t), &c, &e) != 0)
		fail_msg("verify: %s", cc_error_message(e));
	assert_string_equal(json_string_value(json_object_get(c, "iss")),
	                    "CoCo-Attestation-Service");
	json_decref(c);
	c = NULL;
	/* the endorsement lasts until the chain's notAfter (2034-01-01) */
	int64_t until = 0;
	assert_int_equal(cj_verifier_verify_until(v, t, strlen(t), &c, &until, NULL), 0);
	assert_int_equal(until, 2019686400);
	json_decref(c);
	c = NULL;
	/* expired: at exp exactly, and with the leeway configured */
	cj_verifier_set_time(v, NOW + 300);
	jt_expect_err(cj_verifier_verify(v, t, strlen(t), &c, &e), e, -EKEYEXPIRED, "expired");
	cc_error_free(e), e = NULL;
	cj_verifier_set_leeway(v, 60);
	assert_int_equal(cj_verifier_verify(v, t, strlen(t), &c, NULL), 0);
	json_decref(c);
	c = NULL;
	cj_verifier_free(v);
	free(want);
	free(h64);
	json_decref(h);
	free(t);
	cj_jwk_free(k);
	free(key);
	free(chain);
}

/* A token with header `hdr` and any signature, for refusals. */
static char *forged(const char *hdr)
{
	char *h = cj_b64url_encode(hdr, strlen(hdr));
	const char *pl = "{\"exp\":99999999999}";
	char *p = cj_b64url_encode(pl, strlen(pl));
	char *t = NULL;
	assert_true(asprintf(&t, "%s.%s.AAAA", h, p) > 0);
	free(h);
	free(p);
	return t;
}

static void refusals(void **state)
{
	(void)state;
	cj_jwk *k = NULL;
	cc_error *e = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, "ES256", &k, NULL), 0);
	static const struct {
		const char *hdr, *needle;
	} v[] = {
		{"{\"alg\":\"none\"}", "\"none\""},
		{"{\"alg\":\"HS256\"}", "\"HS256\" is not allowed"},
		{"{\"alg\":\"ES384\"}", "does not suit"},
		{"{\"typ\":\"JWT\"}", "no \"alg\""},
		{"{\"alg\":\"ES256\",\"crit\":[\"exp\"]}", "crit"},
		{"{\"alg\":\"ES256\",\"b64\":false}", "b64"},
		{"{\"alg\":\"ES256\",\"alg\":\"none\"}", "duplicate"},
		{"[\"alg\"]", "not a JSON object"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		char *t = forged(v[i].hdr);
		json_t *h = NULL;
		jt_expect_err(cj_jws_verify(k, t, strlen(t), &h, NULL, NULL, &e), e, -EINVAL,
		              v[i].needle);
		assert_null(h);
		cc_error_free(e), e = NULL;
		free(t);
	}
	/* a key whose alg differs from the token's */
	cj_jwk *rs = NULL, *ps = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_RSA2048, "RS256", &rs, NULL), 0);
	char *t = sign(rs, NULL, 0, NOW + 5);
	json_t *jw = NULL;
	assert_int_equal(cj_jwk_to_json(rs, 0, &jw, NULL), 0);
	json_object_set_new(jw, "alg", json_string("PS256"));
	assert_int_equal(cj_jwk_from_json(jw, &ps, NULL), 0);
	jt_expect_err(cj_jws_verify(ps, t, strlen(t), NULL, NULL, NULL, &e), e, -EINVAL, "PS256");
	cc_error_free(e), e = NULL;
	/* not three parts; the signature's trailing bits set (non-canonical) */
	jt_expect_err(cj_jws_verify(rs, "a.b", 3, NULL, NULL, NULL, &e), e, -EINVAL, "three");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_jws_verify(rs, "a.b.c.d", 7, NULL, NULL, NULL, &e), e, -EINVAL, "three");
	cc_error_free(e), e = NULL;
	char *nc = strdup(t);
	char *last = nc + strlen(nc) - 1;
	*last = *last == 'Q' ? 'R' : *last == 'g' ? 'h' : *last == 'w' ? 'x' : *last;
	if (strcmp(nc, t) != 0) {
		jt_expect_err(cj_jws_verify(rs, nc, strlen(nc), NULL, NULL, NULL, &e), e, -EINVAL,
		              "canonical");
		cc_error_free(e), e = NULL;
	}
	/* signing needs a private key and a known alg */
	char *out = NULL;
	jt_expect_err(cj_jws_sign(ps, "PS256", 0, "{}", 2, &out, &e), e, -EINVAL, "private");
	cc_error_free(e), e = NULL;
	jt_expect_err(cj_jws_sign(k, "none", 0, "{}", 2, &out, &e), e, -EINVAL, "none");
	cc_error_free(e), e = NULL;
	assert_null(out);
	free(nc);
	free(t);
	json_decref(jw);
	cj_jwk_free(ps);
	cj_jwk_free(rs);
	cj_jwk_free(k);
}

static void claim_checks(void **state)
{
	(void)state;
	cc_error *e = NULL;
	json_t *c = json_pack("{s:I,s:I}", "exp", (json_int_t)NOW + 10, "nbf", (json_int_t)NOW);
	assert_int_equal(cj_jwt_check_claims(c, NOW, 0, 0, NULL), 0);
	assert_int_equal(cj_jwt_check_claims(c, NOW + 9, 0, 0, NULL), 0);
	jt_expect_err(cj_jwt_check_claims(c, NOW + 10, 0, 0, &e), e, -EKEYEXPIRED, "expired");
	cc_error_free(e), e = NULL;
	assert_int_equal(cj_jwt_check_claims(c, NOW + 10, 5, 0, NULL), 0);
	jt_expect_err(cj_jwt_check_claims(c, NOW - 1, 0, 0, &e), e, -EINVAL, "not valid before");
	cc_error_free(e), e = NULL;
	assert_int_equal(cj_jwt_check_claims(c, NOW - 1, 1, 0, NULL), 0);
	json_object_set_new(c, "exp", json_string("tomorrow"));
	jt_expect_err(cj_jwt_check_claims(c, NOW, 0, 0, &e), e, -EINVAL, "NumericDate");
	cc_error_free(e), e = NULL;
	json_object_set_new(c, "exp", json_real(NOW + 0.5));
	assert_int_equal(cj_jwt_check_claims(c, NOW - 1, 0, 0, NULL), -EINVAL); /* nbf */
	assert_int_equal(cj_jwt_check_claims(c, NOW, 0, 0, NULL), -EKEYEXPIRED);
	json_object_del(c, "exp");
	jt_expect_err(cj_jwt_check_claims(c, NOW, 0, 0, &e), e, -EINVAL, "no \"exp\"");
	cc_error_free(e), e = NULL;
	assert_int_equal(cj_jwt_check_claims(c, NOW, 0, CJ_JWT_EXP_OPTIONAL, NULL), 0);
	json_object_set_new(c, "exp", json_integer(INT64_MAX));
	assert_int_equal(cj_jwt_check_claims(c, NOW, 100, 0, NULL), 0);
	json_decref(c);
}

static void verifier_modes(void **state)
{
	(void)state;
	cj_jwk *k = NULL;
	cc_error *e = NULL;
	json_t *c = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, "ES256", &k, NULL), 0);
	assert_int_equal(cj_jwk_set_kid(k, "as-1", NULL), 0);
	char *embedded = sign(k, NULL, CJ_JWS_EMBED_JWK, NOW + 300);
	char *bykid = sign(k, NULL, CJ_JWS_KID, NOW + 300);
	cj_verifier *v = NULL;
	assert_int_equal(cj_verifier_new(&v, NULL), 0);
	cj_verifier_set_time(v, NOW);
	/* header jwk without x5c: only in insecure mode */
	jt_expect_err(cj_verifier_verify(v, embedded, strlen(embedded), &c, &e), e, -EPERM, NULL);
	cc_error_free(e), e = NULL;
	cj_verifier_set_insecure_header_jwk(v, true);
	int64_t until = 0;
	assert_int_equal(cj_verifier_verify_until(v, embedded, strlen(embedded), &c, &until, NULL),
	                 0);
	assert_true(until == INT64_MAX); /* no certificate involved */
	json_decref(c), c = NULL;
	/* kid in a JWK set */
	jt_expect_err(cj_verifier_verify(v, bykid, strlen(bykid), &c, &e), e, -EPERM, "JWK set");
	cc_error_free(e), e = NULL;
	json_t *pub = NULL, *set = NULL;
	assert_int_equal(cj_jwk_to_json(k, 0, &pub, NULL), 0);
	set = json_pack("{s:[O]}", "keys", pub);
	char *text = json_dumps(set, 0);
	assert_int_equal(cj_verifier_add_jwks(v, text, strlen(text), NULL), 0);
	until = 0;
	assert_int_equal(cj_verifier_verify_until(v, bykid, strlen(bykid), &c, &until, NULL), 0);
	assert_true(until == INT64_MAX);
	json_decref(c), c = NULL;
	free(text);
	json_decref(set);
	/* a kid no set knows; a set key without alg */
	cj_jwk *other = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, "ES256", &other, NULL), 0);
	assert_int_equal(cj_jwk_set_kid(other, "as-2", NULL), 0);
	char *unknown = sign(other, NULL, CJ_JWS_KID, NOW + 300);
	jt_expect_err(cj_verifier_verify(v, unknown, strlen(unknown), &c, &e), e, -EPERM, "as-2");
	cc_error_free(e), e = NULL;
	json_object_del(pub, "alg");
	json_object_set_new(pub, "kid", json_string("as-2"));
	set = json_pack("{s:[O]}", "keys", pub);
	text = json_dumps(set, 0);
	assert_int_equal(cj_verifier_add_jwks(v, text, strlen(text), NULL), 0);
	jt_expect_err(cj_verifier_verify(v, unknown, strlen(unknown), &c, &e), e, -EPERM, "alg");
	cc_error_free(e), e = NULL;
	free(text);
	json_decref(set);
	/* a trusted PEM public key verifies any token it signed */
	EVP_PKEY *pk = cj_jwk_pkey(other);
	BIO *bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	char *pem = NULL;
	long pl = BIO_get_mem_data(bio, &pem);
	assert_int_equal(cj_verifier_add_pem_key(v, pem, (size_t)pl, NULL), 0);
	BIO_free(bio);
	until = 0;
	assert_int_equal(cj_verifier_verify_until(v, unknown, strlen(unknown), &c, &until, NULL), 0);
	assert_true(until == INT64_MAX);
	json_decref(c), c = NULL;
	/* claims that are not an object */
	char *arr = NULL;
	assert_int_equal(cj_jws_sign(k, NULL, CJ_JWS_EMBED_JWK, "[1]", 3, &arr, NULL), 0);
	jt_expect_err(cj_verifier_verify(v, arr, strlen(arr), &c, &e), e, -EINVAL, "object");
	cc_error_free(e), e = NULL;
	assert_null(c);
	free(arr);
	free(unknown);
	free(embedded);
	free(bykid);
	json_decref(pub);
	cj_verifier_free(v);
	cj_jwk_free(other);
	cj_jwk_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_algorithms), cmocka_unit_test(ear_header),
		cmocka_unit_test(refusals),       cmocka_unit_test(claim_checks),
		cmocka_unit_test(verifier_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
