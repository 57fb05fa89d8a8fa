/* The `sample` attester (sample_attester.h): the report data, base64
 * encoded, and a fixed svn. */
#include "sample_attester.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

static const attest_attester_ops sample_attester_ops;

static int sample_get_evidence(attest_attester *a, const uint8_t *report_data, size_t len,
                               char **ret_evidence, cc_error **err)
{
	if (a == NULL || a->ops != &sample_attester_ops)
		return cc_error_set(err, -EINVAL, "not a sample attester");
	if (len > SAMPLE_REPORT_DATA_MAX)
		return cc_error_set(err, -EINVAL, "report data is %zu bytes, more than %u", len,
		                    SAMPLE_REPORT_DATA_MAX);
	if (len > 0 && report_data == NULL)
		return cc_error_set(err, -EINVAL, "report data missing");
	/* 4 characters per 3 bytes, rounded up, and EVP_EncodeBlock's NUL. */
	unsigned char b64[(SAMPLE_REPORT_DATA_MAX + 2) / 3 * 4 + 1];
	int n = EVP_EncodeBlock(b64, report_data, (int)len);
	if (n < 0)
		return cc_error_set(err, -EIO, "base64 encoding of the report data failed");
#define SAMPLE_FMT "{\"svn\":\"" SAMPLE_ATTESTER_SVN "\",\"report_data\":\"%s\"}"
	size_t cap = sizeof(SAMPLE_FMT) + (size_t)n;
	char *out = malloc(cap);
	if (out == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	snprintf(out, cap, SAMPLE_FMT, (const char *)b64);
#undef SAMPLE_FMT
	*ret_evidence = out;
	return 0;
}

static void sample_free(attest_attester *a)
{
	free(a);
}

static const attest_attester_ops sample_attester_ops = {
	.tee = "sample",
	.get_evidence = sample_get_evidence,
	.free = sample_free,
};

int sample_attester_new(attest_attester **ret, cc_error **err)
{
	attest_attester *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	a->ops = &sample_attester_ops;
	*ret = a;
	return 0;
}
