/* Network calls (runtime.h) over rtnetlink (rt_nl.c), as Kata's
 * netlink.rs does them:
 *
 *   ListInterfaces   every link with its addresses (mask = prefix length)
 *   UpdateInterface  the link with the request's hwAddr (else its name):
 *                    down, renamed and given the MTU, every address
 *                    replaced by the request's, NOARP from raw_flags, up;
 *                    returns the link as it now is
 *   ListRoutes       the main table's unicast routes, IPv4 and IPv6
 *   UpdateRoutes     the main table's routes not made by the kernel are
 *                    deleted (IPv6 link-local ones kept), the request's are
 *                    added (routes without a gateway first); returns the
 *                    routes as they now are
 *
 * The calls act on the network namespace of the calling thread. When the
 * agent is not in a guest (tests), changes are refused in the namespace of
 * PID 1 (or of the agent's parent where PID 1's cannot be read), so a test
 * can only ever change a namespace it made itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_int.h"
#include "rt_nl.h"

struct link {
	int index;
	unsigned flags, mtu;
	char name[IFNAMSIZ];
	char kind[32];
	uint8_t mac[32];
	size_t maclen;
};

struct addr {
	int index, family;
	unsigned prefix;
	uint8_t bin[16];
};

struct route {
	int family;
	unsigned dst_len, scope, protocol, table, type;
	int oif;
	bool has_dst, has_gw, has_src;
	uint8_t dst[16], gw[16], src[16];
};

struct nlstate {
	struct link *links;
	size_t nlinks;
	struct addr *addrs;
	size_t naddrs;
	struct route *routes;
	size_t nroutes;
};

static void state_clear(struct nlstate *s)
{
	free(s->links);
	free(s->addrs);
	free(s->routes);
	memset(s, 0, sizeof(*s));
}

static size_t alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* ---- dumps ------------------------------------------------------------------------------ */

static int on_link(const struct nlmsghdr *h, void *ctx)
{
	struct nlstate *s = ctx;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	if (s->nlinks >= CC_AGENT_MAX_LINKS)
		return -E2BIG;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	rt_nl_attrs(IFLA_RTA(ifi), IFLA_PAYLOAD(h), tb, IFLA_MAX);
	struct link l = {.index = ifi->ifi_index, .flags = ifi->ifi_flags};
	if (tb[IFLA_IFNAME]) {
		size_t n = RTA_PAYLOAD(tb[IFLA_IFNAME]);
		snprintf(l.name, sizeof(l.name), "%.*s", (int)(n < IFNAMSIZ ? n : IFNAMSIZ - 1),
		         (const char *)RTA_DATA(tb[IFLA_IFNAME]));
	}
	if (tb[IFLA_MTU] && RTA_PAYLOAD(tb[IFLA_MTU]) >= 4)
		memcpy(&l.mtu, RTA_DATA(tb[IFLA_MTU]), 4);
	if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) <= sizeof(l.mac)) {
		l.maclen = RTA_PAYLOAD(tb[IFLA_ADDRESS]);
		memcpy(l.mac, RTA_DATA(tb[IFLA_ADDRESS]), l.maclen);
	}
	if (tb[IFLA_LINKINFO]) {
		rt_nl_attrs(RTA_DATA(tb[IFLA_LINKINFO]), RTA_PAYLOAD(tb[IFLA_LINKINFO]), li,
		            IFLA_INFO_MAX);
		if (li[IFLA_INFO_KIND]) {
			size_t n = RTA_PAYLOAD(li[IFLA_INFO_KIND]);
			snprintf(l.kind, sizeof(l.kind), "%.*s", (int)(n < 31 ? n : 31),
			         (const char *)RTA_DATA(li[IFLA_INFO_KIND]));
		}
	}
	struct link *nv = realloc(s->links, (s->nlinks + 1) * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	s->links = nv;
	s->links[s->nlinks++] = l;
	return 0;
}

