/* Attesters and verifiers, one small function table each (STYLE.md,
 * "Backends behind one small function table"; docs/attest-tpm.md).
 *
 * An attester turns the runtime-data digest (Trustee reference §1.4: SHA-384
 * of the JCS runtime data, 48 bytes) into the TEE's evidence JSON, as
 * guest-components' attesters do. A verifier checks such evidence against the
 * digest it expects (and the init-data digest, when the request carried
 * init-data) and returns the claims Trustee's verifier for that TEE returns.
 * Backends live in files named after their TEE (tpm_*.c, ...), each with a
 * header (tpm.h) whose constructor returns one of these objects.
 */
#ifndef COCOON_ATTEST_H
#define COCOON_ATTEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

typedef struct attest_attester attest_attester;
struct attest_snp_policy; /* snp.h */
typedef struct attest_verifier attest_verifier;

typedef struct attest_attester_ops {
	/* kbs-types tee name: "tpm", "sample", "snp", "tdx", ... */
	const char *tee;
	/* Evidence bound to report_data (len bytes). On success
	 * *ret_evidence is a NUL-terminated JSON text the caller frees. */
	int (*get_evidence)(attest_attester *a, const uint8_t *report_data, size_t len,
	                    char **ret_evidence, cc_error **err);
	void (*free)(attest_attester *a);
} attest_attester_ops;

/* Every backend's object starts with this header (as tpm2-tss TCTIs do). */
struct attest_attester {
	const attest_attester_ops *ops;
};

/* What a verifier is built with besides its TEE (attest_registry.h). Zero and
 * NULL fields mean the defaults; a backend ignores the fields that do not
 * concern its TEE. Paths are read at construction. */
typedef struct attest_verifier_opts {
	int64_t at;             /* Unix seconds for every validity check (certificates,
	                         * CRLs, collateral); 0: the clock at each check */
	const char *vcek;       /* snp: VCEK or VLEK (PEM or DER), used instead of the
	                         * evidence's certificate table and the store */
	const char *cert_chain; /* snp: PEM file, ASK (or ASVK) then ARK; the ARK must
	                         * equal the built-in one for the product */
	const char *collateral; /* tdx, sgx, az-tdx-vtpm: collateral JSON (PCS/PCCS bodies
	                         * or dcap-qvl's QuoteCollateralV3) */
	const char *cache_dir;  /* offline VCEK/CRL/collateral store; NULL: none */
	int allow_fetch;        /* nonzero: fetch what the store lacks from AMD KDS or
	                         * Intel PCS/PCCS (never by default) */
	const char *pccs_url;   /* NULL: Intel PCS */
	const char *trusted_ak_dir; /* tpm: trusted AK public keys (tpm.h) */
	const char *tpm_ak_ca_dir;  /* tpm: CAs (and CRLs) an AK certificate must chain to */
	const uint8_t *nonce;   /* tpm: compared byte for byte with the quote's qualifying
	                         * data (the CLI's --nonce); NULL: not checked that way */
	size_t nonce_len;
	const struct attest_snp_policy *snp; /* snp: policy checks (snp.h); NULL: Trustee's */
} attest_verifier_opts;

typedef struct attest_verifier_ops {
	const char *tee;       /* kbs-types tee name */
	const char *tee_class; /* Trustee's class: "cpu", "gpu", ... */
	/* Checks evidence (the request's primary_evidence value) against
	 * report_data (NULL: not provided, as Trustee's ReportData::NotProvided)
	 * and init_data, the init-data digest (NULL: no init-data). On success
	 * *ret_claims is a new JSON object the caller decrefs. */
	int (*evaluate)(attest_verifier *v, const json_t *evidence, const uint8_t *report_data,
	                size_t report_data_len, const uint8_t *init_data, size_t init_data_len,
	                json_t **ret_claims, cc_error **err);
	/* Optional (NULL: this TEE's evidence is JSON only). Wraps a raw
	 * report or quote (the bytes a TEE device returns) into the evidence
	 * JSON evaluate() takes, as `cocoon evidence verify` needs. */
	int (*wrap_raw)(attest_verifier *v, const uint8_t *raw, size_t len, json_t **ret_evidence,
	                cc_error **err);
	void (*free)(attest_verifier *v);
} attest_verifier_ops;

struct attest_verifier {
	const attest_verifier_ops *ops;
};

static inline const char *attest_attester_tee(const attest_attester *a)
{
	return a->ops->tee;
}

static inline int attest_attester_get_evidence(attest_attester *a, const uint8_t *report_data,
                                               size_t len, char **ret_evidence, cc_error **err)
{
	return a->ops->get_evidence(a, report_data, len, ret_evidence, err);
}

/* NULL is a no-op. */
static inline void attest_attester_free(attest_attester *a)
{
	if (a != NULL)
		a->ops->free(a);
}

static inline const char *attest_verifier_tee(const attest_verifier *v)
{
	return v->ops->tee;
}

static inline const char *attest_verifier_tee_class(const attest_verifier *v)
{
	return v->ops->tee_class;
}

static inline int attest_verifier_evaluate(attest_verifier *v, const json_t *evidence,
                                           const uint8_t *report_data, size_t report_data_len,
                                           const uint8_t *init_data, size_t init_data_len,
                                           json_t **ret_claims, cc_error **err)
{
	return v->ops->evaluate(v, evidence, report_data, report_data_len, init_data,
	                        init_data_len, ret_claims, err);
}

/* -ENOTSUP (with a message) when the TEE has no raw form. */
int attest_verifier_wrap_raw(attest_verifier *v, const uint8_t *raw, size_t len,
                             json_t **ret_evidence, cc_error **err);

/* NULL is a no-op. */
static inline void attest_verifier_free(attest_verifier *v)
{
	if (v != NULL)
		v->ops->free(v);
}

#endif
