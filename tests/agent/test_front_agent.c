/* cocoon-agent as a process (with the fake runtime, rt_fake.c), driven
 * over real ttrpc on a unix socket and on a pty standing in for its
 * virtio-serial port: Health; the recorded Kata request sequences get the
 * recorded answers; requests a Kata policy forbids are denied with the
 * policy's reason in the log while the agent keeps serving; SetPolicy,
 * AllowRequestsFailingPolicy, policy state, denied ReadStdout; hostile
 * frames and payloads; configuration sources. Every agent started is
 * stopped by its PID (SIGTERM, then SIGKILL after 10 s).
 *
 * Usage: test_front_agent PATH_TO_cocoon-agent-fake */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "helpers.h"
#include "pbjson.h"
#include "ttrpc.h"

static const char *agent_bin;

/* ---- starting and stopping the agent --------------------------------------- */

struct agent {
	pid_t pid;
	char dir[256];
	char sock[320];
	char log[320];
};

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Starts the agent with args (NULL-terminated, after the program name),
 * stderr to a.log. With listen, waits (10 s at most) until it accepts. */
static void agent_spawn(struct agent *a, bool listen, const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	argv[n++] = agent_bin;
	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	a->pid = fork();
	assert_true(a->pid >= 0);
	if (a->pid == 0) {
		int fd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0 || nul < 0)
			_exit(127);
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		unsetenv("COCOON_AGENT_CHANNEL");
		execv(agent_bin, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; listen && i < 200; i++) {
		ttrpc_client *c = NULL;
		if (ttrpc_client_connect_unix(a->sock, &c, NULL) == 0) {
			ttrpc_client_free(c);
			return;
		}
		int st;
		if (waitpid(a->pid, &st, WNOHANG) == a->pid)
			fail_msg("the agent exited early (status %d); log %s", st, a->log);
		sleep_ms(50);
	}
	if (listen)
		fail_msg("the agent does not accept on %s", a->sock);
}

static void agent_cleanup(struct agent *a);

/* A fresh directory for the next agent; the previous agent's (a test that
 * starts several) is removed first, so no run leaves one behind. */
static void agent_dirs(struct agent *a)
{
	if (a->dir[0] != '\0')
		agent_cleanup(a);
	snprintf(a->dir, sizeof(a->dir), "/tmp/cocoon-agent-test.XXXXXX");
	assert_non_null(mkdtemp(a->dir));
	snprintf(a->sock, sizeof(a->sock), "%s/agent.sock", a->dir);
	snprintf(a->log, sizeof(a->log), "%s/agent.log", a->dir);
}

/* Starts an agent on a unix socket; extra args after the listen address
 * (NULL-terminated list). */
static void agent_start(struct agent *a, ...)
{
	agent_dirs(a);
	char listen[400];
	snprintf(listen, sizeof(listen), "unix:%s", a->sock);
	const char *args[24] = {"--listen", listen, "--log-level", "debug"};
	size_t n = 4;
	va_list ap;
	va_start(ap, a);
	const char *s;
	while ((s = va_arg(ap, const char *)) != NULL && n < 23)
		args[n++] = s;
	va_end(ap);
	args[n] = NULL;
	agent_spawn(a, true, args);
}

/* Waits up to ms for the process; its wait status, or -1. */
static int wait_exit(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		sleep_ms(10);
	}
	return -1;
}

/* SIGTERM; must exit 0 within 10 s (else SIGKILL and fail). */
static void agent_stop(struct agent *a)
{
	if (a->pid <= 0)
		return;
	kill(a->pid, SIGTERM);
	int st = wait_exit(a->pid, 10000);
	if (st == -1) {
		kill(a->pid, SIGKILL);
		waitpid(a->pid, &st, 0);
		fail_msg("the agent did not stop within 10 s of SIGTERM");
	}
	a->pid = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the agent ended with status 0x%x; log %s", st, a->log);
}

static void agent_cleanup(struct agent *a)
{
	char cmd[600];
	if (getenv("KEEP_AGENT_LOGS") == NULL) {
		unlink(a->log);
		unlink(a->sock);
		snprintf(cmd, sizeof(cmd), "%s/policy.rego", a->dir);
		unlink(cmd);
		snprintf(cmd, sizeof(cmd), "%s/port", a->dir);
		unlink(cmd);
		rmdir(a->dir);
	}
}

static char *agent_log_text(const struct agent *a)
{
	char *t = slurp_file(a->log, NULL);
	assert_non_null(t);
	return t;
}

