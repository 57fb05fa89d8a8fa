/* cocoon-agent's policy input (src/agent/front_json.c) against the recorded
 * Kata vectors (tests/rego/kata/): every recorded request of a type
 * agent.proto has is built from its JSON (pbjson.c), encoded, decoded as
 * the server decodes it, converted back, and must equal the recorded JSON;
 * then the policy, asked through the gate about the converted request,
 * must give the recorded answer and print the recorded lines. Plus the
 * mapping's rules one by one. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "front_json.h"
#include "front_policy.h"
#include "pbjson.h"
#include "ttrpc.h"

/* JSON text -> Kata's JSON of the request it describes, through the wire:
 * pbjson, pack, ttrpc_pb_unpack (validated, as the server decodes),
 * agent_json_from_pb. *ret_msg keeps the decoded message (or NULL). */
static int roundtrip(const char *ep, const char *json, size_t len, enum agent_json_shape shape,
                     char **ret_json, ProtobufCMessage **ret_msg, char *why, size_t whylen)
{
	const ProtobufCMessageDescriptor *d = pbjson_request_type(ep);
	if (d == NULL) {
		snprintf(why, whylen, "agent.proto has no %s", ep);
		return 1;
	}
	json_error_t je;
	json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		snprintf(why, whylen, "recorded JSON: %s", je.text);
		return -1;
	}
	ProtobufCMessage *m = NULL;
	int r = pbjson_to_pb(d, j, &m, why, whylen);
	json_decref(j);
	if (r < 0)
		return -1;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	cc_error *e = NULL;
	r = ttrpc_pb_pack(m, &wire, &wlen, &e);
	protobuf_c_message_free_unpacked(m, NULL);
	ProtobufCMessage *dec = NULL;
	if (r == 0)
		r = ttrpc_pb_unpack(d, wire, wlen, &dec, &e);
	free(wire);
	if (r == 0)
		r = agent_json_from_pb(dec, shape, 0, ret_json, NULL, &e);
	if (r < 0) {
		snprintf(why, whylen, "%s", cc_error_message(e));
		cc_error_free(e);
		ttrpc_pb_free(dec);
		return -1;
	}
	if (ret_msg)
		*ret_msg = dec;
	else
		ttrpc_pb_free(dec);
	return 0;
}

/* Canonical equality of two JSON texts (objects compare unordered). */
static bool json_same(const char *a, size_t alen, const char *b, char *why, size_t whylen)
{
	json_t *x = json_loadb(a, alen, JSON_REJECT_DUPLICATES, NULL);
	json_t *y = json_loads(b, JSON_REJECT_DUPLICATES, NULL);
	bool same = x && y && json_equal(x, y);
	if (!same && x && y) {
		/* name the first key of the top object that differs */
		const char *k;
		json_t *v;
		snprintf(why, whylen, "differs");
		json_object_foreach(x, k, v)
		{
			json_t *w = json_object_get(y, k);
			if (!w || !json_equal(v, w)) {
				snprintf(why, whylen, "key %s differs", k);
				break;
			}
		}
		json_object_foreach(y, k, v)
		if (!json_object_get(x, k)) {
			snprintf(why, whylen, "extra key %s", k);
			break;
		}
	}
	json_decref(x);
	json_decref(y);
	return same;
}

/* The shape of the agent that recorded a scenario: the k8s-policy-* ones
 * have the passfd ports, the older ones do not. */
static enum agent_json_shape recorded_shape(const char *scenario)
{
	return strncmp(scenario, "k8s-policy-", 11) == 0 ? AGENT_JSON_KATA_2024
	                                                 : AGENT_JSON_KATA_2023;
}

/* Every recorded request of a type agent.proto has round-trips exactly in
 * the shape of the agent that recorded them. */
static void test_roundtrip_recorded(void **state)
{
	(void)state;
	size_t total = 0, exact = 0, absent = 0, failed = 0;
	for (size_t s = 0; s < kata_n_scenarios; s++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/%s", kata_dir(), kata_scenarios[s]);
		struct kata_line *lines = NULL;
		size_t n = 0;
		assert_int_equal(kata_lines_read(dir, &lines, &n), 0);
		for (size_t i = 0; i < n; i++) {
			total++;
			char why[512] = "";
			char *out = NULL;
			int r = roundtrip(lines[i].ep, lines[i].json, lines[i].len,
			                  recorded_shape(kata_scenarios[s]), &out, NULL, why, sizeof(why));
			if (r > 0) {
				absent++;
				continue;
			}
			if (r == 0 && json_same(lines[i].json, lines[i].len, out, why, sizeof(why))) {
				exact++;
			} else {
				failed++;
				print_message("%s #%zu %s: %s\n", kata_scenarios[s], i, lines[i].ep, why);
			}
			free(out);
		}
		kata_lines_free(lines, n);
	}
	print_message("recorded requests: %zu; round-trip exactly: %zu; not in agent.proto: %zu "
	              "(AllowRequestsFailingPolicy queries, OnlineCPUMem, UpdateEphemeralMounts); "
	              "differ: %zu\n",
	              total, exact, absent, failed);
	assert_int_equal(total, 442);
	assert_int_equal(failed, 0);
	assert_int_equal(exact, 412);
}

