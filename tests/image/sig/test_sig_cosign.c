/* sigstoreSigned (cosign, public-key mode) through the sig_callbacks
 * registry interface. There is no cosign binary in Debian and the
 * image-rs vectors hold keys but no signatures their private keys made,
 * so the signatures are made here with OpenSSL exactly as cosign lays them
 * out (specs/SIGNATURE_SPEC.md): ECDSA P-256 / SHA-256 (ASN.1) over the
 * simple-signing payload, stored as the layer of the OCI image
 * <repo>:sha256-<hex>.sig with the base64 signature in the annotation
 * dev.cosignproject.cosign/signature. The image-rs public keys
 * (cosign1.pub, nv.pub, the KBS cosign-public-key) must load and reject
 * signatures they did not make. */
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
#include <openssl/pem.h>

#include "cocoon/limits.h"
#include "helpers.h"
#include "sig_int.h"

#define REPO "ghcr.io/confidential-containers/test-container-image-rs"
#define SIG_MT "application/vnd.dev.cosign.simplesigning.v1+json"
#define OCI_MT "application/vnd.oci.image.manifest.v1+json"

static const char manifest[] = "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT "\",\"config\":{}}";

/* ---- an in-memory registry behind the callbacks ----------------------- */

struct object {
	char *repo, *name; /* manifest tag, or blob digest */
	char *bytes;
	size_t n;
	const char *media_type;
};

struct registry {
	struct object v[16];
	size_t n;
	int manifest_calls, blob_calls;
	int fail_blob; /* -errno returned by get_blob, or 0 */
};

static void reg_put(struct registry *r, const char *repo, const char *name, const char *bytes,
                    size_t n, const char *mt)
{
	assert_true(r->n < 16);
	char *copy = malloc(n + 1);
	memcpy(copy, bytes, n);
	r->v[r->n++] = (struct object){xasprintf("%s", repo), xasprintf("%s", name), copy, n, mt};
}

static void reg_clear(struct registry *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].repo);
		free(r->v[i].name);
		free(r->v[i].bytes);
	}
	memset(r, 0, sizeof(*r));
}

static const struct object *reg_find(const struct registry *r, const char *repo,
                                     const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].repo, repo) == 0 && strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}

static int get_manifest(void *ctx, const char *repo, const char *ref, size_t max, void **ret,
                        size_t *ret_len, char **ret_mt, cc_error **err)
{
	struct registry *r = ctx;
	r->manifest_calls++;
	const struct object *o = reg_find(r, repo, ref);
	if (o == NULL)
		return cc_error_set(err, -ENOENT, "%s:%s: manifest unknown", repo, ref);
	assert_true(o->n <= max);
	*ret = malloc(o->n);
	memcpy(*ret, o->bytes, o->n);
	*ret_len = o->n;
	*ret_mt = o->media_type ? xasprintf("%s", o->media_type) : NULL;
	return 0;
}

static int get_resource(void *ctx, const char *uri, size_t max, void **ret, size_t *ret_len,
                        cc_error **err)
{
	(void)ctx;
	return kbc_get_resource((void *)data_path("offline-fs-kbc-resources.json"), uri, max, ret,
	                        ret_len, err);
}

static int get_blob(void *ctx, const char *repo, const img_digest *d, int64_t size, size_t max,
                    void **ret, size_t *ret_len, cc_error **err)
{
	struct registry *r = ctx;
	char ds[IMG_DIGEST_STR_MAX];
	r->blob_calls++;
	if (r->fail_blob != 0)
		return cc_error_set(err, r->fail_blob, "blob fetch failed");
	const struct object *o = reg_find(r, repo, img_digest_format(d, ds));
	if (o == NULL)
		return cc_error_set(err, -ENOENT, "blob unknown");
	assert_true(size >= 0 && (size_t)size <= max);
	*ret = malloc(o->n + 1);
	memcpy(*ret, o->bytes, o->n);
	*ret_len = o->n;
	return 0;
}

/* ---- signing as cosign does ------------------------------------------- */

static EVP_PKEY *key1, *key2; /* P-256 key pairs made for this run */
static char *tmp, *pub1_path, *pub2_path;

static char *pem_pub(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	char *s = calloc(1, (size_t)n + 1);
	memcpy(s, p, (size_t)n);
	BIO_free(b);
	return s;
}

