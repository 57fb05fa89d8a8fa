/* Crypto builtins (OPA v1/topdown/crypto.go): crypto.md5, crypto.sha1,
 * crypto.sha256, crypto.hmac.{md5,sha1,sha256,sha512}, crypto.hmac.equal,
 * and the table of the group, whose x509 and key parsers live in
 * crypto_x509.c and crypto_keys.c. Digests and MACs come from OpenSSL 3;
 * results are lower-case hex as Go's hex.EncodeToString gives them. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../rctx.h"
#include "crypto_int.h"

static const rv *hex_str(rarena *a, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[2 * EVP_MAX_MD_SIZE + 1];
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[p[i] >> 4];
		buf[2 * i + 1] = digits[p[i] & 15];
	}
	return rv_str(a, buf, 2 * n);
}

static int digest(rctx *cx, const rv *const *args, const rv **ret, const char *md)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	unsigned char out[EVP_MAX_MD_SIZE];
	size_t outn = 0;
	if (EVP_Q_digest(NULL, md, NULL, s, n, out, &outn) != 1)
		return rbi_err(cx, "%s digest failed", md);
	*ret = hex_str(rctx_arena(cx), out, outn);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_md5(rctx *cx, const rv *const *args, const rv **ret)
{
	return digest(cx, args, ret, "MD5");
}

static int bi_sha1(rctx *cx, const rv *const *args, const rv **ret)
{
	return digest(cx, args, ret, "SHA1");
}

static int bi_sha256(rctx *cx, const rv *const *args, const rv **ret)
{
	return digest(cx, args, ret, "SHA256");
}

/* crypto.hmac.<h>(message, key) */
static int hmac(rctx *cx, const rv *const *args, const rv **ret, const char *md)
{
	const char *msg, *key;
	size_t mn, kn;
	int r = rbi_arg_str(cx, args, 0, &msg, &mn);
	if (r < 0)
		return r;
	r = rbi_arg_str(cx, args, 1, &key, &kn);
	if (r < 0)
		return r;
	unsigned char out[EVP_MAX_MD_SIZE];
	size_t outn = 0;
	/* An empty key is valid HMAC input; OpenSSL wants a non-NULL pointer. */
	if (EVP_Q_mac(NULL, "HMAC", NULL, NULL, (OSSL_PARAM[]){
	                  OSSL_PARAM_utf8_string("digest", (char *)md, 0), OSSL_PARAM_END},
	              kn ? key : "", kn, (const unsigned char *)msg, mn, out, sizeof(out), &outn) == NULL)
		return rbi_err(cx, "HMAC-%s failed", md);
	*ret = hex_str(rctx_arena(cx), out, outn);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_hmac_md5(rctx *cx, const rv *const *args, const rv **ret)
{
	return hmac(cx, args, ret, "MD5");
}

static int bi_hmac_sha1(rctx *cx, const rv *const *args, const rv **ret)
{
	return hmac(cx, args, ret, "SHA1");
}

static int bi_hmac_sha256(rctx *cx, const rv *const *args, const rv **ret)
{
	return hmac(cx, args, ret, "SHA256");
}

static int bi_hmac_sha512(rctx *cx, const rv *const *args, const rv **ret)
{
	return hmac(cx, args, ret, "SHA512");
}

/* crypto.hmac.equal: Go's hmac.Equal, constant time in the contents. */
static int bi_hmac_equal(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *a, *b;
	size_t an, bn;
	int r = rbi_arg_str(cx, args, 0, &a, &an);
	if (r < 0)
		return r;
	r = rbi_arg_str(cx, args, 1, &b, &bn);
	if (r < 0)
		return r;
	*ret = rv_bool(an == bn && CRYPTO_memcmp(a, b, an) == 0);
	return 0;
}

const struct rbi rbi_group_crypto[] = {
    {"crypto.md5", 1, bi_md5, NULL, 0, {RT_STR}, RT_STR},
    {"crypto.sha1", 1, bi_sha1, NULL, 0, {RT_STR}, RT_STR},
    {"crypto.sha256", 1, bi_sha256, NULL, 0, {RT_STR}, RT_STR},
    {"crypto.hmac.md5", 2, bi_hmac_md5, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"crypto.hmac.sha1", 2, bi_hmac_sha1, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"crypto.hmac.sha256", 2, bi_hmac_sha256, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"crypto.hmac.sha512", 2, bi_hmac_sha512, NULL, 0, {RT_STR, RT_STR}, RT_STR},
    {"crypto.hmac.equal", 2, bi_hmac_equal, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"crypto.x509.parse_certificates", 1, rcr_x509_parse_certificates, NULL, 0, {RT_STR}, RT_ARR},
    {"crypto.x509.parse_and_verify_certificates", 1, rcr_x509_parse_and_verify, NULL, 0, {RT_STR}, RT_ARR},
    {"crypto.x509.parse_certificate_request", 1, rcr_x509_parse_csr, NULL, 0, {RT_STR}, RT_OBJ},
    {"crypto.x509.parse_keypair", 2, rcr_x509_parse_keypair, NULL, 0, {RT_STR, RT_STR}, RT_OBJ},
    {"crypto.x509.parse_rsa_private_key", 1, rcr_parse_rsa_private_key, NULL, 0, {RT_STR}, RT_OBJ | RT_NULL},
    {"crypto.parse_private_keys", 1, rcr_parse_private_keys, NULL, 0, {RT_STR}, RT_ARR | RT_NULL},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