/* The policy's answers on the converted requests. */
struct replay_result {
	size_t pass, fail;
};

/* shape NULL-like (-1): the recording's own shape, prints compared too;
 * another shape: the answers only (the prints show the input). */
static void replay_scenario(const char *name, int shape_or_recorded, struct replay_result *res)
{
	bool own = shape_or_recorded < 0;
	enum agent_json_shape shape =
	    own ? recorded_shape(name) : (enum agent_json_shape)shape_or_recorded;
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s/%s", kata_dir(), name);
	snprintf(path, sizeof(path), "%s/outputs.json", dir);
	json_t *want = json_load_file(path, 0, NULL);
	snprintf(path, sizeof(path), "%s/prints.json", dir);
	json_t *wprints = json_load_file(path, 0, NULL);
	assert_non_null(want);
	assert_non_null(wprints);
	agent_gate *g = NULL;
	cc_error *e = NULL;
	assert_int_equal(agent_gate_new(shape, &g, &e), 0);
	snprintf(path, sizeof(path), "%s/policy.rego", dir);
	assert_int_equal(agent_gate_load_file(g, path, &e), 0);
	struct kata_line *lines = NULL;
	size_t n = 0;
	assert_int_equal(kata_lines_read(dir, &lines, &n), 0);
	assert_int_equal(n, json_array_size(want));
	for (size_t i = 0; i < n; i++) {
		struct agent_verdict v = {0};
		char why[512] = "";
		ProtobufCMessage *m = NULL;
		char *out = NULL;
		int r;
		if (roundtrip(lines[i].ep, lines[i].json, lines[i].len, shape, &out, &m, why,
		              sizeof(why)) == 0) {
			r = agent_gate_eval_pb(g, m, &v, &e);
			ttrpc_pb_free(m);
			free(out);
		} else if (strcmp(lines[i].ep, "AllowRequestsFailingPolicy") == 0) {
			r = agent_gate_eval_json(g, lines[i].ep, "{}", 2, &v, &e);
		} else { /* a request agent.proto does not have: as recorded */
			r = agent_gate_eval_json(g, lines[i].ep, lines[i].json, lines[i].len, &v, &e);
		}
		bool ok = r == 0 && v.allowed == json_is_true(json_array_get(want, i));
		/* the print lines, as recorded (locations aside) */
		json_t *wp = json_array_get(wprints, i);
		const char *p = v.prints ? v.prints : "";
		for (size_t k = 0; ok && own && k < json_array_size(wp); k++) {
			/* each print: our "file:line: " prefix, then the recorded
			 * text (which may hold newlines), then a newline */
			const char *wl = strip_print_location(json_string_value(json_array_get(wp, k)));
			const char *nl = strchr(p, '\n');
			const char *colon = nl ? strstr(p, ".rego:") : NULL;
			const char *q = colon && colon < nl ? strip_print_location(p) : p;
			size_t wn = strlen(wl);
			ok = strncmp(q, wl, wn) == 0 && q[wn] == '\n';
			if (!ok)
				print_message("print %zu differs:\n  want: %s\n  got:  %.*s\n", k, wl,
				              nl ? (int)(nl - p) : (int)strlen(p), p);
			p = q + wn + 1;
		}
		ok = ok && (!own || *p == '\0');
		if (ok) {
			res->pass++;
		} else {
			res->fail++;
			print_message("%s #%zu %s (%s): r=%d allowed=%d want %d %s\n", name, i,
			              lines[i].ep, agent_json_shape_name(shape), r, v.allowed,
			              json_is_true(json_array_get(want, i)), r < 0 ? cc_error_message(e) : "");
		}
		cc_error_free(e);
		e = NULL;
		agent_verdict_clear(&v);
	}
	kata_lines_free(lines, n);
	agent_gate_free(g);
	json_decref(want);
	json_decref(wprints);
}

