/* The agent runtime running real containers with runc (root; skipped, 77,
 * without root or runc): busybox rootfs from busybox-static in the shared
 * directory, create/start/wait with output through ReadStdout/ReadStderr,
 * exit codes, exec, stdin, signals (handled and unhandled SIGTERM,
 * SIGKILL), a pty with window resizes, pause/resume, stats, OOM events,
 * lifecycle errors, waits and reads that a RemoveContainer ends, and what
 * RemoveContainer/DestroySandbox leave behind: no mount, bundle, runtime
 * state or process.
 *
 * With COCOON_RT_TEST_IMAGE=REF (rt_pull.py sets it after pushing an image
 * to a docker-registry on 127.0.0.1) only the guest pull tests run. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_int.h"
#include "test_rt_lib.h"

static const char *runc;

struct fx {
	char *dir;
	agent_rt *rt;
	char run[512], shared[560];
	pid_t pids[64]; /* processes started: all must be gone at the end */
	size_t npids;
};

static void note_pid(struct fx *f, const char *cid, const char *eid)
{
	rt_container *c = NULL;
	rt_proc *p = NULL;
	if (rt_find(f->rt, cid, eid, &c, &p, NULL) < 0)
		fail_msg("no process %s/%s", cid, eid);
	if (f->npids < 64)
		f->pids[f->npids++] = rt_child_pid(p->child);
	rt_proc_unref(f->rt, p);
	rt_container_unref(f->rt, c);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = rtl_tmpdir();
	f->rt = rtl_runtime(f->dir, runc, false);
	snprintf(f->run, sizeof(f->run), "%s/run", f->dir);
	snprintf(f->shared, sizeof(f->shared), "%s/shared/containers", f->run);
	char shm[600];
	snprintf(shm, sizeof(shm), "%s/sandbox/shm", f->run);
	json_t *j = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "hostname", "pod", "sandbox_id", "sb",
	                      "storages", "driver", "ephemeral", "mount_point", shm);
	Grpc__CreateSandboxRequest *req =
	    (Grpc__CreateSandboxRequest *)rtl_request("CreateSandboxRequest", j);
	json_decref(j);
	cc_error *e = NULL;
	if (agent_rt_create_sandbox(f->rt, req, &e) < 0)
		fail_msg("CreateSandbox: %s", cc_error_message(e));
	protobuf_c_message_free_unpacked(&req->base, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	Grpc__DestroySandboxRequest d = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
	cc_error *e = NULL;
	if (agent_rt_destroy_sandbox(f->rt, &d, &e) < 0)
		fail_msg("DestroySandbox: %s", cc_error_message(e));
	/* nothing mounted, no runtime state, no bundle, no process */
	assert_false(rtl_mounted_below(f->run));
	char p[600];
	for (size_t i = 0; i < f->npids; i++)
		if (kill(f->pids[i], 0) == 0 || errno != ESRCH)
			fail_msg("process %d is still there", (int)f->pids[i]);
	snprintf(p, sizeof(p), "%s/oci", f->dir);
	assert_int_equal(rmdir(p), 0); /* empty: runc deleted every state dir */
	agent_rt_free(f->rt);
	rtl_cleanup(f->dir);
	rtl_cgroup_cleanup();
	free(f->dir);
	free(f);
	return 0;
}

/* ---- requests ------------------------------------------------------------------------------ */

/* CreateContainer cid with spec (taken); the ttrpc code, the message in
 * *ret_msg (may be NULL) on failure. */
static int create_spec(struct fx *f, const char *cid, json_t *spec, char **ret_msg)
{
	json_t *j = json_pack("{s:s, s:o}", "container_id", cid, "OCI", spec);
	Grpc__CreateContainerRequest *req =
	    (Grpc__CreateContainerRequest *)rtl_request("CreateContainerRequest", j);
	json_decref(j);
	cc_error *e = NULL;
	int rc = agent_rt_create_container(f->rt, NULL, req, &e);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (rc < 0 && getenv("RT_TEST_VERBOSE"))
		print_message("create %s: %s\n", cid, cc_error_message(e));
	if (rc < 0 && ret_msg)
		*ret_msg = strdup(cc_error_message(e));
	if (rc == 0)
		note_pid(f, cid, "");
	return rc < 0 ? rtl_code(e) : 0;
}

