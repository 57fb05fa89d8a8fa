/* Unit tests of the agent runtime that need no OCI runtime: the spec
 * conversion, ids and paths, CopyFile (good and hostile paths), the
 * reaper, the sandbox's checks and lifecycle errors, and the network calls
 * in a network namespace of the test's own (root only; skipped
 * otherwise). The OCI runtime is /bin/true: nothing here runs a
 * container. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_int.h"
#include "rt_nl.h"
#include "test_rt_lib.h"

struct fx {
	char *dir;
	agent_rt *rt;
	char shared[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = rtl_tmpdir();
	f->rt = rtl_runtime(f->dir, "/bin/true", false);
	snprintf(f->shared, sizeof(f->shared), "%s/run/shared/containers", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	agent_rt_free(f->rt);
	rtl_cleanup(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* ---- spec ---------------------------------------------------------------------------- */

static json_t *convert(json_t *spec, bool guest, int *ret_code)
{
	json_t *req = json_pack("{s:s, s:o}", "container_id", "c", "OCI", spec);
	Grpc__CreateContainerRequest *r =
	    (Grpc__CreateContainerRequest *)rtl_request("CreateContainerRequest", req);
	json_decref(req);
	json_t *out = NULL;
	cc_error *e = NULL;
	int rc = rt_spec_to_json(r->oci, guest, &out, &e);
	*ret_code = rc < 0 ? rtl_code(e) : 0;
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return out;
}

static bool has_ns(json_t *spec, const char *type)
{
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(json_object_get(spec, "linux"), "namespaces"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "type")), type) == 0)
			return json_object_get(v, "path") == NULL;
	return false;
}

static void test_spec_fields(void **state)
{
	(void)state;
	const char *args[] = {"/bin/sh", "-c", "echo hi", NULL};
	json_t *spec = rtl_spec(args, true, "/x");
	json_t *l = json_object_get(spec, "Linux");
	json_array_append_new(json_object_get(l, "Namespaces"),
	                      json_pack("{s:s, s:s}", "Type", "pid", "Path", "/proc/1/ns/pid"));
	json_object_set_new(l, "Resources",
	                    json_pack("{s:{s:i, s:i}, s:{s:i}, s:{s:i}}", "Memory", "Limit", 1 << 24,
	                              "Swap", 0, "CPU", "Shares", 0, "Pids", "Limit", 42));
	json_object_set_new(spec, "Annotations", json_pack("{s:s}", "a.b", "c"));
	int code;
	json_t *o = convert(spec, false, &code);
	assert_int_equal(code, 0);
	json_t *p = json_object_get(o, "process");
	assert_true(json_is_true(json_object_get(p, "terminal")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "args"), 2)),
	                    "echo hi");
	assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(p, "capabilities"),
	                                                 "bounding")), 14);
	json_t *m0 = json_array_get(json_object_get(o, "mounts"), 0);
	assert_string_equal(json_string_value(json_object_get(m0, "type")), "proc");
	assert_string_equal(json_string_value(json_object_get(m0, "destination")), "/proc");
	json_t *res = json_object_get(json_object_get(o, "linux"), "resources");
	json_t *mem = json_object_get(res, "memory");
	assert_int_equal(json_integer_value(json_object_get(mem, "limit")), 1 << 24);
	assert_null(json_object_get(mem, "swap"));            /* 0 = unset */
	assert_null(json_object_get(json_object_get(res, "cpu"), "shares"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")),
	                 42);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "annotations"),
	                                                      "a.b")), "c");
	/* host paths dropped; network kept outside a guest; mount already there */
	assert_true(has_ns(o, "pid"));
	assert_true(has_ns(o, "network"));
	assert_true(has_ns(o, "mount"));
	assert_null(json_object_get(o, "root")); /* the bundle sets it */
	json_decref(o);
}

static void test_spec_guest_and_defaults(void **state)
{
	(void)state;
	const char *args[] = {"/bin/true", NULL};
	json_t *spec = rtl_spec(args, false, NULL);
	json_object_set_new(json_object_get(spec, "Linux"), "Namespaces",
	                    json_pack("[{s:s}, {s:s}]", "Type", "network", "Type", "ipc"));
	int code;
	json_t *o = convert(spec, true, &code);
	assert_int_equal(code, 0);
	assert_false(has_ns(o, "network")); /* the VM's network */
	assert_true(has_ns(o, "pid"));      /* added, as Kata does */
	assert_true(has_ns(o, "mount"));
	assert_true(has_ns(o, "ipc"));
	json_decref(o);
}

static void test_spec_hooks_refused(void **state)
{
	(void)state;
	const char *args[] = {"/bin/true", NULL};
	json_t *spec = rtl_spec(args, false, NULL);
	json_object_set_new(spec, "Hooks",
	                    json_pack("{s:[{s:s}]}", "Prestart", "Path", "/bin/evil"));
	int code;
	json_t *o = convert(spec, false, &code);
	assert_null(o);
	assert_int_equal(code, TTRPC_INVALID_ARGUMENT);
}

