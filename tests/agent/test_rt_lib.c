/* Helpers of the agent runtime's tests (test_rt_lib.h). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "pbjson.h"
#include "rt_int.h"
#include "test_rt_lib.h"

char *rtl_tmpdir(void)
{
	char *d = strdup("/tmp/cocoon-rt-XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

/* The deepest mount point at or below path, or NULL (malloc'd). */
static char *deepest_mount(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return NULL;
	size_t plen = strlen(path);
	char *line = NULL, *best = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *mp = line;
		for (int i = 0; i < 4 && mp; i++)
			if ((mp = strchr(mp, ' ')) != NULL)
				mp++;
		char *end = mp ? strchr(mp, ' ') : NULL;
		if (end == NULL)
			continue;
		*end = '\0';
		if (strncmp(mp, path, plen) == 0 && (mp[plen] == '\0' || mp[plen] == '/') &&
		    (best == NULL || strlen(mp) > strlen(best))) {
			free(best);
			best = strdup(mp);
		}
	}
	free(line);
	fclose(f);
	return best;
}

bool rtl_mounted_below(const char *path)
{
	char *m = deepest_mount(path);
	free(m);
	return m != NULL;
}

void rtl_cleanup(const char *dir)
{
	for (int i = 0; i < 256; i++) {
		char *m = deepest_mount(dir);
		if (m == NULL)
			break;
		umount2(m, MNT_DETACH);
		free(m);
	}
	cc_error *e = NULL;
	rt_remove_tree(dir, &e);
	cc_error_free(e);
}

void rtl_cgroup_cleanup(void)
{
	glob_t g;
	if (glob("/sys/fs/cgroup/*/cocoon", GLOB_ONLYDIR, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			rmdir(g.gl_pathv[i]);
		globfree(&g);
	}
	rmdir("/sys/fs/cgroup/cocoon");
}

static void note_pid(struct rtl_procs *ps, pid_t pid)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->pid[i] == pid)
			return;
	if (ps->n >= sizeof(ps->pid) / sizeof(ps->pid[0]))
		return;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return; /* gone already */
	ps->pid[ps->n] = pid;
	ps->fd[ps->n++] = fd;
}

void rtl_note_children(struct rtl_procs *ps, pid_t pid)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "/proc/%d/task/*/children", (int)pid);
	glob_t g;
	if (glob(pat, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "re");
		int child;
		while (f && fscanf(f, "%d", &child) == 1)
			note_pid(ps, child);
		if (f)
			fclose(f);
	}
	globfree(&g);
}

size_t rtl_reap_noted(struct rtl_procs *ps)
{
	size_t left = 0;
	for (size_t i = 0; i < ps->n; i++) {
		/* a pidfd turns readable when its process has exited */
		struct pollfd p = {.fd = ps->fd[i], .events = POLLIN};
		if (poll(&p, 1, 5000) == 0) {
			print_error("process %d is still there: killed\n", (int)ps->pid[i]);
			syscall(SYS_pidfd_send_signal, ps->fd[i], SIGKILL, NULL, 0);
			left++;
		}
		close(ps->fd[i]);
	}
	ps->n = 0;
	return left;
}