static void replay_all(int shape)
{
	struct replay_result res = {0};
	for (size_t s = 0; s < kata_n_scenarios; s++)
		replay_scenario(kata_scenarios[s], shape, &res);
	print_message("shape %s: %zu requests answered as recorded, %zu not\n",
	              shape < 0 ? "as recorded (answers and prints)"
	                        : agent_json_shape_name((enum agent_json_shape)shape),
	              res.pass, res.fail);
	assert_int_equal(res.fail, 0);
	assert_int_equal(res.pass, 442);
}

static void test_policy_recorded(void **state)
{
	(void)state;
	replay_all(-1);
}

/* The default shape (both CopyFile forms, every field) and today's Kata
 * shape give the same answers on these policies. */
static void test_policy_recorded_both(void **state)
{
	(void)state;
	replay_all(AGENT_JSON_BOTH);
}

static void test_policy_recorded_kata(void **state)
{
	(void)state;
	replay_all(AGENT_JSON_KATA);
}

/* ---- the mapping's rules ------------------------------------------------ */

static json_t *to_json(const ProtobufCMessage *m, enum agent_json_shape shape)
{
	char *s = NULL;
	cc_error *e = NULL;
	int r = agent_json_from_pb(m, shape, 0, &s, NULL, &e);
	if (r < 0)
		fail_msg("agent_json_from_pb: %s", cc_error_message(e));
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	free(s);
	return j;
}

static void assert_json(json_t *j, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	assert_non_null(w);
	if (!json_equal(j, w)) {
		char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("got %s\nwant %s", got, want);
	}
	json_decref(w);
}

static void test_defaults_and_nulls(void **state)
{
	(void)state;
	/* every field present: unset messages null, empty lists [], maps {} */
	Grpc__CreateContainerRequest cc = GRPC__CREATE_CONTAINER_REQUEST__INIT;
	json_t *j = to_json(&cc.base, AGENT_JSON_BOTH);
	assert_json(j, "{\"container_id\":\"\",\"exec_id\":\"\",\"string_user\":null,\"devices\":[],"
	               "\"storages\":[],\"OCI\":null,\"sandbox_pidns\":false,\"shared_mounts\":[],"
	               "\"stdin_port\":0,\"stdout_port\":0,\"stderr_port\":0}");
	json_decref(j);
	Grpc__Spec spec = GRPC__SPEC__INIT;
	j = to_json(&spec.base, AGENT_JSON_BOTH);
	assert_json(j, "{\"Version\":\"\",\"Process\":null,\"Root\":null,\"Hostname\":\"\","
	               "\"Mounts\":[],\"Hooks\":null,\"Annotations\":{},\"Linux\":null,"
	               "\"Solaris\":null,\"Windows\":null}");
	json_decref(j);
}

static void test_rust_keyword_and_enum(void **state)
{
	(void)state;
	Types__IPAddress a = TYPES__IPADDRESS__INIT;
	a.family = TYPES__IPFAMILY__v6;
	a.address = (char *)"fe80::1";
	a.mask = (char *)"64";
	Types__IPAddress *addrs[] = {&a};
	Types__Interface itf = TYPES__INTERFACE__INIT;
	itf.device = (char *)"eth0";
	itf.type = (char *)"veth";
	itf.mtu = 1500;
	itf.n_ipaddresses = 1;
	itf.ipaddresses = addrs;
	Grpc__UpdateInterfaceRequest u = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
	u.interface = &itf;
	json_t *j = to_json(&u.base, AGENT_JSON_KATA);
	assert_json(j, "{\"interface\":{\"device\":\"eth0\",\"name\":\"\",\"IPAddresses\":[{\"family\":1,"
	               "\"address\":\"fe80::1\",\"mask\":\"64\"}],\"mtu\":1500,\"hwAddr\":\"\","
	               "\"pciPath\":\"\",\"type_\":\"veth\",\"raw_flags\":0}}");
	json_decref(j);
}

/* The only field of the agent API named like a Rust keyword is `type`. */
static void walk_keys(const ProtobufCMessageDescriptor *d, int depth, size_t *renamed)
{
	assert_true(depth < 16); /* no recursive message types */
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char kb[64];
		const char *k = agent_json_key(f, kb, sizeof(kb));
		if (strcmp(k, f->name) != 0) {
			assert_string_equal(f->name, "type");
			assert_string_equal(k, "type_");
			(*renamed)++;
		}
		assert_true(f->label == PROTOBUF_C_LABEL_NONE || f->label == PROTOBUF_C_LABEL_REPEATED);
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			assert_non_null(agent_json_oneof_name(d, f, NULL));
		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			walk_keys(f->descriptor, depth + 1, renamed);
	}
}

