/* ttrpc codec tests: the byte vectors of kata.md §1.5, frame parsing, the
 * Request/Response envelope, the wire validator, protobuf-c caps, status
 * codes, and the shape of the generated schemas. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "containerd/api/events/task.pb-c.h"
#include "containerd/api/services/ttrpc/events/v1/events.pb-c.h"
#include "containerd/runtime/v2/task/shim.pb-c.h"
#include "health.pb-c.h"
#include "helpers.h"
#include "ttrpc_int.h"

/* kata.md §1.5 */
#define VEC_CONNECT                                                                                \
	"000000560000000101000a17636f6e7461696e6572642e7461736b2e76322e5461736b1207436f6e6e6563741a05" \
	"0a03666f6f2080c8afa0252a250a1a636f6e7461696e6572642d6e616d6573706163652d747472706312076465" \
	"6661756c74"
#define VEC_CHECK "000000140000000301000a0b677270632e4865616c74681205436865636b"
#define VEC_REPLY_GO "000000060000000302000a0012020801"
#define VEC_REPLY_NO_STATUS "0000000400000003020012020801"

/* Frame = header(len, id, type 0x01 or 0x02, flags 0) + body. */
static char *frame_hex(uint32_t id, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t *f = malloc(TTRPC_HEADER_LEN + len);
	assert_non_null(f);
	ttrpc_frame_header h = {(uint32_t)len, id, type, 0};
	ttrpc_frame_header_encode(&h, f);
	memcpy(f + TTRPC_HEADER_LEN, body, len);
	char *s = hex_encode(f, TTRPC_HEADER_LEN + len);
	free(f);
	return s;
}

static void test_vectors_encode(void **state)
{
	(void)state;
	/* containerd -> shim Connect{id:"foo"}, namespace metadata, 10 s */
	Containerd__Task__V2__ConnectRequest cr = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
	cr.id = "foo";
	uint8_t *payload = NULL, *body = NULL;
	size_t plen = 0, blen = 0;
	assert_int_equal(ttrpc_pb_pack(&cr.base, &payload, &plen, NULL), 0);
	ttrpc_kv md[] = {{"containerd-namespace-ttrpc", "default"}};
	ttrpc_call_opts opts = {.timeout_ns = 10000000000, .metadata = md, .n_metadata = 1};
	body = request_bytes("containerd.task.v2.Task", "Connect", payload, plen, &opts, &blen);
	char *s = frame_hex(1, TTRPC_MSG_REQUEST, body, blen);
	assert_string_equal(s, VEC_CONNECT);
	free(s), free(body), free(payload);

	/* shim -> agent grpc.Health/Check with an empty CheckRequest */
	Grpc__CheckRequest chk = GRPC__CHECK_REQUEST__INIT;
	assert_int_equal(ttrpc_pb_pack(&chk.base, &payload, &plen, NULL), 0);
	assert_int_equal(plen, 0);
	body = request_bytes("grpc.Health", "Check", payload, plen, NULL, &blen);
	s = frame_hex(3, TTRPC_MSG_REQUEST, body, blen);
	assert_string_equal(s, VEC_CHECK);
	free(s), free(body), free(payload);

	/* the reply, Go-server style (explicit OK status) */
	Grpc__HealthCheckResponse hr = GRPC__HEALTH_CHECK_RESPONSE__INIT;
	hr.status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	assert_int_equal(ttrpc_pb_pack(&hr.base, &payload, &plen, NULL), 0);
	assert_int_equal(ttrpc_response_encode(TTRPC_OK, NULL, payload, plen, &body, &blen, NULL), 0);
	s = frame_hex(3, TTRPC_MSG_RESPONSE, body, blen);
	assert_string_equal(s, VEC_REPLY_GO);
	free(s), free(body), free(payload);
}

