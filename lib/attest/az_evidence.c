/* The Azure vTPM evidence JSON (az_int.h), versions 0, 1 and 2, as
 * Trustee's az_{snp,tdx}_vtpm/compat.rs reads them. Upstream tries the
 * versions in turn (serde untagged: v2, v1, v0), so a "version" member
 * that is neither 1 nor 2 falls through to v0, which ignores it; here a
 * "version" must be 1 or 2 and its absence means v0 (docs/attest-azure.md). */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "az_int.h"

void az_evidence_free(az_evidence *e)
{
	if (e == NULL)
		return;
	free(e->hcl_report);
	free(e->message);
	free(e->signature);
	free(e->vcek);
	free(e->td_quote);
	free(e);
}

static const json_t *member(const json_t *o, const char *key, const char *where, cc_error **err)
{
	const json_t *v = json_object_get(o, key);
	if (v == NULL)
		cc_error_set(err, -EINVAL, "%s: missing \"%s\"", where, key);
	return v;
}

static int str_member(const json_t *o, const char *key, const char *where, const char **ret,
                      size_t *ret_len, cc_error **err)
{
	const json_t *v = member(o, key, where, err);
	if (v == NULL)
		return -EINVAL;
	if (!json_is_string(v))
		return cc_error_set(err, -EINVAL, "%s: \"%s\" is not a string", where, key);
	*ret = json_string_value(v);
	*ret_len = json_string_length(v);
	return 0;
}

static int b64url_member(const json_t *o, const char *key, size_t max, uint8_t **ret,
                         size_t *ret_len, cc_error **err)
{
	const char *s;
	size_t n;
	int r = str_member(o, key, "evidence", &s, &n, err);
	return r < 0 ? r : az_b64url_decode(s, n, max, ret, ret_len, key, err);
}

static int hex_member(const json_t *o, const char *key, uint8_t **ret, size_t *ret_len,
                      cc_error **err)
{
	const char *s;
	size_t n;
	int r = str_member(o, key, "tpm_quote", &s, &n, err);
	return r < 0 ? r
	             : az_hex_decode(s, n, CC_TPM_MAX_FIELD_BYTES, ret, ret_len,
	                             key[0] == 's' ? "tpm_quote.signature" : "tpm_quote.message",
	                             err);
}

