/* A synthetic SGX quote v3 and its collateral, signed with the keys of
 * tests/attest/data/sgx/ (make_dcap_pki.py's sgx_pki): the attestation
 * key signs the quote, the PCK leaf key the QE report, the TCB signing key
 * the tcbInfo and the QE identity (test_sgx_quote.c; docs/attest-tdx.md,
 * "SGX"). Every helper fails the test on error. */
#ifndef SGX_TEST_UTIL_H
#define SGX_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "tdx_test_util.h"

/* The test time, 2025-09-10T00:00:00Z: inside the certificates' window
 * (2020..2040), the CRLs' (2025-01-01..2026-01-01) and the tcbInfo / QE
 * identity made here (2025-09-01..2025-10-01). */
#define SGX_TEST_AT 1757462400

/* The keys and certificates of data/sgx/. */
typedef struct sgx_test_pki {
	tdx_test_keys keys;  /* att: attestation key; pck: PCK leaf key; pck_pem: chain */
	EVP_PKEY *tcb;       /* "Intel SGX TCB Signing" key */
	char *tcb_chain;     /* PEM: TCB signing certificate, root */
	char *pck_crl_chain; /* PEM: Platform CA, root */
	uint8_t *root_der;   /* the test root (DER) */
	size_t root_len;
	char *root_crl_hex, *pck_crl_hex;
	const char *dir;
} sgx_test_pki;

sgx_test_pki *sgx_test_pki_load(const char *dir);
void sgx_test_pki_free(sgx_test_pki *p);

/* The enclave the synthetic quote describes (hex strings of the claims). */
#define SGX_TEST_CPU_SVN "05050202030100030000000000000000"
#define SGX_TEST_MR_ENCLAVE "c0c0a1e5c0c0a1e5c0c0a1e5c0c0a1e5c0c0a1e5c0c0a1e5c0c0a1e5c0c0a1e5"
#define SGX_TEST_MR_SIGNER "5167e5167e5167e5167e5167e5167e5167e5167e5167e5167e5167e5167e5167"
#define SGX_TEST_ISV_PROD_ID "0100"  /* 1, little-endian */
#define SGX_TEST_ISV_SVN "0300"      /* 3 */
#define SGX_TEST_CONFIG_SVN "0200"   /* 2 */
#define SGX_TEST_FLAGS "0500000000000000" /* INIT | MODE64BIT, not DEBUG */
#define SGX_TEST_XFRM "e700000000000000"
#define SGX_TEST_FAMILY_ID "000102030405060708090a0b0c0d0e0f"
#define SGX_TEST_EXT_PROD_ID "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
/* The QE report: Intel's QE MRSIGNER, ISVPRODID 1, ISVSVN 8. */
#define SGX_TEST_QE_MRSIGNER "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff"
/* The PCK leaf's PlatformInstanceID a0..af, as Trustee prints it. */
#define SGX_TEST_PIID "afaeadacabaaa9a8a7a6a5a4a3a2a1a0"

/* A quote v3 of the enclave above with REPORTDATA = report_data (64
 * bytes) and CONFIGID = config_id (64 bytes), every signature and the QE
 * binding valid; chain (NULL: the PKI's pck_chain.pem) as the PCK
 * certification data. The caller frees it. */
uint8_t *sgx_test_quote(const sgx_test_pki *p, const uint8_t report_data[64],
                        const uint8_t config_id[64], const char *chain, size_t *ret_len);

/* Signs the quote's header and body again with the attestation key and
 * the QE report with the PCK key (after a test changed them). */
void sgx_test_resign(const sgx_test_pki *p, uint8_t *q, size_t len);

/* Appends one SGX tcbInfo v3 level (16 components comps, pcesvn, Intel
 * status, advisory id or NULL) to the JSON array text in buf ("[" first). */
void sgx_test_level(char *buf, size_t cap, const uint8_t comps[16], unsigned pcesvn,
                    const char *status, const char *advisory);

/* An SGX tcbInfo v3 text (id "SGX", FMSPC 00906ED50000, PCEID 0000,
 * 2025-09-01..2025-10-01) with levels (a JSON array text). Caller frees. */
char *sgx_test_tcb_info(const char *levels);

/* The QE identity text (id "QE", version 2) matching the quote's QE
 * report: ISVSVN 8 UpToDate, 6 OutOfDate. Caller frees. */
char *sgx_test_qe_identity(const char *id);

/* Collateral JSON (dcap-qvl's QuoteCollateralV3 shape) holding tcb_info
 * and qe_identity signed by the TCB signing key, the PKI's CRLs and issuer
 * chains; pck_crl_hex NULL: the PKI's good PCK CRL. Caller frees. */
char *sgx_test_collateral(const sgx_test_pki *p, const char *tcb_info, const char *qe_identity,
                          const char *pck_crl_hex);

/* hex of the file dir/name (caller frees). */
char *sgx_test_file_hex(const char *dir, const char *name);

#endif
