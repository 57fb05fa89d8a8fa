/* Prometheus metrics under Trustee's names (trustee.md §6; Trustee's
 * kbs/docs/prometheus.md), served at GET /metrics. Counters are atomics;
 * labelled ones keep a bounded set of label values. /metrics and /healthz
 * themselves are not counted, as in Trustee. */
#ifndef COCOON_KBS_METRICS_H
#define COCOON_KBS_METRICS_H

#include <stddef.h>

#include "cocoon/buf.h"

struct kbs_metrics;

enum kbs_counter {
	KBS_M_HTTP_REQUESTS,
	KBS_M_POLICY_EVALUATIONS,
	KBS_M_POLICY_APPROVALS,
	KBS_M_POLICY_VIOLATIONS,
	KBS_M_POLICY_ERRORS,
	KBS_M_ATTESTATION_REQUESTS,
	KBS_M_ATTESTATION_ERRORS,
	KBS_M_AUTH_REQUESTS,
	KBS_M_AUTH_SUCCESSES,
	KBS_M_AUTH_ERRORS,
	KBS_M_N_COUNTERS
};

/* Counters labelled by tee_type. */
enum kbs_tee_counter {
	KBS_M_ATTESTATION_SUCCESSES,
	KBS_M_ATTESTATION_FAILURES,
	KBS_M_N_TEE_COUNTERS
};

/* Counters labelled by resource_path. */
enum kbs_res_counter {
	KBS_M_RESOURCE_READS,
	KBS_M_RESOURCE_WRITES,
	KBS_M_RESOURCE_DELETES,
	KBS_M_N_RES_COUNTERS
};

struct kbs_metrics *kbs_metrics_new(void);
void kbs_metrics_free(struct kbs_metrics *m);

void kbs_metrics_inc(struct kbs_metrics *m, enum kbs_counter c);
void kbs_metrics_tee(struct kbs_metrics *m, enum kbs_tee_counter c, const char *tee);
void kbs_metrics_resource(struct kbs_metrics *m, enum kbs_res_counter c, const char *path);

/* A KBS request started / ended (active connections, duration, sizes). */
void kbs_metrics_begin(struct kbs_metrics *m, size_t request_bytes);
void kbs_metrics_end(struct kbs_metrics *m, double seconds, size_t response_bytes);

/* The static label for a tee name (one of kbs-types' names, else
 * "other"), so that label values never come from a client's bytes. */
const char *kbs_metrics_tee_label(const char *tee);

/* The Prometheus text exposition (format 0.0.4). */
int kbs_metrics_render(struct kbs_metrics *m, cc_buf *out);

#endif
