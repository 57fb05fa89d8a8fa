/* Unit tests: net.cidr_* (lib/rego/bi/net.c) and walk / graph.*
 * (lib/rego/bi/graph.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rego/convert.h"
#include "rego/rctx.h"

static rarena *A;
static rctx CX;

static int setup(void **state)
{
	(void)state;
	A = rarena_new(0);
	rctx_init(&CX, A, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rctx_fini(&CX);
	rarena_free(A);
	return 0;
}

static const rv *J(const char *t)
{
	const rv *v = NULL;
	cc_error *e = NULL;
	if (rv_from_json_text(A, t, strlen(t), &v, &e))
		fail_msg("bad test JSON %s: %s", t, cc_error_message(e));
	return v;
}

static const rv *S(const char *s) { return rv_cstr(A, s); }

static const rv *SET(const char *t)
{
	const rv *a = J(t);
	return rv_set(A, a->u.a.v, a->u.a.n);
}

static const char *gj(const rv *v)
{
	static char out[4096];
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_go_json(v, &b, "", NULL), 0);
	snprintf(out, sizeof(out), "%s", b.p ? b.p : "");
	cc_buf_free(&b);
	return out;
}

static const struct rbi *find(const struct rbi *tab, const char *name)
{
	for (; tab->name; tab++)
		if (strcmp(tab->name, name) == 0)
			return tab;
	fail_msg("no builtin %s", name);
	return NULL;
}

static int call(const struct rbi *tab, const char *name, const rv *a0, const rv *a1, const rv **ret)
{
	const struct rbi *b = find(tab, name);
	const rv *args[2] = {a0, a1};
	rctx_fini(&CX);
	CX.fname = name;
	*ret = NULL;
	return b->fn(&CX, args, ret);
}

static const char *net(const char *name, const rv *a0, const rv *a1)
{
	const rv *r;
	if (call(rbi_group_net, name, a0, a1, &r))
		return cc_error_message(CX.err);
	return gj(r);
}

/* ---- net ---- */

static void test_cidr_contains(void **state)
{
	(void)state;
	const char *c = "net.cidr_contains";
	assert_string_equal(net(c, S("10.0.0.0/8"), S("10.1.0.0/24")), "true");
	assert_string_equal(net(c, S("172.17.0.0/24"), S("172.17.0.0/16")), "false");
	assert_string_equal(net(c, S("10.0.0.0/8"), S("192.168.1.0/24")), "false");
	assert_string_equal(net(c, S("10.0.0.0/8"), S("10.1.1.1/32")), "true");
	assert_string_equal(net(c, S("2001:4860:4860::8888/32"), S("2001:4860:4860:1234::8888/40")), "true");
	assert_string_equal(net(c, S("2001:4860:4860::8888/32"), S("2001:4860:4860:1234:5678:1234:5678:8888/128")), "true");
	assert_string_equal(net(c, S("2001:4860::/96"), S("2001:4860::/32")), "false");
	assert_string_equal(net(c, S("2001:4860::/32"), S("fd1e:5bfe:8af3:9ddc::/64")), "false");
	assert_string_equal(net(c, S("10.0.0.0/8"), S("10.1.2.3")), "true");
	assert_string_equal(net(c, S("10.0.0.0/8"), S("192.168.1.1")), "false");
	/* IPv4 and IPv6 never mix; v4-mapped addresses count as IPv4. */
	assert_string_equal(net(c, S("::/0"), S("1.2.3.4")), "false");
	assert_string_equal(net(c, S("0.0.0.0/0"), S("::ffff:1.2.3.4")), "true");
	assert_string_equal(net(c, S("::ffff:0:0/96"), S("1.2.3.4")), "true");
	assert_string_equal(net(c, S("not-a-cidr"), S("192.168.1.67")),
	                    "net.cidr_contains: invalid CIDR address: not-a-cidr");
	assert_string_equal(net(c, S("192.168.1.0/28"), S("not-a-cidr")),
	                    "net.cidr_contains: not a valid textual representation of an IP address or CIDR: not-a-cidr");
	assert_string_equal(net(c, S("10.0.0.0/8"), J("1")), "net.cidr_contains: operand 1 must be string but got number");
	assert_string_equal(cc_error_kind(CX.err), "eval_type_error");
	assert_string_equal(net(c, S("01.0.0.0/8"), S("1.1.1.1")), "net.cidr_contains: invalid CIDR address: 01.0.0.0/8");
}