static void test_spec_duplicate_keys(void **state)
{
	(void)state;
	/* JSON cannot say it, protobuf can: the last entry of a key wins, as
	 * in the policy's input */
	Grpc__Spec__AnnotationsEntry a = GRPC__SPEC__ANNOTATIONS_ENTRY__INIT,
	                             b = GRPC__SPEC__ANNOTATIONS_ENTRY__INIT;
	a.key = b.key = "io.kubernetes.cri.image-name";
	a.value = "first";
	b.value = "second";
	Grpc__Spec__AnnotationsEntry *ents[] = {&a, &b};
	Grpc__Spec spec = GRPC__SPEC__INIT;
	spec.n_annotations = 2;
	spec.annotations = ents;
	assert_string_equal(rt_spec_annotation(&spec, a.key), "second");
	assert_null(rt_spec_annotation(&spec, "other"));
	json_t *o = NULL;
	assert_int_equal(rt_spec_to_json(&spec, false, &o, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "annotations"),
	                                                      a.key)), "second");
	json_decref(o);
}

/* ---- ids and paths ------------------------------------------------------------------------ */

static void test_ids(void **state)
{
	(void)state;
	const char *good[] = {"a", "abc-DEF_1.2", "0123456789abcdef"};
	const char *bad[] = {"", ".", "..", "-x", "a/b", "a b", "a\x01", "shared", "sandbox",
	                     "sockets"};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(rt_check_cid(good[i], NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error *e = NULL;
		assert_int_not_equal(rt_check_cid(bad[i], &e), 0);
		assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	}
	char longid[CC_AGENT_MAX_ID_BYTES + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_not_equal(rt_check_cid(longid, NULL), 0);
	assert_int_equal(rt_check_eid("", NULL), 0);
	assert_int_equal(rt_check_eid("exec-1", NULL), 0);
	assert_int_not_equal(rt_check_eid("a b", NULL), 0);
}

static void test_path_inside(void **state)
{
	(void)state;
	const char *rel = NULL;
	assert_int_equal(rt_path_inside("/r", "/r/a/b", &rel, NULL), 0);
	assert_string_equal(rel, "a/b");
	const char *bad[] = {"/r", "/r/", "/rx/a", "/a", "r/a", "/r/../a", "/r/a/../../b",
	                     "/r//a", "/r/./a", "/r/a/", "/r/a/.."};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error *e = NULL;
		const char *r2 = "unchanged";
		assert_int_not_equal(rt_path_inside("/r", bad[i], &r2, &e), 0);
		assert_string_equal(r2, "unchanged");
		assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	}
}

/* ---- CopyFile ------------------------------------------------------------------------------ */

static int copy(struct fx *f, const char *rel, mode_t mode, const void *data, size_t len,
                int64_t size, int64_t off, int *ret_code)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s%s%s", rel[0] == '/' ? "" : f->shared,
	         rel[0] == '/' ? "" : "/", rel);
	Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
	req.path = path;
	req.file_mode = mode;
	req.dir_mode = 0750;
	req.uid = (int32_t)getuid();
	req.gid = (int32_t)getgid();
	req.file_size = size;
	req.offset = off;
	req.data.data = (uint8_t *)data;
	req.data.len = len;
	cc_error *e = NULL;
	int rc = agent_rt_copy_file(f->rt, &req, &e);
	*ret_code = rc < 0 ? ttrpc_error_code(e) : 0;
	if (rc < 0 && getenv("RT_TEST_VERBOSE"))
		print_message("%s: %s\n", rel, cc_error_message(e));
	cc_error_free(e);
	return rc;
}

static void test_copyfile_good(void **state)
{
	struct fx *f = *state;
	int code;
	/* a file in two chunks, in new directories */
	assert_int_equal(copy(f, "c1-x/etc/hosts", S_IFREG | 0644, "127.0.0.1 ", 10, 19, 0, &code),
	                 0);
	char p[1024], buf[64] = "";
	snprintf(p, sizeof(p), "%s/c1-x/etc/hosts", f->shared);
	assert_int_equal(access(p, F_OK), -1); /* not complete yet */
	assert_int_equal(copy(f, "c1-x/etc/hosts", S_IFREG | 0644, "localhost", 9, 19, 10, &code),
	                 0);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 19);
	close(fd);
	assert_string_equal(buf, "127.0.0.1 localhost");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	snprintf(p, sizeof(p), "%s/c1-x/etc", f->shared);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* setuid dropped */
	assert_int_equal(copy(f, "c1-x/suid", S_IFREG | 04755, "x", 1, 1, 0, &code), 0);
	snprintf(p, sizeof(p), "%s/c1-x/suid", f->shared);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* an empty file, mode 0 = regular */
	assert_int_equal(copy(f, "c1-x/empty", 0600, "", 0, 0, 0, &code), 0);
	/* a directory, twice */
	assert_int_equal(copy(f, "c1-x/sec", S_IFDIR | 0700, NULL, 0, 0, 0, &code), 0);
	assert_int_equal(copy(f, "c1-x/sec", S_IFDIR | 0711, NULL, 0, 0, 0, &code), 0);
	snprintf(p, sizeof(p), "%s/c1-x/sec", f->shared);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0711);
	/* the k8s atomic writer: ..data -> ..2024, token -> ..data/token, and
	 * ..data replaced later */
	assert_int_equal(copy(f, "c1-x/sec/..2024", S_IFDIR | 0755, NULL, 0, 0, 0, &code), 0);
	assert_int_equal(copy(f, "c1-x/sec/..data", S_IFLNK | 0777, "..2024", 6, 0, 0, &code), 0);
	assert_int_equal(copy(f, "c1-x/sec/token", S_IFLNK | 0777, "..data/token", 12, 0, 0, &code),
	                 0);
	assert_int_equal(copy(f, "c1-x/sec/..2025", S_IFDIR | 0755, NULL, 0, 0, 0, &code), 0);
	assert_int_equal(copy(f, "c1-x/sec/..data", S_IFLNK | 0777, "..2025", 6, 0, 0, &code), 0);
	snprintf(p, sizeof(p), "%s/c1-x/sec/..data", f->shared);
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);
	assert_int_equal(n, 6);
	buf[n] = '\0';
	assert_string_equal(buf, "..2025");
}

