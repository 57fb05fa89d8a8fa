/* What start, serve and delete share to leave nothing behind
 * (docs/shim.md, "Cleanup"). */
#ifndef COCOON_SHIM_CLEANUP_H
#define COCOON_SHIM_CLEANUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "cocoon/error.h"

/* Removes a directory tree without following symlinks (0 if it is not
 * there). */
int shim_rm_rf(const char *path, cc_error **err);

/* Writes "PID STARTTIME\n" of pid to path (atomically). */
int shim_write_pidfile(const char *path, pid_t pid, cc_error **err);
/* Reads a pid file written by shim_write_pidfile (or a bare PID, as
 * containerd's shim.pid): the PID if that process still runs with the
 * recorded start time (any start time for a bare PID), else 0. */
pid_t shim_read_live_pid(const char *path);
/* SIGKILLs pid's process group and pid (not our child: it cannot be
 * reaped) and waits up to wait_ms for it to disappear. */
bool shim_kill_wait(pid_t pid, int wait_ms);
/* SIGTERMs pid's process group and pid, waits up to grace_ms for it to
 * go, then does shim_kill_wait(pid, wait_ms). True if it is gone. */
bool shim_term_wait(pid_t pid, int grace_ms, int wait_ms);

/* Unmounts path (lazily) if /proc/self/mountinfo lists it as a mount
 * point. */
void shim_unmount_if_mounted(const char *path);

#endif
