/* containers-policy.json parsing and the evaluation table (scope lookup,
 * insecureAcceptAnything, reject, signedIdentity matching), with the
 * image-rs policy vectors. Signature verification itself is in
 * test_sig_gpg.c and test_sig_cosign.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "cocoon/limits.h"
#include "policy_int.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static sig_policy *load(const char *json)
{
	sig_policy *p = NULL;
	cc_error *err = NULL;
	if (sig_policy_load(json, strlen(json), &p, &err) != 0)
		fail_msg("policy %s: %s", json, cc_error_message(err));
	return p;
}

static const struct sig_scope *scope(const sig_policy *p, const char *t, const char *name)
{
	for (size_t i = 0; i < p->nt; i++)
		for (size_t j = 0; strcmp(p->t[i].name, t) == 0 && j < p->t[i].n; j++)
			if (strcmp(p->t[i].v[j].name, name) == 0)
				return &p->t[i].v[j];
	fail_msg("no scope %s:%s", t, name);
	return NULL;
}

/* image-rs test_data/signature/policy.json: every signedIdentity type */
static void test_imagers_policy(void **state)
{
	(void)state;
	char *json = slurp(data_path("policy.json"), NULL);
	sig_policy *p = load(json);
	assert_int_equal(p->def.n, 1);
	assert_int_equal(p->def.v[0].type, SIG_PR_REJECT);
	assert_int_equal(p->nt, 2);
	assert_int_equal(scope(p, "dir", "")->reqs.v[0].type, SIG_PR_INSECURE_ACCEPT_ANYTHING);
	const struct sig_scope *s = scope(p, "docker", "example.com/hardened");
	assert_int_equal(s->reqs.n, 2);
	assert_int_equal(s->reqs.v[0].type, SIG_PR_SIGNED_BY);
	assert_string_equal(s->reqs.v[0].key_paths[0], "/keys/public-gpg-keyring");
	assert_int_equal(s->reqs.v[0].identity.type, SIG_PRM_MATCH_REPO_DIGEST_OR_EXACT);
	assert_int_equal(s->reqs.v[1].key_datas[0].n, 8);
	assert_memory_equal(s->reqs.v[1].key_datas[0].p, "nonsense", 8);
	assert_int_equal(scope(p, "docker", "registry.access.redhat.com")->reqs.v[1].identity.type,
	                 SIG_PRM_MATCH_EXACT);
	const struct sig_prm *m = &scope(p, "docker", "*.access.redhat.com")->reqs.v[1].identity;
	assert_int_equal(m->type, SIG_PRM_EXACT_REFERENCE);
	assert_string_equal(m->a, "docker.io/example/busybox:latest");
	m = &scope(p, "docker", "*.redhat.com")->reqs.v[1].identity;
	assert_int_equal(m->type, SIG_PRM_EXACT_REPOSITORY);
	assert_string_equal(m->a, "docker.io/example/busybox");
	m = &scope(p, "docker", "*.com")->reqs.v[1].identity;
	assert_int_equal(m->type, SIG_PRM_REMAP_IDENTITY);
	assert_string_equal(m->a, "example");
	assert_string_equal(m->b, "example");
	sig_policy_free(p);
	free(json);
}

/* The other policies CoCo ships: offline-fs-kbc (kbs:/// key paths) and
 * the simple-signing-scheme one. */
static void test_coco_policies(void **state)
{
	(void)state;
	char *json = slurp(data_path("simple-signing-scheme/security_policy.json"), NULL);
	sig_policy *p = load(json);
	const struct sig_scope *s =
	    scope(p, "docker", "quay.io/kata-containers/confidential-containers:cosign-signed");
	assert_int_equal(s->reqs.v[0].type, SIG_PR_SIGSTORE_SIGNED);
	/* neither containers/image's default (matchRepoDigestOrExact, which no
	 * cosign signature meets) nor image-rs's "no identity check" */
	assert_int_equal(s->reqs.v[0].identity.type, SIG_PRM_MATCH_REPOSITORY);
	sig_policy_free(p);
	free(json);

	void *res = NULL;
	size_t n = 0;
	assert_int_equal(kbc_get_resource((void *)data_path("offline-fs-kbc-resources.json"),
	                                  "kbs:///default/security-policy/test", 1 << 20, &res, &n,
	                                  NULL),
	                 0);
	p = NULL;
	assert_int_equal(sig_policy_load(res, n, &p, NULL), 0);
	s = scope(p, "docker", "quay.io/kata-containers/confidential-containers");
	assert_string_equal(s->reqs.v[0].key_paths[0], "kbs:///default/gpg-public-key/test");
	sig_policy_free(p);
	free(res);
}

