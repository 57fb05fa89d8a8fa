/* GPG simple signing end to end (sig_policy_check with a file:// lookaside)
 * on the real signatures of image-rs's test data:
 *   - test_data/signature/{pubring.gpg,signatures/signature-1,-2}: signed
 *     by 2183 1560 95E0 7268 (in pubring.gpg) for
 *     quay.io/ali_os_security/alpine:latest @ sha256:69704ef3...;
 *   - test_data/simple-signing-scheme: quay.io/kata-containers/
 *     confidential-containers:signed (by 67B2 4AAC..., a key that expired
 *     in 2022, after it signed) and :other_signed (by a key not kept).
 * The manifests themselves are not in the vectors, so the images are
 * presented as pulled through an index with the signed digest (a
 * signature may name either digest). */
#include <dirent.h>
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

#include "cocoon/limits.h"
#include "helpers.h"

#define D69 "69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a"
#define DOTHER "1111111111111111111111111111111111111111111111111111111111111111"
#define FPR "2183156095E072685518F8A97EFD4C926F9311E2"
#define REPO "quay.io/ali_os_security/alpine"

static const char manifest[] = "{\"schemaVersion\":2,\"mediaType\":"
                               "\"application/vnd.oci.image.manifest.v1+json\"}";

static char *tmp;      /* per test */
static char *sigs;     /* tmp/sigs: the lookaside directory */
static char *registries; /* default-docker: lookaside file://<sigs> */

static int setup(void **state)
{
	(void)state;
	tmp = make_tmpdir();
	sigs = xasprintf("%s/sigs", tmp);
	mkdir(sigs, 0755);
	registries = xasprintf("default-docker:\n  lookaside: file://%s\n", sigs);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(tmp);
	free(tmp);
	free(sigs);
	free(registries);
	return 0;
}

/* Copies data file rel to <sigs>/<path>@sha256=<hex>/signature-<n>. */
static void place(const char *path, const char *hex, int n, const char *rel)
{
	size_t len = 0;
	char *b = slurp(data_path(rel), &len);
	char *dst = xasprintf("%s/%s@sha256=%s/signature-%d", sigs, path, hex, n);
	spit(dst, b, len);
	free(dst);
	free(b);
}

/* The policy: scope quay.io/ali_os_security requires signedBy with key
 * source keysrc ("\"keyPath\":\"...\"") and identity (a JSON object or
 * NULL); everything else is rejected. */
static char *policy(const char *keysrc, const char *identity)
{
	return xasprintf("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
	                 "\"quay.io/ali_os_security\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\","
	                 "%s%s%s}],"
	                 "\"mirror.example.com\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\","
	                 "%s%s%s}],"
	                 "\"quay.io/open\":[{\"type\":\"insecureAcceptAnything\"}]}}}",
	                 keysrc, identity ? ",\"signedIdentity\":" : "", identity ? identity : "",
	                 keysrc, identity ? ",\"signedIdentity\":" : "", identity ? identity : "");
}

static char *keypath(const char *rel)
{
	return xasprintf("\"keyPath\":\"%s\"", data_path(rel));
}

/* Checks ref (pulled through an index of digest sha256:<index_hex>) and
 * compares: want 0 with every string of must in the report, or the error
 * code with every string of must in the message. */
static void expect(const char *pol, const char *ref, const char *index_hex, int want,
                   const char *const *must)
{
	img_digest idx;
	char *ds = xasprintf("sha256:%s", index_hex);
	assert_int_equal(img_digest_parse(ds, strlen(ds), &idx, NULL), 0);
	free(ds);
	struct sig_image img = {.transport = "docker",
	                        .reference = ref,
	                        .manifest = manifest,
	                        .manifest_len = sizeof(manifest) - 1,
	                        .index_digest = &idx};
	struct sig_callbacks cb = {.get_resource = kbc_get_resource, .tmpdir = tmp};
	char *msg = NULL;
	int r = check_image(pol, registries, &img, &cb,
	                    (void *)data_path("offline-fs-kbc-resources.json"), &msg);
	if (r != want || !has_all(msg, must))
		fail_msg("%s: got %d \"%s\", want %d", ref, r, msg, want);
	free(msg);
}