/* CreateContainer cid running args in a busybox rootfs of its own;
 * resources (may be NULL) become the spec's Linux.Resources. */
static int create(struct fx *f, const char *cid, const char *const *args, bool tty,
                  json_t *resources)
{
	char root[700];
	snprintf(root, sizeof(root), "%s/%s/rootfs", f->shared, cid);
	assert_int_equal(rt_mkdir_p(root, 0755, NULL), 0);
	assert_int_equal(rtl_busybox_rootfs(root), 0);
	json_t *spec = rtl_spec(args, tty, root);
	if (resources)
		json_object_set_new(json_object_get(spec, "Linux"), "Resources", resources);
	return create_spec(f, cid, spec, NULL);
}

static int start(struct fx *f, const char *cid)
{
	Grpc__StartContainerRequest r = GRPC__START_CONTAINER_REQUEST__INIT;
	r.container_id = (char *)cid;
	cc_error *e = NULL;
	return agent_rt_start_container(f->rt, &r, &e) < 0 ? rtl_code(e) : 0;
}

static int exec_proc(struct fx *f, const char *cid, const char *eid, const char *const *args,
                     bool tty)
{
	json_t *j = json_pack("{s:s, s:s, s:{s:b, s:o, s:[s], s:s, s:{s:i, s:i}}}",
	                      "container_id", cid, "exec_id", eid, "process", "Terminal", tty,
	                      "Args", json_array(), "Env", "PATH=/bin", "Cwd", "/", "User", "UID",
	                      0, "GID", 0);
	json_t *a = json_object_get(json_object_get(j, "process"), "Args");
	for (size_t i = 0; args[i]; i++)
		json_array_append_new(a, json_string(args[i]));
	Grpc__ExecProcessRequest *req =
	    (Grpc__ExecProcessRequest *)rtl_request("ExecProcessRequest", j);
	json_decref(j);
	cc_error *e = NULL;
	int rc = agent_rt_exec_process(f->rt, req, &e);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	if (rc < 0 && getenv("RT_TEST_VERBOSE"))
		print_message("exec %s/%s: %s\n", cid, eid, cc_error_message(e));
	if (rc == 0)
		note_pid(f, cid, eid);
	return rc < 0 ? rtl_code(e) : 0;
}

static int sig(struct fx *f, const char *cid, const char *eid, int s)
{
	Grpc__SignalProcessRequest r = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
	r.container_id = (char *)cid;
	r.exec_id = (char *)eid;
	r.signal = (uint32_t)s;
	cc_error *e = NULL;
	return agent_rt_signal_process(f->rt, &r, &e) < 0 ? rtl_code(e) : 0;
}

static int simple(struct fx *f, const char *what, const char *cid)
{
	cc_error *e = NULL;
	int rc;
	if (strcmp(what, "pause") == 0) {
		Grpc__PauseContainerRequest r = GRPC__PAUSE_CONTAINER_REQUEST__INIT;
		r.container_id = (char *)cid;
		rc = agent_rt_pause_container(f->rt, &r, &e);
	} else {
		Grpc__ResumeContainerRequest r = GRPC__RESUME_CONTAINER_REQUEST__INIT;
		r.container_id = (char *)cid;
		rc = agent_rt_resume_container(f->rt, &r, &e);
	}
	return rc < 0 ? rtl_code(e) : 0;
}

static int remove_c(struct fx *f, const char *cid, unsigned timeout)
{
	Grpc__RemoveContainerRequest r = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
	r.container_id = (char *)cid;
	r.timeout = timeout;
	cc_error *e = NULL;
	int rc = agent_rt_remove_container(f->rt, NULL, &r, &e);
	if (rc < 0 && getenv("RT_TEST_VERBOSE"))
		print_message("remove %s: %s\n", cid, cc_error_message(e));
	return rc < 0 ? rtl_code(e) : 0;
}

