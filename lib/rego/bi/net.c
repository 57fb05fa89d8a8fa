/* CIDR builtins (OPA v1/topdown/cidr.go): net.cidr_contains,
 * net.cidr_contains_matches, net.cidr_expand, net.cidr_intersects,
 * net.cidr_is_valid, net.cidr_merge. (net.cidr_overlap is deprecated and
 * not available to Rego v1; net.lookup_ip_addr needs DNS: not provided.)
 *
 * Addresses are parsed with inet_pton, which accepts exactly what Go's
 * netip.ParseAddr does for zone-less text (no leading zeros in IPv4
 * parts). Every address is kept as 16 bytes, IPv4 as ::ffff:a.b.c.d, and
 * every prefix length in the 128-bit space, so Go's net.IP/IPNet rules
 * (To4, networkNumberAndMask) become "is the address v4-mapped".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rctx.h"
#include "cocoon/limits.h"

typedef unsigned __int128 u128;

struct ipnet {
	uint8_t ip[16]; /* network address (masked), or the address itself */
	int prefix;     /* 0..128 */
	bool v4text;    /* written as IPv4 (Go: a 4-byte IPNet) */
};

static const uint8_t v4prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_mapped(const uint8_t ip[16])
{
	return memcmp(ip, v4prefix, 12) == 0;
}

static u128 ip_to_u(const uint8_t ip[16])
{
	u128 v = 0;
	for (int i = 0; i < 16; i++)
		v = (v << 8) | ip[i];
	return v;
}

static void u_to_ip(u128 v, uint8_t ip[16])
{
	for (int i = 15; i >= 0; i--, v >>= 8)
		ip[i] = (uint8_t)(v & 0xff);
}

static u128 host_mask(int prefix)
{
	if (prefix >= 128)
		return 0;
	if (prefix <= 0)
		return ~(u128)0;
	return (((u128)1) << (128 - prefix)) - 1;
}

/* netip.ParseAddr without zones: 16 bytes, *v4 when written as IPv4. */
static bool parse_addr(const char *s, size_t n, uint8_t ip[16], bool *v4)
{
	char tmp[64];
	if (n == 0 || n >= sizeof(tmp) || memchr(s, 0, n))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (memchr(tmp, ':', n)) {
		*v4 = false;
		return inet_pton(AF_INET6, tmp, ip) == 1;
	}
	*v4 = true;
	memcpy(ip, v4prefix, 12);
	return inet_pton(AF_INET, tmp, ip + 12) == 1;
}

/* net.ParseCIDR: "addr/len", len in decimal (leading zeros allowed). */
static bool parse_cidr(const char *s, size_t n, struct ipnet *net)
{
	const char *slash = memchr(s, '/', n);
	if (slash == NULL || !parse_addr(s, (size_t)(slash - s), net->ip, &net->v4text))
		return false;
	const char *m = slash + 1;
	size_t mn = n - (size_t)(m - s), i = 0;
	long v = 0;
	for (; i < mn && m[i] >= '0' && m[i] <= '9'; i++) {
		v = v * 10 + (m[i] - '0');
		if (v >= 0xFFFFFF)
			return false;
	}
	if (i == 0 || i != mn || v > (net->v4text ? 32 : 128))
		return false;
	net->prefix = (int)v + (net->v4text ? 96 : 0);
	u_to_ip(ip_to_u(net->ip) & ~host_mask(net->prefix), net->ip);
	return true;
}

/* IPNet.Contains: v4 nets hold v4 addresses only, v6 nets v6 only. */
static bool net_contains(const struct ipnet *net, const uint8_t ip[16])
{
	if (is_mapped(net->ip) != is_mapped(ip))
		return false;
	return ((ip_to_u(ip) ^ ip_to_u(net->ip)) & ~host_mask(net->prefix)) == 0;
}

/* IP.String(): dotted for v4-mapped, else RFC 5952 (netip). */
static int ip_text(const uint8_t ip[16], cc_buf *b)
{
	if (is_mapped(ip))
		return cc_buf_printf(b, "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)(ip[2 * i] << 8 | ip[2 * i + 1]);
	int zs = -1, ze = -1;
	for (int i = 0; i < 8; i++) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i >= 2 && j - i > ze - zs)
			zs = i, ze = j;
	}
	int r = 0;
	for (int i = 0; r == 0 && i < 8; i++) {
		if (i == zs) {
			r = cc_buf_adds(b, "::");
			i = ze - 1;
			continue;
		}
		if (i > 0 && i != ze)
			r = cc_buf_addc(b, ':');
		if (r == 0)
			r = cc_buf_printf(b, "%x", g[i]);
	}
	return r;
}

