/* The EAR attestation token (trustee.md §3.5; draft-fv-rats-ear, Veraison's
 * rust-ear as Trustee uses it): an ES256 JWS with header
 * {"typ":"JWT","alg":"ES256","jwk":{..[,"x5c":[..]]}} and payload
 *
 *   {"eat_profile":..,"iat":..,"ear.verifier-id":{"developer":..,"build":..},
 *    "submods":{"cpu0":{"ear.status":..,"ear.trustworthiness-vector":{..},
 *                       "ear.appraisal-policy-id":"default",
 *                       "ear.veraison.annotated-evidence":{..},
 *                       <policy extensions, e.g. "ear.trustee.identifiers">}},
 *    "exp":iat + duration_min * 60,"iss":..}
 *
 * One appraisal per piece of evidence, named <tee class><index>. */
#ifndef COCOON_KBS_EAR_H
#define COCOON_KBS_EAR_H

#include <jansson.h>

#include "kbs.h"
#include "worker.h"

/* One verified piece of evidence: its TEE class ("cpu", "gpu") and the
 * annotated evidence (the policy's input and the token's
 * ear.veraison.annotated-evidence). */
struct kbs_ear_evidence {
	const char *tee_class;
	json_t *annotated;
};

/* ear.status of a set trust vector: the worst tier of its claims. A value
 * in [-1,1] is "none", [-32,31] "affirming", [-96,95] "warning", anything
 * else "contraindicated" (rust-ear's TrustClaim::tier). */
const char *kbs_ear_tier(int v);

/* The appraisal of one piece of evidence from the policy's results:
 * trust_claims (claim name -> integer -128..127; at least one), extensions
 * (array of {"name","key","value"}, may be NULL). *ret is the submodule
 * object (annotated is referenced). */
int kbs_ear_appraisal(const json_t *trust_claims, const json_t *extensions, json_t *annotated,
                      json_t **ret, cc_error **err);

/* Appraises every piece of evidence with policy "default_<class>" and
 * signs the token with ctx->signer. */
int kbs_ear_issue(struct kbs_worker *w, const struct kbs_ear_evidence *ev, size_t n,
                  char **ret_token, cc_error **err);

#endif
