/* Intel DCAP quote verification, split in two halves that meet here:
 * the quote side (tdx_*.c, sgx_*.c: quote layouts, the attestation key's
 * signature, the QE report's signature by the PCK key and its binding to
 * the attestation key) and the collateral side (dcap_*.c: collateral JSON,
 * the PCK chain to the pinned Intel SGX Root CA with its CRLs, the
 * signatures and validity windows of TCB info and QE identity, the QE
 * identity match and Intel's TCB level matching). docs/attest-tdx.md. */
#ifndef COCOON_ATTEST_DCAP_H
#define COCOON_ATTEST_DCAP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

/* The fields of the QE's SGX report (REPORT body, 384 bytes) that the QE
 * identity check reads; the quote side fills it from the quote. */
struct dcap_qe_report {
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint8_t attributes[16];
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint8_t report_data[64];
};

/* The PCK leaf certificate's Intel SGX extensions
 * (OID 1.2.840.113741.1.13.1), as the collateral side parsed them. */
struct dcap_pck_ext {
	uint8_t fmspc[6];
	uint8_t pceid[2];
	uint8_t cpusvn[16];          /* SGX TCB component SVNs 1..16 */
	uint16_t pcesvn;
	int processor_ca;            /* 1: issued by the Processor CA, 0: Platform CA */
	uint8_t ppid[16];            /* PPID (.1) */
	int sgx_type;                /* SGX type (.5): 0 Standard, 1 Scalable, 2 Scalable
	                              * with Integrity; -1: absent */
	int has_config;              /* configuration (.7) present (Platform CA leaves) */
	int dynamic_platform, cached_keys, smt_enabled; /* its flags (.7.1-.7.3), 0 or 1 */
};

struct dcap_verify_in {
	int64_t at;                  /* Unix seconds for every validity check; 0: now */
	const char *pck_chain_pem;   /* the quote's certification data type 5: PCK
	                              * leaf, intermediate CA, root (PEM, as sent) */
	size_t pck_chain_len;
	const struct dcap_qe_report *qe;
	int is_tdx;                  /* 0: SGX quote (no TDX components) */
	const uint8_t *tee_tcb_svn;  /* TDX: TEE_TCB_SVN (16 bytes) of the TD report */
	const uint8_t *mr_signer_seam;  /* TDX: MRSIGNERSEAM (48 bytes) */
	const uint8_t *seam_attributes; /* TDX: SEAMATTRIBUTES (8 bytes) */
	const uint8_t *tee_tcb_svn2; /* TD 1.5 bodies: TEE_TCB_SVN2 (16 bytes); NULL otherwise */
};

/* QVL's supplemental data, as Trustee's claims name them
 * (deps/verifier/src/intel_dcap/claims.rs). */
struct dcap_supplemental {
	int64_t earliest_issue_date;      /* min of every notBefore, thisUpdate and issueDate */
	int64_t latest_issue_date;        /* max of the same */
	int64_t earliest_expiration_date; /* min of every notAfter and nextUpdate */
	int64_t tcb_level_date_tag;       /* min of the platform, TDX module and QE levels' tcbDate */
	uint32_t pck_crl_num, root_ca_crl_num; /* CRL Number extensions (0: none) */
	uint32_t tcb_eval_num;            /* min of both tcbEvaluationDataNumbers */
	uint8_t root_key_id[48];          /* SHA-384 of the root's public key point */
};

struct dcap_verify_out {
	/* Intel's names: "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
	 * "ConfigurationAndSWHardeningNeeded", "OutOfDate",
	 * "OutOfDateConfigurationNeeded", "TDRelaunchAdvised",
	 * "TDRelaunchAdvisedConfigurationNeeded" (never "Revoked": a failure) */
	char tcb_status[40];
	char qe_tcb_status[40];      /* the QE identity's level status */
	json_t *advisory_ids;        /* array of strings (new reference; caller decrefs) */
	int64_t tcb_date;            /* the matched level's tcbDate, Unix seconds */
	struct dcap_pck_ext pck;
	struct dcap_supplemental supp;
};

typedef struct dcap_collateral dcap_collateral;

/* Parses collateral JSON: PCS/PCCS bodies ({"tcb_info": ..., "qe_identity":
 * ..., CRLs, issuer chains}) or dcap-qvl's QuoteCollateralV3 shape. */
int dcap_collateral_parse(const char *json, size_t len, dcap_collateral **ret, cc_error **err);
void dcap_collateral_free(dcap_collateral *c);

/* Collateral for one platform from a PCCS (or Intel PCS v4) at base_url:
 * {tdx|sgx}/certification/v4/tcb?fmspc=, .../qe/identity,
 * sgx/certification/v4/pckcrl?ca=processor|platform, .../rootcacrl, with
 * the issuer chains from the response headers. With cache_dir (may be
 * NULL), a cached copy is used while every part of it is still valid
 * (nextUpdate of TCB info, QE identity and both CRLs in the future) and a
 * fetched one is stored there. Nothing is verified here: dcap_verify does
 * that. Callers fetch only when the operator allowed it (allow_fetch). */
int dcap_collateral_fetch(const char *base_url, const uint8_t fmspc[6], int processor_ca,
                          int is_tdx, const char *cache_dir, dcap_collateral **ret,
                          cc_error **err);

/* All collateral-side checks, in Intel QVL's order; on failure the
 * message starts with the check's name ("PCK chain", "CRL expired",
 * "certificate revoked", "tcb_info signature", "qe_identity signature",
 * "collateral expired", "QE identity", "no matching TCB level",
 * "TCB revoked", ...). out->advisory_ids is set only on success. */
int dcap_verify(const dcap_collateral *c, const struct dcap_verify_in *in,
                struct dcap_verify_out *out, cc_error **err);

/* A per-verifier cache of verified collateral (dcap_cache.c): for each
 * (collateral bytes, PCK chain bytes, quote kind) seen to verify, the
 * parsed bodies and PCK extension, reused while the caller's time stays
 * strictly inside the window where every validity check passed; anything
 * else runs dcap_verify in full. Thread-safe (one mutex). */
typedef struct dcap_cache dcap_cache;
int dcap_cache_new(dcap_cache **ret, cc_error **err);
void dcap_cache_free(dcap_cache *c);
/* dcap_verify through the cache: the same result and message as
 * dcap_verify for every input. */
int dcap_verify_cached(dcap_cache *cache, const dcap_collateral *c,
                       const struct dcap_verify_in *in, struct dcap_verify_out *out,
                       cc_error **err);
/* Counters for tests and benchmarks. */
void dcap_cache_stats(dcap_cache *c, unsigned long *hits, unsigned long *misses);

#endif
