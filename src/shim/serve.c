/* The long-running shim (docs/shim.md): what `start` re-executes with the
 * listening socket on fd 3. Serves containerd.task.v2.Task until Shutdown
 * (or SIGTERM), then stops the VM and removes its state. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "cocoon/cleanup.h"
#include "cleanup.h"
#include "events.h"
#include "main.h"
#include "shim.h"
#include "vm.h"

#define LISTEN_FD 3
#define SHUTDOWN_GRACE_MS 2000

/* stderr -> the bundle's "log" fifo, which containerd reads (opened
 * O_RDWR by containerd, so this open does not block). Non-blocking: if
 * containerd stops reading, log lines are lost, the shim does not hang. */
static void open_log(void)
{
	int fd = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, 2);
	close(fd);
}

struct lifecycle {
	struct shim *sh;
	sigset_t sigs;
};

/* Waits for SIGTERM/SIGINT (blocked everywhere else) or Shutdown, then
 * stops the server; the main thread cleans up. */
static void *signal_main(void *arg)
{
	struct lifecycle *lc = arg;
	int sig = 0;
	while (sigwait(&lc->sigs, &sig) != 0)
		;
	if (sig == SIGUSR1) /* the main thread's "done": no signal came */
		return NULL;
	shim_logf(lc->sh, CC_LOG_INFO, "signal %d: shutting down", sig);
	pthread_mutex_lock(&lc->sh->mu);
	lc->sh->exiting = true;
	pthread_mutex_unlock(&lc->sh->mu);
	uint64_t one = 1;
	(void)!write(lc->sh->stop_fd, &one, sizeof(one));
	return NULL;
}

static void *stopper_main(void *arg)
{
	struct shim *sh = arg;
	uint64_t v;
	struct pollfd p = {.fd = sh->stop_fd, .events = POLLIN};
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	(void)!read(sh->stop_fd, &v, sizeof(v));
	ttrpc_server_shutdown(sh->server, SHUTDOWN_GRACE_MS, NULL);
	return NULL;
}

