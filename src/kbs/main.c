/* cocoon-kbs: the Trustee-compatible Key Broker Service with a built-in
 * attestation service (docs/kbs.md, docs/man/cocoon-kbs.md).
 *
 *   cocoon-kbs --state-dir DIR [--listen IP:PORT] [--config FILE]
 *
 * main() is the one noisy boundary: it reads the options and the
 * configuration, brings the state up, serves until SIGTERM or SIGINT, sweeps
 * expired sessions every CC_KBS_SWEEP_INTERVAL_S, and shuts down
 * gracefully. Start-up errors are printed once, with what was wrong. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cocoon/limits.h"
#include "http.h"
#include "kbs_util.h"
#include "server.h"

#define DEFAULT_STATE_DIR "/var/lib/cocoon-kbs"

struct opts {
	const char *state_dir;
	const char *listen;
	const char *config;
	enum cc_log_level level;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: cocoon-kbs [--state-dir DIR] [--listen IP:PORT] [--config FILE]\n"
	        "                  [--log-level error|warn|info|debug]\n"
	        "\n"
	        "The Trustee-compatible Key Broker Service with a built-in attestation service.\n"
	        "\n"
	        "  --state-dir DIR    store, keys and admin-token (default " DEFAULT_STATE_DIR ");\n"
	        "                     made with mode 0700 when missing\n"
	        "  --listen IP:PORT   the one address to serve (default 127.0.0.1:8080; with a\n"
	        "                     configuration it replaces [http_server] sockets). Plain HTTP\n"
	        "                     is served on loopback only; any other address needs HTTPS\n"
	        "  --config FILE      Trustee's KBS TOML (also $KBS_CONFIG_FILE); without one the\n"
	        "                     zero-config defaults apply (docs/kbs.md)\n"
	        "  --log-level LEVEL  error, warn, info (default) or debug (one line per request)\n"
	        "  --help, --version\n"
	        "\n"
	        "On first start DIR/admin-token holds an admin JWT for\n"
	        "`cocoon kbs config --admin-token-file DIR/admin-token ...`.\n");
}

static int parse_level(const char *s, enum cc_log_level *ret)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum cc_log_level)i;
			return 0;
		}
	return -EINVAL;
}

/* 0 to run, 1 done (help/version), 2 usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"state-dir", required_argument, NULL, 's'}, {"listen", required_argument, NULL, 'l'},
		{"config", required_argument, NULL, 'c'},    {"config-file", required_argument, NULL, 'c'},
		{"log-level", required_argument, NULL, 'L'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},         {NULL, 0, NULL, 0},
	};
	o->state_dir = DEFAULT_STATE_DIR;
	o->level = CC_LOG_INFO;
	o->config = getenv("KBS_CONFIG_FILE");
	if (o->config != NULL && *o->config == '\0')
		o->config = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->state_dir = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'c': o->config = optarg; break;
		case 'L':
			if (parse_level(optarg, &o->level) < 0) {
				fprintf(stderr, "cocoon-kbs: --log-level: unknown level \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("cocoon-kbs %s (RCAR protocol 0.4.0)\n", KBS_VERSION); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cocoon-kbs: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	return 0;
}

static int load_config(const struct opts *o, struct kbs_config *cfg, cc_error **err)
{
	int r = kbs_config_default(cfg, o->listen, err);
	if (r == 0 && o->config != NULL)
		r = kbs_config_load_file(cfg, o->config, err);
	if (r == 0 && o->config != NULL && o->listen != NULL)
		r = kbs_config_set_listen(cfg, o->listen, err);
	return r;
}

static int start_http(kbs_ctx *ctx, cc_httpd **ret, cc_error **err)
{
	cc_httpd_opts ho;
	cc_httpd_opts_default(&ho);
	ho.sockets = (const char *const *)ctx->cfg.sockets;
	ho.n_sockets = ctx->cfg.n_sockets;
	ho.certificate = ctx->cfg.certificate;
	ho.private_key = ctx->cfg.private_key;
	ho.insecure_non_loopback = false; /* plain HTTP only on loopback, whatever the file says */
	ho.max_body_bytes = (size_t)ctx->cfg.payload_request_size_mib * 1024u * 1024u;
	ho.workers = ctx->cfg.worker_count;
	ho.handler = kbs_http_handler;
	ho.handler_arg = ctx;
	ho.log = NULL; /* http.c logs each request itself, with more */
	int r = cc_httpd_new(&ho, ret, err);
	if (r == -EACCES && ctx->cfg.certificate == NULL)
		return cc_error_wrap(err, "a non-loopback address needs HTTPS: give a --config with "
		                          "[http_server] private_key and certificate");
	if (r == 0 && (r = cc_httpd_start(*ret, err)) < 0) {
		cc_httpd_free(*ret);
		*ret = NULL;
	}
	return r;
}

