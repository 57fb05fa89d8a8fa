/* x509 builtins (OPA v1/topdown/crypto.go): crypto.x509.parse_certificates,
 * parse_and_verify_certificates, parse_certificate_request and
 * parse_keypair. Inputs are PEM, or base64 of PEM or DER, decided as OPA
 * does (a "-----BEGIN" prefix); DER is parsed by OpenSSL, chains are
 * verified by OpenSSL's X509_verify_cert with the first certificate as the
 * only root and the last as the leaf, as OPA's verifyX509CertificateChain.
 * Error texts follow Go's where the conformance suite checks them. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "../rctx.h"
#include "crypto_int.h"

/* Most certificates one input may hold. */
#define X509_MAX_CERTS ((int)CC_REGO_CRYPTO_MAX_CERTS)

static bool has_begin(const char *s, size_t n)
{
	return n >= 10 && memcmp(s, "-----BEGIN", 10) == 0;
}

/* Concatenated DER certificates to X509s (Go's x509.ParseCertificates). */
static int parse_der_certs(rctx *cx, const unsigned char *p, size_t n, STACK_OF(X509) *out)
{
	while (n > 0) {
		if (sk_X509_num(out) >= X509_MAX_CERTS)
			return rbi_limit(cx, "more than %d certificates", X509_MAX_CERTS);
		const unsigned char *q = p;
		X509 *x = d2i_X509(NULL, &q, (long)n);
		ERR_clear_error();
		if (x == NULL)
			return rbi_err(cx, "x509: malformed certificate");
		const char *over = rcr_cert_over_cap(x);
		if (over != NULL) {
			X509_free(x);
			return rbi_limit(cx, "certificate %s has more than %d items", over,
			                 (int)CC_REGO_CRYPTO_MAX_CERT_ITEMS);
		}
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			return rbi_oom(cx);
		}
		n -= (size_t)(q - p);
		p = q;
	}
	return 0;
}

/* getX509CertsFromPem: CERTIFICATE blocks only, their DER joined. */
static int parse_pem_certs(rctx *cx, const char *s, size_t n, STACK_OF(X509) *out)
{
	size_t off = 0;
	struct rcr_pem blk;
	int r;
	while ((r = rcr_pem_next(cx, s, n, &off, &blk)) > 0) {
		if (strcmp(blk.type, "CERTIFICATE") != 0)
			return rbi_err(cx, "PEM block type is '%s', expected CERTIFICATE", blk.type);
		r = parse_der_certs(cx, blk.der, blk.len, out);
		if (r < 0)
			return r;
	}
	return r;
}

/* getX509CertsFromString. The stack is the caller's (freed with
 * sk_X509_pop_free whatever this returns). */
static int read_certs(rctx *cx, const char *s, size_t n, STACK_OF(X509) *out)
{
	if (n > RCR_MAX_INPUT)
		return rbi_limit(cx, "input is larger than %zu bytes", RCR_MAX_INPUT);
	if (has_begin(s, n))
		return parse_pem_certs(cx, s, n, out);
	unsigned char *der;
	size_t len;
	int r = rcr_b64_decode(cx, s, n, &der, &len);
	if (r < 0)
		return r;
	if (has_begin((const char *)der, len))
		return parse_pem_certs(cx, (const char *)der, len, out);
	return parse_der_certs(cx, der, len, out);
}

static const rv *certs_value(rarena *a, STACK_OF(X509) *certs)
{
	int n = sk_X509_num(certs);
	const rv *vals[X509_MAX_CERTS];
	for (int i = 0; i < n && i < X509_MAX_CERTS; i++)
		if ((vals[i] = rcr_cert_value(a, sk_X509_value(certs, i))) == NULL)
			return NULL;
	return n ? rv_arr(a, vals, (size_t)n) : rv_empty_arr();
}

int rcr_x509_parse_certificates(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	STACK_OF(X509) *certs = sk_X509_new_null();
	if (certs == NULL)
		return rbi_oom(cx);
	r = read_certs(cx, s, n, certs);
	const rv *v = r < 0 ? NULL : certs_value(rctx_arena(cx), certs);
	sk_X509_pop_free(certs, X509_free);
	if (r < 0)
		return r;
	if (v == NULL)
		return rbi_oom(cx);
	*ret = v;
	return 0;
}

/* The verified chain, leaf first (Go's chains[0]); NULL if it does not
 * verify. The first certificate is the root, the last the leaf. */
