/* Cleanup helpers (cleanup.h). */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "cleanup.h"
#include "cocoon/cleanup.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int r = flag == FTW_DP ? rmdir(p) : unlink(p);
	return r < 0 && errno != ENOENT ? -1 : 0;
}

int shim_rm_rf(const char *path, cc_error **err)
{
	if (access(path, F_OK) != 0)
		return 0;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		return cc_error_set(err, -errno, "removing %s: %s", path, strerror(errno));
	return 0;
}

int shim_write_pidfile(const char *path, pid_t pid, cc_error **err)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%d %llu\n", (int)pid, shim_proc_starttime(pid));
	return shim_write_file_atomic(path, line, (size_t)n, 0600, err);
}

pid_t shim_read_live_pid(const char *path)
{
	_cleanup_free_ char *s = NULL;
	if (shim_read_small_file(path, 64, &s, NULL, NULL) < 0)
		return 0;
	char *end;
	errno = 0;
	long pid = strtol(s, &end, 10);
	if (errno || end == s || pid <= 1 || pid > 0x3fffffff)
		return 0;
	unsigned long long want = 0;
	if (*end == ' ')
		want = strtoull(end + 1, NULL, 10);
	unsigned long long have = shim_proc_starttime((pid_t)pid);
	if (have == 0 || (want != 0 && have != want))
		return 0;
	return (pid_t)pid;
}

/* Waits up to wait_ms for pid to be gone (or a zombie that only its
 * parent can reap); true if it is. */
static bool gone_within(pid_t pid, int wait_ms)
{
	for (int waited = 0;; waited += 10) {
		char path[64], st[256];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "re");
		if (f == NULL)
			return true;
		size_t n = fread(st, 1, sizeof(st) - 1, f);
		fclose(f);
		st[n] = '\0';
		const char *rp = strrchr(st, ')');
		if (rp != NULL && rp[1] == ' ' && rp[2] == 'Z')
			return true;
		if (waited >= wait_ms)
			return false;
		struct timespec d = {0, 10 * 1000 * 1000};
		nanosleep(&d, NULL);
	}
}

bool shim_kill_wait(pid_t pid, int wait_ms)
{
	if (pid <= 1)
		return true;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	return gone_within(pid, wait_ms);
}

bool shim_term_wait(pid_t pid, int grace_ms, int wait_ms)
{
	if (pid <= 1)
		return true;
	kill(-pid, SIGTERM);
	kill(pid, SIGTERM);
	return gone_within(pid, grace_ms) || shim_kill_wait(pid, wait_ms);
}

void shim_unmount_if_mounted(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;
	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." (spaces in paths are
		 * \040; a path with one is simply not matched) */
		char *save = NULL, *tok = strtok_r(line, " ", &save);
		for (int i = 0; tok != NULL && i < 4; i++)
			tok = strtok_r(NULL, " ", &save);
		found = tok != NULL && strcmp(tok, path) == 0;
	}
	if (found)
		(void)umount2(path, MNT_DETACH);
}
