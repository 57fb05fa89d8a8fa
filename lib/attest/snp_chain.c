/* Certificates and signatures of the snp verifier (snp_int.h): the
 * ARK -> ASK/ASVK -> VCEK/VLEK chain through OpenSSL's chain verification
 * with the ARK as the only trust anchor, AMD's RSA-PSS parameters, an
 * optional CRL, the VCEK's AMD extensions and the report's ECDSA P-384
 * signature. */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <string.h>

#include "snp_int.h"

X509 *snp_x509_parse(const uint8_t *p, size_t len)
{
	if (len == 0 || len > CC_SNP_MAX_CERT_BYTES)
		return NULL;
	const unsigned char *q = p;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	if (x != NULL) {
		if (q != p + len) { /* trailing bytes after the DER */
			X509_free(x);
			return NULL;
		}
		return x;
	}
	ERR_clear_error();
	BIO *b = BIO_new_mem_buf(p, (int)len);
	if (b == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	return x;
}

static int algor_nid(const X509_ALGOR *a)
{
	const ASN1_OBJECT *obj;
	X509_ALGOR_get0(&obj, NULL, NULL, a);
	return OBJ_obj2nid(obj);
}

/* RSASSA-PSS-params: hash SHA-384, MGF1 with SHA-384, salt 48 (trailer 1). */
static bool pss_params_ok(const X509_ALGOR *alg)
{
	int ptype;
	const void *pval;
	const ASN1_OBJECT *obj;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) != NID_rsassaPss || ptype != V_ASN1_SEQUENCE)
		return false;
	const ASN1_STRING *seq = pval;
	const unsigned char *q = ASN1_STRING_get0_data(seq);
	RSA_PSS_PARAMS *pss = d2i_RSA_PSS_PARAMS(NULL, &q, ASN1_STRING_length(seq));
	if (pss == NULL)
		return false;
	bool ok = pss->hashAlgorithm != NULL && algor_nid(pss->hashAlgorithm) == NID_sha384 &&
	          pss->maskGenAlgorithm != NULL && algor_nid(pss->maskGenAlgorithm) == NID_mgf1 &&
	          pss->saltLength != NULL && ASN1_INTEGER_get(pss->saltLength) == 48 &&
	          (pss->trailerField == NULL || ASN1_INTEGER_get(pss->trailerField) == 1);
	if (ok) {
		int mptype;
		const void *mpval;
		X509_ALGOR_get0(NULL, &mptype, &mpval, pss->maskGenAlgorithm);
		ok = mptype == V_ASN1_SEQUENCE;
		if (ok) {
			const ASN1_STRING *ms = mpval;
			const unsigned char *mq = ASN1_STRING_get0_data(ms);
			X509_ALGOR *mh = d2i_X509_ALGOR(NULL, &mq, ASN1_STRING_length(ms));
			ok = mh != NULL && algor_nid(mh) == NID_sha384;
			X509_ALGOR_free(mh);
		}
	}
	RSA_PSS_PARAMS_free(pss);
	return ok;
}

int snp_check_pss(X509 *x, const char *what, cc_error **err)
{
	const X509_ALGOR *outer, *inner = X509_get0_tbs_sigalg(x);
	X509_get0_signature(NULL, &outer, x);
	if (!pss_params_ok(outer) || !pss_params_ok(inner))
		return cc_error_set(err, -EKEYREJECTED,
		                    "%s is not signed with RSA-PSS SHA-384, MGF1 SHA-384, salt 48",
		                    what);
	return 0;
}

static const char *subject_cn(X509 *x, char *buf, size_t n)
{
	buf[0] = '\0';
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)n) < 0)
		snprintf(buf, n, "(no CN)");
	return buf;
}

/* The CRL: signed by the ARK or the ASK/ASVK, within its window at `at`,
 * and none of the chain's certificates listed. */