static void test_cidr_intersects_valid(void **state)
{
	(void)state;
	const char *c = "net.cidr_intersects";
	assert_string_equal(net(c, S("192.168.1.0/25"), S("192.168.1.64/25")), "true");
	assert_string_equal(net(c, S("192.168.1.0/24"), S("192.168.2.0/24")), "false");
	assert_string_equal(net(c, S("fd1e:5bfe:8af3:9ddc::/64"), S("fd1e:5bfe:8af3:9ddc:1111::/72")), "true");
	assert_string_equal(net(c, S("fd1e:5bfe:8af3:9ddc::/64"), S("2001:4860:4860::8888/32")), "false");
	assert_string_equal(net(c, S("192.168.1.0/28"), S("not-a-cidr")), "net.cidr_intersects: invalid CIDR address: not-a-cidr");
	const char *v = "net.cidr_is_valid";
	assert_string_equal(net(v, S("192.168.1.0/24"), NULL), "true");
	assert_string_equal(net(v, S(""), NULL), "false");
	assert_string_equal(net(v, S("there goes a string"), NULL), "false");
	assert_string_equal(net(v, S("192.168.1.2"), NULL), "false");
	assert_string_equal(net(v, S("2002::1234:abcd:ffff:c0a8:101/64"), NULL), "true");
	assert_string_equal(net(v, S("10.0.0.0/033"), NULL), "false");
	assert_string_equal(net(v, S("10.0.0.0/08"), NULL), "true");
	assert_string_equal(net(v, S("fe80::1%eth0/64"), NULL), "false");
	assert_string_equal(net(v, J("7"), NULL), "false");
}

static void test_cidr_contains_matches(void **state)
{
	(void)state;
	const char *c = "net.cidr_contains_matches";
	assert_string_equal(net(c, S("1.1.1.0/24"), S("1.1.1.1")), "[[\"1.1.1.0/24\",\"1.1.1.1\"]]");
	assert_string_equal(net(c, J("[\"1.1.2.0/24\", \"1.1.1.0/24\"]"), J("[\"1.1.1.1\", \"1.1.2.1\"]")), "[[0,1],[1,0]]");
	assert_string_equal(net(c, J("[[\"1.1.2.0/24\", 1], \"1.1.1.0/24\"]"), J("[\"1.1.1.1\", \"1.1.2.1\"]")),
	                    "[[0,1],[1,0]]");
	assert_string_equal(net(c, J("[\"1.1.2.0/24\", \"1.1.1.0/24\"]"), J("[\"1.1.1.1\", 1]")),
	                    "net.cidr_contains_matches: operand 2: element must be string or non-empty array");
	assert_string_equal(cc_error_kind(CX.err), "eval_builtin_error");
	assert_string_equal(net(c, SET("[\"1.1.1.0/24\", \"1.1.2.0/24\"]"), SET("[\"1.1.1.1\", \"1.1.2.1\"]")),
	                    "[[\"1.1.1.0/24\",\"1.1.1.1\"],[\"1.1.2.0/24\",\"1.1.2.1\"]]");
	assert_string_equal(net(c, SET("[[\"1.1.1.0/24\", \"bar\"], [\"1.1.2.0/24\", \"foo\"]]"),
	                        SET("[[\"1.1.1.1\", \"baz\"], [\"1.1.2.1\", \"qux\"]]")),
	                    "[[[\"1.1.1.0/24\",\"bar\"],[\"1.1.1.1\",\"baz\"]],[[\"1.1.2.0/24\",\"foo\"],[\"1.1.2.1\",\"qux\"]]]");
	assert_string_equal(net(c, SET("[[\"1.1.1.0/24\", \"bar\"]]"), SET("[[], [\"1.1.2.1\", \"qux\"]]")),
	                    "net.cidr_contains_matches: operand 2: element must be string or non-empty array");
	assert_string_equal(net(c, J("{\"k1\": \"1.1.1.1/24\", \"k2\": [\"1.1.1.2/24\", 1]}"), S("1.1.1.128")),
	                    "[[\"k1\",\"1.1.1.128\"],[\"k2\",\"1.1.1.128\"]]");
	assert_string_equal(net(c, J("5"), J("[1]")), "[]");
}