static void test_vectors_decode(void **state)
{
	(void)state;
	size_t len = 0, off = 0;
	uint8_t *buf = hex_decode(VEC_CONNECT, &len);
	ttrpc_frame_header h;
	const uint8_t *p = NULL;
	assert_int_equal(ttrpc_frame_parse(buf, len, &off, &h, &p, NULL), 0);
	assert_int_equal(off, len);
	assert_int_equal(h.length, 0x56);
	assert_int_equal(h.stream_id, 1);
	assert_int_equal(h.type, TTRPC_MSG_REQUEST);
	assert_int_equal(h.flags, 0);
	Ttrpc__Request *req = NULL;
	int code = -1;
	assert_int_equal(ttrpc_request_decode(p, h.length, &req, &code, NULL), 0);
	assert_string_equal(req->service, "containerd.task.v2.Task");
	assert_string_equal(req->method, "Connect");
	assert_int_equal(req->timeout_nano, 10000000000);
	assert_int_equal(req->n_metadata, 1);
	assert_string_equal(req->metadata[0]->key, "containerd-namespace-ttrpc");
	assert_string_equal(req->metadata[0]->value, "default");
	ProtobufCMessage *m = NULL;
	assert_int_equal(ttrpc_pb_unpack(&containerd__task__v2__connect_request__descriptor,
	                                 req->payload.data, req->payload.len, &m, NULL),
	                 0);
	assert_string_equal(((Containerd__Task__V2__ConnectRequest *)m)->id, "foo");
	ttrpc_pb_free(m);
	ttrpc_pb_free(&req->base);
	free(buf);

	/* both reply styles decode to OK + HealthCheckResponse{SERVING} */
	const char *replies[] = {VEC_REPLY_GO, VEC_REPLY_NO_STATUS};
	for (size_t i = 0; i < 2; i++) {
		off = 0;
		buf = hex_decode(replies[i], &len);
		assert_int_equal(ttrpc_frame_parse(buf, len, &off, &h, &p, NULL), 0);
		assert_int_equal(h.type, TTRPC_MSG_RESPONSE);
		assert_int_equal(h.stream_id, 3);
		char *msg = NULL;
		uint8_t *out = NULL;
		size_t olen = 0;
		code = -1;
		assert_int_equal(ttrpc_response_decode(p, h.length, &code, &msg, &out, &olen, NULL), 0);
		assert_int_equal(code, TTRPC_OK);
		assert_null(msg);
		assert_int_equal(ttrpc_pb_unpack(&grpc__health_check_response__descriptor, out, olen, &m,
		                                 NULL),
		                 0);
		assert_int_equal(((Grpc__HealthCheckResponse *)m)->status,
		                 GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
		ttrpc_pb_free(m);
		free(out);
		free(buf);
	}
}

static void test_frame_parse(void **state)
{
	(void)state;
	size_t len = 0;
	uint8_t *a = hex_decode(VEC_CHECK VEC_REPLY_GO, &len);
	ttrpc_frame_header h = {0};
	const uint8_t *p = NULL;
	size_t off = 0;
	/* every strict prefix is incomplete and leaves off alone */
	for (size_t cut = 0; cut < 30; cut++) {
		off = 0;
		assert_int_equal(ttrpc_frame_parse(a, cut, &off, &h, &p, NULL), -EAGAIN);
		assert_int_equal(off, 0);
	}
	off = 0;
	assert_int_equal(ttrpc_frame_parse(a, len, &off, &h, &p, NULL), 0);
	assert_int_equal(off, 30);
	assert_int_equal(ttrpc_frame_parse(a, len, &off, &h, &p, NULL), 0);
	assert_int_equal(off, len);
	assert_int_equal(h.type, TTRPC_MSG_RESPONSE);
	assert_int_equal(ttrpc_frame_parse(a, len, &off, &h, &p, NULL), -EAGAIN);
	free(a);

	/* oversized: the header is consumed, the length reported */
	uint8_t big[TTRPC_HEADER_LEN];
	ttrpc_frame_header bh = {CC_TTRPC_MAX_MESSAGE_BYTES + 1, 7, TTRPC_MSG_REQUEST, 0};
	ttrpc_frame_header_encode(&bh, big);
	off = 0;
	cc_error *err = NULL;
	assert_int_equal(ttrpc_frame_parse(big, sizeof(big), &off, &h, &p, &err), -E2BIG);
	assert_int_equal(off, TTRPC_HEADER_LEN);
	assert_int_equal(h.length, CC_TTRPC_MAX_MESSAGE_BYTES + 1);
	assert_int_equal(h.stream_id, 7);
	assert_string_equal(cc_error_message(err),
	                    "stream 7: message length 4194305 exceeds maximum message size of 4194304");
	cc_error_free(err);

	/* exactly the cap is fine (header only here: incomplete, not oversized) */
	bh.length = CC_TTRPC_MAX_MESSAGE_BYTES;
	ttrpc_frame_header_encode(&bh, big);
	off = 0;
	assert_int_equal(ttrpc_frame_parse(big, sizeof(big), &off, &h, &p, NULL), -EAGAIN);

	/* header round trip with every byte significant */
	ttrpc_frame_header x = {0x01020304, 0xa1b2c3d4, 0xee, 0x07}, y;
	uint8_t hb[TTRPC_HEADER_LEN];
	ttrpc_frame_header_encode(&x, hb);
	char *s = hex_encode(hb, sizeof(hb));
	assert_string_equal(s, "01020304a1b2c3d4ee07");
	free(s);
	ttrpc_frame_header_decode(hb, &y);
	assert_memory_equal(&x, &y, sizeof(x));
}

/* Validation errors: exact messages, nothing decoded. */
static void expect_invalid(const ProtobufCMessageDescriptor *d, const char *hex, const char *msg)
{
	size_t len = 0;
	uint8_t *p = hex_decode(hex, &len);
	cc_error *err = NULL;
	ProtobufCMessage *m = NULL;
	assert_int_equal(ttrpc_pb_unpack(d, p, len, &m, &err), -EINVAL);
	assert_null(m);
	assert_string_equal(cc_error_message(err), msg);
	cc_error_free(err);
	free(p);
}

static void test_validate(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *cf = &grpc__copy_file_request__descriptor;
	const char *bad_utf8 = "grpc.CopyFileRequest.path: string is not valid UTF-8 or contains NUL";
	expect_invalid(cf, "0a03612f00", bad_utf8);       /* "a/\0" */
	expect_invalid(cf, "0a02c0af", bad_utf8);         /* overlong "/" */
	expect_invalid(cf, "0a03eda080", bad_utf8);       /* surrogate U+D800 */
	expect_invalid(cf, "0a04f4908080", bad_utf8);     /* U+110000 */
	expect_invalid(cf, "0a01ff", bad_utf8);
	expect_invalid(cf, "0a02e282", bad_utf8);         /* truncated sequence */
	expect_invalid(cf, "0a05", "grpc.CopyFileRequest.path: truncated value");
	expect_invalid(cf, "10ffffffffffffffffffff01",
	               "grpc.CopyFileRequest.file_size: truncated value"); /* 11-byte varint */
	expect_invalid(cf, "80", "grpc.CopyFileRequest: truncated or overlong tag at byte 1");
	expect_invalid(cf, "0b", "grpc.CopyFileRequest.path: unsupported wire type 3");
	expect_invalid(cf, "07", "grpc.CopyFileRequest: invalid field number 0");
	expect_invalid(cf, "fe", "grpc.CopyFileRequest: truncated or overlong tag at byte 1");
	expect_invalid(cf, "f8ffffff7f00", "grpc.CopyFileRequest: invalid field number 4294967295");
	/* bytes fields may hold anything */
	size_t len = 0;
	uint8_t *p = hex_decode("0a052f72756e2f4203ff0000", &len);
	ProtobufCMessage *m = NULL;
	assert_int_equal(ttrpc_pb_unpack(cf, p, len, &m, NULL), 0);
	Grpc__CopyFileRequest *c = (Grpc__CopyFileRequest *)m;
	assert_string_equal(c->path, "/run/");
	assert_int_equal(c->data.len, 3);
	ttrpc_pb_free(m);
	free(p);
	/* unknown fields of every wire type are skipped (and kept) */
	p = hex_decode("a806019106010203040506070892030400ff00ee9d03010203040a0461e282ac", &len);
	assert_int_equal(ttrpc_pb_unpack(cf, p, len, &m, NULL), 0);
	assert_string_equal(((Grpc__CopyFileRequest *)m)->path, "a\xe2\x82\xac");
	ttrpc_pb_free(m);
	free(p);
	/* nested: CreateContainerRequest.OCI.Process.Args[0] */
	expect_invalid(&grpc__create_container_request__descriptor, "32071205220361ff62",
	               "grpc.CreateContainerRequest.OCI: grpc.Spec.Process: grpc.Process.Args: string "
	               "is not valid UTF-8 or contains NUL");
	/* map entries are messages too */
	expect_invalid(&grpc__spec__descriptor, "3a040a0200ff",
	               "grpc.Spec.Annotations: grpc.Spec.AnnotationsEntry.key: string is not valid "
	               "UTF-8 or contains NUL");
}

static void test_field_number_limit(void **state)
{
	(void)state;
	/* 536870911 is the largest field number: tag f8ffffff0f; 536870912 is
	 * not (tag 8080808010). */
	size_t len = 0;
	uint8_t *p = hex_decode("f8ffffff0f00", &len);
	ProtobufCMessage *m = NULL;
	assert_int_equal(ttrpc_pb_validate(&grpc__copy_file_request__descriptor, p, len, NULL), 0);
	free(p);
	expect_invalid(&grpc__copy_file_request__descriptor, "808080801000",
	               "grpc.CopyFileRequest: invalid field number 536870912");
	(void)m;
}

static void test_decode_caps(void **state)
{
	(void)state;
	/* 2M empty metadata entries: 4 MiB on the wire, far more decoded */
	size_t n = CC_TTRPC_MAX_MESSAGE_BYTES / 2;
	uint8_t *p = malloc(n * 2);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[2 * i] = 0x2a, p[2 * i + 1] = 0x00;
	Ttrpc__Request *req = NULL;
	int code = 0;
	cc_error *err = NULL;
	assert_int_equal(ttrpc_request_decode(p, n * 2, &req, &code, &err), -ENOMEM);
	assert_null(req);
	assert_int_equal(code, TTRPC_RESOURCE_EXHAUSTED);
	assert_string_equal(cc_error_message(err),
	                    "ttrpc.Request: decoding needs more than 33554432 bytes");
	cc_error_free(err);
	err = NULL;
	/* 65 entries: over the metadata count cap */
	assert_int_equal(ttrpc_request_decode(p, 65 * 2, &req, &code, &err), -E2BIG);
	assert_int_equal(code, TTRPC_RESOURCE_EXHAUSTED);
	assert_string_equal(cc_error_message(err), "metadata: 65 entries, more than 64");
	cc_error_free(err);
	err = NULL;
	/* 64 entries are fine */
	assert_int_equal(ttrpc_request_decode(p, 64 * 2, &req, &code, NULL), 0);
	assert_int_equal(req->n_metadata, 64);
	ttrpc_pb_free(&req->base);
	free(p);

	/* metadata bytes: one 64 KiB + 1 value */
	size_t vlen = CC_TTRPC_MAX_METADATA_BYTES + 1;
	char *v = malloc(vlen + 1);
	assert_non_null(v);
	memset(v, 'x', vlen);
	v[vlen] = '\0';
	ttrpc_kv kv = {"k", v};
	ttrpc_call_opts o = {.metadata = &kv, .n_metadata = 1};
	size_t blen = 0;
	uint8_t *body = request_bytes("s", "m", NULL, 0, &o, &blen);
	assert_int_equal(ttrpc_request_decode(body, blen, &req, &code, &err), -E2BIG);
	assert_string_equal(cc_error_message(err), "metadata: 65538 bytes, more than 65536");
	cc_error_free(err);
	free(body);
	free(v);

	/* packing refuses more than a frame carries */
	Grpc__CopyFileRequest cf = GRPC__COPY_FILE_REQUEST__INIT;
	cf.path = "/run/x";
	cf.data.len = CC_TTRPC_MAX_MESSAGE_BYTES;
	cf.data.data = calloc(1, cf.data.len);
	assert_non_null(cf.data.data);
	uint8_t *out = (uint8_t *)"unchanged";
	size_t olen = 7;
	err = NULL;
	assert_int_equal(ttrpc_pb_pack(&cf.base, &out, &olen, &err), -E2BIG);
	assert_string_equal((char *)out, "unchanged");
	assert_int_equal(olen, 7);
	assert_string_equal(cc_error_message(err),
	                    "grpc.CopyFileRequest: 4194317 bytes packed, more than 4194304");
	cc_error_free(err);
	free(cf.data.data);

	/* unpack refuses more than a frame too */
	err = NULL;
	ProtobufCMessage *m = NULL;
	assert_int_equal(ttrpc_pb_unpack(&grpc__copy_file_request__descriptor, "", CC_TTRPC_MAX_MESSAGE_BYTES + 1,
	                                 &m, &err),
	                 -E2BIG);
	cc_error_free(err);
	ttrpc_pb_free(NULL);
}

static void test_codes(void **state)
{
	(void)state;
	assert_string_equal(ttrpc_code_name(TTRPC_OK), "OK");
	assert_string_equal(ttrpc_code_name(TTRPC_UNIMPLEMENTED), "UNIMPLEMENTED");
	assert_string_equal(ttrpc_code_name(TTRPC_UNAUTHENTICATED), "UNAUTHENTICATED");
	assert_string_equal(ttrpc_code_name(17), "UNKNOWN");
	assert_string_equal(ttrpc_code_name(-1), "UNKNOWN");
	/* every code but UNKNOWN survives code -> errno -> code */
	for (int c = 1; c <= 16; c++) {
		int e = ttrpc_code_to_errno(c);
		assert_true(e < 0);
		if (c != TTRPC_UNKNOWN)
			assert_int_equal(ttrpc_code_from_errno(e), c);
	}
	assert_int_equal(ttrpc_code_to_errno(TTRPC_OK), 0);
	assert_int_equal(ttrpc_code_to_errno(99), -EREMOTEIO);
	assert_int_equal(ttrpc_code_from_errno(-ENOENT), TTRPC_NOT_FOUND);
	assert_int_equal(ttrpc_code_from_errno(EPERM), TTRPC_PERMISSION_DENIED);
	assert_int_equal(ttrpc_code_from_errno(-ENOMEM), TTRPC_RESOURCE_EXHAUSTED);
	assert_int_equal(ttrpc_code_from_errno(-EOPNOTSUPP), TTRPC_UNIMPLEMENTED);
	assert_int_equal(ttrpc_code_from_errno(-EXDEV), TTRPC_UNKNOWN);
	assert_int_equal(ttrpc_code_from_errno(0), TTRPC_OK);

	cc_error *err = NULL;
	assert_int_equal(ttrpc_error_set(&err, TTRPC_NOT_FOUND, "container %s", "c1"), -ENOENT);
	assert_int_equal(ttrpc_error_code(err), TTRPC_NOT_FOUND);
	assert_string_equal(cc_error_kind(err), "NOT_FOUND");
	assert_string_equal(cc_error_message(err), "container c1");
	/* first error wins */
	assert_int_equal(ttrpc_error_set(&err, TTRPC_INTERNAL, "later"), -EPROTO);
	assert_string_equal(cc_error_message(err), "container c1");
	cc_error_free(err);
	err = NULL;
	assert_int_equal(ttrpc_error_set(&err, TTRPC_OK, "not ok"), -EREMOTEIO);
	cc_error_free(err);
	err = NULL;
	cc_error_set(&err, -EIO, "plain");
	assert_int_equal(ttrpc_error_code(err), TTRPC_UNKNOWN);
	cc_error_free(err);
	assert_int_equal(ttrpc_error_code(NULL), TTRPC_OK);
}

/* ---- the generated schemas ------------------------------------------- */

/* Depth-first walk: fails on a cycle, returns the deepest nesting. */
static unsigned walk(const ProtobufCMessageDescriptor *d, const ProtobufCMessageDescriptor **stack,
                     unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		if (stack[i] == d)
			fail_msg("recursive message type %s", d->name);
	assert_true(depth < 64);
	stack[depth] = d;
	unsigned deepest = depth + 1;
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
			unsigned k = walk(d->fields[i].descriptor, stack, depth + 1);
			if (k > deepest)
				deepest = k;
		}
	return deepest;
}

