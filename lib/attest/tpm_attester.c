/* The `tpm` attester: guest-components' attestation-agent/attester/src/tpm
 * in C. get_evidence zero-pads the report data to 64 bytes, quotes SHA-256
 * PCR 0..23 with the AK (RSASSA-SHA256) using it as qualifyingData, reads
 * the PCRs, and writes the evidence JSON (tpm.h). Upstream's evidence
 * carries no event log, so neither does ours. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "tpm_esys.h"

struct tpm_attester {
	attest_attester base;
	char *tcti;
	uint32_t ak_handle;
};

static const attest_attester_ops tpm_attester_ops;

static struct tpm_attester *as_tpm(attest_attester *a)
{
	return a != NULL && a->ops == &tpm_attester_ops ? (struct tpm_attester *)a : NULL;
}

/* One signed quote and the PCR values it covers. */
typedef struct signed_quote {
	TPM2B_ATTEST *quoted;
	uint8_t sig[sizeof(TPMT_SIGNATURE)];
	size_t sig_len;
	uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE];
} signed_quote;

static int quote_once(tpm_conn *c, ESYS_TR ak, const TPM2B_DATA *qd, signed_quote *q,
                      bool *ret_stale, cc_error **err)
{
	TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_RSASSA};
	scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	TPML_PCR_SELECTION sel;
	tpm_pcr_selection_all(&sel);
	TPMT_SIGNATURE *sig = NULL;
	TSS2_RC rc = Esys_Quote(c->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, qd,
	                        &scheme, &sel, &q->quoted, &sig);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc_error(err, c, rc, "TPM2_Quote");
	q->sig_len = 0;
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, q->sig, sizeof(q->sig), &q->sig_len);
	Esys_Free(sig);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc_error(err, c, rc, "marshalling the quote's signature");
	int r = tpm_pcr_read(c, &sel, q->pcrs, err);
	if (r < 0)
		return r;
	/* A PCR extended between the quote and the read would make evidence
	 * that cannot verify: compare with the digest the TPM signed. */
	TPMS_ATTEST att;
	uint8_t d[TPM_SHA256_SIZE];
	r = tpm_wire_attest(q->quoted->attestationData, q->quoted->size, &att, err);
	if (r >= 0)
		r = tpm_wire_check_quote(&att, err);
	if (r < 0)
		return cc_error_wrap(err, "TPM %s: TPM2_Quote's answer", c->name);
	if (tpm_pcrs_digest((const uint8_t(*)[TPM_SHA256_SIZE])q->pcrs, TPM_PCR_COUNT, d) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret_stale = memcmp(d, att.attested.quote.pcrDigest.buffer, sizeof(d)) != 0;
	return 0;
}

static int get_evidence(attest_attester *a, const uint8_t *report_data, size_t len,
                        char **ret_evidence, cc_error **err)
{
	struct tpm_attester *t = as_tpm(a);
	if (len > TPM_REPORT_DATA_SIZE)
		return cc_error_set(err, -EINVAL, "report data is %zu bytes, more than %u", len,
		                    TPM_REPORT_DATA_SIZE);
	TPM2B_DATA qd = {.size = TPM_REPORT_DATA_SIZE};
	if (len > 0)
		memcpy(qd.buffer, report_data, len);
	tpm_conn c;
	int r = tpm_conn_open(t->tcti, &c, err);
	if (r < 0)
		return r;
	ESYS_TR ak = ESYS_TR_NONE;
	uint8_t *ak_der = NULL;
	size_t ak_len = 0;
	r = tpm_ak_open(&c, t->ak_handle, false, &ak, &ak_der, &ak_len, err);
	signed_quote q = {0};
	bool stale = true;
	for (unsigned i = 0; r >= 0 && stale && i < CC_TPM_QUOTE_ATTEMPTS; i++) {
		Esys_Free(q.quoted);
		q.quoted = NULL;
		r = quote_once(&c, ak, &qd, &q, &stale, err);
	}
	if (r >= 0 && stale)
		r = cc_error_set(err, -EAGAIN,
		                 "TPM %s: the PCRs changed during each of %u quotes", c.name,
		                 CC_TPM_QUOTE_ATTEMPTS);
	if (r >= 0)
		r = tpm_evidence_format(ak_der, ak_len, q.quoted->attestationData, q.quoted->size,
		                        q.sig, q.sig_len, (const uint8_t(*)[TPM_SHA256_SIZE])q.pcrs,
		                        ret_evidence, err);
	Esys_Free(q.quoted);
	free(ak_der);
	if (ak != ESYS_TR_NONE)
		Esys_TR_Close(c.esys, &ak);
	tpm_conn_close(&c);
	OPENSSL_cleanse(&qd, sizeof(qd));
	return r;
}