static int write_in(struct fx *f, const char *cid, const char *eid, const char *s)
{
	Grpc__WriteStreamRequest r = GRPC__WRITE_STREAM_REQUEST__INIT;
	r.container_id = (char *)cid;
	r.exec_id = (char *)eid;
	r.data.data = (uint8_t *)s;
	r.data.len = strlen(s);
	Grpc__WriteStreamResponse *resp = NULL;
	cc_error *e = NULL;
	if (agent_rt_write_stdin(f->rt, NULL, &r, &resp, &e) < 0)
		return rtl_code(e);
	assert_int_equal(resp->len, strlen(s));
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return 0;
}

static int resize(struct fx *f, const char *cid, const char *eid, unsigned rows, unsigned cols)
{
	Grpc__TtyWinResizeRequest r = GRPC__TTY_WIN_RESIZE_REQUEST__INIT;
	r.container_id = (char *)cid;
	r.exec_id = (char *)eid;
	r.row = rows;
	r.column = cols;
	cc_error *e = NULL;
	return agent_rt_tty_win_resize(f->rt, &r, &e) < 0 ? rtl_code(e) : 0;
}

static void assert_gone(struct fx *f, const char *cid)
{
	char p[700];
	snprintf(p, sizeof(p), "%s/%s", f->run, cid);
	assert_int_equal(access(p, F_OK), -1);
	assert_false(rtl_mounted_below(p));
	snprintf(p, sizeof(p), "%s/oci/%s", f->dir, cid);
	assert_int_equal(access(p, F_OK), -1);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_run_output_exit(void **state)
{
	struct fx *f = *state;
	assert_int_equal(create(f, "c1", ARGS("/bin/sh", "-c", "echo hello; echo err >&2; exit 7"),
	                        false, NULL), 0);
	assert_int_equal(start(f, "c1"), 0);
	char *out = rtl_read(f->rt, "c1", "", false, 4096, NULL);
	char *err = rtl_read(f->rt, "c1", "", true, 4096, NULL);
	assert_string_equal(out, "hello\n");
	assert_string_equal(err, "err\n");
	free(out);
	free(err);
	assert_int_equal(rtl_wait(f->rt, "c1", ""), 7);
	out = rtl_read(f->rt, "c1", "", false, 4096, NULL); /* still the end */
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(remove_c(f, "c1", 0), 0);
	assert_gone(f, "c1");
	assert_int_equal(start(f, "c1"), TTRPC_NOT_FOUND);
}

static void test_exec_stdin_signals_stats(void **state)
{
	struct fx *f = *state;
	assert_int_equal(create(f, "c2", ARGS("/bin/sh", "-c",
	                                      "trap 'echo got-term; exit 3' TERM; echo ready; "
	                                      "while true; do sleep 0.1; done"),
	                        false, NULL), 0);
	assert_int_equal(exec_proc(f, "c2", "e0", ARGS("/bin/true"), false),
	                 TTRPC_FAILED_PRECONDITION); /* not started */
	assert_int_equal(start(f, "c2"), 0);
	assert_int_equal(start(f, "c2"), TTRPC_FAILED_PRECONDITION);
	char *out = rtl_read(f->rt, "c2", "", false, 4096, "ready\n");
	assert_string_equal(out, "ready\n");
	free(out);
	/* an exec with its own output and exit code */
	assert_int_equal(exec_proc(f, "c2", "e1", ARGS("/bin/sh", "-c", "echo from-exec; exit 4"),
	                           false), 0);
	assert_int_equal(exec_proc(f, "c2", "e1", ARGS("/bin/true"), false), TTRPC_ALREADY_EXISTS);
	out = rtl_read(f->rt, "c2", "e1", false, 4096, NULL);
	assert_string_equal(out, "from-exec\n");
	free(out);
	assert_int_equal(rtl_wait(f->rt, "c2", "e1"), 4);
	out = rtl_read(f->rt, "c2", "e1", true, 4096, NULL);
	assert_string_equal(out, "");
	free(out);
	/* waited for and read to the end: the exec id is free again */
	assert_int_equal(rtl_wait(f->rt, "c2", "e1"), -1);
	/* stdin */
	assert_int_equal(exec_proc(f, "c2", "e2", ARGS("/bin/cat"), false), 0);
	assert_int_equal(write_in(f, "c2", "e2", "abc"), 0);
	Grpc__CloseStdinRequest cs = GRPC__CLOSE_STDIN_REQUEST__INIT;
	cs.container_id = "c2";
	cs.exec_id = "e2";
	assert_int_equal(agent_rt_close_stdin(f->rt, &cs, NULL), 0);
	assert_int_equal(write_in(f, "c2", "e2", "more"), TTRPC_FAILED_PRECONDITION);
	out = rtl_read(f->rt, "c2", "e2", false, 4096, NULL);
	assert_string_equal(out, "abc");
	free(out);
	assert_int_equal(rtl_wait(f->rt, "c2", "e2"), 0);
	/* SIGKILL to an exec'd process */
	assert_int_equal(exec_proc(f, "c2", "e3", ARGS("/bin/sleep", "1000"), false), 0);
	assert_int_equal(sig(f, "c2", "e3", SIGKILL), 0);
	assert_int_equal(rtl_wait(f->rt, "c2", "e3"), 128 + SIGKILL);
	assert_int_equal(sig(f, "c2", "e3", SIGKILL), TTRPC_NOT_FOUND);
	assert_int_equal(sig(f, "c2", "", 99), TTRPC_INVALID_ARGUMENT);
	/* stats */
	Grpc__StatsContainerRequest sr = GRPC__STATS_CONTAINER_REQUEST__INIT;
	sr.container_id = "c2";
	Grpc__StatsContainerResponse *st = NULL;
	cc_error *e = NULL;
	if (agent_rt_stats_container(f->rt, &sr, &st, &e) < 0)
		fail_msg("stats: %s", cc_error_message(e));
	assert_non_null(st->cgroup_stats);
	assert_true(st->cgroup_stats->memory_stats->usage->usage > 0);
	assert_true(st->cgroup_stats->cpu_stats->cpu_usage->total_usage > 0);
	assert_true(st->cgroup_stats->pids_stats->current >= 1);
	protobuf_c_message_free_unpacked(&st->base, NULL);
	/* pause / resume */
	assert_int_equal(simple(f, "resume", "c2"), TTRPC_FAILED_PRECONDITION);
	assert_int_equal(simple(f, "pause", "c2"), 0);
	assert_int_equal(exec_proc(f, "c2", "e4", ARGS("/bin/true"), false),
	                 TTRPC_FAILED_PRECONDITION);
	assert_int_equal(simple(f, "pause", "c2"), TTRPC_FAILED_PRECONDITION);
	assert_int_equal(simple(f, "resume", "c2"), 0);
	/* SIGTERM to every process: the init's trap answers */
	assert_int_equal(sig(f, "c2", "", SIGTERM), 0);
	out = rtl_read(f->rt, "c2", "", false, 4096, NULL);
	assert_string_equal(out, "got-term\n");
	free(out);
	assert_int_equal(rtl_wait(f->rt, "c2", ""), 3);
	assert_int_equal(remove_c(f, "c2", 0), 0);
	assert_gone(f, "c2");
}

/* More output than the pipe holds: the writer blocks until the host
 * reads, and every byte arrives. */
static void test_output_backpressure(void **state)
{
	struct fx *f = *state;
	const char *line = "0123456789012345678901234567890123456789012345678901234567890123";
	char script[300];
	snprintf(script, sizeof(script),
	         "i=0; while [ $i -lt 20000 ]; do echo %s; i=$((i+1)); done; echo END", line);
	assert_int_equal(create(f, "c7", ARGS("/bin/sh", "-c", script), false, NULL), 0);
	assert_int_equal(start(f, "c7"), 0);
	usleep(500 * 1000);
	rt_container *c = NULL;
	rt_proc *p = NULL;
	assert_int_equal(rt_find(f->rt, "c7", "", &c, &p, NULL), 0);
	assert_false(rt_child_exited(p->child, NULL)); /* blocked on the full pipe */
	rt_proc_unref(f->rt, p);
	rt_container_unref(f->rt, c);
	size_t want = 20000 * (strlen(line) + 1) + 4;
	char *out = rtl_read(f->rt, "c7", "", false, want + 100, NULL);
	assert_int_equal(strlen(out), want);
	assert_string_equal(out + want - 4, "END\n");
	free(out);
	assert_int_equal(rtl_wait(f->rt, "c7", ""), 0);
}

static void test_unhandled_sigterm(void **state)
{
	struct fx *f = *state;
	/* sleep as the pid namespace's init ignores SIGTERM: it becomes SIGKILL */
	assert_int_equal(create(f, "c3", ARGS("/bin/sleep", "1000"), false, NULL), 0);
	assert_int_equal(start(f, "c3"), 0);
	assert_int_equal(sig(f, "c3", "", SIGTERM), 0);
	assert_int_equal(rtl_wait(f->rt, "c3", ""), 128 + SIGKILL);
	assert_int_equal(remove_c(f, "c3", 0), 0);
}

static void test_pty(void **state)
{
	struct fx *f = *state;
	assert_int_equal(create(f, "c4", ARGS("/bin/sh", "-c",
	                                      "stty size; read x; echo got:$x; read y; exit 5"),
	                        true, NULL), 0);
	assert_int_equal(resize(f, "c4", "", 40, 100), 0);
	assert_int_equal(start(f, "c4"), 0);
	char *out = rtl_read(f->rt, "c4", "", false, 4096, "40 100");
	assert_non_null(strstr(out, "40 100"));
	free(out);
	out = rtl_read(f->rt, "c4", "", true, 4096, NULL); /* the pty carries both */
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(write_in(f, "c4", "", "hi\n"), 0);
	out = rtl_read(f->rt, "c4", "", false, 4096, "got:hi");
	assert_non_null(strstr(out, "got:hi"));
	free(out);
	/* an exec'd process with a terminal of its own */
	assert_int_equal(exec_proc(f, "c4", "t1", ARGS("/bin/sh", "-c", "read x; tty; stty size"),
	                           true), 0);
	assert_int_equal(resize(f, "c4", "t1", 7, 33), 0);
	assert_int_equal(write_in(f, "c4", "t1", "\n"), 0);
	out = rtl_read(f->rt, "c4", "t1", false, 4096, NULL); /* to the end */
	assert_non_null(strstr(out, "/dev/pts/"));
	assert_non_null(strstr(out, "7 33"));
	free(out);
	assert_int_equal(rtl_wait(f->rt, "c4", "t1"), 0);
	assert_int_equal(resize(f, "c4", "nope", 1, 1), TTRPC_NOT_FOUND);
	assert_int_equal(resize(f, "c4", "", 70000, 1), TTRPC_INVALID_ARGUMENT);
	assert_int_equal(write_in(f, "c4", "", "\n"), 0);
	assert_int_equal(rtl_wait(f->rt, "c4", ""), 5);
	out = rtl_read(f->rt, "c4", "", false, 4096, NULL); /* ends after the exit */
	free(out);
	assert_int_equal(remove_c(f, "c4", 0), 0);
	assert_gone(f, "c4");
}

struct waiter {
	struct fx *f;
	int status;
	char *out;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	w->status = rtl_wait(w->f->rt, "c5", "");
	return NULL;
}

static void *read_thread(void *arg)
{
	struct waiter *w = arg;
	w->out = rtl_read(w->f->rt, "c5", "x1", false, 4096, NULL);
	return NULL;
}

static void test_remove_running(void **state)
{
	struct fx *f = *state;
	assert_int_equal(create(f, "c5", ARGS("/bin/sleep", "1000"), false, NULL), 0);
	assert_int_equal(create(f, "c5", ARGS("/bin/true"), false, NULL), TTRPC_ALREADY_EXISTS);
	assert_int_equal(start(f, "c5"), 0);
	assert_int_equal(exec_proc(f, "c5", "x1", ARGS("/bin/sleep", "1000"), false), 0);
	struct waiter w = {.f = f, .status = -2}, r = {.f = f};
	pthread_t t1, t2;
	assert_int_equal(pthread_create(&t1, NULL, wait_thread, &w), 0);
	assert_int_equal(pthread_create(&t2, NULL, read_thread, &r), 0);
	usleep(200 * 1000);
	assert_int_equal(remove_c(f, "c5", 10), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_true(w.status == 128 + SIGKILL || w.status == -1); /* killed, or removed first */
	assert_string_equal(r.out, "");                            /* ended */
	free(r.out);
	assert_gone(f, "c5");
	/* created, never started: the init waiting in the exec fifo goes too */
	assert_int_equal(create(f, "c5b", ARGS("/bin/true"), false, NULL), 0);
	assert_int_equal(remove_c(f, "c5b", 0), 0);
	assert_gone(f, "c5b");
	assert_int_equal(start(f, "c5b"), TTRPC_NOT_FOUND);
}

static void test_oom(void **state)
{
	struct fx *f = *state;
	json_t *res = json_pack("{s:{s:I}}", "Memory", "Limit", (json_int_t)32 << 20);
	assert_int_equal(create(f, "c6", ARGS("/bin/tail", "/dev/zero"), false, res), 0);
	rt_container *c = NULL;
	assert_int_equal(rt_container_get(f->rt, "c6", &c, NULL), 0);
	bool have_cg = c->cg.unified || c->cg.memory;
	rt_container_unref(f->rt, c);
	assert_int_equal(start(f, "c6"), 0);
	assert_int_equal(rtl_wait(f->rt, "c6", ""), 128 + SIGKILL);
	if (have_cg) {
		Grpc__GetOOMEventRequest req = GRPC__GET_OOMEVENT_REQUEST__INIT;
		Grpc__OOMEvent *ev = NULL;
		assert_int_equal(agent_rt_get_oom_event(f->rt, NULL, &req, &ev, NULL), 0);
		assert_string_equal(ev->container_id, "c6");
		protobuf_c_message_free_unpacked(&ev->base, NULL);
	}
	/* left for DestroySandbox to remove */
}

static void test_hostile_create(void **state)
{
	struct fx *f = *state;
	/* storages the guest does not have */
	json_t *spec = rtl_spec(ARGS("/bin/true"), false, "/nonexistent");
	json_t *j = json_pack("{s:s, s:o, s:[{s:s, s:s}]}", "container_id", "h1", "OCI", spec,
	                      "storages", "driver", "blk", "source", "0001:00:01.0");
	Grpc__CreateContainerRequest *req =
	    (Grpc__CreateContainerRequest *)rtl_request("CreateContainerRequest", j);
	json_decref(j);
	cc_error *e = NULL;
	assert_true(agent_rt_create_container(f->rt, NULL, req, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	assert_gone(f, "h1");
	/* a root symlinked out of the shared directory */
	char p[700];
	snprintf(p, sizeof(p), "%s/h2", f->shared);
	assert_int_equal(rt_mkdir_p(p, 0755, NULL), 0);
	snprintf(p, sizeof(p), "%s/h2/rootfs", f->shared);
	assert_int_equal(symlink("/", p), 0);
	spec = rtl_spec(ARGS("/bin/true"), false, p);
	j = json_pack("{s:s, s:o}", "container_id", "h2", "OCI", spec);
	req = (Grpc__CreateContainerRequest *)rtl_request("CreateContainerRequest", j);
	json_decref(j);
	e = NULL;
	assert_true(agent_rt_create_container(f->rt, NULL, req, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	assert_gone(f, "h2");
	/* a program that does not exist: the runtime's error comes back */
	assert_int_not_equal(create(f, "h3", ARGS("/bin/does-not-exist"), false, NULL), 0);
	assert_gone(f, "h3");
}

/* ---- guest pull (rt_pull.py) --------------------------------------------------------------------- */

static int create_pulled(struct fx *f, const char *cid, const char *ref, const char *const *args,
                         char **ret_msg)
{
	json_t *spec = rtl_spec(args, false, NULL);
	json_object_set_new(spec, "Annotations",
	                    json_pack("{s:s}", "io.kubernetes.cri.image-name", ref));
	return create_spec(f, cid, spec, ret_msg);
}

static void test_guest_pull(void **state)
{
	struct fx *f = *state;
	const char *ref = getenv("COCOON_RT_TEST_IMAGE");
	if (ref == NULL)
		skip();
	/* no args in the spec: the image's Cmd runs, with its Env and
	 * WorkingDir; the spec's own env stays */
	char *msg = NULL;
	if (create_pulled(f, "p1", ref, (const char *const[]){NULL}, &msg) != 0)
		fail_msg("guest pull: %s", msg);
	char img_rootfs[700];
	snprintf(img_rootfs, sizeof(img_rootfs), "%s/p1/image/rootfs/bin/busybox", f->run);
	assert_int_equal(access(img_rootfs, X_OK), 0);
	assert_int_equal(start(f, "p1"), 0);
	char *out = rtl_read(f->rt, "p1", "", false, 4096, NULL);
	assert_string_equal(out, "pulled image-env spec=1 /work\n");
	free(out);
	assert_int_equal(rtl_wait(f->rt, "p1", ""), 0);
	/* the spec's args win over the image's */
	assert_int_equal(create_pulled(f, "p2", ref, ARGS("/bin/sh", "-c", "echo own-args"), NULL),
	                 0);
	assert_int_equal(start(f, "p2"), 0);
	out = rtl_read(f->rt, "p2", "", false, 4096, NULL);
	assert_string_equal(out, "own-args\n");
	free(out);
	assert_int_equal(rtl_wait(f->rt, "p2", ""), 0);
	assert_int_equal(remove_c(f, "p1", 0), 0);
	assert_int_equal(remove_c(f, "p2", 0), 0);
	assert_gone(f, "p1");
	assert_gone(f, "p2");
}

static void test_guest_pull_errors(void **state)
{
	struct fx *f = *state;
	const char *ref = getenv("COCOON_RT_TEST_IMAGE");
	if (ref == NULL)
		skip();
	assert_int_equal(create_pulled(f, "q1", "oci:/etc", ARGS("/bin/true"), NULL),
	                 TTRPC_INVALID_ARGUMENT);
	assert_gone(f, "q1");
	char missing[512];
	snprintf(missing, sizeof(missing), "%.*s/no-such-image:1", (int)strcspn(ref, "/"), ref);
	assert_int_not_equal(create_pulled(f, "q2", missing, ARGS("/bin/true"), NULL), 0);
	assert_gone(f, "q2");
}

static const char *find_runc(void)
{
	static const char *const paths[] = {"/usr/sbin/runc", "/usr/bin/runc", "/sbin/runc"};
	for (size_t i = 0; i < 3; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

int main(void)
{
	runc = getenv("COCOON_RT_TEST_OCI") ? getenv("COCOON_RT_TEST_OCI") : find_runc();
	if (getuid() != 0 || runc == NULL || access("/bin/busybox", X_OK) < 0) {
		fprintf(stderr, "test_rt_runc: needs root, runc and /bin/busybox; skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_run_output_exit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_stdin_signals_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_backpressure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unhandled_sigterm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_pull, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_pull_errors, setup, teardown),
	};
	if (getenv("COCOON_RT_TEST_IMAGE"))
		cmocka_set_test_filter("test_guest_pull*");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