/* Strictness: each of these is an error, with this message. */
static void test_parse_errors(void **state)
{
	(void)state;
#define ACC "{\"type\":\"insecureAcceptAnything\"}"
	static const struct {
		const char *json, *msg;
	} bad[] = {
	    {"[]", "policy: must be a JSON object"},
	    {"{", "policy: invalid JSON at line 1 column 1: string or '}' expected near end of file"},
	    {"{}", "policy: default policy is missing"},
	    {"{\"default\":[]}",
	     "policy: default: list of verification policy requirements must not be empty"},
	    {"{\"default\":[" ACC "],\"default\":[" ACC "]}",
	     "policy: invalid JSON at line 1 column 56: duplicate object key near '\\\"default\\\"'"},
	    {"{\"default\":[" ACC "],\"x\":1}", "policy: unknown key \"x\""},
	    {"{\"default\":{}}", "policy: default: must be an array of requirements"},
	    {"{\"default\":[{\"type\":\"insecureAcceptAnything\",\"x\":1}]}",
	     "policy: default: requirement 0: unknown key \"x\""},
	    {"{\"default\":[{}]}", "policy: default: requirement 0: key \"type\" missing"},
	    {"{\"default\":[{\"type\":\"accept\"}]}",
	     "policy: default: requirement 0: unknown policy requirement type \"accept\""},
	    {"{\"default\":[{\"type\":1}]}", "policy: default: requirement 0: \"type\" must be a string"},
	    {"{\"default\":[" ACC "],\"transports\":{\"docker\":{\"a\":[]}}}",
	     "policy: transports: \"docker\": scope \"a\": list of verification policy requirements "
	     "must not be empty"},
	    {"{\"default\":[" ACC "],\"transports\":[]}", "policy: transports: must be an object"},
	    {"{\"default\":[" ACC "],\"transports\":{\"dir\":{\"relative\":[" ACC "]}}}",
	     "policy: transports: \"dir\": scope \"relative\": invalid scope: must be an absolute, "
	     "clean path other than \"/\""},
	    {"{\"default\":[" ACC "],\"transports\":{\"oci\":{\"/a/../b\":[" ACC "]}}}",
	     "policy: transports: \"oci\": scope \"/a/../b\": invalid scope: must be an absolute, "
	     "clean path other than \"/\""},
	    {"{\"default\":[" ACC "],\"transports\":{\"docker-archive\":{\"/a\":[" ACC "]}}}",
	     "policy: transports: \"docker-archive\": scope \"/a\": docker-archive: does not support "
	     "any scopes except the default \"\""},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyPath\":\"/k\"}]}",
	     "policy: default: requirement 0: invalid keyType \"\""},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"PGP\",\"keyPath\":\"/k\"}]}",
	     "policy: default: requirement 0: invalid keyType \"PGP\""},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"}]}",
	     "policy: default: requirement 0: exactly one of keyPath, keyPaths and keyData must be "
	     "specified, none of them present"},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
	     "\"keyData\":\"\"}]}",
	     "policy: default: requirement 0: exactly one of keyPath, keyPaths and keyData must be "
	     "specified, more than one present"},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"\"}]}",
	     "policy: default: requirement 0: \"keyPath\" must be a non-empty string"},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":[]}]}",
	     "policy: default: requirement 0: \"keyPaths\" contains no entries"},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"a b\"}]}",
	     "policy: default: requirement 0: \"keyData\": invalid base64 at offset 1"},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
	     "\"signedIdentity\":{\"type\":\"matchSomething\"}}]}",
	     "policy: default: requirement 0: signedIdentity: unknown policy reference match type "
	     "\"matchSomething\""},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
	     "\"signedIdentity\":{\"type\":\"matchExact\",\"x\":1}}]}",
	     "policy: default: requirement 0: signedIdentity: unknown key \"x\""},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
	     "\"signedIdentity\":{\"type\":\"exactReference\"}}]}",
	     "policy: default: requirement 0: signedIdentity: key \"dockerReference\" missing"},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
	     "\"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\"busybox\"}}]}",
	     "policy: default: requirement 0: signedIdentity: dockerReference \"busybox\" has "
	     "neither a tag nor a digest"},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
	     "\"signedIdentity\":{\"type\":\"exactRepository\",\"dockerRepository\":\"UPPER\"}}]}",
	     "policy: default: requirement 0: signedIdentity: invalid image reference 'UPPER': "
	     "repository names are lower-case components of [a-z0-9] joined by '.', '_', '__' or "
	     "'-', separated by '/'"},
	    {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
	     "\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":\"example.com/ns\","
	     "\"signedPrefix\":\"example.com/UP\"}}]}",
	     "policy: default: requirement 0: signedIdentity: signedPrefix \"example.com/UP\" is not "
	     "valid"},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\",\"keyData\":\"\"}]}",
	     "policy: default: requirement 0: exactly one of keyPath, keyPaths, keyData, keyDatas, "
	     "fulcio and pki must be specified, more than one present"},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\"}]}",
	     "policy: default: requirement 0: unknown key \"keyType\""},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"/c\"}}]}",
	     "policy: default: requirement 0: at least one of the rekorPublicKey* fields must be "
	     "specified if fulcio is used"},
	    {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\","
	     "\"rekorPublicKeyPath\":\"/r\",\"rekorPublicKeyData\":\"\"}]}",
	     "policy: default: requirement 0: at most one of rekorPublicKeyPath, rekorPublicKeyPaths, "
	     "rekorPublicKeyData and rekorPublicKeyDatas can be used simultaneously"},
	    {"{\"default\":[{\"type\":\"signedBaseLayer\"}]}",
	     "policy: default: requirement 0: key \"baseLayerIdentity\" missing"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sig_policy *p = (sig_policy *)(uintptr_t)1;
		cc_error *err = NULL;
		int r = sig_policy_load(bad[i].json, strlen(bad[i].json), &p, &err);
		if (r != -EINVAL || strcmp(cc_error_message(err), bad[i].msg) != 0)
			fail_msg("%s\n  got %d \"%s\"\n  want \"%s\"", bad[i].json, r,
			         cc_error_message(err), bad[i].msg);
		assert_ptr_equal(p, (sig_policy *)(uintptr_t)1);
		cc_error_free(err);
	}
	/* unknown transports are accepted (containers/image: scopes unchecked) */
	sig_policy_free(load("{\"default\":[" ACC "],\"transports\":{\"madeup\":{\"x y\":[" ACC "]}}}"));
	/* Fulcio/Rekor/PKI parse but can never accept an image */
	sig_policy *p = load("{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"/c\","
	                     "\"oidcIssuer\":\"https://x\",\"subjectEmail\":\"a@b\"},"
	                     "\"rekorPublicKeyPath\":\"/r\"}]}");
	assert_string_equal(p->def.v[0].unsupported, "Fulcio (keyless) signatures are not supported");
	sig_policy_free(p);
	/* the size cap */
	char *big = calloc(1, CC_IMG_MAX_SIG_POLICY_BYTES + 2);
	memset(big, ' ', CC_IMG_MAX_SIG_POLICY_BYTES + 1);
	assert_int_equal(sig_policy_load(big, CC_IMG_MAX_SIG_POLICY_BYTES + 1, &p, NULL), -E2BIG);
	free(big);
}

