/* cocoon-fake-agent: a stand-in for cocoon-agent in the shim's tests
 * (docs/shim.md, "Tests"). It speaks the same grpc.AgentService and
 * grpc.Health over libcocoon-ttrpc, but runs a container's processes as
 * plain child processes (no namespaces, no image: the spec's args, env and
 * cwd are run as they are), so the whole containerd -> shim -> agent path
 * is exercised on a host where the real agent cannot run containers (crun
 * needs cgroup v2; this CI host is hybrid) and before it exists.
 *
 *   cocoon-fake-agent --listen unix:PATH [--log FILE]   host process (hypervisor "none")
 *   cocoon-fake-agent --channel /dev/vportNpM            in the guest (guest/init starts it)
 *
 * Every request is logged, one line each ("CreateContainer id=... "),
 * to --log FILE or stdout (the guest's console). Unknown flags are
 * ignored, as guest/init may pass more. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "health.pb-c.h"
#include "ttrpc.h"

struct fproc {
	char *eid;
	pid_t pid;
	bool tty, started, exited;
	int in_fd, out_fd, err_fd; /* ours: stdin write end, stdout/stderr read ends */
	int status;
	int exit_fd;               /* eventfd, readable once exited */
	char **argv, **envp;
	char *cwd;
	struct fproc *next;
};

