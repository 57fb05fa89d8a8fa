/* Unit tests for the crypto builtins (lib/rego/bi/crypto*.c): digests and
 * HMACs, Go's base64 error texts, certificates, chains, CSRs, key pairs and
 * private keys in the shapes OPA gives them. The fixtures are a throwaway
 * P-256 root and leaf made with the openssl CLI for these tests. */
#include "bi_test.h"

#define EQ(name, args, want) T_EQ(rbi_group_crypto, name, args, want)

static const char CA_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBzTCCAXKgAwIBAgIUYCoDi83aR2Wif9wbR9EQgOWqA2swCgYIKoZIzj0EAwIw\n"
    "MTEUMBIGA1UECgwLQ29jb29uIFRlc3QxGTAXBgNVBAMMEENvY29vbiBUZXN0IFJv\n"
    "b3QwIBcNMjYxMTIzMDM0MTM2WhgPMjEyNjEwMzAwMzQxMzZaMDExFDASBgNVBAoM\n"
    "C0NvY29vbiBUZXN0MRkwFwYDVQQDDBBDb2Nvb24gVGVzdCBSb290MFkwEwYHKoZI\n"
    "zj0CAQYIKoZIzj0DAQcDQgAE/ljNqRm5/b/f2jN18FyDFqZbNxe+j7orjSDE14RH\n"
    "EkyXwYdr6tsVGzB2VmZTKKlYzYh3Yv/Eh67wTXvGyVCxVKNmMGQwHQYDVR0OBBYE\n"
    "FDQds1Ym/C+q+PdQPwhlbUs+UuhnMB8GA1UdIwQYMBaAFDQds1Ym/C+q+PdQPwhl\n"
    "bUs+UuhnMBIGA1UdEwEB/wQIMAYBAf8CAQEwDgYDVR0PAQH/BAQDAgEGMAoGCCqG\n"
    "SM49BAMCA0kAMEYCIQCeXsGhr/wLzF35fdIUZrCbOFLHECuAt7JXazH2UEyEPAIh\n"
    "AJvMBGDoFtmcOAds4vPzqzzld8QQ4xJzhygSpYg+doAN\n"
    "-----END CERTIFICATE-----\n";
static const char LEAF_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICQTCCAeigAwIBAgIUX9T2UOz1I3rce4Sx1x5OJM7PzVgwCgYIKoZIzj0EAwIw\n"
    "MTEUMBIGA1UECgwLQ29jb29uIFRlc3QxGTAXBgNVBAMMEENvY29vbiBUZXN0IFJv\n"
    "b3QwIBcNMjYxMTIzMDM0MTM2WhgPMjEyNjEwMzAwMzQxMzZaMDUxCzAJBgNVBAYT\n"
    "AkdCMQ8wDQYDVQQKDAZDb2Nvb24xFTATBgNVBAMMDGxlYWYuZXhhbXBsZTBZMBMG\n"
    "ByqGSM49AgEGCCqGSM49AwEHA0IABMVHURosnDU4WfrYg7dSOpFfDKu1COdR9Zox\n"
    "RqNKT4B557z2HDe5gIFpsMmyVGuXVUAlEKREtntojYfFHvkv6VWjgdcwgdQwWAYD\n"
    "VR0RBFEwT4IMbGVhZi5leGFtcGxlhwR/AAABhxAAAAAAAAAAAAAAAAAAAAABhhhz\n"
    "cGlmZmU6Ly9leGFtcGxlLmNvbS9vcGGBDWFAZXhhbXBsZS5jb20wHQYDVR0lBBYw\n"
    "FAYIKwYBBQUHAwEGCCsGAQUFBwMCMA4GA1UdDwEB/wQEAwIHgDAJBgNVHRMEAjAA\n"
    "MB0GA1UdDgQWBBSh6Z9iYcA27E3vJPIOcBzcPalHXzAfBgNVHSMEGDAWgBQ0HbNW\n"
    "Jvwvqvj3UD8IZW1LPlLoZzAKBggqhkjOPQQDAgNHADBEAiBcH/b02CwU0qr/cDE9\n"
    "U7SFRRq9s7ddy1/G+MrFlIEblwIgIqoPRHHSYYt5SWWzVPIzrZTBNZmJAKjldtK6\n"
    "3gqTZA8=\n"
    "-----END CERTIFICATE-----\n";