static void test_cidr_expand(void **state)
{
	(void)state;
	const char *c = "net.cidr_expand";
	assert_string_equal(net(c, S("192.168.1.1/30"), NULL),
	                    "[\"192.168.1.0\",\"192.168.1.1\",\"192.168.1.2\",\"192.168.1.3\"]");
	assert_string_equal(net(c, S("172.16.100.255/30"), NULL),
	                    "[\"172.16.100.252\",\"172.16.100.253\",\"172.16.100.254\",\"172.16.100.255\"]");
	assert_string_equal(net(c, S("192.168.1.1/32"), NULL), "[\"192.168.1.1\"]");
	assert_string_equal(net(c, S("255.255.255.255/31"), NULL), "[\"255.255.255.254\",\"255.255.255.255\"]");
	assert_string_equal(net(c, S("2001:db8::/127"), NULL), "[\"2001:db8::\",\"2001:db8::1\"]");
	assert_string_equal(net(c, S("::ffff:10.0.0.0/127"), NULL), "[\"10.0.0.0\",\"10.0.0.1\"]");
	assert_string_equal(net(c, S("192.168.1.1/33"), NULL), "net.cidr_expand: invalid CIDR address: 192.168.1.1/33");
	assert_string_equal(net(c, S("0.0.0.0/0"), NULL),
	                    "net.cidr_expand: 0.0.0.0/0 holds more than 16777216 addresses");
}

