/* cocoon-aa: the attestation agent's thin main (docs/man/cocoon-aa.md):
 * guest-components' ttrpc-aa flags, the config, the TEE, init-data
 * binding, the unix socket; the service is aa.h's. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "aa.h"
#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "guest_attest.h"
#include "initdata/initdata.h"
#include "jose_util.h"
#include "platform.h"
#include "sample_attester.h"
#include "tpm.h"

#define CONFIG_MAX (1024u * 1024u)

static void usage(FILE *f)
{
	fputs("usage: cocoon-aa [-c|--config-file PATH] [--attestation_sock unix://PATH]\n"
	      "                 [-i|--initdata-digest BASE64] [-t|--initdata-toml PATH]\n"
	      "                 [--tee auto|sample|snp|tdx|tpm] [--eventlog-dir DIR]\n"
	      "The attestation agent's ttrpc service (attestation_agent.AttestationAgentService).\n"
	      "Default socket: " AA_DEFAULT_SOCK "\n",
	      f);
}

static int fail(const char *what, cc_error *err)
{
	fprintf(stderr, "cocoon-aa: %s%s%s\n", what, err ? ": " : "",
	        err ? cc_error_message(err) : "");
	cc_error_free(err);
	return 1;
}

static int make_attester(const char *tee, attest_attester **ret, cc_error **err)
{
	if (strcmp(tee, "auto") == 0)
		tee = platform_detect_host();
	if (strcmp(tee, "snp") == 0)
		return snp_attester_new(NULL, ret, err);
	if (strcmp(tee, "tdx") == 0)
		return tdx_attester_new(NULL, ret, err);
	if (strcmp(tee, "tpm") == 0)
		return tpm_attester_new(NULL, TPM_AK_HANDLE_DEFAULT, 0, ret, err);
	if (strcmp(tee, "sample") == 0)
		return sample_attester_new(ret, err);
	return cc_error_set(err, -ENOTSUP, "TEE %.32s: no attester in cocoon-aa", tee);
}

/* Binds init-data as ttrpc-aa does at start; the TOML wins over -i. */
static int bind_initdata(const char *tee, const char *toml_path, const char *digest_b64,
                         char **ret_toml, size_t *ret_toml_len, cc_error **err)
{
	unsigned char digest[CC_INITDATA_MAX_DIGEST];
	unsigned char *d = NULL;
	size_t n = 0;
	int r = 0;
	if (toml_path != NULL) {
		char *text = NULL;
		size_t len = 0;
		cc_initdata *doc = NULL;
		r = cc_read_file(toml_path, CC_INITDATA_MAX_TOML_BYTES, CC_READ_REGULAR, &text, &len, err);
		if (r >= 0)
			r = cc_initdata_parse(text, len, toml_path, &doc, err);
		if (r >= 0) {
			n = cc_initdata_digest(doc, digest);
			d = digest;
			*ret_toml = text;
			*ret_toml_len = len;
		} else {
			free(text);
		}
		cc_initdata_free(doc);
	} else if (digest_b64 != NULL) {
		r = cj_b64_decode(digest_b64, strlen(digest_b64), 64, &d, &n, "--initdata-digest", err);
	}
	if (r < 0 || (toml_path == NULL && digest_b64 == NULL))
		return r;
	r = guest_bind_init_data(tee, NULL, NULL, d, n, err);
	if (d != digest)
		free(d);
	if (r == 1)
		fprintf(stderr, "cocoon-aa: init-data: TEE %s has no binding, skipped\n", tee);
	return r < 0 ? r : 0;
}

