/* libFuzzer target: sealed secrets (lib/cdh/sealed_parse.c,
 * sealed_unseal.c; docs/cdh.md), the "sealed.…" strings a pod's
 * Kubernetes Secrets carry into the guest. Each input is parsed strictly
 * and as an unsigned secret (CDH_SEALED_SKIP_VERIFY); what parses is
 * unsealed against a fake KBS that answers the kid with upstream's test
 * public key and every other URI with a fixed 32-byte key, so the
 * signature check, the base64 fields and the AES paths all see fuzzed
 * bytes. Seed corpus: fuzz/corpus/sealed_secret/. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cdh_sealed.h"
#include "fuzz.h"
#include "jose_util.h"

static const char test_key[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\","
	"\"x\":\"QT3_slJmispaOwnAo6hxebXGLRuiveFuRCLpS4j4S4k\","
	"\"y\":\"jcDn4N4nRBQ-a7_D3qjqtb6hwOAXh_ve1wvibPSi1G0\"}";
static const char key32[] = "0123456789abcdef0123456789abcdef";

static int fake_get(void *ctx, const char *uri, unsigned char **ret, size_t *ret_len,
                    cc_error **err)
{
	const char *kid = ctx;
	const char *v = kid != NULL && strcmp(uri, kid) == 0 ? test_key : key32;
	size_t n = strlen(v);
	*ret = malloc(n + 1);
	if (*ret == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	memcpy(*ret, v, n + 1);
	*ret_len = n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned flags = 0; flags < 2; flags++) {
		cdh_sealed *s = NULL;
		cc_error *e = NULL;
		if (cdh_sealed_parse((const char *)data, size, flags, &s, &e) == 0) {
			struct cdh_getter g = {fake_get, (void *)cdh_sealed_kid(s)};
			unsigned char *out = NULL;
			size_t n = 0;
			if ((cdh_sealed_kid(s) == NULL) != (flags != 0) || cdh_sealed_name(s) == NULL ||
			    cdh_sealed_provider(s) == NULL)
				abort();
			if (cdh_sealed_unseal(s, &g, &out, &n, &e) == 0)
				cj_free_secret(out, n);
			cdh_sealed_free(s);
		}
		cc_error_free(e);
	}
	return 0;
}
