/* UUID builtins (OPA v1/topdown/uuid.go, internal/uuid): uuid.rfc4122 and
 * uuid.parse.
 *
 * uuid.rfc4122(k) returns a random version 4 UUID (OpenSSL RAND_bytes),
 * the same one for the same k within one evaluation (per-evaluation memo,
 * as OPA's builtin cache). uuid.parse accepts what github.com/google/uuid
 * Parse accepts (36 chars with dashes, "urn:uuid:" prefix, 38 chars with
 * any first and last char, 32 hex digits) and returns version and variant,
 * plus time, node id, MAC bits and clock sequence for versions 1 and 2
 * (and id and domain for 2). Invalid input is undefined.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "../hex.h"
#include "../rctx.h"

static bool xtob(const char *p, uint8_t *out)
{
	int a = rhex_digit((unsigned char)p[0]), b = rhex_digit((unsigned char)p[1]);
	if (a < 0 || b < 0)
		return false;
	*out = (uint8_t)(a << 4 | b);
	return true;
}

/* google/uuid Parse */
static bool uuid_parse(const char *s, size_t n, uint8_t u[16])
{
	switch (n) {
	case 36:
		break;
	case 36 + 9:
		if (strncasecmp(s, "urn:uuid:", 9) != 0)
			return false;
		s += 9;
		break;
	case 36 + 2:
		s += 1; /* the braces themselves are not checked */
		break;
	case 32:
		for (int i = 0; i < 16; i++)
			if (!xtob(s + 2 * i, &u[i]))
				return false;
		return true;
	default:
		return false;
	}
	if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return false;
	static const int pos[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
	for (int i = 0; i < 16; i++)
		if (!xtob(s + pos[i], &u[i]))
			return false;
	return true;
}

static const char *variant_name(uint8_t b)
{
	if ((b & 0xc0) == 0x80)
		return "RFC4122";
	if ((b & 0xe0) == 0xc0)
		return "Microsoft";
	if ((b & 0xe0) == 0xe0)
		return "Future";
	return "Reserved";
}

static const char *mac_vars(uint8_t b)
{
	if ((b & 3) == 3)
		return "local:multicast";
	if (b & 1)
		return "global:multicast";
	if (b & 2)
		return "local:unicast";
	return "global:unicast";
}

struct kv {
	const rv *k[9];
	const rv *v[9];
	size_t n;
	rarena *a;
	bool oom;
};

static void put(struct kv *o, const char *key, const rv *val)
{
	const rv *k = rv_cstr(o->a, key);
	if (k == NULL || val == NULL) {
		o->oom = true;
		return;
	}
	o->k[o->n] = k;
	o->v[o->n] = val;
	o->n++;
}

/* Fields of version 1 and 2 UUIDs (internal/uuid fillMap). */
static void put_time_fields(struct kv *o, const uint8_t u[16], int version)
{
	uint64_t t = (uint64_t)u[0] << 24 | (uint64_t)u[1] << 16 | (uint64_t)u[2] << 8 | u[3];
	t |= ((uint64_t)u[4] << 8 | u[5]) << 32;
	t |= ((uint64_t)((u[6] << 8 | u[7]) & 0xfff)) << 48;
	/* UnixTime in nanoseconds: (t - Gregorian offset) * 100, int64 wrap. */
	uint64_t ns = (t - 122192928000000000ull) * 100u;
	put(o, "time", rv_int(o->a, (int64_t)ns));
	char node[18];
	snprintf(node, sizeof(node), "%02x-%02x-%02x-%02x-%02x-%02x", u[10], u[11], u[12], u[13], u[14], u[15]);
	put(o, "nodeid", rv_cstr(o->a, node));
	put(o, "macvariables", rv_cstr(o->a, mac_vars(u[10])));
	put(o, "clocksequence", rv_int(o->a, (u[8] << 8 | u[9]) & 0x3fff));
	if (version == 2) {
		int64_t id = (int64_t)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3]);
		put(o, "id", rv_int(o->a, id));
		static const char *const domains[] = {"Person", "Group", "Org"};
		char dom[16];
		if (u[9] < 3)
			snprintf(dom, sizeof(dom), "%s", domains[u[9]]);
		else
			snprintf(dom, sizeof(dom), "Domain%u", u[9]);
		put(o, "domain", rv_cstr(o->a, dom));
	}
}

static int bi_uuid_parse(rctx *cx, const rv *const *args, const rv **ret)
{
	const char *s;
	size_t n;
	int r = rbi_arg_str(cx, args, 0, &s, &n);
	if (r < 0)
		return r;
	uint8_t u[16];
	if (!uuid_parse(s, n, u)) {
		*ret = NULL; /* OPA: invalid UUIDs are undefined, not errors */
		return 0;
	}
	struct kv o = {.a = rctx_arena(cx)};
	int version = u[6] >> 4;
	put(&o, "version", rv_int(o.a, version));
	put(&o, "variant", rv_cstr(o.a, variant_name(u[8])));
	if (version == 1 || version == 2)
		put_time_fields(&o, u, version);
	if (o.oom)
		return rbi_oom(cx);
	*ret = rv_obj(o.a, o.k, o.v, o.n, NULL);
	return *ret ? 0 : rbi_oom(cx);
}

static int bi_uuid_rfc4122(rctx *cx, const rv *const *args, const rv **ret)
{
	int r = rbi_arg_type(cx, args, 0, RT_STR);
	if (r < 0)
		return r;
	/* The memo is per evaluation and shared by nondeterministic builtins:
	 * key it by name and argument. */
	static const rv name = {.t = RV_STR, .u.s = {"uuid.rfc4122", 12}};
	const rv *kv[2] = {&name, args[0]};
	const rv *key = rv_arr(rctx_arena(cx), kv, 2);
	if (key == NULL)
		return rbi_oom(cx);
	const rv *hit = rctx_memo_get(cx, key);
	if (hit) {
		*ret = hit;
		return 0;
	}
	uint8_t b[16];
	if (RAND_bytes(b, sizeof(b)) != 1)
		return rbi_err(cx, "random source failed");
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	char txt[37];
	snprintf(txt, sizeof(txt), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	const rv *v = rv_str(rctx_arena(cx), txt, 36);
	if (v == NULL || rctx_memo_put(cx, key, v) < 0)
		return rbi_oom(cx);
	*ret = v;
	return 0;
}

const struct rbi rbi_group_uuid[] = {
    {"uuid.rfc4122", 1, bi_uuid_rfc4122, NULL, RBI_NONDET, {RT_STR}, RT_STR},
    {"uuid.parse", 1, bi_uuid_parse, NULL, 0, {RT_STR}, RT_OBJ},
    {NULL, 0, NULL, NULL, 0, {0}, 0},
};