static int on_addr(const struct nlmsghdr *h, void *ctx)
{
	struct nlstate *s = ctx;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return -EBADMSG;
	if (s->naddrs >= CC_AGENT_MAX_LINKS * 16u)
		return -E2BIG;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	const struct rtattr *tb[IFA_MAX + 1];
	rt_nl_attrs(IFA_RTA(ifa), IFA_PAYLOAD(h), tb, IFA_MAX);
	const struct rtattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a == NULL || RTA_PAYLOAD(a) != alen(ifa->ifa_family))
		return 0;
	struct addr ad = {.index = (int)ifa->ifa_index, .family = ifa->ifa_family,
	                  .prefix = ifa->ifa_prefixlen};
	memcpy(ad.bin, RTA_DATA(a), alen(ad.family));
	struct addr *nv = realloc(s->addrs, (s->naddrs + 1) * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	s->addrs = nv;
	s->addrs[s->naddrs++] = ad;
	return 0;
}

static void attr_copy(const struct rtattr *a, int family, uint8_t *out, bool *has)
{
	if (a && RTA_PAYLOAD(a) == alen(family)) {
		memcpy(out, RTA_DATA(a), alen(family));
		*has = true;
	}
}

static int on_route(const struct nlmsghdr *h, void *ctx)
{
	struct nlstate *s = ctx;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return -EBADMSG;
	if (s->nroutes >= CC_AGENT_MAX_ROUTES)
		return -E2BIG;
	const struct rtmsg *rm = NLMSG_DATA(h);
	if (rm->rtm_family != AF_INET && rm->rtm_family != AF_INET6)
		return 0;
	const struct rtattr *tb[RTA_MAX + 1];
	rt_nl_attrs(RTM_RTA(rm), RTM_PAYLOAD(h), tb, RTA_MAX);
	struct route r = {.family = rm->rtm_family, .dst_len = rm->rtm_dst_len,
	                  .scope = rm->rtm_scope, .protocol = rm->rtm_protocol,
	                  .table = rm->rtm_table, .type = rm->rtm_type};
	if (tb[RTA_TABLE] && RTA_PAYLOAD(tb[RTA_TABLE]) >= 4)
		memcpy(&r.table, RTA_DATA(tb[RTA_TABLE]), 4);
	if (r.table != RT_TABLE_MAIN || r.type != RTN_UNICAST || (rm->rtm_flags & RTM_F_CLONED))
		return 0;
	if (tb[RTA_OIF] && RTA_PAYLOAD(tb[RTA_OIF]) >= 4)
		memcpy(&r.oif, RTA_DATA(tb[RTA_OIF]), 4);
	attr_copy(tb[RTA_DST], r.family, r.dst, &r.has_dst);
	attr_copy(tb[RTA_GATEWAY], r.family, r.gw, &r.has_gw);
	attr_copy(tb[RTA_PREFSRC], r.family, r.src, &r.has_src);
	struct route *nv = realloc(s->routes, (s->nroutes + 1) * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	s->routes = nv;
	s->routes[s->nroutes++] = r;
	return 0;
}

static int dump_links(rt_nl *nl, struct nlstate *s, cc_error **err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct rt_nlmsg m;
	rt_nlmsg_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	return rt_nl_dump(nl, &m, RTM_NEWLINK, on_link, s, err);
}

static int dump_addrs(rt_nl *nl, struct nlstate *s, cc_error **err)
{
	struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
	struct rt_nlmsg m;
	rt_nlmsg_init(&m, RTM_GETADDR, 0, &ifa, sizeof(ifa));
	return rt_nl_dump(nl, &m, RTM_NEWADDR, on_addr, s, err);
}

static int dump_routes(rt_nl *nl, struct nlstate *s, cc_error **err)
{
	struct rtmsg rm = {.rtm_family = AF_UNSPEC};
	struct rt_nlmsg m;
	rt_nlmsg_init(&m, RTM_GETROUTE, 0, &rm, sizeof(rm));
	return rt_nl_dump(nl, &m, RTM_NEWROUTE, on_route, s, err);
}

static const struct link *link_by_index(const struct nlstate *s, int index)
{
	for (size_t i = 0; i < s->nlinks; i++)
		if (s->links[i].index == index)
			return &s->links[i];
	return NULL;
}

static const struct link *link_by_name(const struct nlstate *s, const char *name)
{
	for (size_t i = 0; name && *name && i < s->nlinks; i++)
		if (strcmp(s->links[i].name, name) == 0)
			return &s->links[i];
	return NULL;
}

/* ---- messages --------------------------------------------------------------------------- */

static char *ip_text(int family, const uint8_t *bin)
{
	char buf[INET6_ADDRSTRLEN];
	if (inet_ntop(family, bin, buf, sizeof(buf)) == NULL)
		buf[0] = '\0';
	return strdup(buf);
}

static char *mac_text(const struct link *l)
{
	char buf[3 * sizeof(l->mac) + 1] = "";
	size_t n = 0;
	for (size_t i = 0; i < l->maclen; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%02x", i ? ":" : "", l->mac[i]);
	return strdup(buf);
}

static Types__Interface *iface_msg(const struct nlstate *s, const struct link *l)
{
	Types__Interface *m = malloc(sizeof(*m));
	if (m == NULL)
		return NULL;
	types__interface__init(m);
	m->device = strdup(l->name);
	m->name = strdup(l->name);
	m->hwaddr = mac_text(l);
	m->type = strdup(l->kind);
	m->mtu = l->mtu;
	m->raw_flags = l->flags;
	bool bad = !m->device || !m->name || !m->hwaddr || !m->type;
	size_t n = 0;
	for (size_t i = 0; i < s->naddrs; i++)
		n += s->addrs[i].index == l->index;
	m->ipaddresses = calloc(n + 1, sizeof(*m->ipaddresses));
	bad |= m->ipaddresses == NULL;
	for (size_t i = 0; !bad && i < s->naddrs; i++) {
		const struct addr *a = &s->addrs[i];
		if (a->index != l->index)
			continue;
		Types__IPAddress *ip = malloc(sizeof(*ip));
		if (ip == NULL) {
			bad = true;
			break;
		}
		types__ipaddress__init(ip);
		m->ipaddresses[m->n_ipaddresses++] = ip;
		ip->family = a->family == AF_INET6 ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
		ip->address = ip_text(a->family, a->bin);
		char mask[8];
		snprintf(mask, sizeof(mask), "%u", a->prefix);
		ip->mask = strdup(mask);
		bad |= !ip->address || !ip->mask;
	}
	if (bad) {
		protobuf_c_message_free_unpacked(&m->base, NULL);
		return NULL;
	}
	return m;
}

static Types__Route *route_msg(const struct nlstate *s, const struct route *r)
{
	Types__Route *m = malloc(sizeof(*m));
	if (m == NULL)
		return NULL;
	types__route__init(m);
	bool bad = false;
	if (r->has_dst && r->dst_len) {
		char buf[INET6_ADDRSTRLEN + 8];
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(r->family, r->dst, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s/%u", ip, r->dst_len);
		bad |= (m->dest = strdup(buf)) == NULL;
	}
	if (r->has_gw)
		bad |= (m->gateway = ip_text(r->family, r->gw)) == NULL;
	if (r->has_src)
		bad |= (m->source = ip_text(r->family, r->src)) == NULL;
	const struct link *l = link_by_index(s, r->oif);
	if (l)
		bad |= (m->device = strdup(l->name)) == NULL;
	m->scope = r->scope;
	m->family = r->family == AF_INET6 ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
	if (bad) {
		protobuf_c_message_free_unpacked(&m->base, NULL);
		return NULL;
	}
	return m;
}

/* ---- list ------------------------------------------------------------------------------- */

static int read_state(struct nlstate *s, bool routes, cc_error **err)
{
	rt_nl *nl;
	int rc = rt_nl_open(&nl, err);
	if (rc < 0)
		return rc;
	rc = dump_links(nl, s, err);
	if (rc == 0)
		rc = dump_addrs(nl, s, err);
	if (rc == 0 && routes)
		rc = dump_routes(nl, s, err);
	rt_nl_close(nl);
	if (rc < 0)
		state_clear(s);
	return rc;
}

int agent_rt_list_interfaces(agent_rt *rt, const Grpc__ListInterfacesRequest *req,
                             Grpc__Interfaces **ret, cc_error **err)
{
	(void)rt;
	(void)req;
	struct nlstate s = {0};
	int rc = read_state(&s, false, err);
	if (rc < 0)
		return cc_error_wrap(err, "ListInterfaces");
	Grpc__Interfaces *r = malloc(sizeof(*r));
	if (r) {
		grpc__interfaces__init(r);
		r->interfaces = calloc(s.nlinks + 1, sizeof(*r->interfaces));
	}
	for (size_t i = 0; r && r->interfaces && i < s.nlinks; i++) {
		Types__Interface *m = iface_msg(&s, &s.links[i]);
		if (m == NULL)
			break;
		r->interfaces[r->n_interfaces++] = m;
	}
	if (r == NULL || r->n_interfaces != s.nlinks) {
		if (r)
			protobuf_c_message_free_unpacked(&r->base, NULL);
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	} else {
		*ret = r;
	}
	state_clear(&s);
	return rc;
}

static int routes_msg(const struct nlstate *s, Grpc__Routes **ret, cc_error **err)
{
	Grpc__Routes *r = malloc(sizeof(*r));
	if (r) {
		grpc__routes__init(r);
		r->routes = calloc(s->nroutes + 1, sizeof(*r->routes));
	}
	for (size_t i = 0; r && r->routes && i < s->nroutes; i++) {
		Types__Route *m = route_msg(s, &s->routes[i]);
		if (m == NULL)
			break;
		r->routes[r->n_routes++] = m;
	}
	if (r == NULL || r->n_routes != s->nroutes) {
		if (r)
			protobuf_c_message_free_unpacked(&r->base, NULL);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = r;
	return 0;
}

int agent_rt_list_routes(agent_rt *rt, const Grpc__ListRoutesRequest *req, Grpc__Routes **ret,
                         cc_error **err)
{
	(void)rt;
	(void)req;
	struct nlstate s = {0};
	int rc = read_state(&s, true, err);
	if (rc < 0)
		return cc_error_wrap(err, "ListRoutes");
	rc = routes_msg(&s, ret, err);
	state_clear(&s);
	return rc;
}

/* ---- changes ------------------------------------------------------------------------------ */

/* Outside a guest, refuses to touch the host's network namespace: that of
 * PID 1, or where PID 1's cannot be read (a container), that of the
 * agent's parent (a test starts the agent, or calls the runtime from a
 * thread, in a namespace of its own). */
static int guard(agent_rt *rt, cc_error **err)
{
	if (rt->guest)
		return 0;
	char parent[64];
	snprintf(parent, sizeof(parent), "/proc/%d/ns/net", (int)getppid());
	struct stat self, other;
	bool refuse = true;
	if (stat("/proc/thread-self/ns/net", &self) == 0 &&
	    (stat("/proc/1/ns/net", &other) == 0 || stat(parent, &other) == 0))
		refuse = self.st_dev == other.st_dev && self.st_ino == other.st_ino;
	if (refuse)
		return rt_err(err, TTRPC_FAILED_PRECONDITION,
		              "not in a guest: refusing to change the host's network namespace (run "
		              "the agent in a network namespace of its own)");
	return 0;
}

static int parse_mac(const char *s, uint8_t out[32], size_t *ret_len)
{
	size_t n = 0;
	while (*s) {
		unsigned v;
		char *end;
		v = (unsigned)strtoul(s, &end, 16);
		if (end - s != 2 || n >= 32 || v > 255)
			return -EINVAL;
		out[n++] = (uint8_t)v;
		s = end;
		if (*s == ':')
			s++;
		else if (*s)
			return -EINVAL;
	}
	*ret_len = n;
	return n ? 0 : -EINVAL;
}

/* "addr" or "addr/len" (len defaults to the full length); "" and
 * "default" are the default route (len 0). */
static int parse_cidr(const char *s, int *family, uint8_t bin[16], unsigned *len, bool *has)
{
	*has = false;
	*len = 0;
	if (s == NULL || *s == '\0' || strcmp(s, "default") == 0)
		return 0;
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	int f = strchr(ip, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(f, ip, bin) != 1)
		return -EINVAL;
	unsigned max = f == AF_INET6 ? 128 : 32;
	*len = max;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || l > max)
			return -EINVAL;
		*len = (unsigned)l;
	}
	*family = f;
	*has = *len > 0;
	return 0;
}

/* Runs op; the errno ok (or 0) counts as success without touching err. */
static int tolerant(int rc, int ok, cc_error **e2, cc_error **err)
{
	if (rc == ok && ok != 0)
		rc = 0;
	if (rc < 0)
		cc_error_move(err, e2);
	cc_error_free(*e2);
	*e2 = NULL;
	return rc;
}

static int set_link(rt_nl *nl, int index, unsigned flags, unsigned change, const char *name,
                    unsigned mtu, cc_error **err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = flags,
	                        .ifi_change = change};
	struct rt_nlmsg m;
	rt_nlmsg_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (name && *name)
		rt_nlmsg_attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu)
		rt_nlmsg_attr(&m, IFLA_MTU, &mtu, sizeof(mtu));
	return rt_nl_talk(nl, &m, err);
}

