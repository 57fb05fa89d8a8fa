/* The KBS client's admin side (lib/kbsclient/kbs_admin_msg.c, kbs_keys.c):
 * request bodies byte for byte as kbs-client sends them, the built-in
 * resource policies evaluated by cocoon's Rego engine over EAR-shaped
 * claims, the admin JWT, TEE keys from PEM, and the file reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "cocoon/rego.h"
#include "jose_jwt.h"
#include "jose_util.h"
#include "kbs_client.h"

static void bodies(void **state)
{
	(void)state;
	char *b = NULL;
	/* "package x" is cGFja2FnZSB4 in base64url without padding */
	assert_int_equal(kbs_resource_policy_body("package x", 9, &b, NULL), 0);
	assert_string_equal(b, "{\"policy\":\"cGFja2FnZSB4\"}");
	free(b);
	/* bytes that differ between base64 and base64url */
	assert_int_equal(kbs_resource_policy_body("\xfb\xff", 2, &b, NULL), 0);
	assert_string_equal(b, "{\"policy\":\"-_8\"}");
	free(b);
	assert_int_equal(kbs_attestation_policy_body("rego", "default_cpu", "package x", 9, &b, NULL),
	                 0);
	assert_string_equal(b, "{\"type\":\"rego\",\"policy_id\":\"default_cpu\","
	                       "\"policy\":\"cGFja2FnZSB4\"}");
	free(b);
	b = NULL;
	assert_int_equal(kbs_attestation_policy_body("rego", "", "p", 1, &b, NULL), -EINVAL);
	assert_null(b);
}

/* The payload of a sample RVPS message, decoded. */
static char *rv_payload(const char *name, const char *value, enum kbs_rv_kind kind, bool single)
{
	char *b = NULL;
	if (kbs_sample_rv_body(name, value, kind, single, &b, NULL) < 0)
		return NULL;
	json_t *m = json_loads(b, 0, NULL);
	assert_non_null(m);
	/* member order of the message: version, type, payload */
	assert_int_equal(strncmp(b, "{\"version\":\"0.1.0\",\"type\":\"sample\",\"payload\":\"", 45),
	                 0);
	const char *p = json_string_value(json_object_get(m, "payload"));
	unsigned char *dec = NULL;
	size_t n = 0;
	assert_int_equal(cj_b64_decode(p, strlen(p), 4096, &dec, &n, "payload", NULL), 0);
	json_decref(m);
	free(b);
	return (char *)dec;
}

