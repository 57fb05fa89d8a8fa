/* A small rtnetlink client (rt_nl.c) for the agent's network calls
 * (rt_net.c): build a request with attributes, send it and read the ACK,
 * or read a dump message by message. Every message and attribute from the
 * kernel is length-checked before it is used; a dump is capped at
 * CC_AGENT_MAX_NL_DUMP_BYTES. The socket belongs to the network namespace
 * of the thread that opens it. */
#ifndef COCOON_AGENT_RT_NL_H
#define COCOON_AGENT_RT_NL_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

typedef struct rt_nl rt_nl;

int rt_nl_open(rt_nl **ret, cc_error **err);
/* NULL is a no-op. */
void rt_nl_close(rt_nl *nl);

/* A request under construction. */
struct rt_nlmsg {
	union {
		struct nlmsghdr h;
		char buf[4096];
	} u;
	bool overflow;
};

/* Starts a request of type with flags (NLM_F_REQUEST is added) and the
 * family header hdr (hdrlen bytes). */
void rt_nlmsg_init(struct rt_nlmsg *m, uint16_t type, uint16_t flags, const void *hdr,
                   size_t hdrlen);
/* Appends an attribute; a message that overflows fails when sent. */
void rt_nlmsg_attr(struct rt_nlmsg *m, uint16_t type, const void *data, size_t len);
/* Opens a nested attribute; close it with rt_nlmsg_nest_end(). */
struct rtattr *rt_nlmsg_nest(struct rt_nlmsg *m, uint16_t type);
void rt_nlmsg_nest_end(struct rt_nlmsg *m, struct rtattr *nest);

/* Sends m with NLM_F_ACK and returns the kernel's answer (0 or -errno). */
int rt_nl_talk(rt_nl *nl, struct rt_nlmsg *m, cc_error **err);

/* Sends m as a dump and calls cb for every message of type want until
 * NLMSG_DONE; a negative return of cb stops and is returned. */
typedef int (*rt_nl_cb)(const struct nlmsghdr *h, void *ctx);
int rt_nl_dump(rt_nl *nl, struct rt_nlmsg *m, uint16_t want, rt_nl_cb cb, void *ctx,
               cc_error **err);

/* Indexes the attributes in (data, len) by type into tb[0..max] (later
 * duplicates win; unknown types above max are skipped). */
void rt_nl_attrs(const void *data, size_t len, const struct rtattr **tb, unsigned max);

#endif
