/* Internals of the snp verifier (lib/attest/snp_*.c), shared between its
 * files, the unit tests and the fuzz target (docs/attest-snp.md). */
#ifndef COCOON_ATTEST_SNP_INT_H
#define COCOON_ATTEST_SNP_INT_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "cocoon/limits.h"
#include "snp.h"

/* SEV-SNP ABI (AMD 56860) ATTESTATION_REPORT: 0x4A0 bytes, the signature
 * covers bytes 0x000..0x29F. */
#define SNP_REPORT_SIZE 0x4A0u
#define SNP_SIGNED_SIZE 0x2A0u
#define SNP_VERSION_MIN 2u
#define SNP_VERSION_MAX 5u
#define SNP_SIG_ALGO_ECDSA_P384_SHA384 1u

enum snp_product {
	SNP_PRODUCT_NONE = 0, /* a version 2 report: no CPUID fields */
	SNP_MILAN,
	SNP_GENOA,
	SNP_TURIN,
};
#define SNP_N_PRODUCTS 3u

/* "Milan", "Genoa", "Turin" (KDS path segments); "unknown" otherwise. */
const char *snp_product_name(enum snp_product p);

/* TCB_VERSION (8 bytes). Milan/Genoa: [bl, tee, 0,0,0,0, snp, ucode];
 * Turin: [fmc, bl, tee, snp, 0,0,0, ucode]. */
typedef struct snp_tcb {
	bool has_fmc; /* Turin layout */
	uint8_t fmc, bootloader, tee, snp, microcode;
} snp_tcb;

/* key_info bits 4:2 (SIGNING_KEY). */
enum { SNP_SIGNING_KEY_VCEK = 0, SNP_SIGNING_KEY_VLEK = 1, SNP_SIGNING_KEY_NONE = 7 };

typedef struct snp_report {
	uint8_t raw[SNP_REPORT_SIZE]; /* the report's bytes (the signed region is raw[0..0x2A0)) */
	uint32_t version, guest_svn;
	uint64_t policy;
	uint8_t family_id[16], image_id[16];
	uint32_t vmpl, sig_algo;
	snp_tcb current_tcb;
	uint64_t plat_info;
	uint32_t key_info;
	uint8_t report_data[64], measurement[48], host_data[32];
	uint8_t id_key_digest[48], author_key_digest[48], report_id[32], report_id_ma[32];
	snp_tcb reported_tcb;
	bool has_cpuid; /* version >= 3 */
	uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step;
	uint8_t chip_id[64];
	snp_tcb committed_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	snp_tcb launch_tcb;
	bool has_mit; /* version >= 5 */
	uint64_t launch_mit_vector, current_mit_vector;
	uint8_t sig_r[72], sig_s[72]; /* little-endian */
	enum snp_product product;
} snp_report;

/* ---- snp_report.c: the binary report ---------------------------------- */

/* The product a v3+ report's CPUID family/model names, as the sev crate and
 * Trustee pick it; SNP_PRODUCT_NONE when none. */
enum snp_product snp_product_from_cpuid(uint8_t fam, uint8_t mod);
/* Parses a report of exactly SNP_REPORT_SIZE bytes: "truncated" /
 * "oversized" / "attestation report: ..." errors (-EINVAL). */
int snp_report_parse(const uint8_t *p, size_t len, snp_report *ret, cc_error **err);
/* Writes r's fields into r->raw as the sev crate serialises them (reserved
 * bytes zero); -EINVAL when a field does not fit the layout. */
int snp_report_encode(snp_report *r, cc_error **err);

/* ---- snp_json.c: evidence JSON ---------------------------------------- */

typedef struct snp_cert_entry {
	char type[8]; /* "ARK", "ASK", "VCEK", "VLEK", "CRL" ("" for others) */
	uint8_t *data;
	size_t len;
} snp_cert_entry;

typedef struct snp_evidence {
	snp_report report;
	bool has_chain; /* cert_chain present and not null */
	snp_cert_entry certs[CC_SNP_MAX_CERT_ENTRIES];
	size_t n_certs;
} snp_evidence;

/* Decodes {"attestation_report": {...}, "cert_chain": [...]|null} as
 * Trustee's SnpEvidence (serde: unknown members ignored, Option fields
 * may be missing or null) and re-encodes the report's bytes. */
int snp_evidence_parse(const json_t *ev, snp_evidence **ret, cc_error **err);
void snp_evidence_free(snp_evidence *e);
/* The sev-crate JSON of a report (wrap_raw). */
json_t *snp_report_to_json(const snp_report *r);
/* n bytes as a JSON array of integers (serde's Vec<u8>, as the sev crate
 * prints byte fields); NULL when out of memory. */
