/* The attestation key. guest-components reads an AK provisioned at a
 * persistent handle (0x81010002 unless AA_TPM_AK_HANDLE says otherwise);
 * so does the attester. With TPM_ATTESTER_CREATE_AK an empty handle gets
 * one: a primary key of the endorsement hierarchy with the AK template of
 * tpm2_createak (restricted RSA-2048 signing key, RSASSA-SHA256, fixed to
 * this TPM, created inside it), made persistent so later quotes do not
 * pay for an RSA key generation. */
#include <errno.h>
#include <string.h>

#include "tpm_esys.h"

#define AK_ATTRS                                                                            \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)
/* What an AK must have for its quotes to mean anything: the TPM signs only
 * TPM-made structures with a restricted key, and the key never left it. */
#define AK_REQUIRED (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)

/* 1 if a persistent object sits at handle, 0 if not. Asking first keeps
 * tpm2-tss from logging an error for an empty handle. */
static int handle_present(tpm_conn *c, uint32_t handle, cc_error **err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TSS2_RC rc = Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                                TPM2_CAP_HANDLES, handle, 1, NULL, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc_error(err, c, rc, "TPM2_GetCapability(handles)");
	int present = cap->data.handles.count > 0 && cap->data.handles.handle[0] == handle;
	Esys_Free(cap);
	return present;
}

static int create_ak(tpm_conn *c, uint32_t handle, cc_error **err)
{
	TPM2B_SENSITIVE_CREATE sensitive = {0};
	TPM2B_PUBLIC tmpl = {0};
	tmpl.publicArea.type = TPM2_ALG_RSA;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = AK_ATTRS;
	TPMS_RSA_PARMS *rsa = &tmpl.publicArea.parameters.rsaDetail;
	rsa->symmetric.algorithm = TPM2_ALG_NULL;
	rsa->scheme.scheme = TPM2_ALG_RSASSA;
	rsa->scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	rsa->keyBits = 2048;
	rsa->exponent = 0;
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION creation_pcrs = {0};
	ESYS_TR key = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	TSS2_RC rc = Esys_CreatePrimary(c->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
	                                ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl, &outside,
	                                &creation_pcrs, &key, NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_rc_error(err, c, rc, "TPM2_CreatePrimary(AK)");
	rc = Esys_EvictControl(c->esys, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	                       ESYS_TR_NONE, handle, &persistent);
	int r = rc == TSS2_RC_SUCCESS ? 0 : tpm_rc_error(err, c, rc, "TPM2_EvictControl(AK)");
	if (persistent != ESYS_TR_NONE)
		Esys_TR_Close(c->esys, &persistent);
	Esys_FlushContext(c->esys, key);
	return r;
}

static int check_ak(const tpm_conn *c, uint32_t handle, const TPMT_PUBLIC *pub, cc_error **err)
{
	if ((pub->objectAttributes & AK_REQUIRED) != AK_REQUIRED)
		return cc_error_set(err, -EINVAL,
		                    "TPM %s: the key at 0x%08x is not a restricted signing key "
		                    "fixed to the TPM (attributes 0x%08x): not an AK",
		                    c->name, (unsigned)handle, (unsigned)pub->objectAttributes);
	return 0;
}

int tpm_ak_open(tpm_conn *c, uint32_t handle, bool create, ESYS_TR *ret, uint8_t **ret_der,
                size_t *ret_der_len, cc_error **err)
{
	if (handle >> 24 != TPM2_HT_PERSISTENT)
		return cc_error_set(err, -EINVAL, "AK handle 0x%08x is not a persistent handle",
		                    (unsigned)handle);
	int r = handle_present(c, handle, err);
	if (r == 0 && !create)
		return cc_error_set(err, -ENOENT, "TPM %s: no AK at persistent handle 0x%08x",
		                    c->name, (unsigned)handle);
	if (r == 0)
		r = create_ak(c, handle, err);
	if (r < 0)
		return r;
	ESYS_TR tr = ESYS_TR_NONE;
	TPM2B_PUBLIC *pub = NULL;
	TSS2_RC rc = Esys_TR_FromTPMPublic(c->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE,
	                                   ESYS_TR_NONE, &tr);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_ReadPublic(c->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub,
		                     NULL, NULL);
	r = rc == TSS2_RC_SUCCESS ? 0 : tpm_rc_error(err, c, rc, "TPM2_ReadPublic(AK)");
	if (r == 0)
		r = check_ak(c, handle, &pub->publicArea, err);
	uint8_t *der = NULL;
	size_t der_len = 0;
	if (r == 0)
		r = tpm_spki_from_public(&pub->publicArea, &der, &der_len, err);
	Esys_Free(pub);
	if (r < 0) {
		if (tr != ESYS_TR_NONE)
			Esys_TR_Close(c->esys, &tr);
		return r;
	}
	*ret = tr;
	*ret_der = der;
	*ret_der_len = der_len;
	return 0;
}
