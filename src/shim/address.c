/* Shim addresses, state directories and small file/socket helpers
 * (address.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "address.h"
#include "cocoon/buf.h"
#include "cocoon/cleanup.h"

char *shim_path_clean(const char *p)
{
	size_t n = strlen(p);
	if (n == 0)
		return strdup(".");
	bool rooted = p[0] == '/';
	char *out = malloc(n + 2);
	if (out == NULL)
		return NULL;
	size_t w = 0, dotdot = 0; /* dotdot: where ".." may back up to */
	if (rooted) {
		out[w++] = '/';
		dotdot = 1;
	}
	for (size_t r = 0; r < n;) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && p[r] != '/'; r++)
				out[w++] = p[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

char *shim_path_join(const char *const *elems, size_t n)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (elems[i] == NULL || elems[i][0] == '\0')
			continue;
		if ((any && cc_buf_addc(&b, '/') < 0) || cc_buf_adds(&b, elems[i]) < 0) {
			cc_buf_free(&b);
			return NULL;
		}
		any = true;
	}
	if (!any) {
		cc_buf_free(&b);
		return strdup("");
	}
	char *c = shim_path_clean(b.p);
	cc_buf_free(&b);
	return c;
}

void shim_sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

#define TASK_DIR "/io.containerd.runtime.v2.task/"

char *shim_run_root(const char *bundle)
{
	_cleanup_free_ char *b = bundle ? shim_path_clean(bundle) : NULL;
	if (b != NULL && b[0] == '/') {
		/* <root>/io.containerd.runtime.v2.task/<ns>/<id>: the last match,
		 * followed by exactly two components */
		char *hit = NULL;
		for (char *p = strstr(b, TASK_DIR); p; p = strstr(p + 1, TASK_DIR))
			hit = p;
		if (hit != NULL) {
			const char *rest = hit + strlen(TASK_DIR);
			const char *slash = strchr(rest, '/');
			if (slash != NULL && slash != rest && slash[1] != '\0' &&
			    strchr(slash + 1, '/') == NULL) {
				if (hit == b)
					return strdup("/");
				*hit = '\0';
				return strdup(b);
			}
		}
	}
	return strdup(SHIM_DEFAULT_RUN_ROOT);
}

static int socket_hash(const char *ctd_address, const char *ns, const char *id, char hex[65],
                       cc_error **err)
{
	const char *parts[] = {ctd_address, ns, id};
	_cleanup_free_ char *j = shim_path_join(parts, 3);
	if (j == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	shim_sha256_hex(j, hex);
	return 0;
}

int shim_socket_address(const char *run_root, const char *ctd_address, const char *ns,
                        const char *id, char **ret, cc_error **err)
{
	char hex[65];
	int r = socket_hash(ctd_address, ns, id, hex, err);
	if (r < 0)
		return r;
	cc_buf b;
	cc_buf_init(&b, 0);
	r = cc_buf_printf(&b, "unix://%s/s/%s", strcmp(run_root, "/") == 0 ? "" : run_root, hex);
	if (r == 0 && b.len - strlen("unix://") > SHIM_SOCKET_PATH_MAX) {
		b.len = 0;
		r = cc_buf_printf(&b, "unix://%s/s/%s", SHIM_DEFAULT_RUN_ROOT, hex);
	}
	char *s = r == 0 ? cc_buf_steal(&b, NULL) : NULL;
	cc_buf_free(&b);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
}

const char *shim_address_path(const char *address)
{
	if (address == NULL || strncmp(address, "unix://", 7) != 0 || address[7] != '/')
		return NULL;
	return address + 7;
}

int shim_state_dir(const char *run_root, const char *ctd_address, const char *ns,
                   const char *sandbox_id, char **ret, cc_error **err)
{
	char hex[65];
	int r = socket_hash(ctd_address, ns, sandbox_id, hex, err);
	if (r < 0)
		return r;
	hex[32] = '\0';
	cc_buf b;
	cc_buf_init(&b, 0);
	r = cc_buf_printf(&b, "%s/cocoon/%s", strcmp(run_root, "/") == 0 ? "" : run_root, hex);
	char *s = r == 0 ? cc_buf_steal(&b, NULL) : NULL;
	cc_buf_free(&b);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int shim_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           cc_error **err)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
	cc_buf tmp;
	cc_buf_init(&tmp, 0);
	if (cc_buf_add(&tmp, path, dl) < 0 || cc_buf_printf(&tmp, ".%s", path + dl) < 0) {
		cc_buf_free(&tmp);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	int r = 0;
	(void)unlink(tmp.p); /* a leftover of an earlier crash */
	int fd = open(tmp.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		r = cc_error_set(err, -errno, "%s: %s", tmp.p, strerror(errno));
	} else {
		if ((r = write_all(fd, data, len)) == 0 && fsync(fd) < 0)
			r = -errno;
		close(fd);
		if (r == 0 && rename(tmp.p, path) < 0)
			r = -errno;
		if (r < 0) {
			cc_error_set(err, r, "writing %s: %s", path, strerror(-r));
			(void)unlink(tmp.p);
		}
	}
	cc_buf_free(&tmp);
	return r;
}

int shim_read_small_file(const char *path, size_t max, char **ret, size_t *ret_len,
                         cc_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	cc_buf b;
	cc_buf_init(&b, max);
	char chunk[8192];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			cc_buf_free(&b);
			return cc_error_set(err, -e, "%s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		if (cc_buf_add(&b, chunk, (size_t)n) < 0) {
			cc_buf_free(&b);
			return cc_error_set(err, -EFBIG, "%s: larger than %zu bytes", path, max);
		}
	}
	size_t len;
	char *s = cc_buf_steal(&b, &len);
	cc_buf_free(&b);
	if (s == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int fill_sun(const char *path, struct sockaddr_un *sa, cc_error **err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n >= sizeof(sa->sun_path))
		return cc_error_set(err, -ENAMETOOLONG, "socket path %s is longer than %zu bytes", path,
		                    sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path, path, n);
	return 0;
}

int shim_listen_unix(const char *path, int *ret_fd, cc_error **err)
{
	struct sockaddr_un sa;
	int r = fill_sun(path, &sa, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = strdup(path);
	if (dir == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0711) < 0 && errno != EEXIST)
			return cc_error_set(err, -errno, "mkdir %s: %s", dir, strerror(errno));
	}
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cc_error_set(err, -errno, "socket: %s", strerror(errno));
	/* the socket is created 0600 (umask), then chmod'ed as containerd does */
	mode_t old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (r < 0)
		return cc_error_set(err, -e, "bind %s: %s", path, strerror(e));
	if (chmod(path, 0600) < 0 || listen(fd, 128) < 0) {
		e = errno;
		(void)unlink(path);
		return cc_error_set(err, -e, "listen %s: %s", path, strerror(e));
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int shim_connect_unix(const char *path, int *ret_fd, cc_error **err)
{
	struct sockaddr_un sa;
	int r = fill_sun(path, &sa, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cc_error_set(err, -errno, "socket: %s", strerror(errno));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		return cc_error_set(err, -errno, "connect %s: %s", path, strerror(errno));
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

bool shim_can_connect(const char *address)
{
	const char *path = shim_address_path(address);
	int fd = -1;
	if (path == NULL || shim_connect_unix(path, &fd, NULL) < 0)
		return false;
	close(fd);
	return true;
}

unsigned long long shim_proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the command name is in parentheses and may contain anything: count
	 * fields from the last ')' (field 2 ends there; starttime is 22) */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	int field = 2;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}