#define MUST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* image-rs verify.rs: signature-1 verifies with pubring.gpg and carries
 * the expected digest and identity; signature-2 is another copy. */
static void test_accept(void **state)
{
	(void)state;
	place("ali_os_security/alpine", D69, 1, "signature-1");
	char *k = keypath("pubring.gpg");
	char *p = policy(k, NULL);
	expect(p, REPO ":latest", D69, 0,
	       MUST("docker:quay.io/ali_os_security | signedBy: signature file://",
	            "/ali_os_security/alpine@sha256=" D69 "/signature-1: key " FPR
	            ", sha256:" D69 ", identity quay.io/ali_os_security/alpine:latest"));
	place("ali_os_security/alpine", D69, 2, "signature-2");
	expect(p, REPO ":latest", D69, 0, MUST("signature-1: key " FPR));
	/* no tag means :latest */
	expect(p, REPO, D69, 0, MUST("signedBy: signature"));
	/* the requirement lists around it */
	expect(p, "quay.io/open/x:1", D69, 0, MUST("insecureAcceptAnything: accepted without checks"));
	expect(p, "quay.io/other/x:1", D69, -EPERM,
	       MUST("requirement 1 (reject): running the image is rejected by policy"));
	free(p);
	free(k);
	/* the temporary GnuPG homes (cb.tmpdir = tmp) are gone */
	DIR *d = opendir(tmp);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (strncmp(e->d_name, "cocoon-gpg-", 11) == 0)
			fail_msg("left behind: %s/%s", tmp, e->d_name);
	closedir(d);
}

/* Key sources: keyData, keyPaths, a kbs:/// URI through get_resource. */
static void test_key_sources(void **state)
{
	(void)state;
	place("ali_os_security/alpine", D69, 1, "signature-1");
	size_t n = 0;
	char *ring = slurp(data_path("pubring.gpg"), &n);
	unsigned char *b64 = malloc(4 * (n / 3 + 1) + 1);
	EVP_EncodeBlock(b64, (unsigned char *)ring, (int)n);
	char *src = xasprintf("\"keyData\":\"%s\"", b64);
	char *p = policy(src, NULL);
	expect(p, REPO ":latest", D69, 0, MUST("key " FPR));
	free(p);
	free(src);
	free(b64);
	free(ring);
	src = xasprintf("\"keyPaths\":[\"%s\",", data_path("simple-signing-scheme/pubkey.gpg"));
	char *src2 = xasprintf("%s\"%s\"]", src, data_path("pubring.gpg"));
	p = policy(src2, NULL);
	expect(p, REPO ":latest", D69, 0, MUST("key " FPR));
	free(p);
	free(src2);
	free(src);
	/* the CoCo KBS key (the kata test key) did not sign this image */
	p = policy("\"keyPath\":\"kbs:///default/gpg-public-key/test\"", NULL);
	expect(p, REPO ":latest", D69, -EPERM, MUST("signed by a key that is not in the policy"));
	free(p);
	/* a resource that does not exist is an error, not a decision */
	p = policy("\"keyPath\":\"kbs:///default/gpg-public-key/none\"", NULL);
	expect(p, REPO ":latest", D69, -ENOENT,
	       MUST("key \"kbs:///default/gpg-public-key/none\": no resource"));
	free(p);
	/* a key file that is not a key: no usable key, a rejection */
	char *k = keypath("policy.json");
	p = policy(k, NULL);
	expect(p, REPO ":latest", D69, -EPERM, MUST("(signedBy): no public keys imported"));
	free(p);
	free(k);
}

/* What image-rs's tests reject: another key, another identity, another
 * digest, no signature, a damaged signature. */
