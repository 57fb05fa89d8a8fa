/* The shim's pure parts (src/shim, docs/shim.md): the command line as Go's
 * flag package reads it, containerd's socket address formula (hashes
 * computed independently with Python's hashlib), Go's filepath.Clean
 * (Go's own test table), configuration.toml, runtime options, the OCI spec
 * conversion and the guest changes, the QEMU command line, stopping a
 * recorded process as `delete` does. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "accel.h"
#include "address.h"
#include "bundle.h"
#include "cleanup.h"
#include "config.h"
#include "copy.h"
#include "flags.h"
#include "google/protobuf/any.pb-c.h"
#include "oci.h"
#include "options.h"
#include "qemu.h"
#include "runtimeoptions.pb-c.h"
#include "ttrpc.h"

#ifndef SHIM_TEST_DATA
#define SHIM_TEST_DATA "tests/shim/data"
#endif

/* ---- flags ---------------------------------------------------------------- */

static int parse(struct shim_flags *f, char **err_msg, ...)
{
	char *argv[32] = {"shim"};
	int argc = 1;
	va_list ap;
	va_start(ap, err_msg);
	for (char *a; (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	cc_error *e = NULL;
	int r = shim_flags_parse(argc, argv, f, &e);
	if (err_msg)
		*err_msg = r < 0 ? strdup(cc_error_message(e)) : NULL;
	cc_error_free(e);
	return r;
}

static void test_flags(void **state)
{
	(void)state;
	struct shim_flags f;
	assert_int_equal(parse(&f, NULL, "-namespace", "default", "-address", "/run/c.sock",
	                       "-publish-binary", "/usr/bin/containerd", "-id", "c1", "start", NULL),
	                 0);
	assert_int_equal(f.action, SHIM_START);
	assert_string_equal(f.namespace_, "default");
	assert_string_equal(f.address, "/run/c.sock");
	assert_string_equal(f.publish_binary, "/usr/bin/containerd");
	assert_string_equal(f.id, "c1");
	assert_false(f.debug);
	assert_int_equal(parse(&f, NULL, "--namespace=k8s.io", "-debug", "-id=x", "-bundle", "/b",
	                       "delete", NULL),
	                 0);
	assert_int_equal(f.action, SHIM_DELETE);
	assert_string_equal(f.namespace_, "k8s.io");
	assert_string_equal(f.bundle, "/b");
	assert_true(f.debug);
	assert_int_equal(parse(&f, NULL, "-debug=false", "-id", "x", NULL), 0);
	assert_false(f.debug);
	assert_int_equal(f.action, SHIM_SERVE);
	assert_int_equal(parse(&f, NULL, "-v", NULL), 0);
	assert_int_equal(f.action, SHIM_VERSION);
	/* "--" ends the flags; the action follows */
	assert_int_equal(parse(&f, NULL, "-id", "x", "--", "start", NULL), 0);
	assert_int_equal(f.action, SHIM_START);
	char *m;
	assert_int_equal(parse(&f, &m, "-nope", "1", NULL), -EINVAL);
	assert_string_equal(m, "flag provided but not defined: -nope");
	free(m);
	assert_int_equal(parse(&f, &m, "-id", NULL), -EINVAL);
	assert_string_equal(m, "flag needs an argument: -id");
	free(m);
	assert_int_equal(parse(&f, &m, "-debug=maybe", NULL), -EINVAL);
	free(m);
	assert_int_equal(parse(&f, &m, "-id", "x", "stop", NULL), -EINVAL);
	assert_string_equal(m, "unknown action \"stop\" (start, delete)");
	free(m);
	assert_int_equal(parse(&f, &m, "start", "extra", NULL), -EINVAL);
	free(m);
	assert_int_equal(parse(&f, &m, "---id", "x", NULL), -EINVAL);
	free(m);
}

/* ---- paths and addresses ---------------------------------------------------- */

static void test_path_clean(void **state)
{
	(void)state;
	/* Go's path/filepath cleantests */
	static const char *const t[][2] = {
	    {"abc", "abc"}, {"abc/def", "abc/def"}, {"a/b/c", "a/b/c"}, {".", "."}, {"..", ".."},
	    {"../..", "../.."}, {"../../abc", "../../abc"}, {"/abc", "/abc"}, {"/", "/"}, {"", "."},
	    {"abc/", "abc"}, {"abc/def/", "abc/def"}, {"./", "."}, {"../", ".."}, {"../../", "../.."},
	    {"/abc/", "/abc"}, {"abc//def//ghi", "abc/def/ghi"}, {"//abc", "/abc"}, {"///abc", "/abc"},
	    {"//abc//", "/abc"}, {"abc//", "abc"}, {"abc/./def", "abc/def"}, {"/./abc/def", "/abc/def"},
	    {"abc/.", "abc"}, {"abc/def/ghi/../jkl", "abc/def/jkl"},
	    {"abc/def/../ghi/../jkl", "abc/jkl"}, {"abc/def/..", "abc"}, {"abc/def/../..", "."},
	    {"/abc/def/../..", "/"}, {"abc/def/../../..", ".."}, {"/abc/def/../../..", "/"},
	    {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"}, {"/../abc", "/abc"},
	    {"abc/./../def", "def"}, {"abc//./../def", "def"}, {"abc/../../././../def", "../../def"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *c = shim_path_clean(t[i][0]);
		if (strcmp(c, t[i][1]) != 0)
			fail_msg("Clean(%s) = %s, want %s", t[i][0], c, t[i][1]);
		free(c);
	}
	const char *parts[] = {"", "a", "", "b/"};
	char *j = shim_path_join(parts, 4);
	assert_string_equal(j, "a/b");
	free(j);
	const char *none[] = {"", ""};
	j = shim_path_join(none, 2);
	assert_string_equal(j, "");
	free(j);
}

static void test_address(void **state)
{
	(void)state;
	char *a = NULL;
	assert_int_equal(shim_socket_address("/run/containerd", "/run/containerd/containerd.sock",
	                                     "default", "c1", &a, NULL),
	                 0);
	assert_string_equal(a, "unix:///run/containerd/s/"
	                       "d25aa4ef11a84e954e74a5bcff06557d0b6ea8d0c00243896f29826694bbd888");
	assert_string_equal(shim_address_path(a), "/run/containerd/s/"
	                    "d25aa4ef11a84e954e74a5bcff06557d0b6ea8d0c00243896f29826694bbd888");
	free(a);
	/* the address is cleaned the way filepath.Join does */
	assert_int_equal(shim_socket_address("/tmp/t/state", "/tmp/x//state/../c.sock", "k8s.io",
	                                     "abc", &a, NULL),
	                 0);
	assert_string_equal(a, "unix:///tmp/t/state/s/"
	                       "cf7b162d1269d929b95e13550f69b58e703c6852ee3b86e003efb87140ac83ff");
	free(a);
	/* too long for a socket path: containerd's own directory */
	char root[120];
	memset(root, 'r', sizeof(root) - 1);
	root[0] = '/';
	root[sizeof(root) - 1] = '\0';
	assert_int_equal(shim_socket_address(root, "/run/containerd/containerd.sock", "default", "c1",
	                                     &a, NULL),
	                 0);
	assert_string_equal(a, "unix:///run/containerd/s/"
	                       "d25aa4ef11a84e954e74a5bcff06557d0b6ea8d0c00243896f29826694bbd888");
	free(a);
	assert_int_equal(shim_state_dir("/run/containerd", "/run/containerd/containerd.sock",
	                                "default", "c1", &a, NULL),
	                 0);
	assert_string_equal(a, "/run/containerd/cocoon/d25aa4ef11a84e954e74a5bcff06557d");
	free(a);
	assert_null(shim_address_path("/no/scheme"));
	assert_null(shim_address_path("unix://relative"));
}

static void test_run_root(void **state)
{
	(void)state;
	static const char *const t[][2] = {
	    {"/run/containerd/io.containerd.runtime.v2.task/default/c1", "/run/containerd"},
	    {"/tmp/t/state/io.containerd.runtime.v2.task/k8s.io/abc/", "/tmp/t/state"},
	    {"/tmp//t/./state/io.containerd.runtime.v2.task/ns/id", "/tmp/t/state"},
	    {"/io.containerd.runtime.v2.task/ns/id", "/"},
	    {"/somewhere/else", "/run/containerd"},
	    {"/x/io.containerd.runtime.v2.task/ns", "/run/containerd"},
	    {"/x/io.containerd.runtime.v2.task/ns/id/more", "/run/containerd"},
	    {"relative/io.containerd.runtime.v2.task/ns/id", "/run/containerd"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *r = shim_run_root(t[i][0]);
		if (strcmp(r, t[i][1]) != 0)
			fail_msg("run_root(%s) = %s, want %s", t[i][0], r, t[i][1]);
		free(r);
	}
}

static void test_ids(void **state)
{
	(void)state;
	assert_true(shim_valid_id("c1"));
	assert_true(shim_valid_id("a.b-c_d"));
	assert_true(shim_valid_id("0123456789012345678901234567890123456789012345678901234567890123"
	                          "456789012"));
	assert_false(shim_valid_id(""));
	assert_false(shim_valid_id("-a"));
	assert_false(shim_valid_id("a-"));
	assert_false(shim_valid_id("a..b"));
	assert_false(shim_valid_id("a/b"));
	assert_false(shim_valid_id("../x"));
	assert_false(shim_valid_id("01234567890123456789012345678901234567890123456789012345678901234"
	                           "567890123456"));
}

/* ---- configuration ---------------------------------------------------------------- */

static char *load_bad(const char *text)
{
	struct shim_config c;
	cc_error *e = NULL;
	int r = shim_config_load_text(&c, "cfg.toml", text, strlen(text), &e);
	shim_config_free(&c);
	if (r == 0)
		fail_msg("accepted:\n%s", text);
	char *m = cc_error_format(e);
	cc_error_free(e);
	return m;
}

static void test_config(void **state)
{
	(void)state;
	struct shim_config c;
	assert_int_equal(shim_config_default(&c, NULL), 0);
	assert_int_equal(c.hypervisor, SHIM_HV_QEMU);
	assert_string_equal(c.machine_type, "microvm");
	assert_int_equal(c.memory_mib, 512);
	assert_int_equal(c.dial_timeout_s, 60);
	shim_config_free(&c);

	/* the shipped file loads and says what the defaults say */
	cc_error *e = NULL;
	assert_int_equal(shim_config_load_file(&c, SHIM_TEST_DATA "/../../../configs/configuration.toml",
	                                       &e),
	                 0);
	assert_string_equal(c.qemu_path, "/usr/bin/qemu-system-x86_64");
	assert_int_equal(c.accel, SHIM_ACCEL_AUTO);
	assert_false(c.user_network);
	assert_null(c.fwd_guest_ip);
	shim_config_free(&c);

	const char *text = "[hypervisor.qemu]\npath = \"/opt/qemu\"\nkernel = \"/k\"\ninitrd = \"/i\"\n"
	                   "machine_type = \"q35\"\naccelerator = \"tcg\"\ndefault_vcpus = 2\n"
	                   "default_memory = 1024\nnetwork = \"user\"\n"
	                   "guest_forward = \"10.0.2.100:5000=127.0.0.1:5001\"\n"
	                   "kernel_params = \"a=b\"\nunknown_kata_key = [1, 2]\n"
	                   "[agent.cocoon]\ndial_timeout = 9\nenable_debug = true\n"
	                   "[runtime]\nenable_debug = true\ncreate_container_timeout = 7\n"
	                   "sandbox_cgroup_only = true\n";
	assert_int_equal(shim_config_load_text(&c, "x.toml", text, strlen(text), NULL), 0);
	assert_string_equal(c.source, "x.toml");
	assert_string_equal(c.qemu_path, "/opt/qemu");
	assert_string_equal(c.machine_type, "q35");
	assert_int_equal(c.accel, SHIM_ACCEL_TCG);
	assert_int_equal(c.vcpus, 2);
	assert_int_equal(c.memory_mib, 1024);
	assert_true(c.user_network);
	assert_string_equal(c.fwd_guest_ip, "10.0.2.100");
	assert_int_equal(c.fwd_guest_port, 5000);
	assert_string_equal(c.fwd_host_ip, "127.0.0.1");
	assert_int_equal(c.fwd_host_port, 5001);
	assert_int_equal(c.dial_timeout_s, 9);
	assert_true(c.agent_debug);
	assert_true(c.debug);
	assert_int_equal(c.create_container_timeout_s, 7);
	shim_config_free(&c);

	/* a Kata file: [agent.kata] is read, [hypervisor.none] picks "none" */
	text = "[hypervisor.none]\nagent_path = \"/usr/bin/agent\"\nagent_args = [\"--x\", \"y\"]\n"
	       "[agent.kata]\ndial_timeout = 3\n";
	assert_int_equal(shim_config_load_text(&c, "k.toml", text, strlen(text), NULL), 0);
	assert_int_equal(c.hypervisor, SHIM_HV_NONE);
	assert_string_equal(c.host_agent_path, "/usr/bin/agent");
	assert_string_equal(c.host_agent_args[1], "y");
	assert_null(c.host_agent_args[2]);
	assert_int_equal(c.dial_timeout_s, 3);
	shim_config_free(&c);

	char *m = load_bad("[hypervisor.qemu]\n\ndefault_memory = \"lots\"\n");
	assert_string_equal(m, "cfg.toml:3: config_error: hypervisor.qemu.default_memory: expected "
	                       "an integer, not a string");
	free(m);
	m = load_bad("[hypervisor.qemu]\ndefault_vcpus = 0\n");
	assert_string_equal(m, "cfg.toml:2: config_error: hypervisor.qemu.default_vcpus: 0 is out of "
	                       "range 1..64");
	free(m);
	m = load_bad("[hypervisor.qemu]\nmachine_type = \"pc\"\n");
	assert_string_equal(m, "cfg.toml:2: config_error: hypervisor.qemu.machine_type: unknown value "
	                       "\"pc\" (one of \"microvm\", \"q35\")");
	free(m);
	m = load_bad("[hypervisor.qemu]\nkernel = \"vmlinux\"\n");
	assert_string_equal(m, "cfg.toml:2: config_error: hypervisor.qemu.kernel: must be an absolute "
	                       "path: vmlinux");
	free(m);
	m = load_bad("[hypervisor.qemu]\nnetwork = \"user\"\nguest_forward = \"10.0.2.100:5000=8.8.8.8:53\"\n");
	assert_string_equal(m, "cfg.toml:3: config_error: hypervisor.qemu.guest_forward: the host side "
	                       "must be a loopback address, not 8.8.8.8:53");
	free(m);
	m = load_bad("[hypervisor.qemu]\nguest_forward = \"10.0.2.100:5000=127.0.0.1:5000\"\n");
	assert_string_equal(m, "cfg.toml:2: config_error: hypervisor.qemu.guest_forward: needs network "
	                       "= \"user\"");
	free(m);
	m = load_bad("[hypervisor.qemu]\nnetwork = \"user\"\nguest_forward = \"10.0.2.100=127.0.0.1:1\"\n");
	free(m);
	m = load_bad("[hypervisor.qemu]\nnetwork = \"user\"\nguest_forward = \"10.0.2.100:0=127.0.0.1:1\"\n");
	free(m);
	m = load_bad("[runtime]\nhypervisor = \"none\"\n");
	assert_string_equal(m, "cfg.toml: config_error: hypervisor \"none\" needs [hypervisor.none] "
	                       "agent_path");
	free(m);
	m = load_bad("hypervisor = 1\n");
	assert_string_equal(m, "cfg.toml:1: config_error: hypervisor: expected a table");
	free(m);
	m = load_bad("[runtime\n");
	assert_non_null(strstr(m, "toml_parse_error"));
	free(m);
	m = load_bad("[hypervisor.qemu]\nkernel = \"/a\\u0000b\"\n");
	assert_non_null(strstr(m, "NUL"));
	free(m);
	assert_int_equal(shim_config_load_file(&c, "/nonexistent/cfg.toml", &e), -ENOENT);
	assert_string_equal(cc_error_message(e), "configuration: /nonexistent/cfg.toml: No such file "
	                                         "or directory");
	cc_error_free(e);
	shim_config_free(&c);

	setenv("COCOON_CONF_FILE", "/env/cfg.toml", 1);
	char *p = shim_config_pick_path("/opt/cfg.toml");
	assert_string_equal(p, "/opt/cfg.toml");
	free(p);
	p = shim_config_pick_path(NULL);
	assert_string_equal(p, "/env/cfg.toml");
	free(p);
	unsetenv("COCOON_CONF_FILE");
}

/* ---- runtime options --------------------------------------------------------------- */

static void pack_any(const char *type_url, const char *path, const char *body, uint8_t **ret,
                     size_t *len)
{
	Runtimeoptions__V1__Options o = RUNTIMEOPTIONS__V1__OPTIONS__INIT;
	if (path)
		o.config_path = (char *)path;
	if (body)
		o.config_body = (char *)body;
	uint8_t *v;
	size_t vl;
	assert_int_equal(ttrpc_pb_pack(&o.base, &v, &vl, NULL), 0);
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	any.type_url = (char *)type_url;
	any.value.data = v;
	any.value.len = vl;
	assert_int_equal(ttrpc_pb_pack(&any.base, ret, len, NULL), 0);
	free(v);
}

static void test_options(void **state)
{
	(void)state;
	struct shim_options o;
	uint8_t *b;
	size_t n;
	pack_any("runtimeoptions.v1.Options", "/etc/cocoon/x.toml", NULL, &b, &n);
	assert_int_equal(shim_options_decode(b, n, &o, NULL), 0);
	assert_string_equal(o.config_path, "/etc/cocoon/x.toml");
	assert_null(o.config_body);
	shim_options_free(&o);
	free(b);
	pack_any("type.googleapis.com/runtimeoptions.v1.Options", NULL, "[runtime]\n", &b, &n);
	assert_int_equal(shim_options_decode(b, n, &o, NULL), 0);
	assert_null(o.config_path);
	assert_string_equal(o.config_body, "[runtime]\n");
	shim_options_free(&o);
	free(b);
	/* another runtime's options: nothing for us */
	pack_any("containerd.runc.v1.Options", "/x", NULL, &b, &n);
	assert_int_equal(shim_options_decode(b, n, &o, NULL), 0);
	assert_null(o.config_path);
	free(b);
	assert_int_equal(shim_options_decode(NULL, 0, &o, NULL), 0);
	assert_null(o.config_path);
	cc_error *e = NULL;
	pack_any("runtimeoptions.v1.Options", "relative.toml", NULL, &b, &n);
	assert_int_equal(shim_options_decode(b, n, &o, &e), -EINVAL);
	cc_error_free(e);
	free(b);
	e = NULL;
	assert_int_equal(shim_options_decode((const uint8_t *)"\x0a\xff", 2, &o, &e), -EINVAL);
	cc_error_free(e);
}

/* ---- OCI spec ------------------------------------------------------------------------ */

static json_t *load_spec(void)
{
	json_t *j = NULL;
	cc_error *e = NULL;
	if (shim_bundle_spec(SHIM_TEST_DATA, &j, &e) < 0)
		fail_msg("%s", cc_error_message(e));
	/* shim_bundle_spec reads config.json; the fixture is ctr-spec.json */
	return j;
}

static const Grpc__Mount *find_mount(const Grpc__Spec *s, const char *dst)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i]->destination, dst) == 0)
			return s->mounts[i];
	return NULL;
}

static void test_oci(void **state)
{
	(void)state;
	json_t *j = load_spec();
	Grpc__Spec *s = NULL;
	assert_int_equal(shim_oci_spec(j, &s, NULL), 0);
	assert_string_equal(s->version, "1.0.2-dev");
	assert_true(s->process->terminal);
	assert_int_equal(s->process->consolesize->height, 24);
	assert_int_equal(s->process->n_args, 3);
	assert_string_equal(s->process->args[2], "echo hi");
	assert_string_equal(s->process->env[1], "A=b");
	assert_int_equal(s->process->oomscoreadj, -500);
	assert_int_equal(s->process->capabilities->n_bounding, 14);
	assert_string_equal(s->process->rlimits[0]->type, "RLIMIT_NOFILE");
	assert_int_equal(s->process->rlimits[0]->hard, 1024);
	assert_string_equal(s->hostname, "pod1");
	assert_string_equal(s->root->path, "rootfs");
	assert_true(s->root->readonly);
	assert_non_null(s->hooks);
	assert_string_equal(s->hooks->prestart[0]->args[1], "x");
	assert_int_equal(s->hooks->prestart[0]->timeout, 5);
	assert_string_equal(shim_oci_annotation(s, "x.y"), "z");
	const Grpc__Linux *l = s->linux;
	assert_string_equal(l->sysctl[0]->key, "net.ipv4.ip_forward");
	assert_int_equal(l->uidmappings[0]->hostid, 100000);
	assert_int_equal(l->resources->memory->limit, 67108864);
	assert_int_equal(l->resources->memory->swap, -1);
	assert_int_equal(l->resources->pids->limit, 100);
	assert_string_equal(l->resources->hugepagelimits[0]->pagesize, "2MB");
	assert_int_equal(l->devices[0]->filemode, 438);
	assert_string_equal(l->seccomp->syscalls[1]->names[0], "mkdir");
	assert_int_equal(l->seccomp->syscalls[1]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
	assert_int_equal(l->seccomp->syscalls[1]->errnoret, 1);
	assert_int_equal(l->seccomp->syscalls[0]->errno_ret_case,
	                 GRPC__LINUX_SYSCALL__ERRNO_RET__NOT_SET);
	assert_int_equal(l->seccomp->syscalls[1]->args[0]->valuetwo, 2);
	assert_string_equal(l->intelrdt->l3cacheschema, "L3:0=ff");
	assert_string_equal(l->rootfspropagation, "rslave");
	assert_true(l->n_maskedpaths > 3);
	size_t ns_kept = 0;
	for (size_t i = 0; i < l->n_namespaces; i++)
		ns_kept += strcmp(l->namespaces[i]->type, "network") != 0 &&
		           strcmp(l->namespaces[i]->type, "cgroup") != 0;
	assert_true(ns_kept >= 3 && ns_kept < l->n_namespaces);
	assert_non_null(find_mount(s, "/etc/hosts"));

	struct shim_oci_guest g = {.container_id = "c1", .sandbox_id = "c1",
	                           .guest_run_dir = "/run/kata-containers", .bundle = "/b/c1",
	                           .sandbox = true};
	assert_int_equal(shim_oci_for_guest(s, &g, NULL), 0);
	assert_string_equal(s->root->path, "/run/kata-containers/c1/rootfs");
	assert_true(s->root->readonly);
	assert_null(s->hooks);
	assert_null(s->linux->seccomp);
	assert_int_equal(s->linux->n_devices, 0);
	assert_int_equal(s->linux->n_namespaces, ns_kept);
	for (size_t i = 0; i < s->linux->n_namespaces; i++) {
		assert_string_not_equal(s->linux->namespaces[i]->type, "network");
		assert_string_not_equal(s->linux->namespaces[i]->type, "cgroup");
		assert_string_equal(s->linux->namespaces[i]->path, "");
	}
	/* host bind mounts stay for shim_copy_mounts() (test_copy) */
	assert_non_null(find_mount(s, "/etc/hosts"));
	assert_non_null(find_mount(s, "/data"));
	assert_non_null(find_mount(s, "/proc"));
	assert_string_equal(shim_oci_annotation(s, "io.katacontainers.pkg.oci.container_type"),
	                    "pod_sandbox");
	assert_string_equal(shim_oci_annotation(s, "io.katacontainers.pkg.oci.bundle_path"), "/b/c1");
	assert_string_equal(shim_oci_annotation(s, "io.kubernetes.cri.image-name"),
	                    "10.0.2.100:5000/test/bb:1");
	/* it still packs into a message the agent can decode */
	uint8_t *b;
	size_t n;
	assert_int_equal(ttrpc_pb_pack(&s->base, &b, &n, NULL), 0);
	ProtobufCMessage *back = NULL;
	assert_int_equal(ttrpc_pb_unpack(&grpc__spec__descriptor, b, n, &back, NULL), 0);
	ttrpc_pb_free(back);
	free(b);
	protobuf_c_message_free_unpacked(&s->base, NULL);

	/* the pod: no CRI annotations, its own sandbox */
	struct shim_pod pod;
	assert_int_equal(shim_bundle_pod(j, "c1", &pod, NULL), 0);
	assert_true(pod.is_sandbox);
	assert_string_equal(pod.sandbox_id, "c1");
	shim_pod_free(&pod);
	json_t *ann = json_object_get(j, "annotations");
	json_object_set_new(ann, "io.kubernetes.cri.container-type", json_string("container"));
	json_object_set_new(ann, "io.kubernetes.cri.sandbox-id", json_string("pod-1"));
	assert_int_equal(shim_bundle_pod(j, "c2", &pod, NULL), 0);
	assert_false(pod.is_sandbox);
	assert_string_equal(pod.sandbox_id, "pod-1");
	shim_pod_free(&pod);
	json_object_set_new(ann, "io.kubernetes.cri.sandbox-id", json_string("../evil"));
	assert_int_equal(shim_bundle_pod(j, "c2", &pod, NULL), -EINVAL);
	json_decref(j);
}

/* Kata's policy annotation (kata.md 4.1) leaves the spec and, for the
 * sandbox, comes back for SetPolicy; the sandbox gets Kata's
 * nerdctl/network-namespace annotation (genpolicy rules check it). */
static void test_oci_policy(void **state)
{
	(void)state;
	for (int sandbox = 0; sandbox < 2; sandbox++) {
		json_t *j = load_spec();
		json_object_set_new(json_object_get(j, "annotations"), SHIM_POLICY_ANNOTATION,
		                    json_string("cGFja2FnZSBhZ2VudF9wb2xpY3k="));
		Grpc__Spec *s = NULL;
		assert_int_equal(shim_oci_spec(j, &s, NULL), 0);
		json_decref(j);
		assert_non_null(shim_oci_annotation(s, SHIM_POLICY_ANNOTATION));
		size_t before = s->n_annotations;
		char *policy = NULL;
		struct shim_oci_guest g = {.container_id = "c1", .sandbox_id = "c1",
		                           .guest_run_dir = "/run/kata-containers", .bundle = "/b/c1",
		                           .sandbox = sandbox, .ret_policy = &policy};
		assert_int_equal(shim_oci_for_guest(s, &g, NULL), 0);
		assert_null(shim_oci_annotation(s, SHIM_POLICY_ANNOTATION));
		const char *netns = shim_oci_annotation(s, "nerdctl/network-namespace");
		if (sandbox) {
			assert_string_equal(policy, "cGFja2FnZSBhZ2VudF9wb2xpY3k=");
			/* the network namespace with a path (the spec also has one
			 * without); the path itself is gone from the spec */
			assert_string_equal(netns, "/var/run/netns/cni-1");
			/* policy out, network namespace, type and bundle path in */
			assert_int_equal(s->n_annotations, before - 1 + 3);
		} else {
			assert_null(policy);
			assert_null(netns);
			assert_int_equal(s->n_annotations, before - 1 + 2);
		}
		free(policy);
		protobuf_c_message_free_unpacked(&s->base, NULL);
	}
}

static void oci_bad(const char *json, int code, const char *msg)
{
	json_t *j = json_loads(json, JSON_ALLOW_NUL, NULL);
	assert_non_null(j);
	Grpc__Spec *s = (Grpc__Spec *)0x1;
	cc_error *e = NULL;
	assert_int_equal(shim_oci_spec(j, &s, &e), code);
	assert_ptr_equal(s, (Grpc__Spec *)0x1);
	if (strcmp(cc_error_message(e), msg) != 0)
		fail_msg("got \"%s\", want \"%s\"", cc_error_message(e), msg);
	cc_error_free(e);
	json_decref(j);
}

static void test_oci_errors(void **state)
{
	(void)state;
	oci_bad("{\"process\": {\"user\": {\"uid\": -1}}}", -ERANGE,
	        "config.json: Spec.Process.User.UID: -1 is not a uint32");
	oci_bad("{\"process\": {\"user\": {\"uid\": 4294967296}}}", -ERANGE,
	        "config.json: Spec.Process.User.UID: 4294967296 is not a uint32");
	oci_bad("{\"process\": {\"args\": [\"a\", 1]}}", -EINVAL,
	        "config.json: Spec.Process.Args[1]: expected a string");
	oci_bad("{\"process\": {\"args\": \"sh\"}}", -EINVAL,
	        "config.json: Spec.Process.Args: expected an array");
	oci_bad("{\"process\": {\"args\": [\"a\\u0000b\"]}}", -EINVAL,
	        "config.json: Spec.Process.Args[0]: contains a NUL character");
	oci_bad("{\"annotations\": {\"k\": 1}}", -EINVAL,
	        "config.json: Spec.Annotations[\"k\"]: Spec.Annotations: expected a string");
	oci_bad("{\"linux\": {\"resources\": {\"memory\": {\"swappiness\": -5}}}}", -ERANGE,
	        "config.json: Spec.Linux.Resources.Memory.Swappiness: -5 is negative");
	oci_bad("{\"process\": {\"terminal\": \"yes\"}}", -EINVAL,
	        "config.json: Spec.Process.Terminal: expected a boolean");
	oci_bad("{\"linux\": []}", -EINVAL, "config.json: Spec.Linux: expected an object");
	/* null is absent; unknown members are skipped */
	json_t *j = json_loads("{\"process\": null, \"unknown\": {\"x\": 1}, \"ociVersion\": \"1\"}", 0,
	                       NULL);
	Grpc__Spec *s;
	assert_int_equal(shim_oci_spec(j, &s, NULL), 0);
	assert_null(s->process);
	assert_string_equal(s->version, "1");
	protobuf_c_message_free_unpacked(&s->base, NULL);
	json_decref(j);
	/* an exec's process */
	Grpc__Process *p;
	const char *pj = "{\"args\":[\"ls\"],\"env\":[\"A=1\"],\"cwd\":\"/\",\"terminal\":true}";
	assert_int_equal(shim_oci_process(pj, strlen(pj), &p, NULL), 0);
	assert_string_equal(p->args[0], "ls");
	assert_true(p->terminal);
	protobuf_c_message_free_unpacked(&p->base, NULL);
	cc_error *e = NULL;
	assert_int_equal(shim_oci_process("{\"a\":1,\"a\":2}", 13, &p, &e), -EINVAL);
	cc_error_free(e);
}

/* ---- bind mounts copied into the guest ---------------------------------------------- */

struct rec {
	char *lines[64];
	size_t n;
	size_t bytes;
	int fail_at; /* fail the request with this index (-1: never) */
};

static int record(void *ctx, const Grpc__CopyFileRequest *req, cc_error **err)
{
	struct rec *r = ctx;
	if ((int)r->n == r->fail_at)
		return cc_error_set(err, -EACCES, "refused");
	char *l = NULL;
	const char *kind = S_ISDIR(req->file_mode) ? "dir" : S_ISLNK(req->file_mode) ? "link" : "file";
	assert_true(asprintf(&l, "%s %s size=%lld off=%lld len=%zu%s%.*s", kind, req->path,
	                     (long long)req->file_size, (long long)req->offset, req->data.len,
	                     S_ISLNK(req->file_mode) ? " -> " : "",
	                     S_ISLNK(req->file_mode) ? (int)req->data.len : 0,
	                     (const char *)req->data.data) > 0);
	assert_true(r->n < 64);
	r->lines[r->n++] = l;
	r->bytes += req->data.len;
	return 0;
}

static Grpc__Mount *mnt(const char *dst, const char *src, const char *type)
{
	Grpc__Mount *m = malloc(sizeof(*m));
	grpc__mount__init(m);
	m->destination = strdup(dst);
	m->source = strdup(src);
	m->type = strdup(type);
	return m;
}

/* The random 16 hex digits replaced by X, for comparing. */
static void unrand(char *s, const char *cid)
{
	char *p = strstr(s, cid);
	if (p != NULL && strlen(p) > strlen(cid) + 17 && p[strlen(cid)] == '-')
		memset(p + strlen(cid) + 1, 'X', 16);
}

static void test_copy(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/cocoon-copy-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	char p[512];
	snprintf(p, sizeof(p), "%s/hosts", dir);
	FILE *f = fopen(p, "w");
	fputs("127.0.0.1 localhost\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/sa", dir);
	mkdir(p, 0750);
	snprintf(p, sizeof(p), "%s/sa/..data", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sa/..data/token", dir);
	f = fopen(p, "w");
	for (int i = 0; i < (1 << 20) + 10; i++) /* two chunks */
		fputc('t', f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/sa/token", dir);
	assert_int_equal(symlink("..data/token", p), 0);
	snprintf(p, sizeof(p), "%s/empty", dir);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/sock", dir);
	int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(p) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	assert_int_equal(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)), 0);

	Grpc__Spec spec = GRPC__SPEC__INIT;
	char src[6][512];
	snprintf(src[0], 512, "%s/hosts", dir);
	snprintf(src[1], 512, "%s/sa", dir);
	snprintf(src[2], 512, "%s/sock", dir);
	snprintf(src[3], 512, "%s/missing", dir);
	snprintf(src[4], 512, "%s/empty", dir);
	Grpc__Mount *ms[6] = {
	    mnt("/etc/hosts", src[0], "bind"), mnt("/var/run/secrets/sa", src[1], "none"),
	    mnt("/run/x.sock", src[2], "bind"), mnt("/gone", src[3], "bind"),
	    mnt("/proc", "proc", "proc"),       mnt("/dev/termination-log", src[4], "bind"),
	};
	/* the directory is bound with an option, not the type */
	ms[1]->n_options = 1;
	ms[1]->options = malloc(sizeof(char *));
	ms[1]->options[0] = strdup("rbind");
	spec.mounts = malloc(sizeof(ms));
	memcpy(spec.mounts, ms, sizeof(ms));
	spec.n_mounts = 6;
	struct rec r = {.fail_at = -1};
	struct shim_copy_opts o = {.cid = "c1", .shared_dir = "/run/kata-containers/shared/containers",
	                           .copy = record, .ctx = &r};
	assert_int_equal(shim_copy_mounts(&spec, &o, NULL), 0);
	/* the socket and the missing path are dropped, proc is untouched */
	assert_int_equal(spec.n_mounts, 4);
	assert_string_equal(spec.mounts[0]->destination, "/etc/hosts");
	assert_string_equal(spec.mounts[2]->source, "proc");
	static const char *const want[] = {
	    "file /run/kata-containers/shared/containers/c1-XXXXXXXXXXXXXXXX-hosts size=20 off=0 len=20",
	    "dir /run/kata-containers/shared/containers/c1-XXXXXXXXXXXXXXXX-sa size=0 off=0 len=0",
	    "dir /run/kata-containers/shared/containers/c1-XXXXXXXXXXXXXXXX-sa/..data size=0 off=0 len=0",
	    "file /run/kata-containers/shared/containers/c1-XXXXXXXXXXXXXXXX-sa/..data/token "
	    "size=1048586 off=0 len=1048576",
	    "file /run/kata-containers/shared/containers/c1-XXXXXXXXXXXXXXXX-sa/..data/token "
	    "size=1048586 off=1048576 len=10",
	    "link /run/kata-containers/shared/containers/c1-XXXXXXXXXXXXXXXX-sa/token size=12 off=0 "
	    "len=12 -> ..data/token",
	    "file /run/kata-containers/shared/containers/c1-XXXXXXXXXXXXXXXX-termination-log size=0 "
	    "off=0 len=0",
	};
	assert_int_equal(r.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < r.n; i++) {
		unrand(r.lines[i], "c1");
		if (strcmp(r.lines[i], want[i]) != 0)
			fail_msg("request %zu: %s\nwant %s", i, r.lines[i], want[i]);
	}
	char mp[256];
	snprintf(mp, sizeof(mp), "%s", spec.mounts[0]->source);
	unrand(mp, "c1");
	assert_string_equal(mp, "/run/kata-containers/shared/containers/c1-XXXXXXXXXXXXXXXX-hosts");
	/* two copies get two names */
	assert_string_not_equal(spec.mounts[0]->source + 44, spec.mounts[3]->source + 44);
	for (size_t i = 0; i < r.n; i++)
		free(r.lines[i]);
	for (size_t i = 0; i < spec.n_mounts; i++)
		protobuf_c_message_free_unpacked(&spec.mounts[i]->base, NULL);
	free(spec.mounts);

	/* the agent refuses: the error names the mount, nothing leaks */
	Grpc__Spec s2 = GRPC__SPEC__INIT;
	s2.mounts = malloc(sizeof(Grpc__Mount *));
	s2.mounts[0] = mnt("/etc/hosts", src[0], "bind");
	s2.n_mounts = 1;
	struct rec r2 = {.fail_at = 0};
	o.ctx = &r2;
	cc_error *e = NULL;
	assert_int_equal(shim_copy_mounts(&s2, &o, &e), -EACCES);
	assert_string_equal(cc_error_message(e), "copying the mount of /etc/hosts into the guest: "
	                                         "refused");
	cc_error_free(e);
	for (size_t i = 0; i < s2.n_mounts; i++)
		protobuf_c_message_free_unpacked(&s2.mounts[i]->base, NULL);
	free(s2.mounts);
	close(sfd);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s", dir);
	assert_int_equal(shim_rm_rf(cmd, NULL), 0);
}

/* ---- QEMU -------------------------------------------------------------------------------- */

static char *joined(char **argv)
{
	size_t n = 1;
	for (char **a = argv; *a; a++)
		n += strlen(*a) + 3;
	char *s = calloc(1, n);
	for (char **a = argv; *a; a++) {
		if (a != argv)
			strcat(s, " "); /* lint:allow (sized above) */
		strcat(s, strchr(*a, ' ') ? "'" : ""); /* lint:allow */
		strcat(s, *a);                           /* lint:allow */
		strcat(s, strchr(*a, ' ') ? "'" : ""); /* lint:allow */
	}
	return s;
}

static void test_qemu(void **state)
{
	(void)state;
	struct shim_config c;
	const char *text = "[hypervisor.qemu]\nkernel = \"/g/vmlinux\"\ninitrd = \"/g/initrd\"\n"
	                   "network = \"user\"\nguest_forward = \"10.0.2.100:5000=127.0.0.1:5000\"\n"
	                   "kernel_params = \"foo=1\"\n";
	assert_int_equal(shim_config_load_text(&c, "q.toml", text, strlen(text), NULL), 0);
	struct shim_vm_spec vm = {.name = "sandbox-c1", .channel_path = "/s/agent.sock",
	                          .console_path = "/s/console.log", .accel = SHIM_ACCEL_TCG,
	                          .tsc_khz = 2596000};
	char **argv;
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, NULL), 0);
	char *s = joined(argv);
	assert_string_equal(
	    s, "/usr/bin/qemu-system-x86_64 -name sandbox-c1 -machine microvm -accel tcg -m 512M "
	       "-smp 1 -nodefaults -no-user-config -display none -no-reboot -serial "
	       "file:/s/console.log -kernel /g/vmlinux -initrd /g/initrd -append 'console=ttyS0 "
	       "panic=1 tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 "
	       "i8042.dumbkbd=1 i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests "
	       "quiet tsc_early_khz=2596000 cocoon.net=10.0.2.15/24,10.0.2.2 foo=1' -object "
	       "rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-device,rng=rng0 "
	       "-chardev socket,id=agent,path=/s/agent.sock,server=on,wait=on -device "
	       "virtio-serial-device -device virtserialport,chardev=agent,name=agent.v1 -netdev "
	       "'user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:5000-cmd:socat - "
	       "TCP:127.0.0.1:5000' -device virtio-net-device,netdev=net0");
	free(s);
	shim_argv_free(argv);
	shim_config_free(&c);

	/* q35, KVM, vsock, no network, debug console */
	text = "[hypervisor.qemu]\nmachine_type = \"q35\"\nkernel = \"/g/vmlinuz\"\nenable_debug = true\n"
	       "[agent.cocoon]\nchannel = \"vsock\"\ndebug_console_enabled = true\nenable_debug = true\n";
	assert_int_equal(shim_config_load_text(&c, "q.toml", text, strlen(text), NULL), 0);
	vm.accel = SHIM_ACCEL_KVM;
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, NULL), 0);
	s = joined(argv);
	assert_non_null(strstr(s, " -machine q35 -accel kvm -cpu host,pmu=off "));
	assert_non_null(strstr(s, " -device virtio-rng-pci,rng=rng0 -device vhost-vsock-pci,guest-cid=3"));
	assert_null(strstr(s, "tsc_early_khz")); /* microvm only */
	assert_null(strstr(s, " quiet"));
	assert_null(strstr(s, "-netdev"));
	assert_null(strstr(s, "virtserialport"));
	assert_non_null(strstr(s, "cocoon.channel=vsock://-1:1024 cocoon.debug_console=1 agent.log=debug"));
	free(s);
	shim_argv_free(argv);
	/* a comma would split QEMU's option */
	vm.console_path = "/s/a,b.log";
	cc_error *e = NULL;
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, &e), -EINVAL);
	cc_error_free(e);
	shim_config_free(&c);
}

