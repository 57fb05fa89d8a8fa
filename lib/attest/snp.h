/* The `snp` verifier (AMD SEV-SNP), wire-compatible with Trustee's snp
 * verifier (docs/attest-snp.md).
 *
 * Evidence: {"attestation_report": {...the report's fields as the sev crate
 *            serialises them...}, "cert_chain": [{"cert_type": "VCEK", "data":
 *            [bytes]}, ...] or null}; wrap_raw takes the 1184-byte report.
 * The verifier is read-only after construction: evaluate() and
 * snp_verify_report() may run in several threads at once.
 */
#ifndef COCOON_ATTEST_SNP_H
#define COCOON_ATTEST_SNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest.h"

/* Policy checks on top of the hardware checks (attest_verifier_opts.snp).
 * Zero fields: Trustee's defaults (left to the attestation policy). */
struct attest_snp_policy {
	bool refuse_debug;     /* the guest policy's DEBUG bit set: refused */
	bool refuse_smt;       /* the platform has SMT enabled: refused */
	bool refuse_migration_agent; /* the guest policy allows a migration agent */
	int vmpl_max;          /* highest VMPL accepted: 0 (Trustee: VMPL 0 only); < 0 or > 3: any */
	bool check_min_tcb;    /* reported_tcb >= min_* (each SPL) */
	uint8_t min_bootloader, min_tee, min_snp, min_microcode, min_fmc;
	const uint8_t (*measurements)[48]; /* n_measurements accepted launch digests */
	size_t n_measurements;
};

/* The snp verifier built with o (cache_dir, allow_fetch, vcek, cert_chain,
 * at, snp). */
int snp_verifier_new(const attest_verifier_opts *o, attest_verifier **ret, cc_error **err);

/* Verifies a raw attestation report (len bytes) as evaluate() does and
 * returns Trustee's claims. vcek_der: the VCEK or VLEK (DER); NULL: found as
 * for a raw report (--vcek, cache dir, then KDS with allow_fetch).
 * report_data NULL: not checked; else compared with the report's 64 bytes,
 * zero-padded. snp must come from snp_verifier_new. */
int snp_verify_report(attest_verifier *snp, const uint8_t *report, size_t len,
                      const uint8_t *vcek_der, size_t vcek_len,
                      const uint8_t *report_data /* NULL: not checked */,
                      size_t report_data_len, json_t **ret_claims, cc_error **err);

#endif
