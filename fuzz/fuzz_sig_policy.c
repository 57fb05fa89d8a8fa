/* libFuzzer target: the parsers of lib/image/sig (docs/signatures.md).
 *
 * The first byte picks the parser (its value modulo 6; the seeds use the
 * digits '0'..'5'), the rest is its input:
 *   0  containers-policy.json; on success, the scope lookup for a few
 *      images and every requirement's signedIdentity against a reference
 *   1  a registries.d / sigstore config YAML document (merged twice: the
 *      second merge of the same document must succeed, identical
 *      definitions being allowed), then lookaside URLs
 *   2  a simple-signing payload
 *   3  a cosign payload
 *   4  a docker reference (plain and canonical), its namespaces, and as a
 *      signed identity under each signedIdentity type
 *   5  a cosign signature manifest (<repo>:sha256-<hex>.sig) served by
 *      callbacks, with one fixed blob
 * Nothing is read from the file system or the network: policy requirements
 * are not evaluated against keys. A failure must carry a message; a
 * success must give the outputs promised. Seed corpus:
 * fuzz/corpus/sig_policy/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "policy_int.h"
#include "sig_int.h"

static void die(const char *what)
{
	fprintf(stderr, "fuzz_sig_policy: %s\n", what);
	abort();
}

/* A failed call must explain itself. */
static void check_err(int r, cc_error *err)
{
	if (r < 0 && (err == NULL || cc_error_message(err)[0] == '\0'))
		die("failure without a message");
	if (r > 0)
		die("positive return code");
	cc_error_free(err);
}

static const char *const refs[] = {
    "docker.io/library/busybox:latest",
    "quay.io/kata-containers/confidential-containers:signed",
    "example.com/ns/repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "localhost:5000/a/b:c",
};

static void one_policy(const uint8_t *p, size_t n)
{
	sig_policy *pol = NULL;
	cc_error *err = NULL;
	int r = sig_policy_load((const char *)p, n, &pol, &err);
	check_err(r, err);
	if (r < 0)
		return;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		sig_dockerref *ref = NULL;
		char **ns = NULL;
		if (sig_dockerref_parse(refs[i], strlen(refs[i]), &ref, NULL) < 0 ||
		    sig_dockerref_tag_name_only(ref) < 0 || sig_dockerref_namespaces(ref, &ns) < 0)
			die("a fixed reference does not parse");
		char *desc = NULL;
		const struct sig_reqs *reqs = sig_policy_select(pol, "docker", sig_dockerref_string(ref),
		                                                ns, &desc);
		if (reqs == NULL || reqs->n == 0 || desc == NULL)
			die("no requirements selected");
		for (size_t k = 0; k < reqs->n; k++)
			(void)sig_prm_matches(&reqs->v[k].identity, ref, refs[(i + 1) % 4]);
		free(desc);
		sig_strv_free(ns);
		sig_dockerref_free(ref);
	}
	if (sig_policy_select(pol, "dir", "/a/b/c", NULL, NULL) == NULL)
		die("no requirements selected for dir:");
	sig_policy_free(pol);
}

static void one_yaml(const uint8_t *p, size_t n)
{
	sig_lookaside *l = sig_lookaside_new();
	cc_error *err = NULL;
	if (l == NULL)
		return;
	int r = sig_lookaside_add(l, "fuzz.yaml", (const char *)p, n, &err);
	check_err(r, err);
	if (r == 0) {
		err = NULL;
		r = sig_lookaside_add(l, "again.yaml", (const char *)p, n, &err);
		if (r == -EINVAL)
			die("an identical document does not merge");
		check_err(r, err);
		for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
			char *url = NULL;
			err = NULL;
			r = sig_lookaside_url(l, refs[i], &url, &err);
			check_err(r, err);
			free(url);
		}
	}
	sig_lookaside_free(l);
}

static void one_payload(const uint8_t *p, size_t n, bool cosign)
{
	struct sig_payload pl = {0};
	cc_error *err = NULL;
	int r = sig_payload_parse(p, n, cosign, &pl, &err);
	check_err(r, err);
	if (r == 0 && (pl.digest == NULL || pl.reference == NULL))
		die("payload without its claims");
	sig_payload_clear(&pl);
}