/* IPNet.String(): address/len, in IPv4 form when v4-mapped. */
static int net_text(const uint8_t ip[16], int prefix, cc_buf *b)
{
	int r = ip_text(ip, b);
	if (r == 0)
		r = cc_buf_printf(b, "/%d", is_mapped(ip) && prefix >= 96 ? prefix - 96 : prefix);
	return r;
}

static const rv *buf_str(rctx *cx, cc_buf *b, int r)
{
	const rv *s = r == 0 ? rv_str(rctx_arena(cx), b->p ? b->p : "", b->len) : NULL;
	cc_buf_free(b);
	return s;
}

/* OPA's getNetFromOperand: strings only ("operand 1" whatever the
 * position, as OPA), then ParseCIDR. */
static int net_operand(rctx *cx, const rv *v, struct ipnet *net)
{
	if (v->t != RV_STR)
		return rbi_type_errf(cx, "operand 1 must be string but got %s", rv_type_name(v));
	if (!parse_cidr(v->u.s.p, v->u.s.n, net))
		return rbi_err(cx, "invalid CIDR address: %s", v->u.s.p);
	return 0;
}

/* builtinNetCIDRContains: b is an address or a CIDR. */
static int cidr_contains(rctx *cx, const rv *a, const rv *b, bool *out)
{
	struct ipnet na, nb;
	int r = net_operand(cx, a, &na);
	if (r < 0)
		return r;
	if (b->t != RV_STR)
		return rbi_type_errf(cx, "operand 1 must be string but got %s", rv_type_name(b));
	bool v4;
	uint8_t ip[16];
	if (parse_addr(b->u.s.p, b->u.s.n, ip, &v4)) {
		*out = net_contains(&na, ip);
		return 0;
	}
	if (!parse_cidr(b->u.s.p, b->u.s.n, &nb))
		return rbi_err(cx, "not a valid textual representation of an IP address or CIDR: %s",
		               b->u.s.p);
	uint8_t last[16];
	u_to_ip(ip_to_u(nb.ip) | host_mask(nb.prefix), last);
	*out = net_contains(&na, nb.ip) && net_contains(&na, last);
	return 0;
}

static int bi_cidr_contains(rctx *cx, const rv *const *args, const rv **ret)
{
	bool in = false;
	int r = cidr_contains(cx, args[0], args[1], &in);
	if (r == 0)
		*ret = rv_bool(in);
	return r;
}

static int bi_cidr_intersects(rctx *cx, const rv *const *args, const rv **ret)
{
	struct ipnet a, b;
	int r = net_operand(cx, args[0], &a);
	if (r == 0)
		r = net_operand(cx, args[1], &b);
	if (r == 0)
		*ret = rv_bool(net_contains(&a, b.ip) || net_contains(&b, a.ip));
	return r;
}

static int bi_cidr_is_valid(rctx *cx, const rv *const *args, const rv **ret)
{
	(void)cx;
	struct ipnet n;
	*ret = rv_bool(args[0]->t == RV_STR && parse_cidr(args[0]->u.s.p, args[0]->u.s.n, &n));
	return 0;
}

/* ---- net.cidr_contains_matches ---- */

/* Item i of one operand, as OPA's evalNetCIDRContainsMatchesOperand: a
 * string is its own index; array items are indexed by position, set items
 * by themselves, object values by key; an item is a string or a non-empty
 * array whose first element is the CIDR. Other types have no items. */
static size_t cm_count(const rv *x)
{
	switch (x->t) {
	case RV_STR: return 1;
	case RV_ARR:
	case RV_SET: return x->u.a.n;
	case RV_OBJ: return x->u.o.n;
	default: return 0;
	}
}

static int cm_at(rctx *cx, int operand, const rv *x, size_t i, const rv **cidr,
                 const rv **index)
{
	const rv *item;
	if (x->t == RV_STR) {
		*cidr = *index = x;
		return 0;
	}
	if (x->t == RV_OBJ) {
		item = x->u.o.v[i];
		*index = x->u.o.k[i];
	} else {
		item = x->u.a.v[i];
		*index = x->t == RV_SET ? item : rv_int(rctx_arena(cx), (int64_t)i);
		if (*index == NULL)
			return rbi_oom(cx);
	}
	if (item->t == RV_STR) {
		*cidr = item;
		return 0;
	}
	if (item->t == RV_ARR && item->u.a.n > 0) {
		*cidr = item->u.a.v[0];
		return 0;
	}
	return rbi_err(cx, "operand %d: element must be string or non-empty array", operand);
}