static int init_shim(struct shim *sh, const struct shim_flags *f, cc_error **err)
{
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return cc_error_set(err, -errno, "getcwd: %s", strerror(errno));
	sh->ns = strdup(f->namespace_);
	sh->id = strdup(f->id);
	sh->bundle = strdup(cwd);
	sh->ctd_address = strdup(f->address);
	const char *ta = getenv("TTRPC_ADDRESS");
	sh->ttrpc_address = ta ? strdup(ta) : NULL;
	sh->run_root = shim_run_root(cwd);
	sh->debug = f->debug;
	if (!sh->ns || !sh->id || !sh->bundle || !sh->ctd_address || !sh->run_root ||
	    (ta && !sh->ttrpc_address))
		return cc_error_set(err, -ENOMEM, "out of memory");
	int r = shim_socket_address(sh->run_root, f->address, f->namespace_, f->id, &sh->address, err);
	if (r == 0)
		r = shim_state_dir(sh->run_root, f->address, f->namespace_, f->id, &sh->state_dir, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *cfg = f->config ? strdup(f->config) : shim_config_pick_path(NULL);
	if (cfg == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if ((r = shim_config_load_file(&sh->cfg, cfg, err)) < 0)
		return r;
	sh->debug = sh->debug || sh->cfg.debug;
	pthread_mutex_init(&sh->mu, NULL);
	pthread_cond_init(&sh->boot_cond, NULL);
	pthread_cond_init(&sh->workers_cond, NULL);
	if ((sh->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		return cc_error_set(err, -errno, "eventfd: %s", strerror(errno));
	return 0;
}

/* The state directory: <run_root>/cocoon/<hash>/, 0700. */
static int make_state_dir(struct shim *sh, cc_error **err)
{
	_cleanup_free_ char *parent = NULL;
	if (asprintf(&parent, "%s/cocoon", sh->run_root) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if ((mkdir(sh->run_root, 0711) < 0 && errno != EEXIST) ||
	    (mkdir(parent, 0711) < 0 && errno != EEXIST) ||
	    (mkdir(sh->state_dir, 0700) < 0 && errno != EEXIST))
		return cc_error_set(err, -errno, "state directory %s: %s", sh->state_dir,
		                    strerror(errno));
	_cleanup_free_ char *pidfile = NULL;
	if (asprintf(&pidfile, "%s/shim.pid", sh->state_dir) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	return shim_write_pidfile(pidfile, getpid(), err);
}

static int check_listener(cc_error **err)
{
	struct stat st;
	int acc = 0;
	socklen_t l = sizeof(acc);
	if (fstat(LISTEN_FD, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(LISTEN_FD, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) < 0 || !acc)
		return cc_error_set(err, -EBADF, "fd %d is not a listening socket (run by "
		                    "containerd-shim-cocoon-v2 start)", LISTEN_FD);
	return 0;
}

/* After the server stopped: the VM, every container, the workers, the
 * events, the state directory and the socket go. */
static void teardown(struct shim *sh)
{
	pthread_mutex_lock(&sh->mu);
	sh->exiting = true;
	pthread_mutex_unlock(&sh->mu);
	shim_stop_vm(sh);
	pthread_mutex_lock(&sh->mu);
	ttrpc_client *agent = sh->agent;
	struct shim_ctr *ctrs = sh->ctrs;
	sh->ctrs = NULL;
	sh->n_ctrs = 0;
	bool oom = sh->oom_started;
	pthread_mutex_unlock(&sh->mu);
	if (agent != NULL)
		ttrpc_client_close(agent); /* every call still waiting fails */
	while (ctrs != NULL) {
		struct shim_ctr *next = ctrs->next;
		shim_ctr_free(ctrs);
		ctrs = next;
	}
	if (!shim_workers_wait(sh, 5000))
		shim_logf(sh, CC_LOG_WARN, "worker threads still running at exit");
	if (oom)
		pthread_join(sh->oom_thread, NULL);
	shim_events_free(sh->events, 2000);
	sh->events = NULL;
	if (shim_workers_wait(sh, 0)) {
		ttrpc_client_free(agent);
		pthread_mutex_lock(&sh->mu);
		sh->agent = NULL;
		pthread_mutex_unlock(&sh->mu);
	}
	shim_vm_free(sh->vm);
	sh->vm = NULL;
	cc_error *e = NULL;
	if (shim_rm_rf(sh->state_dir, &e) < 0)
		shim_logf(sh, CC_LOG_WARN, "%s", cc_error_message(e));
	cc_error_free(e);
	const char *sock = shim_address_path(sh->address);
	if (sock != NULL)
		(void)unlink(sock);
	shim_logf(sh, CC_LOG_INFO, "exiting");
}

int shim_serve(const struct shim_flags *f)
{
	if (f->namespace_ == NULL || f->id == NULL || f->address == NULL) {
		fprintf(stderr, "containerd-shim-cocoon-v2: -namespace, -id and -address are needed\n");
		return 2;
	}
	open_log();
	signal(SIGPIPE, SIG_IGN);
	struct lifecycle lc = {0};
	sigemptyset(&lc.sigs);
	sigaddset(&lc.sigs, SIGTERM);
	sigaddset(&lc.sigs, SIGINT);
	sigaddset(&lc.sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &lc.sigs, NULL);
	static struct shim shim_obj; /* lives as long as the process */
	struct shim *sh = &shim_obj;
	sh->stop_fd = -1;
	lc.sh = sh;
	cc_error *err = NULL;
	int r = init_shim(sh, f, &err);
	if (r == 0)
		r = make_state_dir(sh, &err);
	if (r == 0)
		r = check_listener(&err);
	ttrpc_server_opts so = {.require_same_uid = true};
	if (r == 0)
		r = ttrpc_server_new(&so, &sh->server, &err);
	if (r == 0)
		r = shim_register_task_service(sh, &err);
	if (r == 0)
		r = shim_events_new(sh, sh->ttrpc_address, sh->ns, &sh->events, &err);
	pthread_t sig_thread, stopper;
	if (r == 0 && (pthread_create(&sig_thread, NULL, signal_main, &lc) != 0 ||
	               pthread_create(&stopper, NULL, stopper_main, sh) != 0))
		r = cc_error_set(&err, -EAGAIN, "starting threads");
	if (r < 0) {
		shim_logf(sh, CC_LOG_ERROR, "%s", cc_error_message(err));
		cc_error_free(err);
		if (sh->state_dir)
			shim_rm_rf(sh->state_dir, NULL);
		return 1;
	}
	shim_logf(sh, CC_LOG_INFO, "serving %s (config %s, hypervisor %s)", sh->address,
	          sh->cfg.source, sh->cfg.hypervisor == SHIM_HV_NONE ? "none" : "qemu");
	r = ttrpc_server_serve_listener(sh->server, LISTEN_FD, &err);
	if (r < 0)
		shim_logf(sh, CC_LOG_ERROR, "serving: %s", cc_error_message(err));
	cc_error_free(err);
	/* the stopper ends after shutdown; the signal thread gets SIGUSR1 */
	uint64_t one = 1;
	(void)!write(sh->stop_fd, &one, sizeof(one));
	pthread_join(stopper, NULL);
	pthread_kill(sig_thread, SIGUSR1);
	pthread_join(sig_thread, NULL);
	teardown(sh);
	ttrpc_server_free(sh->server);
	close(LISTEN_FD);
	return 0;
}
