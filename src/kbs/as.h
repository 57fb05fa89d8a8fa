/* The built-in attestation service (trustee.md §3.1): verify the primary
 * evidence (and any additional device evidence) with the TEE's verifier
 * against the runtime-data digest and the init-data digest, turn the
 * claims into the annotated evidence, appraise it with the attestation
 * policy and sign an EAR token (ear.h). */
#ifndef COCOON_KBS_AS_H
#define COCOON_KBS_AS_H

#include <jansson.h>

#include "kbs.h"
#include "rcar.h"
#include "worker.h"

/* Trustee's transform_claims: the verifier's claims minus report_data and
 * init_data under the tee's name; report_data with runtime_data_claims,
 * init_data with init_data_claims beside it (when the verifier returned
 * them). Takes over claims; *ret is the annotated evidence. */
int kbs_as_annotate(json_t *claims, const char *tee, json_t *runtime_data,
                    json_t *init_data_claims, json_t **ret, cc_error **err);

/* Evaluates an Attestation of a session for tee; *ret_token the EAR. */
int kbs_as_evaluate(struct kbs_worker *w, const char *tee, const struct kbs_attestation *a,
                    char **ret_token, cc_error **err);

#endif
