/* The attester's side of the TPM: a tpm2-tss ESAPI connection opened for
 * one operation (tpm_esys.c) and the attestation key (tpm_ak.c). */
#ifndef COCOON_ATTEST_TPM_ESYS_H
#define COCOON_ATTEST_TPM_ESYS_H

#include <stdbool.h>
#include <tss2/tss2_esys.h>

#include "tpm_int.h"

typedef struct tpm_conn {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	const char *name; /* the TCTI string, for messages */
} tpm_conn;

/* Connects through the tpm2-tss TCTI loader (tcti NULL or "": its default). */
int tpm_conn_open(const char *tcti, tpm_conn *c, cc_error **err);
/* Closes a connection; safe on a zeroed or already closed one. */
void tpm_conn_close(tpm_conn *c);
/* Fails with -EIO: "<TCTI>: <what>: <tpm2-tss's decoding of rc>". */
int tpm_rc_error(cc_error **err, const tpm_conn *c, TSS2_RC rc, const char *what);

/* Reads the selected SHA-256 PCRs (a subset of 0..23) into pcrs[index]. */
int tpm_pcr_read(tpm_conn *c, const TPML_PCR_SELECTION *sel,
                 uint8_t (*pcrs)[TPM_SHA256_SIZE], cc_error **err);

/* Opens the AK at the persistent handle (creating and persisting it first
 * when create is set and the handle is empty), checks it is a restricted
 * RSA signing key fixed to this TPM, and returns its ESYS handle and its
 * DER SubjectPublicKeyInfo (*ret_der, the caller frees it). */
int tpm_ak_open(tpm_conn *c, uint32_t handle, bool create, ESYS_TR *ret,
                uint8_t **ret_der, size_t *ret_der_len, cc_error **err);

#endif