static int listen_unix(const char *sock, int *ret_fd, cc_error **err)
{
	if (strncmp(sock, "unix://", 7) != 0)
		return cc_error_set(err, -EINVAL, "--attestation_sock %s: not unix://PATH", sock);
	const char *path = sock + 7;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
		return cc_error_set(err, -ENAMETOOLONG, "--attestation_sock %s: bad path", sock);
	memcpy(sa.sun_path, path, strlen(path));
	/* the directory made when missing, a stale socket removed (as ttrpc-aa) */
	char dir[sizeof(sa.sun_path)];
	memcpy(dir, path, strlen(path) + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return cc_error_set(err, -errno, "%s: %s", dir, strerror(errno));
		*p = '/';
	}
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cc_error_set(err, -errno, "socket: %s", strerror(errno));
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		return cc_error_set(err, r, "%s: %s", path, strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

struct stopper {
	ttrpc_server *server;
	sigset_t set;
};

static void *wait_signal(void *arg)
{
	struct stopper *s = arg;
	int sig = 0;
	sigwait(&s->set, &sig);
	ttrpc_server_shutdown(s->server, 5000, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	enum { OPT_SOCK = 256, OPT_TEE, OPT_EVDIR };
	static const struct option opts[] = {
	    {"config-file", required_argument, NULL, 'c'},
	    {"attestation_sock", required_argument, NULL, OPT_SOCK},
	    {"initdata-digest", required_argument, NULL, 'i'},
	    {"initdata-toml", required_argument, NULL, 't'},
	    {"tee", required_argument, NULL, OPT_TEE},
	    {"eventlog-dir", required_argument, NULL, OPT_EVDIR},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *sock = AA_DEFAULT_SOCK, *digest = NULL, *toml = NULL;
	const char *tee = "auto", *evdir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:i:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case OPT_SOCK: sock = optarg; break;
		case 'i': digest = optarg; break;
		case 't': toml = optarg; break;
		case OPT_TEE: tee = optarg; break;
		case OPT_EVDIR: evdir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cc_error *err = NULL;
	struct aa_config cfg = {.init_pcr = 17};
	if (config_path != NULL) {
		char *text = NULL;
		size_t len = 0;
		if (cc_read_file(config_path, CONFIG_MAX, CC_READ_REGULAR, &text, &len, &err) < 0 ||
		    aa_config_parse(text, len, config_path, &cfg, &err) < 0) {
			free(text);
			return fail("config", err);
		}
		free(text);
	}
	attest_attester *att = NULL;
	if (make_attester(tee, &att, &err) < 0) {
		aa_config_clear(&cfg);
		return fail("attester", err);
	}
	char *init_toml = NULL;
	size_t init_len = 0;
	if (bind_initdata(attest_attester_tee(att), toml, digest, &init_toml, &init_len, &err) < 0) {
		attest_attester_free(att);
		aa_config_clear(&cfg);
		return fail("init-data", err);
	}
	aa *a = NULL;
	struct aa_opts ao = {.config = &cfg, .attester = att, .init_data = init_toml,
	                     .init_data_len = init_len, .eventlog_dir = evdir};
	int r = aa_new(&ao, &a, &err);
	free(init_toml);
	aa_config_clear(&cfg);
	if (r < 0)
		return fail("start", err);
	struct stopper st = {0};
	sigemptyset(&st.set);
	sigaddset(&st.set, SIGTERM);
	sigaddset(&st.set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &st.set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int fd = -1;
	r = ttrpc_server_new(NULL, &st.server, &err);
	if (r >= 0)
		r = aa_register(a, st.server, &err);
	if (r >= 0)
		r = listen_unix(sock, &fd, &err);
	if (r < 0) {
		ttrpc_server_free(st.server);
		aa_free(a);
		return fail("start", err);
	}
	pthread_t tid;
	pthread_create(&tid, NULL, wait_signal, &st);
	fprintf(stderr, "cocoon-aa: listening on %s (tee %s)\n", sock, attest_attester_tee(att));
	r = ttrpc_server_serve_listener(st.server, fd, &err);
	if (r < 0)
		pthread_kill(tid, SIGTERM); /* wakes the sigwait */
	pthread_join(tid, NULL);
	close(fd);
	unlink(sock + 7);
	ttrpc_server_free(st.server);
	fprintf(stderr, "cocoon-aa: stopped (%lu RCARs)\n", aa_rcars(a));
	aa_free(a);
	return r < 0 ? fail("serve", err) : 0;
}
