/* Helpers of the agent runtime's tests (test_rt_*.c): a scratch run
 * directory, a busybox rootfs, requests built from Kata-shaped JSON
 * (tests/agent/pbjson.c), and bounded stream reads. */
#ifndef COCOON_TESTS_AGENT_RT_LIB_H
#define COCOON_TESTS_AGENT_RT_LIB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "runtime.h"

/* A scratch directory /tmp/cocoon-rt-XXXXXX (removed by rtl_cleanup,
 * after unmounting anything left below it). */
char *rtl_tmpdir(void);
void rtl_cleanup(const char *dir);

/* A runtime on dir/run with the OCI runtime at oci (oci state in
 * dir/oci). */
agent_rt *rtl_runtime(const char *dir, const char *oci, bool guest);

/* Copies /bin/busybox into root/bin with a symlink per applet used by the
 * tests, and the directories a container needs. 0 or -1. */
int rtl_busybox_rootfs(const char *root);

/* Parses Kata-shaped JSON text into a request of type ep
 * ("CreateContainerRequest"); fails the test on error. Free with
 * protobuf_c_message_free_unpacked(m, NULL). */
ProtobufCMessage *rtl_request(const char *ep, json_t *j);

/* A Kata-shaped OCI spec: args (NULL-terminated), terminal, root path
 * (may be NULL), the usual mounts and namespaces. */
json_t *rtl_spec(const char *const *args, bool terminal, const char *root);

/* Reads the stream (stderr or stdout) of cid/eid until it ends or max
 * bytes arrived or (with until != NULL) the text contains until; the text
 * read (malloc'd, NUL-terminated). Bounded: at most 200000 reads. */
char *rtl_read(agent_rt *rt, const char *cid, const char *eid, bool is_err, size_t max,
               const char *until);

/* WaitProcess; returns the status or -1 on error. */
int rtl_wait(agent_rt *rt, const char *cid, const char *eid);

/* The error's ttrpc code, and frees it. */
int rtl_code(cc_error *e);

/* Removes the runtime's empty parent cgroups (/sys/fs/cgroup[/CTRL]/cocoon)
 * that runc leaves on the host; one still in use stays. */
void rtl_cgroup_cleanup(void);

/* The processes a test started, held by pidfd so that a check or a kill
 * never reaches a pid reused by another process. */
struct rtl_procs {
	pid_t pid[64];
	int fd[64];
	size_t n;
};

/* Notes every child of process pid (all its threads' children), once
 * each; at most 64. */
void rtl_note_children(struct rtl_procs *ps, pid_t pid);

/* Waits (at most 5 s) for each noted process to exit, SIGKILLs those
 * still there and closes the pidfds; the number that were still there. */
size_t rtl_reap_noted(struct rtl_procs *ps);

/* True if something is mounted at or below path. */
bool rtl_mounted_below(const char *path);

#endif
