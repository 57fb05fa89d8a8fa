/* Internals of the DCAP collateral side (dcap.h): the parsed collateral,
 * the parsed tcbInfo / enclaveIdentity bodies, the PCK extension parser,
 * the chain and signature helpers and the TCB matching steps. Only
 * lib/attest/dcap_*.c, the unit tests and the fuzz target include it. */
#ifndef COCOON_ATTEST_DCAP_INT_H
#define COCOON_ATTEST_DCAP_INT_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "cocoon/limits.h"
#include "dcap.h"

#define DCAP_SVN_COUNT 16
#define DCAP_SIG_LEN 64 /* raw r||s of ECDSA P-256 */

/* Intel's statuses, in the order their names are listed in dcap.h. The
 * first seven are what tcbInfo and enclaveIdentity levels may say; the
 * two TD relaunch statuses are only computed (QVL's checkForRelaunch). */
enum dcap_status {
	DCAP_UP_TO_DATE,
	DCAP_SW_HARDENING_NEEDED,
	DCAP_CONFIGURATION_NEEDED,
	DCAP_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	DCAP_OUT_OF_DATE,
	DCAP_OUT_OF_DATE_CONFIGURATION_NEEDED,
	DCAP_REVOKED,
	DCAP_TD_RELAUNCH_ADVISED,
	DCAP_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
};

/* Intel's name of a status ("UpToDate", ...). */
const char *dcap_status_name(enum dcap_status s);
/* -EINVAL for a name that is not one of the seven a level may carry. */
int dcap_status_parse(const char *name, enum dcap_status *ret);

struct dcap_collateral {
	char *tcb_info; /* the exact signed text of the tcbInfo JSON value */
	size_t tcb_info_len;
	uint8_t tcb_info_sig[DCAP_SIG_LEN];
	char *qe_identity; /* the exact signed text of the enclaveIdentity value */
	size_t qe_identity_len;
	uint8_t qe_identity_sig[DCAP_SIG_LEN];
	uint8_t *pck_crl; /* DER */
	size_t pck_crl_len;
	uint8_t *root_ca_crl; /* DER */
	size_t root_ca_crl_len;
	char *pck_crl_issuer_chain; /* PEM; NULL when the collateral has none */
	char *tcb_info_issuer_chain;
	char *qe_identity_issuer_chain;
	/* Tests only: the DER of the root that replaces the built-in Intel SGX
	 * Root CA. Nothing outside tests/ sets it (no config or CLI path). */
	const uint8_t *test_root_der;
	size_t test_root_len;
};

/* One level of tcbLevels: platform (sgx/pcesvn/tdx) or identity (isvsvn). */
struct dcap_level {
	uint8_t sgx[DCAP_SVN_COUNT];
	uint16_t pcesvn;
	uint8_t tdx[DCAP_SVN_COUNT];
	bool has_tdx;
	uint16_t isvsvn;
	int64_t tcb_date;
	enum dcap_status status;
	json_t *advisory_ids; /* borrowed from the document; NULL: none */
};

struct dcap_levels {
	size_t n;
	struct dcap_level *v;
};

struct dcap_module_identity {
	char id[16];
	uint8_t mrsigner[48];
	uint8_t attributes[8];
	uint8_t attributes_mask[8];
	struct dcap_levels levels;
};

struct dcap_tcb_info {
	json_t *doc;
	char id[8]; /* "SGX" or "TDX" */
	int version;
	int64_t issue_date, next_update;
	uint32_t tcb_eval_num; /* tcbEvaluationDataNumber */
	uint8_t fmspc[6];
	uint8_t pceid[2];
	bool has_tdx_module;
	uint8_t module_mrsigner[48];
	uint8_t module_attributes[8];
	uint8_t module_attributes_mask[8];
	size_t n_modules;
	struct dcap_module_identity *modules;
	struct dcap_levels levels;
};

struct dcap_qe_identity {
	json_t *doc;
	char id[16]; /* "QE", "TD_QE", "QVE" */
	int version;
	int64_t issue_date, next_update;
	uint32_t tcb_eval_num; /* tcbEvaluationDataNumber */
	uint32_t miscselect, miscselect_mask;
	uint8_t attributes[16], attributes_mask[16];
	uint8_t mrsigner[32];
	uint16_t isvprodid;
	struct dcap_levels levels;
};

/* dcap_body.c: the signed bodies, parsed after their signature checked. */
int dcap_tcb_info_parse(const char *text, size_t len, struct dcap_tcb_info *ret,
                        cc_error **err);
void dcap_tcb_info_clear(struct dcap_tcb_info *t);
int dcap_qe_identity_parse(const char *text, size_t len, struct dcap_qe_identity *ret,
                           cc_error **err);
void dcap_qe_identity_clear(struct dcap_qe_identity *q);
/* "2025-09-02T07:41:59Z" → Unix seconds; -EINVAL otherwise. */
int dcap_parse_time(const char *s, int64_t *ret);

/* dcap_json.c: the byte span of member `key`'s value in the JSON object
 * text (s, len), which jansson has already accepted; -ENOENT if absent. */
int dcap_json_member_span(const char *s, size_t len, const char *key, size_t *ret_off,
                          size_t *ret_len);