static void test_accel(void **state)
{
	(void)state;
	struct shim_config c;
	assert_int_equal(shim_config_default(&c, NULL), 0);
	enum shim_accel a;
	const char *why = NULL;
	c.accel = SHIM_ACCEL_KVM;
	assert_int_equal(shim_accel_resolve(&c, "/nonexistent", &a, &why, NULL), 0);
	assert_int_equal(a, SHIM_ACCEL_KVM);
	assert_string_equal(why, "configured");
	c.accel = SHIM_ACCEL_AUTO;
	assert_int_equal(shim_accel_resolve(&c, "/nonexistent", &a, &why, NULL), 0);
	assert_non_null(why);
	/* a PVM /dev/kvm (this CI host) is never used for a stock kernel */
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		assert_int_equal(a, SHIM_ACCEL_TCG);
		assert_non_null(strstr(why, "PVM"));
	}
	shim_config_free(&c);
	/* every x86 host has a TSC; the kernel log or cpuinfo tells its rate */
	unsigned khz = shim_tsc_khz();
	assert_true(khz > 100000 && khz < 10000000);
}

/* ---- stopping a recorded process (delete) ---------------------------------------------- */

static void on_term(int sig)
{
	(void)sig;
	_exit(42);
}

/* A child in a process group of its own that exits 42 at SIGTERM, or
 * ignores it; returns once it is set up. */
