/* Internals of the TPM attester and verifier (lib/attest/tpm_*.c), shared
 * between their files, the unit tests and the fuzz target. */
#ifndef COCOON_ATTEST_TPM_INT_H
#define COCOON_ATTEST_TPM_INT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "cocoon/error.h"
#include "cocoon/limits.h"
#include "tpm.h"

#define TPM_SHA256_SIZE 32u

/* ---- tpm_codec.c: base64 (strict, standard alphabet) and hex ---------- */

/* Decodes canonical padded base64 of at most max bytes. Returns 0, -EINVAL
 * (not canonical base64), -E2BIG (decodes to more than max) or -ENOMEM;
 * *ret (malloc'd) only on success. */
int tpm_b64_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len);
/* Padded base64 of p; NULL on OOM. */
char *tpm_b64_encode(const uint8_t *p, size_t len);
/* Decodes exactly out_len bytes from 2*out_len hex digits (either case);
 * -EINVAL otherwise. */
int tpm_hex_decode(const char *s, size_t len, uint8_t *out, size_t out_len);
/* Lower-case hex of p into out (2*len+1 bytes, NUL-terminated). */
void tpm_hex_encode(const uint8_t *p, size_t len, char *out);

/* ---- tpm_wire.c: TPM structures from their marshalled bytes ----------- */

/* Unmarshals a TPMS_ATTEST (TPM 2.0 Part 2 §10.12.12) that must fill the
 * whole of p. -EINVAL with the reason otherwise. */
int tpm_wire_attest(const uint8_t *p, size_t len, TPMS_ATTEST *ret, cc_error **err);
/* Unmarshals a TPMT_SIGNATURE (Part 2 §11.3.4) that must fill the whole of p. */
int tpm_wire_signature(const uint8_t *p, size_t len, TPMT_SIGNATURE *ret, cc_error **err);
/* A TPMT_PUBLIC (Part 2 §12.2.4) / TPM2B_PUBLIC filling the whole of p. */
int tpm_wire_public(const uint8_t *p, size_t len, TPMT_PUBLIC *ret, cc_error **err);
int tpm_wire_public2b(const uint8_t *p, size_t len, TPM2B_PUBLIC *ret, cc_error **err);
/* Checks an attestation is a quote as upstream's attester makes it:
 * magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_QUOTE, one selection of
 * the SHA-256 bank with exactly PCR 0..23, a 32-byte pcrDigest. */
int tpm_wire_check_quote(const TPMS_ATTEST *a, cc_error **err);
/* The selection quoted and read: SHA-256, PCR 0..23. */
void tpm_pcr_selection_all(TPML_PCR_SELECTION *sel);

/* ---- tpm_crypto.c: the AK and the signature (OpenSSL) ----------------- */

/* Parses DER SubjectPublicKeyInfo that must fill the whole of der and be
 * an RSA key of at least 2048 bits or an ECC key on P-256 or P-384. */
int tpm_ak_parse(const uint8_t *der, size_t len, EVP_PKEY **ret, cc_error **err);
/* The AK from ak_public's bytes: DER SPKI, or a marshalled TPMT_PUBLIC or
 * TPM2B_PUBLIC (guest-components' newer attester), same key rules. */
int tpm_ak_decode(const uint8_t *p, size_t len, EVP_PKEY **ret, cc_error **err);
/* The public key of a TPM public area (RSA, or ECC on P-256/P-384). */
int tpm_pkey_from_public(const TPMT_PUBLIC *pub, EVP_PKEY **ret, cc_error **err);
/* DER SubjectPublicKeyInfo of pk (malloc'd); -ENOMEM. */
int tpm_pkey_spki(EVP_PKEY *pk, uint8_t **ret_der, size_t *ret_len);
/* Verifies sig over msg: RSASSA for an RSA AK, ECDSA for an ECC one, with
 * SHA-256, SHA-384 or SHA-512; failures start with "quote signature". */
int tpm_verify_signature(EVP_PKEY *ak, const uint8_t *msg, size_t msg_len,
                         const TPMT_SIGNATURE *sig, cc_error **err);
/* DER SubjectPublicKeyInfo of a TPM public area (the attester's AK). */
int tpm_spki_from_public(const TPMT_PUBLIC *pub, uint8_t **ret_der, size_t *ret_len,
                         cc_error **err);