static int addr_op(rt_nl *nl, uint16_t op, const struct addr *a, cc_error **err)
{
	struct ifaddrmsg ifa = {.ifa_family = (uint8_t)a->family, .ifa_prefixlen = (uint8_t)a->prefix,
	                        .ifa_index = (unsigned)a->index};
	struct rt_nlmsg m;
	rt_nlmsg_init(&m, op, op == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0, &ifa, sizeof(ifa));
	if (a->family == AF_INET)
		rt_nlmsg_attr(&m, IFA_LOCAL, a->bin, 4);
	rt_nlmsg_attr(&m, IFA_ADDRESS, a->bin, alen(a->family));
	return rt_nl_talk(nl, &m, err);
}

static int check_iface(const Types__Interface *in, struct addr *addrs, cc_error **err)
{
	if (in->mtu > 65536)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "mtu %llu is out of range",
		              (unsigned long long)in->mtu);
	size_t nl = strlen(in->name);
	if (nl >= IFNAMSIZ || strchr(in->name, '/') || strchr(in->name, ' ') ||
	    strcmp(in->name, ".") == 0 || strcmp(in->name, "..") == 0)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "interface name %.32s is invalid", in->name);
	if (in->n_ipaddresses > CC_AGENT_MAX_ADDRS)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "more than %u addresses",
		              CC_AGENT_MAX_ADDRS);
	for (size_t i = 0; i < in->n_ipaddresses; i++) {
		const Types__IPAddress *ip = in->ipaddresses[i];
		struct addr *a = &addrs[i];
		a->family = ip->family == TYPES__IPFAMILY__v6 ? AF_INET6 : AF_INET;
		char *end;
		unsigned long p = strtoul(ip->mask, &end, 10);
		if (inet_pton(a->family, ip->address, a->bin) != 1 || end == ip->mask || *end ||
		    p > (a->family == AF_INET6 ? 128u : 32u))
			return rt_err(err, TTRPC_INVALID_ARGUMENT, "address %.64s/%.8s is invalid",
			              ip->address, ip->mask);
		a->prefix = (unsigned)p;
	}
	return 0;
}

