/* Internals of the Azure vTPM verifiers az-snp-vtpm and az-tdx-vtpm
 * (lib/attest/az_*.c, docs/attest-azure.md), shared between their files,
 * the unit tests and the fuzz target. */
#ifndef COCOON_ATTEST_AZ_INT_H
#define COCOON_ATTEST_AZ_INT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "az.h"
#include "cocoon/error.h"
#include "cocoon/limits.h"

/* ---- the HCL report (az_hcl.c) ----------------------------------------
 * What the Azure paravisor (HCL) writes to vTPM NV index 0x01400001
 * (azure-cvm-tooling az-cvm-vtpm/src/hcl): all little-endian,
 *   0     header: signature "HCLA", version, report_size, request_type,
 *         status, reserved[3] (8 x u32)
 *   32    hardware report, 1184 bytes (an SNP report; a TD report uses
 *         its first 1024)
 *   1216  IGVM request data: data_size, version, report_type (2 SNP,
 *         4 TDX), report_data_hash_type (1 SHA-256), variable_data_size
 *   1236  variable data: JSON {"keys": [JWK...], "vm-configuration": {..},
 *         "user-data": hex}; the hardware report's report_data starts
 *         with SHA-256 of these bytes. */
#define AZ_HCL_HEADER_SIZE 32u
#define AZ_HCL_HW_REPORT_OFF 32u
#define AZ_HCL_HW_REPORT_SIZE 1184u
#define AZ_SNP_REPORT_SIZE 1184u
#define AZ_TD_REPORT_SIZE 1024u
#define AZ_HCL_REQ_OFF 1216u
#define AZ_HCL_REQ_SIZE 20u
#define AZ_HCL_VAR_DATA_OFF 1236u
#define AZ_HCL_SIGNATURE 0x414c4348u /* "HCLA" */
#define AZ_HCL_TYPE_SNP 2u
#define AZ_HCL_TYPE_TDX 4u
#define AZ_HCL_HASH_SHA256 1u
#define AZ_USER_DATA_SIZE 64u
#define AZ_PCR_COUNT 24u
#define AZ_PCR_SIZE 32u
#define AZ_INITDATA_PCR 8u

typedef struct az_hcl {
	uint32_t version;     /* header version */
	uint32_t report_type; /* AZ_HCL_TYPE_SNP or AZ_HCL_TYPE_TDX */
	const uint8_t *hw_report; /* AZ_SNP_REPORT_SIZE or AZ_TD_REPORT_SIZE bytes */
	size_t hw_report_len;
	const uint8_t *var_data; /* variable_data_size bytes */
	size_t var_data_len;
} az_hcl;

/* Parses len bytes of HCL report (at most CC_AZ_MAX_HCL_REPORT_BYTES); the
 * pointers in *ret point into p. "truncated: HCL report ..." when a part
 * runs past the end, "oversized: ..." over the cap, "HCL report: ..." for
 * a wrong signature, size, report type or hash type. */
int az_hcl_parse(const uint8_t *p, size_t len, az_hcl *ret, cc_error **err);
/* SHA-256 of the variable data (the hardware report's report_data[0..32]). */
int az_hcl_var_data_sha256(const az_hcl *h, uint8_t out[32]);
/* The vTPM attestation key: the RSA JWK with "kid" "HCLAkPub" in the
 * variable data's "keys" ("AK public key: ..." otherwise). */
int az_hcl_ak(const az_hcl *h, EVP_PKEY **ret, cc_error **err);
/* The variable data's "user-data" (hex, 64 bytes) into out. */
int az_hcl_user_data(const az_hcl *h, uint8_t out[AZ_USER_DATA_SIZE], cc_error **err);

/* ---- the evidence JSON (az_evidence.c) --------------------------------- */

typedef struct az_evidence {
	int version; /* 0, 1 or 2 */
	uint8_t *hcl_report;
	size_t hcl_report_len;
	uint8_t *message; /* TPMS_ATTEST */
	size_t message_len;
	uint8_t *signature; /* raw RSASSA-PKCS1-v1_5 signature */
	size_t signature_len;
	uint8_t pcrs[AZ_PCR_COUNT][AZ_PCR_SIZE];
	uint8_t *vcek; /* az-snp-vtpm: DER (v0's PEM converted) */
	size_t vcek_len;
	uint8_t *td_quote; /* az-tdx-vtpm */
	size_t td_quote_len;
} az_evidence;

enum az_tee { AZ_TEE_SNP, AZ_TEE_TDX };

/* Decodes Trustee's evidence for tee, any version:
 *   az-snp-vtpm v0 {"quote": {"signature","message": [u8], "pcrs": [[u8;32]]},
 *                   "report": [u8], "vcek": PEM}
 *   az-snp-vtpm v1/v2 {"version", "tpm_quote": {"signature","message": hex,
 *                   "pcrs": [hex]}, "hcl_report": b64url, "vcek": b64url DER}
 *   az-tdx-vtpm v0 {"tpm_quote": {..as v0's quote..}, "hcl_report": [u8],
 *                   "td_quote": [u8]}
 *   az-tdx-vtpm v1/v2 {"version", "tpm_quote": {..hex..}, "hcl_report",
 *                   "td_quote": b64url}
 * Unknown members are ignored, as serde does. -EINVAL naming the field,
 * -E2BIG ("oversized: ...") over a cap. */