static void test_copyfile_hostile(void **state)
{
	struct fx *f = *state;
	int code;
	char p[1200], outside[1024];
	snprintf(outside, sizeof(outside), "%s/outside", f->dir);
	assert_int_equal(mkdir(outside, 0755), 0);
	/* a symlink planted in the shared directory (as if by an older agent) */
	snprintf(p, sizeof(p), "%s/evil", f->shared);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/d", f->shared);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/d/f.tmp", f->shared);
	char target[1100];
	snprintf(target, sizeof(target), "%s/planted", outside);
	assert_int_equal(symlink(target, p), 0);
	char parent_escape[1100], abs_other[1100];
	snprintf(parent_escape, sizeof(parent_escape), "%s/../x", f->shared);
	snprintf(abs_other, sizeof(abs_other), "%s/x", outside);
	const char *bad[] = {"/etc/cocoon-rt-test", parent_escape, abs_other, "a/../../x",
	                     "./x", "a//x", "a/", "evil/x", "evil/sub/x", "d/f"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		code = -1;
		assert_int_not_equal(copy(f, bad[i], S_IFREG | 0644, "x", 1, 1, 0, &code), 0);
		if (code != TTRPC_INVALID_ARGUMENT)
			fail_msg("%s: code %d", bad[i], code);
	}
	/* the shared directory itself */
	assert_int_not_equal(copy(f, f->shared, S_IFDIR | 0755, NULL, 0, 0, 0, &code), 0);
	assert_int_equal(code, TTRPC_INVALID_ARGUMENT);
	/* nothing reached outside */
	assert_int_equal(access("/etc/cocoon-rt-test", F_OK), -1);
	snprintf(p, sizeof(p), "%s/x", outside);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(access(target, F_OK), -1);
	snprintf(p, sizeof(p), "%s/sub", outside);
	assert_int_equal(access(p, F_OK), -1);
	/* sizes, types, symlinks (not in the shared root, relative, no "..",
	 * no NUL, not empty) */
	static const struct {
		const char *rel;
		mode_t mode;
		const char *data;
		size_t len;
		int64_t size, off;
	} refused[] = {
	    {"s/big", S_IFREG | 0644, "x", 1, (int64_t)CC_AGENT_COPYFILE_MAX_BYTES + 1, 0},
	    {"s/over", S_IFREG | 0644, "xyz", 3, 2, 0},
	    {"s/neg", S_IFREG | 0644, "x", 1, 1, -1},
	    {"s/sock", S_IFSOCK | 0644, "", 0, 0, 0},
	    {"s/dev", S_IFCHR | 0644, "", 0, 0, 0},
	    {"lnk", S_IFLNK | 0777, "x", 1, 0, 0},
	    {"s/lnk", S_IFLNK | 0777, "/etc", 4, 0, 0},
	    {"s/lnk", S_IFLNK | 0777, "a/../../b", 9, 0, 0},
	    {"s/lnk", S_IFLNK | 0777, "..", 2, 0, 0},
	    {"s/lnk", S_IFLNK | 0777, "a\0b", 3, 0, 0},
	    {"s/lnk", S_IFLNK | 0777, "", 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		code = -1;
		assert_int_not_equal(copy(f, refused[i].rel, refused[i].mode, refused[i].data,
		                          refused[i].len, refused[i].size, refused[i].off, &code),
		                     0);
		if (code != TTRPC_INVALID_ARGUMENT)
			fail_msg("refused[%zu]: code %d", i, code);
	}
	/* a leaf that is a symlink is replaced, not followed */
	snprintf(p, sizeof(p), "%s/d/g", f->shared);
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(copy(f, "d/g", S_IFREG | 0644, "ok", 2, 2, 0, &code), 0);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(access(target, F_OK), -1);
	/* a directory request onto a symlink is refused */
	snprintf(p, sizeof(p), "%s/d/h", f->shared);
	assert_int_equal(symlink(outside, p), 0);
	assert_int_not_equal(copy(f, "d/h", S_IFDIR | 0700, NULL, 0, 0, 0, &code), 0);
	assert_int_equal(code, TTRPC_INVALID_ARGUMENT);
	assert_int_equal(stat(outside, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

/* ---- reaper ------------------------------------------------------------------------------------ */

static void test_reaper(void **state)
{
	(void)state;
	rt_reaper *r = NULL;
	assert_int_equal(rt_reaper_new(&r, NULL), 0);
	const char *argv1[] = {"/bin/sh", "-c", "exit 3", NULL};
	struct rt_spawn sp = {.argv = argv1, .fds = {-1, -1, -1}, .fd3 = -1};
	rt_child *c = NULL;
	assert_int_equal(rt_reaper_spawn(r, &sp, &c, NULL), 0);
	assert_int_equal(rt_child_wait(c, NULL, -1, 10000), 0);
	int ws = 0;
	assert_true(rt_child_exited(c, &ws));
	assert_int_equal(rt_wstatus_to_kata(ws), 3);
	assert_int_equal(rt_child_signal(c, SIGTERM), -ESRCH);
	rt_child_unref(c);
	/* killed by a signal: Kata's status is 128 + the signal's number */
	const char *argv2[] = {"/bin/sleep", "100", NULL};
	sp.argv = argv2;
	assert_int_equal(rt_reaper_spawn(r, &sp, &c, NULL), 0);
	assert_int_equal(rt_child_wait(c, NULL, -1, 50), -ETIMEDOUT);
	assert_int_equal(rt_child_signal(c, SIGKILL), 0);
	assert_int_equal(rt_child_wait(c, NULL, -1, 10000), 0);
	assert_true(rt_child_exited(c, &ws));
	assert_int_equal(rt_wstatus_to_kata(ws), 128 + SIGKILL);
	rt_child_unref(c);
	/* not a child */
	cc_error *e = NULL;
	assert_int_equal(rt_reaper_adopt(r, getppid(), &c, &e), -ECHILD);
	cc_error_free(e);
	/* a missing program */
	const char *argv3[] = {"/nonexistent/prog", NULL};
	sp.argv = argv3;
	e = NULL;
	assert_true(rt_reaper_spawn(r, &sp, &c, &e) < 0);
	cc_error_free(e);
	rt_reaper_free(r);
}

/* ---- sandbox and lifecycle errors ----------------------------------------------------------------- */

static int create_sandbox(struct fx *f, json_t *j)
{
	Grpc__CreateSandboxRequest *req =
	    (Grpc__CreateSandboxRequest *)rtl_request("CreateSandboxRequest", j);
	json_decref(j);
	cc_error *e = NULL;
	int rc = agent_rt_create_sandbox(f->rt, req, &e);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	return rc < 0 ? rtl_code(e) : 0;
}

static void test_sandbox_checks(void **state)
{
	struct fx *f = *state;
	char mp[1024];
	snprintf(mp, sizeof(mp), "%s/run/sandbox/local/a", f->dir);
	/* before CreateSandbox */
	const char *args[] = {"/bin/true", NULL};
	json_t *cj = json_pack("{s:s, s:o}", "container_id", "c1", "OCI", rtl_spec(args, false, "/x"));
	Grpc__CreateContainerRequest *cr =
	    (Grpc__CreateContainerRequest *)rtl_request("CreateContainerRequest", cj);
	json_decref(cj);
	cc_error *e = NULL;
	assert_true(agent_rt_create_container(f->rt, NULL, cr, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_FAILED_PRECONDITION);
	Grpc__DestroySandboxRequest dreq = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
	e = NULL;
	assert_true(agent_rt_destroy_sandbox(f->rt, &dreq, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_FAILED_PRECONDITION);
	/* refused requests leave no sandbox */
	assert_int_equal(create_sandbox(f, json_pack("{s:[{s:s, s:s}]}", "storages", "driver",
	                                             "virtio-fs", "mount_point", mp)),
	                 TTRPC_INVALID_ARGUMENT);
	assert_int_equal(create_sandbox(f, json_pack("{s:[{s:s, s:s}]}", "storages", "driver",
	                                             "local", "mount_point", "/tmp/escape")),
	                 TTRPC_INVALID_ARGUMENT);
	assert_int_equal(create_sandbox(f, json_pack("{s:[s]}", "dns", "evil\nnameserver 1.1.1.1")),
	                 TTRPC_INVALID_ARGUMENT);
	assert_int_equal(create_sandbox(f, json_pack("{s:s}", "hostname", "a b")),
	                 TTRPC_INVALID_ARGUMENT);
	/* a good one; twice is ALREADY_EXISTS */
	char eph[1024];
	snprintf(eph, sizeof(eph), "%s/run/sandbox/shm", f->dir);
	assert_int_equal(create_sandbox(f, json_pack("{s:s, s:s, s:[s, s], s:[{s:s, s:s, s:[s]}, "
	                                             "{s:s, s:s, s:[s]}]}",
	                                             "hostname", "pod", "sandbox_id", "sb1", "dns",
	                                             "nameserver 10.0.0.10", "search svc.local",
	                                             "storages", "driver", "local", "mount_point",
	                                             mp, "options", "mode=0777", "driver",
	                                             "ephemeral", "mount_point", eph, "options",
	                                             "size=1M")),
	                 0);
	assert_int_equal(create_sandbox(f, json_pack("{}")), TTRPC_ALREADY_EXISTS);
	struct stat st;
	assert_int_equal(stat(mp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0777);
	if (getuid() == 0)
		assert_true(rtl_mounted_below(eph));
	char rc_path[1024];
	snprintf(rc_path, sizeof(rc_path), "%s/run/sandbox/resolv.conf", f->dir);
	char *text = NULL;
	assert_int_equal(rt_read_file(rc_path, 4096, &text, NULL, NULL), 0);
	assert_string_equal(text, "nameserver 10.0.0.10\nsearch svc.local\n");
	free(text);
	/* unknown containers */
	Grpc__StartContainerRequest sreq = GRPC__START_CONTAINER_REQUEST__INIT;
	sreq.container_id = "nope";
	e = NULL;
	assert_true(agent_rt_start_container(f->rt, &sreq, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_NOT_FOUND);
	sreq.container_id = "../evil";
	e = NULL;
	assert_true(agent_rt_start_container(f->rt, &sreq, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	Grpc__WaitProcessRequest wreq = GRPC__WAIT_PROCESS_REQUEST__INIT;
	wreq.container_id = "nope";
	Grpc__WaitProcessResponse *wr = NULL;
	e = NULL;
	assert_true(agent_rt_wait_process(f->rt, NULL, &wreq, &wr, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_NOT_FOUND);
	/* unsupported parts of CreateContainer, and a root outside run_dir */
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	cj = json_pack("{s:s, s:o}", "container_id", "c1", "OCI", rtl_spec(args, false, "/"));
	cr = (Grpc__CreateContainerRequest *)rtl_request("CreateContainerRequest", cj);
	json_decref(cj);
	e = NULL;
	assert_true(agent_rt_create_container(f->rt, NULL, cr, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	char bundle[1024];
	snprintf(bundle, sizeof(bundle), "%s/run/c1", f->dir);
	assert_int_equal(access(bundle, F_OK), -1); /* cleaned up */
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	cj = json_pack("{s:s, s:o, s:[{s:s}]}", "container_id", "c1", "OCI",
	               rtl_spec(args, false, "/x"), "devices", "id", "vda");
	cr = (Grpc__CreateContainerRequest *)rtl_request("CreateContainerRequest", cj);
	json_decref(cj);
	e = NULL;
	assert_true(agent_rt_create_container(f->rt, NULL, cr, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	/* guest details */
	Grpc__GuestDetailsRequest greq = GRPC__GUEST_DETAILS_REQUEST__INIT;
	greq.mem_block_size = true;
	Grpc__GuestDetailsResponse *gr = NULL;
	assert_int_equal(agent_rt_guest_details(f->rt, &greq, &gr, NULL), 0);
	assert_non_null(gr->agent_details);
	assert_int_equal(gr->agent_details->n_storage_handlers, 3);
	protobuf_c_message_free_unpacked(&gr->base, NULL);
	/* DestroySandbox undoes the storages */
	assert_int_equal(agent_rt_destroy_sandbox(f->rt, &dreq, NULL), 0);
	assert_false(rtl_mounted_below(eph));
	assert_int_equal(access(mp, F_OK), -1);
}

/* ---- stats and OOM events from cgroup files (fake v2 and v1 directories) ---------------- */

static void put_file(const char *dir, const char *name, const char *text)
{
	char p[1200];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(rt_write_file(p, text, strlen(text), 0644, NULL), 0);
}

/* A running container in the table whose cgroup is cg (taken). */
static void fake_container(agent_rt *rt, const char *id, struct rt_cgroup cg)
{
	rt_container *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->id = strdup(id);
	c->bundle = strdup("/nonexistent");
	c->gone_efd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&c->op, NULL);
	c->refs = 1;
	c->state = RT_C_RUNNING;
	c->cg = cg;
	pthread_mutex_lock(&rt->lock);
	rt->cs[rt->ncs++] = c;
	pthread_mutex_unlock(&rt->lock);
}

static Grpc__StatsContainerResponse *stats_of(agent_rt *rt, const char *id)
{
	Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
	req.container_id = (char *)id;
	Grpc__StatsContainerResponse *r = NULL;
	cc_error *e = NULL;
	if (agent_rt_stats_container(rt, &req, &r, &e) < 0)
		fail_msg("stats: %s", cc_error_message(e));
	return r;
}

static const char *oom_event(agent_rt *rt, char *buf, size_t n)
{
	Grpc__GetOOMEventRequest req = GRPC__GET_OOMEVENT_REQUEST__INIT;
	Grpc__OOMEvent *ev = NULL;
	assert_int_equal(agent_rt_get_oom_event(rt, NULL, &req, &ev, NULL), 0);
	snprintf(buf, n, "%s", ev->container_id);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	return buf;
}

static void test_stats_and_oom(void **state)
{
	struct fx *f = *state;
	char v2[600], v1[600], ctl[700];
	snprintf(v2, sizeof(v2), "%s/cg2", f->dir);
	snprintf(v1, sizeof(v1), "%s/cg1", f->dir);
	assert_int_equal(rt_mkdir_p(v2, 0755, NULL), 0);
	put_file(v2, "cpu.stat", "usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\n"
	                         "nr_periods 4\nnr_throttled 1\nthrottled_usec 70\n");
	put_file(v2, "memory.current", "123456\n");
	put_file(v2, "memory.max", "max\n");
	put_file(v2, "memory.stat", "anon 100\nfile 200\n");
	put_file(v2, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n");
	put_file(v2, "pids.current", "2\n");
	put_file(v2, "pids.max", "max\n");
	put_file(v2, "io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
	fake_container(f->rt, "v2", (struct rt_cgroup){.unified = strdup(v2)});
	Grpc__StatsContainerResponse *r = stats_of(f->rt, "v2");
	Grpc__CgroupStats *cs = r->cgroup_stats;
	assert_int_equal(cs->cpu_stats->cpu_usage->total_usage, 5000000);
	assert_int_equal(cs->cpu_stats->cpu_usage->usage_in_usermode, 3000000);
	assert_int_equal(cs->cpu_stats->throttling_data->throttled_periods, 1);
	assert_int_equal(cs->memory_stats->usage->usage, 123456);
	assert_true(cs->memory_stats->usage->limit == UINT64_MAX);
	assert_int_equal(cs->memory_stats->usage->failcnt, 3);
	assert_int_equal(cs->memory_stats->cache, 200);
	assert_int_equal(cs->memory_stats->n_stats, 2);
	assert_int_equal(cs->pids_stats->current, 2);
	assert_int_equal(cs->blkio_stats->n_io_service_bytes_recursive, 2);
	assert_int_equal(cs->blkio_stats->io_service_bytes_recursive[1]->value, 20);
	assert_string_equal(cs->blkio_stats->io_serviced_recursive[0]->op, "Read");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* v1 */
	struct rt_cgroup cg1 = {0};
	const char *ctrls[] = {"memory", "cpuacct", "pids", "blkio"};
	char **slots[] = {&cg1.memory, &cg1.cpuacct, &cg1.pids, &cg1.blkio};
	for (size_t i = 0; i < 4; i++) {
		snprintf(ctl, sizeof(ctl), "%s/%s", v1, ctrls[i]);
		assert_int_equal(rt_mkdir_p(ctl, 0755, NULL), 0);
		*slots[i] = strdup(ctl);
	}
	put_file(cg1.memory, "memory.usage_in_bytes", "4096\n");
	put_file(cg1.memory, "memory.limit_in_bytes", "33554432\n");
	put_file(cg1.memory, "memory.stat", "cache 1\ntotal_cache 7\n");
	put_file(cg1.memory, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	put_file(cg1.cpuacct, "cpuacct.usage", "999\n");
	put_file(cg1.cpuacct, "cpuacct.usage_percpu", "400 599 \n");
	put_file(cg1.pids, "pids.current", "5\n");
	put_file(cg1.blkio, "blkio.throttle.io_service_bytes_recursive",
	         "8:0 Read 11\n8:0 Write 22\nTotal 33\n");
	fake_container(f->rt, "v1", cg1);
	r = stats_of(f->rt, "v1");
	cs = r->cgroup_stats;
	assert_int_equal(cs->memory_stats->usage->usage, 4096);
	assert_int_equal(cs->memory_stats->usage->limit, 33554432);
	assert_int_equal(cs->memory_stats->cache, 7);
	assert_int_equal(cs->cpu_stats->cpu_usage->total_usage, 999);
	assert_int_equal(cs->cpu_stats->cpu_usage->n_percpu_usage, 2);
	assert_int_equal(cs->cpu_stats->cpu_usage->percpu_usage[1], 599);
	assert_int_equal(cs->pids_stats->current, 5);
	assert_int_equal(cs->blkio_stats->n_io_service_bytes_recursive, 2);
	assert_string_equal(cs->blkio_stats->io_service_bytes_recursive[1]->op, "Write");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* OOM kills, one event each, in order */
	char buf[64];
	put_file(cg1.memory, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	put_file(v2, "memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");
	const char *a = oom_event(f->rt, buf, sizeof(buf));
	bool first_v2 = strcmp(a, "v2") == 0;
	assert_true(first_v2 || strcmp(a, "v1") == 0);
	assert_string_equal(oom_event(f->rt, buf, sizeof(buf)), first_v2 ? "v1" : "v2");
	/* out of the table again (their cgroups are not real) */
	rt_container *c = NULL;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(rt_container_get(f->rt, k ? "v1" : "v2", &c, NULL), 0);
		rt_container_unlink(f->rt, c);
		rt_container_unref(f->rt, c);
	}
}

/* ---- guest mode (root: in a child with its own UTS, mount and network
 * namespaces and a tmpfs on /etc) ---------------------------------------------------------- */

static int guest_child(const char *dir)
{
	if (unshare(CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWNET) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/etc", "tmpfs", 0, "size=1M") < 0 ||
	    symlink("/nonexistent/resolv.conf", "/etc/resolv.conf") < 0)
		return 2;
	agent_rt *rt = NULL;
	char run[600];
	snprintf(run, sizeof(run), "%s/run", dir);
	struct agent_rt_opts o = {.run_dir = run, .oci_runtime = "/bin/true", .oci_root = run,
	                          .guest = true};
	if (agent_rt_new(&o, &rt, NULL) < 0)
		return 3;
	Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
	char *dns[] = {"nameserver 10.96.0.10", "options ndots:5"};
	req.hostname = "guest-pod";
	req.n_dns = 2;
	req.dns = dns;
	int rc = 0;
	char host[64] = "", *text = NULL;
	if (agent_rt_create_sandbox(rt, &req, NULL) < 0)
		rc = 4;
	else if (gethostname(host, sizeof(host)) < 0 || strcmp(host, "guest-pod") != 0)
		rc = 5;
	else if (rt_read_file("/etc/resolv.conf", 4096, &text, NULL, NULL) < 0 ||
	         strcmp(text, "nameserver 10.96.0.10\noptions ndots:5\n") != 0)
		rc = 6;
	free(text);
	/* in the guest the network calls are not refused */
	Types__Interface in = TYPES__INTERFACE__INIT;
	in.name = "lo";
	Grpc__UpdateInterfaceRequest ureq = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
	ureq.interface = &in;
	Types__Interface *out = NULL;
	if (rc == 0 && agent_rt_update_interface(rt, &ureq, &out, NULL) < 0)
		rc = 7;
	if (out && !(out->raw_flags & 1))
		rc = 8; /* lo is up now */
	if (out)
		protobuf_c_message_free_unpacked(&out->base, NULL);
	agent_rt_free(rt);
	return rc;
}

static void test_guest_mode(void **state)
{
	(void)state;
	if (getuid() != 0)
		skip();
	char *dir = rtl_tmpdir();
	char host[64] = "";
	gethostname(host, sizeof(host));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(guest_child(dir));
	int ws = 0;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	rtl_cleanup(dir);
	free(dir);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	char now[64] = "";
	gethostname(now, sizeof(now));
	assert_string_equal(now, host); /* the host's is untouched */
}

/* ---- network (root: a network namespace of this process) ---------------------------------------- */

/* Runs ip(8) with args (the reaper of f->rt waits for it). */
static void ip(struct fx *f, const char *const *args)
{
	const char *argv[16] = {"/usr/sbin/ip"};
	for (size_t i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	struct rt_spawn sp = {.argv = argv, .fds = {-1, -1, -1}, .fd3 = -1};
	rt_child *c = NULL;
	int ws = -1;
	assert_int_equal(rt_reaper_spawn(f->rt->reaper, &sp, &c, NULL), 0);
	assert_int_equal(rt_child_wait(c, NULL, -1, 20000), 0);
	assert_true(rt_child_exited(c, &ws));
	rt_child_unref(c);
	if (ws != 0)
		fail_msg("ip %s %s %s: status %d", args[0], args[1], args[2], ws);
}

static Types__Interface *find_iface(Grpc__Interfaces *l, const char *name)
{
	for (size_t i = 0; i < l->n_interfaces; i++)
		if (strcmp(l->interfaces[i]->name, name) == 0)
			return l->interfaces[i];
	return NULL;
}

static bool has_route(Grpc__Routes *r, const char *dest, const char *gw)
{
	for (size_t i = 0; i < r->n_routes; i++)
		if (strcmp(r->routes[i]->dest, dest) == 0 && strcmp(r->routes[i]->gateway, gw) == 0)
			return true;
	return false;
}

static void test_network(void **state)
{
	struct fx *f = *state;
	if (getuid() != 0)
		skip();
	/* In the host's namespace (PID 1's), changes are refused (a MAC no
	 * interface has: harmless even if the guard failed). */
	Types__Interface in = TYPES__INTERFACE__INIT;
	in.hwaddr = "02:00:00:de:ad:01";
	Grpc__UpdateInterfaceRequest ureq = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
	ureq.interface = &in;
	Types__Interface *out = NULL;
	cc_error *e = NULL;
	assert_true(agent_rt_update_interface(f->rt, &ureq, &out, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_FAILED_PRECONDITION);
	/* From here on this thread (and what it starts) has its own network. */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	if (access("/usr/sbin/ip", X_OK) < 0)
		skip();
	ip(f, (const char *[]){"link", "add", "dummy0", "type", "veth", "peer", "name", "peer0",
	                       NULL});
	ip(f, (const char *[]){"link", "set", "peer0", "up", NULL});
	Grpc__ListInterfacesRequest lreq = GRPC__LIST_INTERFACES_REQUEST__INIT;
	Grpc__Interfaces *l = NULL;
	assert_int_equal(agent_rt_list_interfaces(f->rt, &lreq, &l, NULL), 0);
	Types__Interface *d = find_iface(l, "dummy0");
	assert_non_null(d);
	assert_non_null(find_iface(l, "lo"));
	assert_string_equal(d->type, "veth");
	char mac[64];
	snprintf(mac, sizeof(mac), "%s", d->hwaddr);
	assert_int_equal(strlen(mac), 17);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	/* rename, MTU, addresses, up */
	Types__IPAddress a4 = TYPES__IPADDRESS__INIT, a6 = TYPES__IPADDRESS__INIT;
	a4.address = "10.1.2.3";
	a4.mask = "24";
	a6.family = TYPES__IPFAMILY__v6;
	a6.address = "fd00::5";
	a6.mask = "64";
	Types__IPAddress *addrs[] = {&a4, &a6};
	in.hwaddr = mac;
	in.name = "eth0";
	in.mtu = 1400;
	in.n_ipaddresses = 2;
	in.ipaddresses = addrs;
	e = NULL;
	if (agent_rt_update_interface(f->rt, &ureq, &out, &e) < 0)
		fail_msg("UpdateInterface: %s", cc_error_message(e));
	assert_string_equal(out->name, "eth0");
	assert_int_equal(out->mtu, 1400);
	assert_true(out->raw_flags & 1); /* IFF_UP */
	bool v4 = false, v6 = false;
	for (size_t i = 0; i < out->n_ipaddresses; i++) {
		v4 |= strcmp(out->ipaddresses[i]->address, "10.1.2.3") == 0 &&
		      strcmp(out->ipaddresses[i]->mask, "24") == 0;
		v6 |= strcmp(out->ipaddresses[i]->address, "fd00::5") == 0;
	}
	assert_true(v4 && v6);
	protobuf_c_message_free_unpacked(&out->base, NULL);
	/* routes: a gateway route given before its link route still works */
	Types__Route r1 = TYPES__ROUTE__INIT, r2 = TYPES__ROUTE__INIT, r3 = TYPES__ROUTE__INIT;
	r1.dest = "10.9.0.0/16";
	r1.gateway = "10.1.2.1";
	r1.device = "eth0";
	r2.dest = "192.168.50.0/24";
	r2.device = "eth0";
	r2.scope = 253; /* link */
	r3.gateway = "10.1.2.254";
	r3.device = "eth0";
	Types__Route *rv[] = {&r1, &r2, &r3};
	Grpc__Routes routes = GRPC__ROUTES__INIT;
	routes.n_routes = 3;
	routes.routes = rv;
	Grpc__UpdateRoutesRequest rreq = GRPC__UPDATE_ROUTES_REQUEST__INIT;
	rreq.routes = &routes;
	Grpc__Routes *got = NULL;
	e = NULL;
	if (agent_rt_update_routes(f->rt, &rreq, &got, &e) < 0)
		fail_msg("UpdateRoutes: %s", cc_error_message(e));
	assert_true(has_route(got, "10.9.0.0/16", "10.1.2.1"));
	assert_true(has_route(got, "192.168.50.0/24", ""));
	assert_true(has_route(got, "", "10.1.2.254"));
	assert_true(has_route(got, "10.1.2.0/24", "")); /* the kernel's, kept */
	protobuf_c_message_free_unpacked(&got->base, NULL);
	/* replacing: the old ones go */
	routes.n_routes = 1;
	rv[0] = &r2;
	assert_int_equal(agent_rt_update_routes(f->rt, &rreq, &got, NULL), 0);
	protobuf_c_message_free_unpacked(&got->base, NULL);
	Grpc__ListRoutesRequest lr = GRPC__LIST_ROUTES_REQUEST__INIT;
	assert_int_equal(agent_rt_list_routes(f->rt, &lr, &got, NULL), 0);
	assert_false(has_route(got, "10.9.0.0/16", "10.1.2.1"));
	assert_false(has_route(got, "", "10.1.2.254"));
	assert_true(has_route(got, "192.168.50.0/24", ""));
	protobuf_c_message_free_unpacked(&got->base, NULL);
	/* hostile values */
	r1.device = "nope0";
	rv[0] = &r1;
	e = NULL;
	assert_true(agent_rt_update_routes(f->rt, &rreq, &got, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	r1.device = "eth0";
	r1.dest = "10.9.0.0/99";
	e = NULL;
	assert_true(agent_rt_update_routes(f->rt, &rreq, &got, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	a4.address = "10.1.2.300";
	e = NULL;
	assert_true(agent_rt_update_interface(f->rt, &ureq, &out, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
	a4.address = "10.1.2.3";
	in.hwaddr = "02:00:00:de:ad:02";
	e = NULL;
	assert_true(agent_rt_update_interface(f->rt, &ureq, &out, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_NOT_FOUND);
	in.hwaddr = "zz";
	e = NULL;
	assert_true(agent_rt_update_interface(f->rt, &ureq, &out, &e) < 0);
	assert_int_equal(rtl_code(e), TTRPC_INVALID_ARGUMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec_fields),
	    cmocka_unit_test(test_spec_guest_and_defaults),
	    cmocka_unit_test(test_spec_hooks_refused),
	    cmocka_unit_test(test_spec_duplicate_keys),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_path_inside),
	    cmocka_unit_test_setup_teardown(test_copyfile_good, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copyfile_hostile, setup, teardown),
	    cmocka_unit_test(test_reaper),
	    cmocka_unit_test_setup_teardown(test_sandbox_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_and_oom, setup, teardown),
	    cmocka_unit_test(test_guest_mode),
	    cmocka_unit_test_setup_teardown(test_network, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
