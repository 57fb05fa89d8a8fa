/* Agent stats -> cgroup v1 Metrics (metrics.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "metrics.pb-c.h"
#include "ttrpc.h"

#define M(x) Io__Containerd__Cgroups__V1__##x

int shim_metrics_pack(const Grpc__StatsContainerResponse *s, uint8_t **ret, size_t *ret_len,
                      cc_error **err)
{
	M(Metrics) m = IO__CONTAINERD__CGROUPS__V1__METRICS__INIT;
	M(PidsStat) pids = IO__CONTAINERD__CGROUPS__V1__PIDS_STAT__INIT;
	M(CPUStat) cpu = IO__CONTAINERD__CGROUPS__V1__CPUSTAT__INIT;
	M(CPUUsage) usage = IO__CONTAINERD__CGROUPS__V1__CPUUSAGE__INIT;
	M(Throttle) thr = IO__CONTAINERD__CGROUPS__V1__THROTTLE__INIT;
	M(MemoryStat) mem = IO__CONTAINERD__CGROUPS__V1__MEMORY_STAT__INIT;
	M(MemoryEntry) mu = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
	M(MemoryEntry) ms = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
	M(MemoryEntry) mk = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
	/* ctr prints memory.Usage and cpu.Usage without checking: always sent */
	cpu.usage = &usage;
	cpu.throttling = &thr;
	mem.usage = &mu;
	mem.swap = &ms;
	mem.kernel = &mk;
	m.cpu = &cpu;
	m.memory = &mem;
	m.pids = &pids;
	const Grpc__CgroupStats *cg = s ? s->cgroup_stats : NULL;
	if (cg && cg->cpu_stats && cg->cpu_stats->cpu_usage) {
		const Grpc__CpuUsage *u = cg->cpu_stats->cpu_usage;
		usage.total = u->total_usage;
		usage.kernel = u->usage_in_kernelmode;
		usage.user = u->usage_in_usermode;
		usage.n_per_cpu = u->n_percpu_usage;
		usage.per_cpu = u->percpu_usage;
	}
	if (cg && cg->cpu_stats && cg->cpu_stats->throttling_data) {
		thr.periods = cg->cpu_stats->throttling_data->periods;
		thr.throttled_periods = cg->cpu_stats->throttling_data->throttled_periods;
		thr.throttled_time = cg->cpu_stats->throttling_data->throttled_time;
	}
	if (cg && cg->memory_stats) {
		const Grpc__MemoryStats *g = cg->memory_stats;
		mem.cache = g->cache;
		mem.total_cache = g->cache;
		if (g->usage) {
			mu.usage = g->usage->usage;
			mu.max = g->usage->max_usage;
			mu.failcnt = g->usage->failcnt;
			mu.limit = g->usage->limit;
		}
		if (g->swap_usage) {
			ms.usage = g->swap_usage->usage;
			ms.max = g->swap_usage->max_usage;
			ms.failcnt = g->swap_usage->failcnt;
			ms.limit = g->swap_usage->limit;
		}
		if (g->kernel_usage) {
			mk.usage = g->kernel_usage->usage;
			mk.max = g->kernel_usage->max_usage;
			mk.failcnt = g->kernel_usage->failcnt;
			mk.limit = g->kernel_usage->limit;
		}
		for (size_t i = 0; i < g->n_stats; i++) {
			const char *k = g->stats[i]->key;
			uint64_t v = g->stats[i]->value;
			if (strcmp(k, "rss") == 0 || strcmp(k, "anon") == 0)
				mem.rss = mem.total_rss = v;
			else if (strcmp(k, "mapped_file") == 0 || strcmp(k, "file_mapped") == 0)
				mem.mapped_file = v;
			else if (strcmp(k, "pgfault") == 0)
				mem.pg_fault = v;
			else if (strcmp(k, "pgmajfault") == 0)
				mem.pg_maj_fault = v;
			else if (strcmp(k, "inactive_anon") == 0)
				mem.inactive_anon = v;
			else if (strcmp(k, "active_anon") == 0)
				mem.active_anon = v;
			else if (strcmp(k, "inactive_file") == 0)
				mem.inactive_file = v;
			else if (strcmp(k, "active_file") == 0)
				mem.active_file = v;
			else if (strcmp(k, "unevictable") == 0)
				mem.unevictable = v;
		}
	}
	if (cg && cg->pids_stats) {
		pids.current = cg->pids_stats->current;
		pids.limit = cg->pids_stats->limit;
	}
	size_t nh = cg ? cg->n_hugetlb_stats : 0, nn = s ? s->n_network_stats : 0;
	M(HugetlbStat) *hs = calloc(nh ? nh : 1, sizeof(*hs));
	M(HugetlbStat) **hp = calloc(nh ? nh : 1, sizeof(*hp));
	M(NetworkStat) *ns = calloc(nn ? nn : 1, sizeof(*ns));
	M(NetworkStat) **np = calloc(nn ? nn : 1, sizeof(*np));
	int r = -ENOMEM;
	if (hs && hp && ns && np) {
		for (size_t i = 0; i < nh; i++) {
			io__containerd__cgroups__v1__hugetlb_stat__init(&hs[i]);
			const Grpc__HugetlbStats *h = cg->hugetlb_stats[i]->value;
			hs[i].pagesize = cg->hugetlb_stats[i]->key;
			if (h) {
				hs[i].usage = h->usage;
				hs[i].max = h->max_usage;
				hs[i].failcnt = h->failcnt;
			}
			hp[i] = &hs[i];
		}
		for (size_t i = 0; i < nn; i++) {
			const Grpc__NetworkStats *n = s->network_stats[i];
			io__containerd__cgroups__v1__network_stat__init(&ns[i]);
			ns[i].name = n->name;
			ns[i].rx_bytes = n->rx_bytes;
			ns[i].rx_packets = n->rx_packets;
			ns[i].rx_errors = n->rx_errors;
			ns[i].rx_dropped = n->rx_dropped;
			ns[i].tx_bytes = n->tx_bytes;
			ns[i].tx_packets = n->tx_packets;
			ns[i].tx_errors = n->tx_errors;
			ns[i].tx_dropped = n->tx_dropped;
			np[i] = &ns[i];
		}
		m.n_hugetlb = nh;
		m.hugetlb = hp;
		m.n_network = nn;
		m.network = np;
		r = ttrpc_pb_pack(&m.base, ret, ret_len, err);
	} else {
		cc_error_set(err, r, "out of memory");
	}
	free(hs);
	free(hp);
	free(ns);
	free(np);
	return r;
}
