/* Accelerator probe and TSC frequency (accel.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "address.h"
#include "cocoon/cleanup.h"
#include "qemu.h"

#define PROBE_TIMEOUT_MS 10000
#define PROBE_MARKER "COCOON-TEST kvm-probe"

static bool cpu_has_virt(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		return strstr(line, " vmx") != NULL || strstr(line, " svm") != NULL;
	}
	return false;
}

/* A probe boot: the image's /init prints "COCOON-TEST <marker> ..." and
 * powers off when booted with cocoon.test=<marker> (docs/guest-image.md). */
static bool probe_boot(const struct shim_config *c)
{
	struct shim_config pc = *c;
	char params[256];
	snprintf(params, sizeof(params), "cocoon.test=kvm-probe");
	pc.kernel_params = params;
	pc.user_network = false;
	pc.firmware = NULL; /* no per-pod variable store or swtpm for a probe */
	struct shim_vm_spec vm = {.name = "cocoon-kvm-probe", .console_path = "/dev/stdout",
	                          .accel = SHIM_ACCEL_KVM, .tsc_khz = shim_tsc_khz(),
	                          .no_channel = true};
	char **argv = NULL;
	if (shim_qemu_argv(&pc, &vm, &argv, NULL) < 0)
		return false;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		shim_argv_free(argv);
		return false;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pfd[1], 1);
		int dn = open("/dev/null", O_RDWR);
		dup2(dn, 0);
		dup2(dn, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	shim_argv_free(argv);
	if (pid < 0) {
		close(pfd[0]);
		return false;
	}
	char buf[8192];
	size_t have = 0;
	bool seen = false;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = PROBE_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
		                                (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		if (have == sizeof(buf) - 1) { /* keep the tail */
			memmove(buf, buf + sizeof(buf) / 2, sizeof(buf) / 2 - 1);
			have = sizeof(buf) / 2 - 1;
		}
		ssize_t n = read(pfd[0], buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, PROBE_MARKER) != NULL) {
			seen = true;
			break;
		}
	}
	close(pfd[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return seen;
}

static void cache_name(const struct shim_config *c, const char *dir, char *out, size_t n)
{
	char key[4096], hex[65];
	struct stat sk = {0}, si = {0};
	stat(c->kernel, &sk);
	stat(c->initrd, &si);
	snprintf(key, sizeof(key), "%s\n%s %lld %lld\n%s %lld %lld\n%s", c->qemu_path, c->kernel,
	         (long long)sk.st_size, (long long)sk.st_mtime, c->initrd, (long long)si.st_size,
	         (long long)si.st_mtime, c->machine_type);
	shim_sha256_hex(key, hex);
	hex[16] = '\0';
	snprintf(out, n, "%s/accel-%s", dir, hex);
}

int shim_accel_resolve(const struct shim_config *c, const char *cache_dir, enum shim_accel *ret,
                       const char **why, cc_error **err)
{
	(void)err;
	if (c->accel != SHIM_ACCEL_AUTO) {
		*ret = c->accel;
		*why = "configured";
		return 0;
	}
	*ret = SHIM_ACCEL_TCG;
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		*why = "no usable /dev/kvm";
		return 0;
	}
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		*why = "/dev/kvm is PVM (kvm_pvm), which runs only PVM-enabled guest kernels";
		return 0;
	}
	if (!cpu_has_virt()) {
		*why = "the CPU shows neither vmx nor svm";
		return 0;
	}
	char path[4200];
	cache_name(c, cache_dir, path, sizeof(path));
	char *memo = NULL;
	if (shim_read_small_file(path, 16, &memo, NULL, NULL) == 0) {
		*ret = strncmp(memo, "kvm", 3) == 0 ? SHIM_ACCEL_KVM : SHIM_ACCEL_TCG;
		*why = "probed earlier";
		free(memo);
		return 0;
	}
	bool ok = probe_boot(c);
	*ret = ok ? SHIM_ACCEL_KVM : SHIM_ACCEL_TCG;
	*why = ok ? "a probe boot under KVM reached the guest's marker"
	          : "a probe boot under KVM did not reach the guest's marker in 10 s";
	(void)mkdir(cache_dir, 0711);
	(void)shim_write_file_atomic(path, ok ? "kvm\n" : "tcg\n", 4, 0644, NULL);
	return 0;
}

static unsigned mhz_to_khz(const char *s)
{
	char *end;
	double mhz = strtod(s, &end);
	if (end == s || mhz <= 0 || mhz > 100000)
		return 0;
	return (unsigned)(mhz * 1000.0 + 0.5);
}

static unsigned from_klog(void)
{
	int n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (n <= 0 || n > (64 << 20))
		return 0;
	char *buf = malloc((size_t)n + 1);
	if (buf == NULL)
		return 0;
	int got = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, n);
	unsigned khz = 0;
	if (got > 0) {
		buf[got] = '\0';
		static const char *const pats[] = {"tsc: Refined TSC clocksource calibration: ",
		                                   "tsc: Detected "};
		for (size_t i = 0; i < 2 && khz == 0; i++) {
			const char *p = strstr(buf, pats[i]);
			if (p != NULL)
				khz = mhz_to_khz(p + strlen(pats[i]));
		}
	}
	free(buf);
	return khz;
}

unsigned shim_tsc_khz(void)
{
	unsigned khz = from_klog();
	if (khz)
		return khz;
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "cpu MHz", 7) == 0) {
			const char *colon = strchr(line, ':');
			if (colon)
				return mhz_to_khz(colon + 1);
		}
	}
	return 0;
}