struct fctr {
	char *id;
	struct fproc *procs; /* the first is the init process */
	struct fctr *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct fctr *ctrs;
static FILE *logf_;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void flog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void flog(const char *fmt, ...)
{
	pthread_mutex_lock(&log_mu);
	va_list ap;
	va_start(ap, fmt);
	fputs("FAKE-AGENT ", logf_);
	vfprintf(logf_, fmt, ap);
	fputc('\n', logf_);
	fflush(logf_);
	va_end(ap);
	pthread_mutex_unlock(&log_mu);
}

#define UNPACK(call, T, desc, var, err)                                                            \
	T *var;                                                                                    \
	do {                                                                                       \
		ProtobufCMessage *m_;                                                              \
		int r_ = ttrpc_call_unpack(call, &desc, &m_, err);                                 \
		if (r_ < 0)                                                                        \
			return r_;                                                                 \
		var = (T *)m_;                                                                     \
	} while (0)

static char **dupv(char **v, size_t n)
{
	char **o = calloc(n + 1, sizeof(*o));
	for (size_t i = 0; o && i < n; i++)
		o[i] = strdup(v[i]);
	return o;
}

static void freev(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static struct fproc *proc_new(const char *eid, const Grpc__Process *p)
{
	struct fproc *f = calloc(1, sizeof(*f));
	f->eid = strdup(eid);
	f->in_fd = f->out_fd = f->err_fd = -1;
	f->exit_fd = eventfd(0, EFD_CLOEXEC);
	f->tty = p ? p->terminal : false;
	f->argv = dupv(p ? p->args : NULL, p ? p->n_args : 0);
	f->envp = dupv(p ? p->env : NULL, p ? p->n_env : 0);
	f->cwd = strdup(p && p->cwd[0] ? p->cwd : "/");
	return f;
}

static void proc_free(struct fproc *f)
{
	if (f->pid > 0 && !f->exited)
		kill(-f->pid, SIGKILL);
	for (int i = 0; i < 50 && f->pid > 0 && !f->exited; i++) {
		pthread_mutex_unlock(&mu);
		usleep(10000);
		pthread_mutex_lock(&mu);
	}
	if (f->in_fd >= 0)
		close(f->in_fd);
	if (f->out_fd >= 0)
		close(f->out_fd);
	if (f->err_fd >= 0)
		close(f->err_fd);
	freev(f->argv);
	freev(f->envp);
	free(f->cwd);
	free(f->eid);
	/* the reaper may still hold it: exit_fd and f leak on purpose in a test
	 * program that lives as long as its pod */
}

static struct fctr *find_ctr(const char *id)
{
	for (struct fctr *c = ctrs; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

/* (cid, eid): eid "" or the container id is the init process. */
static int find(const char *cid, const char *eid, struct fctr **rc, struct fproc **rp,
                cc_error **err)
{
	struct fctr *c = find_ctr(cid);
	if (c == NULL)
		return ttrpc_error_set(err, TTRPC_NOT_FOUND, "container %s not found", cid);
	struct fproc *p = c->procs;
	if (eid[0] && strcmp(eid, cid) != 0)
		for (; p && strcmp(p->eid, eid) != 0; p = p->next)
			;
	if (p == NULL)
		return ttrpc_error_set(err, TTRPC_NOT_FOUND, "process %s/%s not found", cid, eid);
	*rc = c;
	if (rp)
		*rp = p;
	return 0;
}

static void *reaper(void *arg)
{
	struct fproc *f = arg;
	int st = 0;
	while (waitpid(f->pid, &st, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&mu);
	f->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	f->exited = true;
	uint64_t one = 1;
	(void)!write(f->exit_fd, &one, sizeof(one));
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int spawn(struct fproc *f, cc_error **err)
{
	if (f->argv[0] == NULL)
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "no args");
	int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1}, master = -1, slave = -1;
	if (f->tty) {
		if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
			return cc_error_set(err, -errno, "openpty: %s", strerror(errno));
	} else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
		return cc_error_set(err, -errno, "pipe: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		if (f->tty) {
			ioctl(slave, TIOCSCTTY, 0);
			dup2(slave, 0);
			dup2(slave, 1);
			dup2(slave, 2);
		} else {
			dup2(in[0], 0);
			dup2(out[1], 1);
			dup2(er[1], 2);
		}
		if (chdir(f->cwd) < 0 && chdir("/") < 0)
			_exit(126);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (char **e = f->envp; *e; e++)
			putenv(*e);
		execvp(f->argv[0], f->argv);
		fprintf(stderr, "exec %s: %s\n", f->argv[0], strerror(errno));
		_exit(127);
	}
	if (f->tty) {
		close(slave);
		f->out_fd = master;
		f->in_fd = dup(master);
	} else {
		close(in[0]);
		close(out[1]);
		close(er[1]);
		f->in_fd = in[1];
		f->out_fd = out[0];
		f->err_fd = er[0];
	}
	f->pid = pid;
	f->started = true;
	pthread_t t;
	pthread_create(&t, NULL, reaper, f);
	pthread_detach(t);
	return 0;
}

/* ---- handlers ------------------------------------------------------------------------- */

static int h_create_sandbox(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__CreateSandboxRequest, grpc__create_sandbox_request__descriptor, req, err);
	flog("CreateSandbox sandbox_id=%s hostname=%s", req->sandbox_id, req->hostname);
	return 0;
}

static int h_destroy_sandbox(ttrpc_call *call, void *ud, cc_error **err)
{
	flog("DestroySandbox");
	pthread_mutex_lock(&mu);
	for (struct fctr *c = ctrs; c; c = c->next)
		for (struct fproc *p = c->procs; p; p = p->next)
			if (p->pid > 0 && !p->exited)
				kill(-p->pid, SIGKILL);
	pthread_mutex_unlock(&mu);
	return 0;
}

static const char *annotation(const Grpc__Spec *s, const char *k)
{
	for (size_t i = 0; s && i < s->n_annotations; i++)
		if (strcmp(s->annotations[i]->key, k) == 0)
			return s->annotations[i]->value;
	return "-";
}

static int h_create_container(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__CreateContainerRequest, grpc__create_container_request__descriptor, req,
	       err);
	const Grpc__Spec *s = req->oci;
	char ns[256] = "", binds[1024] = "";
	for (size_t i = 0; s && i < s->n_mounts; i++)
		if (strcmp(s->mounts[i]->type, "bind") == 0)
			snprintf(binds + strlen(binds), sizeof(binds) - strlen(binds), "%s%s=%s",
			         binds[0] ? "," : "", s->mounts[i]->destination, s->mounts[i]->source);
	for (size_t i = 0; s && s->linux && i < s->linux->n_namespaces; i++)
		snprintf(ns + strlen(ns), sizeof(ns) - strlen(ns), "%s%s%s", i ? "," : "",
		         s->linux->namespaces[i]->type, s->linux->namespaces[i]->path[0] ? "+path" : "");
	flog("CreateContainer id=%s exec_id=%s root=%s image=%s type=%s hooks=%d seccomp=%d "
	     "namespaces=%s mounts=%zu args0=%s binds=%s",
	     req->container_id, req->exec_id, s && s->root ? s->root->path : "-",
	     annotation(s, "io.kubernetes.cri.image-name"),
	     annotation(s, "io.katacontainers.pkg.oci.container_type"), s && s->hooks != NULL,
	     s && s->linux && s->linux->seccomp != NULL, ns, s ? s->n_mounts : 0,
	     s && s->process && s->process->n_args ? s->process->args[0] : "-", binds);
	if (strcmp(annotation(s, "io.kubernetes.cri.image-name"), "fail.invalid/create") == 0)
		return ttrpc_error_set(err, TTRPC_INVALID_ARGUMENT, "pulling fail.invalid/create: "
		                       "refused by the fake agent");
	pthread_mutex_lock(&mu);
	int r = 0;
	if (find_ctr(req->container_id) != NULL) {
		r = ttrpc_error_set(err, TTRPC_ALREADY_EXISTS, "container %s exists", req->container_id);
	} else {
		struct fctr *c = calloc(1, sizeof(*c));
		c->id = strdup(req->container_id);
		c->procs = proc_new(req->exec_id, s ? s->process : NULL);
		c->next = ctrs;
		ctrs = c;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static int h_start_container(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__StartContainerRequest, grpc__start_container_request__descriptor, req, err);
	flog("StartContainer id=%s", req->container_id);
	struct fctr *c;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, "", &c, NULL, err);
	if (r == 0)
		r = c->procs->started ? ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "started")
		                      : spawn(c->procs, err);
	pthread_mutex_unlock(&mu);
	return r;
}