static void test_reject(void **state)
{
	(void)state;
	char *k = keypath("pubring.gpg");
	char *p = policy(k, NULL);
	expect(p, REPO ":latest", D69, -EPERM,
	       MUST("requirement 1 (signedBy): a signature was required, but no signature exists"));
	place("ali_os_security/alpine", D69, 1, "signature-1");
	/* wrong key */
	char *other = keypath("simple-signing-scheme/pubkey.gpg");
	char *p2 = policy(other, NULL);
	expect(p2, REPO ":latest", D69, -EPERM,
	       MUST("image docker:" REPO ":latest rejected by policy (scope "
	            "docker:quay.io/ali_os_security): requirement 1 (signedBy): file://",
	            "signature-1: invalid GPG signature by ",
	            "signed by a key that is not in the policy"));
	free(p2);
	free(other);
	/* wrong identity (image-rs test_sigpayload_validate: matchExact) */
	expect(p, REPO ":v2", D69, -EPERM,
	       MUST("signature for identity \"" REPO ":latest\" is not accepted"));
	/* wrong digest: the signature filed under another digest */
	place("ali_os_security/alpine", DOTHER, 1, "signature-1");
	expect(p, REPO ":latest", DOTHER, -EPERM,
	       MUST("signature for digest sha256:" D69 " does not match"));
	/* a damaged signature: one byte of the signed payload changed */
	size_t n = 0;
	char *b = slurp(data_path("signature-1"), &n);
	b[n / 2] ^= 0x01;
	char *dst = xasprintf("%s/ali_os_security/alpine@sha256=%s/signature-1", sigs, D69);
	spit(dst, b, n);
	expect(p, REPO ":latest", D69, -EPERM, MUST("signature-1: invalid GPG signature"));
	/* garbage, then a good one: one accepted signature is enough */
	spits(dst, "not an OpenPGP message");
	place("ali_os_security/alpine", D69, 2, "signature-2");
	expect(p, REPO ":latest", D69, 0, MUST("signature-2: key " FPR));
	/* both bad: every reason is given */
	char *dst2 = xasprintf("%s/ali_os_security/alpine@sha256=%s/signature-2", sigs, D69);
	spit(dst2, b, n);
	free(dst2);
	expect(p, REPO ":latest", D69, -EPERM,
	       MUST("none of the signatures were accepted, reasons: file://", "signature-1: ",
	            "; file://", "signature-2: invalid GPG signature"));
	free(dst);
	free(b);
	free(p);
	free(k);
}

/* signedIdentity with the real signature (of quay.io/ali_os_security/
 * alpine:latest), containers/image policy_reference_match.go semantics. */
static void test_identities(void **state)
{
	(void)state;
	place("ali_os_security/alpine", D69, 1, "signature-1");
	char *k = keypath("pubring.gpg");
	static const struct {
		const char *identity, *ref;
		bool ok;
	} t[] = {
	    {"{\"type\":\"matchExact\"}", REPO ":latest", true},
	    {"{\"type\":\"matchExact\"}", REPO "@sha256:" D69, false},
	    {"{\"type\":\"matchExact\"}", REPO ":v2", false},
	    {"{\"type\":\"matchRepoDigestOrExact\"}", REPO "@sha256:" D69, true},
	    {"{\"type\":\"matchRepoDigestOrExact\"}", REPO ":v2", false},
	    {"{\"type\":\"matchRepository\"}", REPO ":v2", true},
	    {"{\"type\":\"matchRepository\"}", REPO "@sha256:" D69, true},
	    {"{\"type\":\"exactReference\",\"dockerReference\":\"" REPO ":latest\"}",
	     "mirror.example.com/ali_os_security/alpine:1", true},
	    {"{\"type\":\"exactReference\",\"dockerReference\":\"" REPO ":1\"}",
	     "mirror.example.com/ali_os_security/alpine:1", false},
	    {"{\"type\":\"exactRepository\",\"dockerRepository\":\"" REPO "\"}",
	     "mirror.example.com/ali_os_security/alpine:1", true},
	    {"{\"type\":\"exactRepository\",\"dockerRepository\":\"quay.io/x/alpine\"}",
	     "mirror.example.com/ali_os_security/alpine:1", false},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com\",\"signedPrefix\":"
	     "\"quay.io\"}",
	     "mirror.example.com/ali_os_security/alpine:latest", true},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com\",\"signedPrefix\":"
	     "\"quay.io\"}",
	     "mirror.example.com/ali_os_security/alpine:v2", false},
	    {"{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com/ali_os_security\","
	     "\"signedPrefix\":\"quay.io/ali_os_security\"}",
	     "mirror.example.com/ali_os_security/alpine@sha256:" D69, true},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = policy(k, t[i].identity);
		expect(p, t[i].ref, D69, t[i].ok ? 0 : -EPERM,
		       t[i].ok ? MUST("key " FPR) : MUST("is not accepted"));
		free(p);
	}
	free(k);
}

