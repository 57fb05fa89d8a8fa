/* Caps of the agent runtime (src/agent/rt_*.c), each with its reason.
 * They belong in include/cocoon/limits.h (docs/limits.md) with the other
 * caps; they live here until that shared header takes them. */
#ifndef COCOON_AGENT_RT_LIMITS_H
#define COCOON_AGENT_RT_LIMITS_H

/* Containers of the sandbox at once. A pod rarely has more than a dozen;
 * each one costs an OCI runtime state dir, a bundle and a cgroup. */
#define CC_AGENT_MAX_CONTAINERS 64u

/* Processes (container inits and exec'd processes) known at once, over the
 * whole sandbox. Each holds up to 5 descriptors (3 stdio, pidfd, exit
 * eventfd), so 128 stays far below the usual 1024 open-file limit. An
 * exec'd process leaves the table once it has been waited for and its
 * output was read to the end. */
#define CC_AGENT_MAX_PROCESSES 128u

/* Children of the agent watched by the reaper (OCI runtime invocations and
 * the processes above). */
#define CC_AGENT_MAX_CHILDREN (CC_AGENT_MAX_PROCESSES + 64u)

/* Exit statuses of children reaped before anyone asked for them (a process
 * that ended before its pid file was read), kept in a ring. */
#define CC_AGENT_REAPED_RING 64u

/* Kernel buffer of each stdout/stderr pipe (F_SETPIPE_SZ): the output a
 * container may write before a ReadStdout/ReadStderr. When it is full the
 * container's write blocks (the agent keeps no copy of its own). */
#define CC_AGENT_PIPE_BYTES (256u * 1024u)

/* Bytes one ReadStdout/ReadStderr returns at most (the request's len is
 * clamped; 0 asks for the default). The response must fit a ttrpc message. */
#define CC_AGENT_MAX_READ_BYTES (1u * 1024u * 1024u)
#define CC_AGENT_DEFAULT_READ_BYTES (32u * 1024u)

/* Container and exec ids: length (Kata's ids are 64 hex digits). */
#define CC_AGENT_MAX_ID_BYTES 128u

/* A path built by the agent or taken from a request. */
#define CC_AGENT_MAX_PATH 4096u

/* One OCI runtime invocation (create, start, exec, kill, ...); Kata waits
 * 60 s for CreateContainer. */
#define CC_AGENT_OCI_TIMEOUT_MS 60000

/* What is read back of the OCI runtime's log to explain a failure. */
#define CC_AGENT_OCI_LOG_BYTES (64u * 1024u)

/* CopyFile: the size of one file (Kubernetes caps Secrets and ConfigMaps
 * at 1 MiB; the Kata runtime sends 1 MiB chunks) and of a symlink target. */
#define CC_AGENT_COPYFILE_MAX_BYTES (16u * 1024u * 1024u)
#define CC_AGENT_COPYFILE_MAX_LINK 4095u

/* CreateSandbox: DNS lines and storages; CreateContainer: storages. */
#define CC_AGENT_MAX_DNS 32u
#define CC_AGENT_MAX_DNS_LINE 1024u
#define CC_AGENT_MAX_STORAGES 64u

/* OOM events queued until a GetOOMEvent takes them (older ones are
 * dropped). */
#define CC_AGENT_MAX_OOM_EVENTS 64u

/* Network: links, addresses per request, routes a dump may return, and the
 * bytes of one netlink dump. */
#define CC_AGENT_MAX_LINKS 1024u
#define CC_AGENT_MAX_ADDRS 256u
#define CC_AGENT_MAX_ROUTES 4096u
#define CC_AGENT_MAX_NL_DUMP_BYTES (16u * 1024u * 1024u)

/* A cgroup or /proc file read for stats. */
#define CC_AGENT_MAX_STAT_FILE 65536u

#endif