static const struct link *find_link(const struct nlstate *s, const Types__Interface *in,
                                    cc_error **err)
{
	uint8_t mac[32];
	size_t ml = 0;
	if (*in->hwaddr) {
		if (parse_mac(in->hwaddr, mac, &ml) < 0) {
			rt_err(err, TTRPC_INVALID_ARGUMENT, "hwAddr %.64s is invalid", in->hwaddr);
			return NULL;
		}
		for (size_t i = 0; i < s->nlinks; i++)
			if (s->links[i].maclen == ml && memcmp(s->links[i].mac, mac, ml) == 0)
				return &s->links[i];
	} else {
		const struct link *l = link_by_name(s, in->device);
		if ((l = l ? l : link_by_name(s, in->name)))
			return l;
	}
	rt_err(err, TTRPC_NOT_FOUND, "no interface with hwAddr %.64s / name %.32s", in->hwaddr,
	       in->name);
	return NULL;
}

static int apply_iface(rt_nl *nl, const struct nlstate *s, const struct link *l,
                       const Types__Interface *in, const struct addr *addrs, cc_error **err)
{
	int idx = l->index;
	int rc = set_link(nl, idx, 0, IFF_UP, NULL, 0, err);
	if (rc == 0 && *in->name && strcmp(in->name, l->name) != 0)
		rc = set_link(nl, idx, 0, 0, in->name, 0, err);
	if (rc == 0 && in->mtu)
		rc = set_link(nl, idx, 0, 0, NULL, (unsigned)in->mtu, err);
	cc_error *e2 = NULL;
	/* EADDRNOTAVAIL: gone with another one (a v6 link-local address). */
	for (size_t i = 0; rc == 0 && i < s->naddrs; i++)
		if (s->addrs[i].index == idx)
			rc = tolerant(addr_op(nl, RTM_DELADDR, &s->addrs[i], &e2), -EADDRNOTAVAIL, &e2,
			              err);
	for (size_t i = 0; rc == 0 && i < in->n_ipaddresses; i++) {
		struct addr a = addrs[i];
		a.index = idx;
		rc = addr_op(nl, RTM_NEWADDR, &a, err);
	}
	if (rc == 0)
		rc = set_link(nl, idx, IFF_UP | (in->raw_flags & IFF_NOARP), IFF_UP | IFF_NOARP, NULL,
		              0, err);
	return rc;
}

