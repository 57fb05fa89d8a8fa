/* A test build of `cocoon` (cocoon-dcap-testroots, test_sgx_cli.py's 4th
 * argument): the objects of src/cocoon linked with
 * -Wl,--wrap=attest_verifier_new_for, so that the tdx and sgx verifiers
 * `cocoon evidence verify` makes trust the root certificate (DER) named by
 * COCOON_TEST_DCAP_ROOT instead of the built-in Intel SGX Root CA
 * (tdx_verifier_set_test_root, tdx_int.h). Never installed; the real
 * cocoon has no such hook. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest_registry.h"
#include "tdx_int.h"

int __real_attest_verifier_new_for(const char *tee, const attest_verifier_opts *opts,
                                   attest_verifier **ret, cc_error **err);
int __wrap_attest_verifier_new_for(const char *tee, const attest_verifier_opts *opts,
                                   attest_verifier **ret, cc_error **err);

#define ROOT_MAX (64 * 1024)

static int set_root(attest_verifier *v, const char *path, cc_error **err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return cc_error_set(err, -errno, "COCOON_TEST_DCAP_ROOT %s: %s", path, strerror(errno));
	uint8_t *der = malloc(ROOT_MAX);
	size_t n = der != NULL ? fread(der, 1, ROOT_MAX, f) : 0;
	fclose(f);
	int r = der == NULL            ? cc_error_set(err, -ENOMEM, "out of memory")
	        : n == 0 || n == ROOT_MAX ? cc_error_set(err, -EINVAL, "COCOON_TEST_DCAP_ROOT %s: empty or too big", path)
	                                  : tdx_verifier_set_test_root(v, der, n, err);
	free(der);
	return r;
}

int __wrap_attest_verifier_new_for(const char *tee, const attest_verifier_opts *opts,
                                   attest_verifier **ret, cc_error **err)
{
	attest_verifier *v = NULL;
	int r = __real_attest_verifier_new_for(tee, opts, &v, err);
	const char *root = getenv("COCOON_TEST_DCAP_ROOT");
	if (r == 0 && root != NULL && (strcmp(tee, "tdx") == 0 || strcmp(tee, "sgx") == 0))
		r = set_root(v, root, err);
	if (r < 0) {
		attest_verifier_free(v);
		return r;
	}
	*ret = v;
	return 0;
}
