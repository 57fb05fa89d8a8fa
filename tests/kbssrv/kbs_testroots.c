/* A test build of cocoon-kbs (src/kbs/main.c, linked with
 * -Wl,--wrap=kbs_verifiers_new): after the verifiers are made, their
 * built-in roots are replaced with test PKIs, so that RCAR can be driven
 * with synthetic evidence signed by keys the tests hold:
 * - COCOON_TEST_SNP_ROOTS_DIR: the snp verifier's AMD roots, from the test
 *   PKI of tests/attest/data/snp/testchain/ (test_kbs_snp_rcar.py);
 * - COCOON_TEST_DCAP_ROOT: the tdx and sgx verifiers' Intel SGX Root CA,
 *   from a DER file (test_kbs_tdx_rcar.py).
 * Never installed; the real cocoon-kbs has no such hook. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "snp_int.h"
#include "tdx_int.h"
#include "verifiers.h"

int __real_kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret,
                             cc_error **err);
int __wrap_kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret,
                             cc_error **err);

#define SLURP_MAX (64 * 1024)

/* path's bytes (NUL-terminated, at most SLURP_MAX - 1); NULL when
 * unreadable or empty. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, SLURP_MAX);
	size_t n = buf ? fread(buf, 1, SLURP_MAX - 1, f) : 0;
	fclose(f);
	if (buf && n == 0) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

static int snp_roots(struct kbs_verifiers *vs, const char *dir, cc_error **err)
{
	static const struct {
		enum snp_product p;
		const char *name;
	} ps[] = {{SNP_MILAN, "milan"}, {SNP_GENOA, "genoa"}, {SNP_TURIN, "turin"}};
	attest_verifier *snp = kbs_verifiers_get(vs, "snp");
	int r = 0;
	for (size_t i = 0; r == 0 && snp != NULL && i < sizeof(ps) / sizeof(ps[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s_ask_ark_asvk.pem", dir, ps[i].name);
		char *pem = slurp(path, NULL);
		r = pem ? snp_verifier_set_roots(snp, ps[i].p, pem, err)
		        : cc_error_set(err, -ENOENT, "%s: cannot read", path);
		free(pem);
	}
	if (r == 0)
		fprintf(stderr, "kbs-testroots: snp roots replaced with the test PKI of %s\n", dir);
	return r;
}

static int dcap_root(struct kbs_verifiers *vs, const char *path, cc_error **err)
{
	size_t len = 0;
	char *der = slurp(path, &len);
	if (der == NULL)
		return cc_error_set(err, -ENOENT, "%s: cannot read", path);
	static const char *const tees[] = {"tdx", "sgx"};
	int r = 0;
	for (size_t i = 0; r == 0 && i < sizeof(tees) / sizeof(tees[0]); i++) {
		attest_verifier *v = kbs_verifiers_get(vs, tees[i]);
		if (v != NULL)
			r = tdx_verifier_set_test_root(v, (const uint8_t *)der, len, err);
	}
	free(der);
	if (r == 0)
		fprintf(stderr, "kbs-testroots: tdx/sgx Intel root replaced with %s\n", path);
	return r;
}

int __wrap_kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret,
                             cc_error **err)
{
	int r = __real_kbs_verifiers_new(c, ret, err);
	if (r < 0)
		return r;
	const char *snp_dir = getenv("COCOON_TEST_SNP_ROOTS_DIR");
	const char *dcap = getenv("COCOON_TEST_DCAP_ROOT");
	if (snp_dir != NULL)
		r = snp_roots(*ret, snp_dir, err);
	if (r == 0 && dcap != NULL)
		r = dcap_root(*ret, dcap, err);
	if (r < 0) {
		kbs_verifiers_free(*ret);
		*ret = NULL;
	}
	return r;
}