static void sample_rv(void **state)
{
	(void)state;
	static const struct {
		const char *name, *value;
		enum kbs_rv_kind kind;
		bool single;
		const char *want; /* NULL: refused */
	} cases[] = {
	    {"svn", "1", KBS_RV_STRING, false, "{\"svn\":[\"1\"]}"},
	    {"svn", "1", KBS_RV_INTEGER, false, "{\"svn\":[1]}"},
	    {"major_version", "-2147483648", KBS_RV_INTEGER, true,
	     "{\"major_version\":-2147483648}"},
	    {"m", "+7", KBS_RV_INTEGER, true, "{\"m\":7}"},
	    {"m", "2147483647", KBS_RV_INTEGER, true, "{\"m\":2147483647}"},
	    {"m", "2147483648", KBS_RV_INTEGER, true, NULL},
	    {"m", "-2147483649", KBS_RV_INTEGER, true, NULL},
	    {"m", "1.0", KBS_RV_INTEGER, true, NULL},
	    {"m", "", KBS_RV_INTEGER, true, NULL},
	    {"m", "-", KBS_RV_INTEGER, true, NULL},
	    {"m", "0x10", KBS_RV_INTEGER, true, NULL},
	    {"debug", "false", KBS_RV_BOOL, true, "{\"debug\":false}"},
	    {"debug", "true", KBS_RV_BOOL, false, "{\"debug\":[true]}"},
	    {"debug", "True", KBS_RV_BOOL, false, NULL},
	    {"launch_digest", "abc\"d", KBS_RV_STRING, true, "{\"launch_digest\":\"abc\\\"d\"}"},
	    {"", "x", KBS_RV_STRING, true, NULL},
	    {"n", "\xff", KBS_RV_STRING, true, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = rv_payload(cases[i].name, cases[i].value, cases[i].kind, cases[i].single);
		if (cases[i].want == NULL) {
			if (got != NULL)
				fail_msg("case %zu accepted: %s", i, got);
		} else {
			if (got == NULL)
				fail_msg("case %zu refused", i);
			assert_string_equal(got, cases[i].want);
		}
		free(got);
	}
}

/* Evaluates data.policy.allow of a built-in policy for claims and the
 * KBS's policy data. */
static bool allows(enum kbs_builtin_policy p, const char *claims, const char *plugin)
{
	rego_engine *e = rego_engine_new(NULL);
	assert_non_null(e);
	const char *src = kbs_builtin_policy(p);
	cc_error *err = NULL;
	char data[256];
	snprintf(data, sizeof(data),
	         "{\"plugin\":\"%s\",\"resource-path\":[\"a\",\"b\",\"c\"],\"query\":{}}", plugin);
	if (rego_engine_add_policy(e, "policy.rego", src, strlen(src), &err) < 0 ||
	    rego_engine_compile(e, &err) < 0 ||
	    rego_engine_set_data_json(e, data, strlen(data), &err) < 0 ||
	    rego_engine_set_input_json(e, claims, strlen(claims), &err) < 0)
		fail_msg("built-in policy %d: %s", (int)p, cc_error_message(err));
	const rego_result *r = NULL;
	if (rego_engine_eval(e, "data.policy.allow", &r, &err) < 0)
		fail_msg("built-in policy %d: %s", (int)p, cc_error_message(err));
	bool yes = rego_result_is_true(r);
	rego_engine_free(e);
	return yes;
}

static void builtin_policies(void **state)
{
	(void)state;
	static const char sample_ok[] =
	    "{\"submods\":{\"cpu0\":{\"ear.status\":\"affirming\","
	    "\"ear.veraison.annotated-evidence\":{\"sample\":{\"svn\":\"1\"}}}}}";
	static const char tpm_warning[] =
	    "{\"submods\":{\"cpu0\":{\"ear.status\":\"warning\","
	    "\"ear.veraison.annotated-evidence\":{\"tpm\":{}}}}}";
	static const char two_mixed[] =
	    "{\"submods\":{\"cpu0\":{\"ear.status\":\"affirming\"},\"gpu0\":{\"ear.status\":"
	    "\"contraindicated\"}}}";
	static const char two_ok[] =
	    "{\"submods\":{\"cpu0\":{\"ear.status\":\"affirming\"},\"gpu0\":{\"ear.status\":"
	    "\"affirming\"}}}";
	static const char no_status[] = "{\"submods\":{\"cpu0\":{},\"gpu0\":{\"ear.status\":"
	                                "\"affirming\"}}}";
	static const char empty[] = "{\"submods\":{}}";

	assert_true(allows(KBS_POLICY_ALLOW_ALL, sample_ok, "resource"));
	assert_true(allows(KBS_POLICY_ALLOW_ALL, empty, "other-plugin"));
	assert_false(allows(KBS_POLICY_DENY_ALL, sample_ok, "resource"));
	assert_false(allows(KBS_POLICY_DENY_ALL, two_ok, "resource"));

	assert_true(allows(KBS_POLICY_AFFIRMING, sample_ok, "resource"));
	assert_true(allows(KBS_POLICY_AFFIRMING, two_ok, "resource"));
	assert_false(allows(KBS_POLICY_AFFIRMING, tpm_warning, "resource"));
	assert_false(allows(KBS_POLICY_AFFIRMING, two_mixed, "resource"));
	assert_false(allows(KBS_POLICY_AFFIRMING, no_status, "resource"));
	assert_false(allows(KBS_POLICY_AFFIRMING, empty, "resource"));
	assert_false(allows(KBS_POLICY_AFFIRMING, "{}", "resource"));

	/* the default: anything but sample, whatever its status */
	assert_false(allows(KBS_POLICY_DEFAULT, sample_ok, "resource"));
	assert_true(allows(KBS_POLICY_DEFAULT, tpm_warning, "resource"));
	assert_false(allows(KBS_POLICY_DEFAULT, tpm_warning, "other-plugin"));
}

static void admin_jwt(void **state)
{
	(void)state;
	cj_jwk *k = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_ED25519, "EdDSA", &k, NULL), 0);
	char *tok = NULL;
	assert_int_equal(kbs_admin_jwt(k, 1700000000, &tok, NULL), 0);
	/* verifies with the public key alone */
	json_t *pj = NULL;
	cj_jwk *pub = NULL;
	assert_int_equal(cj_jwk_to_json(k, 0, &pj, NULL), 0);
	assert_int_equal(cj_jwk_from_json(pj, &pub, NULL), 0);
	json_t *hdr = NULL;
	char *payload = NULL;
	size_t n = 0;
	assert_int_equal(cj_jws_verify(pub, tok, strlen(tok), &hdr, &payload, &n, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "EdDSA");
	json_t *c = json_loads(payload, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(c, "iat")), 1700000000);
	assert_int_equal(json_integer_value(json_object_get(c, "nbf")), 1700000000);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")),
	                 1700000000 + CC_KBS_CLIENT_ADMIN_JWT_SECONDS);
	assert_string_equal(json_string_value(json_object_get(c, "role")), "admin");
	assert_int_equal(cj_jwt_check_claims(c, 1700000100, 0, 0, NULL), 0);
	assert_int_equal(cj_jwt_check_claims(c, 1700000000 + 7201, 0, 0, NULL), -EKEYEXPIRED);
	json_decref(c);
	json_decref(hdr);
	free(payload);
	free(tok);
	/* a public key, an EC key: refused */
	tok = NULL;
	assert_int_equal(kbs_admin_jwt(pub, 1, &tok, NULL), -EINVAL);
	cj_jwk *ec = NULL;
	assert_int_equal(cj_jwk_generate(CJ_GEN_P256, NULL, &ec, NULL), 0);
	assert_int_equal(kbs_admin_jwt(ec, 1, &tok, NULL), -EINVAL);
	assert_null(tok);
	cj_jwk_free(ec);
	json_decref(pj);
	cj_jwk_free(pub);
	cj_jwk_free(k);
}

