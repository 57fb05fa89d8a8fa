/* Prometheus metrics (metrics.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/limits.h"
#include "kbs_util.h"
#include "metrics.h"

static const char *const tee_labels[] = {
	"az-snp-vtpm", "az-tdx-vtpm", "nvidia", "sev", "sgx", "snp", "tdx", "cca",
	"csv", "se", "hygondcu", "tpm", "sample", "sampledevice", "other",
};
#define N_TEES (sizeof(tee_labels) / sizeof(tee_labels[0]))

static const double dur_buckets[] = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.5, 1.0};
#define N_DUR (sizeof(dur_buckets) / sizeof(dur_buckets[0]))
static const double size_buckets[] = {32, 128, 512, 2048, 8192};
#define N_SIZE (sizeof(size_buckets) / sizeof(size_buckets[0]))

/* Resource paths: open addressing, never deleted; twice the cap. */
#define RES_SLOTS (2 * CC_KBS_MAX_METRIC_PATHS)

struct res_slot {
	char *path;
	atomic_uint_fast64_t n[KBS_M_N_RES_COUNTERS];
};

struct histogram {
	atomic_uint_fast64_t bucket[8];
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_micro; /* the sum in millionths (us, bytes * 1e6) */
};

struct kbs_metrics {
	atomic_uint_fast64_t c[KBS_M_N_COUNTERS];
	atomic_uint_fast64_t tee[KBS_M_N_TEE_COUNTERS][N_TEES];
	atomic_int_fast64_t active;
	struct histogram duration, req_size, resp_size;
	pthread_mutex_t res_lock;
	size_t n_res;
	struct res_slot res[RES_SLOTS];
	struct res_slot other;
};

struct kbs_metrics *kbs_metrics_new(void)
{
	struct kbs_metrics *m = calloc(1, sizeof(*m));
	if (m != NULL)
		pthread_mutex_init(&m->res_lock, NULL);
	return m;
}

void kbs_metrics_free(struct kbs_metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < RES_SLOTS; i++)
		free(m->res[i].path);
	pthread_mutex_destroy(&m->res_lock);
	free(m);
}

void kbs_metrics_inc(struct kbs_metrics *m, enum kbs_counter c)
{
	if (m != NULL)
		atomic_fetch_add(&m->c[c], 1);
}

const char *kbs_metrics_tee_label(const char *tee)
{
	for (size_t i = 0; i + 1 < N_TEES; i++)
		if (tee != NULL && strcmp(tee, tee_labels[i]) == 0)
			return tee_labels[i];
	return "other";
}

void kbs_metrics_tee(struct kbs_metrics *m, enum kbs_tee_counter c, const char *tee)
{
	const char *l = kbs_metrics_tee_label(tee);
	for (size_t i = 0; m != NULL && i < N_TEES; i++)
		if (l == tee_labels[i])
			atomic_fetch_add(&m->tee[c][i], 1);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* The slot of path, made when there is room; &m->other otherwise. */
static struct res_slot *res_slot(struct kbs_metrics *m, const char *path)
{
	size_t i = (size_t)(fnv1a(path) % RES_SLOTS);
	struct res_slot *s = &m->other;
	pthread_mutex_lock(&m->res_lock);
	for (size_t k = 0; k < RES_SLOTS; k++, i = (i + 1) % RES_SLOTS) {
		if (m->res[i].path == NULL) {
			if (m->n_res < CC_KBS_MAX_METRIC_PATHS && (m->res[i].path = strdup(path)) != NULL) {
				m->n_res++;
				s = &m->res[i];
			}
			break;
		}
		if (strcmp(m->res[i].path, path) == 0) {
			s = &m->res[i];
			break;
		}
	}
	pthread_mutex_unlock(&m->res_lock);
	return s;
}

void kbs_metrics_resource(struct kbs_metrics *m, enum kbs_res_counter c, const char *path)
{
	if (m != NULL)
		atomic_fetch_add(&res_slot(m, path)->n[c], 1);
}

static void observe(struct histogram *h, const double *b, size_t nb, double v)
{
	for (size_t i = 0; i < nb; i++)
		if (v <= b[i])
			atomic_fetch_add(&h->bucket[i], 1);
	atomic_fetch_add(&h->count, 1);
	atomic_fetch_add(&h->sum_micro, (uint64_t)(v * 1e6));
}

void kbs_metrics_begin(struct kbs_metrics *m, size_t request_bytes)
{
	if (m == NULL)
		return;
	atomic_fetch_add(&m->active, 1);
	atomic_fetch_add(&m->c[KBS_M_HTTP_REQUESTS], 1);
	observe(&m->req_size, size_buckets, N_SIZE, (double)request_bytes);
}

void kbs_metrics_end(struct kbs_metrics *m, double seconds, size_t response_bytes)
{
	if (m == NULL)
		return;
	observe(&m->duration, dur_buckets, N_DUR, seconds);
	observe(&m->resp_size, size_buckets, N_SIZE, (double)response_bytes);
	atomic_fetch_sub(&m->active, 1);
}

/* ---- the text exposition ------------------------------------------------- */

static const struct {
	const char *name, *help;
} counters[KBS_M_N_COUNTERS] = {
	[KBS_M_HTTP_REQUESTS] = {"kbs_http_requests_total",
	                         "Total count of HTTP requests to KBS protocol endpoints."},
	[KBS_M_POLICY_EVALUATIONS] = {"kbs_policy_evaluations_total",
	                              "Total count of resource policy evaluations."},
	[KBS_M_POLICY_APPROVALS] = {"kbs_policy_approvals_total",
	                            "Total count of resource policy evaluations that allowed access."},
	[KBS_M_POLICY_VIOLATIONS] = {"kbs_policy_violations_total",
	                             "Total count of resource policy evaluations that denied access."},
	[KBS_M_POLICY_ERRORS] = {"kbs_policy_errors_total",
	                         "Total count of resource policy evaluation errors."},
	[KBS_M_ATTESTATION_REQUESTS] = {"kbs_attestation_requests_total",
	                                "Total count of attestation requests."},
	[KBS_M_ATTESTATION_ERRORS] = {"kbs_attestation_errors_total",
	                              "Total count of errors during attestation processing."},
	[KBS_M_AUTH_REQUESTS] = {"kbs_auth_requests_total",
	                         "Total count of authentication (RCAR handshake) requests."},
	[KBS_M_AUTH_SUCCESSES] = {"kbs_auth_successes_total",
	                          "Total count of successful authentication requests."},
	[KBS_M_AUTH_ERRORS] = {"kbs_auth_errors_total",
	                       "Total count of errors during authentication processing."},
};

static void histogram(cc_buf *o, const char *name, const char *help, struct histogram *h,
                      const double *b, size_t nb)
{
	cc_buf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < nb; i++)
		cc_buf_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, b[i],
		              (unsigned long long)atomic_load(&h->bucket[i]));
	unsigned long long n = atomic_load(&h->count);
	cc_buf_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, n, name,
	              (double)atomic_load(&h->sum_micro) / 1e6, name, n);
}