static int setup(void **state)
{
	(void)state;
	key1 = EVP_EC_gen("P-256");
	key2 = EVP_EC_gen("P-256");
	tmp = make_tmpdir();
	pub1_path = xasprintf("%s/key1.pub", tmp);
	pub2_path = xasprintf("%s/key2.pub", tmp);
	char *p = pem_pub(key1);
	spits(pub1_path, p);
	free(p);
	p = pem_pub(key2);
	spits(pub2_path, p);
	free(p);
	return key1 && key2 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key1);
	EVP_PKEY_free(key2);
	rm_rf(tmp);
	free(tmp);
	free(pub1_path);
	free(pub2_path);
	return 0;
}

/* base64 of an ECDSA-SHA256 signature by k over n bytes at p. */
static char *sign_b64(EVP_PKEY *k, const void *p, size_t n)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t len = 0;
	assert_int_equal(EVP_DigestSignInit_ex(c, NULL, "SHA256", NULL, NULL, k, NULL), 1);
	assert_int_equal(EVP_DigestSign(c, NULL, &len, p, n), 1);
	unsigned char *sig = malloc(len);
	assert_int_equal(EVP_DigestSign(c, sig, &len, p, n), 1);
	EVP_MD_CTX_free(c);
	char *b64 = calloc(1, 4 * (len / 3 + 1) + 1);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)len);
	free(sig);
	return b64;
}

static char *cosign_payload(const char *ref, const char *digest)
{
	return xasprintf("{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},\"image\":{"
	                 "\"docker-manifest-digest\":\"%s\"},\"type\":\"cosign container image "
	                 "signature\"},\"optional\":null}",
	                 ref, digest);
}

/* One layer of a signature manifest: (payload, its signature, media type). */
struct layer {
	const char *payload;
	const char *sig_b64; /* NULL: no annotation */
	const char *media_type;
};

/* Stores the layers' blobs and the signature manifest of image digest
 * `digest` ("sha256:<hex>") in repo. */
static void attach(struct registry *r, const char *repo, const char *digest,
                   const struct layer *l, size_t nl)
{
	char *layers = xasprintf("%s", "");
	for (size_t i = 0; i < nl; i++) {
		char hex[65];
		sha256_hex(l[i].payload, strlen(l[i].payload), hex);
		char *d = xasprintf("sha256:%s", hex);
		reg_put(r, repo, d, l[i].payload, strlen(l[i].payload), NULL);
		char *ann = l[i].sig_b64 ? xasprintf(",\"annotations\":{\"dev.cosignproject.cosign/"
		                                     "signature\":\"%s\"}",
		                                     l[i].sig_b64)
		                         : xasprintf("%s", "");
		char *one = xasprintf("%s%s{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"%s}",
		                      layers, i ? "," : "", l[i].media_type, strlen(l[i].payload), d,
		                      ann);
		free(layers);
		layers = one;
		free(ann);
		free(d);
	}
	char *m = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT "\",\"config\":{"
	                    "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":2,"
	                    "\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c0"
	                    "60f61caaff8a\"},\"layers\":[%s]}",
	                    layers);
	char *tag = xasprintf("sha256-%s.sig", digest + 7);
	reg_put(r, repo, tag, m, strlen(m), OCI_MT);
	free(tag);
	free(m);
	free(layers);
}

static char *manifest_digest(void)
{
	char hex[65];
	sha256_hex(manifest, sizeof(manifest) - 1, hex);
	return xasprintf("sha256:%s", hex);
}

static char *policy(const char *keysrc, const char *identity)
{
	return xasprintf("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
	                 "\"ghcr.io/confidential-containers\":[{\"type\":\"sigstoreSigned\",%s%s%s}]}}}",
	                 keysrc, identity ? ",\"signedIdentity\":" : "", identity ? identity : "");
}

static void expect(const char *pol, const char *registries, const char *ref,
                   const img_digest *index, struct registry *reg, int want,
                   const char *const *must)
{
	struct sig_image img = {.transport = "docker",
	                        .reference = ref,
	                        .manifest = manifest,
	                        .manifest_len = sizeof(manifest) - 1,
	                        .index_digest = index};
	struct sig_callbacks cb = {.get_manifest = get_manifest, .get_blob = get_blob,
	                           .get_resource = get_resource};
	char *msg = NULL;
	int r = check_image(pol, registries, &img, &cb, reg, &msg);
	if (r != want || !has_all(msg, must))
		fail_msg("%s: got %d \"%s\", want %d", ref, r, msg, want);
	free(msg);
}

