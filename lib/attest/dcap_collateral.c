/* dcap_collateral_parse: collateral JSON in either shape (dcap.h).
 *
 * dcap-qvl's QuoteCollateralV3: tcb_info / qe_identity are strings holding
 * the exact signed JSON text, tcb_info_signature / qe_identity_signature
 * hex of raw r||s, pck_crl / root_ca_crl hex of DER, *_issuer_chain PEM.
 * PCS/PCCS bodies: tcb_info is the /tcb body {"tcbInfo": {...},
 * "signature": hex} and qe_identity the /qe/identity body
 * {"enclaveIdentity": {...}, "signature": hex}, either as JSON objects or
 * as strings holding the body text; the signed bytes are then the value's
 * exact span inside the body. CRLs may also be PEM; issuer chains may be
 * URL-encoded as in PCS's response headers. */
#include <errno.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "dcap_int.h"

void dcap_collateral_free(dcap_collateral *c)
{
	if (!c)
		return;
	free(c->tcb_info);
	free(c->qe_identity);
	free(c->pck_crl);
	free(c->root_ca_crl);
	free(c->pck_crl_issuer_chain);
	free(c->tcb_info_issuer_chain);
	free(c->qe_identity_issuer_chain);
	free(c);
}

static char *dup_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static int sig_from(json_t *v, const char *what, uint8_t sig[DCAP_SIG_LEN], cc_error **err)
{
	if (!json_is_string(v) ||
	    dcap_hex_decode(json_string_value(v), json_string_length(v), sig, DCAP_SIG_LEN) < 0)
		return cc_error_set(err, -EINVAL,
		                    "collateral: %s is not the hex of a 64-byte r||s signature", what);
	return 0;
}

/* The signed text and its signature out of a PCS body text `body`. */
static int from_body(const char *body, size_t blen, const char *field, const char *inner,
                     const char *inner2, char **ret, size_t *ret_len,
                     uint8_t sig[DCAP_SIG_LEN], cc_error **err)
{
	json_error_t je;
	json_t *doc = json_loadb(body, blen, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return cc_error_set(err, -EINVAL, "collateral: %s is not a PCS body object: %s", field,
		                    je.text);
	}
	const char *key = json_object_get(doc, inner) ? inner : inner2;
	json_t *val = key ? json_object_get(doc, key) : NULL;
	size_t off = 0, len = 0;
	int r = -EINVAL;
	if (!json_is_object(val))
		cc_error_set(err, r, "collateral: %s has no %s object", field, inner);
	else if (sig_from(json_object_get(doc, "signature"), field, sig, err) < 0)
		;
	else if (dcap_json_member_span(body, blen, key, &off, &len) < 0)
		cc_error_set(err, r, "collateral: %s: %s not found in the body text", field, inner);
	else if (!(*ret = dup_bytes(body + off, len)))
		r = cc_error_set(err, -ENOMEM, "collateral: out of memory");
	else {
		*ret_len = len;
		r = 0;
	}
	json_decref(doc);
	return r;
}

/* tcb_info (+ tcb_info_signature) or qe_identity (+ qe_identity_signature). */
static int take_signed(json_t *root, const char *text, size_t tlen, const char *field,
                       const char *sigfield, const char *inner, const char *inner2, char **ret,
                       size_t *ret_len, uint8_t sig[DCAP_SIG_LEN], cc_error **err)
{
	json_t *v = json_object_get(root, field);
	json_t *s = json_object_get(root, sigfield);
	if (json_is_string(v) && s) {
		if (sig_from(s, sigfield, sig, err) < 0)
			return -EINVAL;
		if (!(*ret = dup_bytes(json_string_value(v), json_string_length(v))))
			return cc_error_set(err, -ENOMEM, "collateral: out of memory");
		*ret_len = json_string_length(v);
		return 0;
	}
	if (s)
		return cc_error_set(err, -EINVAL, "collateral: %s with %s is not a string", sigfield,
		                    field);
	if (json_is_string(v))
		return from_body(json_string_value(v), json_string_length(v), field, inner, inner2,
		                 ret, ret_len, sig, err);
	size_t off = 0, len = 0;
	if (json_is_object(v) && dcap_json_member_span(text, tlen, field, &off, &len) == 0)
		return from_body(text + off, len, field, inner, inner2, ret, ret_len, sig, err);
	return cc_error_set(err, -EINVAL, "collateral: no %s (a string with %s, or a PCS body)",
	                    field, sigfield);
}

