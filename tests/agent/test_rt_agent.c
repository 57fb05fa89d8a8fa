/* The real cocoon-agent (front, built-in allow-all policy, and this
 * runtime) as a process on a unix socket, driven over ttrpc: a sandbox
 * and a busybox container run with runc, its output read through
 * ReadStdout, its exit status through WaitProcess, an exec, then removal;
 * hostile calls (CopyFile outside the shared directory, unknown ids,
 * out-of-order lifecycle calls) get errors and the agent keeps serving;
 * SIGTERM stops it and nothing is left behind: no mount, no bundle, and
 * no process the agent started (each one it had as a child, container
 * inits and exec'd processes, is held by pidfd and must have exited once
 * the agent has). Root and runc (else 77).
 *
 * Usage: test_rt_agent PATH_TO_COCOON_AGENT */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "empty.pb-c.h"
#include "rt_int.h"
#include "test_rt_lib.h"

static const char *agent_path, *runc;

struct fx {
	char *dir;
	pid_t agent;
	ttrpc_client *cl;
	char run[512];
	struct rtl_procs procs; /* the agent's children: none may outlive it */
};

static int call(struct fx *f, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **ret)
{
	ProtobufCMessage *r = NULL;
	cc_error *e = NULL;
	ttrpc_call_opts o = {.timeout_ns = 60ll * 1000000000};
	int rc = ttrpc_client_call_pb(f->cl, "grpc.AgentService", method, req,
	                              resp_desc ? resp_desc : &google__protobuf__empty__descriptor,
	                              &o, &r, &e);
	if (rc < 0) {
		if (getenv("RT_TEST_VERBOSE"))
			print_message("%s: %s\n", method, cc_error_message(e));
		return rtl_code(e);
	}
	if (ret)
		*ret = r;
	else
		ttrpc_pb_free(r);
	return 0;
}

