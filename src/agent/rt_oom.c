/* GetOOMEvent (runtime.h): a long-poll that returns the id of a container
 * whose memory cgroup's oom_kill count went up (cgroup v2 memory.events,
 * v1 memory.oom_control). The counts are compared with the last ones seen
 * every time a call looks, every 100 ms while one waits, and when a
 * process's exit is answered (WaitProcess);
 * events wait in a bounded queue (the oldest is dropped when it is full)
 * until a call takes them, one per call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt_int.h"

static void push_locked(agent_rt *rt, const char *cid)
{
	char *d = strdup(cid);
	if (d == NULL)
		return;
	if (rt->oom_len == CC_AGENT_MAX_OOM_EVENTS) {
		free(rt->oom_q[rt->oom_head]);
		rt->oom_head = (rt->oom_head + 1) % CC_AGENT_MAX_OOM_EVENTS;
		rt->oom_len--;
	}
	rt->oom_q[(rt->oom_head + rt->oom_len) % CC_AGENT_MAX_OOM_EVENTS] = d;
	rt->oom_len++;
}

void rt_oom_scan_locked(agent_rt *rt)
{
	for (size_t i = 0; i < rt->ncs; i++) {
		rt_container *c = rt->cs[i];
		if (c->state == RT_C_CREATING || c->state == RT_C_GONE)
			continue;
		uint64_t k = rt_cgroup_oom_kills(&c->cg);
		if (k > c->oom_kills) {
			c->oom_kills = k;
			push_locked(rt, c->id);
		}
	}
}

void rt_oom_clear(agent_rt *rt)
{
	while (rt->oom_len) {
		free(rt->oom_q[rt->oom_head]);
		rt->oom_head = (rt->oom_head + 1) % CC_AGENT_MAX_OOM_EVENTS;
		rt->oom_len--;
	}
}

int agent_rt_get_oom_event(agent_rt *rt, ttrpc_call *call, const Grpc__GetOOMEventRequest *req,
                           Grpc__OOMEvent **ret, cc_error **err)
{
	(void)req;
	for (;;) {
		char *cid = NULL;
		pthread_mutex_lock(&rt->lock);
		rt_oom_scan_locked(rt);
		if (rt->oom_len) {
			cid = rt->oom_q[rt->oom_head];
			rt->oom_head = (rt->oom_head + 1) % CC_AGENT_MAX_OOM_EVENTS;
			rt->oom_len--;
		}
		pthread_mutex_unlock(&rt->lock);
		if (cid) {
			Grpc__OOMEvent *ev = malloc(sizeof(*ev));
			if (ev == NULL) {
				free(cid);
				return cc_error_set(err, -ENOMEM, "out of memory");
			}
			grpc__oomevent__init(ev);
			ev->container_id = cid;
			*ret = ev;
			return 0;
		}
		int r = agent_rt_wait(call, NULL, 0, 100);
		if (r < 0)
			return cc_error_set(err, r, "GetOOMEvent: %s", strerror(-r));
	}
}