static int check_crl(X509_CRL *crl, X509 *ark, X509 *ca, X509 *vek, int64_t at,
                     cc_error **err)
{
	EVP_PKEY *ark_key = X509_get0_pubkey(ark), *ca_key = X509_get0_pubkey(ca);
	X509 *issuer = NULL;
	if (ark_key != NULL && X509_CRL_verify(crl, ark_key) == 1)
		issuer = ark;
	else if (ca_key != NULL && X509_CRL_verify(crl, ca_key) == 1)
		issuer = ca;
	ERR_clear_error();
	if (issuer == NULL)
		return cc_error_set(err, -EKEYREJECTED,
		                    "CRL signature: the CRL is signed by neither the ARK nor the ASK");
	time_t t = at != 0 ? (time_t)at : time(NULL);
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &t) > 0)
		return cc_error_set(err, -EKEYEXPIRED, "CRL not yet valid: thisUpdate is after %lld",
		                    (long long)t);
	if (next == NULL || X509_cmp_time(next, &t) < 0)
		return cc_error_set(err, -EKEYEXPIRED, "CRL expired: nextUpdate is before %lld",
		                    (long long)t);
	X509 *certs[2] = {ca, vek};
	for (size_t i = 0; i < 2; i++) {
		X509_REVOKED *rev = NULL;
		/* Only entries of this issuer's CRL concern a certificate it issued. */
		if (X509_NAME_cmp(X509_get_issuer_name(certs[i]), X509_get_subject_name(issuer)) != 0)
			continue;
		if (X509_CRL_get0_by_cert(crl, &rev, certs[i]) == 1) {
			char cn[64];
			return cc_error_set(err, -EKEYREVOKED, "certificate revoked: %s is on the CRL",
			                    subject_cn(certs[i], cn, sizeof(cn)));
		}
	}
	return 0;
}

int snp_chain_verify(X509 *ark, X509 *ca, X509 *vek, X509_CRL *crl, int64_t at,
                     const char *what, cc_error **err)
{
	const char *ca_name = strcmp(what, "VLEK") == 0 ? "ASVK" : "ASK";
	char cn[64];
	int r;
	if ((r = snp_check_pss(ark, "ARK", err)) < 0 || (r = snp_check_pss(ca, ca_name, err)) < 0 ||
	    (r = snp_check_pss(vek, what, err)) < 0)
		return cc_error_wrap(err, "%s chain", what);
	EVP_PKEY *ark_key = X509_get0_pubkey(ark);
	if (ark_key == NULL || X509_verify(ark, ark_key) != 1) {
		ERR_clear_error();
		return cc_error_set(err, -EKEYREJECTED, "%s chain: the ARK is not self-signed", what);
	}
	EVP_PKEY *ca_key = X509_get0_pubkey(ca);
	if (X509_verify(ca, ark_key) != 1) {
		ERR_clear_error();
		return cc_error_set(err, -EKEYREJECTED, "%s chain: %s is not signed by the ARK",
		                    what, ca_name);
	}
	if (ca_key == NULL || X509_verify(vek, ca_key) != 1) {
		ERR_clear_error();
		char ca_cn[64];
		return cc_error_set(err, -EKEYREJECTED, "%s chain: %s '%s' is not signed by %s '%s'",
		                    what, what, subject_cn(vek, cn, sizeof(cn)), ca_name,
		                    subject_cn(ca, ca_cn, sizeof(ca_cn)));
	}
	/* The same chain through OpenSSL's path validation: names, CA flags,
	 * key usage and every certificate's validity window at `at`. */
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	r = -ENOMEM;
	if (store != NULL && ctx != NULL && untrusted != NULL && X509_STORE_add_cert(store, ark) &&
	    sk_X509_push(untrusted, ca) > 0 && X509_STORE_CTX_init(ctx, store, vek, untrusted)) {
		if (at != 0)
			X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
		if (X509_verify_cert(ctx) == 1) {
			r = 0;
		} else {
			int e = X509_STORE_CTX_get_error(ctx);
			X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
			r = cc_error_set(err, -EKEYREJECTED, "%s chain: %s: %s", what,
			                 bad != NULL ? subject_cn(bad, cn, sizeof(cn)) : "?",
			                 X509_verify_cert_error_string(e));
		}
	}
	if (r == -ENOMEM)
		cc_error_set(err, r, "%s chain: out of memory", what);
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	if (r == 0 && crl != NULL)
		r = check_crl(crl, ark, ca, vek, at, err);
	return r;
}

/* The extension's value once: NULL when missing, -EINVAL (set) when twice. */
static int ext_value(X509 *x, const char *oid, const ASN1_OCTET_STRING **ret, cc_error **err)
{
	*ret = NULL;
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	if (obj == NULL)
		return cc_error_set(err, -ENOMEM, "VEK extensions: out of memory");
	int i = X509_get_ext_by_OBJ(x, obj, -1);
	int j = i >= 0 ? X509_get_ext_by_OBJ(x, obj, i) : -1;
	ASN1_OBJECT_free(obj);
	if (j >= 0)
		return cc_error_set(err, -EINVAL, "TCB binding: extension %s appears twice", oid);
	if (i >= 0)
		*ret = X509_EXTENSION_get_data(X509_get_ext(x, i));
	return 0;
}