/* hex (either case) of exactly out_len bytes. */
int dcap_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len);

/* dcap_pckext.c: the SGX extension (OID 1.2.840.113741.1.13.1) DER. */
int dcap_pck_ext_parse(const uint8_t *der, size_t len, struct dcap_pck_ext *ret, cc_error **err);
/* Finds the extension in the leaf and parses it; processor_ca from the
 * leaf's issuer CN ("Intel SGX PCK Processor CA" / "... Platform CA"). */
int dcap_pck_ext_from_cert(X509 *leaf, struct dcap_pck_ext *ret, cc_error **err);

/* dcap_root.c: the built-in Intel SGX Root CA (checked against its
 * SHA-256 fingerprint when loaded), or the test root of `c`. */
int dcap_root_load(const dcap_collateral *c, X509 **ret, cc_error **err);

/* dcap_fetch.c: the root CA CRL's URL for a PCCS ({base}/sgx/certification/
 * v4/rootcacrl) or, for Intel PCS (api.trustedservices.intel.com), the
 * built-in root's CRL distribution point. */
int dcap_root_crl_url(const char *base, char *url, size_t size);

/* dcap_chain.c */
/* Reads up to `max` PEM certificates (NUL padding after the last one is
 * allowed); `what` names the chain in errors. */
int dcap_chain_load(const char *what, const char *pem, size_t len, size_t want,
                    STACK_OF(X509) **ret, cc_error **err);
/* The last certificate of `chain` equals `root` byte for byte. */
int dcap_chain_root_is(const char *what, STACK_OF(X509) *chain, X509 *root, cc_error **err);
/* X509_verify_cert of chain[0] with chain[1..] untrusted, only `root`
 * trusted, at `at`, every certificate checked against `crls`. */
int dcap_chain_verify(const char *what, STACK_OF(X509) *chain, X509 *root,
                      STACK_OF(X509_CRL) *crls, int64_t at, cc_error **err);
/* Parses a DER CRL, checks it is signed by `issuer` and valid at `at`
 * (thisUpdate ≤ at ≤ nextUpdate). */
int dcap_crl_load(const char *what, const uint8_t *der, size_t len, X509 *issuer, int64_t at,
                  X509_CRL **ret, cc_error **err);
/* ECDSA P-256 SHA-256 raw r||s signature of `cert` over (msg, len). */
int dcap_sig_verify(X509 *cert, const uint8_t *msg, size_t len, const uint8_t sig[DCAP_SIG_LEN]);

/* dcap_tcb.c */
int dcap_qe_identity_check(const struct dcap_qe_identity *q, const struct dcap_qe_report *qe,
                           int is_tdx, const struct dcap_level **ret_level, cc_error **err);
/* The levels the TCB matching selected (QVL's checkTcbLevel). */
struct dcap_match {
	const struct dcap_level *sgx;    /* first level matching SGX components and PCESVN */
	const struct dcap_level *level;  /* the platform level (TDX: also the TDX components) */
	const struct dcap_level *module; /* the TDX module identity's level; NULL: none */
	enum dcap_status status;         /* the platform status converged with the module's and,
	                                  * for TD 1.5, the relaunch check (not yet the QE's) */
};
int dcap_tcb_match(const struct dcap_tcb_info *t, const struct dcap_verify_in *in,
                   const struct dcap_pck_ext *pck, enum dcap_status qe_status,
                   struct dcap_match *ret, cc_error **err);
/* Intel QVL's convergence of the platform status with an OutOfDate TDX
 * module or QE status. */
enum dcap_status dcap_status_converge(enum dcap_status platform, enum dcap_status other);
/* QVL's checkForRelaunch: a TD launched on an OutOfDate TDX module whose
 * current module (TEE_TCB_SVN2) is at the latest level is advised to
 * relaunch; otherwise `tdx_status`. -EACCES (message set) when svn2
 * names a module identity the tcbInfo does not have. */
int dcap_relaunch_check(const struct dcap_tcb_info *t, const uint8_t svn2[16],
                        enum dcap_status sgx_status, enum dcap_status tdx_status,
                        enum dcap_status module_status, enum dcap_status qe_status,
                        enum dcap_status *ret, cc_error **err);

/* dcap_verify.c: dcap_verify, and on success (ret_prep non-NULL) what a
 * later verification with the same collateral and PCK chain may reuse. */
struct dcap_prep;
int dcap_verify_run(const dcap_collateral *c, const struct dcap_verify_in *in,
                    struct dcap_verify_out *out, struct dcap_prep **ret_prep, cc_error **err);
/* The quote-dependent checks (binding, QE identity, TCB levels, statuses)
 * on a prep's trusted bodies; the caller has checked the window. */
int dcap_prep_finish(const struct dcap_prep *p, const struct dcap_verify_in *in,
                     struct dcap_verify_out *out, cc_error **err);
/* Every validity check of the run that made p passes for
 * valid_lo <= at < valid_hi (the latest notBefore / thisUpdate /
 * issueDate, the earliest notAfter / nextUpdate). */
int64_t dcap_prep_valid_lo(const struct dcap_prep *p);
int64_t dcap_prep_valid_hi(const struct dcap_prep *p);
void dcap_prep_free(struct dcap_prep *p);

#endif
