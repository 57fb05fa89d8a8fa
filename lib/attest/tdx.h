/* The `tdx` verifier (Intel TDX quotes v4 and v5) and the DCAP quote
 * layouts it shares with the `sgx` verifier (SGX quote v3, sgx.h),
 * wire-compatible with Trustee's tdx and sgx verifiers (docs/attest-tdx.md).
 *
 * Evidence: {"cc_eventlog": base64(CCEL) or null, "quote": base64(quote)}.
 * The quote side (this header, tdx_*.c) parses the quote, checks the
 * attestation key's signature, the QE report's signature by the PCK leaf
 * and the QE report's binding to the attestation key, then hands the PCK
 * chain and the QE report to the collateral side (dcap.h).
 */
#ifndef COCOON_ATTEST_TDX_H
#define COCOON_ATTEST_TDX_H

#include <stddef.h>
#include <stdint.h>

#include "attest.h"
#include "dcap.h"

/* ---- layouts (Intel SGX DCAP: sgx_quote_3.h, sgx_quote_4.h, sgx_quote_5.h) */
#define DCAP_HEADER_SIZE 48u
#define DCAP_SGX_BODY_SIZE 384u   /* sgx_report_body_t; also the QE report */
#define DCAP_TD10_BODY_SIZE 584u  /* TD 1.0 report body */
#define DCAP_TD15_BODY_SIZE 648u  /* TD 1.5: + TEE_TCB_SVN2, MRSERVICETD */
#define DCAP_V5_BODY_DESC_SIZE 6u /* quote v5: body type (u16) and size (u32) */
#define DCAP_ECDSA_SIG_SIZE 64u   /* raw r || s, P-256 */
#define DCAP_ECDSA_KEY_SIZE 64u   /* raw x || y, P-256 */

#define DCAP_ATT_KEY_ECDSA_P256 2u
#define DCAP_TEE_SGX 0x00000000u
#define DCAP_TEE_TDX 0x00000081u

/* Certification data types (sgx_quote_4.h). */
#define DCAP_CERT_PCK_CHAIN 5u
#define DCAP_CERT_QE_REPORT 6u

/* A quote, parsed and bounds-checked; every pointer points into the bytes
 * given to dcap_quote_parse (which must outlive it). */
typedef struct dcap_quote {
	uint16_t version;          /* 3, 4 or 5 */
	uint16_t att_key_type;
	uint32_t tee_type;
	uint16_t qe_svn, pce_svn;
	const uint8_t *header;     /* DCAP_HEADER_SIZE bytes */
	uint16_t body_type;        /* v5 only: 2 TD 1.0, 3 TD 1.5 (0 otherwise) */
	uint32_t body_size;        /* the body's size (v5: as declared) */
	const uint8_t *body;       /* the SGX or TD report body */
	size_t signed_len;         /* header (+ v5 descriptor) + body: what the
	                            * attestation key signs, from the start */
	uint32_t sig_data_len;     /* as declared */
	const uint8_t *signature;  /* DCAP_ECDSA_SIG_SIZE */
	const uint8_t *att_key;    /* DCAP_ECDSA_KEY_SIZE */
	const uint8_t *qe_report;  /* DCAP_SGX_BODY_SIZE */
	const uint8_t *qe_report_sig; /* DCAP_ECDSA_SIG_SIZE */
	const uint8_t *auth_data;
	uint16_t auth_data_len;
	const uint8_t *pck_chain;  /* certification data type 5: PEM */
	uint32_t pck_chain_len;
	size_t trailing;           /* bytes after the declared signature data */
} dcap_quote;

/* Parses a quote of len bytes (at most CC_DCAP_MAX_QUOTE_BYTES). Refuses
 * ("truncated ...", "oversized ...", "unsupported ...") any size or type
 * that disagrees; bytes after the declared signature data are padding
 * (Intel's QVL and Trustee ignore them; docs/attest-tdx.md) and only
 * counted. */
int dcap_quote_parse(const uint8_t *q, size_t len, dcap_quote *ret, cc_error **err);

/* The QE report's fields the collateral side reads. */
void dcap_quote_qe_report(const dcap_quote *q, struct dcap_qe_report *ret);

/* TD body fields (a TD quote: version 4 or 5). */
#define TDX_TEE_TCB_SVN_OFF 0u
#define TDX_MR_SEAM_OFF 16u
#define TDX_MRSIGNER_SEAM_OFF 64u
#define TDX_SEAM_ATTRIBUTES_OFF 112u
#define TDX_TD_ATTRIBUTES_OFF 120u
#define TDX_MR_CONFIG_ID_OFF 184u
#define TDX_RTMR0_OFF 328u
#define TDX_REPORT_DATA_OFF 520u
/* SGX report body fields. */
#define SGX_CONFIG_ID_OFF 192u
#define SGX_REPORT_DATA_OFF 320u

/* ---- checks (tdx_sig.c), each failing with its check's name ---------- */

/* "quote signature": the attestation key over header and body;
 * "QE report signature": the PCK leaf's key over the QE report;
 * "QE report binding": QE report data = SHA-256(attestation key || QE
 * auth data) || 32 zero bytes. */
int dcap_quote_check_signatures(const dcap_quote *q, cc_error **err);

/* The PCK leaf's platform instance id (hex, 32 digits + NUL, byte order as
 * Trustee prints it) when a Platform CA issued it; "" for a Processor CA
 * leaf. -EBADMSG when the chain or extension cannot be read. */
int dcap_quote_platform_instance_id(const dcap_quote *q, char ret[33], cc_error **err);

/* The PCK leaf's Intel SGX extension (FMSPC, PCE id, TCB, CA type), as
 * the collateral side reads it (dcap_pck_ext_from_cert). */
int dcap_quote_pck_ext(const dcap_quote *q, struct dcap_pck_ext *ret, cc_error **err);

/* ---- claims (tdx_claims.c) -------------------------------------------- */

/* Trustee's tdx claims ("quote", "td_attributes", "report_data",
 * "init_data") for a TD quote; Trustee's sgx claims for an SGX one. */
int dcap_quote_claims(const dcap_quote *q, json_t **ret, cc_error **err);

/* ---- the verifier ------------------------------------------------------ */

/* Replays the CC event log (ccel, len bytes) into RTMR 0..3 and compares
 * them with the TD quote's ("event log replay: RTMR ..."), as Trustee;
 * then sets claims["uefi_event_logs"] to Trustee's parsed log. */
int tdx_ccel_check(const dcap_quote *q, const uint8_t *ccel, size_t len, json_t *claims,
                   cc_error **err);

/* The tdx verifier built with o (collateral, cache_dir, allow_fetch,
 * pccs_url, at). The collateral file, when given, is read here and used
 * for every quote. Without it, each quote's collateral comes from
 * dcap_collateral_fetch for its FMSPC and PCK CA: from cache_dir while
 * the cached copy is valid, else (allow_fetch only) from pccs_url or
 * Intel PCS. */
int tdx_verifier_new(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err);

/* Verifies a raw TD quote (len bytes) as evaluate() does, without the event
 * log and init-data checks, and returns Trustee's tdx claims (plus
 * tcb_status and advisory_ids when collateral was checked). report_data
 * NULL: not checked; else compared with the quote's REPORTDATA, zero-padded
 * to 64 bytes. tdx must come from tdx_verifier_new (-EINVAL otherwise). */
int tdx_verify_quote(attest_verifier *tdx, const uint8_t *quote, size_t len,
                     const uint8_t *report_data /* NULL: not checked */,
                     size_t report_data_len, json_t **ret_claims, cc_error **err);

#endif
