/* Fails every allocation in turn (STYLE.md "Tests") on the codec paths of
 * lib/ttrpc: Request and Response encoding and decoding, protobuf-c unpack
 * through the bounded allocator, a frame read from a socket. Through
 * tests/common/alloc_fail.h, every allocation made by our code (and by
 * protobuf-c through our allocator) can fail; glibc's own (strdup,
 * vasprintf inside cc_error) cannot. Each step must either succeed or fail
 * cleanly with -ENOMEM (or -EINVAL) and unchanged outputs; the ASan
 * build's LeakSanitizer checks nothing leaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "alloc_fail.h"
#include "helpers.h"
#include "ttrpc_int.h"

/* ---- the operations ------------------------------------------------- */

static uint8_t *create_payload;
static size_t create_len;

static int op_unpack(void *arg)
{
	ProtobufCMessage *m = (ProtobufCMessage *)arg; /* stays as given on failure */
	int r = ttrpc_pb_unpack(&grpc__create_container_request__descriptor, create_payload,
	                        create_len, &m, NULL);
	if (r == 0) {
		assert_string_equal(((Grpc__CreateContainerRequest *)m)->oci->process->args[0], "/bin/sh");
		ttrpc_pb_free(m);
	} else {
		assert_ptr_equal(m, arg);
	}
	return r;
}

/* unpack, pack again: the same bytes */
static int op_roundtrip(void *arg)
{
	ProtobufCMessage *m = NULL;
	int r = ttrpc_pb_unpack(&grpc__create_container_request__descriptor, create_payload,
	                        create_len, &m, NULL);
	if (r < 0)
		return r;
	uint8_t *out = (uint8_t *)arg;
	size_t len = 7;
	r = ttrpc_pb_pack(m, &out, &len, NULL);
	ttrpc_pb_free(m);
	if (r < 0) {
		assert_ptr_equal(out, arg);
		assert_int_equal(len, 7);
		return r;
	}
	assert_int_equal(len, create_len);
	assert_memory_equal(out, create_payload, len);
	free(out);
	return 0;
}

static int op_request(void *arg)
{
	ttrpc_kv md[] = {{"containerd-namespace-ttrpc", "default"}, {"k", "v"}};
	ttrpc_call_opts o = {.timeout_ns = 1000, .metadata = md, .n_metadata = 2};
	uint8_t *b = NULL;
	size_t len = 0;
	int r = ttrpc_request_encode("grpc.AgentService", "CreateContainer", create_payload,
	                             create_len, &o, &b, &len, NULL);
	if (r < 0)
		return r;
	Ttrpc__Request *req = NULL;
	int code = 0;
	r = ttrpc_request_decode(b, len, &req, &code, NULL);
	free(b);
	if (r < 0) {
		assert_null(req);
		return r;
	}
	assert_string_equal(req->metadata[1]->value, "v");
	ttrpc_pb_free(&req->base);
	return 0;
}

static int op_response(void *arg)
{
	uint8_t *b = NULL;
	size_t len = 0;
	int r = ttrpc_response_encode(TTRPC_NOT_FOUND, "no such container", "xyz", 3, &b, &len, NULL);
	if (r < 0)
		return r;
	int code = -1;
	char *msg = NULL;
	uint8_t *out = NULL;
	size_t olen = 0;
	r = ttrpc_response_decode(b, len, &code, &msg, &out, &olen, NULL);
	free(b);
	if (r < 0) {
		assert_int_equal(code, -1);
		assert_null(msg);
		return r;
	}
	assert_int_equal(code, TTRPC_NOT_FOUND);
	assert_string_equal(msg, "no such container");
	free(msg);
	free(out);
	return 0;
}

/* A 200 KB frame read from a pipe: the payload buffer grows as it fills. */
static int op_read_frame(void *arg)
{
	int pf[2];
	if (pipe2(pf, O_CLOEXEC) < 0)
		return -errno;
	size_t n = 200000;
	assert_true(fcntl(pf[1], F_SETPIPE_SZ, 1 << 20) >= (int)(n + TTRPC_HEADER_LEN));
	uint8_t *big = __real_calloc(1, n);
	assert_non_null(big);
	big[n - 1] = 0x5a;
	write_frame(pf[1], 7, TTRPC_MSG_REQUEST, 0, big, n);
	close(pf[1]);
	ttrpc_io io;
	int r = ttrpc_io_init(&io, pf[0], NULL, NULL);
	ttrpc_frame_header h = {0};
	uint8_t *p = (uint8_t *)arg;
	bool mid = false;
	if (r == 0)
		r = ttrpc_io_read_frame(&io, &h, &p, &mid);
	if (r == 0) {
		assert_int_equal(h.length, n);
		assert_memory_equal(p, big, n);
		free(p);
	} else {
		assert_ptr_equal(p, arg);
	}
	free(big);
	close(pf[0]);
	return r;
}

static void test_unpack(void **state)
{
	(void)state;
	ProtobufCMessage sentinel;
	assert_true(alloc_fail_each("unpack CreateContainerRequest", op_unpack, &sentinel,
	                            ALLOC_FAIL_EINVAL) > 10);
	uint8_t mark;
	alloc_fail_each("unpack + pack CreateContainerRequest", op_roundtrip, &mark,
	                ALLOC_FAIL_EINVAL);
}

static void test_envelope(void **state)
{
	(void)state;
	alloc_fail_each("Request encode+decode", op_request, NULL, ALLOC_FAIL_EINVAL);
	alloc_fail_each("Response encode+decode", op_response, NULL, ALLOC_FAIL_EINVAL);
	uint8_t mark;
	assert_true(alloc_fail_each("read a 200 KB frame", op_read_frame, &mark,
	                            ALLOC_FAIL_EINVAL) >= 3);
}

static int setup(void **state)
{
	(void)state;
	/* a CreateContainerRequest with a spec, storages and annotations */
	Grpc__Process proc = GRPC__PROCESS__INIT;
	char *args[] = {"/bin/sh", "-c", "echo hi"};
	proc.n_args = 3;
	proc.args = args;
	Grpc__Spec__AnnotationsEntry a1 = GRPC__SPEC__ANNOTATIONS_ENTRY__INIT, *ann[] = {&a1};
	a1.key = "io.kubernetes.cri.image-name";
	a1.value = "registry/busybox:1";
	Grpc__Spec spec = GRPC__SPEC__INIT;
	spec.version = "1.1.0";
	spec.process = &proc;
	spec.n_annotations = 1;
	spec.annotations = ann;
	Grpc__Storage st = GRPC__STORAGE__INIT, *sts[] = {&st, &st};
	st.driver = "local";
	st.mount_point = "/run/kata-containers/shared/containers/c1";
	Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
	req.container_id = "c1";
	req.oci = &spec;
	req.n_storages = 2;
	req.storages = sts;
	assert_int_equal(ttrpc_pb_pack(&req.base, &create_payload, &create_len, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(create_payload);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unpack),
	    cmocka_unit_test(test_envelope),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