json_t *snp_bytes_json(const uint8_t *p, size_t n);
/* Trustee's claims for a verified report. */
json_t *snp_claims(const snp_report *r);

/* ---- snp_certs.c: built-in AMD roots ---------------------------------- */

typedef struct snp_vendor {
	X509 *ark, *ask, *asvk;
} snp_vendor;

/* The built-in ASK, ARK and ASVK of product p (lib/attest/snp_certs/), or
 * those of pem (same order and names) when not NULL. */
int snp_vendor_load(enum snp_product p, const char *pem, snp_vendor *ret, cc_error **err);
/* Tests only: replaces product p's built-in roots in verifier v (from
 * snp_verifier_new) with pem (ASK, ARK, ASVK), so that tests can sign
 * with a PKI they control. */
int snp_verifier_set_roots(attest_verifier *v, enum snp_product p, const char *pem,
                           cc_error **err);
/* The chip_id and TCB bindings of a report to its VEK (vlek: no hwID). */
int snp_check_bindings(const snp_report *r, X509 *vek, bool vlek, cc_error **err);
void snp_vendor_clear(snp_vendor *v);

/* ---- snp_chain.c: certificates and signatures ------------------------- */

/* Reads one certificate, DER or PEM. */
X509 *snp_x509_parse(const uint8_t *p, size_t len);
/* Checks x is signed with RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48. */
int snp_check_pss(X509 *x, const char *what, cc_error **err);
/* Verifies ARK (self-signed) -> ca (ASK or ASVK) -> vek at time at (0:
 * now) with OpenSSL's chain verification on a store holding ark only,
 * each signature RSA-PSS as AMD signs; crl (NULL: none) signed by ark or
 * ca is checked for its window and the chain's serials. what: "VCEK" or
 * "VLEK". Errors start with "<what> chain", "CRL expired" or
 * "certificate revoked". */
int snp_chain_verify(X509 *ark, X509 *ca, X509 *vek, X509_CRL *crl, int64_t at,
                     const char *what, cc_error **err);

typedef struct snp_vek_ext {
	bool has_hwid;
	uint8_t hwid[64];
	size_t hwid_len;
	bool has_fmc;
	uint8_t bl, tee, snp, ucode, fmc;
} snp_vek_ext;

/* AMD's VCEK/VLEK extensions (hwID 1.3.6.1.4.1.3704.1.4, raw or DER OCTET
 * STRING; SPLs 1.3.6.1.4.1.3704.1.3.{1,2,3,8,9} as DER INTEGERs 0..255). */
int snp_vek_extensions(X509 *vek, snp_vek_ext *ret, cc_error **err);
/* ECDSA P-384 SHA-384 of r->raw[0..0x2A0) with vek's key, r/s little-endian. */
int snp_report_verify_sig(const snp_report *r, X509 *vek, cc_error **err);

/* ---- snp_store.c: VCEKs and CRLs from the cache dir or AMD KDS -------- */

/* The whole file (at most CC_SNP_MAX_CERT_BYTES); -ENOENT (no message)
 * when it does not exist. */
int snp_read_file(const char *path, uint8_t **ret, size_t *ret_len, cc_error **err);
/* "<hwid hex>" as KDS and the cache key it (Turin: first 8 bytes). */
void snp_hwid_hex(const snp_report *r, enum snp_product p, char out[129]);
/* The VCEK for r on product p: cache_dir/vcek/<hwid>/<tcb>_vcek.der, then
 * cache_dir/vcek/<hwid>/vcek.der, then (allow_fetch) KDS
 * base/vcek/v1/<Product>/<hwid>?...SPL=.. written back to the cache.
 * -ENOENT when none of those has it. *ret DER, malloc'd. */
int snp_store_vcek(const char *cache_dir, bool allow_fetch, const char *kds_base,
                   const snp_report *r, enum snp_product p, uint8_t **ret, size_t *ret_len,
                   cc_error **err);
/* The product's CRL: cache_dir/crl/<Product>.crl (DER or PEM), then (with
 * allow_fetch) KDS base/vcek/v1/<Product>/crl written to the cache. NULL
 * (return 0) when there is none. */
int snp_store_crl(const char *cache_dir, bool allow_fetch, const char *kds_base,
                  enum snp_product p, X509_CRL **ret, cc_error **err);

#endif
