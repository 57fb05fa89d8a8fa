/* Unit tests of lib/image/ocicrypt: the layer cipher, the wrappers, key
 * formats, the ocicrypt-rs and CoCo vectors, the keyprovider protocol (with
 * the real cocoon-keyprovider program through a real
 * OCICRYPT_KEYPROVIDER_CONFIG file). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"

static const char *data_dir; /* tests/image/ocicrypt/data */
static const char *keyprovider_bin;
static char tmpdir[] = "/tmp/test-ocicrypt-XXXXXX";

static char *path_of(const char *name)
{
	static char buf[4][4096];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", data_dir, name);
	return buf[i];
}

static char *tmp_of(const char *name)
{
	static char buf[4][4096];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Runs a shell-free command (argv) and checks it exits 0. */
static void run(const char *const argv[])
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- helpers: encrypt a buffer, decrypt it back ------------------------- */

struct enc_result {
	unsigned char *ct;
	size_t ct_len;
	const char *mt;
	json_t *ann;
};

static void encrypt_buf(const ocicrypt_recipients *r, const void *pt, size_t n,
                        struct enc_result *out)
{
	ocicrypt_encryptor *e = NULL;
	img_reader *rd = NULL;
	cc_error *err = NULL;
	int rc = ocicrypt_encryptor_new(r, "application/vnd.oci.image.layer.v1.tar+gzip",
	                                img_reader_mem(pt, n), &e, &rd, &err);
	if (rc < 0)
		fail_msg("encryptor_new: %s", cc_error_message(err));
	out->ct = malloc(n + 1);
	assert_non_null(out->ct);
	ssize_t got = img_reader_read_full(rd, out->ct, n + 1, &err);
	assert_int_equal(got, (ssize_t)n);
	assert_int_equal(img_reader_read(rd, out->ct, 1, &err), 0);
	out->ct_len = (size_t)got;
	rc = ocicrypt_encryptor_finish(e, &out->mt, &out->ann, &err);
	if (rc < 0)
		fail_msg("finish: %s", cc_error_message(err));
	img_reader_free(rd);
	ocicrypt_encryptor_free(e);
}

static void enc_result_clear(struct enc_result *r)
{
	free(r->ct);
	json_decref(r->ann);
}

/* Decrypts; returns 0 or the error code, *msg the error message. */
static int decrypt_buf(const ocicrypt_keys *k, const char *mt, const json_t *ann,
                       const void *ct, size_t n, unsigned char **pt, size_t *pt_len,
                       char **msg)
{
	img_reader *rd = NULL;
	cc_error *err = NULL;
	*msg = NULL;
	int rc = ocicrypt_decrypt_reader(k, mt, ann, img_reader_mem(ct, n), &rd, &err);
	if (rc == 0) {
		*pt = malloc(n + 1);
		size_t off = 0;
		for (;;) {
			/* Small uneven reads to cross block boundaries. */
			ssize_t got = img_reader_read(rd, *pt + off, n + 1 - off < 777 ? n + 1 - off : 777,
			                              &err);
			if (got <= 0) {
				rc = (int)got;
				break;
			}
			off += (size_t)got;
		}
		*pt_len = off;
		img_reader_free(rd);
		if (rc < 0) {
			free(*pt);
			*pt = NULL;
		}
	}
	if (rc < 0)
		*msg = strdup(cc_error_message(err));
	cc_error_free(err);
	return rc;
}

static ocicrypt_recipients *recipients(const char *spec)
{
	ocicrypt_recipients *r = ocicrypt_recipients_new();
	cc_error *err = NULL;
	assert_non_null(r);
	assert_int_equal(ocicrypt_recipients_set_provider_config(r, NULL, NULL), 0);
	if (ocicrypt_recipients_add(r, spec, &err) < 0)
		fail_msg("%s: %s", spec, cc_error_message(err));
	return r;
}

static ocicrypt_keys *keys(const char *spec)
{
	ocicrypt_keys *k = ocicrypt_keys_new();
	cc_error *err = NULL;
	assert_non_null(k);
	assert_int_equal(ocicrypt_keys_set_provider_config(k, NULL, NULL), 0);
	if (spec && ocicrypt_keys_add(k, spec, &err) < 0)
		fail_msg("%s: %s", spec, cc_error_message(err));
	return k;
}

/* ---- cipher ------------------------------------------------------------- */

static void round_trip(const ocicrypt_recipients *r, const ocicrypt_keys *k, size_t n)
{
	unsigned char *pt = malloc(n + 1);
	assert_non_null(pt);
	RAND_bytes(pt, (int)n);
	struct enc_result er;
	encrypt_buf(r, pt, n, &er);
	assert_string_equal(er.mt, "application/vnd.oci.image.layer.v1.tar+gzip+encrypted");
	assert_non_null(json_object_get(er.ann, OC_ANN_PUBOPTS));
	if (n > 16)
		assert_memory_not_equal(er.ct, pt, 16);
	unsigned char *back = NULL;
	size_t back_len = 0;
	char *msg = NULL;
	int rc = decrypt_buf(k, er.mt, er.ann, er.ct, er.ct_len, &back, &back_len, &msg);
	if (rc < 0)
		fail_msg("size %zu: %s", n, msg);
	assert_int_equal(back_len, n);
	assert_memory_equal(back, pt, n);
	free(back);
	free(pt);
	enc_result_clear(&er);
}


/* "PREFIX" + data file name (static, a few at a time). */
static const char *spec(const char *prefix, const char *name)
{
	static char buf[4][4200];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s%s", prefix, path_of(name));
	return buf[i];
}

static void test_cipher_sizes(void **state)
{
	ocicrypt_recipients *r = recipients(spec("jwe:", "public_key.pem"));
	ocicrypt_keys *k = keys(path_of("private_key.pem"));
	static const size_t sizes[] = {0, 1, 15, 16, 17, 4095, 65536, 262144 + 7, 1000003};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
		round_trip(r, k, sizes[i]);
	ocicrypt_recipients_free(r);
	ocicrypt_keys_free(k);
}

/* Encrypts n random bytes to public_key.pem. */
static void rsa_layer(size_t n, unsigned char **pt, struct enc_result *er)
{
	ocicrypt_recipients *r = recipients(spec("jwe:", "public_key.pem"));
	*pt = malloc(n);
	assert_non_null(*pt);
	RAND_bytes(*pt, (int)n);
	encrypt_buf(r, *pt, n, er);
	ocicrypt_recipients_free(r);
}

static void expect_fail(const ocicrypt_keys *k, const char *mt, const json_t *ann,
                        const void *ct, size_t n, int code, const char *needle)
{
	unsigned char *back = NULL;
	size_t back_len = 0;
	char *msg = NULL;
	int rc = decrypt_buf(k, mt, ann, ct, n, &back, &back_len, &msg);
	if (rc != code || strstr(msg ? msg : "", needle) == NULL)
		fail_msg("expected %d \"%s\", got %d \"%s\"", code, needle, rc, msg ? msg : "");
	assert_null(back);
	free(msg);
}

static void test_tampered(void **state)
{
	unsigned char *pt;
	struct enc_result er;
	rsa_layer(100000, &pt, &er);
	ocicrypt_keys *k = keys(path_of("private_key.pem"));
	er.ct[50000] ^= 1;
	expect_fail(k, er.mt, er.ann, er.ct, er.ct_len, -EBADMSG, "HMAC mismatch");
	er.ct[50000] ^= 1;
	/* truncated: one byte, and one block, short */
	expect_fail(k, er.mt, er.ann, er.ct, er.ct_len - 1, -EBADMSG, "HMAC mismatch");
	expect_fail(k, er.mt, er.ann, er.ct, er.ct_len - 16, -EBADMSG, "HMAC mismatch");
	/* no pubopts: no HMAC to check, fail closed as Go does */
	json_t *ann = json_deep_copy(er.ann);
	json_object_del(ann, OC_ANN_PUBOPTS);
	expect_fail(k, er.mt, ann, er.ct, er.ct_len, -EBADMSG, "no HMAC");
	/* unknown cipher */
	char *po = NULL;
	const char *bad = "{\"cipher\":\"AES_128_GCM\",\"hmac\":null}";
	po = oc_b64_encode(bad, strlen(bad));
	json_object_set_new(ann, OC_ANN_PUBOPTS, json_string(po));
	expect_fail(k, er.mt, ann, er.ct, er.ct_len, -ENOTSUP, "unsupported cipher");
	/* not an encrypted media type */
	expect_fail(k, "application/vnd.oci.image.layer.v1.tar+gzip", er.ann, er.ct, er.ct_len,
	            -EINVAL, "not an encrypted layer type");
	free(po);
	json_decref(ann);
	free(pt);
	enc_result_clear(&er);
	ocicrypt_keys_free(k);
}

/* A PLBCO digest that does not match the plain blob is not an error (Go
 * ocicrypt and ocicrypt-rs do not check it; skopeo writes the digest of
 * the uncompressed layer when it gzips one while encrypting); the reader
 * reports the real digest. A changed ciphertext still fails the HMAC. */
static void test_wrong_digest(void **state)
{
	unsigned char *pt;
	struct enc_result er;
	rsa_layer(5000, &pt, &er);
	ocicrypt_keys *k = keys(path_of("private_key.pem"));
	const char *b64 = json_string_value(json_object_get(er.ann, OC_ANN_PREFIX "jwe"));
	unsigned char *jwe = NULL, *opts = NULL;
	size_t jwe_len = 0, opts_len = 0;
	assert_int_equal(oc_b64_decode(b64, strlen(b64), 1 << 20, &jwe, &jwe_len, "t", NULL), 0);
	assert_int_equal(oc_jwe_unwrap(k, jwe, jwe_len, &opts, &opts_len, NULL), 0);
	struct oc_plbco o;
	assert_int_equal(oc_plbco_parse(opts, opts_len, &o, NULL), 0);
	img_digest want;
	assert_int_equal(img_digest_bytes(IMG_DIGEST_SHA256, pt, 5000, &want, NULL), 0);
	assert_true(img_digest_eq(&want, &o.digest));
	o.digest.b[0] ^= 1;
	struct oc_pubopts pub;
	const char *po = json_string_value(json_object_get(er.ann, OC_ANN_PUBOPTS));
	assert_int_equal(oc_pubopts_parse_b64(po, strlen(po), &pub, NULL), 0);
	img_reader *rd = NULL;
	cc_error *err = NULL;
	img_digest real;
	assert_int_equal(oc_cipher_decrypt_reader(img_reader_mem(er.ct, er.ct_len), &o, &pub,
	                                          "layer", &rd, &real, NULL),
	                 0);
	assert_int_equal(img_reader_drain(rd, &err), 0);
	assert_null(err);
	assert_true(img_digest_eq(&real, &want));
	img_reader_free(rd);
	/* one ciphertext byte changed: the HMAC fails, and the failure sticks */
	er.ct[er.ct_len / 2] ^= 1;
	assert_int_equal(oc_cipher_decrypt_reader(img_reader_mem(er.ct, er.ct_len), &o, &pub,
	                                          "layer", &rd, &real, NULL),
	                 0);
	assert_int_equal(img_reader_drain(rd, &err), -EBADMSG);
	assert_non_null(strstr(cc_error_message(err), "HMAC mismatch"));
	cc_error_free(err);
	err = NULL;
	char b[4];
	assert_int_equal(img_reader_read(rd, b, 4, &err), -EBADMSG);
	assert_non_null(strstr(cc_error_message(err), "HMAC mismatch"));
	cc_error_free(err);
	img_reader_free(rd);
	free(jwe);
	oc_free_secret(opts, opts_len);
	free(pt);
	enc_result_clear(&er);
	ocicrypt_keys_free(k);
}

/* Every private key form of ocicrypt-rs/data opens a JWE to the matching
 * public key form. */
static void test_jwe_key_forms(void **state)
{
	static const char *const pubs[] = {"public_key.pem", "RSA_public.jwk"};
	static const char *const privs[] = {"private_key.pem", "private_key.der",
	                                    "private_key8.pem", "private_key8.der"};
	for (size_t i = 0; i < 2; i++) {
		ocicrypt_recipients *r = recipients(spec("jwe:", pubs[i]));
		for (size_t j = 0; j < 4; j++) {
			/* RSA_public.jwk is another key: pair it with RSA_private.jwk */
			ocicrypt_keys *k = keys(path_of(i == 0 ? privs[j] : "RSA_private.jwk"));
			round_trip(r, k, 1234);
			ocicrypt_keys_free(k);
		}
		ocicrypt_recipients_free(r);
	}
}

static void test_jwe_ec_and_multi(void **state)
{
	ocicrypt_recipients *ec = recipients(spec("jwe:", "public_key_ec.der"));
	ocicrypt_keys *kec = keys(path_of("private_key_ec.der"));
	ocicrypt_keys *krsa = keys(path_of("private_key.pem"));
	round_trip(ec, kec, 3000);
	/* wrong key: a clear error naming what was tried */
	unsigned char pt[100] = {1};
	struct enc_result er;
	encrypt_buf(ec, pt, sizeof(pt), &er);
	expect_fail(krsa, er.mt, er.ann, er.ct, er.ct_len, -EACCES,
	            "no key could unwrap layer application/vnd.oci.image.layer.v1.tar+gzip+encrypted: "
	            "tried jwe: jwe (1 recipient): none of the 1 private key fits");
	ocicrypt_keys *none = keys(NULL);
	expect_fail(none, er.mt, er.ann, er.ct, er.ct_len, -EACCES, "jwe: no private key given");
	enc_result_clear(&er);
	/* two recipients: either key opens it */
	assert_int_equal(ocicrypt_recipients_add(ec, spec("jwe:", "public_key.pem"), NULL), 0);
	round_trip(ec, kec, 100);
	round_trip(ec, krsa, 100);
	encrypt_buf(ec, pt, sizeof(pt), &er);
	const char *b64 = json_string_value(json_object_get(er.ann, OC_ANN_PREFIX "jwe"));
	unsigned char *jwe = NULL;
	size_t jwe_len = 0;
	assert_int_equal(oc_b64_decode(b64, strlen(b64), 1 << 20, &jwe, &jwe_len, "t", NULL), 0);
	assert_int_equal(oc_jwe_recipient_count(jwe, jwe_len), 2);
	free(jwe);
	enc_result_clear(&er);
	ocicrypt_recipients_free(ec);
	ocicrypt_keys_free(kec);
	ocicrypt_keys_free(krsa);
	ocicrypt_keys_free(none);
}

/* A JWE asking for an algorithm Go ocicrypt never uses is refused. */
static void test_jwe_alg_allowlist(void **state)
{
	const char *jwe = "{\"protected\":\"eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMjU2R0NNIn0\","
	                  "\"encrypted_key\":\"AA\",\"iv\":\"AA\",\"ciphertext\":\"AA\",\"tag\":\"AA\"}";
	ocicrypt_keys *k = keys(path_of("private_key.pem"));
	unsigned char *out = NULL;
	size_t n = 0;
	cc_error *err = NULL;
	assert_int_equal(oc_jwe_unwrap(k, jwe, strlen(jwe), &out, &n, &err), -ENOTSUP);
	assert_non_null(strstr(cc_error_message(err), "RSA1_5"));
	cc_error_free(err);
	ocicrypt_keys_free(k);
}

static void test_pkcs7(void **state)
{
	ocicrypt_recipients *r = recipients(spec("pkcs7:", "certificate.pem"));
	ocicrypt_keys *k = keys(path_of("certificate_key.pem"));
	round_trip(r, k, 5000);
	/* a key of another certificate does not fit */
	ocicrypt_keys *other = keys(path_of("private_key.pem"));
	unsigned char pt[10] = {0};
	struct enc_result er;
	encrypt_buf(r, pt, sizeof(pt), &er);
	expect_fail(other, er.mt, er.ann, er.ct, er.ct_len, -EACCES,
	            "pkcs7 (1 recipient): none of the 1 private key fits");
	/* with a JWE recipient too, both annotations are there and either opens */
	assert_int_equal(ocicrypt_recipients_add(r, spec("jwe:", "public_key.pem"), NULL), 0);
	round_trip(r, other, 100);
	round_trip(r, k, 100);
	/* garbage DER is a clean error */
	unsigned char *out = NULL;
	size_t n = 0;
	cc_error *err = NULL;
	assert_int_equal(oc_pkcs7_unwrap(k, "\x30\x03\x06\x01\x00", 5, &out, &n, &err), -ENOTSUP);
	cc_error_free(err);
	err = NULL;
	assert_int_equal(oc_pkcs7_unwrap(k, "\x30\x80", 2, &out, &n, &err), -EINVAL);
	cc_error_free(err);
	enc_result_clear(&er);
	ocicrypt_keys_free(other);
	ocicrypt_keys_free(k);
	ocicrypt_recipients_free(r);
}

static void test_encrypted_key(void **state)
{
	const char *enc = tmp_of("enc8.pem");
	const char *pwfile = path_of("passwordfile");
	char passout[4200];
	snprintf(passout, sizeof(passout), "file:%s", pwfile);
	const char *argv[] = {"openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in",
	                      path_of("private_key.pem"), "-out", enc, "-passout", passout, NULL};
	run(argv);
	ocicrypt_recipients *r = recipients(spec("jwe:", "public_key.pem"));
	char s[8400];
	snprintf(s, sizeof(s), "%s:file=%s", enc, pwfile);
	ocicrypt_keys *k = keys(s);
	round_trip(r, k, 10);
	ocicrypt_keys_free(k);
	snprintf(s, sizeof(s), "%s:pass=123456", enc);
	k = keys(s);
	round_trip(r, k, 10);
	ocicrypt_keys_free(k);
	snprintf(s, sizeof(s), "%s:123456", enc);
	k = keys(s);
	round_trip(r, k, 10);
	ocicrypt_keys_free(k);
	k = keys(NULL);
	cc_error *err = NULL;
	assert_int_equal(ocicrypt_keys_add(k, enc, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "needs a password"));
	cc_error_free(err);
	err = NULL;
	snprintf(s, sizeof(s), "%s:pass=wrong", enc);
	assert_int_equal(ocicrypt_keys_add(k, s, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "wrong password"));
	assert_null(strstr(cc_error_message(err), "wrong\"")); /* no password echoed */
	cc_error_free(err);
	err = NULL;
	/* a public key is not a private key */
	assert_int_equal(ocicrypt_keys_add(k, path_of("public_key.pem"), &err), -EINVAL);
	cc_error_free(err);
	ocicrypt_keys_free(k);
	ocicrypt_recipients_free(r);
}

static void test_recipient_specs(void **state)
{
	ocicrypt_recipients *r = ocicrypt_recipients_new();
	cc_error *err = NULL;
	assert_int_equal(ocicrypt_recipients_add(r, "nocolon", &err), -EINVAL);
	cc_error_free(err);
	err = NULL;
	assert_int_equal(ocicrypt_recipients_add(r, "foo:bar", &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "not recognized"));
	cc_error_free(err);
	err = NULL;
	assert_int_equal(ocicrypt_recipients_add(r, spec("jwe:", "private_key_ec.der"), &err),
	                 -EINVAL);
	cc_error_free(err);
	err = NULL;
	assert_int_equal(ocicrypt_recipients_add(r, spec("pkcs7:", "public_key.pem"), &err),
	                 -EINVAL);
	cc_error_free(err);
	assert_int_equal(ocicrypt_recipients_add(r, "provider:p1", NULL), 0);
	assert_int_equal(ocicrypt_recipients_add(r, "provider:p1:a=b::c=kbs:///x", NULL), 0);
	EVP_PKEY *const *jwe;
	X509 *const *certs;
	size_t njwe, ncerts;
	const json_t *prov;
	oc_recipients_get(r, &jwe, &njwe, &certs, &ncerts, &prov);
	char *dump = json_dumps(prov, JSON_COMPACT);
	/* "Enabled" and "a=b::c=kbs:///x" in base64, as Go marshals [][]byte */
	assert_string_equal(dump, "{\"p1\":[\"RW5hYmxlZA==\",\"YT1iOjpjPWticzovLy94\"]}");
	free(dump);
	ocicrypt_recipients_free(r);
}

/* ---- vectors ------------------------------------------------------------ */

static const unsigned char sample_kek[32] = {
	217, 155, 119, 5,  176, 186, 122, 22,  130, 149, 179, 163, 54, 114, 112, 176,
	221, 155, 55,  27, 245, 20,  202, 139, 155, 167, 240, 163, 55, 17,  218, 234,
};

static void test_sample_kbc_annotation(void **state)
{
	char *f = NULL;
	unsigned char *opts = NULL;
	size_t n = 0, opts_len = 0;
	assert_int_equal(cc_read_file(path_of("sample_kbc_annotation.json"), 1 << 20, OC_READ, &f, &n,
	                              NULL), 0);
	struct oc_annotation_packet a;
	assert_int_equal(oc_annotation_packet_parse(f, n, &a, NULL), 0);
	assert_string_equal(a.kid, "kbs:///default/key/1");
	assert_int_equal(oc_annotation_packet_unwrap(&a, sample_kek, &opts, &opts_len, NULL), 0);
	assert_string_equal((char *)opts,
	                    "{\"symkey\":\"1jL2jJV0Oyz2nmPkLtqulW6cKcpIUN5FpILcVnP5Uqs=\","
	                    "\"digest\":\"sha256:18be1897f9402f27c8c0eba7c86e0c00f5656db62961b5949d"
	                    "55f9565c42c6e7\",\"cipheroptions\":{\"nonce\":\"r10F9oaCu+nWFXfod3l83g==\"}}");
	struct oc_plbco o;
	assert_int_equal(oc_plbco_parse(opts, opts_len, &o, NULL), 0);
	assert_int_equal(o.symkey[0], 0xd6);
	/* the same options dump back to the same text (Go's field order) */
	char *again = NULL;
	size_t again_len = 0;
	assert_int_equal(oc_plbco_dump(&o, &again, &again_len, NULL), 0);
	assert_string_equal(again, (char *)opts);
	free(again);
	/* a wrong KEK is a clear error */
	unsigned char bad[32] = {0};
	unsigned char *x = NULL;
	size_t xl = 0;
	cc_error *err = NULL;
	assert_int_equal(oc_annotation_packet_unwrap(&a, bad, &x, &xl, &err), -EACCES);
	assert_non_null(strstr(cc_error_message(err), "wrong key"));
	cc_error_free(err);
	oc_free_secret(opts, opts_len);
	oc_annotation_packet_clear(&a);
	free(f);
}

static void test_v1_packet(void **state)
{
	char *f = NULL;
	size_t n = 0;
	assert_int_equal(cc_read_file(path_of("annotation_packet_v1.json"), 1 << 20, OC_READ, &f, &n,
	                              NULL), 0);
	struct oc_annotation_packet a;
	assert_int_equal(oc_annotation_packet_parse(f, n, &a, NULL), 0);
	assert_string_equal(a.kid, "kbs:///kbs:///default/key/1");
	assert_string_equal(a.wrap_type, "A256GCM");
	assert_string_equal(a.provider, "kbs");
	assert_int_equal(a.iv_len, 12);
	char path[256];
	cc_error *err = NULL;
	assert_int_equal(oc_kid_path(a.kid, path, sizeof(path), &err), -EINVAL);
	cc_error_free(err);
	oc_annotation_packet_clear(&a);
	free(f);
	/* kid forms */
	assert_int_equal(oc_kid_path("kbs:///default/key/1", path, sizeof(path), NULL), 0);
	assert_string_equal(path, "default/key/1");
	assert_int_equal(oc_kid_path("kbs://kbs.example:8080/a/b/c", path, sizeof(path), NULL), 0);
	assert_string_equal(path, "a/b/c");
	assert_int_equal(oc_kid_path("/a/b/c", path, sizeof(path), NULL), 0);
	assert_int_equal(oc_kid_path("kbs:///a/../c", path, sizeof(path), NULL), -EINVAL);
	assert_int_equal(oc_kid_path("kbs:///a/b/c/d", path, sizeof(path), NULL), -EINVAL);
	assert_int_equal(oc_kid_path("kbs:///a//c", path, sizeof(path), NULL), -EINVAL);
	/* v2 with another provider parses; missing wrapped_data does not */
	const char *v2 = "{\"version\":\"0.1.0\",\"kid\":\"k\",\"wrapped_data\":\"AAAA\","
	                 "\"provider\":\"aliyun\",\"provider_settings\":{},\"annotations\":{}}";
	assert_int_equal(oc_annotation_packet_parse(v2, strlen(v2), &a, NULL), 0);
	assert_string_equal(a.provider, "aliyun");
	assert_string_equal(a.wrap_type, "A256GCM");
	oc_annotation_packet_clear(&a);
	assert_int_equal(oc_annotation_packet_parse("{\"kid\":\"k\"}", 11, &a, NULL), -EINVAL);
}

/* ---- base64, media types, options --------------------------------------- */

static void test_b64_and_media_types(void **state)
{
	unsigned char *b = NULL;
	size_t n = 0;
	assert_int_equal(oc_b64_decode("aGk=", 4, 10, &b, &n, "t", NULL), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(b, "hi", 2);
	free(b);
	assert_int_equal(oc_b64_decode("aGk", 3, 10, &b, &n, "t", NULL), -EINVAL);
	assert_int_equal(oc_b64_decode("a-k=", 4, 10, &b, &n, "t", NULL), -EINVAL);
	assert_int_equal(oc_b64_decode("a=k=", 4, 10, &b, &n, "t", NULL), -EINVAL);
	assert_int_equal(oc_b64_decode("aGk=", 4, 1, &b, &n, "t", NULL), -EFBIG);
	json_t *ints = json_loads("[104,105]", 0, NULL);
	assert_int_equal(oc_json_bytes(ints, 10, &b, &n, "t", NULL), 0);
	assert_memory_equal(b, "hi", 2);
	free(b);
	json_decref(ints);
	ints = json_loads("[104,256]", 0, NULL);
	assert_int_equal(oc_json_bytes(ints, 10, &b, &n, "t", NULL), -EINVAL);
	json_decref(ints);

	assert_string_equal(ocicrypt_media_type_encrypted("application/vnd.oci.image.layer.v1.tar"),
	                    "application/vnd.oci.image.layer.v1.tar+encrypted");
	assert_string_equal(
	    ocicrypt_media_type_plain(
	        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd+encrypted"),
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd");
	assert_string_equal(
	    ocicrypt_media_type_encrypted("application/vnd.docker.image.rootfs.diff.tar.gzip"),
	    "application/vnd.oci.image.layer.v1.tar+gzip+encrypted");
	assert_null(ocicrypt_media_type_encrypted("application/vnd.oci.image.config.v1+json"));
	assert_false(ocicrypt_media_type_is_encrypted("application/vnd.oci.image.layer.v1.tar"));

	/* pubopts: Go's field, the old cipheroptions.hmac, defaults */
	struct oc_pubopts p;
	const char *old = "{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"cipheroptions\":{\"hmac\":"
	                  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}";
	char *b64 = oc_b64_encode(old, strlen(old));
	assert_int_equal(oc_pubopts_parse_b64(b64, strlen(b64), &p, NULL), 0);
	assert_true(p.has_hmac);
	free(b64);
	assert_int_equal(oc_pubopts_parse_b64(NULL, 0, &p, NULL), 0);
	assert_false(p.has_hmac);
	/* PLBCO without a digest or with a short key is refused */
	const char *nod = "{\"symkey\":\"1jL2jJV0Oyz2nmPkLtqulW6cKcpIUN5FpILcVnP5Uqs=\","
	                  "\"cipheroptions\":{\"nonce\":\"r10F9oaCu+nWFXfod3l83g==\"}}";
	struct oc_plbco o;
	assert_int_equal(oc_plbco_parse(nod, strlen(nod), &o, NULL), -EINVAL);
	const char *shortk = "{\"symkey\":\"AAAA\",\"digest\":\"sha256:18be1897f9402f27c8c0eba7c86e0c"
	                     "00f5656db62961b5949d55f9565c42c6e7\",\"cipheroptions\":{\"nonce\":"
	                     "\"r10F9oaCu+nWFXfod3l83g==\"}}";
	assert_int_equal(oc_plbco_parse(shortk, strlen(shortk), &o, NULL), -EINVAL);
}

/* ---- keyprovider protocol ------------------------------------------------ */

static void test_kp_messages(void **state)
{
	json_t *params = json_loads("{\"kp\":[\"YQ==\"]}", 0, NULL);
	char *req = NULL;
	size_t req_len = 0;
	assert_int_equal(oc_kp_keywrap_request(params, "{}", 2, &req, &req_len, NULL), 0);
	assert_string_equal(req, "{\"op\":\"keywrap\",\"keywrapparams\":{\"ec\":{\"Parameters\":"
	                         "{\"kp\":[\"YQ==\"]},\"DecryptConfig\":{\"Parameters\":null}},"
	                         "\"optsdata\":\"e30=\"},\"keyunwrapparams\":{\"dc\":null,"
	                         "\"annotation\":null}}");
	struct oc_kp_request r;
	assert_int_equal(oc_kp_request_parse(req, req_len, &r, NULL), 0);
	assert_int_equal(r.op, OC_KP_KEYWRAP);
	assert_int_equal(r.optsdata_len, 2);
	assert_non_null(json_object_get(r.ec_params, "kp"));
	oc_kp_request_clear(&r);
	free(req);
	json_decref(params);
	/* Rust forms: optsdata as raw JSON text, annotation as a byte array */
	const char *rs = "{\"op\":\"keywrap\",\"keywrapparams\":{\"ec\":null,\"optsdata\":"
	                 "\"{\\\"a\\\":1}\"},\"keyunwrapparams\":{\"dc\":null,\"annotation\":null}}";
	assert_int_equal(oc_kp_request_parse(rs, strlen(rs), &r, NULL), 0);
	assert_int_equal(r.optsdata_len, 7);
	oc_kp_request_clear(&r);
	const char *ru = "{\"op\":\"keyunwrap\",\"keyunwrapparams\":{\"dc\":{\"Parameters\":{}},"
	                 "\"annotation\":[123,125]}}";
	assert_int_equal(oc_kp_request_parse(ru, strlen(ru), &r, NULL), 0);
	assert_int_equal(r.op, OC_KP_KEYUNWRAP);
	assert_memory_equal(r.annotation, "{}", 2);
	oc_kp_request_clear(&r);
	assert_int_equal(oc_kp_request_parse("{\"op\":\"x\"}", 10, &r, NULL), -EINVAL);
	/* answers in both encodings */
	unsigned char *b = NULL;
	size_t n = 0;
	char *ans = NULL;
	size_t ans_len = 0;
	assert_int_equal(oc_kp_response_build(OC_KP_KEYUNWRAP, "hi", 2, &ans, &ans_len, NULL), 0);
	assert_string_equal(ans, "{\"keyunwrapresults\":{\"optsdata\":[104,105]}}");
	assert_int_equal(oc_kp_response_parse(ans, ans_len, OC_KP_KEYUNWRAP, &b, &n, NULL), 0);
	assert_memory_equal(b, "hi", 2);
	free(b);
	free(ans);
	const char *go = "{\"keywrapresults\":{\"annotation\":\"aGk=\"},\"keyunwrapresults\":{}}";
	assert_int_equal(oc_kp_response_parse(go, strlen(go), OC_KP_KEYWRAP, &b, &n, NULL), 0);
	assert_memory_equal(b, "hi", 2);
	free(b);
	assert_int_equal(oc_kp_response_parse(go, strlen(go), OC_KP_KEYUNWRAP, &b, &n, NULL),
	                 -EINVAL);
}

static void test_kp_config(void **state)
{
	struct oc_kpconfig *c = NULL;
	assert_int_equal(oc_kpconfig_load(path_of("ocicrypt_config.json"), &c, NULL), 0);
	assert_int_equal(c->n, 4);
	const struct oc_kp *kp = oc_kpconfig_find(c, "keyprovider1");
	assert_int_equal(kp->kind, OC_KP_CMD);
	assert_string_equal(kp->path, "/usr/lib/keyprovider-wrapkey");
	assert_null(kp->args[0]);
	assert_int_equal(oc_kpconfig_find(c, "keyprovider4")->kind, OC_KP_TTRPC);
	/* grpc is a clear "not supported yet" */
	cc_error *err = NULL;
	unsigned char *out = NULL;
	size_t n = 0;
	assert_int_equal(oc_kp_call(oc_kpconfig_find(c, "keyprovider2"), OC_KP_KEYUNWRAP, "{}", 2,
	                            &out, &n, &err),
	                 -ENOTSUP);
	assert_non_null(strstr(cc_error_message(err), "grpc providers are not supported yet"));
	cc_error_free(err);
	oc_kpconfig_free(c);
	/* a missing file is no providers, as in Go */
	assert_int_equal(oc_kpconfig_load(tmp_of("nope.json"), &c, NULL), 0);
	assert_int_equal(c->n, 0);
	oc_kpconfig_free(c);
	assert_int_equal(oc_kpconfig_parse("{\"key-providers\":{\"a\":{}}}", 26, "f", &c, NULL),
	                 -EINVAL);
}

static void test_kp_exec_failures(void **state)
{
	char *sleep_args[] = {(char *)"-c", (char *)"sleep 5", NULL};
	struct oc_kp kp = {.name = (char *)"slow", .kind = OC_KP_CMD, .path = (char *)"/bin/sh",
	                   .args = sleep_args};
	unsigned char *out = NULL;
	size_t n = 0;
	cc_error *err = NULL;
	assert_int_equal(oc_kp_exec(&kp, "{}", 2, 200, &out, &n, &err), -ETIMEDOUT);
	cc_error_free(err);
	err = NULL;
	char *fail_args[] = {(char *)"-c", (char *)"cat >/dev/null; echo boom >&2; exit 3", NULL};
	kp.args = fail_args;
	assert_int_equal(oc_kp_exec(&kp, "{}", 2, 5000, &out, &n, &err), -EIO);
	assert_non_null(strstr(cc_error_message(err), "exited with status 3: boom"));
	cc_error_free(err);
	err = NULL;
	/* a provider that never reads stdin and answers garbage */
	char *junk_args[] = {(char *)"-c", (char *)"echo notjson", NULL};
	kp.args = junk_args;
	assert_int_equal(oc_kp_call(&kp, OC_KP_KEYUNWRAP, "{}", 2, &out, &n, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(err), "keyprovider answer"));
	cc_error_free(err);
	err = NULL;
	kp.path = (char *)"/nonexistent/provider";
	kp.args = NULL;
	assert_int_equal(oc_kp_exec(&kp, "{}", 2, 5000, &out, &n, &err), -EIO);
	assert_non_null(strstr(cc_error_message(err), "status 127"));
	cc_error_free(err);
}

/* cocoon-keyprovider through the provider wrapper and a real config file. */
static void test_provider_round_trip(void **state)
{
	char cfg[9000], kek[32], recip[8400], conf[4200];
	snprintf(conf, sizeof(conf), "%s", tmp_of("ocicrypt.conf"));
	snprintf(cfg, sizeof(cfg),
	         "{\"key-providers\":{\"cocoon\":{\"cmd\":{\"path\":\"%s\",\"args\":"
	         "[\"--keys-dir\",\"%s\"]}}}}",
	         keyprovider_bin, tmp_of("keys"));
	write_file(conf, cfg, strlen(cfg));
	RAND_bytes((unsigned char *)kek, sizeof(kek));
	write_file(tmp_of("kek"), kek, sizeof(kek));
	mkdir(tmp_of("keys"), 0700);
	snprintf(recip, sizeof(recip), "provider:cocoon:keyid=kbs:///default/key/7::keypath=%s",
	         tmp_of("kek"));
	ocicrypt_recipients *r = ocicrypt_recipients_new();
	assert_int_equal(ocicrypt_recipients_set_provider_config(r, conf, NULL), 0);
	assert_int_equal(ocicrypt_recipients_add(r, recip, NULL), 0);
	ocicrypt_keys *k = ocicrypt_keys_new();
	assert_int_equal(ocicrypt_keys_set_provider_config(k, conf, NULL), 0);
	round_trip(r, k, 70000);
	/* the annotation is CoCo's packet for our kid */
	unsigned char pt[10] = {0};
	struct enc_result er;
	encrypt_buf(r, pt, sizeof(pt), &er);
	const char *b64 =
	    json_string_value(json_object_get(er.ann, OC_ANN_PROVIDER_PREFIX "cocoon"));
	assert_non_null(b64);
	unsigned char *pkt = NULL;
	size_t pkt_len = 0;
	assert_int_equal(oc_b64_decode(b64, strlen(b64), 1 << 20, &pkt, &pkt_len, "t", NULL), 0);
	struct oc_annotation_packet a;
	assert_int_equal(oc_annotation_packet_parse(pkt, pkt_len, &a, NULL), 0);
	assert_string_equal(a.kid, "kbs:///default/key/7");
	oc_annotation_packet_clear(&a);
	free(pkt);
	/* without the KEK in the keys dir: a clear error */
	char kekpath[4200];
	snprintf(kekpath, sizeof(kekpath), "%s/default/key/7", tmp_of("keys"));
	assert_int_equal(unlink(kekpath), 0);
	expect_fail(k, er.mt, er.ann, er.ct, er.ct_len, -EACCES, "default/key/7");
	/* unknown provider name at encryption time */
	ocicrypt_recipients *bad = ocicrypt_recipients_new();
	assert_int_equal(ocicrypt_recipients_set_provider_config(bad, conf, NULL), 0);
	assert_int_equal(ocicrypt_recipients_add(bad, "provider:other", NULL), 0);
	ocicrypt_encryptor *e = NULL;
	img_reader *rd = NULL;
	cc_error *err = NULL;
	assert_int_equal(ocicrypt_encryptor_new(bad, "application/vnd.oci.image.layer.v1.tar",
	                                        img_reader_mem(pt, 1), &e, &rd, &err),
	                 -ENOENT);
	cc_error_free(err);
	ocicrypt_recipients_free(bad);
	enc_result_clear(&er);
	ocicrypt_recipients_free(r);
	ocicrypt_keys_free(k);
}

/* The program alone, with the CoCo sample vector and Go-style requests. */
static void test_keyprovider_program(void **state)
{
	char dir[4096], kekdir[4300];
	snprintf(dir, sizeof(dir), "%s", tmp_of("prog-keys"));
	snprintf(kekdir, sizeof(kekdir), "%s/default/key", dir);
	char *args[] = {(char *)"--keys-dir", dir, NULL};
	struct oc_kp kp = {.name = (char *)"prog", .kind = OC_KP_CMD,
	                   .path = (char *)keyprovider_bin, .args = args};
	assert_int_equal(mkdir(dir, 0700), 0);
	char p2[4400];
	snprintf(p2, sizeof(p2), "%s/default", dir);
	assert_int_equal(mkdir(p2, 0700), 0);
	assert_int_equal(mkdir(kekdir, 0700), 0);
	snprintf(p2, sizeof(p2), "%s/1", kekdir);
	write_file(p2, sample_kek, sizeof(sample_kek));
	const char *help[] = {keyprovider_bin, "--help", NULL};
	run(help);
	/* keyunwrap of ocicrypt-rs' sample_kbc_annotation.json -> §5.1's PLBCO */
	char *f = NULL;
	unsigned char *out = NULL;
	size_t n = 0, out_len = 0;
	assert_int_equal(cc_read_file(path_of("sample_kbc_annotation.json"), 1 << 20, OC_READ, &f, &n,
	                              NULL), 0);
	char *req = NULL;
	size_t req_len = 0;
	assert_int_equal(oc_kp_keyunwrap_request(f, n, &req, &req_len, NULL), 0);
	cc_error *err = NULL;
	if (oc_kp_call(&kp, OC_KP_KEYUNWRAP, req, req_len, &out, &out_len, &err) < 0)
		fail_msg("%s", cc_error_message(err));
	assert_non_null(strstr((char *)out, "\"symkey\":\"1jL2jJV0Oyz2nmPkLtqulW6cKcpIUN5FpILcVnP5Uqs=\""));
	oc_free_secret(out, out_len);
	free(req);
	free(f);
	/* keywrap as skopeo/Go sends it, no keypath: a random KEK is kept in
	 * the keys dir and reused for the next layer */
	const char *wrap = "{\"op\":\"keywrap\",\"keywrapparams\":{\"ec\":{\"Parameters\":"
	                   "{\"attestation-agent\":[\"a2V5aWQ9a2JzOi8vL2RlZmF1bHQva2V5LzI=\"]},"
	                   "\"DecryptConfig\":{\"Parameters\":null}},\"optsdata\":\"e30=\"},"
	                   "\"keyunwrapparams\":{\"dc\":null,\"annotation\":null}}";
	unsigned char *pkt1 = NULL, *pkt2 = NULL;
	size_t l1 = 0, l2 = 0;
	assert_int_equal(oc_kp_call(&kp, OC_KP_KEYWRAP, wrap, strlen(wrap), &pkt1, &l1, NULL), 0);
	assert_int_equal(oc_kp_call(&kp, OC_KP_KEYWRAP, wrap, strlen(wrap), &pkt2, &l2, NULL), 0);
	assert_non_null(strstr((char *)pkt1, "\"kid\":\"kbs:///default/key/2\""));
	assert_int_equal(oc_kp_keyunwrap_request(pkt1, l1, &req, &req_len, NULL), 0);
	assert_int_equal(oc_kp_call(&kp, OC_KP_KEYUNWRAP, req, req_len, &out, &out_len, NULL), 0);
	assert_int_equal(out_len, 2);
	assert_memory_equal(out, "{}", 2);
	oc_free_secret(out, out_len);
	free(req);
	assert_int_equal(oc_kp_keyunwrap_request(pkt2, l2, &req, &req_len, NULL), 0);
	assert_int_equal(oc_kp_call(&kp, OC_KP_KEYUNWRAP, req, req_len, &out, &out_len, NULL), 0);
	oc_free_secret(out, out_len);
	free(req);
	free(pkt1);
	free(pkt2);
	/* a hostile kid cannot leave the keys dir */
	const char *evil = "{\"kid\":\"kbs:///../../etc\",\"wrapped_data\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
	                   "\"iv\":\"AAAAAAAAAAAAAAAA\",\"wrap_type\":\"A256GCM\"}";
	assert_int_equal(oc_kp_keyunwrap_request(evil, strlen(evil), &req, &req_len, NULL), 0);
	err = NULL;
	assert_int_equal(oc_kp_call(&kp, OC_KP_KEYUNWRAP, req, req_len, &out, &out_len, &err),
	                 -EIO);
	assert_non_null(strstr(cc_error_message(err), "bad path segment"));
	cc_error_free(err);
	free(req);
}

static void test_finish_before_end(void **state)
{
	ocicrypt_recipients *r = recipients(spec("jwe:", "public_key.pem"));
	unsigned char pt[1000] = {0}, ct[10];
	ocicrypt_encryptor *e = NULL;
	img_reader *rd = NULL;
	cc_error *err = NULL;
	assert_int_equal(ocicrypt_encryptor_new(r, "application/vnd.oci.image.layer.v1.tar",
	                                        img_reader_mem(pt, sizeof(pt)), &e, &rd, NULL),
	                 0);
	assert_int_equal(img_reader_read(rd, ct, sizeof(ct), NULL), 10);
	const char *mt = NULL;
	json_t *ann = NULL;
	assert_int_equal(ocicrypt_encryptor_finish(e, &mt, &ann, &err), -EINVAL);
	assert_null(ann);
	cc_error_free(err);
	/* freeing the encryptor first leaves the reader usable */
	ocicrypt_encryptor_free(e);
	assert_int_equal(img_reader_drain(rd, NULL), 0);
	img_reader_free(rd);
	ocicrypt_recipients_free(r);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *argv[] = {"rm", "-rf", tmpdir, NULL};
	run(argv);
	return 0;
}

int main(void)
{
	data_dir = getenv("OCICRYPT_TEST_DATA");
	keyprovider_bin = getenv("COCOON_KEYPROVIDER");
	if (data_dir == NULL || keyprovider_bin == NULL) {
		fprintf(stderr, "set OCICRYPT_TEST_DATA and COCOON_KEYPROVIDER\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cipher_sizes),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_digest),
		cmocka_unit_test(test_jwe_key_forms),
		cmocka_unit_test(test_jwe_ec_and_multi),
		cmocka_unit_test(test_jwe_alg_allowlist),
		cmocka_unit_test(test_encrypted_key),
		cmocka_unit_test(test_pkcs7),
		cmocka_unit_test(test_recipient_specs),
		cmocka_unit_test(test_sample_kbc_annotation),
		cmocka_unit_test(test_v1_packet),
		cmocka_unit_test(test_b64_and_media_types),
		cmocka_unit_test(test_kp_messages),
		cmocka_unit_test(test_kp_config),
		cmocka_unit_test(test_kp_exec_failures),
		cmocka_unit_test(test_provider_round_trip),
		cmocka_unit_test(test_keyprovider_program),
		cmocka_unit_test(test_finish_before_end),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
