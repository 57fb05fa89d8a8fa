/* Init-data as the KBS receives it in an Attestation (trustee.md §1.4):
 * {"format":"toml","body":"<TOML>"} where the TOML is
 *
 *   version = "0.1.0"
 *   algorithm = "sha256" | "sha384" | "sha512"
 *   [data]
 *   "aa.toml" = '''...'''   "cdh.toml" = '''...'''   "policy.rego" = '''...'''
 *
 * The digest is the named hash of the body's bytes, as sent. The claims
 * are the data table (strings), with aa.toml and cdh.toml turned into the
 * JSON of their TOML when they parse, and policy.rego replaced by
 * agent_policy_claims, the JSON object after "policy_data := {", when
 * there is one (Trustee's attestation service does the same). */
#ifndef COCOON_KBS_INITDATA_H
#define COCOON_KBS_INITDATA_H

#include <jansson.h>
#include <stdint.h>

#include "cocoon/error.h"
#include "jose_jcs.h"

struct kbs_initdata {
	uint8_t digest[CJ_HASH_MAX];
	size_t digest_len;
	json_t *claims; /* object */
};

/* format must be "toml" ("Unsupported initdata format" otherwise). */
int kbs_initdata_parse(const char *format, const char *body, size_t len,
                       struct kbs_initdata *ret, cc_error **err);
void kbs_initdata_clear(struct kbs_initdata *d);

#endif
