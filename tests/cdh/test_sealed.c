/* lib/cdh sealed secrets (docs/cdh.md): the generated upstream vector, each
 * malformation with its message, wrong signature, wrong kid, oversize, the
 * envelope path and unsigned secrets. The getter is a fixed table standing
 * in for the KBS. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "cdh_sealed.h"
#include "cocoon/limits.h"
#include "jose_jwk.h"
#include "jose_jwt.h"
#include "jose_util.h"

#define SIGNING_KID "kbs:///default/signing-key/1"
#define SECRET_URI "kbs:///default/secret/1"
#define KEK_URI "kbs:///default/kek/1"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", CDH_DATA_DIR, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	*len = n;
	return buf;
}

/* ---- the fake KBS --------------------------------------------------------- */

struct entry {
	const char *uri;
	const unsigned char *v;
	size_t n;
};
struct table {
	struct entry e[4];
	int calls;
};

static int table_get(void *ctx, const char *uri, unsigned char **ret, size_t *ret_len,
                     cc_error **err)
{
	struct table *t = ctx;
	t->calls++;
	for (size_t i = 0; i < 4 && t->e[i].uri; i++) {
		if (strcmp(t->e[i].uri, uri) == 0) {
			*ret = malloc(t->e[i].n + 1);
			if (*ret == NULL)
				return cc_error_set(err, -ENOMEM, "oom");
			memcpy(*ret, t->e[i].v, t->e[i].n);
			*ret_len = t->e[i].n;
			return 0;
		}
	}
	return cc_error_set(err, -ENOENT, "resource not found");
}

static char *pub_key, *pub_key2;
static size_t pub_key_len, pub_key2_len;
static const unsigned char kek[32] = "0123456789abcdef0123456789abcdef";

static struct table make_table(void)
{
	struct table t;
	memset(&t, 0, sizeof(t));
	t.e[0] = (struct entry){SIGNING_KID, (const unsigned char *)pub_key, pub_key_len};
	t.e[1] = (struct entry){SECRET_URI, (const unsigned char *)"s3cret", 6};
	t.e[2] = (struct entry){KEK_URI, kek, sizeof(kek)};
	t.e[3] = (struct entry){"kbs:///default/signing-key/2", (const unsigned char *)pub_key2,
	                        pub_key2_len};
	return t;
}

static int setup(void **state)
{
	(void)state;
	pub_key = slurp("test-key-pub.json", &pub_key_len);
	pub_key2 = slurp("test-key-2-pub.json", &pub_key2_len);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(pub_key);
	free(pub_key2);
	return 0;
}

/* Unseals s; returns the code, fills *msg with the error message (static). */
static int unseal(const char *s, size_t len, unsigned flags, struct table *t,
                  unsigned char **out, size_t *out_len, char msg[512])
{
	cdh_sealed *sealed = NULL;
	cc_error *e = NULL;
	struct cdh_getter g = {table_get, t};
	int r = cdh_sealed_parse(s, len, flags, &sealed, &e);
	if (r == 0) {
		r = cdh_sealed_unseal(sealed, &g, out, out_len, &e);
		cdh_sealed_free(sealed);
	}
	snprintf(msg, 512, "%s", r ? cc_error_message(e) : "");
	if (r)
		assert_int_equal(cc_error_code(e), r);
	cc_error_free(e);
	return r;
}

/* "sealed." + b64url(hdr) "." b64url(payload) "." b64url(sig). */
static char *forge(const char *hdr, const char *payload, const char *sig)
{
	char *h = cj_b64url_encode(hdr, strlen(hdr));
	char *p = cj_b64url_encode(payload, strlen(payload));
	char *s = cj_b64url_encode(sig, strlen(sig));
	size_t n = strlen(h) + strlen(p) + strlen(s) + 16;
	char *out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "sealed.%s.%s.%s", h, p, s);
	free(h);
	free(p);
	free(s);
	return out;
}