static void test_schema_rules(void **state)
{
	(void)state;
	static const char *const eps[] = {
	    "CreateContainerRequest", "ExecProcessRequest",  "UpdateInterfaceRequest",
	    "UpdateRoutesRequest",    "CreateSandboxRequest", "CopyFileRequest",
	    "WriteStreamRequest",     "SetPolicyRequest",    "GuestDetailsRequest",
	};
	size_t renamed = 0;
	for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++)
		walk_keys(pbjson_request_type(eps[i]), 0, &renamed);
	assert_true(renamed >= 3); /* Device.type, Mount.type, Interface.type */
	/* maps are recognised */
	assert_true(agent_json_is_map(&grpc__spec__descriptor.fields[6]));
	assert_false(agent_json_is_map(&grpc__spec__descriptor.fields[4]));
}

static void test_oneof_map_bytes(void **state)
{
	(void)state;
	/* oneof: null, or {"Errnoret": n} */
	Grpc__LinuxSyscall sc = GRPC__LINUX_SYSCALL__INIT;
	json_t *j = to_json(&sc.base, AGENT_JSON_BOTH);
	assert_json(j, "{\"Names\":[],\"Action\":\"\",\"ErrnoRet\":null,\"Args\":[]}");
	json_decref(j);
	sc.errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET;
	sc.errnoret = 0;
	j = to_json(&sc.base, AGENT_JSON_BOTH);
	assert_json(j, "{\"Names\":[],\"Action\":\"\",\"ErrnoRet\":{\"Errnoret\":0},\"Args\":[]}");
	json_decref(j);

	/* a map key sent twice: the last one counts (a Rust HashMap) */
	Grpc__Spec__AnnotationsEntry e1 = GRPC__SPEC__ANNOTATIONS_ENTRY__INIT,
	                             e2 = GRPC__SPEC__ANNOTATIONS_ENTRY__INIT,
	                             e3 = GRPC__SPEC__ANNOTATIONS_ENTRY__INIT;
	e1.key = (char *)"a";
	e1.value = (char *)"first";
	e2.key = (char *)"b";
	e2.value = (char *)"x";
	e3.key = (char *)"a";
	e3.value = (char *)"last";
	Grpc__Spec__AnnotationsEntry *ents[] = {&e1, &e2, &e3};
	Grpc__Spec spec = GRPC__SPEC__INIT;
	spec.n_annotations = 3;
	spec.annotations = ents;
	j = to_json(&spec.base, AGENT_JSON_BOTH);
	assert_json(json_object_get(j, "Annotations"), "{\"a\":\"last\",\"b\":\"x\"}");
	json_decref(j);

	/* bytes: an array of numbers; strings escaped as serde_json does */
	uint8_t data[] = {0, 104, 255};
	Grpc__WriteStreamRequest w = GRPC__WRITE_STREAM_REQUEST__INIT;
	w.container_id = (char *)"c\n\"1\"\x01";
	w.data.data = data;
	w.data.len = sizeof(data);
	char *s = NULL;
	cc_error *e = NULL;
	assert_int_equal(agent_json_from_pb(&w.base, AGENT_JSON_BOTH, 0, &s, NULL, &e), 0);
	assert_string_equal(s, "{\"container_id\":\"c\\n\\\"1\\\"\\u0001\",\"exec_id\":\"\","
	                       "\"data\":[0,104,255]}");
	free(s);
}

