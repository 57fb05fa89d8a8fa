/* Internals of the agent runtime (runtime.h), shared by src/agent/rt_*.c.
 *
 * Locking: rt->lock guards the container table, every container's process
 * list, the reference counts and the OOM queue; it is only held for short
 * stretches. A container's op mutex serializes its lifecycle calls
 * (create, start, exec, pause, resume, remove), which run the OCI runtime
 * and may take seconds; take op before rt->lock, never the other way.
 * Each process's stream mutexes serialize the calls reading or writing
 * that stream. */
#ifndef COCOON_AGENT_RT_INT_H
#define COCOON_AGENT_RT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cocoon/limits.h"
#include "rt_reap.h"
#include "runtime.h"

typedef struct rt_container rt_container;
typedef struct rt_proc rt_proc;

enum rt_cstate {
	RT_C_CREATING, /* CreateContainer is running */
	RT_C_CREATED,  /* runtime create done, init waits for start */
	RT_C_RUNNING,
	RT_C_PAUSED,
	RT_C_GONE,     /* removed (or its creation failed) */
};

/* The cgroup directories of a container (NULL: unknown). */
struct rt_cgroup {
	char *unified;   /* cgroup v2 */
	char *memory, *cpuacct, *pids, *blkio; /* v1 */
};

struct rt_proc {
	unsigned refs;
	rt_proc *next;       /* in the container's list */
	char *exec_id;
	bool init;
	bool tty;
	rt_child *child;     /* NULL until the process exists */
	int in_fd;           /* stdin pipe (write end), or the pty master */
	int out_fd;          /* stdout pipe (read end), or the pty master */
	int err_fd;          /* stderr pipe (read end); -1 with a tty */
	pthread_mutex_t in_lock, out_lock, err_lock;
	bool in_closed;      /* under in_lock */
	bool out_eof, err_eof, waited; /* under rt->lock */
};

struct rt_container {
	unsigned refs;
	char *id;
	char *bundle;        /* <run_dir>/<id> */
	enum rt_cstate state;
	pthread_mutex_t op;
	int gone_efd;        /* readable once removed: ends every wait on it */
	rt_proc *procs;      /* init first */
	size_t nprocs;
	char *rootfs_mount;  /* a bind mount to undo, or NULL */
	char **mounts;       /* storage mounts to undo */
	size_t nmounts;
	struct rt_cgroup cg;
	uint64_t oom_kills;  /* last oom_kill count seen */
	unsigned seq;        /* names exec process files */
};

struct agent_rt {
	char *run_dir, *oci_runtime, *oci_root;
	char *image_cache_dir, *image_policy_file, *image_registries_d;
	bool image_insecure, guest;
	char *shared_dir;    /* <run_dir>/shared/containers: CopyFile's root */
	char *sandbox_dir;   /* <run_dir>/sandbox: sandbox storages */
	char *sock_dir;      /* <run_dir>/sockets: console sockets */
	rt_reaper *reaper;
	pthread_mutex_t lock;
	bool sandbox;        /* CreateSandbox done */
	char *sandbox_id;
	char **mounts;       /* sandbox storage mounts to undo */
	size_t nmounts;
	rt_container *cs[CC_AGENT_MAX_CONTAINERS];
	size_t ncs;
	size_t nprocs;       /* over all containers */
	unsigned seq;
	/* OOM events (rt_oom.c) */
	char *oom_q[CC_AGENT_MAX_OOM_EVENTS];
	size_t oom_head, oom_len;
	int oom_efd;
};

/* ---- helpers (rt_util.c) ------------------------------------------------- */

/* ttrpc_error_set() with the code's kind. */
#define rt_err ttrpc_error_set

/* Checks a container id: 1..CC_AGENT_MAX_ID_BYTES of [A-Za-z0-9_.-], not
 * starting with '.' or '-' (it names a directory), and none of the names
 * of the runtime's own directories under run_dir ("shared", "sandbox",
 * "sockets"). INVALID_ARGUMENT. */
int rt_check_cid(const char *id, cc_error **err);
/* Checks an exec id: printable ASCII without spaces, at most
 * CC_AGENT_MAX_ID_BYTES (may be empty: the init process). */