static const char LEAF_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg94iOFR5i84Fco6yu\n"
    "V0xK85dNlocjjKsjRkVM/PqNxhKhRANCAATFR1EaLJw1OFn62IO3UjqRXwyrtQjn\n"
    "UfWaMUajSk+Aeee89hw3uYCBabDJslRrl1VAJRCkRLZ7aI2HxR75L+lV\n"
    "-----END PRIVATE KEY-----\n";
static const char CA_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3FgvnZG2+xgaDHUC\n"
    "aZmwgeK7w05zlCiGp57hn/EsxBWhRANCAAT+WM2pGbn9v9/aM3XwXIMWpls3F76P\n"
    "uiuNIMTXhEcSTJfBh2vq2xUbMHZWZlMoqVjNiHdi/8SHrvBNe8bJULFU\n"
    "-----END PRIVATE KEY-----\n";
static const char LEAF_CSR[] =
    "-----BEGIN CERTIFICATE REQUEST-----\n"
    "MIIBXDCCAQICAQAwNTELMAkGA1UEBhMCR0IxDzANBgNVBAoMBkNvY29vbjEVMBMG\n"
    "A1UEAwwMbGVhZi5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExUdR\n"
    "GiycNThZ+tiDt1I6kV8Mq7UI51H1mjFGo0pPgHnnvPYcN7mAgWmwybJUa5dVQCUQ\n"
    "pES2e2iNh8Ue+S/pVaBrMGkGCSqGSIb3DQEJDjFcMFowWAYDVR0RBFEwT4IMbGVh\n"
    "Zi5leGFtcGxlhwR/AAABhxAAAAAAAAAAAAAAAAAAAAABhhhzcGlmZmU6Ly9leGFt\n"
    "cGxlLmNvbS9vcGGBDWFAZXhhbXBsZS5jb20wCgYIKoZIzj0EAwIDSAAwRQIhAOxC\n"
    "Izs/+EuKYs2oKxdHmMS/co7z2TrEeo5AyOF0JR2OAiByh1Eah/KONGhhnk4W6fol\n"
    "GL1x92x7VrDCRVvAfWvFbQ==\n"
    "-----END CERTIFICATE REQUEST-----\n";
static const char CA_B64[] = "MIIBzTCCAXKgAwIBAgIUYCoDi83aR2Wif9wbR9EQgOWqA2swCgYIKoZIzj0EAwIwMTEUMBIGA1UECgwLQ29jb29uIFRlc3QxGTAXBgNVBAMMEENvY29vbiBUZXN0IFJvb3QwIBcNMjYxMTIzMDM0MTM2WhgPMjEyNjEwMzAwMzQxMzZaMDExFDASBgNVBAoMC0NvY29vbiBUZXN0MRkwFwYDVQQDDBBDb2Nvb24gVGVzdCBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/ljNqRm5/b/f2jN18FyDFqZbNxe+j7orjSDE14RHEkyXwYdr6tsVGzB2VmZTKKlYzYh3Yv/Eh67wTXvGyVCxVKNmMGQwHQYDVR0OBBYEFDQds1Ym/C+q+PdQPwhlbUs+UuhnMB8GA1UdIwQYMBaAFDQds1Ym/C+q+PdQPwhlbUs+UuhnMBIGA1UdEwEB/wQIMAYBAf8CAQEwDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0kAMEYCIQCeXsGhr/wLzF35fdIUZrCbOFLHECuAt7JXazH2UEyEPAIhAJvMBGDoFtmcOAds4vPzqzzld8QQ4xJzhygSpYg+doAN";
/* An Ed25519 certificate with a URI SAN (user info, an escape). */
#define CERT_URI_B64 \
    "MIIC7zCCAqGgAwIBAgIUIRRUu8ATzkyHXA386dIfXf/6QU0wBQYDK2VwMHAxCzAJ\n" \
    "BgNVBAMMAmVkMQowCAYDVQQLDAFhMQowCAYDVQQLDAFiMQ0wCwYDVQQHDARUb3du\n" \
    "MQ4wDAYDVQQIDAVTdGF0ZTEPMA0GA1UECQwGMSBSb2FkMQwwCgYDVQQRDAMxMjMx\n" \
    "CzAJBgNVBAUTAjQyMB4XDTI2MTEyMzAzNTQ1OFoXDTM2MTEyMDAzNTQ1OFowcDEL\n" \
    "MAkGA1UEAwwCZWQxCjAIBgNVBAsMAWExCjAIBgNVBAsMAWIxDTALBgNVBAcMBFRv\n" \
    "d24xDjAMBgNVBAgMBVN0YXRlMQ8wDQYDVQQJDAYxIFJvYWQxDDAKBgNVBBEMAzEy\n" \
    "MzELMAkGA1UEBRMCNDIwKjAFBgMrZXADIQA8Q6fRM6O/wCihr1Zhe5NLUZVRkGTZ\n" \
    "iaAhEp0ButfjV6OCAUswggFHMB0GA1UdDgQWBBQUYjcPnPjmfeVstjcjYLCNHeao\n" \
    "uzAfBgNVHSMEGDAWgBQUYjcPnPjmfeVstjcjYLCNHeaouzAPBgNVHRMBAf8EBTAD\n" \
    "AQH/MDEGA1UdEQQqMCiGJmh0dHBzOi8vdTpwQGV4YW1wbGUuY29tOjg0NDMvYSUy\n" \
    "MGI/cT0xMFUGCCsGAQUFBwEBBEkwRzAfBggrBgEFBQcwAYYTaHR0cDovL29jc3Au\n" \
    "ZXhhbXBsZTAkBggrBgEFBQcwAoYYaHR0cDovL2NhLmV4YW1wbGUvY2EuY3J0MCkG\n" \
    "A1UdHwQiMCAwHqAcoBqGGGh0dHA6Ly9jcmwuZXhhbXBsZS9jLmNybDAaBgNVHSAE\n" \
    "EzARMAgGBmeBDAECATAFBgMqAwQwIwYDVR0lBBwwGgYIKwYBBQUHAwEGBCoDBAUG\n" \
    "CCsGAQUFBwMDMAUGAytlcANBABuO2WTy4rOLL543FzyX/G+6bLLSILs3UGh6wdk/\n" \
    "CmNmO4VRMwTsChBNcSyFK8oaAYe7UJgSt3NKcfirQALBMQQ=\n"