/* ---- evaluation ------------------------------------------------------- */

static const char manifest[] = "{\"schemaVersion\":2}";

/* Runs the check for an image and returns the code; *scope_desc gets the
 * report's scope (on success) or the error message. */
static int check(const sig_policy *p, const char *transport, const char *ref, char **msg)
{
	struct sig_image img = {.transport = transport,
	                        .reference = ref,
	                        .manifest = manifest,
	                        .manifest_len = sizeof(manifest) - 1};
	/* a reference by digest names the index the manifest came through */
	img_digest index;
	const char *at = strchr(ref, '@');
	if (at != NULL && img_digest_parse(at + 1, strlen(at + 1), &index, NULL) == 0)
		img.index_digest = &index;
	sig_report *rep = NULL;
	cc_error *err = NULL;
	int r = sig_policy_check(p, NULL, &img, NULL, NULL, &rep, &err);
	*msg = xasprintf("%s", r == 0 ? sig_report_scope(rep) : cc_error_message(err));
	if (r == 0) {
		assert_int_equal(sig_report_count(rep), 1);
		assert_string_equal(sig_report_type(rep, 0), "insecureAcceptAnything");
		assert_null(sig_report_type(rep, 1));
	}
	sig_report_free(rep);
	cc_error_free(err);
	return r;
}