static int h_exec(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__ExecProcessRequest, grpc__exec_process_request__descriptor, req, err);
	flog("ExecProcess id=%s exec_id=%s args0=%s tty=%d", req->container_id, req->exec_id,
	     req->process && req->process->n_args ? req->process->args[0] : "-",
	     req->process ? req->process->terminal : 0);
	struct fctr *c;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, "", &c, NULL, err);
	if (r == 0) {
		struct fproc *p = proc_new(req->exec_id, req->process);
		p->next = c->procs->next;
		c->procs->next = p;
		r = spawn(p, err);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static int h_signal(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__SignalProcessRequest, grpc__signal_process_request__descriptor, req, err);
	flog("SignalProcess id=%s exec_id=%s signal=%u", req->container_id, req->exec_id,
	     req->signal);
	struct fctr *c;
	struct fproc *p;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, req->exec_id, &c, &p, err);
	if (r == 0) {
		for (struct fproc *q = req->exec_id[0] ? p : c->procs; q;
		     q = req->exec_id[0] ? NULL : q->next)
			if (q->started && !q->exited)
				kill(-q->pid, (int)req->signal);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static int h_wait(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__WaitProcessRequest, grpc__wait_process_request__descriptor, req, err);
	struct fctr *c;
	struct fproc *p;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, req->exec_id, &c, &p, err);
	int efd = r == 0 ? p->exit_fd : -1;
	pthread_mutex_unlock(&mu);
	if (r < 0)
		return r;
	struct pollfd pf = {.fd = efd, .events = POLLIN};
	if ((r = ttrpc_call_poll(call, &pf, 1, -1)) < 0)
		return ttrpc_error_set(err, TTRPC_CANCELLED, "wait cancelled");
	pthread_mutex_lock(&mu);
	Grpc__WaitProcessResponse resp = GRPC__WAIT_PROCESS_RESPONSE__INIT;
	resp.status = p->status;
	pthread_mutex_unlock(&mu);
	flog("WaitProcess id=%s exec_id=%s status=%d", req->container_id, req->exec_id, resp.status);
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int read_stream(ttrpc_call *call, bool is_err, cc_error **err)
{
	UNPACK(call, Grpc__ReadStreamRequest, grpc__read_stream_request__descriptor, req, err);
	struct fctr *c;
	struct fproc *p;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, req->exec_id, &c, &p, err);
	int fd = r == 0 ? (is_err ? p->err_fd : p->out_fd) : -1;
	bool started = r == 0 && p->started;
	pthread_mutex_unlock(&mu);
	if (r < 0)
		return r;
	Grpc__ReadStreamResponse resp = GRPC__READ_STREAM_RESPONSE__INIT;
	if (!started || fd < 0)
		return ttrpc_call_reply_pb(call, &resp.base, err); /* nothing: end */
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	if (ttrpc_call_poll(call, &pf, 1, -1) < 0)
		return ttrpc_error_set(err, TTRPC_CANCELLED, "read cancelled");
	size_t want = req->len ? req->len : 32768;
	uint8_t *buf = malloc(want);
	ssize_t n = read(fd, buf, want);
	if (n > 0) {
		resp.data.data = buf;
		resp.data.len = (size_t)n;
	}
	r = ttrpc_call_reply_pb(call, &resp.base, err);
	free(buf);
	return r;
}