/* Serves until SIGTERM/SIGINT; sweeps sessions on the way. */
static void serve(kbs_ctx *ctx, const sigset_t *sigs)
{
	time_t next = time(NULL) + CC_KBS_SWEEP_INTERVAL_S;
	for (;;) {
		time_t now = time(NULL);
		struct timespec ts = {.tv_sec = next > now ? next - now : 0};
		int sig = sigtimedwait(sigs, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			cc_log_msg(ctx->log, CC_LOG_INFO, "event=shutdown signal=%s",
			           sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return;
		}
		if (sig < 0 && errno == EAGAIN) {
			cc_error *e = NULL;
			uint64_t removed = 0;
			if (kbs_ctx_sweep(ctx, &removed, &e) < 0)
				cc_log_msg(ctx->log, CC_LOG_WARN, "event=sweep error=\"%s\"",
				           cc_error_message(e));
			else if (removed > 0)
				cc_log_msg(ctx->log, CC_LOG_DEBUG, "event=sweep removed=%llu",
				           (unsigned long long)removed);
			cc_error_free(e);
			next = time(NULL) + CC_KBS_SWEEP_INTERVAL_S;
		}
	}
}

static void log_ready(kbs_ctx *ctx, cc_httpd *h)
{
	for (size_t i = 0; i < ctx->cfg.n_sockets; i++)
		cc_log_msg(ctx->log, CC_LOG_INFO, "event=listening socket=%s port=%u tls=%s state_dir=%s",
		           ctx->cfg.sockets[i], (unsigned)cc_httpd_port(h, i),
		           ctx->cfg.certificate != NULL ? "yes" : "no", ctx->state_dir);
}

static int run(const struct opts *o, cc_log *log)
{
	struct kbs_config cfg;
	kbs_ctx ctx;
	cc_error *err = NULL;
	cc_httpd *h = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.state_fd = -1;
	int r = load_config(o, &cfg, &err);
	if (r == 0)
		r = kbs_ctx_init(&ctx, &cfg, o->state_dir, log, &err);
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (r == 0)
		r = start_http(&ctx, &h, &err);
	if (r < 0) {
		char *m = cc_error_format(err);
		cc_log_msg(log, CC_LOG_ERROR, "cannot start: %s", m != NULL ? m : "out of memory");
		free(m);
		cc_error_free(err);
		kbs_config_free(&cfg);
		kbs_ctx_fini(&ctx);
		return 1;
	}
	if (ctx.cfg.admin_mode == KBS_ADMIN_ALLOW_ALL && !ctx.cfg.admin_from_state)
		cc_log_msg(log, CC_LOG_WARN, "event=config admin=InsecureAllowAll: the admin API is "
		                             "open to anyone (development only)");
	log_ready(&ctx, h);
	serve(&ctx, &sigs);
	if (cc_httpd_shutdown(h, CC_HTTPD_SHUTDOWN_GRACE_MS, &err) < 0) {
		cc_log_msg(log, CC_LOG_WARN, "event=shutdown error=\"%s\"", cc_error_message(err));
		cc_error_free(err);
	}
	cc_httpd_free(h);
	kbs_ctx_fini(&ctx);
	cc_log_msg(log, CC_LOG_INFO, "event=stopped");
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	int r = parse_args(argc, argv, &o);
	if (r != 0)
		return r == 1 ? 0 : 2;
	cc_log *log = cc_log_new("cocoon-kbs", o.level);
	r = run(&o, log);
	cc_log_free(log);
	return r;
}