/* Calls builtin name with string arguments; returns the result or NULL
 * with the error text in *errtxt. */
static const rv *call_s(const char *name, const char *a0, const char *a1, const char **errtxt)
{
	const struct rbi *b = t_find(rbi_group_crypto, name);
	const rv *args[2] = {rv_cstr(t_arena, a0), a1 ? rv_cstr(t_arena, a1) : NULL};
	cc_error_free(t_cx.err);
	t_cx.err = NULL;
	t_cx.fname = name;
	const rv *ret = NULL;
	int r = b->fn(&t_cx, args, &ret);
	if (r < 0) {
		assert_non_null(t_cx.err);
		*errtxt = rarena_strndup(t_arena, cc_error_message(t_cx.err), strlen(cc_error_message(t_cx.err)));
		return NULL;
	}
	*errtxt = NULL;
	assert_non_null(ret);
	return ret;
}

static const rv *ok_s(const char *name, const char *a0, const char *a1)
{
	const char *e;
	const rv *v = call_s(name, a0, a1, &e);
	if (v == NULL)
		fail_msg("%s: %s", name, e);
	return v;
}

static void err_s(const char *name, const char *a0, const char *a1, const char *want)
{
	const char *e;
	assert_null(call_s(name, a0, a1, &e));
	assert_string_equal(e, want);
}

