/* cmocka tests of cocoon-kbs's parsers and pure parts (src/kbs): the RCAR
 * payloads and the runtime-data digest (the reference notes' worked
 * example), init-data (Trustee's fixture), the sample verifier, EAR
 * appraisals and tiers, query strings, resource paths, JSON pointers and
 * configuration errors. Every error case checks the code, the message and
 * that the outputs were left alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cocoon/file.h"
#include "config.h"
#include "ear.h"
#include "initdata.h"
#include "jose_util.h"
#include "kbs_util.h"
#include "rcar.h"
#include "resource.h"
#include "router.h"
#include "sample_verifier.h"
#include "session.h"
#include "token.h"

static void expect_err(int r, cc_error *e, int code, const char *word)
{
	if (r != code || strstr(cc_error_message(e), word) == NULL)
		fail_msg("want %d \"%s\", got %d \"%s\"", code, word, r, cc_error_message(e));
	cc_error_free(e);
}

/* Runs call (which names its error &err_) and checks code and message. */
#define EXPECT_ERR(code, word, call)                                                               \
	do {                                                                                       \
		cc_error *err_ = NULL;                                                             \
		int r_ = (call);                                                                   \
		expect_err(r_, err_, code, word);                                                  \
	} while (0)

static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	assert_int_equal(cc_read_file(path, 1 << 20, CC_READ_REGULAR, &buf, len, NULL), 0);
	return buf;
}

/* ---- RCAR ------------------------------------------------------------------ */

static void request_ok_and_versions(void **state)
{
	(void)state;
	json_t *j = NULL;
	const char *tee = NULL;
	const char *ok = "{\"version\":\"0.4.0\",\"tee\":\"tpm\",\"extra-params\":{}}";
	assert_int_equal(kbs_rcar_parse_request((const uint8_t *)ok, strlen(ok), &j, &tee, NULL), 0);
	assert_string_equal(tee, "tpm");
	json_decref(j);
	const char *build = "{\"version\":\"0.4.0+abc\",\"tee\":\"sample\",\"extra-params\":\"\"}";
	assert_int_equal(kbs_rcar_parse_request((const uint8_t *)build, strlen(build), &j, &tee, NULL),
	                 0);
	json_decref(j);
	static const struct {
		const char *body, *word;
		int code;
	} bad[] = {
		{"{\"version\":\"0.5.0\",\"tee\":\"sample\",\"extra-params\":\"\"}",
		 "KBS Client Protocol Version Mismatch: expect =0.4.0 while the request is 0.5.0", -EPROTO},
		{"{\"version\":\"00.4.0\",\"tee\":\"sample\",\"extra-params\":\"\"}", "failed to parse",
		 -EINVAL},
		{"{\"version\":\"0.4\",\"tee\":\"sample\",\"extra-params\":\"\"}", "failed to parse",
		 -EINVAL},
		{"{\"version\":4,\"tee\":\"sample\",\"extra-params\":\"\"}", "`version`", -EINVAL},
		{"{\"version\":\"0.4.0\",\"tee\":\"Sample\",\"extra-params\":\"\"}", "unknown tee", -EINVAL},
		{"{\"version\":\"0.4.0\",\"tee\":\"sample\"}", "extra-params", -EINVAL},
		{"{\"version\":\"0.4.0\",\"tee\":\"sample\",\"tee\":\"tpm\",\"extra-params\":1}",
		 "duplicate", -EINVAL},
		{"\"0.4.0\"", "expected", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error *e = NULL;
		j = NULL;
		tee = NULL;
		int r = kbs_rcar_parse_request((const uint8_t *)bad[i].body, strlen(bad[i].body), &j,
		                               &tee, &e);
		expect_err(r, e, bad[i].code, bad[i].word);
		assert_null(j);
		assert_null(tee);
	}
}

static const char *attestation_json(const char *init)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
	         "{\"init-data\":%s,\"runtime-data\":{\"nonce\":\"bm9uY2U=\",\"tee-pubkey\":"
	         "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
	         "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	         "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}},"
	         "\"tee-evidence\":{\"primary_evidence\":{\"svn\":\"1\"},\"additional_evidence\":\"\"}}",
	         init);
	return buf;
}

