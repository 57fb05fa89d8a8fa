/* JWE as the KBS sends it (trustee.md §1.6): round trips per algorithm,
 * the protected header's exact bytes, tampering, and the allow-list. */
#include <errno.h>

#include "jose_jwe.h"
#include "jose_test.h"
#include "jose_util.h"

static const char secret[] = "a resource: {\"key\":\"s3cr3t\"}";

static json_t *header_of(const char *jwe, char **text)
{
	json_t *o = json_loads(jwe, 0, NULL);
	assert_non_null(o);
	const char *p = json_string_value(json_object_get(o, "protected"));
	unsigned char *h = NULL;
	size_t n = 0;
	assert_int_equal(cj_b64url_decode(p, strlen(p), 4096, &h, &n, "p", NULL), 0);
	*text = (char *)h;
	return o;
}

/* Encrypts to `to`, decrypts with k. */
static void seal_open(const cj_jwk *to, const cj_jwk *k, bool legacy_expected)
{
	char *jwe = NULL;
	size_t len = 0;
	bool legacy = !legacy_expected;
	assert_int_equal(cj_jwe_encrypt(to, secret, sizeof(secret) - 1, &jwe, &len, &legacy, NULL),
	                 0);
	assert_int_equal(legacy, legacy_expected);
	assert_int_equal(strlen(jwe), len);
	unsigned char *pt = NULL;
	size_t pl = 0;
	legacy = !legacy_expected;
	cc_error *e = NULL;
	int r = cj_jwe_decrypt(k, jwe, len, &pt, &pl, &legacy, &e);
	if (r != 0)
		fail_msg("decrypt: %s", cc_error_message(e));
	assert_int_equal(legacy, legacy_expected);
	assert_int_equal(pl, sizeof(secret) - 1);
	assert_memory_equal(pt, secret, pl);
	assert_int_equal(pt[pl], 0);
	cj_free_secret(pt, pl);
	free(jwe);
}

static void round_trip(enum cj_keygen kind, const char *alg, bool legacy_expected)
{
	cj_jwk *k = NULL;
	assert_int_equal(cj_jwk_generate(kind, alg, &k, NULL), 0);
	/* the sender sees only the public half: read from JSON (its point
	 * checked then, not again by the ECDH), a copy of that (cj_jwk_dup
	 * keeps the mark), or an OpenSSL key (checked by the ECDH) */
	json_t *pj = NULL;
	cj_jwk *pub = NULL, *dup = NULL;
	assert_int_equal(cj_jwk_to_json(k, 0, &pj, NULL), 0);
	assert_int_equal(cj_jwk_from_json(pj, &pub, NULL), 0);
	assert_int_equal(cj_jwk_dup(pub, &dup, NULL), 0);
	seal_open(pub, k, legacy_expected);
	cj_jwk_free(pub);
	seal_open(dup, k, legacy_expected); /* outlives the key it copied */
	seal_open(k, k, legacy_expected);
	json_decref(pj);
	cj_jwk_free(dup);
	cj_jwk_free(k);
}

static void round_trips(void **state)
{
	(void)state;
	round_trip(CJ_GEN_P256, NULL, false);
	round_trip(CJ_GEN_P256, "ECDH-ES+A256KW", false);
	round_trip(CJ_GEN_P384, NULL, false);
	round_trip(CJ_GEN_P521, "ECDH-ES+A256KW", false);
	round_trip(CJ_GEN_RSA2048, NULL, false);
	round_trip(CJ_GEN_RSA3072, "RSA-OAEP-256", false);
	round_trip(CJ_GEN_RSA2048, "RSA1_5", true);
}

