/* The reaper (rt_reap.h): a thread that polls the pidfds of the children
 * it knows, plus a wake-up eventfd, and sweeps with
 * waitid(P_ALL, WNOHANG) after every wake-up and at least once a second
 * (orphans it was not told about). Spawning and adopting happen under the
 * same lock as the sweep, so a child is always registered before it can
 * be reaped. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "rt_reap.h"
#include "runtime.h"

struct rt_child {
	rt_reaper *r;
	unsigned refs;     /* under r->lock */
	pid_t pid;
	int pidfd;         /* -1 once reaped */
	int exit_efd;
	bool exited;
	int wstatus;
};

struct reaped {
	pid_t pid;
	int wstatus;
};

struct rt_reaper {
	pthread_mutex_t lock;
	pthread_t thread;
	int wake_efd;
	bool stop;
	rt_child *kids[CC_AGENT_MAX_CHILDREN]; /* registered, not yet reaped */
	size_t nkids;
	struct reaped ring[CC_AGENT_REAPED_RING];
	size_t ring_next;
};

static const char *const spawn_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	NULL,
};

static void efd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t n;
	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

static void efd_drain(int fd)
{
	uint64_t v;
	while (read(fd, &v, sizeof(v)) > 0)
		;
}

int rt_wstatus_to_kata(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

static int wstatus_of(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return si->si_status & 0x7f;
	}
}

/* ---- the table (under r->lock) ------------------------------------------ */

static void mark_exited(rt_child *c, int wstatus)
{
	c->exited = true;
	c->wstatus = wstatus;
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	efd_signal(c->exit_efd);
}

static void child_free(rt_child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->exit_efd >= 0)
		close(c->exit_efd);
	free(c);
}

static void unregister_at(rt_reaper *r, size_t i)
{
	rt_child *c = r->kids[i];
	r->kids[i] = r->kids[--r->nkids];
	if (--c->refs == 0)
		child_free(c);
}

/* Records one reaped child: a registered one is marked, any other goes to
 * the ring. */
static void record(rt_reaper *r, pid_t pid, int wstatus)
{
	for (size_t i = 0; i < r->nkids; i++) {
		if (r->kids[i]->pid == pid) {
			mark_exited(r->kids[i], wstatus);
			unregister_at(r, i);
			return;
		}
	}
	r->ring[r->ring_next] = (struct reaped){.pid = pid, .wstatus = wstatus};
	r->ring_next = (r->ring_next + 1) % CC_AGENT_REAPED_RING;
}

static void sweep(rt_reaper *r)
{
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0) {
			if (errno == EINTR)
				continue;
			return; /* ECHILD: no children */
		}
		if (si.si_pid == 0)
			return;
		record(r, si.si_pid, wstatus_of(&si));
	}
}

/* A new child entry with one reference for the caller and one for the
 * table. */
static int child_new(rt_reaper *r, pid_t pid, int pidfd, rt_child **ret, cc_error **err)
{
	if (r->nkids >= CC_AGENT_MAX_CHILDREN)
		return cc_error_set(err, -EAGAIN, "too many child processes (at most %u)",
		                    CC_AGENT_MAX_CHILDREN);
	rt_child *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	c->exit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->exit_efd < 0) {
		int e = errno;
		free(c);
		return cc_error_set(err, -e, "eventfd: %s", strerror(e));
	}
	c->r = r;
	c->pid = pid;
	c->pidfd = pidfd;
	c->refs = 2;
	r->kids[r->nkids++] = c;
	*ret = c;
	return 0;
}

/* ---- the thread ---------------------------------------------------------------- */