static void res_counter(cc_buf *o, struct kbs_metrics *m, enum kbs_res_counter c,
                        const char *name, const char *help)
{
	cc_buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	pthread_mutex_lock(&m->res_lock);
	for (size_t i = 0; i < RES_SLOTS; i++)
		if (m->res[i].path != NULL && atomic_load(&m->res[i].n[c]) > 0)
			cc_buf_printf(o, "%s{resource_path=\"%s\"} %llu\n", name, m->res[i].path,
			              (unsigned long long)atomic_load(&m->res[i].n[c]));
	pthread_mutex_unlock(&m->res_lock);
	if (atomic_load(&m->other.n[c]) > 0)
		cc_buf_printf(o, "%s{resource_path=\"other\"} %llu\n", name,
		              (unsigned long long)atomic_load(&m->other.n[c]));
}

static void tee_counter(cc_buf *o, struct kbs_metrics *m, enum kbs_tee_counter c,
                        const char *name, const char *help)
{
	cc_buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i < N_TEES; i++)
		if (atomic_load(&m->tee[c][i]) > 0)
			cc_buf_printf(o, "%s{tee_type=\"%s\"} %llu\n", name, tee_labels[i],
			              (unsigned long long)atomic_load(&m->tee[c][i]));
}

int kbs_metrics_render(struct kbs_metrics *m, cc_buf *o)
{
	cc_buf_printf(o, "# HELP kbs_build_info KBS binary build information.\n"
	                 "# TYPE kbs_build_info gauge\n"
	                 "kbs_build_info{version=\"%s\",git_hash=\"\",build_date=\"\"} 1\n",
	              KBS_VERSION);
	for (int c = 0; c < KBS_M_N_COUNTERS; c++)
		cc_buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[c].name,
		              counters[c].help, counters[c].name, counters[c].name,
		              (unsigned long long)atomic_load(&m->c[c]));
	cc_buf_printf(o, "# HELP kbs_http_active_connections Count of HTTP connections currently "
	                 "being processed.\n# TYPE kbs_http_active_connections gauge\n"
	                 "kbs_http_active_connections %lld\n",
	              (long long)atomic_load(&m->active));
	histogram(o, "kbs_http_request_duration_seconds",
	          "Distribution of request handling duration in seconds.", &m->duration, dur_buckets,
	          N_DUR);
	histogram(o, "kbs_http_request_size_bytes", "Distribution of request body sizes in bytes.",
	          &m->req_size, size_buckets, N_SIZE);
	histogram(o, "kbs_http_response_size_bytes", "Distribution of response body sizes in bytes.",
	          &m->resp_size, size_buckets, N_SIZE);
	res_counter(o, m, KBS_M_RESOURCE_READS, "kbs_resource_reads_total",
	            "Count of resource read operations.");
	res_counter(o, m, KBS_M_RESOURCE_WRITES, "kbs_resource_writes_total",
	            "Count of resource write operations.");
	res_counter(o, m, KBS_M_RESOURCE_DELETES, "kbs_resource_deletes_total",
	            "Count of resource delete operations.");
	tee_counter(o, m, KBS_M_ATTESTATION_SUCCESSES, "kbs_attestation_successes_total",
	            "Total count of successful attestations partitioned by TEE type.");
	tee_counter(o, m, KBS_M_ATTESTATION_FAILURES, "kbs_attestation_failures_total",
	            "Total count of failed attestations.");
	return o->p != NULL ? 0 : -ENOMEM;
}