static void test_schemas(void **state)
{
	(void)state;
	/* service names as ttrpc routes them (kata.md §1.2) */
	const ProtobufCServiceDescriptor *svcs[] = {
	    &grpc__agent_service__descriptor,
	    &grpc__health__descriptor,
	    &containerd__task__v2__task__descriptor,
	    &containerd__services__events__ttrpc__v1__events__descriptor,
	};
	const char *names[] = {"grpc.AgentService", "grpc.Health", "containerd.task.v2.Task",
	                       "containerd.services.events.ttrpc.v1.Events"};
	const ProtobufCMessageDescriptor *stack[64];
	unsigned deepest = 0;
	for (size_t s = 0; s < 4; s++) {
		assert_string_equal(svcs[s]->name, names[s]);
		for (unsigned m = 0; m < svcs[s]->n_methods; m++) {
			unsigned a = walk(svcs[s]->methods[m].input, stack, 0);
			unsigned b = walk(svcs[s]->methods[m].output, stack, 0);
			deepest = a > deepest ? a : deepest;
			deepest = b > deepest ? b : deepest;
		}
	}
	/* the envelope and the events */
	const ProtobufCMessageDescriptor *more[] = {
	    &ttrpc__request__descriptor,           &ttrpc__response__descriptor,
	    &containerd__events__task_create__descriptor, &containerd__events__task_exit__descriptor,
	};
	for (size_t i = 0; i < 4; i++) {
		unsigned k = walk(more[i], stack, 0);
		deepest = k > deepest ? k : deepest;
	}
	assert_true(deepest <= CC_TTRPC_MAX_PB_DEPTH);
	print_message("deepest message nesting: %u (cap %u)\n", deepest, CC_TTRPC_MAX_PB_DEPTH);
	/* the agent service has the RPCs issue 5 lists */
	assert_int_equal(grpc__agent_service__descriptor.n_methods, 24);
	assert_int_equal(containerd__task__v2__task__descriptor.n_methods, 17);
}