static size_t count_substr(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Writes a policy file into the agent's directory; returns its path. */
static const char *write_policy(struct agent *a, const char *text)
{
	static char path[400];
	agent_dirs(a);
	snprintf(path, sizeof(path), "%s/policy.rego", a->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* ---- calls ------------------------------------------------------------------- */

static ttrpc_client *connect_agent(const struct agent *a)
{
	ttrpc_client *c = NULL;
	cc_error *e = NULL;
	if (ttrpc_client_connect_unix(a->sock, &c, &e) < 0)
		fail_msg("connect %s: %s", a->sock, cc_error_message(e));
	return c;
}

/* One call with a raw payload; the status code, *msg the status message
 * (static; "" for OK), *resp the payload (caller frees). */
static int call_raw(ttrpc_client *c, const char *svc, const char *method, const void *p,
                    size_t len, int timeout_ms, uint8_t **resp, size_t *rlen, char *msg,
                    size_t msglen)
{
	ttrpc_call_opts o = {.timeout_ns = (int64_t)timeout_ms * 1000000};
	uint8_t *out = NULL;
	size_t olen = 0;
	cc_error *e = NULL;
	int r = ttrpc_client_call(c, svc, method, p, len, &o, &out, &olen, &e);
	if (msg)
		snprintf(msg, msglen, "%s", r < 0 ? cc_error_message(e) : "");
	int code = r < 0 ? ttrpc_error_code(e) : TTRPC_OK;
	cc_error_free(e);
	if (resp)
		*resp = out;
	else
		free(out);
	if (rlen)
		*rlen = olen;
	return code;
}

static int call_pb(ttrpc_client *c, const char *method, const ProtobufCMessage *m, int timeout_ms,
                   char *msg, size_t msglen)
{
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(ttrpc_pb_pack(m, &p, &n, NULL), 0);
	int code = call_raw(c, "grpc.AgentService", method, p, n, timeout_ms, NULL, NULL, msg, msglen);
	free(p);
	return code;
}

static void health_ok(ttrpc_client *c)
{
	Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	cc_error *e = NULL;
	ttrpc_call_opts o = {.timeout_ns = 5000000000LL};
	int r = ttrpc_client_call_pb(c, "grpc.Health", "Check", &req.base,
	                             &grpc__health_check_response__descriptor, &o, &resp, &e);
	if (r < 0)
		fail_msg("Health.Check: %s", cc_error_message(e));
	assert_int_equal(((Grpc__HealthCheckResponse *)resp)->status,
	                 GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	ttrpc_pb_free(resp);
}

/* Health on a new connection: the agent still serves. */
static void still_serving(const struct agent *a)
{
	ttrpc_client *c = connect_agent(a);
	health_ok(c);
	ttrpc_client_free(c);
}

/* The RPC that carries a request type. */
static const char *method_of(const char *ep)
{
	static const struct {
		const char *ep, *method;
	} odd[] = {
	    {"WriteStreamRequest", "WriteStdin"},   {"ReadStreamRequest", "ReadStdout"},
	    {"GuestDetailsRequest", "GetGuestDetails"}, {"GetOOMEventRequest", "GetOOMEvent"},
	};
	static char buf[128];
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		if (strcmp(odd[i].ep, ep) == 0)
			return odd[i].method;
	size_t n = strlen(ep);
	assert_true(n > 7 && n < sizeof(buf) && strcmp(ep + n - 7, "Request") == 0);
	memcpy(buf, ep, n - 7);
	buf[n - 7] = '\0';
	return buf;
}

/* A recorded request (JSON) as a protobuf payload. */
static uint8_t *encode_json(const char *ep, json_t *j, size_t *len)
{
	const ProtobufCMessageDescriptor *d = pbjson_request_type(ep);
	assert_non_null(d);
	ProtobufCMessage *m = NULL;
	char why[256];
	if (pbjson_to_pb(d, j, &m, why, sizeof(why)) < 0)
		fail_msg("%s: %s", ep, why);
	uint8_t *p = NULL;
	assert_int_equal(ttrpc_pb_pack(m, &p, len, NULL), 0);
	protobuf_c_message_free_unpacked(m, NULL);
	return p;
}

/* Sends one request given as JSON; returns the status code. */
static int send_json(ttrpc_client *c, const char *ep, json_t *j, char *msg, size_t msglen)
{
	size_t n = 0;
	uint8_t *p = encode_json(ep, j, &n);
	/* GetOOMEvent is a long-poll in the runtime: an allowed one times out */
	int timeout = strcmp(ep, "GetOOMEventRequest") == 0 ? 300 : 30000;
	int code = call_raw(c, "grpc.AgentService", method_of(ep), p, n, timeout, NULL, NULL, msg,
	                    msglen);
	free(p);
	return code;
}

/* The answer a recorded decision must give. */
static void check_answer(const char *what, const char *ep, bool allowed, int code,
                         const char *msg)
{
	bool oom = strcmp(ep, "GetOOMEventRequest") == 0;
	if (allowed && (code == TTRPC_OK || (oom && code == TTRPC_DEADLINE_EXCEEDED)))
		return;
	char prefix[160];
	snprintf(prefix, sizeof(prefix), "%s is blocked by policy: ", ep);
	if (!allowed && code == TTRPC_PERMISSION_DENIED && strncmp(msg, prefix, strlen(prefix)) == 0)
		return;
	if (!allowed && strcmp(ep, "ReadStreamRequest") == 0 && code == TTRPC_OK)
		return;
	fail_msg("%s %s: want %s, got %s %s", what, ep, allowed ? "allowed" : "denied",
	         ttrpc_code_name(code), msg);
}

static enum agent_json_shape recorded_shape(const char *scenario)
{
	return strncmp(scenario, "k8s-policy-", 11) == 0 ? AGENT_JSON_KATA_2024
	                                                 : AGENT_JSON_KATA_2023;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_health_version(void **state)
{
	(void)state;
	struct agent a = {0};
	agent_start(&a, NULL);
	ttrpc_client *c = connect_agent(&a);
	health_ok(c);
	Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	assert_int_equal(ttrpc_client_call_pb(c, "grpc.Health", "Version", &req.base,
	                                      &grpc__version_check_response__descriptor, NULL,
	                                      &resp, NULL),
	                 0);
	Grpc__VersionCheckResponse *v = (Grpc__VersionCheckResponse *)resp;
	assert_string_equal(v->grpc_version, "0.0.1");
	assert_true(strlen(v->agent_version) > 0);
	ttrpc_pb_free(resp);
	ttrpc_client_free(c);
	agent_stop(&a);
	/* no policy given and none at Kata's path: the built-in allow-all */
	char *log = agent_log_text(&a);
	if (access("/etc/kata-opa/default-policy.rego", F_OK) != 0)
		assert_non_null(strstr(log, "built-in allow-all policy"));
	free(log);
	agent_cleanup(&a);
}

/* Every recorded Kata sequence over ttrpc: the recorded answers; the
 * runtime sees exactly the allowed requests. */
static void test_recorded_sequences(void **state)
{
	(void)state;
	size_t sent = 0, skipped = 0;
	for (size_t s = 0; s < kata_n_scenarios; s++) {
		char dir[4096], pol[4200], outp[4200];
		snprintf(dir, sizeof(dir), "%s/%s", kata_dir(), kata_scenarios[s]);
		snprintf(pol, sizeof(pol), "%s/policy.rego", dir);
		snprintf(outp, sizeof(outp), "%s/outputs.json", dir);
		json_t *want = json_load_file(outp, 0, NULL);
		assert_non_null(want);
		struct agent a = {0};
		agent_start(&a, "--policy", pol, "--policy-input",
		            agent_json_shape_name(recorded_shape(kata_scenarios[s])), NULL);
		ttrpc_client *c = connect_agent(&a);
		struct kata_line *lines = NULL;
		size_t n = 0;
		assert_int_equal(kata_lines_read(dir, &lines, &n), 0);
		size_t allowed = 0;
		for (size_t i = 0; i < n; i++) {
			if (pbjson_request_type(lines[i].ep) == NULL) {
				skipped++; /* AllowRequestsFailingPolicy, RPCs cocoon does not serve */
				continue;
			}
			json_t *j = json_loadb(lines[i].json, lines[i].len, 0, NULL);
			char msg[1024], what[200];
			int code = send_json(c, lines[i].ep, j, msg, sizeof(msg));
			json_decref(j);
			bool ok = json_is_true(json_array_get(want, i));
			snprintf(what, sizeof(what), "%s #%zu", kata_scenarios[s], i);
			check_answer(what, lines[i].ep, ok, code, msg);
			allowed += ok || strcmp(lines[i].ep, "ReadStreamRequest") == 0;
			sent++;
		}
		health_ok(c);
		ttrpc_client_free(c);
		agent_stop(&a);
		char *log = agent_log_text(&a);
		/* the runtime saw exactly the allowed requests */
		assert_int_equal(count_substr(log, "\nrt: "), allowed);
		free(log);
		kata_lines_free(lines, n);
		json_decref(want);
		agent_cleanup(&a);
	}
	print_message("recorded requests sent over ttrpc: %zu (all answered as recorded); "
	              "not sendable: %zu\n",
	              sent, skipped);
	assert_int_equal(sent, 412);
}

/* Replays scenario up to (not including) line stop; returns the lines. */
static struct kata_line *replay_until(ttrpc_client *c, const char *scenario, json_t **want,
                                      size_t *n)
{
	char dir[4096], outp[4200];
	snprintf(dir, sizeof(dir), "%s/%s", kata_dir(), scenario);
	snprintf(outp, sizeof(outp), "%s/outputs.json", dir);
	*want = json_load_file(outp, 0, NULL);
	assert_non_null(*want);
	struct kata_line *lines = NULL;
	assert_int_equal(kata_lines_read(dir, &lines, n), 0);
	(void)c;
	return lines;
}

/* A mutation the policy must refuse: sent, denied, reason logged,
 * the agent still serving. */
static void expect_denied(struct agent *a, ttrpc_client *c, const char *ep, json_t *j,
                          const char *reason_substr)
{
	char msg[4096];
	int code = send_json(c, ep, j, msg, sizeof(msg));
	if (code != TTRPC_PERMISSION_DENIED)
		fail_msg("%s (mutated): got %s %s", ep, ttrpc_code_name(code), msg);
	char prefix[160];
	snprintf(prefix, sizeof(prefix), "%s is blocked by policy: ", ep);
	assert_int_equal(strncmp(msg, prefix, strlen(prefix)), 0);
	char *log = agent_log_text(a);
	char line[200];
	snprintf(line, sizeof(line), "policy: %s is blocked by policy", ep);
	assert_non_null(strstr(log, line));
	if (reason_substr && strstr(log, reason_substr) == NULL)
		fail_msg("%s: the log lacks the policy's reason '%s'", ep, reason_substr);
	free(log);
	still_serving(a);
}

static void json_array_push_str(json_t *arr, const char *s)
{
	json_array_append_new(arr, json_string(s));
}

/* The forbidden requests against a real Kata policy (pod-exec):
 * an extra argument, an added environment variable, an exec of another
 * command, CopyFile outside its allowed path; the recorded sequence goes on
 * as recorded around them. */
static void test_forbidden_requests(void **state)
{
	(void)state;
	const char *scenario = "pod-exec";
	char pol[4200];
	snprintf(pol, sizeof(pol), "%s/%s/policy.rego", kata_dir(), scenario);
	struct agent a = {0};
	agent_start(&a, "--policy", pol, NULL); /* the default shape (both) */
	ttrpc_client *c = connect_agent(&a);
	json_t *want = NULL;
	size_t n = 0;
	struct kata_line *lines = replay_until(c, scenario, &want, &n);
	bool did_cc = false, did_exec = false, did_copy = false;
	size_t ncc = 0, allowed = 0;
	for (size_t i = 0; i < n; i++) {
		if (pbjson_request_type(lines[i].ep) == NULL)
			continue;
		json_t *j = json_loadb(lines[i].json, lines[i].len, 0, NULL);
		bool ok = json_is_true(json_array_get(want, i));
		const char *ep = lines[i].ep;
		if (ok && strcmp(ep, "CopyFileRequest") == 0 && !did_copy) {
			did_copy = true;
			json_t *m = json_deep_copy(j);
			json_object_set_new(m, "path", json_string("/etc/passwd"));
			expect_denied(&a, c, ep, m, "CopyFileRequest");
			json_object_set_new(
			    m, "path",
			    json_string("/run/kata-containers/shared/containers/../../../etc/shadow"));
			expect_denied(&a, c, ep, m, NULL);
			json_decref(m);
		}
		if (ok && strcmp(ep, "CreateContainerRequest") == 0 && ++ncc == 2 && !did_cc) {
			did_cc = true; /* the app container (the first is the pause container) */
			json_t *m = json_deep_copy(j);
			json_t *proc = json_object_get(json_object_get(m, "OCI"), "Process");
			json_array_push_str(json_object_get(proc, "Args"), "--extra-argument");
			expect_denied(&a, c, ep, m, "print:");
			json_decref(m);
			m = json_deep_copy(j);
			proc = json_object_get(json_object_get(m, "OCI"), "Process");
			json_array_push_str(json_object_get(proc, "Env"), "EVIL=1");
			expect_denied(&a, c, ep, m, "EVIL=1");
			json_decref(m);
		}
		if (ok && strcmp(ep, "ExecProcessRequest") == 0 && !did_exec) {
			did_exec = true;
			json_t *m = json_deep_copy(j);
			json_t *args = json_array();
			json_array_push_str(args, "/bin/sh");
			json_array_push_str(args, "-c");
			json_array_push_str(args, "cat /etc/shadow");
			json_object_set_new(json_object_get(m, "process"), "Args", args);
			expect_denied(&a, c, ep, m, "ExecProcessRequest");
			json_decref(m);
		}
		char msg[1024];
		int code = send_json(c, ep, j, msg, sizeof(msg));
		json_decref(j);
		check_answer(scenario, ep, ok, code, msg);
		allowed += ok || strcmp(ep, "ReadStreamRequest") == 0;
	}
	assert_true(did_cc && did_exec && did_copy);
	health_ok(c);
	ttrpc_client_free(c);
	agent_stop(&a);
	char *log = agent_log_text(&a);
	/* none of the denied requests reached the runtime */
	assert_null(strstr(log, "rt: copy_file /etc/passwd"));
	assert_int_equal(count_substr(log, "\nrt: "), allowed);
	free(log);
	kata_lines_free(lines, n);
	json_decref(want);
	agent_cleanup(&a);
}

static const char allow_all_but[] = "package agent_policy\n"
                                    "default CopyFileRequest := true\n"
                                    "default CreateSandboxRequest := true\n"
                                    "default SetPolicyRequest := true\n"
                                    "default ReadStreamRequest := true\n"
                                    "default StartContainerRequest := true\n";

static int copy_file(ttrpc_client *c, const char *path, uint32_t mode, const char *data,
                     char *msg, size_t msglen)
{
	Grpc__CopyFileRequest r = GRPC__COPY_FILE_REQUEST__INIT;
	r.path = (char *)path;
	r.file_mode = mode;
	if (data) {
		r.data.data = (uint8_t *)data;
		r.data.len = strlen(data);
	}
	return call_pb(c, "CopyFile", &r.base, 5000, msg, msglen);
}

static int set_policy(ttrpc_client *c, const char *text, char *msg, size_t msglen)
{
	Grpc__SetPolicyRequest r = GRPC__SET_POLICY_REQUEST__INIT;
	r.policy = (char *)text;
	return call_pb(c, "SetPolicy", &r.base, 5000, msg, msglen);
}

/* SetPolicy is asked to the current policy, replaces it atomically, resets
 * the state; AllowRequestsFailingPolicy; {allowed, ops} answers. */
static void test_set_policy(void **state)
{
	(void)state;
	struct agent a = {0};
	const char *p = write_policy(&a, allow_all_but);
	char listen[400];
	snprintf(listen, sizeof(listen), "unix:%s", a.sock);
	agent_spawn(&a, true,
	            (const char *[]){"--listen", listen, "--policy", p, "--log-level", "debug", NULL});
	ttrpc_client *c = connect_agent(&a);
	char msg[2048];
	assert_int_equal(copy_file(c, "/run/x", S_IFREG | 0644, "data", msg, sizeof(msg)), TTRPC_OK);
	/* a request the policy does not define: an internal error, as in Kata */
	Grpc__ListRoutesRequest lr = GRPC__LIST_ROUTES_REQUEST__INIT;
	assert_int_equal(call_pb(c, "ListRoutes", &lr.base, 5000, msg, sizeof(msg)), TTRPC_INTERNAL);
	assert_non_null(strstr(msg, "ListRoutesRequest: internal error"));

	/* a policy that does not compile: refused, the old one stays */
	assert_int_equal(set_policy(c, "package agent_policy\nCopyFileRequest := {{", msg, sizeof(msg)),
	                 TTRPC_INVALID_ARGUMENT);
	assert_int_equal(copy_file(c, "/run/x", S_IFREG, "d", msg, sizeof(msg)), TTRPC_OK);

	/* state: CreateSandbox records it, StartContainer needs it */
	const char *stateful =
	    "package agent_policy\n"
	    "default SetPolicyRequest := true\n"
	    "default StartContainerRequest := false\n"
	    "CreateSandboxRequest := {\"allowed\": true, \"ops\": [{\"op\": \"add\", \"path\": "
	    "\"/pstate/sandbox\", \"value\": input.hostname}]}\n"
	    "StartContainerRequest { print(\"sandbox is\", data.pstate.sandbox); "
	    "data.pstate.sandbox == \"pod1\" }\n"
	    "default CopyFileRequest := false\n"
	    "CopyFileRequest { print(\"copy\", input.path, input.file_type); false }\n";
	assert_int_equal(set_policy(c, stateful, msg, sizeof(msg)), TTRPC_OK);
	Grpc__StartContainerRequest sc = GRPC__START_CONTAINER_REQUEST__INIT;
	sc.container_id = (char *)"c1";
	assert_int_equal(call_pb(c, "StartContainer", &sc.base, 5000, msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	Grpc__CreateSandboxRequest cs = GRPC__CREATE_SANDBOX_REQUEST__INIT;
	cs.hostname = (char *)"pod1";
	assert_int_equal(call_pb(c, "CreateSandbox", &cs.base, 5000, msg, sizeof(msg)), TTRPC_OK);
	assert_int_equal(call_pb(c, "StartContainer", &sc.base, 5000, msg, sizeof(msg)), TTRPC_OK);
	/* the denial carries the print output, as Kata's message does */
	assert_int_equal(copy_file(c, "/run/y", S_IFREG, "d", msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	assert_non_null(strstr(msg, "CopyFileRequest is blocked by policy: "));
	assert_non_null(strstr(msg, "copy /run/y Regular"));

	/* SetPolicy starts the state again */
	assert_int_equal(set_policy(c, stateful, msg, sizeof(msg)), TTRPC_OK);
	assert_int_equal(call_pb(c, "StartContainer", &sc.base, 5000, msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);

	/* AllowRequestsFailingPolicy: denials and missing answers let through */
	assert_int_equal(set_policy(c,
	                            "package agent_policy\n"
	                            "default CopyFileRequest := false\n"
	                            "CopyFileRequest { print(\"copy refused:\", input.path); false }\n"
	                            "default SetPolicyRequest := true\n"
	                            "AllowRequestsFailingPolicy := true\n",
	                            msg, sizeof(msg)),
	                 TTRPC_OK);
	assert_int_equal(copy_file(c, "/etc/shadow", S_IFREG, "d", msg, sizeof(msg)), TTRPC_OK);
	assert_int_equal(call_pb(c, "ListRoutes", &lr.base, 5000, msg, sizeof(msg)), TTRPC_OK);

	/* a policy that forbids SetPolicy: the next one is denied; and it
	 * does not inherit AllowRequestsFailingPolicy */
	assert_int_equal(set_policy(c, "package agent_policy\ndefault CopyFileRequest := false\n",
	                            msg, sizeof(msg)),
	                 TTRPC_OK);
	assert_int_equal(copy_file(c, "/run/z", S_IFREG, "d", msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	assert_int_equal(set_policy(c, allow_all_but, msg, sizeof(msg)), TTRPC_INTERNAL);
	assert_non_null(strstr(msg, "SetPolicyRequest: internal error"));
	health_ok(c);
	ttrpc_client_free(c);
	agent_stop(&a);
	char *log = agent_log_text(&a);
	assert_non_null(strstr(log, "allowed by AllowRequestsFailingPolicy"));
	/* the prints of a request let through are logged as a denial's are */
	assert_non_null(strstr(log, "policy: CopyFileRequest: print: agent_policy:3: copy refused: /etc/shadow"));
	/* and why it was denied: the rule entered, the expression that
	 * failed, the rule left undefined (rego --explain fails) */
	assert_non_null(strstr(log, "policy: CopyFileRequest: why: agent_policy:3"));
	assert_non_null(strstr(log, "| Fail false"));
	assert_non_null(strstr(log, "| Undefined CopyFileRequest"));
	assert_non_null(strstr(log, "policy: replaced by SetPolicy"));
	assert_null(strstr(log, "rt: copy_file /run/z"));
	assert_non_null(strstr(log, "rt: copy_file /etc/shadow"));
	free(log);
	agent_cleanup(&a);
}

/* A denied ReadStdout drains the stream and answers empty data (Kata PR
 * #10818); an allowed one hands the data out. */
static void test_read_stream(void **state)
{
	(void)state;
	struct agent a = {0};
	const char *p = write_policy(&a, "package agent_policy\n"
	                                 "default ReadStreamRequest := false\n"
	                                 "ReadStreamRequest { input.container_id == \"open\" }\n");
	char listen[400];
	snprintf(listen, sizeof(listen), "unix:%s", a.sock);
	agent_spawn(&a, true,
	            (const char *[]){"--listen", listen, "--policy", p, "--log-level", "debug", NULL});
	ttrpc_client *c = connect_agent(&a);
	const char *methods[] = {"ReadStdout", "ReadStderr"};
	for (int m = 0; m < 2; m++) {
		for (int open_ = 0; open_ < 2; open_++) {
			Grpc__ReadStreamRequest rs = GRPC__READ_STREAM_REQUEST__INIT;
			rs.container_id = (char *)(open_ ? "open" : "closed");
			rs.len = 32768;
			uint8_t *pl = NULL, *out = NULL;
			size_t n = 0, olen = 0;
			assert_int_equal(ttrpc_pb_pack(&rs.base, &pl, &n, NULL), 0);
			char msg[512];
			assert_int_equal(call_raw(c, "grpc.AgentService", methods[m], pl, n, 5000, &out,
			                          &olen, msg, sizeof(msg)),
			                 TTRPC_OK);
			ProtobufCMessage *resp = NULL;
			assert_int_equal(
			    ttrpc_pb_unpack(&grpc__read_stream_response__descriptor, out, olen, &resp, NULL), 0);
			Grpc__ReadStreamResponse *r = (Grpc__ReadStreamResponse *)resp;
			if (open_)
				assert_true(r->data.len > 0);
			else
				assert_int_equal(r->data.len, 0);
			ttrpc_pb_free(resp);
			free(pl);
			free(out);
		}
	}
	ttrpc_client_free(c);
	agent_stop(&a);
	char *log = agent_log_text(&a);
	/* the denied reads were drained all the same */
	assert_non_null(strstr(log, "rt: read_stdout closed"));
	assert_non_null(strstr(log, "rt: read_stderr closed"));
	assert_non_null(strstr(log, "policy: ReadStreamRequest is blocked by policy"));
	free(log);
	agent_cleanup(&a);
}

/* Raw frames a hostile host could send; after each, Health still answers
 * (on the same connection where it survives, and on a new one). */
static int raw_connect(const struct agent *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(a->sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, a->sock, strlen(a->sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int raw_call(int fd, uint32_t id, const char *svc, const char *method, const void *p,
                    size_t n, const char **msg)
{
	size_t len = 0;
	uint8_t *req = request_bytes(svc, method, p, n, NULL, &len);
	write_frame(fd, id, TTRPC_MSG_REQUEST, 0, req, len);
	free(req);
	int code = -1;
	uint32_t got = read_status(fd, &code, msg);
	assert_int_equal(got, id);
	return code;
}

static void raw_health(int fd, uint32_t id)
{
	const char *msg = NULL;
	assert_int_equal(raw_call(fd, id, "grpc.Health", "Check", NULL, 0, &msg), TTRPC_OK);
}

static void test_hostile_frames(void **state)
{
	(void)state;
	struct agent a = {0};
	agent_start(&a, NULL); /* allow-all: everything reaches the decoder and the gate */
	int fd = raw_connect(&a);
	const char *msg = NULL;
	/* unknown service, unknown method (an RPC of Kata's cocoon does not serve) */
	assert_int_equal(raw_call(fd, 1, "grpc.Nope", "Check", NULL, 0, &msg), TTRPC_UNIMPLEMENTED);
	assert_int_equal(raw_call(fd, 3, "grpc.AgentService", "OnlineCPUMem", NULL, 0, &msg),
	                 TTRPC_UNIMPLEMENTED);
	raw_health(fd, 5);
	/* garbage protobuf for every RPC: refused before the gate */
	uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x40, 0x01};
	uint32_t id = 7;
	const ProtobufCServiceDescriptor *sd = &grpc__agent_service__descriptor;
	assert_int_equal(sd->n_methods, 24);
	for (unsigned i = 0; i < sd->n_methods; i++) {
		/* served (not UNIMPLEMENTED), and refused before the gate */
		int code = raw_call(fd, id, "grpc.AgentService", sd->methods[i].name, junk,
		                    sizeof(junk), &msg);
		assert_int_equal(code, TTRPC_INTERNAL);
		id += 2;
	}
	/* a string that is not UTF-8, and one with a NUL inside */
	uint8_t bad_utf8[] = {0x0a, 0x03, 'a', 0xc3, 'b'};
	assert_int_equal(raw_call(fd, id, "grpc.AgentService", "CopyFile", bad_utf8,
	                          sizeof(bad_utf8), &msg),
	                 TTRPC_INTERNAL);
	id += 2;
	uint8_t nul[] = {0x0a, 0x03, 'a', 0x00, 'b'};
	assert_int_equal(raw_call(fd, id, "grpc.AgentService", "CopyFile", nul, sizeof(nul), &msg),
	                 TTRPC_INTERNAL);
	id += 2;
	/* a symlink whose target is not UTF-8: INVALID_ARGUMENT from the gate */
	Grpc__CopyFileRequest cf = GRPC__COPY_FILE_REQUEST__INIT;
	uint8_t t[] = {'x', 0xff};
	cf.path = (char *)"/run/kata-containers/shared/containers/l";
	cf.file_mode = S_IFLNK | 0777;
	cf.data.data = t;
	cf.data.len = sizeof(t);
	uint8_t *pl = NULL;
	size_t pn = 0;
	assert_int_equal(ttrpc_pb_pack(&cf.base, &pl, &pn, NULL), 0);
	assert_int_equal(raw_call(fd, id, "grpc.AgentService", "CopyFile", pl, pn, &msg),
	                 TTRPC_INVALID_ARGUMENT);
	free(pl);
	id += 2;
	/* an oversized frame is skipped; the connection goes on */
	size_t big = 5u << 20;
	uint8_t *bp = calloc(1, big);
	write_frame(fd, id, TTRPC_MSG_REQUEST, 0, bp, big);
	free(bp);
	int code = -1;
	assert_int_equal(read_status(fd, &code, &msg), id);
	assert_int_equal(code, TTRPC_RESOURCE_EXHAUSTED);
	id += 2;
	/* an even stream id; data on a stream that is no call */
	write_frame(fd, 1000, TTRPC_MSG_REQUEST, 0, NULL, 0);
	assert_int_equal(read_status(fd, &code, &msg), 1000);
	assert_int_equal(code, TTRPC_INVALID_ARGUMENT);
	write_frame(fd, 999, TTRPC_MSG_DATA, 0, "x", 1);
	assert_int_equal(read_status(fd, &code, &msg), 999);
	assert_int_equal(code, TTRPC_INVALID_ARGUMENT);
	raw_health(fd, 1001);
	close(fd);
	/* a Request envelope that does not decode; then garbage; then a header
	 * cut short: each on its own connection */
	fd = raw_connect(&a);
	uint8_t env[] = {0x0a, 0x80, 0x80, 0x80};
	write_frame(fd, 1, TTRPC_MSG_REQUEST, 0, env, sizeof(env));
	assert_int_equal(read_status(fd, &code, &msg), 1);
	assert_int_equal(code, TTRPC_INVALID_ARGUMENT);
	raw_health(fd, 3);
	close(fd);
	fd = raw_connect(&a);
	uint8_t g[4096];
	for (size_t i = 0; i < sizeof(g); i++)
		g[i] = (uint8_t)(i * 7919u >> 3);
	write_all(fd, g, sizeof(g));
	close(fd);
	fd = raw_connect(&a);
	write_all(fd, "\x00\x00\x00", 3);
	close(fd);
	still_serving(&a);
	/* many calls at once on one connection, more than it allows */
	fd = raw_connect(&a);
	for (uint32_t k = 0; k < 200; k++) {
		size_t len = 0;
		Grpc__WaitProcessRequest w = GRPC__WAIT_PROCESS_REQUEST__INIT;
		w.container_id = (char *)"block";
		uint8_t *wp = NULL;
		size_t wn = 0;
		assert_int_equal(ttrpc_pb_pack(&w.base, &wp, &wn, NULL), 0);
		uint8_t *req = request_bytes("grpc.AgentService", "WaitProcess", wp, wn, NULL, &len);
		write_frame(fd, 1 + 2 * k, TTRPC_MSG_REQUEST, 0, req, len);
		free(req);
		free(wp);
	}
	size_t exhausted = 0;
	for (int k = 0; k < 72; k++) {
		read_status(fd, &code, &msg);
		exhausted += code == TTRPC_RESOURCE_EXHAUSTED;
	}
	assert_int_equal(exhausted, 72);
	close(fd); /* cancels the 128 blocked calls */
	still_serving(&a);
	agent_stop(&a);
	agent_cleanup(&a);
}

/* Out-of-order lifecycle calls and hostile CopyFile paths under a real
 * Kata policy (pod-lifecycle): denied or refused, and the agent serves on. */
static void test_hostile_lifecycle_and_paths(void **state)
{
	(void)state;
	char pol[4200];
	snprintf(pol, sizeof(pol), "%s/pod-lifecycle/policy.rego", kata_dir());
	struct agent a = {0};
	agent_start(&a, "--policy", pol, NULL);
	ttrpc_client *c = connect_agent(&a);
	char msg[4096];
	/* containers before any sandbox, a process of no container */
	Grpc__CreateContainerRequest cc = GRPC__CREATE_CONTAINER_REQUEST__INIT;
	cc.container_id = (char *)"c1";
	assert_int_equal(call_pb(c, "CreateContainer", &cc.base, 5000, msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	Grpc__ExecProcessRequest ex = GRPC__EXEC_PROCESS_REQUEST__INIT;
	ex.container_id = (char *)"nope";
	assert_int_equal(call_pb(c, "ExecProcess", &ex.base, 5000, msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	Grpc__DestroySandboxRequest ds = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
	assert_int_equal(call_pb(c, "DestroySandbox", &ds.base, 5000, msg, sizeof(msg)), TTRPC_OK);
	Grpc__StartContainerRequest sc = GRPC__START_CONTAINER_REQUEST__INIT;
	sc.container_id = (char *)"never-created";
	assert_int_equal(call_pb(c, "StartContainer", &sc.base, 5000, msg, sizeof(msg)), TTRPC_OK);
	/* CopyFile paths */
	static const char *const paths[] = {
	    "/etc/passwd",
	    "../../../../etc/shadow",
	    "/run/kata-containers/shared/containers/../../../../root/.ssh/authorized_keys",
	    "/run/kata-containers/shared/containers/",
	    "",
	    (const char *)"/run/kata-containers/shared/containers/a3e5b029b23f8e3a63e5c231cf63688477a7"
	                  "7f5036f249f722823eef73771098-34d3b6116093e1e7-../../x",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_int_equal(copy_file(c, paths[i], S_IFREG | 0644, "x", msg, sizeof(msg)),
		                 TTRPC_PERMISSION_DENIED);
	/* a symlink with an absolute target, or one that climbs */
	const char *ok_path = "/run/kata-containers/shared/containers/a3e5b029b23f8e3a63e5c231cf6368"
	                      "8477a77f5036f249f722823eef73771098-34d3b6116093e1e7-hosts";
	assert_int_equal(copy_file(c, ok_path, S_IFLNK | 0777, "/etc/shadow", msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	assert_int_equal(copy_file(c, ok_path, S_IFLNK | 0777, "../../etc", msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	/* the one the policy allows */
	assert_int_equal(copy_file(c, ok_path, S_IFREG | 0644, "127.0.0.1 localhost", msg, sizeof(msg)),
	                 TTRPC_OK);
	health_ok(c);
	ttrpc_client_free(c);
	agent_stop(&a);
	char *log = agent_log_text(&a);
	assert_null(strstr(log, "rt: copy_file /etc/passwd"));
	assert_null(strstr(log, "rt: create_container"));
	assert_int_equal(count_substr(log, "rt: copy_file"), 1);
	free(log);
	agent_cleanup(&a);
}

/* Calls block in the runtime while others go on; a hang-up cancels them;
 * SIGTERM with a call in flight still ends the agent in time. */
static void test_concurrent_and_shutdown(void **state)
{
	(void)state;
	struct agent a = {0};
	agent_start(&a, NULL);
	ttrpc_client *c1 = connect_agent(&a);
	int fd = raw_connect(&a);
	Grpc__WaitProcessRequest w = GRPC__WAIT_PROCESS_REQUEST__INIT;
	w.container_id = (char *)"block";
	uint8_t *wp = NULL;
	size_t wn = 0, len = 0;
	assert_int_equal(ttrpc_pb_pack(&w.base, &wp, &wn, NULL), 0);
	uint8_t *req = request_bytes("grpc.AgentService", "WaitProcess", wp, wn, NULL, &len);
	write_frame(fd, 1, TTRPC_MSG_REQUEST, 0, req, len);
	free(req);
	free(wp);
	for (int i = 0; i < 20; i++)
		health_ok(c1);
	char msg[256];
	assert_int_equal(call_pb(c1, "WaitProcess", &w.base, 200, msg, sizeof(msg)),
	                 TTRPC_DEADLINE_EXCEEDED);
	close(fd);
	health_ok(c1);
	ttrpc_client_free(c1);
	/* a call in flight at SIGTERM */
	fd = raw_connect(&a);
	req = request_bytes("grpc.AgentService", "GetOOMEvent", NULL, 0, NULL, &len);
	write_frame(fd, 1, TTRPC_MSG_REQUEST, 0, req, len);
	free(req);
	sleep_ms(200);
	agent_stop(&a); /* exit 0 within 10 s (the grace is 5 s) */
	close(fd);
	agent_cleanup(&a);
}

static int make_raw_pty(int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(*slave >= 0);
	struct termios t;
	assert_int_equal(tcgetattr(*slave, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(*slave, TCSANOW, &t), 0);
	return m;
}

/* Points dir/port at the pty's slave (atomically). */
static void point_port(const struct agent *a, int master)
{
	char tmp[400], port[400];
	snprintf(tmp, sizeof(tmp), "%s/port.new", a->dir);
	snprintf(port, sizeof(port), "%s/port", a->dir);
	unlink(tmp);
	assert_int_equal(symlink(ptsname(master), tmp), 0);
	assert_int_equal(rename(tmp, port), 0);
}

/* The virtio-serial channel, with a pty standing in: the port appears
 * after the agent started (it retries), the host goes and another comes. */
static void test_channel_pty(void **state)
{
	(void)state;
	struct agent a = {0};
	agent_dirs(&a);
	char port[400];
	snprintf(port, sizeof(port), "%s/port", a.dir);
	agent_spawn(&a, false, (const char *[]){"--channel", port, "--log-level", "debug", NULL});
	sleep_ms(300); /* it retries: the port does not exist yet */
	for (int round = 0; round < 2; round++) {
		int slave = -1;
		int m = make_raw_pty(&slave);
		point_port(&a, m);
		ttrpc_client *c = NULL;
		assert_int_equal(ttrpc_client_new(m, &c, NULL), 0); /* takes m */
		health_ok(c); /* waits until the agent opened the port */
		Grpc__WaitProcessRequest w = GRPC__WAIT_PROCESS_REQUEST__INIT;
		w.container_id = (char *)"c";
		char msg[256];
		assert_int_equal(call_pb(c, "WaitProcess", &w.base, 5000, msg, sizeof(msg)), TTRPC_OK);
		close(slave);
		ttrpc_client_free(c); /* the host hangs up */
	}
	agent_stop(&a);
	char *log = agent_log_text(&a);
	assert_non_null(strstr(log, "retrying"));
	assert_int_equal(count_substr(log, "rt: wait_process"), 2);
	free(log);
	agent_cleanup(&a);
}

/* Configuration: the kernel command line (agent.log, agent.server_addr),
 * a JSON config file, and the errors that stop the agent. */
static void test_config_sources(void **state)
{
	(void)state;
	struct agent a = {0};
	agent_dirs(&a);
	char dir0[sizeof(a.dir)]; /* holds cmdline and conf to the end */
	memcpy(dir0, a.dir, sizeof(dir0));
	char cmdline[400], conf[400], cmd_text[1200];
	snprintf(cmdline, sizeof(cmdline), "%s/cmdline", a.dir);
	snprintf(conf, sizeof(conf), "%s/agent.json", a.dir);
	FILE *f = fopen(conf, "w");
	fprintf(f, "{\"log_level\": \"warn\", \"policy_input\": \"kata\"}");
	fclose(f);
	snprintf(cmd_text, sizeof(cmd_text),
	         "console=ttyS0 quiet agent.log=debug agent.config_file=%s "
	         "agent.server_addr=unix://%s agent.debug_console\n",
	         conf, a.sock);
	f = fopen(cmdline, "w");
	fputs(cmd_text, f);
	fclose(f);
	agent_spawn(&a, true, (const char *[]){"--kernel-cmdline", cmdline, NULL});
	ttrpc_client *c = connect_agent(&a);
	Grpc__ListRoutesRequest lr = GRPC__LIST_ROUTES_REQUEST__INIT;
	char msg[256];
	assert_int_equal(call_pb(c, "ListRoutes", &lr.base, 5000, msg, sizeof(msg)), TTRPC_OK);
	ttrpc_client_free(c);
	agent_stop(&a);
	char *log = agent_log_text(&a);
	/* agent.log=debug won over the file's "warn" */
	assert_non_null(strstr(log, "debug: policy: ListRoutesRequest allowed"));
	assert_non_null(strstr(log, "input shape kata"));
	assert_non_null(strstr(log, "agent.debug_console"));
	free(log);
	/* a flag beats the kernel command line's agent.server_addr */
	char listen0[400];
	snprintf(listen0, sizeof(listen0), "unix:%s", a.sock);
	f = fopen(cmdline, "w");
	fputs("agent.server_addr=unix:///nonexistent-dir/agent.sock\n", f);
	fclose(f);
	agent_spawn(&a, true, (const char *[]){"--kernel-cmdline", cmdline, "--listen", listen0, NULL});
	still_serving(&a);
	agent_stop(&a);
	/* errors: exit 2 for bad configuration, 1 for a policy that fails */
	static const char *const bad[][6] = {
	    {"--bogus", NULL},
	    {"--listen", "tcp:1.2.3.4:5", NULL},
	    {"--log-level", "loud", "--listen", "unix:/tmp/x", NULL},
	    {"--channel", "/dev/null", "--listen", "unix:/tmp/x", NULL},
	    {"--config", "/nonexistent/agent.json", "--listen", "unix:/tmp/x", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		agent_spawn(&a, false, bad[i]);
		int st = wait_exit(a.pid, 5000);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 2);
	}
	char listen[400];
	snprintf(listen, sizeof(listen), "unix:%s", a.sock);
	agent_spawn(&a, false, (const char *[]){"--listen", listen, "--policy", "/nonexistent.rego", NULL});
	int st = wait_exit(a.pid, 5000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	log = agent_log_text(&a);
	assert_non_null(strstr(log, "/nonexistent.rego"));
	free(log);
	const char *p = write_policy(&a, "package agent_policy\nx := {{{\n");
	agent_spawn(&a, false, (const char *[]){"--listen", listen, "--policy", p, NULL});
	st = wait_exit(a.pid, 5000);
	assert_int_equal(WEXITSTATUS(st), 1);
	a.pid = 0;
	unlink(cmdline);
	unlink(conf);
	agent_cleanup(&a);
	rmdir(dir0);
}

/* The agent with its real runtime, as a normal process (--no-guest, its
 * directories in the test's): it serves, refuses garbage for every RPC,
 * denies what a Kata policy forbids before the runtime, and stops on
 * SIGTERM. */
static void test_real_runtime_smoke(void **state)
{
	(void)state;
	char pol[4200];
	snprintf(pol, sizeof(pol), "%s/pod-lifecycle/policy.rego", kata_dir());
	struct agent a = {0};
	agent_dirs(&a);
	char run[400], oci[400], cache[400], listen[400];
	snprintf(run, sizeof(run), "%s/run", a.dir);
	snprintf(oci, sizeof(oci), "%s/oci", a.dir);
	snprintf(cache, sizeof(cache), "%s/cache", a.dir);
	snprintf(listen, sizeof(listen), "unix:%s", a.sock);
	mkdir(run, 0700);
	mkdir(oci, 0700);
	mkdir(cache, 0700);
	agent_spawn(&a, true,
	            (const char *[]){"--listen", listen, "--policy", pol, "--no-guest", "--run-dir", run,
	                             "--oci-root", oci, "--image-cache", cache, "--log-level", "debug",
	                             NULL});
	ttrpc_client *c = connect_agent(&a);
	health_ok(c);
	char msg[4096];
	assert_int_equal(copy_file(c, "/etc/passwd", S_IFREG | 0644, "x", msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	Grpc__CreateContainerRequest cc = GRPC__CREATE_CONTAINER_REQUEST__INIT;
	cc.container_id = (char *)"c1";
	assert_int_equal(call_pb(c, "CreateContainer", &cc.base, 5000, msg, sizeof(msg)),
	                 TTRPC_PERMISSION_DENIED);
	/* out of lifecycle order: allowed by the policy, refused by the
	 * runtime (no sandbox, no such container or process) */
	Grpc__StartContainerRequest sc = GRPC__START_CONTAINER_REQUEST__INIT;
	sc.container_id = (char *)"never-created";
	int code = call_pb(c, "StartContainer", &sc.base, 5000, msg, sizeof(msg));
	assert_true(code != TTRPC_OK && code != TTRPC_PERMISSION_DENIED);
	Grpc__WaitProcessRequest wp = GRPC__WAIT_PROCESS_REQUEST__INIT;
	wp.container_id = (char *)"never-created";
	code = call_pb(c, "WaitProcess", &wp.base, 5000, msg, sizeof(msg));
	assert_true(code != TTRPC_OK && code != TTRPC_PERMISSION_DENIED);
	Grpc__SignalProcessRequest sp = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
	sp.container_id = (char *)"never-created";
	sp.signal = 9;
	code = call_pb(c, "SignalProcess", &sp.base, 5000, msg, sizeof(msg));
	assert_true(code != TTRPC_OK && code != TTRPC_PERMISSION_DENIED);
	health_ok(c);
	uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	const ProtobufCServiceDescriptor *sd = &grpc__agent_service__descriptor;
	for (unsigned i = 0; i < sd->n_methods; i++)
		assert_int_equal(call_raw(c, "grpc.AgentService", sd->methods[i].name, junk,
		                          sizeof(junk), 5000, NULL, NULL, msg, sizeof(msg)),
		                 TTRPC_INTERNAL);
	health_ok(c);
	ttrpc_client_free(c);
	agent_stop(&a);
	if (getenv("KEEP_AGENT_LOGS") == NULL && strncmp(a.dir, "/tmp/cocoon-agent-test.", 23) == 0) {
		/* the runtime's directories: whatever it made in them */
		pid_t p = fork();
		if (p == 0) {
			execl("/bin/rm", "rm", "-rf", "--", run, oci, cache, (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
	agent_cleanup(&a);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "--real") == 0) {
		agent_bin = argv[1];
		signal(SIGPIPE, SIG_IGN);
		const struct CMUnitTest real[] = {cmocka_unit_test(test_real_runtime_smoke)};
		return cmocka_run_group_tests(real, NULL, NULL);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: test_front_agent PATH_TO_cocoon-agent-fake\n"
		                "       test_front_agent PATH_TO_cocoon-agent --real\n");
		return 2;
	}
	agent_bin = argv[1];
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health_version),
	    cmocka_unit_test(test_recorded_sequences),
	    cmocka_unit_test(test_forbidden_requests),
	    cmocka_unit_test(test_set_policy),
	    cmocka_unit_test(test_read_stream),
	    cmocka_unit_test(test_hostile_frames),
	    cmocka_unit_test(test_hostile_lifecycle_and_paths),
	    cmocka_unit_test(test_concurrent_and_shutdown),
	    cmocka_unit_test(test_channel_pty),
	    cmocka_unit_test(test_config_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