int rt_check_eid(const char *id, cc_error **err);
/* asprintf() that returns -ENOMEM through err. */
int rt_asprintf(char **ret, cc_error **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* mkdir -p of an absolute path the agent built (mode for new dirs). */
int rt_mkdir_p(const char *path, mode_t mode, cc_error **err);
/* rm -rf that neither follows symlinks nor crosses mount points. */
int rt_remove_tree(const char *path, cc_error **err);
/* Writes len bytes to path (created or truncated, mode), fsync'ed. */
int rt_write_file(const char *path, const void *data, size_t len, mode_t mode, cc_error **err);
/* Reads at most max bytes of a file into a NUL-terminated buffer. */
int rt_read_file(const char *path, size_t max, char **ret, size_t *ret_len, cc_error **err);
/* Writes one 8-byte count to an eventfd. */
void rt_efd_signal(int fd);
/* strdup()s a NULL-terminated list; frees one. */
void rt_strv_free(char **v, size_t n);
/* Appends a copy of s to (*v, *n); -ENOMEM. */
int rt_strv_add(char ***v, size_t *n, const char *s, cc_error **err);

/* ---- containers and processes (rt_table.c) ----------------------------------- */

/* The container cid with a reference (NOT_FOUND; FAILED_PRECONDITION while
 * it is being created). */
int rt_container_get(agent_rt *rt, const char *cid, rt_container **ret, cc_error **err);
void rt_container_unref(agent_rt *rt, rt_container *c);
/* The process of c named eid ("" = the init process) with a reference. */
int rt_proc_get(agent_rt *rt, rt_container *c, const char *eid, rt_proc **ret, cc_error **err);
/* Both at once. */
int rt_find(agent_rt *rt, const char *cid, const char *eid, rt_container **ret_c,
            rt_proc **ret_p, cc_error **err);
rt_proc *rt_proc_new(const char *eid, bool init, bool tty);
void rt_proc_unref(agent_rt *rt, rt_proc *p);
/* Adds p to c (counts against CC_AGENT_MAX_PROCESSES; ALREADY_EXISTS for
 * a taken exec id); the container takes a reference. */
int rt_proc_add(agent_rt *rt, rt_container *c, rt_proc *p, cc_error **err);
/* Drops p from c if it is there. */
void rt_proc_drop(agent_rt *rt, rt_container *c, rt_proc *p);
/* An exec'd process that was waited for and whose output reached its end
 * leaves the table. */
void rt_proc_maybe_retire(agent_rt *rt, rt_container *c, rt_proc *p);
/* Removes c from the table and marks it gone (wakes every waiter). */
void rt_container_unlink(agent_rt *rt, rt_container *c);

/* ---- stdio (rt_stdio.c) ------------------------------------------------------ */

/* The child's ends of new stdio pipes: fds[0..2]; the process keeps the
 * other ends (out and err pipes are sized to CC_AGENT_PIPE_BYTES). */
int rt_stdio_pipes(rt_proc *p, int child_fds[3], cc_error **err);
/* Takes a received pty master. */
void rt_stdio_set_pty(rt_proc *p, int master);

/* ---- OCI runtime (rt_oci.c) --------------------------------------------------- */

struct rt_oci_io {
	int fds[3];          /* the runtime's stdio (the container's with pipes); -1 */
	bool console;        /* --console-socket: receive a pty master */
	int ret_master;      /* out: the master when console */
};

/* Runs `oci_runtime --root R --log ... <args...>` and waits (at most
 * CC_AGENT_OCI_TIMEOUT_MS); a failure's message carries the runtime's own
 * error from its log. io may be NULL (no stdio). */
int rt_oci_run(agent_rt *rt, const char *const *args, struct rt_oci_io *io, cc_error **err);

/* ---- OCI spec (rt_spec.c) ------------------------------------------------------ */

/* The runtime-spec JSON of a protobuf Spec (without root; the caller sets
 * it). INVALID_ARGUMENT for values the agent refuses (hooks). */
int rt_spec_to_json(const Grpc__Spec *s, bool guest, json_t **ret, cc_error **err);
/* The runtime-spec JSON of a Process. */
int rt_process_to_json(const Grpc__Process *p, json_t **ret, cc_error **err);
/* The annotation key's value (the last one if sent twice), or NULL. */
const char *rt_spec_annotation(const Grpc__Spec *s, const char *key);

/* ---- bundle and storages (rt_bundle.c) ----------------------------------------- */

/* Prepares c->bundle: the rootfs (guest pull or a bind mount of the spec's
 * root) and config.json. */
int rt_bundle_prepare(agent_rt *rt, rt_container *c, const Grpc__CreateContainerRequest *req,
                      bool *ret_tty, cc_error **err);
/* Undoes the bundle: unmounts, removes the directory. */
int rt_bundle_cleanup(agent_rt *rt, rt_container *c, cc_error **err);
/* Mounts the storages (ephemeral, local, image_guest_pull is skipped);
 * appends what to undo to (*mounts, *n). */
int rt_storages_add(agent_rt *rt, Grpc__Storage *const *st, size_t n, char ***mounts,
                    size_t *nmounts, cc_error **err);
/* Unmounts in reverse order; frees the list. */
void rt_mounts_undo(char **mounts, size_t n);
/* Resolves a path from a request that must lie strictly inside root (both
 * absolute): the lexical form, no "..", no empty components. */
int rt_path_inside(const char *root, const char *path, const char **ret_rel, cc_error **err);

/* ---- cgroups, stats and OOM (rt_stats.c, rt_oom.c) ----------------------------- */

/* Finds the cgroup directories of pid. */
int rt_cgroup_find(pid_t pid, struct rt_cgroup *ret, cc_error **err);
void rt_cgroup_clear(struct rt_cgroup *cg);
/* The oom_kill count of a container's memory cgroup (0 if unknown). */
uint64_t rt_cgroup_oom_kills(const struct rt_cgroup *cg);
/* Looks for new OOM kills in every container and queues them (rt->lock
 * held). */
void rt_oom_scan_locked(agent_rt *rt);
void rt_oom_clear(agent_rt *rt);

/* ---- lifecycle helpers used by the sandbox (rt_container.c) ------------------- */

/* Kills and removes c (as RemoveContainer with no timeout). */
int rt_container_destroy(agent_rt *rt, rt_container *c, ttrpc_call *call, unsigned timeout_s,
                         cc_error **err);
/* The SigBlk, SigIgn and SigCgt masks of pid (/proc/PID/status). */
int rt_sigmasks(pid_t pid, uint64_t ret[3]);
/* Watches the process whose pid the OCI runtime wrote to pidfile: sets
 * p->child. */
int rt_adopt_pidfile(agent_rt *rt, rt_proc *p, const char *pidfile, cc_error **err);

#endif