/* SHA-256 of the concatenated PCR values, as TPM2_Quote computes pcrDigest. */
int tpm_pcrs_digest(const uint8_t (*pcrs)[TPM_SHA256_SIZE], size_t n,
                    uint8_t out[TPM_SHA256_SIZE]);
/* out = SHA-256(a || b). */
int tpm_sha256_2(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                 uint8_t out[TPM_SHA256_SIZE]);

/* ---- tpm_evidence.c: the evidence JSON -------------------------------- */

typedef struct tpm_evidence {
	char *ak_b64; /* ak_public as sent: the claim and the policy's key */
	uint8_t *ak_der;
	size_t ak_der_len;
	uint8_t *message; /* TPMS_ATTEST */
	size_t message_len;
	uint8_t *signature; /* TPMT_SIGNATURE */
	size_t signature_len;
	uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE];
	uint8_t *report_data; /* optional: guest-components' newer attester */
	size_t report_data_len;
	char *ak_cert_pem; /* optional: AK certificate then intermediates */
	size_t ak_cert_pem_len;
	uint8_t *eventlog; /* optional: TCG2 or legacy SHA-1 log */
	size_t eventlog_len;
} tpm_evidence;

/* Decodes upstream's evidence object (unknown members are ignored, as
 * serde does) and our optional members (report_data, ak_certificate,
 * eventlog); -EINVAL or -E2BIG naming the field at fault. */
int tpm_evidence_parse(const json_t *ev, tpm_evidence **ret, cc_error **err);
void tpm_evidence_free(tpm_evidence *e);
/* The evidence JSON text, members in upstream's (sorted) order. */
int tpm_evidence_format(const uint8_t *ak_der, size_t ak_len, const uint8_t *msg, size_t msg_len,
                        const uint8_t *sig, size_t sig_len,
                        const uint8_t (*pcrs)[TPM_SHA256_SIZE], char **ret_json,
                        cc_error **err);

/* ---- tpm_trust.c: trusted AKs (SHA-256 of their DER) ------------------ */

typedef struct tpm_ak_set tpm_ak_set;
/* Reads every regular *.pub file of dir (PEM public keys). */
int tpm_ak_set_load_dir(const char *dir, tpm_ak_set **ret, cc_error **err);
bool tpm_ak_set_contains(const tpm_ak_set *s, const uint8_t *der, size_t len);
size_t tpm_ak_set_count(const tpm_ak_set *s);
void tpm_ak_set_free(tpm_ak_set *s);

/* ---- tpm_akcert.c: AK certificate chains ---------------------------- */

/* A store of every *.pem or *.crt certificate and *.crl CRL of dir (CRLs turn
 * on revocation checks); at least one certificate. */
int tpm_ak_ca_load_dir(const char *dir, X509_STORE **ret, cc_error **err);
/* The PEM chain (AK certificate first) verifies to store at at (0: now)
 * and its leaf's key is ak. Failures start with "AK chain", "certificate
 * revoked", "CRL expired" or "AK binding". */
int tpm_ak_check_chain(X509_STORE *store, int64_t at, const char *pem, size_t pem_len,
                       EVP_PKEY *ak, cc_error **err);

/* ---- tpm_verify.c: the checks ----------------------------------------- */

/* What the verifier holds besides the evidence (all optional). */
typedef struct tpm_policy {
	const tpm_ak_set *trusted; /* AKs by key; NULL: any */
	X509_STORE *ak_cas;        /* AKs by certificate; NULL: not required */
	int64_t at;                /* time for certificate checks; 0: now */
	const uint8_t *nonce;      /* must equal the quote's qualifying data */
	size_t nonce_len;
} tpm_policy;

/* Verifies evidence and builds the claims (docs/attest-tpm.md lists the
 * checks in order). trusted NULL: any AK. report_data/init_data NULL: not
 * provided. */
int tpm_verify_evidence(const json_t *evidence, const uint8_t *report_data, size_t rd_len,
                        const uint8_t *init_data, size_t id_len, const tpm_ak_set *trusted,
                        json_t **ret_claims, cc_error **err);
/* The same with every check of pol. */
int tpm_verify_evidence_policy(const json_t *evidence, const uint8_t *report_data,
                               size_t rd_len, const uint8_t *init_data, size_t id_len,
                               const tpm_policy *pol, json_t **ret_claims, cc_error **err);

#endif