int az_evidence_parse(enum az_tee tee, const json_t *ev, az_evidence **ret, cc_error **err);
void az_evidence_free(az_evidence *e);

/* ---- codecs (az_codec.c) ----------------------------------------------- */

/* base64url (RFC 4648 §5) with or without '=' padding (serde_with's
 * Base64<UrlSafe> decodes both), at most max decoded bytes. */
int az_b64url_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len,
                     const char *what, cc_error **err);
/* Hex of any case into a new buffer (at most max bytes). */
int az_hex_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len,
                  const char *what, cc_error **err);
/* A JSON array of integers 0..255 (a Rust Vec<u8> as serde writes it). */
int az_u8_array(const json_t *a, size_t max, uint8_t **ret, size_t *ret_len, const char *what,
                cc_error **err);

/* ---- the vTPM quote (az_vtpm.c) ----------------------------------------- */

/* The quote's checks in Trustee's order, each failing with its check's
 * name: "quote signature" (the AK over the message), then the message's
 * structure, "nonce mismatch" (extraData == expected, byte for byte),
 * "pcr digest" (SHA-256 of the 24 PCRs == pcrDigest). *ret_attest is the
 * decoded message. */
int az_vtpm_verify(const az_evidence *e, EVP_PKEY *ak, const uint8_t *expected,
                   size_t expected_len, TPMS_ATTEST *ret_attest, cc_error **err);
/* "init_data mismatch" unless PCR 8 == SHA-256(32 x 0x00 || digest). */
int az_vtpm_check_init_data(const az_evidence *e, const uint8_t *digest, size_t len,
                            cc_error **err);
/* "user-data binding" (evidence v2): the HCL's user-data starts with the
 * expected report data. */
int az_check_user_data(const az_hcl *h, const uint8_t *expected, size_t len, cc_error **err);
/* "user-data binding" unless rd (a hardware report's report data, what
 * names it) starts with SHA-256 of the HCL variable data (upstream's
 * verify_report_data / verify_hcl_var_data). */
int az_check_var_data(const az_hcl *h, const uint8_t *rd, const char *what, cc_error **err);
/* Adds Trustee's extend_claim members to claims: "tpm" {"pcr00".."pcr23"},
 * "init_data" (hex PCR 8), "report_data" (hex extraData). */
int az_vtpm_claims(json_t *claims, const az_evidence *e, const TPMS_ATTEST *a);

/* The expected report data: report_data when given, else opts' nonce;
 * both given must agree. "report_data: not provided ..." when neither. */
int az_expected_report_data(const uint8_t *rd, size_t rd_len, const uint8_t *nonce,
                            size_t nonce_len, const uint8_t **ret, size_t *ret_len,
                            cc_error **err);

/* ---- what both verifiers share (az_verifier.c) ------------------------- */

/* Decodes the evidence, parses its HCL report (which must hold tee's
 * report), reads the AK, verifies the vTPM quote against expected and, for
 * evidence v2, the user-data binding. On success *ret_ev is the caller's
 * (az_evidence_free) and *ret_hcl points into it. */
int az_verify_vtpm_part(enum az_tee tee, const json_t *evidence, const uint8_t *expected,
                        size_t expected_len, az_evidence **ret_ev, az_hcl *ret_hcl,
                        TPMS_ATTEST *ret_attest, cc_error **err);

/* Both verifier objects: the vTPM checks here, the hardware report's by
 * the snp or tdx verifier held in hw. */
typedef struct az_verifier {
	attest_verifier base;
	attest_verifier *hw;
	uint8_t *nonce; /* opts' nonce, copied; NULL: none */
	size_t nonce_len;
	bool vcek_from_opts; /* az-snp-vtpm: --vcek replaces the evidence's VCEK */
} az_verifier;

typedef int (*az_hw_new_fn)(const attest_verifier_opts *o, attest_verifier **ret,
                            cc_error **err);
/* A verifier with ops whose hardware verifier hw_new builds from o. */
int az_verifier_new(const attest_verifier_opts *o, const attest_verifier_ops *ops,
                    az_hw_new_fn hw_new, attest_verifier **ret, cc_error **err);
/* ops->free of both verifiers. */
void az_verifier_free(attest_verifier *v);

/* One evaluation: az_eval_begin picks the expected report data and runs
 * az_verify_vtpm_part; az_eval_end takes the hardware part's result r and
 * claims (NULL or a new object, taken over), checks the init-data digest
 * (id NULL: none), adds the vTPM claims, frees what begin made, and on
 * success gives the claims to *ret. */
typedef struct az_eval {
	az_evidence *e;
	az_hcl h;
	TPMS_ATTEST a;
} az_eval;
int az_eval_begin(const az_verifier *v, enum az_tee tee, const json_t *evidence,
                  const uint8_t *rd, size_t rd_len, az_eval *ret, cc_error **err);
int az_eval_end(az_eval *ev, int r, json_t *claims, const uint8_t *id, size_t id_len,
                json_t **ret, cc_error **err);

/* ---- az-snp-vtpm (az_snp.c) -------------------------------------------- */

/* Trustee's parse_tee_evidence_az claims of an SNP report (1184 bytes):
 * every value a string, measurement/report_data/init_data base64. */
int az_snp_report_claims(const uint8_t *report, size_t len, json_t **ret, cc_error **err);

#endif
