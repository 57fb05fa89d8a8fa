/* cocoon-agent: the guest agent (docs/agent.md, docs/man/cocoon-agent.md).
 * Reads its configuration, loads the boot-time policy, starts the runtime,
 * and serves grpc.AgentService and grpc.Health on its channel until
 * SIGTERM or SIGINT. This is the agent's one noisy boundary: it logs. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "channel.h"
#include "cocoon/limits.h"
#include "config.h"
#include "front.h"
#include "guest_initdata.h"

#ifndef COCOON_VERSION
#define COCOON_VERSION "0"
#endif

/* The boot-time policy (kata.md §3.4 step 1; §4.2 policy sources): the
 * file given, else Kata's default file, else what Kata installs there by
 * default (allow-all). A policy from init-data replaces it before the
 * server starts (load_initdata()). */
static int load_boot_policy(agent_gate *g, const struct agent_config *c, agent_log *log,
                            cc_error **err)
{
	const char *path = c->policy;
	if (path == NULL && access(AGENT_DEFAULT_POLICY_FILE, F_OK) == 0)
		path = AGENT_DEFAULT_POLICY_FILE;
	int r;
	if (path != NULL) {
		r = agent_gate_load_file(g, path, err);
	} else {
		agent_log_msg(log, AGENT_LOG_WARN,
		              "policy: no --policy and no %s: using the built-in allow-all policy "
		              "(Kata's default policy file)",
		              AGENT_DEFAULT_POLICY_FILE);
		path = "allow-all.rego";
		r = agent_gate_set_policy(g, path, agent_allow_all_policy,
		                          strlen(agent_allow_all_policy), err);
	}
	if (r == 0)
		agent_log_msg(log, AGENT_LOG_INFO, "policy: %s loaded (input shape %s)%s", path,
		              agent_json_shape_name(c->policy_input),
		              agent_gate_allows_failing(g)
		                  ? "; AllowRequestsFailingPolicy is set: requests failing the policy "
		                    "are allowed"
		                  : "");
	return r;
}

/* Init-data (kata.md §3.4 steps 2 and 4; guest_initdata.h): read before the
 * server starts; its policy.rego replaces the boot-time policy, so a
 * SetPolicy from the host is then judged by it. The guest scans /dev; a
 * host agent (tests) reads only the --initdata-device it is given, or
 * scans the --initdata-scan-dir it is given. */
static int load_initdata(agent_gate *g, const struct agent_config *c, agent_log *log,
                         cc_initdata **ret, cc_error **err)
{
	/* a host agent keeps the files in its run directory, not the host's
	 * /run/confidential-containers */
	char *host_dir = NULL;
	if (c->initdata_dir == NULL && !c->rt.guest &&
	    asprintf(&host_dir, "%s/initdata", c->rt.run_dir) < 0)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct agent_initdata_opts o = {
	    .device = c->initdata_device,
	    .scan = c->rt.guest || c->initdata_scan_dir != NULL,
	    .dev_dir = c->initdata_scan_dir ? c->initdata_scan_dir : "/dev",
	    .out_dir = c->initdata_dir ? c->initdata_dir : host_dir ? host_dir : AGENT_INITDATA_DIR,
	};
	cc_initdata *d = NULL;
	int r = agent_initdata_load(&o, log, &d, NULL, err);
	free(host_dir);
	if (r < 0 || d == NULL)
		return r;
	size_t n = 0;
	const char *pol = cc_initdata_get(d, CC_INITDATA_KEY_POLICY, &n);
	if (pol != NULL) {
		r = agent_gate_set_policy(g, CC_INITDATA_KEY_POLICY, pol, n, err);
		if (r < 0) {
			cc_initdata_free(d);
			return cc_error_wrap(err, "policy.rego");
		}
		agent_log_msg(log, AGENT_LOG_INFO,
		              "policy: init-data's policy.rego loaded (%zu bytes), replacing the "
		              "boot-time policy%s",
		              n, agent_gate_allows_failing(g) ? "; AllowRequestsFailingPolicy is set" : "");
	}
	*ret = d;
	return 0;
}

struct sig_ctx {
	ttrpc_server *server;
	agent_log *log;
	int stop_fd;
	sigset_t set;
	atomic_bool exiting;
};

/* Waits for SIGTERM/SIGINT (blocked in every thread), then stops the
 * server: calls in flight get CC_AGENT_SHUTDOWN_GRACE_MS. */
static void *signal_main(void *arg)
{
	struct sig_ctx *c = arg;
	int sig = 0;
	while (sigwait(&c->set, &sig) != 0)
		;
	if (atomic_load(&c->exiting))
		return NULL;
	agent_log_msg(c->log, AGENT_LOG_INFO, "signal %d: shutting down", sig);
	uint64_t one = 1;
	(void)!write(c->stop_fd, &one, sizeof(one));
	cc_error *e = NULL;
	if (ttrpc_server_shutdown(c->server, CC_AGENT_SHUTDOWN_GRACE_MS, &e) < 0)
		agent_log_msg(c->log, AGENT_LOG_WARN, "shutdown: %s", cc_error_message(e));
	cc_error_free(e);
	return NULL;
}

