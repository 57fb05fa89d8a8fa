/* Policies built into cocoon-kbs (src/kbs/policies/, provenance in its
 * README.md), generated into a C file by embed.py at build time. */
#ifndef COCOON_KBS_EMBEDDED_H
#define COCOON_KBS_EMBEDDED_H

#include <stddef.h>

/* Trustee's EAR attestation policies, installed as default_cpu and
 * default_gpu at first start. */
extern const char kbs_policy_ear_cpu[];
extern const size_t kbs_policy_ear_cpu_len;
extern const char kbs_policy_ear_gpu[];
extern const size_t kbs_policy_ear_gpu_len;

/* Trustee's default resource policy, installed at first start when no
 * [policy_engine] policy_path names another. */
extern const char kbs_policy_resource_default[];
extern const size_t kbs_policy_resource_default_len;

#endif
