/* The pod's VM as a process (docs/shim.md): QEMU (or, for developers, the
 * agent itself as a host process), started in its own process group,
 * watched by a reaper thread, killed and reaped by PID. Its PID and start
 * time are kept in <state_dir>/vm.pid (agent.pid) so `delete` can kill
 * it after a crash of the shim. */
#ifndef COCOON_SHIM_VM_H
#define COCOON_SHIM_VM_H

#include <stdbool.h>
#include <sys/types.h>

#include "cocoon/error.h"
#include "config.h"

struct shim_vm;

/* Called once, from the reaper thread, when the process exits. */
typedef void (*shim_vm_died_fn)(void *arg, int wait_status);

struct shim_vm_opts {
	const struct shim_config *cfg;
	const char *state_dir;
	const char *sandbox_id;
	/* the pod's init-data image (initdata.h), or NULL: attached read-only
	 * (QEMU), or --initdata-device for the host agent */
	const char *initdata_img;
	shim_vm_died_fn died;
	void *arg;
};

/* Starts the hypervisor (QEMU with the command line of qemu.h, or the
 * host agent listening on <state_dir>/agent.sock), writes vm.pid (for
 * the host agent agent.pid). Its
 * output goes to <state_dir>/hypervisor.log, the guest's console to
 * <state_dir>/console.log. */
int shim_vm_start(const struct shim_vm_opts *o, struct shim_vm **ret, cc_error **err);
/* Connects to the agent's channel: waits (up to timeout_ms) until the
 * socket accepts, failing at once if the VM exits. The fd is the caller's. */
int shim_vm_connect(struct shim_vm *vm, int timeout_ms, int *ret_fd, cc_error **err);
pid_t shim_vm_pid(const struct shim_vm *vm);
bool shim_vm_dead(const struct shim_vm *vm);
/* Ends the process: SIGTERM to its group, SIGKILL after grace_ms (0:
 * at once), and waits until the reaper has reaped it. The host agent is
 * first hung up on (the connection shim_vm_connect made), so that it
 * cancels our calls in flight instead of waiting for them. Idempotent. */
void shim_vm_kill(struct shim_vm *vm, int grace_ms);
/* Kills (if needed) and frees. NULL is a no-op. */
void shim_vm_free(struct shim_vm *vm);

/* In a forked child: its own process group, stdio to /dev/null and
 * log_fd, no other fds, cwd, then execv(argv). Only async-signal-safe
 * calls; never returns. */
_Noreturn void shim_child_exec(char **argv, int log_fd, const char *cwd);

/* The last lines of the guest console and the hypervisor's log, for an
 * error message when the VM did not come up (a new string; NULL if there
 * is nothing). */
char *shim_vm_tail(const char *state_dir, size_t max);

#endif