#define MUST(...) ((const char *const[]){__VA_ARGS__, NULL})

static char *keypath(const char *path)
{
	return xasprintf("\"keyPath\":\"%s\"", path);
}

/* A cosign signature by the policy's key over the right digest and
 * repository is accepted; the default identity check is matchRepository. */
static void test_accept(void **state)
{
	(void)state;
	struct registry reg = {0};
	char *d = manifest_digest();
	char *pl = cosign_payload(REPO, d);
	char *sig = sign_b64(key1, pl, strlen(pl));
	attach(&reg, REPO, d, (struct layer[]){{pl, sig, SIG_MT}}, 1);
	char *k = keypath(pub1_path);
	char *p = policy(k, NULL);
	expect(p, NULL, REPO ":cosign-signed", NULL, &reg, 0,
	       MUST("docker:ghcr.io/confidential-containers | sigstoreSigned: signature " REPO
	            ":sha256-",
	            ".sig layer 1: sha256:", ", identity " REPO));
	assert_int_equal(reg.manifest_calls, 1);
	/* keyPaths with another key first; keyData (base64 of the PEM) */
	char *k2 = xasprintf("\"keyPaths\":[\"%s\",\"%s\"]", pub2_path, pub1_path);
	char *p2 = policy(k2, "{\"type\":\"exactRepository\",\"dockerRepository\":\"" REPO "\"}");
	expect(p2, NULL, REPO ":x", NULL, &reg, 0, MUST("sigstoreSigned: signature"));
	free(p2);
	free(k2);
	char *pem = pem_pub(key1);
	char *b64 = calloc(1, 2 * strlen(pem) + 4);
	EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)pem, (int)strlen(pem));
	k2 = xasprintf("\"keyData\":\"%s\"", b64);
	p2 = policy(k2, NULL);
	expect(p2, NULL, REPO "@" "sha256:0000000000000000000000000000000000000000000000000000000000000000",
	       NULL, &reg, -EINVAL, MUST("matches neither the manifest nor the index"));
	expect(p2, NULL, REPO ":x", NULL, &reg, 0, MUST("sigstoreSigned: signature"));
	free(p2);
	free(k2);
	free(b64);
	free(pem);
	/* pulled through an index: the signature of the index digest counts */
	img_digest idx;
	const char *ids = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
	assert_int_equal(img_digest_parse(ids, strlen(ids), &idx, NULL), 0);
	reg_clear(&reg);
	free(pl);
	free(sig);
	pl = cosign_payload(REPO, ids);
	sig = sign_b64(key1, pl, strlen(pl));
	attach(&reg, REPO, ids, (struct layer[]){{pl, sig, SIG_MT}}, 1);
	expect(p, NULL, REPO ":multi", &idx, &reg, 0, MUST("sha256:2222"));
	/* a repository the signature does not name */
	expect(p, NULL, REPO "-other:multi", &idx, &reg, -EPERM,
	       MUST("a signature was required, but no signature exists"));
	free(p);
	free(k);
	free(pl);
	free(sig);
	free(d);
	reg_clear(&reg);
}

/* Rejections: another key (generated, and image-rs's cosign1.pub, nv.pub
 * and the KBS cosign key), a tampered signature, another digest, another
 * repository, no signature image, non-signature attachments,
 * use-sigstore-attachments: false. */
