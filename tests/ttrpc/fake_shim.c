/* containerd-shim-cocoonfake-v2: a fake containerd shim v2 for the ttrpc
 * tests (test_containerd.py), so that containerd 1.6's own ttrpc client
 * (ttrpc-go 1.1.1) calls our server. Not the real shim (src/shim/).
 *
 *   ... -id ID start    serves containerd.task.v2.Task on a unix socket in
 *                       the bundle (the cwd) from a daemon child, prints
 *                       "unix://PATH" and exits
 *   ... delete          prints a DeleteResponse and exits
 *
 * The task is a pretence: Create and Start answer pid 4242, Wait answers
 * exit status 7 once Start was called, State/Delete agree, Shutdown ends
 * the daemon. Every call is appended to $COCOON_FAKE_SHIM_LOG as
 * "METHOD key=value ..." with the namespace metadata and the request's
 * fields, and the daemon's pid as "pid N" first. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "containerd/runtime/v2/task/shim.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "ttrpc_int.h"

#define PID 4242u
#define EXIT 7u

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int started_efd = -1, shutdown_efd = -1;
static char task_id[128], task_bundle[512];

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logf_(const char *fmt, ...)
{
	const char *path = getenv("COCOON_FAKE_SHIM_LOG");
	if (path == NULL)
		return;
	pthread_mutex_lock(&log_mu);
	FILE *f = fopen(path, "a");
	if (f != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fputc('\n', f);
		fclose(f);
	}
	pthread_mutex_unlock(&log_mu);
}

static void log_call(ttrpc_call *c, const char *extra)
{
	const char *ns = ttrpc_call_metadata_get(c, "containerd-namespace-ttrpc");
	logf_("%s ns=%s md=%zu deadline=%s %s", ttrpc_call_method(c), ns ? ns : "-",
	      ttrpc_call_metadata_count(c), ttrpc_call_deadline(c, NULL) ? "yes" : "no", extra);
}

static Google__Protobuf__Timestamp now_ts(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = t.tv_sec;
	ts.nanos = (int32_t)t.tv_nsec;
	return ts;
}

#define UNPACK(c, T, desc, var)                                                                    \
	ProtobufCMessage *var##_m = NULL;                                                          \
	int var##_r = ttrpc_call_unpack(c, &desc, &var##_m, err);                                  \
	if (var##_r < 0)                                                                           \
		return var##_r;                                                                    \
	T *var = (T *)var##_m

static int t_create(ttrpc_call *c, void *u, cc_error **err)
{
	UNPACK(c, Containerd__Task__V2__CreateTaskRequest,
	       containerd__task__v2__create_task_request__descriptor, req);
	snprintf(task_id, sizeof(task_id), "%s", req->id);
	snprintf(task_bundle, sizeof(task_bundle), "%s", req->bundle);
	char extra[800];
	snprintf(extra, sizeof(extra), "id=%s bundle=%s terminal=%d", req->id, req->bundle,
	         req->terminal);
	log_call(c, extra);
	Containerd__Task__V2__CreateTaskResponse resp = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
	resp.pid = PID;
	return ttrpc_call_reply_pb(c, &resp.base, err);
}

static int t_start(ttrpc_call *c, void *u, cc_error **err)
{
	UNPACK(c, Containerd__Task__V2__StartRequest, containerd__task__v2__start_request__descriptor,
	       req);
	char extra[200];
	snprintf(extra, sizeof(extra), "id=%s exec_id=%s", req->id, req->exec_id);
	log_call(c, extra);
	ttrpc_eventfd_fire(started_efd);
	Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
	resp.pid = PID;
	return ttrpc_call_reply_pb(c, &resp.base, err);
}

static int t_wait(ttrpc_call *c, void *u, cc_error **err)
{
	UNPACK(c, Containerd__Task__V2__WaitRequest, containerd__task__v2__wait_request__descriptor,
	       req);
	char extra[200];
	snprintf(extra, sizeof(extra), "id=%s", req->id);
	log_call(c, extra);
	struct pollfd p = {.fd = started_efd, .events = POLLIN};
	int r = ttrpc_call_poll(c, &p, 1, -1); /* blocks until Start, as a real Wait */
	if (r < 0)
		return cc_error_set(err, r, "wait: %s", strerror(-r));
	Google__Protobuf__Timestamp ts = now_ts();
	Containerd__Task__V2__WaitResponse resp = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
	resp.exit_status = EXIT;
	resp.exited_at = &ts;
	return ttrpc_call_reply_pb(c, &resp.base, err);
}

