/* io.jwt.* signatures on OpenSSL 3 and the base64url forms of OPA's JWT
 * code (v1/topdown/tokens.go, encoding.go).
 *
 *   HS256/384/512  HMAC with the secret (RFC 7518 §3.2)
 *   RS256/384/512  RSASSA-PKCS1-v1_5 (§3.3)
 *   PS256/384/512  RSASSA-PSS, MGF1 with the same hash; verification takes
 *                  any salt length (Go's PSSSaltLengthAuto), signing uses
 *                  the hash length (§3.5)
 *   ES256/384/512  ECDSA; the JWS signature is r || s, split in two halves
 *                  as OPA's verifyES does (§3.4)
 *   EdDSA          Ed25519 (RFC 8037)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "jwt_int.h"
#include "cocoon/limits.h"

static const char *const known_algs[] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                         "PS512", "ES256", "ES384", "ES512", "HS256",
                                         "HS384", "HS512", "EdDSA"};

bool rjwt_alg_known(const char *alg, size_t n)
{
	for (size_t i = 0; i < sizeof(known_algs) / sizeof(known_algs[0]); i++)
		if (strlen(known_algs[i]) == n && memcmp(known_algs[i], alg, n) == 0)
			return true;
	return false;
}

/* The hash of a known alg other than EdDSA. */
static const EVP_MD *alg_md(const char *alg)
{
	const char *bits = alg + 2;
	if (strcmp(bits, "256") == 0)
		return EVP_sha256();
	if (strcmp(bits, "384") == 0)
		return EVP_sha384();
	if (strcmp(bits, "512") == 0)
		return EVP_sha512();
	return NULL;
}

static bool alg_is(const char *alg, const char *family)
{
	return strncmp(alg, family, 2) == 0 && strlen(alg) == 5 && alg_md(alg) != NULL;
}

static bool hmac_ok(const struct rjwt_key *k, const EVP_MD *md, const void *msg, size_t n,
                    const unsigned char *sig, size_t sign)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int macn = 0;
	static const unsigned char empty[1];
	if (k->pk != NULL || k->secret_len > INT32_MAX)
		return false;
	if (HMAC(md, k->secret ? k->secret : empty, (int)k->secret_len, msg, n, mac, &macn) == NULL)
		return false;
	bool ok = macn == sign && CRYPTO_memcmp(mac, sig, sign) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

/* EVP_DigestVerify with md (NULL for Ed25519); pss selects RSASSA-PSS. */
static bool digest_verify(EVP_PKEY *pk, const EVP_MD *md, bool pss, const void *msg, size_t n,
                          const unsigned char *sig, size_t sign)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	bool ok = m != NULL && EVP_DigestVerifyInit(m, &pc, md, NULL, pk) == 1;
	if (ok && pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_AUTO) == 1;
	ok = ok && EVP_DigestVerify(m, sig, sign, msg, n) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

/* ECDSA over the digest of msg with r || s split in halves. */
static bool ecdsa_ok(EVP_PKEY *pk, const EVP_MD *md, const void *msg, size_t n,
                     const unsigned char *sig, size_t sign)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dgn = 0;
	if (sign > 2 * 1024 || EVP_Digest(msg, n, dg, &dgn, md, NULL) != 1)
		return false;
	size_t half = sign / 2;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)(sign - half), NULL);
	unsigned char *der = NULL;
	int dern = -1;
	if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL;
		dern = i2d_ECDSA_SIG(es, &der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX *pc = dern > 0 ? EVP_PKEY_CTX_new(pk, NULL) : NULL;
	bool ok = pc != NULL && EVP_PKEY_verify_init(pc) == 1 &&
	          EVP_PKEY_verify(pc, der, (size_t)dern, dg, dgn) == 1;
	EVP_PKEY_CTX_free(pc);
	OPENSSL_free(der);
	return ok;
}