static void test_reject(void **state)
{
	(void)state;
	struct registry reg = {0};
	char *d = manifest_digest();
	char *pl = cosign_payload(REPO, d);
	char *sig = sign_b64(key1, pl, strlen(pl));
	char *k = keypath(pub1_path);
	char *p = policy(k, NULL);
	expect(p, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("requirement 1 (sigstoreSigned): a signature was required, but no signature "
	            "exists"));
	attach(&reg, REPO, d, (struct layer[]){{pl, sig, SIG_MT}}, 1);
	static const char *const others[] = {"cosign/cosign1.pub", "cosign/cosign2.pub",
	                                     "cosign/cosign3.pub", "cosign/nv.pub"};
	for (size_t i = 0; i < 4; i++) {
		char *ko = keypath(data_path(others[i]));
		char *po = policy(ko, NULL);
		expect(po, NULL, REPO ":1", NULL, &reg, -EPERM,
		       MUST("layer 1: cryptographic signature verification failed"));
		free(po);
		free(ko);
	}
	char *ko = keypath(pub2_path);
	char *po = policy(ko, NULL);
	expect(po, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("cryptographic signature verification failed"));
	free(po);
	free(ko);
	/* the CoCo KBS cosign key, through get_resource */
	po = policy("\"keyPath\":\"kbs:///default/cosign-public-key/test\"", NULL);
	expect(po, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("cryptographic signature verification failed"));
	free(po);
	/* a tampered signature: another payload signed, this one stored */
	char *pl2 = cosign_payload(REPO "x", d);
	char *sig2 = sign_b64(key1, pl2, strlen(pl2));
	reg_clear(&reg);
	attach(&reg, REPO, d, (struct layer[]){{pl, sig2, SIG_MT}}, 1);
	expect(p, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("cryptographic signature verification failed"));
	/* validly signed claims that do not fit: another repository */
	reg_clear(&reg);
	attach(&reg, REPO, d, (struct layer[]){{pl2, sig2, SIG_MT}}, 1);
	expect(p, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("signature for identity \"" REPO "x\" is not accepted"));
	free(pl2);
	free(sig2);
	/* another digest */
	pl2 = cosign_payload(REPO, "sha256:3333333333333333333333333333333333333333333333333333333333333333");
	sig2 = sign_b64(key1, pl2, strlen(pl2));
	reg_clear(&reg);
	attach(&reg, REPO, d, (struct layer[]){{pl2, sig2, SIG_MT}}, 1);
	expect(p, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("signature for digest sha256:3333", "does not match"));
	/* two signatures, one good: accepted; reasons when none is */
	reg_clear(&reg);
	attach(&reg, REPO, d, (struct layer[]){{pl2, sig2, SIG_MT}, {pl, sig, SIG_MT}}, 2);
	expect(p, NULL, REPO ":1", NULL, &reg, 0, MUST("layer 2: sha256:"));
	reg_clear(&reg);
	attach(&reg, REPO, d, (struct layer[]){{pl2, sig2, SIG_MT}, {pl, NULL, SIG_MT}}, 2);
	expect(p, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("none of the signatures were accepted, reasons: ",
	            "layer 2: missing dev.cosignproject.cosign/signature annotation"));
	free(pl2);
	free(sig2);
	/* only attachments of other kinds */
	reg_clear(&reg);
	attach(&reg, REPO, d, (struct layer[]){{pl, sig, "application/vnd.in-toto+json"}}, 1);
	expect(p, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("no signature exists (1 non-signature attachments)"));
	/* use-sigstore-attachments: false: not even asked */
	reg_clear(&reg);
	attach(&reg, REPO, d, (struct layer[]){{pl, sig, SIG_MT}}, 1);
	expect(p, "docker:\n  ghcr.io:\n    use-sigstore-attachments: false\n", REPO ":1", NULL,
	       &reg, -EPERM, MUST("use-sigstore-attachments is false for this image"));
	assert_int_equal(reg.manifest_calls, 0);
	/* identities cosign cannot meet */
	char *pe = policy(k, "{\"type\":\"matchRepoDigestOrExact\"}");
	expect(pe, NULL, REPO ":1", NULL, &reg, -EPERM,
	       MUST("signature for identity \"" REPO "\" is not accepted"));
	free(pe);
	free(p);
	free(k);
	free(pl);
	free(sig);
	free(d);
	reg_clear(&reg);
}

/* Errors that are not decisions: a registry failure, a blob that does not
 * match its descriptor, a malformed signature manifest. */
