/* Listening addresses: "IPv4:port" / "[IPv6]:port" literals (Trustee's
 * `sockets`), the loopback test that gates plain HTTP, and the sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "httpd_int.h"

static int parse_port(const char *s, uint16_t *ret)
{
	size_t n = strlen(s);
	if (n == 0 || n > 5)
		return -EINVAL;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int httpd_addr_parse(const char *s, struct httpd_addr *ret, cc_error **err)
{
	struct httpd_addr a;
	memset(&a, 0, sizeof(a));
	size_t n = strlen(s);
	if (n >= sizeof(a.text))
		return cc_error_set(err, -EINVAL, "socket \"%.64s...\": too long", s);
	memcpy(a.text, s, n + 1);
	char host[64];
	const char *port;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		size_t hn = (size_t)(close - s - 1);
		memcpy(host, s + 1, hn);
		host[hn] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			goto bad;
		size_t hn = (size_t)(colon - s);
		memcpy(host, s, hn);
		host[hn] = '\0';
		port = colon + 1;
	}
	uint16_t p;
	if (parse_port(port, &p) < 0)
		goto bad;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a.ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.ss;
	if (s[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(p);
		a.len = sizeof(*in4);
	} else if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		a.len = sizeof(*in6);
	} else {
		goto bad;
	}
	*ret = a;
	return 0;
bad:
	return cc_error_set(err, -EINVAL,
	                    "socket \"%s\": expected IPv4:port or [IPv6]:port (numeric address, "
	                    "port 0-65535)",
	                    s);
}

bool httpd_addr_is_loopback(const struct httpd_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a->ss;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
	const uint8_t *b = in6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
}

static int new_socket(const struct httpd_addr *a, bool reuseport, int *ret, cc_error **err)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cc_error_set(err, -errno, "socket %s: %s", a->text, strerror(errno));
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    (a->ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)) {
		int e = errno;
		close(fd);
		return cc_error_set(err, -e, "socket %s: setsockopt: %s", a->text, strerror(e));
	}
	*ret = fd;
	return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int bind_to(int fd, const struct httpd_addr *a, uint16_t port, cc_error **err)
{
	struct sockaddr_storage ss = a->ss;
	set_port(&ss, port);
	if (bind(fd, (struct sockaddr *)&ss, a->len) < 0)
		return cc_error_set(err, -errno, "socket %s: bind: %s", a->text, strerror(errno));
	return 0;
}

/* Fails with -EADDRINUSE if something listens on a:port already, even
 * with SO_REUSEPORT (which would otherwise let our bind succeed). */
static int check_free(const struct httpd_addr *a, uint16_t port, cc_error **err)
{
	int fd;
	int r = new_socket(a, false, &fd, err);
	if (r == 0)
		r = bind_to(fd, a, port, err);
	if (r == 0)
		close(fd);
	return r;
}

int httpd_listen(const struct httpd_addr *a, uint16_t port, bool exclusive, int *ret_fd,
                 uint16_t *ret_port, cc_error **err)
{
	int fd, r;
	if (exclusive && port != 0 && (r = check_free(a, port, err)) < 0)
		return r;
	if ((r = new_socket(a, true, &fd, err)) < 0)
		return r;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if ((r = bind_to(fd, a, port, err)) == 0 && listen(fd, SOMAXCONN) < 0)
		r = cc_error_set(err, -errno, "socket %s: listen: %s", a->text, strerror(errno));
	if (r == 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		r = cc_error_set(err, -errno, "socket %s: getsockname: %s", a->text, strerror(errno));
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                          : ((struct sockaddr_in6 *)&ss)->sin6_port);
	*ret_fd = fd;
	return 0;
}