bool rjwt_verify(const struct rjwt_key *k, const char *alg, const void *msg, size_t n,
                 const unsigned char *sig, size_t sign)
{
	bool ok = false;
	if (alg_is(alg, "HS"))
		ok = hmac_ok(k, alg_md(alg), msg, n, sig, sign);
	else if (k->pk == NULL)
		ok = false;
	else if (alg_is(alg, "RS") || alg_is(alg, "PS"))
		ok = EVP_PKEY_is_a(k->pk, "RSA") &&
		     digest_verify(k->pk, alg_md(alg), alg[0] == 'P', msg, n, sig, sign);
	else if (alg_is(alg, "ES"))
		ok = EVP_PKEY_is_a(k->pk, "EC") && ecdsa_ok(k->pk, alg_md(alg), msg, n, sig, sign);
	else if (strcmp(alg, "EdDSA") == 0)
		ok = EVP_PKEY_is_a(k->pk, "ED25519") && digest_verify(k->pk, NULL, false, msg, n, sig, sign);
	ERR_clear_error();
	return ok;
}

/* ---- signing ------------------------------------------------------------ */

static int digest_sign(EVP_PKEY *pk, const EVP_MD *md, bool pss, const void *msg, size_t n,
                       unsigned char **sig, size_t *sign)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	size_t len = 0;
	unsigned char *out = NULL;
	bool ok = m != NULL && EVP_DigestSignInit(m, &pc, md, NULL, pk) == 1;
	if (ok && pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1;
	ok = ok && EVP_DigestSign(m, NULL, &len, msg, n) == 1 && (out = malloc(len ? len : 1)) != NULL &&
	     EVP_DigestSign(m, out, &len, msg, n) == 1;
	EVP_MD_CTX_free(m);
	if (!ok) {
		free(out);
		return -EINVAL;
	}
	*sig = out;
	*sign = len;
	return 0;
}

/* DER ECDSA-Sig-Value into r || s, each the curve's byte length. */
static int ecdsa_raw(EVP_PKEY *pk, unsigned char **sig, size_t *sign)
{
	const unsigned char *p = *sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)*sign);
	int bits = EVP_PKEY_get_bits(pk);
	if (es == NULL || bits <= 0)
		return ECDSA_SIG_free(es), -EINVAL;
	size_t half = ((size_t)bits + 7) / 8;
	unsigned char *raw = malloc(2 * half);
	int r = -ENOMEM;
	if (raw) {
		r = BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)half) < 0 ||
		            BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + half, (int)half) < 0
		        ? -EINVAL
		        : 0;
	}
	ECDSA_SIG_free(es);
	if (r < 0) {
		free(raw);
		return r;
	}
	free(*sig);
	*sig = raw;
	*sign = 2 * half;
	return 0;
}

static int sign_pk(const struct rjwt_key *k, const char *alg, const void *msg, size_t n,
                   unsigned char **sig, size_t *sign)
{
	if (k->pk == NULL)
		return -EINVAL;
	if (alg_is(alg, "RS") || alg_is(alg, "PS")) {
		if (!EVP_PKEY_is_a(k->pk, "RSA"))
			return -EINVAL;
		return digest_sign(k->pk, alg_md(alg), alg[0] == 'P', msg, n, sig, sign);
	}
	if (alg_is(alg, "ES")) {
		if (!EVP_PKEY_is_a(k->pk, "EC"))
			return -EINVAL;
		int r = digest_sign(k->pk, alg_md(alg), false, msg, n, sig, sign);
		if (r == 0 && (r = ecdsa_raw(k->pk, sig, sign)) < 0)
			free(*sig);
		return r;
	}
	if (strcmp(alg, "EdDSA") == 0 && EVP_PKEY_is_a(k->pk, "ED25519"))
		return digest_sign(k->pk, NULL, false, msg, n, sig, sign);
	return -EINVAL;
}

int rjwt_sign(rctx *cx, const struct rjwt_key *k, const char *alg, const void *msg, size_t n,
              unsigned char **sig, size_t *sign)
{
	unsigned char *out = NULL;
	size_t outn = 0;
	int r;
	if (alg_is(alg, "HS")) {
		unsigned int macn = 0;
		static const unsigned char empty[1];
		/* OPA's jws HMAC signer refuses an empty secret (verifying with
		 * one is allowed: verify_hs* computes the HMAC itself). */
		if (k->pk == NULL && k->secret_len == 0)
			return rbi_err(cx, "failed to sign Payload: missing key while signing payload");
		r = -EINVAL;
		if (k->pk == NULL && k->secret_len <= INT32_MAX && (out = malloc(EVP_MAX_MD_SIZE)) &&
		    HMAC(alg_md(alg), k->secret ? k->secret : empty, (int)k->secret_len, msg, n, out,
		         &macn) != NULL) {
			outn = macn;
			r = 0;
		}
	} else {
		r = sign_pk(k, alg, msg, n, &out, &outn);
	}
	ERR_clear_error();
	if (r < 0) {
		free(out);
		return rbi_err(cx, "failed to sign payload using %s: the key does not suit the algorithm",
		               alg);
	}
	*sig = out;
	*sign = outn;
	return 0;
}