/* The simple-signing-scheme vectors with their CoCo policy and sigstore
 * config (paths moved to the test data): image-rs's signature_verification
 * cases for quay.io/kata-containers/confidential-containers. */
static void test_coco_scheme(void **state)
{
	(void)state;
	char *json = slurp(data_path("simple-signing-scheme/security_policy.json"), NULL);
	const char *old = "/run/image-security/simple_signing/pubkey.gpg";
	char *at = strstr(json, old);
	assert_non_null(at);
	*at = '\0';
	char *p = xasprintf("%s%s%s", json, data_path("simple-signing-scheme/pubkey.gpg"),
	                    at + strlen(old));
	free(registries);
	registries = xasprintf("docker:\n  quay.io/kata-containers/confidential-containers:\n"
	                       "    sigstore: file://%s\n",
	                       data_path("simple-signing-scheme/signatures"));
	const char *c = "quay.io/kata-containers/confidential-containers";
	char *ref = xasprintf("%s:signed", c);
	/* signed by 67B2 4AAC... in 2021; the key expired in 2022. image-rs
	 * accepts it (and CoCo's e2e tests expect that); containers/image
	 * would not. cocoon accepts a signature made before the key expired. */
	expect(p, ref, "febcf61cd6e1ac9628f6ac14fa40836d16f3c6ddef3b303ff0321606e55ddd0b", 0,
	       MUST("signedBy: signature file://", "key 67B24AACC459679E0283D7EE58F6ED07EEA6B429",
	            "identity quay.io/kata-containers/confidential-containers:signed"));
	free(ref);
	/* "other_signed": a key that is not in the policy */
	ref = xasprintf("%s:other_signed", c);
	expect(p, ref, "7250923ba3543110040462388756ef099331822c6172a050b12c7a38361ea46f", -EPERM,
	       MUST("signed by a key that is not in the policy"));
	free(ref);
	/* "unsigned" */
	ref = xasprintf("%s:unsigned", c);
	expect(p, ref, DOTHER, -EPERM, MUST("a signature was required, but no signature exists"));
	free(ref);
	/* an image outside the protected repository: the default */
	expect(p, "quay.io/prometheus/busybox:latest", DOTHER, 0,
	       MUST("default | insecureAcceptAnything: accepted without checks"));
	free(p);
	free(json);
}

/* The lookaside directory is a boundary: no path out of it. */
static void test_lookaside_boundary(void **state)
{
	(void)state;
	char *k = keypath("pubring.gpg");
	char *p = policy(k, NULL);
	/* a symlink that stays inside is followed */
	place("ali_os_security/elsewhere", D69, 1, "signature-1");
	char *dir = xasprintf("%s/ali_os_security/alpine@sha256=%s", sigs, D69);
	mkdir(dir, 0755); /* its parent exists: place() made it */
	char *link = xasprintf("%s/signature-1", dir);
	assert_int_equal(symlink("../elsewhere@sha256=" D69 "/signature-1", link), 0);
	expect(p, REPO ":latest", D69, 0, MUST("key " FPR));
	/* one that leads out is refused (an error, not a rejection) */
	char *outside = xasprintf("%s/outside-signature", tmp);
	spit(outside, "x", 1);
	unlink(link);
	assert_int_equal(symlink(outside, link), 0);
	expect(p, REPO ":latest", D69, -EPERM,
	       MUST("signature-1: refusing a path that leads out of the lookaside directory"));
	/* an oversized signature */
	unlink(link);
	char *big = calloc(1, CC_IMG_MAX_SIGNATURE_BYTES + 1);
	spit(link, big, CC_IMG_MAX_SIGNATURE_BYTES + 1);
	expect(p, REPO ":latest", D69, -EFBIG, MUST("larger than"));
	free(big);
	free(outside);
	free(link);
	free(dir);
	free(p);
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_accept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_sources, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identities, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_coco_scheme, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookaside_boundary, setup, teardown),
	};
	if (!have_program("gpg")) {
		fprintf(stderr, "gpg is not installed (gpgme needs it): skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
