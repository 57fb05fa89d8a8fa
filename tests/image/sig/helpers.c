/* Test helpers (helpers.h). */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cocoon/buf.h"
#include "util.h"

extern char **environ;

static void die(const char *what)
{
	fprintf(stderr, "test helper: %s: %s\n", what, strerror(errno));
	abort();
}

const char *data_path(const char *rel)
{
	static char buf[4096];
	const char *dir = getenv("SIG_TEST_DATA");
	snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : "tests/image/sig/data", rel);
	return buf;
}

char *slurp(const char *path, size_t *len)
{
	void *p = NULL;
	size_t n = 0;
	cc_error *err = NULL;
	if (sig_read_file(path, 64u << 20, &p, &n, &err) < 0) {
		fprintf(stderr, "slurp: %s\n", cc_error_message(err));
		abort();
	}
	if (len != NULL)
		*len = n;
	return p;
}

static void mkdir_p(const char *path)
{
	char *p = xasprintf("%s", path);
	for (char *s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			die(p);
		*s = '/';
	}
	free(p);
}

void spit(const char *path, const void *p, size_t n)
{
	mkdir_p(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n))
		die(path);
	close(fd);
}

void spits(const char *path, const char *s)
{
	spit(path, s, strlen(s));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("vasprintf");
	va_end(ap);
	return s;
}

char *make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *d = xasprintf("%s/cocoon-sig-test-XXXXXX", t ? t : "/tmp");
	if (mkdtemp(d) == NULL)
		die("mkdtemp");
	return d;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- processes ---------------------------------------------------------- */

static char **merged_env(char *const env[])
{
	size_t n = 0, m = 0;
	while (environ[n] != NULL)
		n++;
	while (env != NULL && env[m] != NULL)
		m++;
	char **e = calloc(n + m + 1, sizeof(char *));
	if (e == NULL)
		die("calloc");
	size_t k = 0;
	for (size_t i = 0; i < m; i++)
		e[k++] = env[i];
	for (size_t i = 0; i < n; i++) {
		bool overridden = false;
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
		for (size_t j = 0; j < m && !overridden; j++)
			overridden = strncmp(env[j], environ[i], len) == 0;
		if (!overridden)
			e[k++] = environ[i];
	}
	return e;
}

static pid_t spawn(char *const argv[], char *const env[], int out_fd, int err_fd)
{
	char **e = merged_env(env);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(err_fd >= 0 ? err_fd : null, 2);
		setpgid(0, 0);
		execvpe(argv[0], argv, e);
		_exit(127);
	}
	free(e);
	return pid;
}

/* Reads what is ready on fd into b; false at EOF. */
static bool drain(int fd, cc_buf *b)
{
	char tmp[4096];
	ssize_t k = read(fd, tmp, sizeof(tmp));
	if (k > 0 && cc_buf_add(b, tmp, (size_t)k) < 0)
		die("output too large");
	return k > 0 || (k < 0 && errno == EINTR);
}