static void attestation_parse(void **state)
{
	(void)state;
	struct kbs_attestation a;
	const char *s = attestation_json("null");
	assert_int_equal(kbs_rcar_parse_attestation((const uint8_t *)s, strlen(s), &a, NULL), 0);
	assert_string_equal(a.nonce, "bm9uY2U=");
	assert_null(a.init_data_format);
	assert_string_equal(a.additional_evidence, "");
	kbs_attestation_clear(&a);
	s = attestation_json("{\"format\":\"toml\",\"body\":\"x\"}");
	assert_int_equal(kbs_rcar_parse_attestation((const uint8_t *)s, strlen(s), &a, NULL), 0);
	assert_string_equal(a.init_data_format, "toml");
	assert_int_equal(a.init_data_body_len, 1);
	kbs_attestation_clear(&a);
	static const struct {
		const char *body, *word;
	} bad[] = {
		{"{\"runtime-data\":{\"nonce\":1,\"tee-pubkey\":{}},\"tee-evidence\":{}}", "nonce"},
		{"{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":\"oct\",\"alg\":\"A128KW\"}},"
		 "\"tee-evidence\":{\"primary_evidence\":{}}}",
		 "tee-pubkey"},
		{"{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{}},\"tee-evidence\":[]}", "tee-evidence"},
		/* a leading zero byte in n (lib/jose looped on it) */
		{"{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":\"RSA\",\"alg\":"
		 "\"RSA-OAEP-256\",\"n\":\"AMPD\",\"e\":\"AQAB\"}},\"tee-evidence\":"
		 "{\"primary_evidence\":{}}}",
		 "not minimal"},
		{"{\"runtime-data\":[],\"tee-evidence\":{}}", "runtime-data"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error *e = NULL;
		memset(&a, 0, sizeof(a));
		int r = kbs_rcar_parse_attestation((const uint8_t *)bad[i].body, strlen(bad[i].body), &a,
		                                   &e);
		expect_err(r, e, -EINVAL, bad[i].word);
		assert_null(a.json);
	}
	s = attestation_json("{\"format\":\"toml\"}");
	EXPECT_ERR(-EINVAL, "init-data", kbs_rcar_parse_attestation((const uint8_t *)s, strlen(s), &a, &err_));
}

/* trustee.md §1.4: the worked example with a dummy EC key. */
static void runtime_data_vector(void **state)
{
	(void)state;
	json_t *k = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "alg",
	                      "ECDH-ES+A256KW", "x", "AAAA", "y", "BBBB");
	json_t *rd = NULL;
	uint8_t d[48];
	char hex[97];
	assert_int_equal(kbs_runtime_data(k, "bm9uY2U=", "", &rd, d, NULL), 0);
	kbs_hex(d, 48, hex);
	assert_string_equal(hex, "d20490d30e5f16cba693abc1ca3c31ed977d2722d0adf01a980972d16913dc38"
	                         "f103c1f12abf477df0523af2b12e4b43");
	assert_non_null(json_object_get(rd, "additional-evidence"));
	json_decref(rd);
	/* device evidence binds {"tee-pubkey","nonce"} only */
	assert_int_equal(kbs_runtime_data(k, "bm9uY2U=", NULL, &rd, d, NULL), 0);
	assert_null(json_object_get(rd, "additional-evidence"));
	json_decref(rd);
	json_decref(k);
}

/* ---- init-data ------------------------------------------------------------- */

static void initdata_fixture(void **state)
{
	(void)state;
	size_t len;
	char *toml = slurp(KBSSRV_DATA "/init-data-with-policy.toml", &len);
	struct kbs_initdata d;
	assert_int_equal(kbs_initdata_parse("toml", toml, len, &d, NULL), 0);
	unsigned char want[32];
	assert_int_equal(cj_hash_bytes(CJ_SHA256, toml, len, want, NULL), 0);
	assert_int_equal(d.digest_len, 32);
	assert_memory_equal(d.digest, want, 32);
	assert_null(json_object_get(d.claims, "policy.rego"));
	const json_t *args = kbs_json_pointer(d.claims,
	                                      "/agent_policy_claims/containers/1/OCI/Process/Args/0");
	assert_string_equal(json_string_value(args), "/opt/bitnami/scripts/nginx/entrypoint.sh");
	kbs_initdata_clear(&d);
	free(toml);
}