/* The Rego text of field path "A.B" of object x. */
static const char *field(const rv *x, const char *path)
{
	char key[64];
	while (*path) {
		size_t n = strcspn(path, ".");
		assert_true(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		assert_int_equal(x->t, RV_OBJ);
		x = rv_obj_gets(x, key, n);
		assert_non_null(x);
		path += n + (path[n] == '.');
	}
	return t_text(x);
}

static void test_digests(void **state)
{
	(void)state;
	EQ("crypto.md5", "[\"\"]", "\"d41d8cd98f00b204e9800998ecf8427e\"");
	EQ("crypto.sha1", "[\"abc\"]", "\"a9993e364706816aba3e25717850c26c9cd0d89d\"");
	EQ("crypto.sha256", "[\"abc\"]", "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"");
	EQ("crypto.sha256", "[1]", "ERR eval_type_error: crypto.sha256: operand 1 must be string but got number");
	EQ("crypto.hmac.sha256", "[\"msg\", \"key\"]", "\"2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628\"");
	EQ("crypto.hmac.md5", "[\"msg\", \"key\"]", "\"18e3548c59ad40dd03907b7aeee71d67\"");
	EQ("crypto.hmac.sha1", "[\"\", \"\"]", "\"fbdb1d1b18aa6c08324b7d64b71fb76370690e1d\"");
	EQ("crypto.hmac.sha512", "[\"msg\", 2]", "ERR eval_type_error: crypto.hmac.sha512: operand 2 must be string but got number");
	EQ("crypto.hmac.equal", "[\"abc\", \"abc\"]", "true");
	EQ("crypto.hmac.equal", "[\"abc\", \"abd\"]", "false");
	EQ("crypto.hmac.equal", "[\"abc\", \"ab\"]", "false");
}

static void test_base64_errors(void **state)
{
	(void)state;
	err_s("crypto.x509.parse_certificates", "aGVsbG8", NULL, "crypto.x509.parse_certificates: illegal base64 data at input byte 4");
	err_s("crypto.x509.parse_certificates", "not base64", NULL, "crypto.x509.parse_certificates: illegal base64 data at input byte 3");
	err_s("crypto.x509.parse_certificates", "ab=", NULL, "crypto.x509.parse_certificates: illegal base64 data at input byte 3");
	err_s("crypto.x509.parse_certificates", "aGVsbG8=", NULL, "crypto.x509.parse_certificates: x509: malformed certificate");
}

static void test_parse_certificates(void **state)
{
	(void)state;
	const rv *v = ok_s("crypto.x509.parse_certificates", LEAF_PEM, NULL);
	assert_int_equal(v->t, RV_ARR);
	assert_int_equal(v->u.a.n, 1);
	const rv *c = v->u.a.v[0];
	assert_string_equal(field(c, "Subject.CommonName"), "\"leaf.example\"");
	assert_string_equal(field(c, "Subject.Country"), "[\"GB\"]");
	assert_string_equal(field(c, "Subject.Locality"), "null");
	assert_string_equal(field(c, "Issuer.Organization"), "[\"Cocoon Test\"]");
	assert_string_equal(field(c, "DNSNames"), "[\"leaf.example\"]");
	assert_string_equal(field(c, "IPAddresses"), "[\"127.0.0.1\", \"::1\"]");
	assert_string_equal(field(c, "EmailAddresses"), "[\"a@example.com\"]");
	assert_string_equal(field(c, "URIStrings"), "[\"spiffe://example.com/opa\"]");
	assert_string_equal(field(c, "ExtKeyUsage"), "[1, 2]");
	assert_string_equal(field(c, "KeyUsage"), "1");
	assert_string_equal(field(c, "IsCA"), "false");
	assert_string_equal(field(c, "MaxPathLen"), "-1");
	assert_string_equal(field(c, "Version"), "3");
	assert_string_equal(field(c, "SignatureAlgorithm"), "10");
	assert_string_equal(field(c, "PublicKeyAlgorithm"), "3");
	assert_string_equal(field(c, "PublicKey.Curve"), "{}");

	v = ok_s("crypto.x509.parse_certificates", CA_B64, NULL);
	assert_int_equal(v->u.a.n, 1);
	c = v->u.a.v[0];
	assert_string_equal(field(c, "Subject.CommonName"), "\"Cocoon Test Root\"");
	assert_string_equal(field(c, "IsCA"), "true");
	assert_string_equal(field(c, "MaxPathLen"), "1");
	assert_string_equal(field(c, "KeyUsage"), "96");
	assert_string_equal(field(c, "URIStrings"), "null");

	char both[4096];
	snprintf(both, sizeof(both), "%s%s", CA_PEM, LEAF_PEM);
	v = ok_s("crypto.x509.parse_certificates", both, NULL);
	assert_int_equal(v->u.a.n, 2);
	err_s("crypto.x509.parse_certificates", LEAF_KEY, NULL,
	      "crypto.x509.parse_certificates: PEM block type is 'PRIVATE KEY', expected CERTIFICATE");
}

static void test_parse_and_verify(void **state)
{
	(void)state;
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s%s", CA_PEM, LEAF_PEM);
	const rv *v = ok_s("crypto.x509.parse_and_verify_certificates", buf, NULL);
	assert_string_equal(t_text(v->u.a.v[0]), "true");
	assert_int_equal(v->u.a.v[1]->u.a.n, 2);
	/* Go's chains[0] is leaf first. */
	assert_string_equal(field(v->u.a.v[1]->u.a.v[0], "Subject.CommonName"), "\"leaf.example\"");
	snprintf(buf, sizeof(buf), "%s%s", LEAF_PEM, CA_PEM);
	EQ("crypto.x509.parse_and_verify_certificates", "[\"\"]", "[false, []]");
	assert_string_equal(t_text(ok_s("crypto.x509.parse_and_verify_certificates", buf, NULL)), "[false, []]");
	assert_string_equal(t_text(ok_s("crypto.x509.parse_and_verify_certificates", CA_PEM, NULL)), "[false, []]");
	assert_string_equal(t_text(ok_s("crypto.x509.parse_and_verify_certificates", "!!", NULL)), "[false, []]");
}

static void test_csr(void **state)
{
	(void)state;
	const rv *v = ok_s("crypto.x509.parse_certificate_request", LEAF_CSR, NULL);
	assert_string_equal(field(v, "Subject.CommonName"), "\"leaf.example\"");
	assert_string_equal(field(v, "DNSNames"), "[\"leaf.example\"]");
	assert_string_equal(field(v, "Version"), "0");
	err_s("crypto.x509.parse_certificate_request", LEAF_PEM, NULL,
	      "crypto.x509.parse_certificate_request: illegal base64 data at input byte 0");
	err_s("crypto.x509.parse_certificate_request", "aGVsbG8=", NULL,
	      "crypto.x509.parse_certificate_request: asn1: structure error: malformed certificate request");
}

static void test_keypair(void **state)
{
	(void)state;
	const rv *v = ok_s("crypto.x509.parse_keypair", LEAF_PEM, LEAF_KEY);
	assert_int_equal(rv_obj_gets(v, "Certificate", 11)->u.a.n, 1);
	assert_string_equal(field(v, "Leaf"), "null");
	assert_string_equal(field(v, "PrivateKey.Curve"), "{}");
	err_s("crypto.x509.parse_keypair", LEAF_PEM, CA_KEY,
	      "crypto.x509.parse_keypair: tls: private key does not match public key");
	err_s("crypto.x509.parse_keypair", LEAF_KEY, LEAF_KEY,
	      "crypto.x509.parse_keypair: tls: failed to find any PEM data in certificate input");
}

static void test_private_keys(void **state)
{
	(void)state;
	EQ("crypto.parse_private_keys", "[\"\"]", "null");
	EQ("crypto.parse_private_keys", "[\"nope\"]", "[]");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s%s", LEAF_KEY, CA_KEY);
	const rv *v = ok_s("crypto.parse_private_keys", buf, NULL);
	assert_int_equal(v->u.a.n, 2);
	EQ("crypto.x509.parse_rsa_private_key", "[\"\"]",
	   "ERR eval_builtin_error: crypto.x509.parse_rsa_private_key: input PEM data was empty");
	EQ("crypto.x509.parse_rsa_private_key", "[\"invalid\"]",
	   "ERR eval_builtin_error: crypto.x509.parse_rsa_private_key: illegal base64 data at input byte 4");
	v = ok_s("crypto.x509.parse_rsa_private_key", LEAF_KEY, NULL);
	assert_string_equal(t_text(v), "{\"kty\": \"EC\"}"); /* as OPA's jwx marshals it */
	v = ok_s("crypto.x509.parse_certificates", "-----BEGIN CERTIFICATE-----\n" CERT_URI_B64 "-----END CERTIFICATE-----\n", NULL);
	/* The openssl CLI cut the SAN at '#': one URI, with user info and an
	 * escape in its path (checked against the OPA v0.47 oracle). */
	assert_string_equal(field(v->u.a.v[0], "URIs"),
	                    "[{\"ForceQuery\": false, \"Fragment\": \"\", \"Host\": \"example.com:8443\", "
	                    "\"OmitHost\": false, \"Opaque\": \"\", \"Path\": \"/a b\", \"RawFragment\": \"\", "
	                    "\"RawPath\": \"\", \"RawQuery\": \"q=1\", \"Scheme\": \"https\", \"User\": {}}]");
	err_s("crypto.parse_private_keys", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", NULL,
	      "crypto.parse_private_keys: x509: failed to parse private key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_digests, t_setup, t_teardown),
	    cmocka_unit_test_setup_teardown(test_base64_errors, t_setup, t_teardown),
	    cmocka_unit_test_setup_teardown(test_parse_certificates, t_setup, t_teardown),
	    cmocka_unit_test_setup_teardown(test_parse_and_verify, t_setup, t_teardown),
	    cmocka_unit_test_setup_teardown(test_csr, t_setup, t_teardown),
	    cmocka_unit_test_setup_teardown(test_keypair, t_setup, t_teardown),
	    cmocka_unit_test_setup_teardown(test_private_keys, t_setup, t_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
