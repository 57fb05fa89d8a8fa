/* A test build of cocoon-kbs (src/kbs/main.c, linked with
 * -Wl,--wrap=kbs_verifiers_new): after the verifiers are made, the snp
 * verifier's built-in AMD roots are replaced with the test PKI of
 * tests/attest/data/snp/testchain/ (COCOON_TEST_SNP_ROOTS_DIR), so that
 * RCAR can be driven with synthetic SNP evidence signed by keys the tests
 * hold (test_kbs_snp_rcar.py). Never installed; the real cocoon-kbs has no
 * such hook. */
#include <stdio.h>
#include <stdlib.h>

#include "snp_int.h"
#include "verifiers.h"

int __real_kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret,
                             cc_error **err);
int __wrap_kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret,
                             cc_error **err);

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, 64 * 1024);
	size_t n = buf ? fread(buf, 1, 64 * 1024 - 1, f) : 0;
	fclose(f);
	if (buf && n == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int __wrap_kbs_verifiers_new(const struct kbs_config *c, struct kbs_verifiers **ret,
                             cc_error **err)
{
	int r = __real_kbs_verifiers_new(c, ret, err);
	const char *dir = getenv("COCOON_TEST_SNP_ROOTS_DIR");
	if (r < 0 || dir == NULL)
		return r;
	static const struct {
		enum snp_product p;
		const char *name;
	} ps[] = {{SNP_MILAN, "milan"}, {SNP_GENOA, "genoa"}, {SNP_TURIN, "turin"}};
	attest_verifier *snp = kbs_verifiers_get(*ret, "snp");
	for (size_t i = 0; r == 0 && snp != NULL && i < sizeof(ps) / sizeof(ps[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s_ask_ark_asvk.pem", dir, ps[i].name);
		char *pem = slurp(path);
		r = pem ? snp_verifier_set_roots(snp, ps[i].p, pem, err)
		        : cc_error_set(err, -2, "%s: cannot read", path);
		free(pem);
	}
	if (r == 0)
		fprintf(stderr, "kbs-testroots: snp roots replaced with the test PKI of %s\n", dir);
	else
		kbs_verifiers_free(*ret);
	return r;
}
