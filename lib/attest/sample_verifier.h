/* The `sample` verifier (Trustee's deps/verifier/src/sample): evidence
 * made by a test attester, with no hardware root of trust, for tests and
 * demos only (docs/kbs.md, "The sample TEE").
 *
 * Evidence: {"svn": "<string>", "report_data": "<standard base64>"}
 * (report_data may be absent: ""). Members it does not know are ignored,
 * as serde does.
 *
 * Checks: when report data is expected, the decoded report_data must be
 * exactly those bytes (48 for the KBS's SHA-384 runtime-data digest, no
 * padding). An init-data digest is not checked (the sample TEE has no
 * place for it), only echoed.
 *
 * Claims (tee class "cpu"):
 *   {"svn": <as sent>, "report_data": <as sent>, "launch_digest": "abcde",
 *    "platform_version": {"major": 1, "minor": 4}, "debug": false
 *    [, "init_data": "<standard base64 of the init-data digest>"]}
 */
#ifndef COCOON_ATTEST_SAMPLE_VERIFIER_H
#define COCOON_ATTEST_SAMPLE_VERIFIER_H

#include "attest.h"

/* Decoded report_data above this is refused before it is compared. */
#define SAMPLE_MAX_REPORT_DATA 4096u

/* A new sample verifier; *ret is the caller's (attest_verifier_free). */
int sample_verifier_new(attest_verifier **ret, cc_error **err);

#endif