static void test_errors(void **state)
{
	(void)state;
	struct registry reg = {0};
	char *d = manifest_digest();
	char *pl = cosign_payload(REPO, d);
	char *sig = sign_b64(key1, pl, strlen(pl));
	char *k = keypath(pub1_path);
	char *p = policy(k, NULL);
	attach(&reg, REPO, d, (struct layer[]){{pl, sig, SIG_MT}}, 1);
	reg.fail_blob = -EIO;
	expect(p, NULL, REPO ":1", NULL, &reg, -EIO, MUST("layer 0: blob fetch failed"));
	reg.fail_blob = 0;
	/* the blob's bytes changed in the registry */
	reg.v[0].bytes[10] ^= 1;
	expect(p, NULL, REPO ":1", NULL, &reg, -EBADMSG, MUST("layer 0 does not match its descriptor"));
	reg_clear(&reg);
	/* manifests that are not signature images */
	char *tag = xasprintf("sha256-%s.sig", d + 7);
	static const struct {
		const char *m, *mt, *msg;
	} t[] = {
	    {"{\"schemaVersion\":2,\"layers\":[]}", "application/vnd.oci.image.index.v1+json",
	     "unexpected media type \"application/vnd.oci.image.index.v1+json\" for a signature "
	     "manifest"},
	    {"{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}", NULL, "not an OCI image manifest"},
	    {"{\"schemaVersion\":2,\"layers\":{}}", NULL, "not an OCI image manifest"},
	    {"{\"layers\":[{\"mediaType\":\"" SIG_MT "\",\"digest\":\"sha256:x\",\"size\":1}]}", NULL,
	     "layer 0: invalid sha256 digest"},
	    {"{\"layers\":[{\"mediaType\":\"" SIG_MT "\",\"digest\":\"sha256:"
	     "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":99999999}]}",
	     NULL, "layer 0: 99999999 bytes, more than 4194304"},
	    {"{\"layers\":[{\"mediaType\":\"" SIG_MT "\",\"digest\":\"sha256:"
	     "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2,"
	     "\"annotations\":[]}]}",
	     NULL, "layer 0: \"annotations\" must be an object"},
	    {"{\"layers\":[],\"layers\":[]}", NULL, "duplicate object key"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		reg_put(&reg, REPO, tag, t[i].m, strlen(t[i].m), t[i].mt);
		expect(p, NULL, REPO ":1", NULL, &reg, i == 4 ? -EFBIG : -EINVAL, MUST(t[i].msg));
		reg_clear(&reg);
	}
	free(tag);
	free(p);
	free(k);
	free(pl);
	free(sig);
	free(d);
}

/* The verifier alone: key types and encodings. */
static void test_verify(void **state)
{
	(void)state;
	const char *msg = "payload";
	char *sig = sign_b64(key1, msg, strlen(msg));
	char *pem = pem_pub(key1);
	cc_error *err = NULL;
	assert_int_equal(sig_cosign_verify((unsigned char *)pem, strlen(pem), sig,
	                                   (const unsigned char *)msg, strlen(msg), NULL),
	                 0);
	assert_int_equal(sig_cosign_verify((unsigned char *)pem, strlen(pem), sig,
	                                   (const unsigned char *)"payloaD", 7, &err),
	                 -EPERM);
	cc_error_free(err);
	err = NULL;
	assert_int_equal(sig_cosign_verify((unsigned char *)pem, strlen(pem), "%%%",
	                                   (const unsigned char *)msg, strlen(msg), &err),
	                 -EINVAL);
	cc_error_free(err);
	err = NULL;
	const char *notkey = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	assert_int_equal(sig_cosign_verify((const unsigned char *)notkey, strlen(notkey), sig,
	                                   (const unsigned char *)msg, strlen(msg), &err),
	                 -EINVAL);
	assert_string_equal(cc_error_message(err), "not a PEM \"PUBLIC KEY\" or \"RSA PUBLIC KEY\"");
	cc_error_free(err);
	err = NULL;
	/* Ed25519 (no digest) and a too small RSA key */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char edsig[64];
	size_t edlen = sizeof(edsig);
	assert_int_equal(EVP_DigestSignInit_ex(c, NULL, NULL, NULL, NULL, ed, NULL), 1);
	assert_int_equal(EVP_DigestSign(c, edsig, &edlen, (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(c);
	char edb64[100];
	EVP_EncodeBlock((unsigned char *)edb64, edsig, (int)edlen);
	char *edpem = pem_pub(ed);
	assert_int_equal(sig_cosign_verify((unsigned char *)edpem, strlen(edpem), edb64,
	                                   (const unsigned char *)msg, strlen(msg), NULL),
	                 0);
	free(edpem);
	EVP_PKEY_free(ed);
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	char *rsapem = pem_pub(rsa);
	assert_int_equal(sig_cosign_verify((unsigned char *)rsapem, strlen(rsapem), sig,
	                                   (const unsigned char *)msg, strlen(msg), &err),
	                 -EINVAL);
	assert_string_equal(cc_error_message(err), "RSA key of 1024 bits (at least 2048 needed)");
	cc_error_free(err);
	free(rsapem);
	EVP_PKEY_free(rsa);
	free(pem);
	free(sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_reject),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_verify),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