/* serde_json's bytes for Trustee's ProtectedHeader and Response. */
static void wire_bytes(void **state)
{
	(void)state;
	cj_jwk *k = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P521, NULL, &k, NULL), 0);
	char *jwe = NULL, *h = NULL;
	assert_int_equal(cj_jwe_encrypt(k, "", 0, &jwe, NULL, NULL, NULL), 0);
	json_t *o = header_of(jwe, &h);
	const char *names[] = {"protected", "encrypted_key", "iv", "ciphertext", "tag"};
	void *it = json_object_iter(o);
	for (size_t i = 0; i < 5; i++, it = json_object_iter_next(o, it))
		assert_string_equal(json_object_iter_key(it), names[i]);
	assert_null(it);
	assert_string_equal(json_string_value(json_object_get(o, "ciphertext")), "");
	static const char prefix[] = "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"epk\":{"
	                             "\"crv\":\"P-521\",\"kty\":\"EC\",\"x\":\"";
	assert_memory_equal(h, prefix, sizeof(prefix) - 1);
	json_t *hj = json_loads(h, 0, NULL);
	const json_t *epk = json_object_get(hj, "epk");
	char *want = NULL;
	assert_true(asprintf(&want, "%s%s\",\"y\":\"%s\"}}", prefix,
	                     json_string_value(json_object_get(epk, "x")),
	                     json_string_value(json_object_get(epk, "y"))) > 0);
	assert_string_equal(h, want);
	/* 40-byte wrapped key, 12-byte IV, 16-byte tag */
	assert_int_equal(strlen(json_string_value(json_object_get(o, "encrypted_key"))), 54);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "iv"))), 16);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "tag"))), 22);
	free(want);
	json_decref(hj);
	json_decref(o);
	free(h);
	free(jwe);
	cj_jwk_free(k);

	assert_int_equal(cj_jwk_generate(CJ_GEN_RSA2048, NULL, &k, NULL), 0);
	assert_int_equal(cj_jwe_encrypt(k, "x", 1, &jwe, NULL, NULL, NULL), 0);
	o = header_of(jwe, &h);
	assert_string_equal(h, "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}");
	json_decref(o);
	free(h);
	free(jwe);
	cj_jwk_free(k);
}

/* Flips one character of member `name` (a base64url string). */
static char *tamper(const char *jwe, const char *name, size_t at)
{
	json_t *o = json_loads(jwe, 0, NULL);
	char *v = strdup(json_string_value(json_object_get(o, name)));
	size_t n = strlen(v);
	at = at < n ? at : n - 1;
	v[at] = v[at] == 'A' ? 'B' : 'A';
	json_object_set_new(o, name, json_string(v));
	char *out = json_dumps(o, JSON_COMPACT);
	free(v);
	json_decref(o);
	return out;
}

static void tampering(void **state)
{
	(void)state;
	enum cj_keygen kinds[] = {CJ_GEN_P256, CJ_GEN_RSA2048};
	for (size_t i = 0; i < 2; i++) {
		cj_jwk *k = NULL;
		assert_int_equal(cj_jwk_generate(kinds[i], NULL, &k, NULL), 0);
		char *jwe = NULL;
		assert_int_equal(cj_jwe_encrypt(k, secret, sizeof(secret), &jwe, NULL, NULL, NULL),
		                 0);
		const char *members[] = {"ciphertext", "tag", "iv", "encrypted_key", "protected"};
		for (size_t m = 0; m < 5; m++) {
			/* the protected header: change a byte inside "alg":"..." (the 11th
			 * char of its base64url is in "ECDH"/"RSA-") or its end */
			char *bad = tamper(jwe, members[m], m == 4 ? 30 : 3);
			unsigned char *pt = NULL;
			size_t pl = 0;
			cc_error *e = NULL;
			int r = cj_jwe_decrypt(k, bad, strlen(bad), &pt, &pl, NULL, &e);
			if (r == 0)
				fail_msg("tampered %s decrypted", members[m]);
			assert_null(pt);
			assert_true(r == -EBADMSG || r == -EINVAL);
			cc_error_free(e);
			free(bad);
		}
		/* another key of the same kind */
		cj_jwk *other = NULL;
		assert_int_equal(cj_jwk_generate(kinds[i], NULL, &other, NULL), 0);
		unsigned char *pt = NULL;
		size_t pl = 0;
		cc_error *e = NULL;
		jt_expect_err(cj_jwe_decrypt(other, jwe, strlen(jwe), &pt, &pl, NULL, &e), e,
		              -EBADMSG, NULL);
		cc_error_free(e);
		cj_jwk_free(other);
		free(jwe);
		cj_jwk_free(k);
	}
}