static int bi_cidr_contains_matches(rctx *cx, const rv *const *args, const rv **ret)
{
	rarena *ar = rctx_arena(cx);
	rvec out;
	rvec_init(&out, ar);
	size_t na = cm_count(args[0]), nb = cm_count(args[1]);
	for (size_t i = 0; i < na; i++) {
		const rv *c1, *i1;
		int r = cm_at(cx, 1, args[0], i, &c1, &i1);
		for (size_t j = 0; r == 0 && j < nb; j++) {
			const rv *c2, *i2;
			bool in = false;
			r = cm_at(cx, 2, args[1], j, &c2, &i2);
			if (r == 0)
				r = cidr_contains(cx, c1, c2, &in);
			if (r < 0 || !in)
				continue;
			if (out.n >= CC_REGO_MAX_BUILTIN_ELEMS)
				return rbi_limit(cx, "too many matches");
			const rv *pair[2] = {i1, i2};
			const rv *p = rv_arr(ar, pair, 2);
			if (p == NULL || rvec_push(&out, p) < 0)
				return rbi_oom(cx);
		}
		if (r < 0)
			return r;
	}
	*ret = rvec_to_set(&out);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- net.cidr_expand ---- */

static int bi_cidr_expand(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	struct ipnet net;
	if (!parse_cidr(s, n, &net))
		return rbi_err(cx, "invalid CIDR address: %s", s);
	int host = 128 - net.prefix;
	if (host > 62 || ((uint64_t)1 << host) > CC_REGO_MAX_BUILTIN_ELEMS)
		return rbi_limit(cx, "%s holds more than %u addresses", s, CC_REGO_MAX_BUILTIN_ELEMS);
	uint64_t count = (uint64_t)1 << host;
	rarena *a = rctx_arena(cx);
	rvec out;
	rvec_init(&out, a);
	u128 base = ip_to_u(net.ip);
	for (uint64_t i = 0; i < count; i++) {
		uint8_t ip[16];
		u_to_ip(base + i, ip);
		cc_buf b;
		cc_buf_init(&b, 0);
		const rv *str = buf_str(cx, &b, ip_text(ip, &b));
		if (str == NULL || rvec_push(&out, str) < 0)
			return rbi_oom(cx);
	}
	*ret = rvec_to_set(&out);
	return *ret ? 0 : rbi_oom(cx);
}

/* ---- net.cidr_merge (OPA's mergeCIDRs over address ranges) ---- */

struct crange {
	u128 first, last;
	const uint8_t *net; /* original network (16 bytes), NULL once merged */
	int prefix;
};

static int crange_cmp(const void *x, const void *y)
{
	const struct crange *a = x, *b = y;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return 0;
}

/* Go's classful IP.DefaultMask for a lone IPv4 address. */
static int default_prefix(const uint8_t ip[16])
{
	return ip[12] < 0x80 ? 8 : ip[12] < 0xC0 ? 16 : 24;
}

/* OPA's generateIPNet: an IPv4 address (with its classful mask, address
 * left unmasked) or a CIDR. */
static int merge_item(rctx *cx, const rv *e, struct crange *cr)
{
	if (e->t != RV_STR)
		return rbi_err(cx, "element must be string");
	uint8_t *ip = rarena_alloc(rctx_arena(cx), 16);
	if (ip == NULL)
		return rbi_oom(cx);
	bool v4;
	struct ipnet net;
	if (parse_addr(e->u.s.p, e->u.s.n, ip, &v4)) {
		if (!is_mapped(ip))
			return rbi_err(cx, "IPv6 invalid: needs prefix length");
		cr->prefix = 96 + default_prefix(ip);
	} else if (parse_cidr(e->u.s.p, e->u.s.n, &net)) {
		memcpy(ip, net.ip, 16);
		cr->prefix = net.prefix;
	} else {
		return rbi_err(cx, "invalid CIDR address: %s", e->u.s.p);
	}
	cr->net = ip;
	cr->first = ip_to_u(ip) & ~host_mask(cr->prefix);
	cr->last = cr->first | host_mask(cr->prefix);
	return 0;
}

static bool push_text(rctx *cx, rvec *out, const uint8_t ip[16], int prefix)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	const rv *s = buf_str(cx, &b, net_text(ip, prefix, &b));
	return s && rvec_push(out, s) == 0;
}