static void test_cidr_merge(void **state)
{
	(void)state;
	const char *c = "net.cidr_merge";
	static const char *const cases[][2] = {
	    {"[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128\"]", "[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128\"]"},
	    {"[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64\", \"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/128\"]",
	     "[\"2601:600:8a80:207e::/64\"]"},
	    {"[\"192.0.128.0/24\", \"192.0.128.0/24\"]", "[\"192.0.128.0/24\"]"},
	    {"[\"192.0.128.0/24\", \"0.0.0.0/0\"]", "[\"0.0.0.0/0\"]"},
	    {"[\"192.0.128.0/24\", \"192.0.129.0/24\"]", "[\"192.0.128.0/23\"]"},
	    {"[\"192.0.2.112/30\", \"192.0.2.116/31\", \"192.0.2.118/31\"]", "[\"192.0.2.112/29\"]"},
	    {"[\"192.0.129.0/24\", \"192.0.130.0/24\"]", "[\"192.0.129.0/24\",\"192.0.130.0/24\"]"},
	    {"[\"192.0.2.112/30\", \"192.0.2.116/32\", \"192.0.2.118/31\"]",
	     "[\"192.0.2.112/30\",\"192.0.2.116/32\",\"192.0.2.118/31\"]"},
	    {"[\"192.0.2.112/31\", \"192.0.2.116/31\", \"192.0.2.118/31\"]", "[\"192.0.2.112/31\",\"192.0.2.116/30\"]"},
	    {"[\"192.0.1.254/31\", \"192.0.2.0/28\", \"192.0.2.16/28\", \"192.0.2.32/28\", \"192.0.2.48/28\","
	     " \"192.0.2.64/28\", \"192.0.2.80/28\", \"192.0.2.96/28\", \"192.0.2.112/28\", \"192.0.2.128/28\","
	     " \"192.0.2.144/28\", \"192.0.2.160/28\", \"192.0.2.176/28\", \"192.0.2.192/28\", \"192.0.2.208/28\","
	     " \"192.0.2.224/28\", \"192.0.2.240/28\", \"192.0.3.0/28\"]",
	     "[\"192.0.1.254/31\",\"192.0.2.0/24\",\"192.0.3.0/28\"]"},
	    {"[\"::/0\", \"fe80::1/128\"]", "[\"::/0\"]"},
	    {"[\"::/0\", \"::192.0.2.0/124\", \"ff00::101/128\"]", "[\"::/0\"]"},
	    {"[\"fe80::/120\", \"192.0.2.0/24\", \"192.0.3.0/24\", \"192.0.4.0/25\", \"192.0.4.128/25\"]",
	     "[\"192.0.2.0/23\",\"192.0.4.0/24\",\"fe80::/120\"]"},
	    {"[]", "[]"},
	    {"[\"192.0.2.112\", \"192.0.2.116/31\", \"192.0.2.118/31\"]", "[\"192.0.2.0/24\"]"},
	    {"[\"192.0.128.0\", \"192.0.129.0\"]", "[\"192.0.128.0/23\"]"},
	    /* A lone address keeps its classful mask and its host bits. */
	    {"[\"10.1.2.3\"]", "[\"10.1.2.3/8\"]"},
	    {"[\"2001:db8::/127\", \"2001:db8::2/127\"]", "[\"2001:db8::/126\"]"},
	    {"[\"255.255.255.254/31\", \"255.255.255.252/31\"]", "[\"255.255.255.252/30\"]"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(net(c, J(cases[i][0]), NULL), cases[i][1]);
	assert_string_equal(net(c, SET("[\"192.0.2.112/30\", \"192.0.2.116/31\", \"192.0.2.118/31\"]"), NULL),
	                    "[\"192.0.2.112/29\"]");
	assert_string_equal(net(c, J("[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3\"]"), NULL),
	                    "net.cidr_merge: IPv6 invalid: needs prefix length");
	assert_string_equal(net(c, J("[\"foo\"]"), NULL), "net.cidr_merge: invalid CIDR address: foo");
	assert_string_equal(net(c, J("[1]"), NULL), "net.cidr_merge: element must be string");
	assert_string_equal(net(c, S("x"), NULL), "net.cidr_merge: operand must be an array");
}

/* ---- walk ---- */

static int collect(rctx *cx, const rv *out, void *arg)
{
	(void)cx;
	return rvec_push(arg, out) < 0 ? -ENOMEM : 0;
}

static const char *walk(const rv *x)
{
	rvec out;
	rvec_init(&out, A);
	const rv *args[1] = {x};
	assert_int_equal(find(rbi_group_graph, "walk")->rel(&CX, args, collect, &out), 0);
	return gj(rvec_to_arr(&out));
}

static int stop_after_two(rctx *cx, const rv *out, void *arg)
{
	(void)cx, (void)out;
	return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_walk(void **state)
{
	(void)state;
	assert_string_equal(walk(J("1")), "[[[],1]]");
	assert_string_equal(walk(J("[1, 2]")), "[[[],[1,2]],[[0],1],[[1],2]]");
	assert_string_equal(walk(J("{\"v2\": \"goodbye\", \"v1\": \"hello\"}")),
	                    "[[[],{\"v1\":\"hello\",\"v2\":\"goodbye\"}],[[\"v1\"],\"hello\"],[[\"v2\"],\"goodbye\"]]");
	const rv *inner = SET("[3, 1, 2]");
	assert_string_equal(walk(rv_set(A, &inner, 1)),
	                    "[[[],[[1,2,3]]],[[[1,2,3]],[1,2,3]],[[[1,2,3],1],1],[[[1,2,3],2],2],[[[1,2,3],3],3]]");
	assert_string_equal(walk(J("{\"a\": [{\"b\": 1}]}")),
	                    "[[[],{\"a\":[{\"b\":1}]}],[[\"a\"],[{\"b\":1}]],[[\"a\",0],{\"b\":1}],[[\"a\",0,\"b\"],1]]");
	/* A non-zero return from emit stops the walk and is passed back. */
	int count = 0;
	const rv *args[1] = {J("[1, 2, 3]")};
	assert_int_equal(find(rbi_group_graph, "walk")->rel(&CX, args, stop_after_two, &count), 42);
	assert_int_equal(count, 2);
}

/* ---- graph ---- */

static const char *graph(const char *name, const rv *g, const rv *init)
{
	const rv *r;
	if (call(rbi_group_graph, name, g, init, &r))
		return cc_error_message(CX.err);
	return gj(r);
}

static void test_reachable(void **state)
{
	(void)state;
	const char *c = "graph.reachable";
	assert_string_equal(graph(c, J("{}"), SET("[\"a\"]")), "[]");
	const rv *k[3] = {S("a"), S("b"), S("c")};
	const rv *v[3] = {SET("[\"b\"]"), SET("[\"c\"]"), SET("[\"a\"]")};
	const rv *cyc = rv_obj(A, k, v, 3, NULL);
	assert_string_equal(graph(c, cyc, SET("[\"a\"]")), "[\"a\",\"b\",\"c\"]");
	const rv *k2[7] = {S("a"), S("b"), S("c"), S("d"), S("e"), S("f"), S("x")};
	const rv *v2[7] = {SET("[\"b\", \"c\"]"), SET("[\"d\"]"), SET("[\"d\"]"), rv_empty_set(),
	                   SET("[\"f\"]"), SET("[\"e\"]"), SET("[\"x\"]")};
	const rv *comp = rv_obj(A, k2, v2, 7, NULL);
	assert_string_equal(graph(c, comp, SET("[\"b\", \"e\"]")), "[\"b\",\"d\",\"e\",\"f\"]");
	assert_string_equal(graph(c, J("{\"a\": [\"b\"], \"b\": [\"c\"], \"c\": [\"a\"]}"), J("[\"a\"]")),
	                    "[\"a\",\"b\",\"c\"]");
	assert_string_equal(graph(c, J("{\"a\": null}"), J("[\"a\"]")), "[\"a\"]");
	assert_string_equal(graph(c, J("1"), J("[1]")), "graph.reachable: operand 1 must be object but got number");
	assert_string_equal(cc_error_kind(CX.err), "eval_type_error");
	assert_string_equal(graph(c, J("{\"a\": []}"), S("a")),
	                    "graph.reachable: operand 2 must be {array, set} but got string");

	const char *p = "graph.reachable_paths";
	assert_string_equal(graph(p, J("{}"), SET("[\"a\"]")), "[]");
	assert_string_equal(graph(p, cyc, SET("[\"a\"]")), "[[\"a\",\"b\",\"c\"]]");
	assert_string_equal(graph(p, comp, SET("[\"b\", \"e\"]")), "[[\"b\",\"d\"],[\"e\",\"f\"]]");
	assert_string_equal(graph(p, J("{\"a\": [\"b\"], \"b\": [\"c\"], \"c\": [\"a\"]}"), J("[\"a\"]")),
	                    "[[\"a\",\"b\",\"c\"]]");
	assert_string_equal(graph(p, comp, SET("[\"a\"]")), "[[\"a\",\"b\",\"d\"],[\"a\",\"c\",\"d\"]]");
	assert_string_equal(graph(p, J("{\"a\": [\"z\"], \"d\": []}"), J("[\"a\", \"d\", \"q\"]")), "[[\"a\"],[\"d\"]]");
	/* A self-loop on a start vertex: OPA does not check its first step. */
	assert_string_equal(graph(p, J("{\"x\": [\"x\"]}"), J("[\"x\"]")), "[[\"x\",\"x\"]]");
	/* `reached` is shared across the branches of one search: "seven",
	 * reached through "five", ends the branch through "six". */
	assert_string_equal(graph(p, J("{\"one\": [\"two\", \"five\"], \"two\": [\"four\"], \"three\": [\"\"],"
	                                " \"four\": [\"three\"], \"five\": [\"seven\", \"six\"], \"six\": [\"nine\", \"seven\"],"
	                                " \"seven\": [\"eight\"], \"eight\": [\"three\"], \"nine\": [\"\"]}"),
	                          J("[\"one\"]")),
	                    "[[\"one\",\"five\",\"seven\",\"eight\",\"three\"],[\"one\",\"five\",\"six\"],"
	                    "[\"one\",\"five\",\"six\",\"nine\"],[\"one\",\"two\",\"four\",\"three\"]]");
	assert_string_equal(graph(p, J("{\"a\": 1}"), J("{\"a\": 1}")),
	                    "graph.reachable_paths: operand 2 must be {array, set} but got object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr_contains),
	    cmocka_unit_test(test_cidr_intersects_valid),
	    cmocka_unit_test(test_cidr_contains_matches),
	    cmocka_unit_test(test_cidr_expand),
	    cmocka_unit_test(test_cidr_merge),
	    cmocka_unit_test(test_walk),
	    cmocka_unit_test(test_reachable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