/* A secret signed with tests/cdh/data/<keyfile> under kid. */
static char *sign(const char *keyfile, const char *kid, const char *payload)
{
	size_t n = 0;
	char *text = slurp(keyfile, &n);
	cj_jwk *k = NULL;
	char *jws = NULL;
	assert_int_equal(cj_jwk_parse(text, n, &k, NULL), 0);
	assert_int_equal(cj_jwk_set_kid(k, kid, NULL), 0);
	assert_int_equal(cj_jws_sign(k, "ES256", CJ_JWS_KID, payload, strlen(payload), &jws, NULL),
	                 0);
	cj_jwk_free(k);
	free(text);
	size_t l = strlen(jws) + 8;
	char *out = malloc(l);
	assert_non_null(out);
	snprintf(out, l, "sealed.%s", jws);
	free(jws);
	return out;
}

#define VAULT                                                                              \
	"{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"" SECRET_URI                    \
	"\",\"provider\":\"kbs\",\"provider_settings\":{},\"annotations\":{}}"

/* ---- tests ------------------------------------------------------------------- */

static void test_upstream_vector(void **state)
{
	(void)state;
	size_t n = 0;
	char *s = slurp("sealed-vault-kbs.txt", &n);
	cdh_sealed *p = NULL;
	assert_int_equal(cdh_sealed_parse(s, n, 0, &p, NULL), 0);
	assert_int_equal(cdh_sealed_type(p), CDH_SEALED_VAULT);
	assert_string_equal(cdh_sealed_kid(p), SIGNING_KID);
	assert_string_equal(cdh_sealed_provider(p), "kbs");
	assert_string_equal(cdh_sealed_name(p), SECRET_URI);
	cdh_sealed_free(p);
	struct table t = make_table();
	unsigned char *out = NULL;
	size_t out_len = 0;
	char msg[512];
	assert_int_equal(unseal(s, n, 0, &t, &out, &out_len, msg), 0);
	assert_int_equal(out_len, 6);
	assert_memory_equal(out, "s3cret\0", 7);
	assert_int_equal(t.calls, 2);
	cj_free_secret(out, out_len);
	free(s);
}

static void test_signed_here(void **state)
{
	(void)state;
	char *s = sign("test-key.json", SIGNING_KID, VAULT);
	struct table t = make_table();
	unsigned char *out = NULL;
	size_t out_len = 0;
	char msg[512];
	assert_int_equal(unseal(s, strlen(s), 0, &t, &out, &out_len, msg), 0);
	assert_memory_equal(out, "s3cret", 6);
	cj_free_secret(out, out_len);
	free(s);
}

struct bad {
	const char *hdr, *payload, *sig;
	int code;
	const char *msg;
};

#define H "{\"alg\":\"ES256\",\"kid\":\"" SIGNING_KID "\"}"
#define P(x) "{\"version\":\"0.1.0\",\"type\":\"vault\",\"provider\":\"kbs\"" x "}"