int run(char *const argv[], char *const env[], int timeout_s, char **out, char **errout)
{
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		die("pipe");
	pid_t pid = spawn(argv, env, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	cc_buf bo, be;
	cc_buf_init(&bo, 64u << 20);
	cc_buf_init(&be, 64u << 20);
	struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	time_t deadline = time(NULL) + timeout_s;
	int open_fds = 2;
	while (open_fds > 0 && time(NULL) < deadline) {
		if (poll(fds, 2, 200) < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (!drain(fds[i].fd, i == 0 ? &bo : &be)) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	if (open_fds > 0) {
		fprintf(stderr, "run: %s timed out after %d s\n", argv[0], timeout_s);
		kill(-pid, SIGKILL);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	char *o = cc_buf_steal(&bo, NULL), *e = cc_buf_steal(&be, NULL);
	if (out != NULL)
		*out = o;
	else
		free(o);
	if (errout != NULL)
		*errout = e;
	else
		free(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *run_ok(char *const argv[], char *const env[])
{
	char *out = NULL, *err = NULL;
	int st = run(argv, env, 60, &out, &err);
	if (st != 0) {
		fprintf(stderr, "run_ok: %s", argv[0]);
		for (size_t i = 1; argv[i] != NULL; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\nexit %d\nstdout: %s\nstderr: %s\n", st, out, err);
		abort();
	}
	free(err);
	return out;
}

pid_t start_bg(char *const argv[], char *const env[], const char *logfile)
{
	int fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(logfile);
	pid_t pid = spawn(argv, env, fd, fd);
	close(fd);
	return pid;
}

void stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 40; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		die("free_port");
	close(s);
	return ntohs(a.sin_port);
}

bool wait_port(int port, pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = {.sin_family = AF_INET,
		                        .sin_port = htons((uint16_t)port),
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(s);
		if (ok)
			return true;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		usleep(50 * 1000);
	}
	return false;
}

bool have_program(const char *name)
{
	const char *path = getenv("PATH");
	char *copy = xasprintf("%s", path ? path : "/usr/bin:/bin");
	bool found = false;
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", d, name);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

int kbc_get_resource(void *ctx, const char *uri, size_t max, void **ret, size_t *ret_len,
                     cc_error **err)
{
	if (strncmp(uri, "kbs:///", 7) != 0)
		return cc_error_set(err, -ENOENT, "not a kbs:/// URI");
	json_t *j = json_load_file(ctx, JSON_REJECT_DUPLICATES, NULL);
	json_t *v = json_object_get(j, uri + 7);
	int r = 0;
	if (!json_is_string(v)) {
		r = cc_error_set(err, -ENOENT, "no resource %s", uri + 7);
	} else {
		unsigned char *p = NULL;
		size_t n = 0;
		r = sig_b64_decode(json_string_value(v), json_string_length(v), uri, &p, &n, err);
		if (r == 0 && n > max) {
			free(p);
			r = cc_error_set(err, -EFBIG, "too large");
		} else if (r == 0) {
			*ret = p;
			*ret_len = n;
		}
	}
	json_decref(j);
	return r;
}

void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int check_image(const char *policy, const char *registries, const struct sig_image *img,
                const struct sig_callbacks *cb, void *ctx, char **msg)
{
	sig_policy *p = NULL;
	sig_lookaside *l = NULL;
	cc_error *err = NULL;
	if (sig_policy_load(policy, strlen(policy), &p, &err) < 0 ||
	    (registries != NULL && ((l = sig_lookaside_new()) == NULL ||
	                            sig_lookaside_add(l, "registries.yaml", registries,
	                                              strlen(registries), &err) < 0))) {
		fprintf(stderr, "check_image: %s\n", cc_error_message(err));
		abort();
	}
	sig_report *rep = NULL;
	int r = sig_policy_check(p, l, img, cb, ctx, &rep, &err);
	if (r < 0) {
		*msg = xasprintf("%s", cc_error_message(err));
	} else {
		cc_buf b;
		cc_buf_init(&b, 1u << 20);
		cc_buf_printf(&b, "%s", sig_report_scope(rep));
		for (size_t i = 0; i < sig_report_count(rep); i++)
			cc_buf_printf(&b, " | %s: %s", sig_report_type(rep, i), sig_report_detail(rep, i));
		*msg = cc_buf_steal(&b, NULL);
	}
	sig_report_free(rep);
	cc_error_free(err);
	sig_lookaside_free(l);
	sig_policy_free(p);
	return r;
}

bool has_all(const char *s, const char *const *want)
{
	for (size_t i = 0; want != NULL && want[i] != NULL; i++) {
		if (strstr(s, want[i]) == NULL) {
			fprintf(stderr, "has_all: \"%s\"\n  lacks \"%s\"\n", s, want[i]);
			return false;
		}
	}
	return true;
}