static int call_json(struct fx *f, const char *method, const char *ep, json_t *j)
{
	ProtobufCMessage *req = rtl_request(ep, j);
	json_decref(j);
	int code = call(f, method, req, NULL, NULL);
	protobuf_c_message_free_unpacked(req, NULL);
	return code;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = rtl_tmpdir();
	snprintf(f->run, sizeof(f->run), "%s/run", f->dir);
	char sock[600], oci[600], cache[600];
	snprintf(sock, sizeof(sock), "unix:%s/agent.sock", f->dir);
	snprintf(oci, sizeof(oci), "%s/oci", f->dir);
	snprintf(cache, sizeof(cache), "%s/cache", f->dir);
	f->agent = fork();
	assert_true(f->agent >= 0);
	if (f->agent == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		execl(agent_path, agent_path, "--listen", sock, "--run-dir", f->run, "--oci-runtime",
		      runc, "--oci-root", oci, "--image-cache", cache, "--no-guest", "--log-level",
		      "warn", (char *)NULL);
		_exit(127);
	}
	/* the socket appears when the agent serves (bounded: 10 s) */
	for (int i = 0; i < 1000; i++) {
		if (ttrpc_client_connect_unix(sock + 5, &f->cl, NULL) == 0)
			break;
		usleep(10000);
	}
	assert_non_null(f->cl);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ttrpc_client_free(f->cl);
	kill(f->agent, SIGTERM);
	int ws = 0;
	for (int i = 0; i < 1000 && waitpid(f->agent, &ws, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(f->agent, &ws, WNOHANG) == 0) {
		kill(f->agent, SIGKILL);
		waitpid(f->agent, &ws, 0);
		rtl_reap_noted(&f->procs);
		fail_msg("the agent did not stop on SIGTERM");
	}
	size_t left = rtl_reap_noted(&f->procs);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_int_equal(left, 0); /* the agent's container processes went with it */
	/* the agent removed what it made */
	assert_false(rtl_mounted_below(f->dir));
	char p[700];
	snprintf(p, sizeof(p), "%s/c1", f->run);
	assert_int_equal(access(p, F_OK), -1);
	rtl_cleanup(f->dir);
	rtl_cgroup_cleanup();
	free(f->dir);
	free(f);
	return 0;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static char *read_all(struct fx *f, const char *cid, const char *eid)
{
	char *out = calloc(1, 4097);
	size_t n = 0;
	for (int i = 0; i < 200 && n < 4096; i++) {
		Grpc__ReadStreamRequest r = GRPC__READ_STREAM_REQUEST__INIT;
		r.container_id = (char *)cid;
		r.exec_id = (char *)eid;
		r.len = (uint32_t)(4096 - n);
		Grpc__ReadStreamResponse *resp = NULL;
		assert_int_equal(call(f, "ReadStdout", &r.base, &grpc__read_stream_response__descriptor,
		                      (ProtobufCMessage **)&resp), 0);
		size_t got = resp->data.len;
		if (got)
			memcpy(out + n, resp->data.data, got);
		n += got;
		ttrpc_pb_free(&resp->base);
		if (got == 0)
			break;
	}
	return out;
}

static int wait_status(struct fx *f, const char *cid, const char *eid)
{
	Grpc__WaitProcessRequest r = GRPC__WAIT_PROCESS_REQUEST__INIT;
	r.container_id = (char *)cid;
	r.exec_id = (char *)eid;
	Grpc__WaitProcessResponse *resp = NULL;
	if (call(f, "WaitProcess", &r.base, &grpc__wait_process_response__descriptor,
	         (ProtobufCMessage **)&resp) != 0)
		return -1;
	int st = resp->status;
	ttrpc_pb_free(&resp->base);
	return st;
}

static void health(struct fx *f)
{
	Grpc__CheckRequest r = GRPC__CHECK_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	cc_error *e = NULL;
	if (ttrpc_client_call_pb(f->cl, "grpc.Health", "Check", &r.base,
	                         &grpc__health_check_response__descriptor, NULL, &resp, &e) < 0)
		fail_msg("Check: %s", cc_error_message(e));
	ttrpc_pb_free(resp);
}

static void test_agent_runs_a_container(void **state)
{
	struct fx *f = *state;
	char root[700];
	snprintf(root, sizeof(root), "%s/shared/containers/c1/rootfs", f->run);
	assert_int_equal(call_json(f, "CreateContainer", "CreateContainerRequest",
	                           json_pack("{s:s, s:o}", "container_id", "c1", "OCI",
	                                     rtl_spec(ARGS("/bin/true"), false, root))),
	                 TTRPC_FAILED_PRECONDITION); /* before CreateSandbox */
	assert_int_equal(call_json(f, "CreateSandbox", "CreateSandboxRequest",
	                           json_pack("{s:s}", "sandbox_id", "sb")), 0);
	assert_int_equal(rt_mkdir_p(root, 0755, NULL), 0);
	assert_int_equal(rtl_busybox_rootfs(root), 0);
	assert_int_equal(call_json(f, "CreateContainer", "CreateContainerRequest",
	                           json_pack("{s:s, s:o}", "container_id", "c1", "OCI",
	                                     rtl_spec(ARGS("/bin/sh", "-c",
	                                                   "echo hello from c1; read x; exit 6"),
	                                              false, root))),
	                 0);
	assert_int_equal(call_json(f, "StartContainer", "StartContainerRequest",
	                           json_pack("{s:s}", "container_id", "c1")), 0);
	assert_int_equal(call_json(f, "StartContainer", "StartContainerRequest",
	                           json_pack("{s:s}", "container_id", "c1")),
	                 TTRPC_FAILED_PRECONDITION);
	/* an exec, while the init waits for its stdin */
	assert_int_equal(call_json(f, "ExecProcess", "ExecProcessRequest",
	                           json_pack("{s:s, s:s, s:{s:[s, s, s], s:[s], s:s}}",
	                                     "container_id", "c1", "exec_id", "e1", "process",
	                                     "Args", "/bin/sh", "-c", "echo exec-out", "Env",
	                                     "PATH=/bin", "Cwd", "/")),
	                 0);
	rtl_note_children(&f->procs, f->agent);
	char *out = read_all(f, "c1", "e1");
	assert_string_equal(out, "exec-out\n");
	free(out);
	assert_int_equal(wait_status(f, "c1", "e1"), 0);
	/* hostile calls: errors, and the agent goes on */
	char evil[700];
	snprintf(evil, sizeof(evil), "%s/shared/containers/../../x", f->run);
	assert_int_equal(call_json(f, "CopyFile", "CopyFileRequest",
	                           json_pack("{s:s, s:i, s:i}", "path", evil, "file_size", 1,
	                                     "file_mode", 0100644)),
	                 TTRPC_INVALID_ARGUMENT);
	assert_int_equal(call_json(f, "CopyFile", "CopyFileRequest",
	                           json_pack("{s:s, s:i, s:i}", "path", "/etc/cocoon-rt-agent",
	                                     "file_size", 0, "file_mode", 0100644)),
	                 TTRPC_INVALID_ARGUMENT);
	assert_int_equal(access("/etc/cocoon-rt-agent", F_OK), -1);
	assert_int_equal(call_json(f, "StartContainer", "StartContainerRequest",
	                           json_pack("{s:s}", "container_id", "nope")),
	                 TTRPC_NOT_FOUND);
	assert_int_equal(call_json(f, "SignalProcess", "SignalProcessRequest",
	                           json_pack("{s:s, s:s, s:i}", "container_id", "c1", "exec_id",
	                                     "nope", "signal", 9)),
	                 TTRPC_NOT_FOUND);
	health(f);
	/* the init's output and exit status */
	Grpc__WriteStreamRequest w = GRPC__WRITE_STREAM_REQUEST__INIT;
	w.container_id = "c1";
	w.exec_id = "";
	w.data.data = (uint8_t *)"\n";
	w.data.len = 1;
	assert_int_equal(call(f, "WriteStdin", &w.base, &grpc__write_stream_response__descriptor,
	                      NULL), 0);
	out = read_all(f, "c1", "");
	assert_string_equal(out, "hello from c1\n");
	free(out);
	assert_int_equal(wait_status(f, "c1", ""), 6);
	assert_int_equal(call_json(f, "RemoveContainer", "RemoveContainerRequest",
	                           json_pack("{s:s}", "container_id", "c1")), 0);
	assert_int_equal(call_json(f, "DestroySandbox", "DestroySandboxRequest", json_object()),
	                 0);
	health(f);
}

static void test_agent_cleans_up_on_sigterm(void **state)
{
	struct fx *f = *state;
	char root[700];
	snprintf(root, sizeof(root), "%s/shared/containers/c1/rootfs", f->run);
	assert_int_equal(call_json(f, "CreateSandbox", "CreateSandboxRequest", json_object()), 0);
	assert_int_equal(rt_mkdir_p(root, 0755, NULL), 0);
	assert_int_equal(rtl_busybox_rootfs(root), 0);
	assert_int_equal(call_json(f, "CreateContainer", "CreateContainerRequest",
	                           json_pack("{s:s, s:o}", "container_id", "c1", "OCI",
	                                     rtl_spec(ARGS("/bin/sleep", "1000"), false, root))),
	                 0);
	assert_int_equal(call_json(f, "StartContainer", "StartContainerRequest",
	                           json_pack("{s:s}", "container_id", "c1")), 0);
	assert_int_equal(call_json(f, "ExecProcess", "ExecProcessRequest",
	                           json_pack("{s:s, s:s, s:{s:[s, s], s:[s], s:s}}",
	                                     "container_id", "c1", "exec_id", "e1", "process",
	                                     "Args", "/bin/sleep", "1000", "Env", "PATH=/bin",
	                                     "Cwd", "/")),
	                 0);
	/* the init and the exec'd process (reparented to the agent) */
	rtl_note_children(&f->procs, f->agent);
	assert_true(f->procs.n >= 2);
	/* teardown stops the agent with both running: agent_rt_free must
	 * remove the container (no mount, no bundle, no process left) */
}

int main(int argc, char **argv)
{
	static const char *const paths[] = {"/usr/sbin/runc", "/usr/bin/runc", "/sbin/runc"};
	for (size_t i = 0; i < 3 && runc == NULL; i++)
		if (access(paths[i], X_OK) == 0)
			runc = paths[i];
	if (argc != 2) {
		fprintf(stderr, "usage: test_rt_agent COCOON_AGENT\n");
		return 2;
	}
	agent_path = argv[1];
	if (getuid() != 0 || runc == NULL || access("/bin/busybox", X_OK) < 0) {
		fprintf(stderr, "test_rt_agent: needs root, runc and /bin/busybox; skipped\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_agent_runs_a_container, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_agent_cleans_up_on_sigterm, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