static void test_malformed(void **state)
{
	(void)state;
	static const struct bad bad[] = {
		{"{\"alg\":\"HS256\",\"kid\":\"" SIGNING_KID "\"}", VAULT, "x", -EINVAL,
		 "alg \"HS256\" is not ES256"},
		{"{\"alg\":\"none\",\"kid\":\"" SIGNING_KID "\"}", VAULT, "x", -EINVAL,
		 "alg \"none\" is not ES256"},
		{"{\"kid\":\"" SIGNING_KID "\"}", VAULT, "x", -EINVAL, "no \"alg\" string"},
		{"{\"alg\":\"ES256\"}", VAULT, "x", -EINVAL, "no \"kid\" string"},
		{"{\"alg\":\"ES256\",\"kid\":\"/etc/key\"}", VAULT, "x", -EINVAL,
		 "kid is not a kbs:// resource URI"},
		{"{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"" SIGNING_KID "\"}", VAULT, "x",
		 -EINVAL, "duplicate"},
		{"{\"alg\":\"ES256\",\"crit\":[\"x\"],\"kid\":\"" SIGNING_KID "\"}", VAULT, "x",
		 -EINVAL, "\"crit\" is not supported"},
		{"[1]", VAULT, "x", -EINVAL, "not a JSON object"},
		{H, "not json", "x", -EINVAL, "sealed secret payload"},
		{H, "[]", "x", -EINVAL, "payload: not a JSON object"},
		{H, P(",\"name\":\"a\",\"name\":\"b\""), "x", -EINVAL, "duplicate"},
		{H, "{\"version\":\"0.2.0\",\"type\":\"vault\"}", "x", -EINVAL,
		 "version \"0.2.0\" is not 0.1.0"},
		{H, "{\"type\":\"vault\"}", "x", -EINVAL, "\"version\" is missing"},
		{H, "{\"version\":\"0.1.0\",\"type\":\"kms\"}", "x", -EINVAL,
		 "type \"kms\" is not vault or envelope"},
		{H, P(""), "x", -EINVAL, "\"name\" is missing"},
		{H, P(",\"name\":7"), "x", -EINVAL, "\"name\" is missing or not a non-empty string"},
		{H, P(",\"name\":\"n\",\"key_id\":\"k\""), "x", -EINVAL, "unknown member \"key_id\""},
		{H, P(",\"name\":\"n\",\"annotations\":[]"), "x", -EINVAL,
		 "\"annotations\" is not an object"},
		{H, "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"n\"}", "x", -EINVAL,
		 "\"provider\" is missing"},
		{H,
		 "{\"version\":\"0.1.0\",\"type\":\"envelope\",\"provider\":\"kbs\",\"key_id\":\"k\","
		 "\"encrypted_key\":\"a\",\"encrypted_data\":\"b\",\"iv\":\"c\"}",
		 "x", -EINVAL, "\"wrap_type\" is missing"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = forge(bad[i].hdr, bad[i].payload, bad[i].sig);
		cdh_sealed *p = NULL;
		cc_error *e = NULL;
		int r = cdh_sealed_parse(s, strlen(s), 0, &p, &e);
		if (r != bad[i].code || strstr(cc_error_message(e), bad[i].msg) == NULL)
			fail_msg("case %zu: %d \"%s\", wanted %d \"%s\"", i, r, cc_error_message(e),
			         bad[i].code, bad[i].msg);
		assert_null(p);
		cc_error_free(e);
		free(s);
	}
}

static void test_malformed_wire(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		const char *msg;
	} bad[] = {
		{"", "no \"sealed.\" prefix"},
		{"eyJh.eyJ2.AAAA", "no \"sealed.\" prefix"},
		{"Sealed.a.b.c", "no \"sealed.\" prefix"},
		{"sealed.", "three parts"},
		{"sealed.a.b", "three parts"},
		{"sealed.a.b.c.d", "three parts"},
		{"sealed.e30=.e30.AA", "jws header"},
		{"sealed.e3 0.e30.AA", "jws header"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cdh_sealed *p = NULL;
		cc_error *e = NULL;
		int r = cdh_sealed_parse(bad[i].s, strlen(bad[i].s), 0, &p, &e);
		if (r != -EINVAL || strstr(cc_error_message(e), bad[i].msg) == NULL)
			fail_msg("case %zu: %d \"%s\", wanted \"%s\"", i, r, cc_error_message(e),
			         bad[i].msg);
		cc_error_free(e);
	}
	/* an embedded NUL */
	cdh_sealed *p = NULL;
	cc_error *e = NULL;
	assert_int_equal(cdh_sealed_parse("sealed.a\0.b.c", 14, 0, &p, &e), -EINVAL);
	assert_non_null(strstr(cc_error_message(e), "NUL"));
	cc_error_free(e);
}

static void test_oversized(void **state)
{
	(void)state;
	size_t n = CC_CDH_MAX_SEALED_BYTES + 1;
	char *s = malloc(n);
	assert_non_null(s);
	memcpy(s, "sealed.", 7);
	memset(s + 7, 'A', n - 7);
	cdh_sealed *p = NULL;
	cc_error *e = NULL;
	assert_int_equal(cdh_sealed_parse(s, n, 0, &p, &e), -E2BIG);
	assert_non_null(strstr(cc_error_message(e), "more than 1048576"));
	cc_error_free(e);
	free(s);
}

static void test_wrong_signature(void **state)
{
	(void)state;
	size_t n = 0;
	char *s = slurp("sealed-vault-kbs.txt", &n);
	s[n - 3] = s[n - 3] == 'A' ? 'B' : 'A';
	struct table t = make_table();
	unsigned char *out = NULL;
	size_t out_len = 0;
	char msg[512];
	assert_int_equal(unseal(s, n, 0, &t, &out, &out_len, msg), -EBADMSG);
	assert_non_null(strstr(msg, "signature does not verify"));
	assert_non_null(strstr(msg, SIGNING_KID));
	assert_null(strstr(msg, "s3cret"));
	assert_int_equal(t.calls, 1); /* the secret was never fetched */
	free(s);

	/* payload swapped under a valid header and signature */
	s = sign("test-key.json", SIGNING_KID, VAULT);
	char *other = forge(H, P(",\"name\":\"kbs:///default/secret/2\""), "x");
	char *dot1 = strchr(s + 7, '.'), *dot2 = strchr(dot1 + 1, '.');
	char *odot1 = strchr(other + 7, '.'), *odot2 = strchr(odot1 + 1, '.');
	char buf[2048];
	snprintf(buf, sizeof(buf), "%.*s%.*s%s", (int)(dot1 - s), s, (int)(odot2 - odot1),
	         odot1, dot2);
	t = make_table();
	assert_int_equal(unseal(buf, strlen(buf), 0, &t, &out, &out_len, msg), -EBADMSG);
	free(s);
	free(other);
}

static void test_wrong_kid(void **state)
{
	(void)state;
	unsigned char *out = NULL;
	size_t out_len = 0;
	char msg[512];
	/* signed with key 1, naming key 2 */
	char *s = sign("test-key.json", "kbs:///default/signing-key/2", VAULT);
	struct table t = make_table();
	assert_int_equal(unseal(s, strlen(s), 0, &t, &out, &out_len, msg), -EBADMSG);
	assert_non_null(strstr(msg, "kbs:///default/signing-key/2"));
	free(s);
	/* a kid the KBS does not hold */
	s = sign("test-key.json", "kbs:///default/signing-key/9", VAULT);
	t = make_table();
	assert_int_equal(unseal(s, strlen(s), 0, &t, &out, &out_len, msg), -ENOENT);
	assert_non_null(strstr(msg, "fetching the signing key kbs:///default/signing-key/9"));
	free(s);
	/* a kid naming a resource that is not a JWK */
	s = sign("test-key.json", SECRET_URI, VAULT);
	t = make_table();
	assert_int_equal(unseal(s, strlen(s), 0, &t, &out, &out_len, msg), -EINVAL);
	assert_non_null(strstr(msg, "signing key " SECRET_URI));
	free(s);
}

static void test_unsigned(void **state)
{
	(void)state;
	char *s = forge("fakejwsheader", VAULT, "fakesignature");
	unsigned char *out = NULL;
	size_t out_len = 0;
	char msg[512];
	struct table t = make_table();
	/* strict by default */
	assert_int_equal(unseal(s, strlen(s), 0, &t, &out, &out_len, msg), -EINVAL);
	assert_int_equal(t.calls, 0);
	/* with the flag (skip_sealed_secret_verification) */
	assert_int_equal(unseal(s, strlen(s), CDH_SEALED_SKIP_VERIFY, &t, &out, &out_len, msg), 0);
	assert_memory_equal(out, "s3cret", 6);
	assert_int_equal(t.calls, 1);
	cj_free_secret(out, out_len);
	free(s);
	cdh_sealed *p = NULL;
	const char *raw = "sealed.fakejwsheader.e30.fakesignature";
	assert_int_equal(cdh_sealed_parse(raw, strlen(raw), CDH_SEALED_SKIP_VERIFY, &p, NULL),
	                 -EINVAL);
}

static void test_provider(void **state)
{
	(void)state;
	char *s = sign("test-key.json", SIGNING_KID,
	               "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"xxx\","
	               "\"provider\":\"aliyun\",\"provider_settings\":{},\"annotations\":{}}");
	unsigned char *out = NULL;
	size_t out_len = 0;
	char msg[512];
	struct table t = make_table();
	assert_int_equal(unseal(s, strlen(s), 0, &t, &out, &out_len, msg), -ENOTSUP);
	assert_non_null(strstr(msg, "provider \"aliyun\" is not supported"));
	free(s);
	/* KBS provider, name not a resource URI */
	s = sign("test-key.json", SIGNING_KID, P(",\"name\":\"xxx\""));
	t = make_table();
	assert_int_equal(unseal(s, strlen(s), 0, &t, &out, &out_len, msg), -EINVAL);
	assert_non_null(strstr(msg, "secret is not a kbs:// resource URI"));
	free(s);
}

static void gcm_encrypt(const unsigned char *key, const unsigned char *iv, const void *in,
                        size_t n, unsigned char *out /* n + 16 */)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out, &l, in, (int)n), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, out + l, &l), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + n), 1);
	EVP_CIPHER_CTX_free(c);
}