int agent_rt_update_interface(agent_rt *rt, const Grpc__UpdateInterfaceRequest *req,
                              Types__Interface **ret, cc_error **err)
{
	const Types__Interface *in = req->interface;
	if (in == NULL)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "UpdateInterface: no interface");
	struct addr *addrs = calloc(in->n_ipaddresses + 1, sizeof(*addrs));
	if (addrs == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct nlstate s = {0};
	rt_nl *nl = NULL;
	int rc = check_iface(in, addrs, err);
	if (rc == 0)
		rc = guard(rt, err);
	if (rc == 0)
		rc = rt_nl_open(&nl, err);
	if (rc == 0 && (rc = dump_links(nl, &s, err)) == 0)
		rc = dump_addrs(nl, &s, err);
	const struct link *l = rc == 0 ? find_link(&s, in, err) : NULL;
	if (rc == 0 && l == NULL)
		rc = -ENOENT;
	int idx = l ? l->index : 0;
	if (rc == 0)
		rc = apply_iface(nl, &s, l, in, addrs, err);
	state_clear(&s);
	if (rc == 0 && (rc = dump_links(nl, &s, err)) == 0)
		rc = dump_addrs(nl, &s, err);
	if (rc == 0) {
		l = link_by_index(&s, idx);
		*ret = l ? iface_msg(&s, l) : NULL;
		if (*ret == NULL)
			rc = cc_error_set(err, -ENOMEM, "out of memory");
	}
	state_clear(&s);
	rt_nl_close(nl);
	free(addrs);
	return rc < 0 ? cc_error_wrap(err, "UpdateInterface") : 0;
}

