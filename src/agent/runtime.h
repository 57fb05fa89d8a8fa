/* cocoon-agent: the interface between the ttrpc front (server, policy gate:
 * src/agent/front_*.c) and the runtime that does the work (sandbox,
 * containers, processes, stdio, network, files: src/agent/rt_*.c).
 *
 * The front decodes each request (bounded, validated: lib/ttrpc), asks the
 * policy gate, and only then calls the runtime function of that RPC with
 * the decoded request. The runtime never sees a request the policy denied.
 *
 * Contract for every agent_rt_* RPC function:
 *   - req is the decoded request (protobuf-c, proto/agent.proto); it stays
 *     the caller's.
 *   - Functions with a response message allocate *ret with the protobuf-c
 *     default allocator (the caller frees it with
 *     protobuf_c_message_free_unpacked(&(*ret)->base, NULL)).
 *   - Return 0, or a negative errno with *err set; the kind of *err may be
 *     a ttrpc status name set with ttrpc_error_set() (NOT_FOUND for an
 *     unknown container or exec id, ALREADY_EXISTS, FAILED_PRECONDITION for
 *     calls out of lifecycle order, INVALID_ARGUMENT for a hostile value),
 *     else the front maps the errno (ttrpc_code_from_errno).
 *   - Functions may block (WaitProcess, ReadStdout/ReadStderr, GetOOMEvent
 *     long-poll, as the Kata shim uses them): they wait through
 *     agent_rt_wait() with the call, so a cancelled call or a closing
 *     connection ends the wait with -ECANCELED.
 *   - Thread-safe: the front runs each call on its own thread, many at
 *     once; the runtime locks what it shares.
 */
#ifndef COCOON_AGENT_RUNTIME_H
#define COCOON_AGENT_RUNTIME_H

#include <poll.h>
#include <stdbool.h>

#include "agent.pb-c.h"
#include "cocoon/error.h"
#include "health.pb-c.h"
#include "ttrpc.h"

typedef struct agent_rt agent_rt;

struct agent_rt_opts {
	/* Where containers live: <run_dir>/<cid>/{config.json,rootfs} and the
	 * sandbox's shared directories (Kata: /run/kata-containers). */
	const char *run_dir;
	/* The OCI runtime binary (crun in the guest, runc where the cgroup
	 * layout needs it) and its state root (--root). */
	const char *oci_runtime;
	const char *oci_root;
	/* Guest image pull (lib/image/pull): the blob cache, the signature
	 * policy file (NULL: insecure_no_policy), registries.d, whether plain
	 * http registries are allowed (tests with the loopback registry). */
	const char *image_cache_dir;
	const char *image_policy_file;
	const char *image_registries_d;
	bool image_insecure_registries;
	/* true when the agent runs in the guest (started by guest/init, which
	 * stays PID 1 and reaps orphans: the agent makes itself a child
	 * subreaper for its containers; mounts, hostname, network and
	 * sandbox-wide setup are real); false when it runs as a normal process
	 * for tests (those steps are checked but not applied to the host). */
	bool guest;
};

int agent_rt_new(const struct agent_rt_opts *o, agent_rt **ret, cc_error **err);
/* Kills every container and process still running, then frees rt. */
void agent_rt_free(agent_rt *rt);

/* Waits like ttrpc_call_poll (call may be NULL: plain poll). */
int agent_rt_wait(ttrpc_call *call, struct pollfd *fds, nfds_t n, int timeout_ms);

/* ---- sandbox ------------------------------------------------------------ */
int agent_rt_create_sandbox(agent_rt *rt, const Grpc__CreateSandboxRequest *req, cc_error **err);
int agent_rt_destroy_sandbox(agent_rt *rt, const Grpc__DestroySandboxRequest *req, cc_error **err);
int agent_rt_guest_details(agent_rt *rt, const Grpc__GuestDetailsRequest *req,
                           Grpc__GuestDetailsResponse **ret, cc_error **err);

/* ---- containers ----------------------------------------------------------- */
/* The container's rootfs comes from guest pull when its OCI annotations
 * carry io.kubernetes.cri.image-name (or a storage with driver
 * "image_guest_pull"): pulled, verified and unpacked in the guest with
 * lib/image/pull into <run_dir>/<cid>/. */
int agent_rt_create_container(agent_rt *rt, ttrpc_call *call,
                              const Grpc__CreateContainerRequest *req, cc_error **err);
int agent_rt_start_container(agent_rt *rt, const Grpc__StartContainerRequest *req, cc_error **err);
int agent_rt_remove_container(agent_rt *rt, ttrpc_call *call,
                              const Grpc__RemoveContainerRequest *req, cc_error **err);
int agent_rt_pause_container(agent_rt *rt, const Grpc__PauseContainerRequest *req, cc_error **err);
int agent_rt_resume_container(agent_rt *rt, const Grpc__ResumeContainerRequest *req,
                              cc_error **err);
int agent_rt_stats_container(agent_rt *rt, const Grpc__StatsContainerRequest *req,
                             Grpc__StatsContainerResponse **ret, cc_error **err);

/* ---- processes and stdio ----------------------------------------------------- */
int agent_rt_exec_process(agent_rt *rt, const Grpc__ExecProcessRequest *req, cc_error **err);
int agent_rt_signal_process(agent_rt *rt, const Grpc__SignalProcessRequest *req, cc_error **err);
int agent_rt_wait_process(agent_rt *rt, ttrpc_call *call, const Grpc__WaitProcessRequest *req,
                          Grpc__WaitProcessResponse **ret, cc_error **err);
int agent_rt_write_stdin(agent_rt *rt, ttrpc_call *call, const Grpc__WriteStreamRequest *req,
                         Grpc__WriteStreamResponse **ret, cc_error **err);
/* stderr false: ReadStdout; true: ReadStderr. */
int agent_rt_read_stream(agent_rt *rt, ttrpc_call *call, const Grpc__ReadStreamRequest *req,
                         bool stderr_stream, Grpc__ReadStreamResponse **ret, cc_error **err);
int agent_rt_close_stdin(agent_rt *rt, const Grpc__CloseStdinRequest *req, cc_error **err);
int agent_rt_tty_win_resize(agent_rt *rt, const Grpc__TtyWinResizeRequest *req, cc_error **err);
int agent_rt_get_oom_event(agent_rt *rt, ttrpc_call *call, const Grpc__GetOOMEventRequest *req,
                           Grpc__OOMEvent **ret, cc_error **err);

/* ---- files and network ---------------------------------------------------------- */
int agent_rt_copy_file(agent_rt *rt, const Grpc__CopyFileRequest *req, cc_error **err);
int agent_rt_update_interface(agent_rt *rt, const Grpc__UpdateInterfaceRequest *req,
                              Types__Interface **ret, cc_error **err);
int agent_rt_update_routes(agent_rt *rt, const Grpc__UpdateRoutesRequest *req,
                           Grpc__Routes **ret, cc_error **err);
int agent_rt_list_interfaces(agent_rt *rt, const Grpc__ListInterfacesRequest *req,
                             Grpc__Interfaces **ret, cc_error **err);
int agent_rt_list_routes(agent_rt *rt, const Grpc__ListRoutesRequest *req, Grpc__Routes **ret,
                         cc_error **err);

#endif