static void attester_free(attest_attester *a)
{
	struct tpm_attester *t = as_tpm(a);
	free(t->tcti);
	free(t);
}

static const attest_attester_ops tpm_attester_ops = {
	.tee = "tpm",
	.get_evidence = get_evidence,
	.free = attester_free,
};

int tpm_attester_new(const char *tcti, uint32_t ak_handle, unsigned flags,
                     attest_attester **ret, cc_error **err)
{
	if (flags & ~(unsigned)TPM_ATTESTER_CREATE_AK)
		return cc_error_set(err, -EINVAL, "tpm_attester_new: unknown flags 0x%x", flags);
	struct tpm_attester *t = calloc(1, sizeof(*t));
	if (t == NULL || (tcti != NULL && (t->tcti = strdup(tcti)) == NULL)) {
		free(t);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	t->base.ops = &tpm_attester_ops;
	t->ak_handle = ak_handle;
	tpm_conn c;
	int r = tpm_conn_open(tcti, &c, err);
	if (r >= 0) {
		ESYS_TR ak = ESYS_TR_NONE;
		uint8_t *der = NULL;
		size_t der_len;
		r = tpm_ak_open(&c, ak_handle, flags & TPM_ATTESTER_CREATE_AK, &ak, &der, &der_len,
		                err);
		if (r >= 0)
			Esys_TR_Close(c.esys, &ak);
		free(der);
		tpm_conn_close(&c);
	}
	if (r < 0) {
		attester_free(&t->base);
		return r;
	}
	*ret = &t->base;
	return 0;
}

int tpm_attester_ak_public(attest_attester *a, uint8_t **ret_der, size_t *ret_len,
                           cc_error **err)
{
	struct tpm_attester *t = as_tpm(a);
	if (t == NULL)
		return cc_error_set(err, -EINVAL, "not a TPM attester");
	tpm_conn c;
	int r = tpm_conn_open(t->tcti, &c, err);
	if (r < 0)
		return r;
	ESYS_TR ak = ESYS_TR_NONE;
	r = tpm_ak_open(&c, t->ak_handle, false, &ak, ret_der, ret_len, err);
	if (r >= 0)
		Esys_TR_Close(c.esys, &ak);
	tpm_conn_close(&c);
	return r;
}

static int pcr_op(attest_attester *a, unsigned index, const uint8_t *extend, uint8_t *read,
                  cc_error **err)
{
	struct tpm_attester *t = as_tpm(a);
	if (t == NULL)
		return cc_error_set(err, -EINVAL, "not a TPM attester");
	if (index >= TPM_PCR_COUNT)
		return cc_error_set(err, -EINVAL, "PCR index %u out of bounds (0..%u)", index,
		                    TPM_PCR_COUNT - 1);
	tpm_conn c;
	int r = tpm_conn_open(t->tcti, &c, err);
	if (r < 0)
		return r;
	if (extend != NULL) {
		TPML_DIGEST_VALUES v = {.count = 1};
		v.digests[0].hashAlg = TPM2_ALG_SHA256;
		memcpy(v.digests[0].digest.sha256, extend, TPM_SHA256_SIZE);
		TSS2_RC rc = Esys_PCR_Extend(c.esys, ESYS_TR_PCR0 + index, ESYS_TR_PASSWORD,
		                             ESYS_TR_NONE, ESYS_TR_NONE, &v);
		if (rc != TSS2_RC_SUCCESS)
			r = tpm_rc_error(err, &c, rc, "TPM2_PCR_Extend");
	} else {
		TPML_PCR_SELECTION sel;
		uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE];
		tpm_pcr_selection_all(&sel);
		memset(sel.pcrSelections[0].pcrSelect, 0, 3);
		sel.pcrSelections[0].pcrSelect[index / 8] = (uint8_t)(1u << (index % 8));
		r = tpm_pcr_read(&c, &sel, pcrs, err);
		if (r >= 0)
			memcpy(read, pcrs[index], TPM_SHA256_SIZE);
	}
	tpm_conn_close(&c);
	return r;
}

int tpm_attester_extend_pcr(attest_attester *a, unsigned index, const uint8_t digest[32],
                            cc_error **err)
{
	return pcr_op(a, index, digest, NULL, err);
}

int tpm_attester_read_pcr(attest_attester *a, unsigned index, uint8_t ret[32], cc_error **err)
{
	return pcr_op(a, index, NULL, ret, err);
}
