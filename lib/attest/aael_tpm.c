/* A TPM's SHA-256 PCRs as AAEL registers (aael_writer.h), through the
 * attester's tpm2-tss connection (tpm_esys.h): TPM2_PCR_Read and
 * TPM2_PCR_Extend, one connection per operation as the tpm attester. */
#include <errno.h>
#include <string.h>

#include "aael_writer.h"
#include "tpm_esys.h"

static uint32_t pcr_identity(unsigned pcr)
{
	return pcr;
}

/* Checks the arguments and connects. */
static int open_for(void *ctx, unsigned pcr, size_t len, tpm_conn *c, cc_error **err)
{
	if (pcr >= TPM_PCR_COUNT || len != TPM_SHA256_SIZE)
		return cc_error_set(err, -EINVAL, "TPM: PCR %u or size %zu out of range", pcr, len);
	return tpm_conn_open((const char *)ctx, c, err);
}

static int pcr_read(void *ctx, unsigned pcr, uint8_t *out, size_t len, cc_error **err)
{
	tpm_conn c;
	int r = open_for(ctx, pcr, len, &c, err);
	if (r < 0)
		return r;
	TPML_PCR_SELECTION sel = {.count = 1};
	sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel.pcrSelections[0].sizeofSelect = 3;
	sel.pcrSelections[0].pcrSelect[pcr / 8] = (uint8_t)(1u << (pcr % 8));
	uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE];
	r = tpm_pcr_read(&c, &sel, pcrs, err);
	if (r == 0)
		memcpy(out, pcrs[pcr], TPM_SHA256_SIZE);
	tpm_conn_close(&c);
	return r;
}

static int pcr_extend(void *ctx, unsigned pcr, const uint8_t *digest, size_t len,
                      cc_error **err)
{
	tpm_conn c;
	int r = open_for(ctx, pcr, len, &c, err);
	if (r < 0)
		return r;
	TPML_DIGEST_VALUES v = {.count = 1};
	v.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(v.digests[0].digest.sha256, digest, TPM_SHA256_SIZE);
	TSS2_RC rc = Esys_PCR_Extend(c.esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	                             ESYS_TR_NONE, &v);
	if (rc != TSS2_RC_SUCCESS)
		r = tpm_rc_error(err, &c, rc, "TPM2_PCR_Extend");
	tpm_conn_close(&c);
	return r;
}

const aael_register aael_tpm_pcr = {
	.alg = 0x000B,
	.mr_index = pcr_identity,
	.read = pcr_read,
	.extend = pcr_extend,
};