static int ext_spl(X509 *x, const char *oid, const char *name, bool required, bool *has,
                   uint8_t *ret, cc_error **err)
{
	const ASN1_OCTET_STRING *v;
	int r = ext_value(x, oid, &v, err);
	if (r < 0)
		return r;
	*has = v != NULL;
	if (v == NULL)
		return required ? cc_error_set(err, -EINVAL, "TCB binding: the VEK has no %s (%s)",
		                               name, oid)
		                : 0;
	const unsigned char *q = ASN1_STRING_get0_data(v);
	int len = ASN1_STRING_length(v);
	ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &q, len);
	int64_t val = -1;
	bool ok = ai != NULL && q == ASN1_STRING_get0_data(v) + len &&
	          ASN1_INTEGER_get_int64(&val, ai) == 1 && val >= 0 && val <= 255;
	ASN1_INTEGER_free(ai);
	ERR_clear_error();
	if (!ok)
		return cc_error_set(err, -EINVAL, "TCB binding: the VEK's %s is not an integer 0..255",
		                    name);
	*ret = (uint8_t)val;
	return 0;
}

int snp_vek_extensions(X509 *vek, snp_vek_ext *ret, cc_error **err)
{
	memset(ret, 0, sizeof(*ret));
	bool has;
	int r;
	if ((r = ext_spl(vek, "1.3.6.1.4.1.3704.1.3.1", "blSPL", true, &has, &ret->bl, err)) < 0 ||
	    (r = ext_spl(vek, "1.3.6.1.4.1.3704.1.3.2", "teeSPL", true, &has, &ret->tee, err)) < 0 ||
	    (r = ext_spl(vek, "1.3.6.1.4.1.3704.1.3.3", "snpSPL", true, &has, &ret->snp, err)) < 0 ||
	    (r = ext_spl(vek, "1.3.6.1.4.1.3704.1.3.8", "ucodeSPL", true, &has, &ret->ucode,
	                 err)) < 0 ||
	    (r = ext_spl(vek, "1.3.6.1.4.1.3704.1.3.9", "fmcSPL", false, &ret->has_fmc, &ret->fmc,
	                 err)) < 0)
		return r;
	const ASN1_OCTET_STRING *hw;
	if ((r = ext_value(vek, "1.3.6.1.4.1.3704.1.4", &hw, err)) < 0)
		return cc_error_wrap(err, "chip_id binding");
	if (hw == NULL)
		return 0;
	const unsigned char *p = ASN1_STRING_get0_data(hw);
	size_t len = (size_t)ASN1_STRING_length(hw);
	/* Raw (64 bytes; Turin 8) or a DER OCTET STRING around them. */
	if (len == 64 || len == 8) {
		memcpy(ret->hwid, p, len);
		ret->hwid_len = len;
	} else {
		const unsigned char *q = p;
		ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)len);
		size_t olen = os != NULL ? (size_t)ASN1_STRING_length(os) : 0;
		bool ok = os != NULL && q == p + len && (olen == 64 || olen == 8);
		if (ok) {
			memcpy(ret->hwid, ASN1_STRING_get0_data(os), olen);
			ret->hwid_len = olen;
		}
		ASN1_OCTET_STRING_free(os);
		ERR_clear_error();
		if (!ok)
			return cc_error_set(err, -EINVAL,
			                    "chip_id binding: the VCEK's hwID is neither 64 (8) bytes "
			                    "nor an OCTET STRING of them");
	}
	ret->has_hwid = true;
	return 0;
}

int snp_report_verify_sig(const snp_report *r, X509 *vek, cc_error **err)
{
	if (r->sig_algo != SNP_SIG_ALGO_ECDSA_P384_SHA384)
		return cc_error_set(err, -EINVAL,
		                    "report signature: sig_algo %u is not ECDSA P-384 with SHA-384",
		                    r->sig_algo);
	EVP_PKEY *key = X509_get0_pubkey(vek);
	char group[32] = "";
	size_t glen = 0;
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &glen) ||
	    strcmp(group, "secp384r1") != 0) {
		ERR_clear_error();
		return cc_error_set(err, -EKEYREJECTED, "report signature: the VEK's key is not P-384");
	}
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = BN_lebin2bn(r->sig_r, 72, NULL), *bs = BN_lebin2bn(r->sig_s, 72, NULL);
	unsigned char *der = NULL;
	int der_len = -1, ok = 0;
	if (sig != NULL && br != NULL && bs != NULL && ECDSA_SIG_set0(sig, br, bs) == 1) {
		br = bs = NULL;
		der_len = i2d_ECDSA_SIG(sig, &der);
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (der_len > 0 && md != NULL &&
	    EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key) == 1)
		ok = EVP_DigestVerify(md, der, (size_t)der_len, r->raw, SNP_SIGNED_SIZE);
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	if (ok != 1)
		return cc_error_set(err, -EKEYREJECTED,
		                    "report signature: the report is not signed by the VEK");
	return 0;
}