static int crl_from(json_t *root, const char *field, uint8_t **ret, size_t *ret_len,
                    cc_error **err)
{
	json_t *v = json_object_get(root, field);
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "collateral: no %s string", field);
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len > 2 * (size_t)CC_DCAP_MAX_CRL_BYTES + 4096)
		return cc_error_set(err, -E2BIG, "oversized %s: %zu characters", field, len);
	if (strncmp(s, "-----BEGIN X509 CRL-----", 24) == 0) {
		BIO *b = BIO_new_mem_buf(s, (int)len);
		X509_CRL *crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		unsigned char *der = NULL;
		int n = crl ? i2d_X509_CRL(crl, &der) : -1;
		X509_CRL_free(crl);
		if (n <= 0)
			return cc_error_set(err, -EINVAL, "collateral: %s is not a PEM CRL", field);
		*ret = malloc((size_t)n);
		if (*ret)
			memcpy(*ret, der, (size_t)n);
		OPENSSL_free(der);
		*ret_len = (size_t)n;
		return *ret ? 0 : cc_error_set(err, -ENOMEM, "collateral: out of memory");
	}
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len % 2 || len / 2 > CC_DCAP_MAX_CRL_BYTES)
		return cc_error_set(err, -EINVAL, "collateral: %s is neither PEM nor hex of DER (%zu characters)",
		                    field, len);
	*ret = malloc(len / 2);
	if (!*ret)
		return cc_error_set(err, -ENOMEM, "collateral: out of memory");
	if (dcap_hex_decode(s, len, *ret, len / 2) < 0)
		return cc_error_set(err, -EINVAL, "collateral: %s is neither PEM nor hex of DER", field);
	*ret_len = len / 2;
	return 0;
}

static int unpercent(const char *s, size_t len, char *out, size_t *ret_len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		uint8_t b;
		if (i + 2 >= len || dcap_hex_decode(s + i + 1, 2, &b, 1) < 0)
			return -EINVAL;
		out[o++] = (char)b;
		i += 2;
	}
	out[o] = '\0';
	*ret_len = o;
	return 0;
}

static int chain_from(json_t *root, const char *field, bool optional, char **ret,
                      cc_error **err)
{
	json_t *v = json_object_get(root, field);
	if (!v && optional)
		return 0;
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "collateral: no %s PEM string", field);
	size_t len = json_string_length(v), n = 0;
	if (len > CC_DCAP_MAX_CHAIN_PEM_BYTES * 3)
		return cc_error_set(err, -E2BIG, "oversized %s: %zu bytes", field, len);
	if (!(*ret = malloc(len + 1)))
		return cc_error_set(err, -ENOMEM, "collateral: out of memory");
	if (unpercent(json_string_value(v), len, *ret, &n) < 0 || n > CC_DCAP_MAX_CHAIN_PEM_BYTES)
		return cc_error_set(err, -EINVAL, "collateral: %s is not a (URL-encoded) PEM chain of at most %u bytes",
		                    field, CC_DCAP_MAX_CHAIN_PEM_BYTES);
	return 0;
}

static int parse_root(dcap_collateral *c, json_t *root, const char *json, size_t len,
                      cc_error **err)
{
	if (take_signed(root, json, len, "tcb_info", "tcb_info_signature", "tcbInfo", NULL,
	                &c->tcb_info, &c->tcb_info_len, c->tcb_info_sig, err) < 0 ||
	    take_signed(root, json, len, "qe_identity", "qe_identity_signature", "enclaveIdentity",
	                "qeIdentity", &c->qe_identity, &c->qe_identity_len, c->qe_identity_sig,
	                err) < 0 ||
	    crl_from(root, "pck_crl", &c->pck_crl, &c->pck_crl_len, err) < 0 ||
	    crl_from(root, "root_ca_crl", &c->root_ca_crl, &c->root_ca_crl_len, err) < 0 ||
	    chain_from(root, "tcb_info_issuer_chain", false, &c->tcb_info_issuer_chain, err) < 0 ||
	    chain_from(root, "qe_identity_issuer_chain", false, &c->qe_identity_issuer_chain, err) < 0 ||
	    chain_from(root, "pck_crl_issuer_chain", true, &c->pck_crl_issuer_chain, err) < 0)
		return -EINVAL;
	return 0;
}

int dcap_collateral_parse(const char *json, size_t len, dcap_collateral **ret, cc_error **err)
{
	if (len > CC_DCAP_MAX_COLLATERAL_BYTES)
		return cc_error_set(err, -E2BIG, "oversized collateral: %zu bytes (the cap is %u)", len,
		                    CC_DCAP_MAX_COLLATERAL_BYTES);
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		return cc_error_set(err, -EINVAL, "collateral: not a JSON object: %s (line %d)",
		                    je.text, je.line);
	}
	dcap_collateral *c = calloc(1, sizeof(*c));
	int r = c ? parse_root(c, root, json, len, err)
	          : cc_error_set(err, -ENOMEM, "collateral: out of memory");
	json_decref(root);
	if (r < 0) {
		dcap_collateral_free(c);
		return r;
	}
	*ret = c;
	return 0;
}
