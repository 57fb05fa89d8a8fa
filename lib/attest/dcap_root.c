/* The built-in trust anchor of DCAP: the Intel SGX Root CA
 * (CN=Intel SGX Root CA, O=Intel Corporation, valid 2018-05-21 to
 * 2049-12-31), as Intel publishes it at
 * https://certificates.trustedservices.intel.com/IntelSGXRootCA.der and as
 * it ends every real PCK, TCB signing and CRL issuer chain. Its SHA-256
 * fingerprint, documented by Intel's and dcap-qvl's users alike, is
 * checked every time it is loaded, so a bad edit of the PEM below fails
 * closed instead of trusting another root. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#include "dcap_int.h"

static const char intel_sgx_root_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
	"aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
	"cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
	"BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
	"A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
	"aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
	"AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
	"1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
	"uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
	"MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
	"ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
	"Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
	"KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
	"AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
	"-----END CERTIFICATE-----\n";

static const uint8_t intel_sgx_root_sha256[32] = {
	0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
	0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3,
};

static X509 *builtin_root(void)
{
	BIO *b = BIO_new_mem_buf(intel_sgx_root_pem, (int)sizeof(intel_sgx_root_pem) - 1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (x && (!X509_digest(x, EVP_sha256(), md, &n) || n != 32 ||
	          memcmp(md, intel_sgx_root_sha256, 32) != 0)) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int dcap_root_load(const dcap_collateral *c, X509 **ret, cc_error **err)
{
	X509 *x;
	if (c->test_root_der) {
		const unsigned char *p = c->test_root_der;
		x = d2i_X509(NULL, &p, (long)c->test_root_len);
	} else {
		x = builtin_root();
	}
	if (!x)
		return cc_error_set(err, -EINVAL,
		                    "PCK chain: the built-in Intel SGX Root CA does not load or has the wrong fingerprint");
	*ret = x;
	return 0;
}
