/* Processes and containers (shim.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "io.h"
#include "shim.h"
#include "vm.h"

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

struct shim_proc *shim_proc_new(struct shim *sh, const char *cid, const char *exec_id,
                                const char *in, const char *out, const char *errp, bool terminal)
{
	struct shim_proc *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	atomic_init(&p->refs, 1);
	p->sh = sh;
	p->cid = dup_or_empty(cid);
	p->exec_id = dup_or_empty(exec_id);
	/* Kata names the init process after its container */
	p->agent_exec_id = dup_or_empty(exec_id && *exec_id ? exec_id : cid);
	p->stdin_path = dup_or_empty(in);
	p->stdout_path = dup_or_empty(out);
	p->stderr_path = dup_or_empty(errp);
	p->terminal = terminal;
	p->state = SHIM_P_CREATED;
	p->exited_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!p->cid || !p->exec_id || !p->agent_exec_id || !p->stdin_path || !p->stdout_path ||
	    !p->stderr_path || p->exited_fd < 0) {
		shim_proc_unref(p);
		return NULL;
	}
	return p;
}

void shim_proc_unref(struct shim_proc *p)
{
	if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	free(p->cid);
	free(p->exec_id);
	free(p->agent_exec_id);
	free(p->stdin_path);
	free(p->stdout_path);
	free(p->stderr_path);
	if (p->spec != NULL)
		protobuf_c_message_free_unpacked(&p->spec->base, NULL);
	if (p->exited_fd >= 0)
		close(p->exited_fd);
	free(p);
}

void shim_proc_set_exited(struct shim_proc *p, uint32_t status)
{
	p->state = SHIM_P_STOPPED;
	p->exit_status = status;
	p->exited_at = shim_now();
	uint64_t one = 1;
	(void)!write(p->exited_fd, &one, sizeof(one));
}

void shim_proc_release(struct shim *sh, struct shim_proc *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&sh->mu);
	struct shim_io *io = p->io;
	p->io = NULL;
	pthread_mutex_unlock(&sh->mu);
	shim_io_free(io);
	shim_proc_unref(p);
}

void shim_ctr_free(struct shim_ctr *c)
{
	if (c == NULL)
		return;
	if (c->init != NULL)
		shim_proc_release(c->init->sh, c->init);
	for (size_t i = 0; i < c->n_execs; i++)
		shim_proc_release(c->execs[i]->sh, c->execs[i]);
	free(c->execs);
	free(c->id);
	free(c->bundle);
	free(c);
}

struct shim_ctr *shim_find_ctr(struct shim *sh, const char *id)
{
	for (struct shim_ctr *c = sh->ctrs; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

struct shim_proc *shim_find_proc(struct shim_ctr *c, const char *exec_id)
{
	if (exec_id == NULL || exec_id[0] == '\0')
		return c->init;
	for (size_t i = 0; i < c->n_execs; i++)
		if (strcmp(c->execs[i]->exec_id, exec_id) == 0)
			return c->execs[i];
	return NULL;
}

uint32_t shim_task_pid(struct shim *sh)
{
	pid_t pid = shim_vm_pid(sh->vm);
	return pid > 0 ? (uint32_t)pid : 0;
}