static pid_t term_child(bool ignore)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, ignore ? SIG_IGN : on_term);
		(void)!write(p[1], "x", 1);
		for (;;)
			pause();
	}
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);
	return pid;
}

static void test_term_wait(void **state)
{
	(void)state;
	int ws = 0;
	/* the host agent's way (delete, agent.pid): SIGTERM, and it exits */
	pid_t pid = term_child(false);
	assert_true(shim_term_wait(pid, 5000, 1000));
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 42);
	/* one that ignores SIGTERM is SIGKILLed after the grace */
	pid = term_child(true);
	assert_true(shim_term_wait(pid, 100, 5000));
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	/* QEMU's way (vm.pid): SIGKILL at once */
	pid = term_child(false);
	assert_true(shim_kill_wait(pid, 5000));
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	/* no PID, init: nothing is signalled */
	assert_true(shim_term_wait(0, 10, 10));
	assert_true(shim_kill_wait(1, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags),   cmocka_unit_test(test_path_clean),
	    cmocka_unit_test(test_address), cmocka_unit_test(test_run_root),
	    cmocka_unit_test(test_ids),     cmocka_unit_test(test_config),
	    cmocka_unit_test(test_options), cmocka_unit_test(test_oci),
	    cmocka_unit_test(test_oci_policy),
	    cmocka_unit_test(test_oci_errors), cmocka_unit_test(test_qemu),
	    cmocka_unit_test(test_accel),     cmocka_unit_test(test_copy),
	    cmocka_unit_test(test_term_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