static STACK_OF(X509) *verify_chain(STACK_OF(X509) *certs)
{
	int n = sk_X509_num(certs);
	if (n < 2)
		return NULL;
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *inter = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = NULL;
	bool ok = store && inter && ctx && X509_STORE_add_cert(store, sk_X509_value(certs, 0));
	for (int i = 1; ok && i < n - 1; i++)
		ok = sk_X509_push(inter, sk_X509_value(certs, i)) > 0;
	if (ok && X509_STORE_CTX_init(ctx, store, sk_X509_value(certs, n - 1), inter)) {
		/* Go checks ExtKeyUsageServerAuth by default (VerifyOptions
		 * with no KeyUsages). */
		X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
		/* Go trusts any certificate of its root pool as an anchor, not
		 * only self-signed ones. */
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
		if (X509_verify_cert(ctx) == 1)
			chain = X509_STORE_CTX_get1_chain(ctx);
	}
	X509_STORE_CTX_free(ctx);
	sk_X509_free(inter);
	X509_STORE_free(store);
	ERR_clear_error();
	return chain;
}

int rcr_x509_parse_and_verify(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	rarena *a = rctx_arena(cx);
	STACK_OF(X509) *certs = sk_X509_new_null();
	if (certs == NULL)
		return rbi_oom(cx);
	/* A parse failure is [false, []], not an error: the error the parser
	 * recorded is dropped (out of memory is still one). */
	STACK_OF(X509) *chain = NULL;
	const rv *v = rv_empty_arr();
	bool valid = false;
	r = read_certs(cx, s, n, certs);
	if (r < 0 && rarena_failure(a) == 0) {
		cc_error_free(cx->err);
		cx->err = NULL;
	} else if (r < 0) {
		sk_X509_pop_free(certs, X509_free);
		return r;
	}
	if (r == 0 && (chain = verify_chain(certs)) != NULL) {
		v = certs_value(a, chain);
		valid = true;
	}
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(certs, X509_free);
	if (v == NULL)
		return rbi_oom(cx);
	const rv *pair[2] = {rv_bool(valid), v};
	*ret = rv_arr(a, pair, 2);
	return *ret ? 0 : rbi_oom(cx);
}

/* crypto.x509.parse_certificate_request(csr) */
int rcr_x509_parse_csr(rctx *cx, const rv *const *args, const rv **ret)
{
	static const char begin[] = "-----BEGIN CERTIFICATE REQUEST-----";
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	if (n > RCR_MAX_INPUT)
		return rbi_limit(cx, "input is larger than %zu bytes", RCR_MAX_INPUT);
	const unsigned char *der = (const unsigned char *)s;
	size_t len = n;
	if (n < sizeof(begin) - 1 || memcmp(s, begin, sizeof(begin) - 1) != 0) {
		unsigned char *dec;
		r = rcr_b64_decode(cx, s, n, &dec, &len);
		if (r < 0)
			return r;
		der = dec;
	}
	size_t off = 0;
	struct rcr_pem blk;
	r = rcr_pem_next(cx, (const char *)der, len, &off, &blk);
	if (r < 0)
		return r;
	if (r > 0 && strcmp(blk.type, "CERTIFICATE REQUEST") != 0)
		return rbi_err(cx, "invalid PEM-encoded certificate signing request");
	if (r > 0) {
		der = blk.der;
		len = blk.len;
	}
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	ERR_clear_error();
	if (req == NULL)
		return rbi_err(cx, "asn1: structure error: malformed certificate request");
	if ((size_t)(p - der) != len) {
		X509_REQ_free(req);
		return rbi_err(cx, "x509: trailing data after X.509 Certificate Request");
	}
	const rv *v = rcr_csr_value(rctx_arena(cx), req);
	X509_REQ_free(req);
	if (v == NULL)
		return rbi_oom(cx);
	*ret = v;
	return 0;
}

/* One operand of parse_keypair as PEM text or DER (getTLSx509KeyPairFromString). */
static int keypair_input(rctx *cx, const char *s, size_t n, const unsigned char **out, size_t *outn, bool *pem)
{
	if (n > RCR_MAX_INPUT)
		return rbi_limit(cx, "input is larger than %zu bytes", RCR_MAX_INPUT);
	*out = (const unsigned char *)s;
	*outn = n;
	if (!has_begin(s, n)) {
		unsigned char *dec;
		int r = rcr_b64_decode(cx, s, n, &dec, outn);
		if (r < 0)
			return r;
		*out = dec;
	}
	*pem = has_begin((const char *)*out, *outn);
	return 0;
}