/* A few of Kata's field numbers, spelled out (proto/README.md). */
static void test_kata_numbers(void **state)
{
	(void)state;
	static const struct {
		const ProtobufCMessageDescriptor *d;
		const char *field;
		unsigned num;
	} want[] = {
	    {&grpc__create_container_request__descriptor, "OCI", 6},
	    {&grpc__create_container_request__descriptor, "shared_mounts", 8},
	    {&grpc__create_container_request__descriptor, "stderr_port", 11},
	    {&grpc__exec_process_request__descriptor, "process", 4},
	    {&grpc__copy_file_request__descriptor, "data", 8},
	    {&grpc__create_sandbox_request__descriptor, "kernel_modules", 7},
	    {&grpc__fsgroup__descriptor, "group_id", 2},
	    {&grpc__agent_details__descriptor, "extra_features", 6},
	    {&grpc__read_stream_request__descriptor, "len", 3},
	    {&grpc__spec__descriptor, "Windows", 10},
	    {&grpc__linux__descriptor, "IntelRdt", 13},
	    {&grpc__linux_syscall__descriptor, "errnoret", 3},
	    {&types__interface__descriptor, "raw_flags", 8},
	    {&types__route__descriptor, "family", 6},
	    {&containerd__task__v2__state_response__descriptor, "exec_id", 11},
	    {&containerd__events__task_delete__descriptor, "id", 5},
	    {&containerd__services__events__ttrpc__v1__envelope__descriptor, "event", 4},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(want[i].d, want[i].field);
		assert_non_null(f);
		assert_int_equal(f->id, want[i].num);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors_encode), cmocka_unit_test(test_vectors_decode),
	    cmocka_unit_test(test_frame_parse),    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_field_number_limit), cmocka_unit_test(test_decode_caps),
	    cmocka_unit_test(test_codes),          cmocka_unit_test(test_schemas),
	    cmocka_unit_test(test_kata_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