static void test_copy_file_shapes(void **state)
{
	(void)state;
	uint8_t secret[] = "not in the input";
	Grpc__CopyFileRequest c = GRPC__COPY_FILE_REQUEST__INIT;
	c.path = (char *)"/run/kata-containers/shared/containers/x-resolv.conf";
	c.file_size = 16;
	c.file_mode = S_IFREG | 0644;
	c.dir_mode = 0750;
	c.data.data = secret;
	c.data.len = sizeof(secret) - 1;
	json_t *j = to_json(&c.base, AGENT_JSON_KATA);
	assert_json(j, "{\"path\":\"/run/kata-containers/shared/containers/x-resolv.conf\","
	               "\"file_type\":\"Regular\",\"symlink_target\":null,\"file_size\":16,"
	               "\"file_mode\":33188,\"dir_mode\":488,\"uid\":0,\"gid\":0,\"offset\":0}");
	json_decref(j);
	j = to_json(&c.base, AGENT_JSON_KATA_2024);
	assert_json(j, "{\"path\":\"/run/kata-containers/shared/containers/x-resolv.conf\","
	               "\"file_size\":16,\"file_mode\":33188,\"dir_mode\":488,\"uid\":0,\"gid\":0,"
	               "\"offset\":0,\"symlink_src\":\"\"}");
	json_decref(j);
	/* a symlink: its target, in both forms */
	uint8_t target[] = "..data/token";
	c.file_mode = S_IFLNK | 0777;
	c.data.data = target;
	c.data.len = sizeof(target) - 1;
	j = to_json(&c.base, AGENT_JSON_BOTH);
	assert_string_equal(json_string_value(json_object_get(j, "file_type")), "Symlink");
	assert_string_equal(json_string_value(json_object_get(j, "symlink_target")), "..data/token");
	assert_string_equal(json_string_value(json_object_get(j, "symlink_src")), "..data/token");
	assert_null(json_object_get(j, "data"));
	json_decref(j);
	c.file_mode = S_IFDIR | 0755;
	j = to_json(&c.base, AGENT_JSON_KATA);
	assert_string_equal(json_string_value(json_object_get(j, "file_type")), "Directory");
	json_decref(j);
	c.file_mode = S_IFSOCK;
	j = to_json(&c.base, AGENT_JSON_BOTH);
	assert_string_equal(json_string_value(json_object_get(j, "file_type")), "Unknown");
	assert_true(json_is_null(json_object_get(j, "symlink_target")));
	json_decref(j);
	/* a target that is not UTF-8, or has a NUL: refused */
	uint8_t bad[] = {'a', 0xff, 'b'};
	uint8_t nul[] = {'x', '/', '.', '.', 0, 'y'};
	c.file_mode = S_IFLNK | 0777;
	char *s = NULL;
	cc_error *e = NULL;
	c.data.data = bad;
	c.data.len = sizeof(bad);
	assert_int_equal(agent_json_from_pb(&c.base, AGENT_JSON_KATA, 0, &s, NULL, &e), -EINVAL);
	assert_non_null(strstr(cc_error_message(e), "invalid symlink content"));
	assert_null(s);
	cc_error_free(e);
	e = NULL;
	c.data.data = nul;
	c.data.len = sizeof(nul);
	assert_int_equal(agent_json_from_pb(&c.base, AGENT_JSON_KATA_2024, 0, &s, NULL, &e), -EINVAL);
	cc_error_free(e);
}

static void test_exec_ports_by_shape(void **state)
{
	(void)state;
	Grpc__ExecProcessRequest x = GRPC__EXEC_PROCESS_REQUEST__INIT;
	x.stdin_port = 7;
	json_t *j = to_json(&x.base, AGENT_JSON_KATA);
	assert_int_equal(json_integer_value(json_object_get(j, "stdin_port")), 7);
	json_decref(j);
	j = to_json(&x.base, AGENT_JSON_KATA_2024);
	assert_int_equal(json_integer_value(json_object_get(j, "stdin_port")), 7);
	json_decref(j);
	j = to_json(&x.base, AGENT_JSON_KATA_2023);
	assert_null(json_object_get(j, "stdin_port"));
	json_decref(j);
}

static void test_size_cap(void **state)
{
	(void)state;
	size_t n = 100000;
	uint8_t *data = calloc(1, n);
	Grpc__WriteStreamRequest w = GRPC__WRITE_STREAM_REQUEST__INIT;
	w.data.data = data;
	w.data.len = n;
	char *s = NULL;
	cc_error *e = NULL;
	assert_int_equal(agent_json_from_pb(&w.base, AGENT_JSON_BOTH, 4096, &s, NULL, &e), -E2BIG);
	assert_null(s);
	assert_non_null(strstr(cc_error_message(e), "WriteStreamRequest"));
	cc_error_free(e);
	free(data);
	/* shapes by name */
	enum agent_json_shape sh;
	assert_int_equal(agent_json_shape_parse("kata-2024", &sh), 0);
	assert_int_equal(sh, AGENT_JSON_KATA_2024);
	assert_int_equal(agent_json_shape_parse("kata-2023", &sh), 0);
	assert_string_equal(agent_json_shape_name(sh), "kata-2023");
	assert_int_equal(agent_json_shape_parse("nope", &sh), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_nulls),
	    cmocka_unit_test(test_rust_keyword_and_enum),
	    cmocka_unit_test(test_schema_rules),
	    cmocka_unit_test(test_oneof_map_bytes),
	    cmocka_unit_test(test_copy_file_shapes),
	    cmocka_unit_test(test_exec_ports_by_shape),
	    cmocka_unit_test(test_size_cap),
	    cmocka_unit_test(test_roundtrip_recorded),
	    cmocka_unit_test(test_policy_recorded),
	    cmocka_unit_test(test_policy_recorded_both),
	    cmocka_unit_test(test_policy_recorded_kata),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