/* ---- routes ---------------------------------------------------------------------------------- */

static int route_op(rt_nl *nl, uint16_t op, const struct route *r, cc_error **err)
{
	struct rtmsg rm = {.rtm_family = (uint8_t)r->family, .rtm_dst_len = (uint8_t)r->dst_len,
	                   .rtm_table = RT_TABLE_MAIN, .rtm_protocol = (uint8_t)r->protocol,
	                   .rtm_scope = (uint8_t)r->scope, .rtm_type = RTN_UNICAST};
	struct rt_nlmsg m;
	rt_nlmsg_init(&m, op, op == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0, &rm, sizeof(rm));
	if (r->has_dst)
		rt_nlmsg_attr(&m, RTA_DST, r->dst, alen(r->family));
	if (r->has_gw)
		rt_nlmsg_attr(&m, RTA_GATEWAY, r->gw, alen(r->family));
	if (r->has_src)
		rt_nlmsg_attr(&m, RTA_PREFSRC, r->src, alen(r->family));
	if (r->oif)
		rt_nlmsg_attr(&m, RTA_OIF, &r->oif, sizeof(r->oif));
	return rt_nl_talk(nl, &m, err);
}

static int parse_route(const struct nlstate *s, const Types__Route *in, struct route *r,
                       cc_error **err)
{
	memset(r, 0, sizeof(*r));
	int fam = in->family == TYPES__IPFAMILY__v6 ? AF_INET6 : AF_INET, f2 = fam, f3 = fam;
	unsigned glen, slen;
	if (parse_cidr(in->dest, &fam, r->dst, &r->dst_len, &r->has_dst) < 0 ||
	    parse_cidr(in->gateway, &f2, r->gw, &glen, &r->has_gw) < 0 ||
	    parse_cidr(in->source, &f3, r->src, &slen, &r->has_src) < 0 ||
	    (r->has_gw && (f2 != fam || glen != alen(fam) * 8)) ||
	    (r->has_src && (f3 != fam || slen != alen(fam) * 8)) || in->scope > 255)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "route %.64s via %.64s: invalid", in->dest,
		              in->gateway);
	if (!r->has_dst && r->has_gw)
		fam = f2;
	r->family = fam;
	r->scope = in->scope;
	r->protocol = RTPROT_BOOT;
	const struct link *l = link_by_name(s, in->device);
	if (l == NULL)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "route %.64s: no interface %.32s", in->dest,
		              in->device);
	r->oif = l->index;
	return 0;
}