static int h_read_stdout(ttrpc_call *call, void *ud, cc_error **err)
{
	return read_stream(call, false, err);
}

static int h_read_stderr(ttrpc_call *call, void *ud, cc_error **err)
{
	return read_stream(call, true, err);
}

static int h_write_stdin(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__WriteStreamRequest, grpc__write_stream_request__descriptor, req, err);
	struct fctr *c;
	struct fproc *p;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, req->exec_id, &c, &p, err);
	int fd = r == 0 ? p->in_fd : -1;
	pthread_mutex_unlock(&mu);
	if (r < 0)
		return r;
	if (fd < 0)
		return ttrpc_error_set(err, TTRPC_FAILED_PRECONDITION, "stdin closed");
	size_t off = 0;
	while (off < req->data.len) {
		ssize_t w = write(fd, req->data.data + off, req->data.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return cc_error_set(err, -errno, "stdin: %s", strerror(errno));
		off += (size_t)w;
	}
	Grpc__WriteStreamResponse resp = GRPC__WRITE_STREAM_RESPONSE__INIT;
	resp.len = (uint32_t)off;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int h_close_stdin(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__CloseStdinRequest, grpc__close_stdin_request__descriptor, req, err);
	flog("CloseStdin id=%s exec_id=%s", req->container_id, req->exec_id);
	struct fctr *c;
	struct fproc *p;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, req->exec_id, &c, &p, err);
	if (r == 0 && !p->tty && p->in_fd >= 0) {
		close(p->in_fd);
		p->in_fd = -1;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static int h_resize(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__TtyWinResizeRequest, grpc__tty_win_resize_request__descriptor, req, err);
	flog("TtyWinResize id=%s exec_id=%s row=%u column=%u", req->container_id, req->exec_id,
	     req->row, req->column);
	struct fctr *c;
	struct fproc *p;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, req->exec_id, &c, &p, err);
	if (r == 0 && p->tty && p->out_fd >= 0) {
		struct winsize ws = {.ws_row = (unsigned short)req->row,
		                     .ws_col = (unsigned short)req->column};
		ioctl(p->out_fd, TIOCSWINSZ, &ws);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static int pause_resume(ttrpc_call *call, bool pause, cc_error **err)
{
	UNPACK(call, Grpc__PauseContainerRequest, grpc__pause_container_request__descriptor, req, err);
	flog("%sContainer id=%s", pause ? "Pause" : "Resume", req->container_id);
	struct fctr *c;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, "", &c, NULL, err);
	for (struct fproc *p = r == 0 ? c->procs : NULL; p; p = p->next)
		if (p->started && !p->exited)
			kill(-p->pid, pause ? SIGSTOP : SIGCONT);
	pthread_mutex_unlock(&mu);
	return r;
}

