/* ESAPI connections and PCR reads for the TPM attester. A connection lives
 * for one operation: a TPM behind swtpm's socket serves one client at a
 * time, and a guest's /dev/tpmrm0 is shared with other tools. */
#include <errno.h>
#include <string.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "tpm_esys.h"

int tpm_rc_error(cc_error **err, const tpm_conn *c, TSS2_RC rc, const char *what)
{
	return cc_error_set(err, -EIO, "TPM %s: %s: %s", c->name, what, Tss2_RC_Decode(rc));
}

int tpm_conn_open(const char *tcti, tpm_conn *c, cc_error **err)
{
	memset(c, 0, sizeof(*c));
	c->name = tcti != NULL && tcti[0] != '\0' ? tcti : "(default TCTI)";
	TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti != NULL && tcti[0] != '\0' ? tcti : NULL,
	                                     &c->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		c->tcti = NULL;
		return tpm_rc_error(err, c, rc, "cannot open the TCTI");
	}
	rc = Esys_Initialize(&c->esys, c->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		c->esys = NULL;
		int r = tpm_rc_error(err, c, rc, "cannot start an ESAPI context");
		tpm_conn_close(c);
		return r;
	}
	return 0;
}

void tpm_conn_close(tpm_conn *c)
{
	if (c->esys != NULL)
		Esys_Finalize(&c->esys);
	if (c->tcti != NULL)
		Tss2_TctiLdr_Finalize(&c->tcti);
	c->esys = NULL;
	c->tcti = NULL;
}

/* Stores the digests of one TPM2_PCR_Read answer and clears what it read
 * from want. The TPM returns digests in ascending PCR order (Part 3
 * §22.4.1); it may read fewer than asked (at most 8 per answer). */
static int take_digests(const tpm_conn *c, TPML_PCR_SELECTION *want,
                        const TPML_PCR_SELECTION *got, const TPML_DIGEST *vals,
                        uint8_t (*pcrs)[TPM_SHA256_SIZE], cc_error **err)
{
	uint32_t k = 0;
	for (uint32_t b = 0; b < got->count; b++) {
		const TPMS_PCR_SELECTION *s = &got->pcrSelections[b];
		for (unsigned i = 0; i < 8u * s->sizeofSelect; i++) {
			if (!(s->pcrSelect[i / 8] & (1u << (i % 8))))
				continue;
			if (s->hash != TPM2_ALG_SHA256 || i >= TPM_PCR_COUNT || k >= vals->count ||
			    vals->digests[k].size != TPM_SHA256_SIZE ||
			    !(want->pcrSelections[0].pcrSelect[i / 8] & (1u << (i % 8))))
				return cc_error_set(err, -EIO,
				                    "TPM %s: TPM2_PCR_Read answered PCRs not asked for",
				                    c->name);
			memcpy(pcrs[i], vals->digests[k++].buffer, TPM_SHA256_SIZE);
			want->pcrSelections[0].pcrSelect[i / 8] &= (uint8_t) ~(1u << (i % 8));
		}
	}
	if (k == 0 || k != vals->count)
		return cc_error_set(err, -EIO, "TPM %s: TPM2_PCR_Read answered %u digests for %u PCRs",
		                    c->name, (unsigned)vals->count, (unsigned)k);
	return 0;
}

static bool selection_empty(const TPML_PCR_SELECTION *s)
{
	for (unsigned i = 0; i < s->pcrSelections[0].sizeofSelect; i++)
		if (s->pcrSelections[0].pcrSelect[i] != 0)
			return false;
	return true;
}

int tpm_pcr_read(tpm_conn *c, const TPML_PCR_SELECTION *sel,
                 uint8_t (*pcrs)[TPM_SHA256_SIZE], cc_error **err)
{
	TPML_PCR_SELECTION want = *sel;
	/* Each answer reads at least one PCR (take_digests), so 24 rounds. */
	for (unsigned round = 0; round < TPM_PCR_COUNT && !selection_empty(&want); round++) {
		TPML_PCR_SELECTION *got = NULL;
		TPML_DIGEST *vals = NULL;
		TSS2_RC rc = Esys_PCR_Read(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want,
		                           NULL, &got, &vals);
		int r = rc == TSS2_RC_SUCCESS ? take_digests(c, &want, got, vals, pcrs, err)
		                              : tpm_rc_error(err, c, rc, "TPM2_PCR_Read");
		Esys_Free(got);
		Esys_Free(vals);
		if (r < 0)
			return r;
	}
	if (!selection_empty(&want))
		return cc_error_set(err, -EIO, "TPM %s: TPM2_PCR_Read did not read every PCR",
		                    c->name);
	return 0;
}