/* Deletes the main table's routes that the kernel did not make. */
static int flush_routes(rt_nl *nl, const struct nlstate *s, cc_error **err)
{
	static const uint8_t ll[2] = {0xfe, 0x80};
	for (size_t i = 0; i < s->nroutes; i++) {
		const struct route *r = &s->routes[i];
		if (r->protocol == RTPROT_KERNEL ||
		    (r->family == AF_INET6 && r->has_dst && memcmp(r->dst, ll, 2) == 0))
			continue;
		cc_error *e2 = NULL;
		int rc = tolerant(route_op(nl, RTM_DELROUTE, r, &e2), -ESRCH, &e2, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int agent_rt_update_routes(agent_rt *rt, const Grpc__UpdateRoutesRequest *req,
                           Grpc__Routes **ret, cc_error **err)
{
	size_t n = req->routes ? req->routes->n_routes : 0;
	if (n > CC_AGENT_MAX_ROUTES)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "more than %u routes", CC_AGENT_MAX_ROUTES);
	struct route *want = calloc(n + 1, sizeof(*want));
	if (want == NULL)
		return cc_error_set(err, -ENOMEM, "out of memory");
	struct nlstate s = {0};
	rt_nl *nl = NULL;
	int rc = guard(rt, err);
	if (rc == 0)
		rc = rt_nl_open(&nl, err);
	if (rc == 0 && (rc = dump_links(nl, &s, err)) == 0)
		rc = dump_routes(nl, &s, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = parse_route(&s, req->routes->routes[i], &want[i], err);
	if (rc == 0)
		rc = flush_routes(nl, &s, err);
	/* Link routes first: a gateway must be reachable when its route is
	 * added. */
	cc_error *e2 = NULL;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; rc == 0 && i < n; i++)
			if (want[i].has_gw == (pass == 1))
				rc = tolerant(route_op(nl, RTM_NEWROUTE, &want[i], &e2), -EEXIST, &e2, err);
	state_clear(&s);
	if (rc == 0 && (rc = dump_links(nl, &s, err)) == 0 && (rc = dump_routes(nl, &s, err)) == 0)
		rc = routes_msg(&s, ret, err);
	state_clear(&s);
	rt_nl_close(nl);
	free(want);
	return rc < 0 ? cc_error_wrap(err, "UpdateRoutes") : 0;
}
