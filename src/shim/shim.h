/* containerd-shim-cocoon-v2, the long-running server (docs/shim.md): one
 * process per pod, serving containerd.task.v2.Task over ttrpc, booting
 * the pod's VM and driving cocoon-agent in it. Internal to src/shim.
 *
 * Objects and locks:
 *   struct shim        the pod: configuration, VM, agent connection, the
 *                      containers; sh->mu guards the container list, each
 *                      container's and process's state fields, and the VM
 *                      pointer; never held across an agent call.
 *   struct shim_ctr    a container (its init process + exec processes)
 *   struct shim_proc   a process: state, stdio relays, waiter thread;
 *                      reference-counted (relay and waiter threads hold
 *                      references), freed on the last shim_proc_unref().
 *
 * Threads: ttrpc handler threads (one per request), per started process a
 * waiter (WaitProcess) and up to three relays (stdin/stdout/stderr), the
 * event publisher, the VM reaper, the signal/lifecycle thread, main
 * (ttrpc_server_serve_listener). */
#ifndef COCOON_SHIM_SHIM_H
#define COCOON_SHIM_SHIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "agent.pb-c.h"
#include "cocoon/error.h"
#include "cocoon/log.h"
#include "config.h"
#include "containerd/runtime/v2/task/shim.pb-c.h"
#include "ttrpc.h"

struct shim_events;
struct shim_vm;
struct shim_io;

enum shim_pstate {
	SHIM_P_CREATED = 0,
	SHIM_P_RUNNING,
	SHIM_P_PAUSED,
	SHIM_P_STOPPED,
};

struct shim_proc {
	atomic_int refs;
	struct shim *sh;
	char *cid;      /* the container's id */
	char *exec_id;  /* "" for the init process */
	char *agent_exec_id; /* what the agent calls it: the container id for init (Kata) */
	char *stdin_path, *stdout_path, *stderr_path;
	bool terminal;
	Grpc__Process *spec; /* exec processes: the process to run (owned) */
	/* under sh->mu */
	enum shim_pstate state;
	uint32_t exit_status;
	struct timespec exited_at; /* CLOCK_REALTIME */
	bool starting;            /* a Start is running */
	bool waiter_started;
	bool stdin_close_pending; /* CloseIO before the relays started */
	pthread_t waiter;
	struct shim_io *io;
	/* readable (never read) once the process has exited */
	int exited_fd;
};

struct shim_ctr {
	char *id;
	char *bundle;
	bool sandbox;      /* the pod's sandbox container */
	bool in_agent;     /* CreateContainer succeeded */
	struct shim_proc *init;
	struct shim_proc **execs;
	size_t n_execs;
	struct shim_ctr *next;
};

struct shim {
	/* from the command line; constant */
	char *ns, *id, *bundle, *ctd_address, *ttrpc_address, *address;
	char *run_root, *state_dir;
	struct shim_config cfg;
	bool debug;
	cc_log *log;
	ttrpc_server *server;
	struct shim_events *events;
	int stop_fd;  /* eventfd: shut the server down */

	pthread_mutex_t mu;
	struct shim_ctr *ctrs;
	size_t n_ctrs;
	struct shim_vm *vm;       /* NULL until the first Create boots it */
	ttrpc_client *agent;      /* NULL until then too */
	bool sandbox_created;     /* CreateSandbox succeeded */
	bool booting;             /* a Create is booting the VM */
	pthread_cond_t boot_cond;
	bool exiting;             /* Shutdown accepted: no new Creates */
	bool vm_stopping;         /* shim_stop_vm ran: the VM's exit is expected */
	int workers;              /* relay, waiter and OOM threads running */
	pthread_cond_t workers_cond;
	bool oom_started;
	pthread_t oom_thread;
};

/* ---- logging (shim.c) ------------------------------------------------- */
void shim_logf(struct shim *sh, enum cc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Worker threads (relays, waiters, the OOM watcher) count themselves, so
 * the shim frees the agent connection only after the last one is gone. */
void shim_worker_enter(struct shim *sh);
void shim_worker_leave(struct shim *sh);
/* Waits up to ms for every worker to leave; true if they did. */
bool shim_workers_wait(struct shim *sh, int ms);

/* ---- processes and containers (proc.c) ---------------------------------- */
struct shim_proc *shim_proc_new(struct shim *sh, const char *cid, const char *exec_id,
                                const char *in, const char *out, const char *errp, bool terminal);
void shim_proc_unref(struct shim_proc *p);
/* Drops a process the shim is done with (not under sh->mu): its relays
 * stop, its memory goes with the last reference. */
void shim_proc_release(struct shim *sh, struct shim_proc *p);
static inline struct shim_proc *shim_proc_ref(struct shim_proc *p)
{
	atomic_fetch_add(&p->refs, 1);
	return p;
}
/* Marks p exited with status (under sh->mu) and wakes its waiters. */
void shim_proc_set_exited(struct shim_proc *p, uint32_t status);
/* Frees a container taken out of the list (not under sh->mu). */
void shim_ctr_free(struct shim_ctr *c);
/* Lookups under sh->mu. */
struct shim_ctr *shim_find_ctr(struct shim *sh, const char *id);
struct shim_proc *shim_find_proc(struct shim_ctr *c, const char *exec_id);
/* The pid containerd sees for every process: the VM's (Kata: the
 * hypervisor's pid); 0 before it boots. */
uint32_t shim_task_pid(struct shim *sh);

/* ---- the agent (agent.c) ------------------------------------------------ */
/* One call to grpc.AgentService (or grpc.Health when health is true) with
 * a timeout in seconds (0: none). */
int shim_agent_call(struct shim *sh, const char *method, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_desc, unsigned timeout_s,
                    ProtobufCMessage **ret, cc_error **err);
/* Boots the VM if it is not booted (one Create boots, the others wait),
 * with initdata_b64 (the sandbox's cc_init_data annotation, NULL: none)
 * decoded into the init-data device first (initdata.h), waits for the
 * agent, sends it policy_b64 (the sandbox's
 * io.katacontainers.config.agent.policy annotation: base64 of a Rego
 * policy; NULL: none) with SetPolicy and creates the sandbox in it. */
int shim_ensure_sandbox(struct shim *sh, const char *hostname, const char *policy_b64,
                        const char *initdata_b64, cc_error **err);
/* Stops the VM: DestroySandbox (briefly), then the hypervisor process. */
void shim_stop_vm(struct shim *sh);
/* Starts the thread that turns the agent's GetOOMEvent into TaskOOM
 * events (after CreateSandbox). */
void shim_start_oom_watch(struct shim *sh);

/* ---- process lifecycle in the guest (run.c) ---------------------------- */
/* Starts p's stdio relays and its waiter (after StartContainer or
 * ExecProcess succeeded and TaskStart/TaskExecStarted is queued). */
int shim_proc_run(struct shim_proc *p, cc_error **err);
/* The VM died: every process that has not exited exits with 255. */
void shim_all_exited(struct shim *sh);

/* ---- the Task service (task_*.c) ----------------------------------------- */
int shim_register_task_service(struct shim *sh, cc_error **err);

/* ---- time -------------------------------------------------------------- */
/* ms from now on CLOCK_REALTIME, for pthread_cond_timedwait. */
static inline struct timespec shim_deadline(int ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static inline struct timespec shim_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

#endif