agent_rt *rtl_runtime(const char *dir, const char *oci, bool guest)
{
	char run[512], root[512], cache[512];
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(root, sizeof(root), "%s/oci", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	struct agent_rt_opts o = {.run_dir = run, .oci_runtime = oci, .oci_root = root,
	                          .image_cache_dir = cache, .image_insecure_registries = true,
	                          .guest = guest};
	agent_rt *rt = NULL;
	cc_error *e = NULL;
	if (agent_rt_new(&o, &rt, &e) < 0)
		fail_msg("agent_rt_new: %s", cc_error_message(e));
	return rt;
}

static const char *const applets[] = {"sh", "echo", "cat", "sleep", "ls", "id", "stty",
                                      "tail", "tty", "pwd", "true", "false", "env", "printf"};

int rtl_busybox_rootfs(const char *root)
{
	char p[1024];
	static const char *const dirs[] = {"", "/bin", "/proc", "/dev", "/sys", "/tmp", "/etc"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
	}
	size_t n = 0;
	char *bin = slurp_file("/bin/busybox", &n);
	if (bin == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/bin/busybox", root);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	bool ok = fd >= 0 && write(fd, bin, n) == (ssize_t)n;
	if (fd >= 0)
		close(fd);
	free(bin);
	for (size_t i = 0; ok && i < sizeof(applets) / sizeof(applets[0]); i++) {
		snprintf(p, sizeof(p), "%s/bin/%s", root, applets[i]);
		ok = symlink("busybox", p) == 0 || errno == EEXIST;
	}
	return ok ? 0 : -1;
}

ProtobufCMessage *rtl_request(const char *ep, json_t *j)
{
	char errbuf[256];
	ProtobufCMessage *m = NULL;
	const ProtobufCMessageDescriptor *d = pbjson_request_type(ep);
	assert_non_null(d);
	if (pbjson_to_pb(d, j, &m, errbuf, sizeof(errbuf)) != 0)
		fail_msg("%s from JSON: %s", ep, errbuf);
	return m;
}

static json_t *strs(const char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *rtl_spec(const char *const *args, bool terminal, const char *root)
{
	static const char *const caps[] = {
	    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL};
	static const char *const env[] = {"PATH=/bin", "TERM=xterm", "FROM_SPEC=1", NULL};
	json_error_t je;
	json_t *s = json_pack_ex(
	    &je, 0,
	    "{s:s, s:{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:o, s:o, s:o}, s:b},"
	    " s:s, s:[{s:s, s:s, s:s, s:[s,s,s]}, {s:s, s:s, s:s, s:[s,s,s,s]},"
	    " {s:s, s:s, s:s, s:[s,s,s,s,s]}, {s:s, s:s, s:s, s:[s,s,s,s]}],"
	    " s:{s:[{s:s}, {s:s}, {s:s}, {s:s}], s:[s], s:[s]}}",
	    "Version", "1.0.2",
	    "Process", "Terminal", terminal, "User", "UID", 0, "GID", 0, "Args", strs(args),
	    "Env", strs(env), "Cwd", "/", "Capabilities", "Bounding", strs(caps), "Effective",
	    strs(caps), "Permitted", strs(caps), "NoNewPrivileges", 1,
	    "Hostname", "rt-test",
	    "Mounts", "destination", "/proc", "source", "proc", "type_", "proc", "options", "nosuid",
	    "noexec", "nodev",
	    "destination", "/dev", "source", "tmpfs", "type_", "tmpfs", "options", "nosuid",
	    "strictatime", "mode=755", "size=65536k",
	    "destination", "/dev/pts", "source", "devpts", "type_", "devpts", "options", "nosuid",
	    "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
	    "destination", "/sys", "source", "sysfs", "type_", "sysfs", "options", "nosuid",
	    "noexec", "nodev", "ro",
	    "Linux", "Namespaces", "Type", "ipc", "Type", "uts", "Type", "mount", "Type", "network",
	    "MaskedPaths", "/proc/kcore", "ReadonlyPaths", "/proc/sys");
	if (s == NULL)
		fail_msg("spec: %s", je.text);
	if (root) {
		json_t *r = json_pack("{s:s, s:b}", "Path", root, "Readonly", 0);
		json_object_set_new(s, "Root", r);
	}
	return s;
}

char *rtl_read(agent_rt *rt, const char *cid, const char *eid, bool is_err, size_t max,
               const char *until)
{
	char *out = calloc(1, max + 1);
	size_t n = 0;
	assert_non_null(out);
	for (int i = 0; i < 200000 && n < max; i++) {
		Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
		req.container_id = (char *)cid;
		req.exec_id = (char *)eid;
		req.len = (uint32_t)(max - n);
		Grpc__ReadStreamResponse *r = NULL;
		cc_error *e = NULL;
		if (agent_rt_read_stream(rt, NULL, &req, is_err, &r, &e) < 0)
			fail_msg("read %s/%s: %s", cid, eid, cc_error_message(e));
		size_t got = r->data.len;
		if (got)
			memcpy(out + n, r->data.data, got);
		n += got;
		protobuf_c_message_free_unpacked(&r->base, NULL);
		if (got == 0 || (until && strstr(out, until)))
			break;
	}
	return out;
}

int rtl_wait(agent_rt *rt, const char *cid, const char *eid)
{
	Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
	req.container_id = (char *)cid;
	req.exec_id = (char *)eid;
	Grpc__WaitProcessResponse *r = NULL;
	cc_error *e = NULL;
	if (agent_rt_wait_process(rt, NULL, &req, &r, &e) < 0) {
		print_error("wait %s/%s: %s\n", cid, eid, cc_error_message(e));
		cc_error_free(e);
		return -1;
	}
	int st = r->status;
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return st;
}

int rtl_code(cc_error *e)
{
	int c = ttrpc_error_code(e);
	cc_error_free(e);
	return c;
}