/* Host bits of the largest CIDR block starting at first within last. */
static int block_bits(u128 first, u128 last, int bits)
{
	int k = 0;
	while (k < bits && ((first >> k) & 1) == 0) {
		u128 span = k + 1 >= 128 ? ~(u128)0 : (((u128)1) << (k + 1)) - 1;
		if (span > last - first)
			break;
		k++;
	}
	return k;
}

/* The fewest CIDRs covering [first, last] (cilium's RangeToCIDRs); a range
 * starting in v4-mapped space is split in the 32-bit space. */
static int range_to_cidrs(rctx *cx, u128 first, u128 last, rvec *out)
{
	uint8_t ip[16];
	u_to_ip(first, ip);
	int bits = is_mapped(ip) ? 32 : 128;
	u128 top = bits == 32 ? (first | 0xffffffffu) : ~(u128)0;
	if (last > top)
		last = top;
	for (;;) {
		int k = block_bits(first, last, bits);
		u_to_ip(first, ip);
		if (out->n >= CC_REGO_MAX_BUILTIN_ELEMS)
			return rbi_limit(cx, "too many networks");
		if (!push_text(cx, out, ip, 128 - k))
			return rbi_oom(cx);
		u128 span = k >= 128 ? ~(u128)0 : (((u128)1) << k) - 1;
		if (span >= last - first)
			return 0;
		first += span + 1;
	}
}

static bool is_zero_addr(u128 v)
{
	return v == 0 || v == (((u128)0xffff) << 32);
}

static int bi_cidr_merge(rctx *cx, const rv *const *args, const rv **ret)
{
	const rv *x = args[0];
	if (x->t != RV_ARR && x->t != RV_SET)
		return rbi_err(cx, "operand must be an array");
	rarena *a = rctx_arena(cx);
	size_t n = x->u.a.n;
	struct crange *cr = rarena_nalloc(a, n ? n : 1, sizeof(*cr));
	if (cr == NULL)
		return rbi_oom(cx);
	for (size_t i = 0; i < n; i++) {
		int r = merge_item(cx, x->u.a.v[i], &cr[i]);
		if (r < 0)
			return r;
	}
	qsort(cr, n, sizeof(*cr), crange_cmp);
	/* Merge from the end: a range touching or overlapping the previous
	 * one swallows it. */
	for (size_t i = n; i-- > 1;) {
		u128 prev = is_zero_addr(cr[i].first) ? cr[i].first : cr[i].first - 1;
		if (prev > cr[i - 1].last)
			continue;
		cr[i - 1].first = cr[i - 1].first < cr[i].first ? cr[i - 1].first : cr[i].first;
		cr[i - 1].last = cr[i].last;
		cr[i - 1].net = NULL;
		memmove(&cr[i], &cr[i + 1], (n - i - 1) * sizeof(*cr));
		n--;
	}
	rvec out;
	rvec_init(&out, a);
	for (size_t i = 0; i < n; i++) {
		int r = 0;
		if (cr[i].net)
			r = push_text(cx, &out, cr[i].net, cr[i].prefix) ? 0 : rbi_oom(cx);
		else
			r = range_to_cidrs(cx, cr[i].first, cr[i].last, &out);
		if (r < 0)
			return r;
	}
	*ret = rvec_to_set(&out);
	return *ret ? 0 : rbi_oom(cx);
}

const struct rbi rbi_group_net[] = {
    {"net.cidr_contains", 2, bi_cidr_contains, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"net.cidr_contains_matches", 2, bi_cidr_contains_matches, NULL, 0,
     {RT_STR | RT_ARR | RT_SET | RT_OBJ, RT_STR | RT_ARR | RT_SET | RT_OBJ}, RT_SET},
    {"net.cidr_expand", 1, bi_cidr_expand, NULL, 0, {RT_STR}, RT_SET},
    {"net.cidr_intersects", 2, bi_cidr_intersects, NULL, 0, {RT_STR, RT_STR}, RT_BOOL},
    {"net.cidr_is_valid", 1, bi_cidr_is_valid, NULL, 0, {RT_STR}, RT_BOOL},
    {"net.cidr_merge", 1, bi_cidr_merge, NULL, 0, {RT_ARR | RT_SET}, RT_SET},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