/* The certificates of tls.X509KeyPair's certificate input (DER copies in
 * the arena) and the key of its key input. */
static int keypair_read(rctx *cx, const unsigned char *c, size_t cn, bool cpem, const unsigned char *k,
                        size_t kn, bool kpem, rvec *ders, STACK_OF(X509) *certs, EVP_PKEY **key)
{
	rarena *a = rctx_arena(cx);
	struct rcr_pem blk;
	size_t off = 0;
	int r = 1;
	while (r > 0 && sk_X509_num(certs) < X509_MAX_CERTS) {
		if (cpem) {
			r = rcr_pem_next(cx, (const char *)c, cn, &off, &blk);
			if (r <= 0)
				break;
			if (strcmp(blk.type, "CERTIFICATE") != 0)
				continue;
		} else {
			blk.der = (unsigned char *)c;
			blk.len = cn;
			r = 0;
		}
		if (rvec_push(ders, rcr_bytes(a, blk.der, blk.len)) < 0 || ders->v[ders->n - 1] == NULL)
			return rbi_oom(cx);
		if (parse_der_certs(cx, blk.der, blk.len, certs) < 0)
			return rbi_err(cx, "x509: malformed certificate");
	}
	if (r < 0)
		return r;
	if (ders->n == 0)
		return rbi_err(cx, "tls: failed to find any PEM data in certificate input");
	const unsigned char *der = k;
	size_t dlen = kn;
	if (kpem) {
		off = 0;
		do {
			r = rcr_pem_next(cx, (const char *)k, kn, &off, &blk);
		} while (r > 0 && !(strcmp(blk.type, "PRIVATE KEY") == 0 ||
		                    (strlen(blk.type) > 12 && strcmp(blk.type + strlen(blk.type) - 12, " PRIVATE KEY") == 0)));
		if (r < 0)
			return r;
		if (r == 0)
			return rbi_err(cx, "tls: failed to find any PEM data in key input");
		der = blk.der;
		dlen = blk.len;
	}
	*key = rcr_decode_key(der, dlen, NULL, NULL);
	if (*key == NULL)
		return rbi_err(cx, "tls: failed to parse private key");
	if (X509_check_private_key(sk_X509_value(certs, 0), *key) != 1) {
		ERR_clear_error();
		return rbi_err(cx, "tls: private key does not match public key");
	}
	return 0;
}

/* crypto.x509.parse_keypair(cert, key): Go's tls.Certificate. */
int rcr_x509_parse_keypair(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *cs, *ks;
	size_t cn, kn;
	int r = rbi_arg_str(cx, args, 0, &cs, &cn);
	if (r < 0)
		return r;
	r = rbi_arg_str(cx, args, 1, &ks, &kn);
	if (r < 0)
		return r;
	const unsigned char *c, *k;
	bool cpem, kpem;
	r = keypair_input(cx, cs, cn, &c, &cn, &cpem);
	if (r < 0)
		return r;
	r = keypair_input(cx, ks, kn, &k, &kn, &kpem);
	if (r < 0)
		return r;
	rarena *a = rctx_arena(cx);
	rvec ders;
	rvec_init(&ders, a);
	STACK_OF(X509) *certs = sk_X509_new_null();
	EVP_PKEY *key = NULL;
	if (certs == NULL)
		return rbi_oom(cx);
	r = keypair_read(cx, c, cn, cpem, k, kn, kpem, &ders, certs, &key);
	const rv *pk = r < 0 ? NULL : rcr_privkey_value(a, key);
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	if (r < 0)
		return r;
	struct rcr_ob o;
	rcr_ob_init(&o, a);
	rcr_ob_put(&o, "Certificate", rvec_to_arr(&ders));
	rcr_ob_put(&o, "PrivateKey", pk);
	rcr_ob_put(&o, "SupportedSignatureAlgorithms", rv_null());
	rcr_ob_put(&o, "OCSPStaple", rv_null());
	rcr_ob_put(&o, "SignedCertificateTimestamps", rv_null());
	rcr_ob_put(&o, "Leaf", rv_null());
	*ret = rcr_ob_done(&o);
	return *ret ? 0 : rbi_oom(cx);
}