static void *reaper_main(void *arg)
{
	rt_reaper *r = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	struct pollfd *fds = calloc(CC_AGENT_MAX_CHILDREN + 1, sizeof(*fds));
	for (;;) {
		nfds_t n = 1;
		pthread_mutex_lock(&r->lock);
		bool stop = r->stop;
		if (fds != NULL) {
			for (size_t i = 0; i < r->nkids; i++)
				if (r->kids[i]->pidfd >= 0)
					fds[n++] = (struct pollfd){.fd = r->kids[i]->pidfd, .events = POLLIN};
		}
		pthread_mutex_unlock(&r->lock);
		if (stop)
			break;
		struct pollfd wake = {.fd = r->wake_efd, .events = POLLIN};
		if (fds != NULL) {
			fds[0] = wake;
			poll(fds, n, 1000);
		} else {
			poll(&wake, 1, 100); /* no memory for the set: sweep often */
		}
		pthread_mutex_lock(&r->lock);
		efd_drain(r->wake_efd);
		sweep(r);
		pthread_mutex_unlock(&r->lock);
	}
	free(fds);
	return NULL;
}

int rt_reaper_new(rt_reaper **ret, cc_error **err)
{
	rt_reaper *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	r->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_efd < 0) {
		int e = errno;
		free(r);
		return cc_error_set(err, -e, "eventfd: %s", strerror(e));
	}
	pthread_mutex_init(&r->lock, NULL);
	int e = pthread_create(&r->thread, NULL, reaper_main, r);
	if (e != 0) {
		close(r->wake_efd);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return cc_error_set(err, -e, "starting the reaper thread: %s", strerror(e));
	}
	*ret = r;
	return 0;
}