static void initdata_errors(void **state)
{
	(void)state;
	static const struct {
		const char *fmt, *body, *word;
	} bad[] = {
		{"json", "{}", "Unsupported initdata format"},
		{"toml", "version = ", "parse init-data TOML"},
		{"toml", "algorithm = \"sha256\"\n[data]\n", "`version`"},
		{"toml", "version = \"0.1.0\"\nalgorithm = \"sm3\"\n[data]\n", "sm3"},
		{"toml", "version = \"0.1.0\"\nalgorithm = \"sha256\"\n", "`data`"},
		{"toml", "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\nx = 1\n", "not a string"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kbs_initdata d = {0};
		cc_error *e = NULL;
		int r = kbs_initdata_parse(bad[i].fmt, bad[i].body, strlen(bad[i].body), &d, &e);
		expect_err(r, e, -EINVAL, bad[i].word);
		assert_null(d.claims);
	}
	/* an aa.toml that is not TOML stays a string, as upstream */
	const char *t = "version = \"0.1.0\"\nalgorithm = \"sha512\"\n[data]\n\"aa.toml\" = \"[x\"\n";
	struct kbs_initdata d;
	assert_int_equal(kbs_initdata_parse("toml", t, strlen(t), &d, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(d.claims, "aa.toml")), "[x");
	assert_int_equal(d.digest_len, 64);
	kbs_initdata_clear(&d);
}

/* ---- the sample verifier ----------------------------------------------------------- */

static void sample_verifier(void **state)
{
	(void)state;
	attest_verifier *v = NULL;
	assert_int_equal(sample_verifier_new(&v, NULL), 0);
	assert_string_equal(attest_verifier_tee_class(v), "cpu");
	uint8_t rd[48], init[32];
	memset(rd, 7, sizeof(rd));
	memset(init, 9, sizeof(init));
	char *b = cj_b64_encode(rd, sizeof(rd));
	json_t *ev = json_pack("{s:s,s:s,s:s}", "svn", "1", "report_data", b, "other", "x");
	json_t *c = NULL;
	assert_int_equal(attest_verifier_evaluate(v, ev, rd, 48, init, 32, &c, NULL), 0);
	char *ib = cj_b64_encode(init, sizeof(init));
	json_t *want = json_pack("{s:s,s:s,s:s,s:{s:i,s:i},s:b,s:s}", "svn", "1", "report_data", b,
	                         "launch_digest", "abcde", "platform_version", "major", 1, "minor", 4,
	                         "debug", 0, "init_data", ib);
	assert_true(json_equal(c, want));
	json_decref(c);
	json_decref(want);
	/* another report data, a truncated one, none, a bad encoding */
	uint8_t other[48];
	memset(other, 8, sizeof(other));
	c = NULL;
	EXPECT_ERR(-EPERM, "REPORT_DATA is different from that in Sample Quote", attest_verifier_evaluate(v, ev, other, 48, NULL, 0, &c, &err_));
	EXPECT_ERR(-EPERM, "REPORT_DATA", attest_verifier_evaluate(v, ev, rd, 32, NULL, 0, &c, &err_));
	json_object_set_new(ev, "report_data", json_string("AAA"));
	EXPECT_ERR(-EINVAL, "base64", attest_verifier_evaluate(v, ev, rd, 48, NULL, 0, &c, &err_));
	json_object_del(ev, "svn");
	EXPECT_ERR(-EINVAL, "svn", attest_verifier_evaluate(v, ev, NULL, 0, NULL, 0, &c, &err_));
	assert_null(c);
	json_decref(ev);
	free(b);
	free(ib);
	attest_verifier_free(v);
}

/* ---- EAR ---------------------------------------------------------------------- */

static void ear_tiers_and_appraisal(void **state)
{
	(void)state;
	static const struct {
		int v;
		const char *tier;
	} t[] = {{-1, "none"}, {0, "none"}, {1, "none"}, {2, "affirming"}, {31, "affirming"},
	         {-32, "affirming"}, {32, "warning"}, {95, "warning"}, {-96, "warning"},
	         {96, "contraindicated"}, {97, "contraindicated"}, {-97, "contraindicated"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(kbs_ear_tier(t[i].v), t[i].tier);
	json_t *ann = json_object(), *sub = NULL;
	json_t *tc = json_pack("{s:i,s:i,s:i}", "hardware", 2, "executables", 3, "file-system", 0);
	json_t *ext = json_pack("[{s:s,s:i,s:{}}]", "name", "ear.trustee.identifiers", "key", -18,
	                        "value");
	assert_int_equal(kbs_ear_appraisal(tc, ext, ann, &sub, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(sub, "ear.status")), "affirming");
	/* the vector in rust-ear's order, set claims only */
	json_t *tv = json_object_get(sub, "ear.trustworthiness-vector");
	const char *k;
	json_t *vv;
	const char *order[] = {"executables", "file-system", "hardware"};
	size_t i = 0;
	json_object_foreach(tv, k, vv)
		assert_string_equal(k, order[i++]);
	assert_non_null(json_object_get(sub, "ear.trustee.identifiers"));
	json_decref(sub);
	static const struct {
		const char *tc, *ext, *word;
	} bad[] = {
		{"{}", "[]", "At least one policy claim must be set."},
		{"{\"hardwar\":2}", "[]", "unknown claim"},
		{"{\"hardware\":200}", "[]", "-128..127"},
		{"{\"hardware\":\"2\"}", "[]", "-128..127"},
		{"{\"hardware\":2}", "[{\"name\":\"ear.status\",\"key\":1,\"value\":1}]", "taken"},
		{"{\"hardware\":2}", "[{\"name\":\"x\",\"value\":1}]", "integer key"},
	};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *a = json_loads(bad[i].tc, 0, NULL), *x = json_loads(bad[i].ext, 0, NULL);
		sub = NULL;
		EXPECT_ERR(-EINVAL, bad[i].word, kbs_ear_appraisal(a, x, ann, &sub, &err_));
		assert_null(sub);
		json_decref(a);
		json_decref(x);
	}
	json_decref(tc);
	json_decref(ext);
	json_decref(ann);
}

/* ---- paths, queries, pointers --------------------------------------------------- */

static void resource_paths(void **state)
{
	(void)state;
	const char *good[] = {"a/b/c", "default/key/1", "A-_/b.c/d..e", "_x/-y/z."};
	const char *bad[] = {"", "a/b", "a/b/c/d", "../b/c", "a/../c", "a/b/..", ".a/b/c",
	                     "a//c", "a/b/c/", "/a/b/c", "a/b/c d", "a/b/\xc3\xa9", "a/b/c\n"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(kbs_resource_path_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kbs_resource_path_ok(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
}

static void query_strings(void **state)
{
	(void)state;
	json_t *q = NULL;
	assert_int_equal(kbs_query_json("a=b&c=d%20e+f&a=2&flag&&x=", &q, NULL), 0);
	json_t *want = json_pack("{s:s,s:s,s:s,s:s}", "a", "2", "c", "d e f", "flag", "", "x", "");
	assert_true(json_equal(q, want));
	json_decref(q);
	json_decref(want);
	assert_int_equal(kbs_query_json(NULL, &q, NULL), 0);
	assert_int_equal(json_object_size(q), 0);
	json_decref(q);
	const char *bad[] = {"a=%zz", "a=%0", "a=%00", "a=%ff", "%="};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q = NULL;
		EXPECT_ERR(-EINVAL, "query", kbs_query_json(bad[i], &q, &err_));
		assert_null(q);
	}
}

static void json_pointers(void **state)
{
	(void)state;
	json_t *d = json_loads("{\"a\":{\"b/c\":[1,{\"~d\":2}]},\"\":3}", 0, NULL);
	assert_int_equal(json_integer_value(kbs_json_pointer(d, "/a/b~1c/1/~0d")), 2);
	assert_int_equal(json_integer_value(kbs_json_pointer(d, "/")), 3);
	assert_ptr_equal(kbs_json_pointer(d, ""), d);
	assert_null(kbs_json_pointer(d, "a"));
	assert_null(kbs_json_pointer(d, "/a/b~1c/01"));
	assert_null(kbs_json_pointer(d, "/a/b~1c/-1"));
	assert_null(kbs_json_pointer(d, "/a/b~2c"));
	assert_null(kbs_json_pointer(d, "/a/x"));
	json_decref(d);
}

/* ---- sessions ------------------------------------------------------------------ */

static void sessions(void **state)
{
	(void)state;
	json_t *req = json_pack("{s:s,s:s,s:s}", "version", "0.4.0", "tee", "sample",
	                        "extra-params", "");
	struct kbs_session s, p;
	assert_int_equal(kbs_session_new(req, "sample", 1795400000, 300, &s, NULL), 0);
	assert_int_equal(strlen(s.id), 32);
	assert_int_equal(s.id[12], '4'); /* UUIDv4 */
	assert_int_equal(strlen(s.nonce), 44);
	char *cookie = kbs_session_cookie(&s);
	assert_string_equal(cookie + 47, "; Expires=Mon, 23 Nov 2026 02:18:20 GMT");
	assert_memory_equal(cookie, "kbs-session-id=", 15);
	free(cookie);
	/* the stored form (Trustee's SessionStatus) parses back */
	const char *authed = "{\"Authed\":{\"request\":{\"version\":\"0.4.0\",\"tee\":\"tpm\","
	                     "\"extra-params\":\"\"},\"challenge\":{\"nonce\":\"bm9uY2U=\","
	                     "\"extra-params\":\"\"},\"id\":\"0123456789abcdef0123456789abcdef\","
	                     "\"timeout\":\"2026-11-22T02:38:20Z\"}}";
	assert_int_equal(kbs_session_parse((const uint8_t *)authed, strlen(authed), &p, NULL), 0);
	assert_false(p.attested);
	assert_string_equal(p.tee, "tpm");
	assert_string_equal(p.nonce, "bm9uY2U=");
	assert_int_equal(p.expires, 1795315100);
	assert_int_equal(kbs_session_attest(&p, "a.b.c", NULL), 0);
	assert_true(p.attested);
	assert_null(p.nonce);
	kbs_session_clear(&p);
	const char *bad[] = {
		"{}", "{\"Authed\":{},\"Attested\":{}}",
		"{\"Attested\":{\"token\":\"t\",\"id\":\"0123\",\"timeout\":\"2026-11-22T02:38:20Z\"}}",
		"{\"Attested\":{\"token\":\"t\",\"id\":\"0123456789abcdef0123456789ABCDEF\","
		"\"timeout\":\"2026-11-22T02:38:20Z\"}}",
		"{\"Attested\":{\"token\":\"t\",\"id\":\"0123456789abcdef0123456789abcdef\","
		"\"timeout\":\"yesterday\"}}",
		"{\"Attested\":{\"id\":\"0123456789abcdef0123456789abcdef\","
		"\"timeout\":\"2026-11-22T02:38:20Z\"}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0, sizeof(p));
		EXPECT_ERR(-EINVAL, "session", kbs_session_parse((const uint8_t *)bad[i], strlen(bad[i]),
		                                                 &p, &err_));
		assert_null(p.token);
	}
	kbs_session_clear(&s);
	json_decref(req);
}

/* ---- configuration ------------------------------------------------------------- */

static void config_defaults(void **state)
{
	(void)state;
	struct kbs_config c;
	assert_int_equal(kbs_config_default(&c, NULL, NULL), 0);
	assert_true(c.zero_config && c.admin_from_state && c.plugin_resource);
	assert_string_equal(c.sockets[0], "127.0.0.1:8080");
	assert_int_equal(c.session_timeout_min, 5);
	assert_int_equal(c.token_duration_min, 5);
	assert_int_equal(c.payload_request_size_mib, 2);
	assert_string_equal(c.issuer_name, "CoCo-Attestation-Service");
	kbs_config_free(&c);
}

static void config_full(void **state)
{
	(void)state;
	const char *t = "[http_server]\nsockets = [\"127.0.0.1:9\", \"[::1]:9\"]\n"
	                "insecure_http = true\npayload_request_size = 4\nworker_count = 2\n"
	                "[admin]\nauthorization_mode = \"DenyAll\"\n"
	                "[attestation_token]\nextra_teekey_paths = [\"/a/b\"]\n"
	                "trusted_jwk_sets = [\"file:///x.json\"]\n"
	                "[attestation_service]\ntype = \"coco_as_builtin\"\ntimeout = 9\n"
	                "[attestation_service.attestation_token_broker]\ntype = \"Ear\"\n"
	                "verbose_token = false\n"
	                "[attestation_service.rvps_config]\ntype = \"BuiltIn\"\n"
	                "[policy_engine]\npolicy_path = \"/p.rego\"\n"
	                "[[plugins]]\nname = \"resource\"\ntype = \"kvstorage\"\n";
	struct kbs_config c;
	assert_int_equal(kbs_config_default(&c, NULL, NULL), 0);
	assert_int_equal(kbs_config_load_text(&c, "k.toml", t, strlen(t), NULL), 0);
	assert_int_equal(c.n_sockets, 2);
	assert_string_equal(c.sockets[1], "[::1]:9");
	assert_int_equal(c.payload_request_size_mib, 4);
	assert_int_equal(c.admin_mode, KBS_ADMIN_DENY_ALL);
	assert_false(c.admin_from_state);
	assert_int_equal(c.session_timeout_min, 9);
	assert_false(c.verbose_token);
	assert_true(c.plugin_resource);
	assert_string_equal(c.policy_path, "/p.rego");
	assert_string_equal(c.extra_teekey_paths[0], "/a/b");
	kbs_config_free(&c);
}

static void config_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"[http_server]\ninsecure_http = true\n\nsockets = \"127.0.0.1:1\"\n",
		 "k.toml:4: config_error: http_server.sockets: expected array, not string"},
		{"[http_server]\ninsecure_http = true\n[attestation_token]\nextra_teekey_paths = "
		 "[\"a/b\"]\n",
		 "k.toml:4: config_error: attestation_token.extra_teekey_paths: \"a/b\" is not a JSON "
		 "pointer"},
		{"[http_server]\ninsecure_http = true\n[admin]\nauthorization_mode = "
		 "\"AuthenticatedAuthorization\"\n[admin.authentication.bearer_jwt]\nidentity_providers = "
		 "[{ issuer = \"x\" }]\n[admin.authorization.regex_acl]\nacls = []\n",
		 "admin.authentication.bearer_jwt.identity_providers[0]]: needs public_key_uri or "
		 "jwk_set_uri"},
		{"[http_server]\ninsecure_http = true\n[admin]\nauthorization_mode = "
		 "\"AuthenticatedAuthorization\"\n[admin.authentication.bearer_jwt]\nidentity_providers = "
		 "[{ public_key_uri = \"/k\" }]\n[admin.authorization.regex_acl]\nacls = [{ role = \"a\", "
		 "allowed_endpoints = \"^/kbs/.+\" }]\n",
		 "allowed_endpoints: must start with ^/kbs and end with $"},
		{"[http_server]\ninsecure_http = true\nprivate_key = \"/k\"\n",
		 "private_key and certificate go together"},
		{"[http_server]\ninsecure_http = true\n[attestation_service.attestation_token_broker."
		 "signer]\ncert_url = \"https://x\"\nkey_path = \"/k\"\n",
		 "cert_url: is not supported"},
		{"[http_server]\ninsecure_http = true\nsockets = []\n", "needs at least one"},
		{"x = 1\n[http_server]\ninsecure_http = true\n", "k.toml:1: config_error: unknown key \"x\""},
		{"", "[http_server] is required"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kbs_config c;
		cc_error *e = NULL;
		assert_int_equal(kbs_config_default(&c, NULL, NULL), 0);
		int r = kbs_config_load_text(&c, "k.toml", bad[i].text, strlen(bad[i].text), &e);
		char *m = cc_error_format(e);
		if (r != -EINVAL || strstr(m, bad[i].msg) == NULL)
			fail_msg("case %zu: want \"%s\", got %d \"%s\"", i, bad[i].msg, r, m);
		free(m);
		cc_error_free(e);
		kbs_config_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_ok_and_versions), cmocka_unit_test(attestation_parse),
		cmocka_unit_test(runtime_data_vector),     cmocka_unit_test(initdata_fixture),
		cmocka_unit_test(initdata_errors),         cmocka_unit_test(sample_verifier),
		cmocka_unit_test(ear_tiers_and_appraisal), cmocka_unit_test(resource_paths),
		cmocka_unit_test(query_strings),           cmocka_unit_test(json_pointers),
		cmocka_unit_test(config_defaults),         cmocka_unit_test(config_full),
		cmocka_unit_test(config_errors),           cmocka_unit_test(sessions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
