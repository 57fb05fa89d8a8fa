/* The `sample` attester: guest-components' attestation-agent/attester/src/
 * sample in C, for tests and development outside a TEE. Trustee's `sample`
 * verifier accepts its evidence; nothing in it is protected by hardware.
 *
 * Evidence: {"svn":"1","report_data":"<standard base64 of the report data>"}
 * (members in that order, no spaces: serde_json's form of upstream's
 * SampleQuote). The report data is encoded as given, not padded.
 */
#ifndef COCOON_ATTEST_SAMPLE_ATTESTER_H
#define COCOON_ATTEST_SAMPLE_ATTESTER_H

#include "attest.h"

/* Longest report data accepted (the longest runtime-data digest, SHA-512).
 * Upstream takes any length; every caller here passes a digest. */
#define SAMPLE_REPORT_DATA_MAX 64u

/* The svn the sample attester reports (upstream's constant). */
#define SAMPLE_ATTESTER_SVN "1"

/* A new sample attester in *ret (free with attest_attester_free). */
int sample_attester_new(attest_attester **ret, cc_error **err);

#endif