static int serve(ttrpc_server *s, const struct agent_config *c, int stop_fd, agent_log *log,
                 cc_error **err)
{
	if (c->channel != NULL) {
		agent_log_msg(log, AGENT_LOG_INFO, "serving on channel %s", c->channel);
		return agent_serve_port(s, c->channel, stop_fd, log);
	}
	int fd = -1;
	bool is_unix = false;
	int r = agent_listen_open(c->listen, &fd, &is_unix, err);
	if (r < 0)
		return r;
	agent_log_msg(log, AGENT_LOG_INFO, "listening on %s", c->listen);
	r = ttrpc_server_serve_listener(s, fd, err);
	close(fd);
	return r;
}

/* Everything after the configuration; returns the exit status. */
static int run(struct agent_config *c, agent_log *log)
{
	cc_error *err = NULL;
	agent_gate *gate = NULL;
	agent_rt *rt = NULL;
	cc_initdata *initdata = NULL;
	ttrpc_server *server = NULL;
	int status = 1;
	int r = agent_gate_new(c->policy_input, &gate, &err);
	if (r == 0 && (r = load_boot_policy(gate, c, log, &err)) < 0)
		cc_error_wrap(&err, "boot-time policy");
	if (r == 0 && (r = load_initdata(gate, c, log, &initdata, &err)) < 0)
		cc_error_wrap(&err, "init-data");
	if (r == 0 && (r = agent_rt_new(&c->rt, &rt, &err)) < 0)
		cc_error_wrap(&err, "runtime");
	/* the unix listener of the tests: only peers of our own uid. Each
	 * call's thread evaluates the policy: its stack holds the Rego
	 * engine's C stack cap plus room, whatever ulimit -s says. */
	ttrpc_server_opts so = {
	    .require_same_uid = c->listen && agent_config_unix_path(c->listen),
	    .handler_stack_bytes = CC_REGO_MAX_STACK_BYTES + 2u * 1024u * 1024u,
	};
	if (r == 0)
		r = ttrpc_server_new(&so, &server, &err);
	struct agent_front front = {.gate = gate, .rt = rt, .log = log, .version = COCOON_VERSION};
	if (r == 0)
		r = agent_front_register(server, &front, &err);
	struct sig_ctx sc = {.server = server, .log = log, .stop_fd = -1};
	pthread_t sig_thread;
	bool sig_started = false;
	if (r == 0 && (sc.stop_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		r = cc_error_set(&err, -errno, "eventfd: %s", strerror(errno));
	if (r == 0) {
		sigemptyset(&sc.set);
		sigaddset(&sc.set, SIGTERM);
		sigaddset(&sc.set, SIGINT);
		atomic_init(&sc.exiting, false);
		r = -pthread_create(&sig_thread, NULL, signal_main, &sc);
		sig_started = r == 0;
		if (r < 0)
			cc_error_set(&err, r, "signal thread: %s", strerror(-r));
	}
	if (r == 0)
		r = serve(server, c, sc.stop_fd, log, &err);
	if (r == 0) {
		status = 0;
	} else {
		char *m = cc_error_format(err);
		agent_log_msg(log, AGENT_LOG_ERROR, "%s", m ? m : "out of memory");
		free(m);
	}
	if (sig_started) {
		atomic_store(&sc.exiting, true);
		pthread_kill(sig_thread, SIGTERM);
		pthread_join(sig_thread, NULL);
	}
	ttrpc_server_free(server); /* waits for every handler */
	agent_rt_free(rt);
	agent_gate_free(gate);
	cc_initdata_free(initdata);
	if (sc.stop_fd >= 0)
		close(sc.stop_fd);
	cc_error_free(err);
	agent_log_msg(log, AGENT_LOG_INFO, "exiting with status %d", status);
	return status;
}

int main(int argc, char **argv)
{
	struct agent_config c;
	enum agent_config_action action = AGENT_RUN;
	cc_error *err = NULL;
	int r = agent_config_parse(&c, argc, argv, &action, &err);
	if (r == 0 && action == AGENT_HELP) {
		fputs(agent_usage, stdout);
	} else if (r == 0 && action == AGENT_VERSION) {
		printf("cocoon-agent %s (agent API %s)\n", COCOON_VERSION, AGENT_API_VERSION);
	} else if (r < 0) {
		fprintf(stderr, "cocoon-agent: %s\n%s", cc_error_message(err), agent_usage);
		cc_error_free(err);
		agent_config_free(&c);
		return 2;
	}
	if (action != AGENT_RUN) {
		agent_config_free(&c);
		return 0;
	}
	/* SIGTERM/SIGINT go to the signal thread alone; SIGPIPE is never
	 * wanted (ttrpc writes sockets with MSG_NOSIGNAL, a pty may not) */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	agent_log *log = agent_log_new(STDERR_FILENO, c.log_level);
	agent_log_msg(log, AGENT_LOG_INFO, "cocoon-agent %s starting (pid %d%s)", COCOON_VERSION,
	              (int)getpid(), c.rt.guest ? ", guest" : "");
	if (c.debug_console)
		agent_log_msg(log, AGENT_LOG_INFO,
		              "agent.debug_console: the guest's /init runs the debug shell "
		              "(cocoon.debug_console=1)");
	int status = run(&c, log);
	agent_log_free(log);
	agent_config_free(&c);
	return status;
}
