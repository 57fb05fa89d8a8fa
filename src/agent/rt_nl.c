/* rtnetlink client (rt_nl.h), after rtnetlink(7) and netlink(7). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cocoon/limits.h"
#include "rt_nl.h"

#define NL_RECV_BUF 32768

struct rt_nl {
	int fd;
	uint32_t seq;
	uint32_t pid; /* our port id */
};

int rt_nl_open(rt_nl **ret, cc_error **err)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return cc_error_set(err, -errno, "netlink socket: %s", strerror(errno));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	socklen_t sl = sizeof(sa);
	struct timeval tv = {.tv_sec = 5};
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		int e = errno;
		close(fd);
		return cc_error_set(err, -e, "netlink bind: %s", strerror(e));
	}
	rt_nl *nl = calloc(1, sizeof(*nl));
	if (nl == NULL) {
		close(fd);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	nl->fd = fd;
	nl->pid = sa.nl_pid;
	nl->seq = 1;
	*ret = nl;
	return 0;
}

void rt_nl_close(rt_nl *nl)
{
	if (nl == NULL)
		return;
	close(nl->fd);
	free(nl);
}

/* ---- building ------------------------------------------------------------------------ */

void rt_nlmsg_init(struct rt_nlmsg *m, uint16_t type, uint16_t flags, const void *hdr,
                   size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->u.h.nlmsg_type = type;
	m->u.h.nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
	m->u.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
	memcpy(NLMSG_DATA(&m->u.h), hdr, hdrlen);
}

void rt_nlmsg_attr(struct rt_nlmsg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->u.h.nlmsg_len);
	size_t need = RTA_SPACE(len);
	if (len > 0xffff || need > sizeof(m->u.buf) - off) {
		m->overflow = true;
		return;
	}
	struct rtattr *a = (struct rtattr *)(m->u.buf + off);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->u.h.nlmsg_len = (uint32_t)(off + need);
}

struct rtattr *rt_nlmsg_nest(struct rt_nlmsg *m, uint16_t type)
{
	size_t off = NLMSG_ALIGN(m->u.h.nlmsg_len);
	rt_nlmsg_attr(m, type, NULL, 0);
	return m->overflow ? NULL : (struct rtattr *)(m->u.buf + off);
}

void rt_nlmsg_nest_end(struct rt_nlmsg *m, struct rtattr *nest)
{
	if (nest)
		nest->rta_len = (unsigned short)(m->u.buf + m->u.h.nlmsg_len - (char *)nest);
}

void rt_nl_attrs(const void *data, size_t len, const struct rtattr **tb, unsigned max)
{
	memset(tb, 0, (max + 1) * sizeof(*tb));
	const struct rtattr *a = data;
	int left = len > (size_t)0x7fffffff ? 0x7fffffff : (int)len;
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type <= max)
			tb[a->rta_type] = a;
}

/* ---- talking ------------------------------------------------------------------------- */

static int send_msg(rt_nl *nl, struct rt_nlmsg *m, cc_error **err)
{
	if (m->overflow)
		return cc_error_set(err, -E2BIG, "netlink request too large");
	m->u.h.nlmsg_seq = ++nl->seq;
	m->u.h.nlmsg_pid = 0;
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	ssize_t n;
	do
		n = sendto(nl->fd, m->u.buf, m->u.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cc_error_set(err, -errno, "netlink send: %s", strerror(errno));
	return 0;
}

/* Receives one datagram into buf; its length, or -errno. */
static ssize_t recv_dgram(rt_nl *nl, char *buf, size_t cap, cc_error **err)
{
	struct sockaddr_nl from;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
	                     .msg_iovlen = 1};
	ssize_t n;
	do
		n = recvmsg(nl->fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cc_error_set(err, -errno, "netlink receive: %s", strerror(errno));
	if (msg.msg_flags & MSG_TRUNC)
		return cc_error_set(err, -EMSGSIZE, "netlink message truncated");
	if (from.nl_pid != 0)
		return 0; /* not from the kernel: ignored */
	return n;
}

/* The errno of an NLMSG_ERROR message (0 = ACK); -EBADMSG if too short. */
static int error_of(const struct nlmsghdr *h)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return -EBADMSG;
	const struct nlmsgerr *e = NLMSG_DATA(h);
	return e->error > 0 ? -e->error : e->error;
}

/* Reads answers to the current sequence number: cb for each message of
 * type want (when cb is set), until an ACK/error (talk) or NLMSG_DONE. */
static int read_answers(rt_nl *nl, uint16_t want, rt_nl_cb cb, void *ctx, cc_error **err)
{
	char *buf = malloc(NL_RECV_BUF);
	if (buf == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	size_t total = 0;
	int rc = 1;
	while (rc > 0) {
		ssize_t n = recv_dgram(nl, buf, NL_RECV_BUF, err);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		total += (size_t)n;
		if (total > CC_AGENT_MAX_NL_DUMP_BYTES) {
			rc = cc_error_set(err, -E2BIG, "netlink dump larger than %u bytes",
			                  CC_AGENT_MAX_NL_DUMP_BYTES);
			break;
		}
		for (size_t off = 0; rc > 0 && off < (size_t)n &&
		                     (size_t)n - off >= sizeof(struct nlmsghdr);) {
			const struct nlmsghdr *h = (const void *)(buf + off);
			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > (size_t)n - off)
				break;
			off += NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_seq != nl->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				rc = error_of(h);
			} else if (cb && h->nlmsg_type == want) {
				int r = cb(h, ctx);
				rc = r < 0 ? r : 1;
			}
		}
	}
	free(buf);
	if (rc < 0 && err && *err == NULL)
		cc_error_set(err, rc, "netlink: %s", strerror(-rc));
	return rc;
}

int rt_nl_talk(rt_nl *nl, struct rt_nlmsg *m, cc_error **err)
{
	m->u.h.nlmsg_flags |= NLM_F_ACK;
	int rc = send_msg(nl, m, err);
	return rc < 0 ? rc : read_answers(nl, 0, NULL, NULL, err);
}

int rt_nl_dump(rt_nl *nl, struct rt_nlmsg *m, uint16_t want, rt_nl_cb cb, void *ctx,
               cc_error **err)
{
	m->u.h.nlmsg_flags |= NLM_F_DUMP;
	int rc = send_msg(nl, m, err);
	return rc < 0 ? rc : read_answers(nl, want, cb, ctx, err);
}