void rt_reaper_free(rt_reaper *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	efd_signal(r->wake_efd);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	/* Children still registered are dropped from the table; their owners
	 * must have released them already (the table's own reference). */
	while (r->nkids > 0)
		unregister_at(r, r->nkids - 1);
	close(r->wake_efd);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- spawning ------------------------------------------------------------------- */

/* Moves fds 0..3 out of the way of the dup2 targets. */
static int high_fd(int fd, int *tmp)
{
	*tmp = -1;
	if (fd < 0 || fd > 3)
		return fd;
	*tmp = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	return *tmp;
}

static int spawn_actions(posix_spawn_file_actions_t *fa, const struct rt_spawn *s, int tmp[4])
{
	int src[4] = {s->fds[0], s->fds[1], s->fds[2], s->fd3};
	for (int i = 0; i < 4; i++) {
		int fd = high_fd(src[i], &tmp[i]);
		if (src[i] >= 0 && fd < 0)
			return -errno;
		int rc;
		if (fd >= 0)
			rc = posix_spawn_file_actions_adddup2(fa, fd, i);
		else if (i < 3)
			rc = posix_spawn_file_actions_addopen(fa, i, "/dev/null", i ? O_WRONLY : O_RDONLY,
			                                      0);
		else
			continue;
		if (rc != 0)
			return -rc;
	}
	int rc = posix_spawn_file_actions_addclosefrom_np(fa, 4);
	return rc ? -rc : 0;
}

static int spawn_attr(posix_spawnattr_t *at)
{
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	int rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                                          POSIX_SPAWN_SETSID);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(at, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(at, &all);
	return -rc;
}

int rt_reaper_spawn(rt_reaper *r, const struct rt_spawn *s, rt_child **ret, cc_error **err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int tmp[4] = {-1, -1, -1, -1};
	if (posix_spawn_file_actions_init(&fa) != 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	int rc = spawn_actions(&fa, s, tmp);
	if (rc == 0)
		rc = spawn_attr(&at);
	if (rc < 0) {
		cc_error_set(err, rc, "preparing to run %s: %s", s->argv[0], strerror(-rc));
		goto out;
	}
	pthread_mutex_lock(&r->lock);
	if (r->nkids >= CC_AGENT_MAX_CHILDREN) {
		pthread_mutex_unlock(&r->lock);
		rc = cc_error_set(err, -EAGAIN, "too many child processes (at most %u)",
		                  CC_AGENT_MAX_CHILDREN);
		goto out;
	}
	pid_t pid;
	rc = -posix_spawn(&pid, s->argv[0], &fa, &at, (char *const *)s->argv,
	                  (char *const *)spawn_env);
	if (rc < 0) {
		pthread_mutex_unlock(&r->lock);
		cc_error_set(err, rc, "running %s: %s", s->argv[0], strerror(-rc));
		goto out;
	}
	/* Not reaped yet: only the reaper reaps, and it needs the lock. */
	int pidfd = pidfd_open(pid, 0);
	rc = child_new(r, pid, pidfd, ret, err);
	if (rc < 0) {
		if (pidfd >= 0)
			close(pidfd);
		kill(pid, SIGKILL); /* the sweep reaps it */
	}
	efd_signal(r->wake_efd);
	pthread_mutex_unlock(&r->lock);
out:
	for (int i = 0; i < 4; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* The parent pid of pid from /proc, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nPPid:");
	if (p == NULL)
		return -1;
	char *end;
	long v = strtol(p + 6, &end, 10);
	return end == p + 6 ? -1 : (pid_t)v;
}

int rt_reaper_adopt(rt_reaper *r, pid_t pid, rt_child **ret, cc_error **err)
{
	if (pid <= 1)
		return cc_error_set(err, -EINVAL, "invalid pid %d", (int)pid);
	pthread_mutex_lock(&r->lock);
	int rc = 0;
	for (size_t i = 0; i < CC_AGENT_REAPED_RING; i++) {
		struct reaped *e = &r->ring[i];
		if (e->pid != pid)
			continue;
		rt_child *c;
		rc = child_new(r, pid, -1, &c, err);
		if (rc == 0) {
			mark_exited(c, e->wstatus);
			unregister_at(r, r->nkids - 1);
			e->pid = 0;
			*ret = c;
		}
		pthread_mutex_unlock(&r->lock);
		return rc;
	}
	int pidfd = pidfd_open(pid, 0);
	if (pidfd < 0 || parent_of(pid) != getpid()) {
		int e = pidfd < 0 ? errno : ECHILD;
		if (pidfd >= 0)
			close(pidfd);
		pthread_mutex_unlock(&r->lock);
		return cc_error_set(err, -e, "process %d is not a child of the agent", (int)pid);
	}
	rc = child_new(r, pid, pidfd, ret, err);
	if (rc < 0)
		close(pidfd);
	efd_signal(r->wake_efd);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* ---- children --------------------------------------------------------------------- */

rt_child *rt_child_ref(rt_child *c)
{
	pthread_mutex_lock(&c->r->lock);
	c->refs++;
	pthread_mutex_unlock(&c->r->lock);
	return c;
}

void rt_child_unref(rt_child *c)
{
	if (c == NULL)
		return;
	rt_reaper *r = c->r;
	pthread_mutex_lock(&r->lock);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (last)
		child_free(c);
}

pid_t rt_child_pid(const rt_child *c)
{
	return c->pid;
}

int rt_child_exit_fd(const rt_child *c)
{
	return c->exit_efd;
}

bool rt_child_exited(rt_child *c, int *ret_wstatus)
{
	pthread_mutex_lock(&c->r->lock);
	bool done = c->exited;
	if (done && ret_wstatus)
		*ret_wstatus = c->wstatus;
	pthread_mutex_unlock(&c->r->lock);
	return done;
}

int rt_child_signal(rt_child *c, int sig)
{
	pthread_mutex_lock(&c->r->lock);
	int rc = -ESRCH;
	if (!c->exited && c->pidfd >= 0)
		rc = pidfd_send_signal(c->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
	pthread_mutex_unlock(&c->r->lock);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rt_child_wait(rt_child *c, ttrpc_call *call, int extra_fd, int timeout_ms)
{
	int64_t end = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	for (;;) {
		if (rt_child_exited(c, NULL))
			return 0;
		struct pollfd fds[2] = {
			{.fd = c->exit_efd, .events = POLLIN},
			{.fd = extra_fd, .events = POLLIN},
		};
		int left = -1;
		if (end >= 0) {
			int64_t l = end - now_ms();
			if (l <= 0)
				return -ETIMEDOUT;
			left = l > 60000 ? 60000 : (int)l;
		}
		int n = agent_rt_wait(call, fds, extra_fd >= 0 ? 2 : 1, left);
		if (n < 0)
			return n;
		if (n > 0 && extra_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !rt_child_exited(c, NULL))
			return 1;
	}
}