static char *envelope_payload(bool tamper)
{
	static const unsigned char dek[32] = "DEKDEKDEKDEKDEKDEKDEKDEKDEKDEK!!";
	static const unsigned char wiv[12] = "wrapnonce123", iv[12] = "datanonce123";
	unsigned char wrapped[48], data[16 + 16];
	gcm_encrypt(kek, wiv, dek, 32, wrapped);
	gcm_encrypt(dek, iv, "envelope-secret!", 16, data);
	if (tamper)
		data[3] ^= 1;
	char *ek = cj_b64_encode(wrapped, sizeof(wrapped)), *ed = cj_b64_encode(data, 32);
	char *bwiv = cj_b64_encode(wiv, 12), *biv = cj_b64_encode(iv, 12);
	char *out = malloc(1024);
	assert_non_null(out);
	snprintf(out, 1024,
	         "{\"version\":\"0.1.0\",\"type\":\"envelope\",\"provider\":\"kbs\",\"key_id\":"
	         "\"" KEK_URI "\",\"encrypted_key\":\"%s\",\"encrypted_data\":\"%s\","
	         "\"wrap_type\":\"A256GCM\",\"iv\":\"%s\",\"provider_settings\":{},"
	         "\"annotations\":{\"iv\":\"%s\"}}",
	         ek, ed, biv, bwiv);
	free(ek);
	free(ed);
	free(bwiv);
	free(biv);
	return out;
}