static int t_state(ttrpc_call *c, void *u, cc_error **err)
{
	UNPACK(c, Containerd__Task__V2__StateRequest, containerd__task__v2__state_request__descriptor,
	       req);
	log_call(c, "");
	bool done = ttrpc_eventfd_fired(started_efd);
	Google__Protobuf__Timestamp ts = now_ts();
	Containerd__Task__V2__StateResponse resp = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
	resp.id = req->id;
	resp.bundle = task_bundle;
	resp.pid = PID;
	resp.status = done ? CONTAINERD__V1__TYPES__STATUS__STOPPED : CONTAINERD__V1__TYPES__STATUS__CREATED;
	resp.exit_status = done ? EXIT : 0;
	if (done)
		resp.exited_at = &ts;
	return ttrpc_call_reply_pb(c, &resp.base, err);
}

static int t_delete(ttrpc_call *c, void *u, cc_error **err)
{
	log_call(c, "");
	Google__Protobuf__Timestamp ts = now_ts();
	Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	resp.pid = PID;
	resp.exit_status = EXIT;
	resp.exited_at = &ts;
	return ttrpc_call_reply_pb(c, &resp.base, err);
}

static int t_connect(ttrpc_call *c, void *u, cc_error **err)
{
	log_call(c, "");
	Containerd__Task__V2__ConnectResponse resp = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
	resp.shim_pid = (uint32_t)getpid();
	resp.task_pid = PID;
	resp.version = "cocoonfake";
	return ttrpc_call_reply_pb(c, &resp.base, err);
}

static int t_empty(ttrpc_call *c, void *u, cc_error **err)
{
	log_call(c, "");
	Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
	return ttrpc_call_reply_pb(c, &e.base, err);
}

static int t_shutdown(ttrpc_call *c, void *u, cc_error **err)
{
	int r = t_empty(c, u, err);
	ttrpc_eventfd_fire(shutdown_efd); /* the main thread stops the server */
	return r;
}

static const ttrpc_method task_methods[] = {
	{"Create", t_create}, {"Start", t_start},     {"Wait", t_wait},
	{"State", t_state},   {"Delete", t_delete},   {"Connect", t_connect},
	{"Kill", t_empty},    {"CloseIO", t_empty},   {"Shutdown", t_shutdown},
};

typedef struct listen_arg {
	ttrpc_server *s;
	int fd;
} listen_arg;

static void *listen_main(void *arg)
{
	listen_arg *l = arg;
	ttrpc_server_serve_listener(l->s, l->fd, NULL);
	return NULL;
}

static int daemon_main(int lfd)
{
	alarm(120); /* never outlive a broken test */
	logf_("pid %d", (int)getpid());
	started_efd = ttrpc_eventfd();
	shutdown_efd = ttrpc_eventfd();
	ttrpc_server_opts o = {.require_same_uid = true};
	ttrpc_server *s = NULL;
	if (started_efd < 0 || shutdown_efd < 0 || ttrpc_server_new(&o, &s, NULL) < 0 ||
	    ttrpc_server_register(s, "containerd.task.v2.Task", task_methods,
	                          sizeof(task_methods) / sizeof(task_methods[0]), NULL, NULL) < 0)
		return 1;
	listen_arg la = {s, lfd};
	pthread_t t;
	pthread_create(&t, NULL, listen_main, &la);
	struct pollfd p = {.fd = shutdown_efd, .events = POLLIN};
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	ttrpc_server_shutdown(s, 2000, NULL);
	pthread_join(t, NULL);
	ttrpc_server_free(s);
	logf_("exit");
	return 0;
}

static int start(void)
{
	char cwd[256];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return 1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fake.sock", cwd);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return 1;
	unlink(sa.sun_path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0)
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		/* containerd waits for EOF on our stdout: let go of it */
		setsid();
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(nul, 0), dup2(nul, 1), dup2(nul, 2);
		_exit(daemon_main(lfd));
	}
	printf("unix://%s\n", sa.sun_path);
	return 0;
}

static int delete_action(void)
{
	Google__Protobuf__Timestamp ts = now_ts();
	Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	resp.pid = PID;
	resp.exit_status = EXIT;
	resp.exited_at = &ts;
	uint8_t *p = NULL;
	size_t len = 0;
	if (ttrpc_pb_pack(&resp.base, &p, &len, NULL) < 0)
		return 1;
	logf_("delete-action");
	fwrite(p, 1, len, stdout);
	free(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *action = argv[argc - 1];
	if (strcmp(action, "start") == 0)
		return start();
	if (strcmp(action, "delete") == 0)
		return delete_action();
	fprintf(stderr, "containerd-shim-cocoonfake-v2: unknown action %s\n", action);
	return 2;
}