/* PEM text of a new key made by OpenSSL (private, or public only). */
static char *pem_of(const char *alg, const char *param, bool public_only)
{
	EVP_PKEY *pk = NULL;
	if (strcmp(alg, "RSA") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(alg, "EC") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, alg);
	assert_non_null(pk);
	BIO *b = BIO_new(BIO_s_mem());
	if (public_only)
		assert_int_equal(PEM_write_bio_PUBKEY(b, pk), 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL), 1);
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	char *out = strndup(p, (size_t)n);
	BIO_free(b);
	EVP_PKEY_free(pk);
	return out;
}

static void tee_key_pem(void **state)
{
	(void)state;
	static const struct {
		const char *alg, *param;
		bool pub;
		const char *want_alg; /* NULL: refused */
	} cases[] = {
	    {"RSA", NULL, false, "RSA-OAEP-256"},    {"EC", "P-256", false, "ECDH-ES+A256KW"},
	    {"EC", "P-521", false, "ECDH-ES+A256KW"}, {"EC", "P-384", false, NULL},
	    {"ED25519", NULL, false, NULL},          {"RSA", NULL, true, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *pem = pem_of(cases[i].alg, cases[i].param, cases[i].pub);
		cj_jwk *k = NULL;
		cc_error *err = NULL;
		int r = kbs_tee_key_from_pem(pem, strlen(pem), "key.pem", &k, &err);
		if (cases[i].want_alg == NULL) {
			assert_int_equal(r, -EINVAL);
			assert_null(k);
			assert_non_null(strstr(cc_error_message(err), "key.pem"));
			/* no key material in the message */
			assert_null(strstr(cc_error_message(err), "BEGIN"));
		} else {
			assert_int_equal(r, 0);
			assert_string_equal(cj_jwk_alg(k), cases[i].want_alg);
			json_t *tp = NULL;
			assert_int_equal(cj_jwk_to_tee_pubkey(k, &tp, NULL), 0);
			json_decref(tp);
		}
		cj_jwk_free(k);
		cc_error_free(err);
		free(pem);
	}
	cj_jwk *k = NULL;
	cc_error *err = NULL;
	assert_true(kbs_tee_key_from_pem("garbage", 7, "g.pem", &k, &err) < 0);
	cc_error_free(err);
}

static void read_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/kbscli-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/f", dir);
	FILE *f = fopen(path, "w");
	fputs("0123456789", f);
	fclose(f);
	char *buf = NULL;
	size_t n = 0;
	assert_int_equal(cc_read_file(path, 10, KBS_CLIENT_READ, &buf, &n, NULL), 0);
	assert_int_equal(n, 10);
	assert_string_equal(buf, "0123456789");
	cj_free_secret(buf, n + 1);
	buf = NULL;
	cc_error *err = NULL;
	assert_int_equal(cc_read_file(path, 9, KBS_CLIENT_READ, &buf, &n, &err), -EFBIG);
	assert_null(buf);
	assert_non_null(strstr(cc_error_message(err), path));
	cc_error_free(err);
	err = NULL;
	assert_int_equal(cc_read_file(dir, 100, KBS_CLIENT_READ, &buf, &n, &err), -EINVAL);
	cc_error_free(err);
	err = NULL;
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(cc_read_file(path, 100, KBS_CLIENT_READ, &buf, &n, &err), -ENOENT);
	cc_error_free(err);
	snprintf(path, sizeof(path), "%s/empty", dir);
	fclose(fopen(path, "w"));
	assert_int_equal(cc_read_file(path, 100, KBS_CLIENT_READ, &buf, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");
	free(buf);
	unlink(path);
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bodies),    cmocka_unit_test(sample_rv),   cmocka_unit_test(builtin_policies),
	    cmocka_unit_test(admin_jwt), cmocka_unit_test(tee_key_pem), cmocka_unit_test(read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