static void test_envelope(void **state)
{
	(void)state;
	unsigned char *out = NULL;
	size_t out_len = 0;
	char msg[512];
	for (int tamper = 0; tamper < 2; tamper++) {
		char *pl = envelope_payload(tamper);
		char *s = sign("test-key.json", SIGNING_KID, pl);
		struct table t = make_table();
		int r = unseal(s, strlen(s), 0, &t, &out, &out_len, msg);
		if (!tamper) {
			assert_int_equal(r, 0);
			assert_int_equal(out_len, 16);
			assert_memory_equal(out, "envelope-secret!", 16);
			cj_free_secret(out, out_len);
		} else {
			assert_int_equal(r, -EBADMSG);
			assert_non_null(strstr(msg, "encrypted_data: authentication failed"));
		}
		free(s);
		free(pl);
	}
}

/* Envelopes sealed by python3-cryptography (fuzz/corpus/sealed_secret/):
 * A256CTR and A256GCM data under a DEK wrapped with the table's KEK. */
static void test_envelope_pyca(void **state)
{
	(void)state;
	static const struct {
		const char *file, *plain;
	} v[] = {{"envelope-ctr-pyca.txt", "ctr secret"}, {"envelope-gcm-pyca.txt", "envelope secret"}};
	for (size_t i = 0; i < 2; i++) {
		size_t n = 0;
		char *s = slurp(v[i].file, &n);
		struct table t = make_table();
		unsigned char *out = NULL;
		size_t out_len = 0;
		char msg[512];
		assert_int_equal(unseal(s, n, 0, &t, &out, &out_len, msg), 0);
		assert_int_equal(out_len, strlen(v[i].plain));
		assert_memory_equal(out, v[i].plain, out_len);
		cj_free_secret(out, out_len);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upstream_vector), cmocka_unit_test(test_signed_here),
		cmocka_unit_test(test_malformed),       cmocka_unit_test(test_malformed_wire),
		cmocka_unit_test(test_oversized),       cmocka_unit_test(test_wrong_signature),
		cmocka_unit_test(test_wrong_kid),       cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_provider),        cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_envelope_pyca),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