static void one_ref(const uint8_t *p, size_t n)
{
	static const char *const prms[] = {
	    "{\"type\":\"matchExact\"}",
	    "{\"type\":\"matchRepoDigestOrExact\"}",
	    "{\"type\":\"matchRepository\"}",
	    "{\"type\":\"exactReference\",\"dockerReference\":\"docker.io/library/busybox:latest\"}",
	    "{\"type\":\"exactRepository\",\"dockerRepository\":\"docker.io/library/busybox\"}",
	    "{\"type\":\"remapIdentity\",\"prefix\":\"docker.io\",\"signedPrefix\":\"quay.io\"}",
	};
	sig_dockerref *r = NULL;
	cc_error *err = NULL;
	int k = sig_dockerref_parse((const char *)p, n, &r, &err);
	check_err(k, err);
	if (k == 0) {
		char **ns = NULL;
		if (sig_dockerref_tag_name_only(r) == 0 && sig_dockerref_namespaces(r, &ns) == 0 &&
		    (ns == NULL || ns[0] == NULL))
			die("no namespaces");
		sig_strv_free(ns);
		/* the canonical string parses canonically to itself */
		const char *s = sig_dockerref_string(r);
		sig_dockerref *c = NULL;
		if (sig_dockerref_parse_canonical(s, strlen(s), &c, NULL) < 0 ||
		    strcmp(sig_dockerref_string(c), s) != 0)
			die("canonical form does not round-trip");
		sig_dockerref_free(c);
	}
	sig_dockerref *canon = NULL;
	err = NULL;
	k = sig_dockerref_parse_canonical((const char *)p, n, &canon, &err);
	check_err(k, err);
	sig_dockerref_free(canon);
	/* as the identity a signature claims */
	char *claimed = strndup((const char *)p, n);
	for (size_t i = 0; claimed != NULL && r != NULL && i < sizeof(prms) / sizeof(prms[0]); i++) {
		json_t *j = json_loads(prms[i], 0, NULL);
		struct sig_prm m = {0};
		if (j == NULL || sig_prm_from_json(j, &m, NULL) < 0)
			die("a fixed signedIdentity does not parse");
		(void)sig_prm_matches(&m, r, claimed);
		sig_prm_clear(&m);
		json_decref(j);
	}
	free(claimed);
	sig_dockerref_free(r);
}

/* ---- a cosign signature manifest behind the callbacks ------------------ */

struct served {
	const uint8_t *m;
	size_t n;
};

/* The blob every layer gets: "{}" (sha256:44136fa3...). */
static const char blob[] = "{}";

static int get_manifest(void *ctx, const char *repo, const char *tag, size_t max, void **ret,
                        size_t *ret_len, char **ret_mt, cc_error **err)
{
	struct served *s = ctx;
	(void)repo;
	(void)tag;
	if (s->n > max)
		return cc_error_set(err, -EFBIG, "too large");
	void *copy = malloc(s->n + 1);
	if (copy == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (s->n > 0)
		memcpy(copy, s->m, s->n);
	*ret = copy;
	*ret_len = s->n;
	*ret_mt = NULL;
	return 0;
}

static int get_blob(void *ctx, const char *repo, const img_digest *d, int64_t size, size_t max,
                    void **ret, size_t *ret_len, cc_error **err)
{
	(void)ctx;
	(void)repo;
	(void)d;
	if (size < 0 || (uint64_t)size > max)
		die("blob size not checked before the fetch");
	char *copy = strdup(blob);
	if (copy == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = copy;
	*ret_len = sizeof(blob) - 1;
	return 0;
}

static void one_cosign_manifest(const uint8_t *p, size_t n)
{
	struct served s = {p, n};
	struct sig_callbacks cb = {.get_manifest = get_manifest, .get_blob = get_blob};
	img_digest d;
	const char *ds = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	if (img_digest_parse(ds, strlen(ds), &d, NULL) < 0)
		die("fixed digest");
	struct sig_blobs out = {0};
	cc_error *err = NULL;
	int r = sig_cosign_fetch(&cb, &s, "docker.io/library/busybox", &d, &out, &err);
	check_err(r, err);
	for (size_t i = 0; r == 0 && i < out.n; i++)
		if (out.v[i].n != sizeof(blob) - 1 || out.v[i].where == NULL)
			die("a fetched signature is not the served blob");
	sig_blobs_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 6) {
	case 0:
		one_policy(p, n);
		break;
	case 1:
		one_yaml(p, n);
		break;
	case 2:
		one_payload(p, n, false);
		break;
	case 3:
		one_payload(p, n, true);
		break;
	case 4:
		one_ref(p, n);
		break;
	default:
		one_cosign_manifest(p, n);
		break;
	}
	return 0;
}
