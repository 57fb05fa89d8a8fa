/* The agent's children (rt_reap.c): one reaper thread waits for every
 * child of the process, OCI runtime invocations and the container
 * processes they leave behind (the agent is a child subreaper), and keeps
 * each exit status until whoever asked for it has read it.
 *
 * Nothing else in the process may call wait(2): the reaper reaps with
 * waitid(P_ALL), so a child it was not told about is reaped too (its
 * status kept for a while in a ring, for a pid file read late). */
#ifndef COCOON_AGENT_RT_REAP_H
#define COCOON_AGENT_RT_REAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "cocoon/error.h"
#include "ttrpc.h"

typedef struct rt_reaper rt_reaper;
typedef struct rt_child rt_child;

/* Starts the reaper thread. */
int rt_reaper_new(rt_reaper **ret, cc_error **err);
/* Stops the thread and frees; every rt_child must have been released.
 * NULL is a no-op. */
void rt_reaper_free(rt_reaper *r);

struct rt_spawn {
	const char *const *argv; /* argv[0] is the program's absolute path */
	int fds[3];              /* the child's 0, 1, 2; -1 = /dev/null */
	int fd3;                 /* the child's fd 3, or -1 */
};

/* Starts a program with a minimal environment, its own session, default
 * signal dispositions and no descriptor but 0-3; *ret is a reference the
 * caller releases. */
int rt_reaper_spawn(rt_reaper *r, const struct rt_spawn *s, rt_child **ret, cc_error **err);

/* Watches pid, a child of the agent it did not start (a container process
 * reparented to the subreaper). A pid that has already been reaped is
 * found in the ring; -ECHILD if pid is not the agent's child. */
int rt_reaper_adopt(rt_reaper *r, pid_t pid, rt_child **ret, cc_error **err);

rt_child *rt_child_ref(rt_child *c);
/* NULL is a no-op. */
void rt_child_unref(rt_child *c);

pid_t rt_child_pid(const rt_child *c);
/* An eventfd that becomes readable (and stays so) once the child has been
 * reaped; valid while the reference is held. */
int rt_child_exit_fd(const rt_child *c);
/* True once reaped, with *ret_wstatus as wait(2) reports it. */
bool rt_child_exited(rt_child *c, int *ret_wstatus);
/* pidfd_send_signal(): no pid-reuse race. -ESRCH once reaped. */
int rt_child_signal(rt_child *c, int sig);

/* Waits for the child's exit, through agent_rt_wait() with call (may be
 * NULL). extra_fd (or -1) also ends the wait when readable: returns 1 then.
 * 0 once exited, -ETIMEDOUT after timeout_ms (< 0: none), -ECANCELED. */
int rt_child_wait(rt_child *c, ttrpc_call *call, int extra_fd, int timeout_ms);

/* Kata's exit status for a wait(2) status: the exit code, or 128 plus
 * the number of the signal that killed the process (137 for SIGKILL), as
 * runc reports it and Kata's agent since kata-containers PR #13241 (its
 * reaper used to answer the bare signal number). */
int rt_wstatus_to_kata(int wstatus);

#endif