static int h_pause(ttrpc_call *call, void *ud, cc_error **err)
{
	return pause_resume(call, true, err);
}

static int h_resume(ttrpc_call *call, void *ud, cc_error **err)
{
	return pause_resume(call, false, err);
}

static int h_stats(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__StatsContainerRequest, grpc__stats_container_request__descriptor, req, err);
	struct fctr *c;
	pthread_mutex_lock(&mu);
	int r = find(req->container_id, "", &c, NULL, err);
	uint64_t running = 0, rss = 0;
	for (struct fproc *p = r == 0 ? c->procs : NULL; p; p = p->next) {
		if (!p->started || p->exited)
			continue;
		running++;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/statm", (int)p->pid);
		FILE *f = fopen(path, "re");
		unsigned long size = 0, res = 0;
		if (f != NULL) {
			if (fscanf(f, "%lu %lu", &size, &res) == 2)
				rss += (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
			fclose(f);
		}
	}
	pthread_mutex_unlock(&mu);
	if (r < 0)
		return r;
	Grpc__PidsStats pids = GRPC__PIDS_STATS__INIT;
	pids.current = running;
	pids.limit = 1000;
	Grpc__MemoryData mu_ = GRPC__MEMORY_DATA__INIT;
	mu_.usage = rss;
	mu_.limit = 1u << 30;
	Grpc__MemoryStats ms = GRPC__MEMORY_STATS__INIT;
	ms.usage = &mu_;
	Grpc__CpuUsage cu = GRPC__CPU_USAGE__INIT;
	cu.total_usage = 1234567;
	Grpc__CpuStats cs = GRPC__CPU_STATS__INIT;
	cs.cpu_usage = &cu;
	Grpc__CgroupStats cg = GRPC__CGROUP_STATS__INIT;
	cg.pids_stats = &pids;
	cg.memory_stats = &ms;
	cg.cpu_stats = &cs;
	Grpc__StatsContainerResponse resp = GRPC__STATS_CONTAINER_RESPONSE__INIT;
	resp.cgroup_stats = &cg;
	flog("StatsContainer id=%s pids=%llu", req->container_id, (unsigned long long)running);
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int h_remove(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__RemoveContainerRequest, grpc__remove_container_request__descriptor, req,
	       err);
	flog("RemoveContainer id=%s", req->container_id);
	pthread_mutex_lock(&mu);
	int r = ttrpc_error_set(err, TTRPC_NOT_FOUND, "container %s not found", req->container_id);
	for (struct fctr **pp = &ctrs; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->id, req->container_id) != 0)
			continue;
		struct fctr *c = *pp;
		*pp = c->next;
		for (struct fproc *p = c->procs; p; p = p->next)
			proc_free(p);
		free(c->id);
		free(c);
		cc_error_free(*err);
		*err = NULL;
		r = 0;
		break;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static int h_copy_file(ttrpc_call *call, void *ud, cc_error **err)
{
	UNPACK(call, Grpc__CopyFileRequest, grpc__copy_file_request__descriptor, req, err);
	flog("CopyFile path=%s mode=%o size=%lld offset=%lld len=%zu", req->path, req->file_mode,
	     (long long)req->file_size, (long long)req->offset, req->data.len);
	return 0;
}

static int h_oom(ttrpc_call *call, void *ud, cc_error **err)
{
	/* no OOM ever: wait until the host goes away */
	ttrpc_call_poll(call, NULL, 0, -1);
	return ttrpc_error_set(err, TTRPC_CANCELLED, "no OOM event");
}

