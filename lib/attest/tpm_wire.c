/* TPM structures from their marshalled (big-endian, TPM 2.0 Part 2) bytes.
 * The field walk is tpm2-tss's Tss2_MU_*_Unmarshal (libtss2-mu, a bounded
 * cursor: it checks every length against what is left and every selector
 * against its union); this file adds what the MU layer does not: the whole
 * buffer must be used, and a quote must look like the one upstream's
 * attester asks for. */
#include <errno.h>
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "tpm_int.h"

static int mu_error(cc_error **err, const char *what, TSS2_RC rc, size_t off, size_t len)
{
	if (rc != TSS2_RC_SUCCESS)
		return cc_error_set(err, -EINVAL, "%s: malformed at byte %zu of %zu (%s)", what, off,
		                    len, Tss2_RC_Decode(rc));
	return cc_error_set(err, -EINVAL, "%s: %zu bytes after the structure's end", what,
	                    len - off);
}

/* Defines tpm_wire_NAME(): TYPE from exactly len bytes with TYPE's MU
 * unmarshaller; the output is written only on success. */
#define WIRE_PARSER(name, type)                                                            \
	int tpm_wire_##name(const uint8_t *p, size_t len, type *ret, cc_error **err)       \
	{                                                                                  \
		type v;                                                                    \
		size_t off = 0;                                                            \
		memset(&v, 0, sizeof(v));                                                  \
		TSS2_RC rc = Tss2_MU_##type##_Unmarshal(p, len, &off, &v);                 \
		if (rc != TSS2_RC_SUCCESS || off != len)                                   \
			return mu_error(err, #type, rc, off, len);                         \
		*ret = v;                                                                  \
		return 0;                                                                  \
	}

WIRE_PARSER(attest, TPMS_ATTEST)
WIRE_PARSER(signature, TPMT_SIGNATURE)
WIRE_PARSER(public, TPMT_PUBLIC)
WIRE_PARSER(public2b, TPM2B_PUBLIC)

void tpm_pcr_selection_all(TPML_PCR_SELECTION *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->count = 1;
	sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[0].sizeofSelect = 3;
	memset(sel->pcrSelections[0].pcrSelect, 0xff, 3); /* PCR 0..23 */
}

/* The selection must name exactly PCR 0..23 of the SHA-256 bank: the
 * evidence's 24 values are matched to the digest in that order. */
static int check_selection(const TPML_PCR_SELECTION *sel, cc_error **err)
{
	if (sel->count != 1)
		return cc_error_set(err, -EINVAL,
		                    "TPMS_ATTEST: quote selects %u PCR banks, expected 1 (SHA-256)",
		                    (unsigned)sel->count);
	const TPMS_PCR_SELECTION *s = &sel->pcrSelections[0];
	if (s->hash != TPM2_ALG_SHA256)
		return cc_error_set(err, -EINVAL,
		                    "TPMS_ATTEST: quote selects PCR bank 0x%04x, expected SHA-256",
		                    (unsigned)s->hash);
	if (s->sizeofSelect < 3)
		return cc_error_set(err, -EINVAL,
		                    "TPMS_ATTEST: quote selects fewer than PCR 0..23");
	for (unsigned i = 0; i < s->sizeofSelect; i++) {
		uint8_t want = i < 3 ? 0xff : 0x00;
		if (s->pcrSelect[i] != want)
			return cc_error_set(err, -EINVAL,
			                    "TPMS_ATTEST: quote selects other PCRs than 0..23 (select "
			                    "byte %u is 0x%02x)",
			                    i, (unsigned)s->pcrSelect[i]);
	}
	return 0;
}

int tpm_wire_check_quote(const TPMS_ATTEST *a, cc_error **err)
{
	if (a->magic != TPM2_GENERATED_VALUE)
		return cc_error_set(err, -EINVAL,
		                    "TPMS_ATTEST: magic is 0x%08x, not TPM_GENERATED_VALUE",
		                    (unsigned)a->magic);
	if (a->type != TPM2_ST_ATTEST_QUOTE)
		return cc_error_set(err, -EINVAL,
		                    "TPMS_ATTEST: type is 0x%04x, not TPM_ST_ATTEST_QUOTE",
		                    (unsigned)a->type);
	int r = check_selection(&a->attested.quote.pcrSelect, err);
	if (r < 0)
		return r;
	/* The TPM hashes the PCRs with the signing scheme's hash. */
	uint16_t size = a->attested.quote.pcrDigest.size;
	if (size != 32 && size != 48 && size != 64)
		return cc_error_set(err, -EINVAL,
		                    "TPMS_ATTEST: pcrDigest is %u bytes, expected 32, 48 or 64 "
		                    "(SHA-256, SHA-384, SHA-512)",
		                    (unsigned)size);
	return 0;
}
