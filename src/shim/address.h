/* Where a shim lives (kata.md §2.2): its ttrpc socket, computed with
 * containerd's formula, and its state directory; plus the file and socket
 * helpers start/delete/serve share. */
#ifndef COCOON_SHIM_ADDRESS_H
#define COCOON_SHIM_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cocoon/error.h"

/* containerd's default state directory (defaults.DefaultStateDir). */
#define SHIM_DEFAULT_RUN_ROOT "/run/containerd"
/* Longest unix socket path containerd's shims accept (socketPathLimit). */
#define SHIM_SOCKET_PATH_MAX 106u

/* Go's filepath.Clean (lexical: "//", ".", "a/.." and a rooted "/.." go).
 * Returns a new string (NULL on OOM). */
char *shim_path_clean(const char *p);
/* Go's filepath.Join of n elements (empty ones skipped, then Clean; "" if
 * all are empty). NULL on OOM. */
char *shim_path_join(const char *const *elems, size_t n);

/* The hex SHA-256 of s (65 bytes with the NUL). */
void shim_sha256_hex(const char *s, char out[65]);

/* containerd's directory of state (the root of "s/" and of our "cocoon/")
 * for a bundle: <root> when the bundle is
 * <root>/io.containerd.runtime.v2.task/<ns>/<id>, else
 * SHIM_DEFAULT_RUN_ROOT. New string; NULL on OOM. */
char *shim_run_root(const char *bundle);

/* The shim address of (ns, id) as containerd's shim.SocketAddress computes
 * it: "unix://<run_root>/s/<hex sha256(filepath.Join(ctd_address, ns,
 * id))>". When that path is longer than SHIM_SOCKET_PATH_MAX the
 * directory falls back to SHIM_DEFAULT_RUN_ROOT/s. */
int shim_socket_address(const char *run_root, const char *ctd_address, const char *ns,
                        const char *id, char **ret, cc_error **err);
/* The path of a "unix://PATH" address (points into address); NULL if it
 * has another form. */
const char *shim_address_path(const char *address);

/* The state directory of the sandbox shim: <run_root>/cocoon/<the first 32
 * hex digits of the socket's hash>. */
int shim_state_dir(const char *run_root, const char *ctd_address, const char *ns,
                   const char *sandbox_id, char **ret, cc_error **err);

/* Writes data to path atomically (a ".name" temp file beside it, fsync,
 * rename), as containerd's WriteAddress/WritePidFile do. */
int shim_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           cc_error **err);
/* Reads a small file (at most max bytes) into a NUL-terminated string. */
int shim_read_small_file(const char *path, size_t max, char **ret, size_t *ret_len,
                         cc_error **err);

/* Listens on the unix socket at path (mode 0600; the directory made with
 * 0711 if missing). -EADDRINUSE if a live socket is there. */
int shim_listen_unix(const char *path, int *ret_fd, cc_error **err);
/* Connects to the unix socket at path (non-blocking attempt, then a
 * connected blocking fd, close-on-exec). */
int shim_connect_unix(const char *path, int *ret_fd, cc_error **err);
/* Whether a server accepts connections at the "unix://" address. */
bool shim_can_connect(const char *address);

/* A process's start time (field 22 of /proc/PID/stat), to tell a PID from
 * a later process that reused it; 0 if the process does not exist. */
unsigned long long shim_proc_starttime(pid_t pid);

#endif
