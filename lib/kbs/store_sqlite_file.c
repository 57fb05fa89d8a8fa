/* The SQLite store's file, before and after SQLite opens it
 * (docs/kbs-store.md, "Files and modes"): the database and the -wal and
 * -shm SQLite makes beside it hold secrets, so they are created 0600 and an
 * existing one that group or others may access is refused.
 *
 * SQLite creates -wal and -shm with the mode of the database file, so
 * making the database 0600 ourselves is enough; the process umask is never
 * changed (it is process-wide and threads may be creating other files). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cocoon/cleanup.h>

#include "store_sqlite_int.h"

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

void kbs_sqlite_open_lock(void)
{
	pthread_mutex_lock(&open_lock);
}

void kbs_sqlite_open_unlock(void)
{
	pthread_mutex_unlock(&open_lock);
}

/* The files SQLite may keep beside the database. */
static const char *const side_suffixes[] = {"-wal", "-shm", "-journal"};

static int sys_fail(cc_error **err, int e, const char *path, const char *what)
{
	return cc_error_set(err, -e, "%s: %s: %s", path, what, strerror(e));
}

/* Refuses what a store file must not be (lstat result st of path p). */
static int check_stat(const char *p, const struct stat *st, cc_error **err)
{
	if (S_ISLNK(st->st_mode))
		return cc_error_set(err, -EINVAL, "%s: is a symbolic link; give the store's own path",
		                    p);
	if (!S_ISREG(st->st_mode))
		return cc_error_set(err, -EINVAL, "%s: is not a regular file", p);
	if (st->st_uid != geteuid())
		return cc_error_set(err, -EACCES,
		                    "%s: owned by uid %u, not by this process's uid %u; refusing "
		                    "a store another user controls",
		                    p, (unsigned)st->st_uid, (unsigned)geteuid());
	if ((st->st_mode & 077) != 0)
		return cc_error_set(err, -EACCES,
		                    "%s: mode %04o lets group or others access it and a KBS store "
		                    "holds secrets; refusing it (chmod 600 %s)",
		                    p, (unsigned)(st->st_mode & 07777), p);
	return 0;
}

static int check_side_files(const char *path, cc_error **err)
{
	for (size_t i = 0; i < sizeof(side_suffixes) / sizeof(side_suffixes[0]); i++) {
		char side[PATH_MAX];
		int n = snprintf(side, sizeof(side), "%s%s", path, side_suffixes[i]);
		if (n < 0 || (size_t)n >= sizeof(side))
			return cc_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
		struct stat st;
		if (lstat(side, &st) != 0) {
			if (errno == ENOENT)
				continue;
			return sys_fail(err, errno, side, "stat");
		}
		int r = check_stat(side, &st, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* fsync of the directory holding path, so that a new file's name survives
 * a power loss. */
static int sync_dir(const char *path, cc_error **err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		memcpy(dir, ".", 2);
	} else {
		size_t n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return cc_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sys_fail(err, errno, dir, "opening the store's directory");
	if (fsync(fd) != 0)
		return sys_fail(err, errno, dir, "fsync of the store's directory");
	return 0;
}

/* Creates an empty store file, 0600 whatever the umask. Returns 0, 1 if
 * the file appeared meanwhile (another process), or a negative errno. */
static int create_file(const char *path, cc_error **err)
{
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 1;
		return sys_fail(err, errno, path, "creating the store");
	}
	/* The umask may have removed bits from 0600 (never added any). */
	if (fchmod(fd, 0600) != 0)
		return sys_fail(err, errno, path, "chmod 600");
	if (fsync(fd) != 0)
		return sys_fail(err, errno, path, "fsync");
	return sync_dir(path, err);
}

int kbs_sqlite_file_prepare(const char *path, bool create, struct stat *ret_st, cc_error **err)
{
	if (path == NULL || path[0] == '\0')
		return cc_error_set(err, -EINVAL, "empty store path");
	if (strlen(path) >= PATH_MAX - 16)
		return cc_error_set(err, -ENAMETOOLONG, "%.64s...: path too long", path);
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return sys_fail(err, errno, path, "stat");
		if (!create)
			return cc_error_set(err, -ENOENT, "%s: no such store", path);
		int r = create_file(path, err);
		if (r < 0)
			return r;
		if (lstat(path, &st) != 0)
			return sys_fail(err, errno, path, "stat");
	}
	int r = check_stat(path, &st, err);
	if (r < 0)
		return r;
	r = check_side_files(path, err);
	if (r < 0)
		return r;
	*ret_st = st;
	return 0;
}

int kbs_sqlite_file_recheck(const char *path, const struct stat *st, cc_error **err)
{
	struct stat now;
	if (lstat(path, &now) != 0)
		return sys_fail(err, errno, path, "stat");
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return cc_error_set(err, -ESTALE, "%s: replaced by another file while it was opened",
		                    path);
	int r = check_stat(path, &now, err);
	if (r < 0)
		return r;
	return check_side_files(path, err);
}
