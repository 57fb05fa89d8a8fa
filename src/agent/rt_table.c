/* The container table and each container's process list (rt_int.h), with
 * reference counts so a call that found a container or process can keep
 * using it while another call removes it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_int.h"

static void proc_free(rt_proc *p)
{
	if (p->in_fd >= 0 && p->in_fd != p->out_fd)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	rt_child_unref(p->child);
	pthread_mutex_destroy(&p->in_lock);
	pthread_mutex_destroy(&p->out_lock);
	pthread_mutex_destroy(&p->err_lock);
	free(p->exec_id);
	free(p);
}

rt_proc *rt_proc_new(const char *eid, bool init, bool tty)
{
	rt_proc *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->exec_id = strdup(eid)) == NULL) {
		free(p);
		return NULL;
	}
	p->refs = 1;
	p->init = init;
	p->tty = tty;
	p->in_fd = p->out_fd = p->err_fd = -1;
	pthread_mutex_init(&p->in_lock, NULL);
	pthread_mutex_init(&p->out_lock, NULL);
	pthread_mutex_init(&p->err_lock, NULL);
	return p;
}

void rt_proc_unref(agent_rt *rt, rt_proc *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&rt->lock);
	bool last = --p->refs == 0;
	pthread_mutex_unlock(&rt->lock);
	if (last)
		proc_free(p);
}

static void container_free(agent_rt *rt, rt_container *c)
{
	while (c->procs) {
		rt_proc *p = c->procs;
		c->procs = p->next;
		rt_proc_unref(rt, p);
	}
	if (c->gone_efd >= 0)
		close(c->gone_efd);
	rt_cgroup_clear(&c->cg);
	rt_strv_free(c->mounts, c->nmounts);
	free(c->rootfs_mount);
	pthread_mutex_destroy(&c->op);
	free(c->bundle);
	free(c->id);
	free(c);
}

void rt_container_unref(agent_rt *rt, rt_container *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&rt->lock);
	bool last = --c->refs == 0;
	if (last) {
		/* Its processes no longer count against the cap. */
		rt->nprocs -= c->nprocs;
		c->nprocs = 0;
	}
	pthread_mutex_unlock(&rt->lock);
	if (last)
		container_free(rt, c);
}

static rt_container *find_locked(agent_rt *rt, const char *cid)
{
	for (size_t i = 0; i < rt->ncs; i++)
		if (strcmp(rt->cs[i]->id, cid) == 0)
			return rt->cs[i];
	return NULL;
}

int rt_container_get(agent_rt *rt, const char *cid, rt_container **ret, cc_error **err)
{
	int rc = rt_check_cid(cid, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&rt->lock);
	rt_container *c = find_locked(rt, cid);
	if (c == NULL)
		rc = rt_err(err, TTRPC_NOT_FOUND, "container %s not found", cid);
	else if (c->state == RT_C_CREATING)
		rc = rt_err(err, TTRPC_FAILED_PRECONDITION, "container %s is being created", cid);
	else
		c->refs++;
	pthread_mutex_unlock(&rt->lock);
	if (rc == 0)
		*ret = c;
	return rc;
}

int rt_proc_get(agent_rt *rt, rt_container *c, const char *eid, rt_proc **ret, cc_error **err)
{
	int rc = rt_check_eid(eid, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&rt->lock);
	rt_proc *p = c->procs;
	/* "" is the init process; so is its own exec id (the container id when
	 * CreateContainer named none). */
	if (eid[0] != '\0')
		for (; p && strcmp(p->exec_id, eid) != 0; p = p->next)
			;
	if (p == NULL || (p->child == NULL && !p->init))
		rc = rt_err(err, TTRPC_NOT_FOUND, "container %s has no process with exec id %s", c->id,
		            eid);
	else
		p->refs++;
	pthread_mutex_unlock(&rt->lock);
	if (rc == 0)
		*ret = p;
	return rc;
}

int rt_find(agent_rt *rt, const char *cid, const char *eid, rt_container **ret_c,
            rt_proc **ret_p, cc_error **err)
{
	rt_container *c = NULL;
	int rc = rt_container_get(rt, cid, &c, err);
	if (rc < 0)
		return rc;
	rt_proc *p = NULL;
	rc = rt_proc_get(rt, c, eid, &p, err);
	if (rc < 0) {
		rt_container_unref(rt, c);
		return rc;
	}
	*ret_c = c;
	*ret_p = p;
	return 0;
}

int rt_proc_add(agent_rt *rt, rt_container *c, rt_proc *p, cc_error **err)
{
	int rc = 0;
	pthread_mutex_lock(&rt->lock);
	rt_proc **tail = &c->procs;
	for (; *tail; tail = &(*tail)->next)
		if (strcmp((*tail)->exec_id, p->exec_id) == 0)
			break;
	if (*tail != NULL)
		rc = rt_err(err, TTRPC_ALREADY_EXISTS, "container %s already has exec id %s", c->id,
		            p->exec_id);
	else if (rt->nprocs >= CC_AGENT_MAX_PROCESSES)
		rc = rt_err(err, TTRPC_RESOURCE_EXHAUSTED, "too many processes (at most %u)",
		            CC_AGENT_MAX_PROCESSES);
	if (rc == 0) {
		p->refs++;
		p->next = NULL;
		*tail = p;
		c->nprocs++;
		rt->nprocs++;
	}
	pthread_mutex_unlock(&rt->lock);
	return rc;
}

/* Unlinks p (rt->lock held); true if it was there. */
static bool drop_locked(agent_rt *rt, rt_container *c, rt_proc *p)
{
	for (rt_proc **pp = &c->procs; *pp; pp = &(*pp)->next) {
		if (*pp != p)
			continue;
		*pp = p->next;
		p->next = NULL;
		c->nprocs--;
		rt->nprocs--;
		return true;
	}
	return false;
}

void rt_proc_drop(agent_rt *rt, rt_container *c, rt_proc *p)
{
	pthread_mutex_lock(&rt->lock);
	bool was = drop_locked(rt, c, p);
	pthread_mutex_unlock(&rt->lock);
	if (was)
		rt_proc_unref(rt, p);
}

void rt_proc_maybe_retire(agent_rt *rt, rt_container *c, rt_proc *p)
{
	if (p->init)
		return;
	/* The stream flags are read without their locks: a reader that sets
	 * one calls this again afterwards. */
	pthread_mutex_lock(&rt->lock);
	bool done = p->waited && (p->out_fd < 0 || p->out_eof) && (p->err_fd < 0 || p->err_eof);
	bool was = done && drop_locked(rt, c, p);
	pthread_mutex_unlock(&rt->lock);
	if (was)
		rt_proc_unref(rt, p);
}

void rt_container_unlink(agent_rt *rt, rt_container *c)
{
	pthread_mutex_lock(&rt->lock);
	bool was = false;
	for (size_t i = 0; i < rt->ncs; i++) {
		if (rt->cs[i] == c) {
			rt->cs[i] = rt->cs[--rt->ncs];
			was = true;
			break;
		}
	}
	c->state = RT_C_GONE;
	rt_efd_signal(c->gone_efd);
	pthread_mutex_unlock(&rt->lock);
	if (was)
		rt_container_unref(rt, c); /* the table's reference */
}