/* A JWE whose protected header is `hdr`, the rest well formed. */
static char *with_header(const char *hdr)
{
	char *p = cj_b64url_encode(hdr, strlen(hdr));
	char *out = NULL;
	assert_true(asprintf(&out, "{\"protected\":\"%s\",\"encrypted_key\":\"%s\",\"iv\":"
	                           "\"AAAAAAAAAAAAAAAA\",\"ciphertext\":\"AAAA\",\"tag\":"
	                           "\"AAAAAAAAAAAAAAAAAAAAAA\"}",
	                     p, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") > 0);
	free(p);
	return out;
}

static void refuse(const cj_jwk *k, const char *jwe, int code, const char *needle)
{
	unsigned char *pt = NULL;
	size_t pl = 0;
	bool legacy = false;
	cc_error *e = NULL;
	jt_expect_err(cj_jwe_decrypt(k, jwe, strlen(jwe), &pt, &pl, &legacy, &e), e, code, needle);
	assert_null(pt);
	cc_error_free(e);
}

static void allow_list(void **state)
{
	(void)state;
	cj_jwk *ec = NULL, *rsa = NULL, *rsa15 = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, NULL, &ec, NULL), 0);
	assert_int_equal(cj_jwk_generate(CJ_GEN_RSA2048, NULL, &rsa, NULL), 0);
	assert_int_equal(cj_jwk_generate(CJ_GEN_RSA2048, "RSA-OAEP-256", &rsa15, NULL), 0);
	static const char *const algs[] = {"none", "dir", "PBES2-HS256+A128KW", "A128KW",
	                                   "A256KW", "ECDH-ES", "ECDH-ES+A128KW", "RSA-OAEP",
	                                   "A256GCMKW"};
	for (size_t i = 0; i < sizeof(algs) / sizeof(*algs); i++) {
		char hdr[128], *jwe;
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"enc\":\"A256GCM\"}", algs[i]);
		jwe = with_header(hdr);
		char needle[64];
		snprintf(needle, sizeof(needle), "\"%s\" is not allowed", algs[i]);
		refuse(ec, jwe, -EINVAL, needle);
		refuse(rsa, jwe, -EINVAL, needle);
		free(jwe);
	}
	char *jwe = with_header("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A128GCM\"}");
	refuse(rsa, jwe, -EINVAL, "A128GCM");
	free(jwe);
	jwe = with_header("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A128CBC-HS256\"}");
	refuse(rsa, jwe, -EINVAL, "A128CBC-HS256");
	free(jwe);
	jwe = with_header("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"zip\":\"DEF\"}");
	refuse(rsa, jwe, -EINVAL, "zip");
	free(jwe);
	jwe = with_header("{\"alg\":\"RSA-OAEP-256\",\"alg\":\"RSA1_5\",\"enc\":\"A256GCM\"}");
	refuse(rsa, jwe, -EINVAL, "duplicate");
	free(jwe);
	/* RSA1_5 only for a key that asks for it; ECDH for an RSA key */
	jwe = with_header("{\"alg\":\"RSA1_5\",\"enc\":\"A256GCM\"}");
	refuse(rsa, jwe, -EINVAL, "RSA1_5");
	refuse(rsa15, jwe, -EINVAL, "RSA1_5");
	free(jwe);
	jwe = with_header("{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\"}");
	refuse(rsa, jwe, -EINVAL, "EC");
	refuse(ec, jwe, -EINVAL, "epk");
	free(jwe);
	/* an epk on another curve, or off the curve */
	jwe = with_header("{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"epk\":{\"kty\":\"EC\","
	                  "\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}}");
	refuse(ec, jwe, -EINVAL, "P-384");
	free(jwe);
	jwe = with_header("{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"epk\":{\"kty\":\"EC\","
	                  "\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	                  "\"y\":\"y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}}");
	refuse(ec, jwe, -EINVAL, "epk");
	free(jwe);
	/* other serializations */
	refuse(ec, "{\"recipients\":[]}", -EINVAL, "recipients");
	refuse(ec, "{\"protected\":\"e30\",\"unprotected\":{\"alg\":\"dir\"}}", -EINVAL,
	       "unprotected");
	jwe = with_header("{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\"}");
	char *hj = NULL;
	assert_true(asprintf(&hj, "%.*s\"header\":{\"alg\":\"dir\"},%s", 1, jwe, jwe + 1) > 0);
	refuse(ec, hj, -EINVAL, "\"alg\" must be in the protected");
	free(hj);
	free(jwe);
	refuse(ec, "eyJhbGciOiJkaXIifQ..AAAA.AAAA.AAAA", -EINVAL, "jwe");
	refuse(ec, "[]", -EINVAL, "object");
	/* sending: an Ed25519 key, or an RSA key for ECDH */
	cj_jwk *ed = NULL;
	char *out = NULL;
	cc_error *e = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_ED25519, NULL, &ed, NULL), 0);
	jt_expect_err(cj_jwe_encrypt(ed, "x", 1, &out, NULL, NULL, &e), e, -EINVAL, "OKP");
	cc_error_free(e), e = NULL;
	assert_null(out);
	cj_jwk_free(ed);
	cj_jwk_free(ec);
	cj_jwk_free(rsa);
	cj_jwk_free(rsa15);
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, "ES256", &ec, NULL), 0);
	jt_expect_err(cj_jwe_encrypt(ec, "x", 1, &out, NULL, NULL, &e), e, -EINVAL, "ES256");
	cc_error_free(e);
	cj_jwk_free(ec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trips),
		cmocka_unit_test(wire_bytes),
		cmocka_unit_test(tampering),
		cmocka_unit_test(allow_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