/* ---- base64url ------------------------------------------------------------ */

int rjwt_b64_digit(unsigned char c, bool std_too)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || (std_too && c == '+'))
		return 62;
	return c == '_' || (std_too && c == '/') ? 63 : -1;
}

static size_t skip_newlines(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* Go's base64.URLEncoding decoder over a padded text: '\r' and '\n' are
 * skipped; on error *bad is the offset Go reports and -1 is returned. */
static long go_url_decode(const unsigned char *s, size_t n, unsigned char *dst, size_t *bad)
{
	size_t i = 0, o = 0;
	for (;;) {
		unsigned q[4] = {0, 0, 0, 0};
		size_t got = 0;
		bool end = false;
		while (got < 4 && !end) {
			if (i == n) {
				if (got == 0)
					return (long)o;
				*bad = i - got;
				return -1;
			}
			unsigned char c = s[i++];
			int d = rjwt_b64_digit(c, false);
			if (d >= 0) {
				q[got++] = (unsigned)d;
			} else if (c != '\r' && c != '\n') {
				if (c != '=' || got < 2) {
					*bad = i - 1;
					return -1;
				}
				if (got == 2) {
					i = skip_newlines(s, n, i);
					if (i == n || s[i] != '=') {
						*bad = i == n ? n : i - 1;
						return -1;
					}
					i++;
				}
				i = skip_newlines(s, n, i);
				if (i < n) {
					*bad = i;
					return -1;
				}
				end = true;
			}
		}
		uint32_t v = q[0] << 18 | q[1] << 12 | q[2] << 6 | q[3];
		for (size_t k = 0; k + 1 < got; k++)
			dst[o++] = (unsigned char)(v >> (16 - 8 * k));
		if (end)
			return (long)o;
	}
}

int rjwt_b64url_decode(rctx *cx, const char *s, size_t n, char **out, size_t *outn,
                       const char *what)
{
	const char *pre = what ? what : "";
	const char *sep = what ? ": " : "";
	size_t padn = 0;
	if (n > CC_REGO_MAX_BUILTIN_ELEMS)
		return rbi_oom(cx);
	if (n == 0 || s[n - 1] != '=') {
		if (n % 4 == 1)
			return rbi_err(cx, "%s%sillegal base64url string: %.*s", pre, sep, (int)n, s);
		padn = n % 4 == 0 ? 0 : 4 - n % 4;
	}
	rarena *a = rctx_arena(cx);
	unsigned char *t = rarena_alloc(a, n + padn + 1);
	char *dst = rarena_alloc(a, (n + padn) / 4 * 3 + 4);
	if (t == NULL || dst == NULL)
		return rbi_oom(cx);
	memcpy(t, s, n);
	memset(t + n, '=', padn);
	size_t bad = 0;
	long k = go_url_decode(t, n + padn, (unsigned char *)dst, &bad);
	if (k < 0)
		return rbi_err(cx, "%s%sillegal base64 data at input byte %zu", pre, sep, bad);
	dst[k] = '\0';
	*out = dst;
	*outn = (size_t)k;
	return 0;
}

char *rjwt_b64url_encode(rctx *cx, const void *p, size_t n, size_t *outn)
{
	if (n > CC_REGO_MAX_BUILTIN_ELEMS)
		return NULL;
	size_t cap = 4 * ((n + 2) / 3) + 1;
	char *o = rarena_alloc(rctx_arena(cx), cap);
	if (o == NULL)
		return NULL;
	int len = n ? EVP_EncodeBlock((unsigned char *)o, p, (int)n) : 0;
	o[len] = '\0';
	size_t m = (size_t)len;
	while (m > 0 && o[m - 1] == '=')
		m--;
	for (size_t i = 0; i < m; i++)
		o[i] = o[i] == '+' ? '-' : o[i] == '/' ? '_' : o[i];
	o[m] = '\0';
	*outn = m;
	return o;
}
