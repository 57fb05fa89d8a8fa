/* StatsContainer (runtime.h) and the cgroup lookups it needs: the
 * container's cgroup directories come from /proc/<init>/cgroup when it is
 * created; cgroup v2 (the guest: unified hierarchy only) is read from
 * cpu.stat, memory.*, pids.*, io.stat; cgroup v1 (a test run on a host in
 * hybrid mode) from cpuacct.*, memory.*, pids.*, blkio.*. Network
 * statistics are the init's network namespace's /proc/<pid>/net/dev
 * without "lo". A value the kernel does not offer stays 0. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cocoon/cleanup.h"
#include "rt_int.h"

#define CG_ROOT "/sys/fs/cgroup"

#define PB_NEW(T, initfn)                                                                          \
	({                                                                                         \
		T *m_ = malloc(sizeof(T));                                                         \
		if (m_)                                                                            \
			initfn(m_);                                                                \
		m_;                                                                                \
	})

void rt_cgroup_clear(struct rt_cgroup *cg)
{
	free(cg->unified);
	free(cg->memory);
	free(cg->cpuacct);
	free(cg->pids);
	free(cg->blkio);
	memset(cg, 0, sizeof(*cg));
}

static bool cgroup2_only(void)
{
	struct statfs sf;
	return statfs(CG_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static void set_dir(char **slot, const char *ctrl, const char *path)
{
	if (*slot == NULL && asprintf(slot, CG_ROOT "/%s%s", ctrl, path) < 0)
		*slot = NULL;
}

int rt_cgroup_find(pid_t pid, struct rt_cgroup *ret, cc_error **err)
{
	char file[64];
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *s = NULL;
	int rc = rt_read_file(file, CC_AGENT_MAX_STAT_FILE, &s, NULL, err);
	if (rc < 0)
		return rc;
	bool v2 = cgroup2_only();
	for (char *line = s, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1, *path = c2 + 1;
		if (strcmp(path, "/") == 0)
			path = "";
		if (v2) {
			if (*ctrls == '\0' && line[0] == '0')
				set_dir(&ret->unified, "", path);
			continue;
		}
		/* v1: the directory is named after the hierarchy's controllers. */
		char buf[128];
		snprintf(buf, sizeof(buf), ",%s,", ctrls);
		if (strstr(buf, ",memory,"))
			set_dir(&ret->memory, ctrls, path);
		if (strstr(buf, ",cpuacct,"))
			set_dir(&ret->cpuacct, ctrls, path);
		if (strstr(buf, ",pids,"))
			set_dir(&ret->pids, ctrls, path);
		if (strstr(buf, ",blkio,"))
			set_dir(&ret->blkio, ctrls, path);
	}
	return 0;
}

/* ---- reading cgroup files ------------------------------------------------------------------ */

static char *cg_read(const char *dir, const char *name)
{
	if (dir == NULL)
		return NULL;
	char path[CC_AGENT_MAX_PATH];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return NULL;
	char *s = NULL;
	return rt_read_file(path, CC_AGENT_MAX_STAT_FILE, &s, NULL, NULL) == 0 ? s : NULL;
}

/* A file holding one number ("max" is UINT64_MAX). */
static uint64_t cg_u64(const char *dir, const char *name)
{
	_cleanup_free_ char *s = cg_read(dir, name);
	if (s == NULL)
		return 0;
	if (strncmp(s, "max", 3) == 0)
		return UINT64_MAX;
	return strtoull(s, NULL, 10);
}

/* The value of "key N" in a flat keyed file. */
static uint64_t kv_get(const char *s, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	return 0;
}

uint64_t rt_cgroup_oom_kills(const struct rt_cgroup *cg)
{
	_cleanup_free_ char *s = cg->unified ? cg_read(cg->unified, "memory.events") :
	                                       cg_read(cg->memory, "memory.oom_control");
	return s ? kv_get(s, "oom_kill") : 0;
}

/* ---- messages ------------------------------------------------------------------------------------ */