static int h_guest_details(ttrpc_call *call, void *ud, cc_error **err)
{
	Grpc__GuestDetailsResponse resp = GRPC__GUEST_DETAILS_RESPONSE__INIT;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int h_check(ttrpc_call *call, void *ud, cc_error **err)
{
	Grpc__HealthCheckResponse resp = GRPC__HEALTH_CHECK_RESPONSE__INIT;
	resp.status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static int h_version(ttrpc_call *call, void *ud, cc_error **err)
{
	Grpc__VersionCheckResponse resp = GRPC__VERSION_CHECK_RESPONSE__INIT;
	resp.agent_version = (char *)"fake";
	return ttrpc_call_reply_pb(call, &resp.base, err);
}

static const ttrpc_method agent_methods[] = {
    {"CreateSandbox", h_create_sandbox}, {"DestroySandbox", h_destroy_sandbox},
    {"CreateContainer", h_create_container}, {"StartContainer", h_start_container},
    {"ExecProcess", h_exec},             {"SignalProcess", h_signal},
    {"WaitProcess", h_wait},             {"ReadStdout", h_read_stdout},
    {"ReadStderr", h_read_stderr},       {"WriteStdin", h_write_stdin},
    {"CloseStdin", h_close_stdin},       {"TtyWinResize", h_resize},
    {"PauseContainer", h_pause},         {"ResumeContainer", h_resume},
    {"StatsContainer", h_stats},         {"RemoveContainer", h_remove},
    {"GetOOMEvent", h_oom},              {"GetGuestDetails", h_guest_details},
    {"CopyFile", h_copy_file},
};
static const ttrpc_method health_methods[] = {{"Check", h_check}, {"Version", h_version}};

static ttrpc_server *server;

static void *sig_main(void *arg)
{
	sigset_t *set = arg;
	int sig;
	sigwait(set, &sig);
	flog("signal %d: exiting", sig);
	ttrpc_server_shutdown(server, 1000, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *listen_addr = NULL, *channel = NULL, *log_path = getenv("COCOON_FAKE_AGENT_LOG");
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0)
			listen_addr = argv[++i];
		else if (strcmp(argv[i], "--channel") == 0)
			channel = argv[++i];
		else if (strcmp(argv[i], "--log") == 0)
			log_path = argv[++i];
	}
	logf_ = log_path ? fopen(log_path, "ae") : stdout;
	if (logf_ == NULL)
		logf_ = stdout;
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	cc_error *err = NULL;
	if (ttrpc_server_new(NULL, &server, &err) < 0 ||
	    ttrpc_server_register(server, "grpc.AgentService", agent_methods,
	                          sizeof(agent_methods) / sizeof(agent_methods[0]), NULL, &err) < 0 ||
	    ttrpc_server_register(server, "grpc.Health", health_methods, 2, NULL, &err) < 0) {
		fprintf(stderr, "fake-agent: %s\n", cc_error_message(err));
		return 1;
	}
	pthread_t st;
	pthread_create(&st, NULL, sig_main, &set);
	flog("started pid=%d listen=%s channel=%s", (int)getpid(), listen_addr ? listen_addr : "-",
	     channel ? channel : "-");
	if (listen_addr != NULL) {
		const char *path = strncmp(listen_addr, "unix:", 5) == 0 ? listen_addr + 5 : listen_addr;
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		unlink(path);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
			fprintf(stderr, "fake-agent: listen %s: %s\n", path, strerror(errno));
			return 1;
		}
		ttrpc_server_serve_listener(server, fd, NULL);
		close(fd);
		unlink(path);
	} else if (channel != NULL) {
		for (int tries = 0; tries < 1000000; tries++) {
			int fd = open(channel, O_RDWR | O_CLOEXEC | O_NOCTTY);
			if (fd < 0) {
				fprintf(stderr, "fake-agent: %s: %s\n", channel, strerror(errno));
				return 1;
			}
			int r = ttrpc_server_serve_fd(server, fd, NULL);
			close(fd);
			if (r == -ESHUTDOWN)
				break;
			usleep(20000); /* the host is not connected (yet): reopen */
		}
	} else {
		fprintf(stderr, "usage: cocoon-fake-agent --listen unix:PATH | --channel PATH\n");
		return 2;
	}
	pthread_mutex_lock(&mu);
	for (struct fctr *c = ctrs; c; c = c->next)
		for (struct fproc *p = c->procs; p; p = p->next)
			if (p->started && !p->exited)
				kill(-p->pid, SIGKILL);
	pthread_mutex_unlock(&mu);
	ttrpc_server_free(server);
	flog("exited");
	return 0;
}