/* Scope precedence: exact reference, repository, parent namespaces,
 * *.domain wildcards, "", default. Each scope accepts; the report names
 * the one used. */
static void test_scope_lookup(void **state)
{
	(void)state;
	sig_policy *p = load(
	    "{\"default\":[" ACC "],\"transports\":{\"docker\":{"
	    "\"example.com/ns/repo:tag\":[" ACC "],"
	    "\"example.com/ns/repo@sha256:" H64 "\":[" ACC "],"
	    "\"example.com/ns/repo\":[" ACC "],"
	    "\"example.com/ns\":[" ACC "],"
	    "\"example.com\":[" ACC "],"
	    "\"*.example.com\":[" ACC "],"
	    "\"*.com\":[" ACC "],"
	    "\"docker.io/library\":[" ACC "],"
	    "\"\":[" ACC "]},"
	    "\"dir\":{\"/a/b\":[" ACC "]}}}");
	static const struct {
		const char *transport, *ref, *scope;
	} t[] = {
	    {"docker", "example.com/ns/repo:tag", "docker:example.com/ns/repo:tag"},
	    {"docker", "example.com/ns/repo@sha256:" H64, "docker:example.com/ns/repo@sha256:" H64},
	    {"docker", "example.com/ns/repo:other", "docker:example.com/ns/repo"},
	    {"docker", "example.com/ns/repo", "docker:example.com/ns/repo"}, /* :latest */
	    {"docker", "example.com/ns/other:tag", "docker:example.com/ns"},
	    {"docker", "example.com/ns2/x:tag", "docker:example.com"},
	    {"docker", "example.com:5000/ns/repo:tag", "docker:*.com"}, /* port: other host */
	    {"docker", "sub.example.com/x:tag", "docker:*.example.com"},
	    {"docker", "a.sub.example.com/x:tag", "docker:*.example.com"},
	    {"docker", "other.com/x:tag", "docker:*.com"},
	    {"docker", "busybox", "docker:docker.io/library"},
	    {"docker", "quay.io/x:tag", "docker:"},
	    {"docker", "localhost/x:tag", "docker:"},
	    {"dir", "/a/b/c", "dir:/a/b"},
	    {"dir", "/a/bc", "default"},
	    {"oci", "/a/b:tag", "default"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *msg = NULL;
		int r = check(p, t[i].transport, t[i].ref, &msg);
		if (r != 0 || strcmp(msg, t[i].scope) != 0)
			fail_msg("%s:%s: got %d \"%s\", want \"%s\"", t[i].transport, t[i].ref, r, msg,
			         t[i].scope);
		free(msg);
	}
	sig_policy_free(p);
}

/* reject, and every requirement of a list must accept. */
static void test_reject_and_lists(void **state)
{
	(void)state;
	sig_policy *p = load(
	    "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
	    "\"a.io/both\":[" ACC ",{\"type\":\"reject\"}],"
	    "\"a.io/ok\":[" ACC "],"
	    "\"a.io/unimpl\":[{\"type\":\"signedBy\",\"keyType\":\"X509Certificates\","
	    "\"keyPath\":\"/k\"}],"
	    "\"a.io/base\":[{\"type\":\"signedBaseLayer\",\"baseLayerIdentity\":"
	    "{\"type\":\"matchRepository\"}}]},"
	    "\"dir\":{\"\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\"}]}}}");
	static const struct {
		const char *transport, *ref, *msg;
	} t[] = {
	    {"docker", "b.io/x:1",
	     "image docker:b.io/x:1 rejected by policy (scope default): requirement 1 (reject): "
	     "running the image is rejected by policy"},
	    {"docker", "a.io/both:1",
	     "image docker:a.io/both:1 rejected by policy (scope docker:a.io/both): requirement 2 "
	     "(reject): running the image is rejected by policy"},
	    {"docker", "a.io/unimpl:1",
	     "image docker:a.io/unimpl:1 rejected by policy (scope docker:a.io/unimpl): requirement 1 "
	     "(signedBy): only keyType GPGKeys is implemented"},
	    {"docker", "a.io/base:1",
	     "image docker:a.io/base:1 rejected by policy (scope docker:a.io/base): requirement 1 "
	     "(signedBaseLayer): signedBaseLayer is not implemented"},
	    {"dir", "/x",
	     "image dir:/x rejected by policy (scope dir:): requirement 1 (signedBy): signatures are "
	     "only read for images from a registry (transport \"docker\")"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *msg = NULL;
		int r = check(p, t[i].transport, t[i].ref, &msg);
		if (r != -EPERM || strcmp(msg, t[i].msg) != 0)
			fail_msg("%s: got %d \"%s\"\n want \"%s\"", t[i].ref, r, msg, t[i].msg);
		free(msg);
	}
	char *msg = NULL;
	assert_int_equal(check(p, "docker", "a.io/ok:1", &msg), 0);
	free(msg);
	/* a bad image reference is not a decision */
	assert_int_equal(check(p, "docker", "A.io/x:1@sha256:" H64, &msg), -EINVAL);
	assert_string_equal(msg, "image A.io/x:1@sha256:" H64 ": references with both a tag and a "
	                         "digest are not supported");
	free(msg);
	assert_int_equal(check(p, "docker", "x::", &msg), -EINVAL);
	free(msg);
	sig_policy_free(p);
}

/* ---- signedIdentity ----------------------------------------------------- */

static bool matches(const char *prm_json, const char *intended, const char *signed_ref)
{
	json_t *j = json_loads(prm_json, 0, NULL);
	struct sig_prm m = {0};
	cc_error *err = NULL;
	if (sig_prm_from_json(j, &m, &err) != 0)
		fail_msg("%s: %s", prm_json, cc_error_message(err));
	sig_dockerref *r = NULL;
	assert_int_equal(sig_dockerref_parse(intended, strlen(intended), &r, NULL), 0);
	bool ok = sig_prm_matches(&m, r, signed_ref);
	sig_dockerref_free(r);
	sig_prm_clear(&m);
	json_decref(j);
	return ok;
}

/* containers/image policy_reference_match_test.go, in table form. */
static void test_signed_identity(void **state)
{
	(void)state;
	static const char *const exact = "{\"type\":\"matchExact\"}";
	static const char *const rdoe = "{\"type\":\"matchRepoDigestOrExact\"}";
	static const char *const repo = "{\"type\":\"matchRepository\"}";
	static const struct {
		const char *prm, *intended, *sig;
		bool want;
	} t[] = {
	    /* matchExact */
	    {exact, "example.com/ns/repo:tag", "example.com/ns/repo:tag", true},
	    {exact, "busybox:latest", "docker.io/library/busybox:latest", true},
	    {exact, "busybox:latest", "busybox:latest", true}, /* both normalized */
	    {exact, "example.com/ns/repo:tag", "example.com/ns/repo:other", false},
	    {exact, "example.com/ns/repo:tag", "example.com/ns/repo", false},
	    {exact, "example.com/ns/repo:tag", "example.com/ns/other:tag", false},
	    {exact, "example.com/ns/repo@sha256:" H64, "example.com/ns/repo@sha256:" H64, true},
	    {exact, "example.com/ns/repo@sha256:" H64, "example.com/ns/repo:tag", false},
	    {exact, "example.com/ns/repo:tag", "not a reference", false},
	    /* matchRepoDigestOrExact */
	    {rdoe, "example.com/ns/repo:tag", "example.com/ns/repo:tag", true},
	    {rdoe, "example.com/ns/repo:tag", "example.com/ns/repo:other", false},
	    {rdoe, "example.com/ns/repo@sha256:" H64, "example.com/ns/repo:whatever", true},
	    {rdoe, "example.com/ns/repo@sha256:" H64, "example.com/ns/repo", false},
	    {rdoe, "example.com/ns/repo@sha256:" H64, "example.com/ns/other:whatever", false},
	    {rdoe, "example.com/ns/repo:tag", "example.com/ns/repo", false},
	    /* matchRepository */
	    {repo, "example.com/ns/repo:tag", "example.com/ns/repo", true},
	    {repo, "example.com/ns/repo:tag", "example.com/ns/repo:other", true},
	    {repo, "example.com/ns/repo@sha256:" H64, "example.com/ns/repo:x", true},
	    {repo, "example.com/ns/repo:tag", "example.com/ns/repo2:tag", false},
	    {repo, "example.com/ns/repo:tag", "example.com:443/ns/repo:tag", false},
	    /* exactReference */
	    {"{\"type\":\"exactReference\",\"dockerReference\":\"docker.io/example/busybox:latest\"}",
	     "anything.io/x:y", "example/busybox:latest", true},
	    {"{\"type\":\"exactReference\",\"dockerReference\":\"docker.io/example/busybox:latest\"}",
	     "anything.io/x:y", "docker.io/example/busybox:1", false},
	    {"{\"type\":\"exactReference\",\"dockerReference\":\"docker.io/example/busybox:latest\"}",
	     "anything.io/x:y", "docker.io/example/busybox", false},
	    /* exactRepository */
	    {"{\"type\":\"exactRepository\",\"dockerRepository\":\"docker.io/example/busybox\"}",
	     "anything.io/x:y", "docker.io/example/busybox:any", true},
	    {"{\"type\":\"exactRepository\",\"dockerRepository\":\"docker.io/example/busybox\"}",
	     "anything.io/x:y", "docker.io/example/busybox", true},
	    {"{\"type\":\"exactRepository\",\"dockerRepository\":\"docker.io/example/busybox\"}",
	     "anything.io/x:y", "docker.io/example/other:1", false},
	    /* remapIdentity: mirror.example.com/ns/... is signed as quay.io/ns/... */
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com/ns\","
	     "\"signedPrefix\":\"quay.io/ns\"}",
	     "mirror.example.com/ns/repo:tag", "quay.io/ns/repo:tag", true},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com/ns\","
	     "\"signedPrefix\":\"quay.io/ns\"}",
	     "mirror.example.com/ns/repo:tag", "mirror.example.com/ns/repo:tag", false},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com/ns\","
	     "\"signedPrefix\":\"quay.io/ns\"}",
	     "mirror.example.com/nsx/repo:tag", "mirror.example.com/nsx/repo:tag", true}, /* no remap */
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com/ns\","
	     "\"signedPrefix\":\"quay.io/ns\"}",
	     "mirror.example.com/ns/repo@sha256:" H64, "quay.io/ns/repo:any", true},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com\","
	     "\"signedPrefix\":\"quay.io\"}",
	     "mirror.example.com:5000/ns/repo:tag", "quay.io:5000/ns/repo:tag", false}, /* host:port */
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"docker.io/library\","
	     "\"signedPrefix\":\"example\"}",
	     "busybox:1", "example/busybox:1", false}, /* "example/busybox:1" is not canonical */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (matches(t[i].prm, t[i].intended, t[i].sig) != t[i].want)
			fail_msg("%s: intended %s, signed %s: want %d", t[i].prm, t[i].intended, t[i].sig,
			         t[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_imagers_policy),  cmocka_unit_test(test_coco_policies),
	    cmocka_unit_test(test_parse_errors),    cmocka_unit_test(test_scope_lookup),
	    cmocka_unit_test(test_reject_and_lists), cmocka_unit_test(test_signed_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