/* "pcrs": 24 SHA-256 values, hex strings (v1, v2) or byte arrays (v0). */
static int parse_pcrs(const json_t *q, bool hex, az_evidence *e, cc_error **err)
{
	const json_t *a = member(q, "pcrs", "tpm_quote", err);
	if (a == NULL)
		return -EINVAL;
	if (!json_is_array(a) || json_array_size(a) != AZ_PCR_COUNT)
		return cc_error_set(err, -EINVAL, "tpm_quote.pcrs: expected an array of %u PCRs",
		                    AZ_PCR_COUNT);
	for (size_t i = 0; i < AZ_PCR_COUNT; i++) {
		const json_t *v = json_array_get(a, i);
		uint8_t *b = NULL;
		size_t n = 0;
		int r;
		if (hex && !json_is_string(v))
			r = cc_error_set(err, -EINVAL, "tpm_quote.pcrs[%zu]: not a string", i);
		else if (hex)
			r = az_hex_decode(json_string_value(v), json_string_length(v), AZ_PCR_SIZE, &b,
			                  &n, "tpm_quote.pcrs[]", err);
		else
			r = az_u8_array(v, AZ_PCR_SIZE, &b, &n, "tpm_quote.pcrs[]", err);
		if (r == 0 && n != AZ_PCR_SIZE)
			r = cc_error_set(err, -EINVAL, "tpm_quote.pcrs[%zu]: %zu bytes, not %u", i, n,
			                 AZ_PCR_SIZE);
		if (r == 0)
			memcpy(e->pcrs[i], b, AZ_PCR_SIZE);
		free(b);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_tpm_quote(const json_t *q, bool hex, az_evidence *e, cc_error **err)
{
	if (!json_is_object(q))
		return cc_error_set(err, -EINVAL, "evidence: the TPM quote is not an object");
	int r;
	if (hex) {
		r = hex_member(q, "signature", &e->signature, &e->signature_len, err);
		if (r == 0)
			r = hex_member(q, "message", &e->message, &e->message_len, err);
	} else {
		const json_t *s = member(q, "signature", "quote", err), *m = NULL;
		r = s == NULL ? -EINVAL
		              : az_u8_array(s, CC_TPM_MAX_FIELD_BYTES, &e->signature,
		                            &e->signature_len, "quote.signature", err);
		if (r == 0 && (m = member(q, "message", "quote", err)) == NULL)
			r = -EINVAL;
		if (r == 0)
			r = az_u8_array(m, CC_TPM_MAX_FIELD_BYTES, &e->message, &e->message_len,
			                "quote.message", err);
	}
	return r < 0 ? r : parse_pcrs(q, hex, e, err);
}

static int u8_member(const json_t *o, const char *key, size_t max, uint8_t **ret,
                     size_t *ret_len, cc_error **err)
{
	const json_t *v = member(o, key, "evidence", err);
	return v == NULL ? -EINVAL : az_u8_array(v, max, ret, ret_len, key, err);
}

/* v0's VCEK: one PEM certificate, kept as DER. */
static int vcek_from_pem(const char *pem, size_t len, az_evidence *e, cc_error **err)
{
	if (len > CC_AZ_MAX_VCEK_BYTES * 2)
		return cc_error_set(err, -E2BIG, "oversized: vcek PEM is %zu bytes", len);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	if (x == NULL)
		return cc_error_set(err, -EINVAL, "vcek: not a PEM certificate");
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	X509_free(x);
	if (n <= 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	e->vcek = malloc((size_t)n);
	if (e->vcek != NULL) {
		memcpy(e->vcek, der, (size_t)n);
		e->vcek_len = (size_t)n;
	}
	OPENSSL_free(der);
	return e->vcek != NULL ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
}

static int parse_v0(enum az_tee tee, const json_t *ev, az_evidence *e, cc_error **err)
{
	const json_t *q = member(ev, tee == AZ_TEE_SNP ? "quote" : "tpm_quote", "evidence", err);
	int r = q == NULL ? -EINVAL : parse_tpm_quote(q, false, e, err);
	if (r == 0)
		r = u8_member(ev, tee == AZ_TEE_SNP ? "report" : "hcl_report",
		              CC_AZ_MAX_HCL_REPORT_BYTES, &e->hcl_report, &e->hcl_report_len, err);
	if (r == 0 && tee == AZ_TEE_TDX)
		r = u8_member(ev, "td_quote", CC_AZ_MAX_TD_QUOTE_BYTES, &e->td_quote,
		              &e->td_quote_len, err);
	if (r == 0 && tee == AZ_TEE_SNP) {
		const char *pem;
		size_t n;
		r = str_member(ev, "vcek", "evidence", &pem, &n, err);
		if (r == 0)
			r = vcek_from_pem(pem, n, e, err);
	}
	return r;
}

static int parse_v12(enum az_tee tee, const json_t *ev, az_evidence *e, cc_error **err)
{
	const json_t *q = member(ev, "tpm_quote", "evidence", err);
	int r = q == NULL ? -EINVAL : parse_tpm_quote(q, true, e, err);
	if (r == 0)
		r = b64url_member(ev, "hcl_report", CC_AZ_MAX_HCL_REPORT_BYTES, &e->hcl_report,
		                  &e->hcl_report_len, err);
	if (r == 0 && tee == AZ_TEE_SNP)
		r = b64url_member(ev, "vcek", CC_AZ_MAX_VCEK_BYTES, &e->vcek, &e->vcek_len, err);
	if (r == 0 && tee == AZ_TEE_TDX)
		r = b64url_member(ev, "td_quote", CC_AZ_MAX_TD_QUOTE_BYTES, &e->td_quote,
		                  &e->td_quote_len, err);
	return r;
}

int az_evidence_parse(enum az_tee tee, const json_t *ev, az_evidence **ret, cc_error **err)
{
	if (!json_is_object(ev))
		return cc_error_set(err, -EINVAL, "evidence: not a JSON object");
	az_evidence *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	const json_t *ver = json_object_get(ev, "version");
	int r = 0;
	if (ver == NULL)
		e->version = 0;
	else if (json_is_integer(ver) &&
	         (json_integer_value(ver) == 1 || json_integer_value(ver) == 2))
		e->version = (int)json_integer_value(ver);
	else
		r = cc_error_set(err, -EINVAL, "evidence: \"version\" must be 1 or 2 (or absent: 0)");
	if (r == 0)
		r = e->version == 0 ? parse_v0(tee, ev, e, err) : parse_v12(tee, ev, e, err);
	if (r < 0) {
		az_evidence_free(e);
		return r;
	}
	*ret = e;
	return 0;
}