static int mem_stats_map(Grpc__MemoryStats *m, const char *s)
{
	size_t lines = 0;
	for (const char *p = s; *p; p++)
		lines += *p == '\n';
	m->stats = calloc(lines + 1, sizeof(*m->stats));
	if (m->stats == NULL)
		return -ENOMEM;
	for (const char *p = s; p && *p;) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		if (sp && (!nl || sp < nl)) {
			Grpc__MemoryStats__StatsEntry *e =
			    PB_NEW(Grpc__MemoryStats__StatsEntry, grpc__memory_stats__stats_entry__init);
			if (e == NULL || (e->key = strndup(p, (size_t)(sp - p))) == NULL) {
				free(e);
				return -ENOMEM;
			}
			e->value = strtoull(sp + 1, NULL, 10);
			m->stats[m->n_stats++] = e;
		}
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static Grpc__MemoryData *mem_data(uint64_t usage, uint64_t max, uint64_t failcnt, uint64_t limit)
{
	Grpc__MemoryData *d = PB_NEW(Grpc__MemoryData, grpc__memory_data__init);
	if (d) {
		d->usage = usage;
		d->max_usage = max;
		d->failcnt = failcnt;
		d->limit = limit;
	}
	return d;
}

static int memory_stats(const struct rt_cgroup *cg, Grpc__MemoryStats *m)
{
	bool v2 = cg->unified != NULL;
	const char *dir = v2 ? cg->unified : cg->memory;
	_cleanup_free_ char *st = cg_read(dir, "memory.stat");
	if (st && mem_stats_map(m, st) < 0)
		return -ENOMEM;
	if (v2) {
		_cleanup_free_ char *ev = cg_read(dir, "memory.events");
		m->cache = st ? kv_get(st, "file") : 0;
		m->use_hierarchy = true;
		m->usage = mem_data(cg_u64(dir, "memory.current"), cg_u64(dir, "memory.peak"),
		                    ev ? kv_get(ev, "max") : 0, cg_u64(dir, "memory.max"));
		m->swap_usage = mem_data(cg_u64(dir, "memory.swap.current"), 0, 0,
		                         cg_u64(dir, "memory.swap.max"));
	} else {
		m->cache = st ? kv_get(st, "total_cache") : 0;
		m->use_hierarchy = cg_u64(dir, "memory.use_hierarchy") != 0;
		m->usage = mem_data(cg_u64(dir, "memory.usage_in_bytes"),
		                    cg_u64(dir, "memory.max_usage_in_bytes"),
		                    cg_u64(dir, "memory.failcnt"), cg_u64(dir, "memory.limit_in_bytes"));
		m->swap_usage = mem_data(cg_u64(dir, "memory.memsw.usage_in_bytes"),
		                         cg_u64(dir, "memory.memsw.max_usage_in_bytes"),
		                         cg_u64(dir, "memory.memsw.failcnt"),
		                         cg_u64(dir, "memory.memsw.limit_in_bytes"));
		m->kernel_usage = mem_data(cg_u64(dir, "memory.kmem.usage_in_bytes"),
		                           cg_u64(dir, "memory.kmem.max_usage_in_bytes"),
		                           cg_u64(dir, "memory.kmem.failcnt"),
		                           cg_u64(dir, "memory.kmem.limit_in_bytes"));
	}
	return m->usage && m->swap_usage && (v2 || m->kernel_usage) ? 0 : -ENOMEM;
}

static int cpu_stats(const struct rt_cgroup *cg, Grpc__CpuStats *c)
{
	c->cpu_usage = PB_NEW(Grpc__CpuUsage, grpc__cpu_usage__init);
	c->throttling_data = PB_NEW(Grpc__ThrottlingData, grpc__throttling_data__init);
	if (c->cpu_usage == NULL || c->throttling_data == NULL)
		return -ENOMEM;
	Grpc__CpuUsage *u = c->cpu_usage;
	if (cg->unified) {
		_cleanup_free_ char *s = cg_read(cg->unified, "cpu.stat");
		if (s == NULL)
			return 0;
		u->total_usage = kv_get(s, "usage_usec") * 1000;
		u->usage_in_usermode = kv_get(s, "user_usec") * 1000;
		u->usage_in_kernelmode = kv_get(s, "system_usec") * 1000;
		c->throttling_data->periods = kv_get(s, "nr_periods");
		c->throttling_data->throttled_periods = kv_get(s, "nr_throttled");
		c->throttling_data->throttled_time = kv_get(s, "throttled_usec") * 1000;
		return 0;
	}
	u->total_usage = cg_u64(cg->cpuacct, "cpuacct.usage");
	_cleanup_free_ char *st = cg_read(cg->cpuacct, "cpuacct.stat");
	long hz = sysconf(_SC_CLK_TCK);
	if (st && hz > 0) {
		u->usage_in_usermode = kv_get(st, "user") * (1000000000ull / (uint64_t)hz);
		u->usage_in_kernelmode = kv_get(st, "system") * (1000000000ull / (uint64_t)hz);
	}
	_cleanup_free_ char *pc = cg_read(cg->cpuacct, "cpuacct.usage_percpu");
	if (pc) {
		size_t n = 0;
		for (const char *p = pc; *p; p++)
			n += *p == ' ';
		u->percpu_usage = calloc(n + 1, sizeof(uint64_t));
		if (u->percpu_usage == NULL)
			return -ENOMEM;
		for (char *p = pc, *end; u->n_percpu_usage <= n; p = end) {
			uint64_t v = strtoull(p, &end, 10);
			if (end == p)
				break;
			u->percpu_usage[u->n_percpu_usage++] = v;
		}
	}
	return 0;
}

/* v2 io.stat ("MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...") or v1
 * blkio.throttle.* ("MAJ:MIN Read N") into service bytes and serviced. */
static int blkio_add(Grpc__BlkioStatsEntry ***v, size_t *n, uint64_t maj, uint64_t min,
                     const char *op, uint64_t val)
{
	Grpc__BlkioStatsEntry **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	Grpc__BlkioStatsEntry *e = PB_NEW(Grpc__BlkioStatsEntry, grpc__blkio_stats_entry__init);
	if (e == NULL || (e->op = strdup(op)) == NULL) {
		free(e);
		return -ENOMEM;
	}
	e->major = maj;
	e->minor = min;
	e->value = val;
	nv[(*n)++] = e;
	return 0;
}

static int blkio_v2(const char *s, Grpc__BlkioStats *b)
{
	static const struct {
		const char *key, *op;
		bool bytes;
	} keys[] = {{"rbytes=", "Read", true}, {"wbytes=", "Write", true},
	            {"rios=", "Read", false}, {"wios=", "Write", false}};
	for (const char *p = s; p && *p;) {
		char *end;
		uint64_t maj = strtoull(p, &end, 10), min = *end == ':' ? strtoull(end + 1, &end, 10) : 0;
		const char *nl = strchr(p, '\n');
		for (size_t k = 0; k < 4; k++) {
			const char *f = strstr(end, keys[k].key);
			if (f == NULL || (nl && f > nl))
				continue;
			uint64_t val = strtoull(f + strlen(keys[k].key), NULL, 10);
			int rc = keys[k].bytes ? blkio_add(&b->io_service_bytes_recursive,
			                                   &b->n_io_service_bytes_recursive, maj, min,
			                                   keys[k].op, val)
			                       : blkio_add(&b->io_serviced_recursive,
			                                   &b->n_io_serviced_recursive, maj, min,
			                                   keys[k].op, val);
			if (rc < 0)
				return rc;
		}
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static int blkio_v1(const char *s, Grpc__BlkioStatsEntry ***v, size_t *n)
{
	for (const char *p = s; p && *p;) {
		char *end, op[16];
		uint64_t maj = strtoull(p, &end, 10), min = 0;
		const char *nl = strchr(p, '\n');
		if (*end == ':') {
			min = strtoull(end + 1, &end, 10);
			const char *o = end + (*end == ' ');
			size_t k = 0;
			while (o[k] && o[k] != ' ' && o[k] != '\n' && k + 1 < sizeof(op)) {
				op[k] = o[k];
				k++;
			}
			op[k] = '\0';
			if (o[k] == ' ' && blkio_add(v, n, maj, min, op, strtoull(o + k + 1, NULL, 10)) < 0)
				return -ENOMEM;
		}
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static int blkio_stats(const struct rt_cgroup *cg, Grpc__BlkioStats *b)
{
	if (cg->unified) {
		_cleanup_free_ char *s = cg_read(cg->unified, "io.stat");
		return s ? blkio_v2(s, b) : 0;
	}
	_cleanup_free_ char *sb = cg_read(cg->blkio, "blkio.throttle.io_service_bytes_recursive");
	_cleanup_free_ char *sv = cg_read(cg->blkio, "blkio.throttle.io_serviced_recursive");
	int rc = 0;
	if (sb)
		rc = blkio_v1(sb, &b->io_service_bytes_recursive, &b->n_io_service_bytes_recursive);
	if (rc == 0 && sv)
		rc = blkio_v1(sv, &b->io_serviced_recursive, &b->n_io_serviced_recursive);
	return rc;
}

static int cgroup_stats(const struct rt_cgroup *cg, Grpc__CgroupStats *s)
{
	s->cpu_stats = PB_NEW(Grpc__CpuStats, grpc__cpu_stats__init);
	s->memory_stats = PB_NEW(Grpc__MemoryStats, grpc__memory_stats__init);
	s->pids_stats = PB_NEW(Grpc__PidsStats, grpc__pids_stats__init);
	s->blkio_stats = PB_NEW(Grpc__BlkioStats, grpc__blkio_stats__init);
	if (!s->cpu_stats || !s->memory_stats || !s->pids_stats || !s->blkio_stats)
		return -ENOMEM;
	const char *pdir = cg->unified ? cg->unified : cg->pids;
	s->pids_stats->current = cg_u64(pdir, "pids.current");
	s->pids_stats->limit = cg_u64(pdir, "pids.max");
	int rc = cpu_stats(cg, s->cpu_stats);
	if (rc == 0)
		rc = memory_stats(cg, s->memory_stats);
	if (rc == 0)
		rc = blkio_stats(cg, s->blkio_stats);
	return rc;
}

/* /proc/<pid>/net/dev: "  eth0: rxb rxp rxerr rxdrop fifo frame comp mcast txb txp txerr
 * txdrop ..." after two header lines. */
static int net_stats(pid_t pid, Grpc__StatsContainerResponse *r)
{
	char file[64];
	snprintf(file, sizeof(file), "/proc/%d/net/dev", (int)pid);
	_cleanup_free_ char *s = NULL;
	if (rt_read_file(file, CC_AGENT_MAX_STAT_FILE, &s, NULL, NULL) < 0)
		return 0;
	size_t lines = 0;
	for (const char *p = s; *p; p++)
		lines += *p == '\n';
	r->network_stats = calloc(lines + 1, sizeof(*r->network_stats));
	if (r->network_stats == NULL)
		return -ENOMEM;
	for (char *line = s, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		char *name = line + strspn(line, " ");
		if (strcmp(name, "lo") == 0 || strchr(name, '|'))
			continue;
		uint64_t v[16] = {0};
		char *p = colon + 1;
		for (int i = 0; i < 16; i++)
			v[i] = strtoull(p, &p, 10);
		Grpc__NetworkStats *n = PB_NEW(Grpc__NetworkStats, grpc__network_stats__init);
		if (n == NULL || (n->name = strdup(name)) == NULL) {
			free(n);
			return -ENOMEM;
		}
		n->rx_bytes = v[0];
		n->rx_packets = v[1];
		n->rx_errors = v[2];
		n->rx_dropped = v[3];
		n->tx_bytes = v[8];
		n->tx_packets = v[9];
		n->tx_errors = v[10];
		n->tx_dropped = v[11];
		r->network_stats[r->n_network_stats++] = n;
	}
	return 0;
}

int agent_rt_stats_container(agent_rt *rt, const Grpc__StatsContainerRequest *req,
                             Grpc__StatsContainerResponse **ret, cc_error **err)
{
	rt_container *c = NULL;
	int rc = rt_container_get(rt, req->container_id, &c, err);
	if (rc < 0)
		return rc;
	Grpc__StatsContainerResponse *r =
	    PB_NEW(Grpc__StatsContainerResponse, grpc__stats_container_response__init);
	if (r == NULL || (r->cgroup_stats = PB_NEW(Grpc__CgroupStats, grpc__cgroup_stats__init)) ==
	                     NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = cgroup_stats(&c->cg, r->cgroup_stats);
	pid_t pid = 0;
	pthread_mutex_lock(&rt->lock);
	if (c->procs && c->procs->child && !rt_child_exited(c->procs->child, NULL))
		pid = rt_child_pid(c->procs->child);
	pthread_mutex_unlock(&rt->lock);
	if (rc == 0 && pid > 0)
		rc = net_stats(pid, r);
	rt_container_unref(rt, c);
	if (rc < 0) {
		if (r)
			protobuf_c_message_free_unpacked(&r->base, NULL);
		return cc_error_set(err, rc, "out of memory");
	}
	*ret = r;
	return 0;
}
