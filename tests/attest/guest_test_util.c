/* Helpers of the guest attester tests (guest_test_util.h). */
#include "guest_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *gt_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s/cocoon-guest-XXXXXX", t != NULL && *t ? t : "/tmp");
	assert_non_null(mkdtemp(buf));
	char *s = strdup(buf);
	assert_non_null(s);
	return s;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void gt_rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void gt_mkdirs(const char *root, const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s", root, path);
	for (char *s = p + strlen(root) + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0700);
			*s = '/';
		}
	mkdir(p, 0700);
}

void gt_write(const char *root, const char *path, const void *data, size_t len)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s", root, path);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = 0;
		gt_mkdirs(root, dir);
	}
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

uint8_t *gt_read(const char *root, const char *path, size_t *len)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s", root, path);
	uint8_t *buf = NULL;
	if (tsm_fs_ops.read(NULL, p, 64u << 20, &buf, len) < 0)
		return NULL;
	return buf;
}

void gt_assert_prefix(int r, cc_error **err, const char *prefix)
{
	if (r >= 0)
		fail_msg("succeeded, expected an error starting with '%s'", prefix);
	const char *m = cc_error_message(*err);
	if (strncmp(m, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", m, prefix);
	cc_error_free(*err);
	*err = NULL;
}

void gt_assert_contains(int r, cc_error **err, const char *part)
{
	if (r >= 0)
		fail_msg("succeeded, expected an error mentioning '%s'", part);
	const char *m = cc_error_message(*err);
	if (strstr(m, part) == NULL)
		fail_msg("error '%s' does not mention '%s'", m, part);
	cc_error_free(*err);
	*err = NULL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

void gt_unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			fail_msg("not hex: %s", s);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

/* ---- the configfs-tsm kernel ----------------------------------------- */

static void put_file(const char *dir, const char *name, const void *p, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

static void bump_generation(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/generation", dir);
	uint8_t *g = NULL;
	size_t len = 0;
	assert_int_equal(tsm_fs_ops.read(NULL, path, 32, &g, &len), 0);
	unsigned v = (unsigned)strtoul((const char *)g, NULL, 10);
	free(g);
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u\n", v + 1);
	put_file(dir, "generation", buf, (size_t)n);
}

static int k_mkdir(void *ctx, const char *path)
{
	gt_kernel *k = ctx;
	if (mkdir(path, 0700) < 0)
		return -errno;
	k->mkdirs++;
	char prov[64];
	int n = snprintf(prov, sizeof(prov), "%s\n", k->provider);
	put_file(path, "provider", prov, (size_t)n);
	put_file(path, "generation", "0\n", 2);
	put_file(path, "inblob", "", 0);
	put_file(path, "outblob", "", 0);
	put_file(path, "auxblob", "", 0);
	put_file(path, "privlevel", "0\n", 2);
	char fl[8];
	n = snprintf(fl, sizeof(fl), "%d\n", k->floor);
	put_file(path, "privlevel_floor", fl, (size_t)n);
	return 0;
}

static int k_rmdir(void *ctx, const char *path)
{
	gt_kernel *k = ctx;
	DIR *d = opendir(path);
	if (d == NULL)
		return -errno;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		unlink(p);
	}
	closedir(d);
	k->rmdirs++;
	return rmdir(path) < 0 ? -errno : 0;
}

static int k_write(void *ctx, const char *path, const uint8_t *p, size_t len)
{
	gt_kernel *k = ctx;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	assert_non_null(slash);
	*slash = 0;
	const char *name = slash + 1;
	if (strcmp(name, "inblob") != 0 && strcmp(name, "privlevel") != 0)
		return -EACCES;
	if (strcmp(name, "privlevel") == 0 && len > 0 && p[0] - '0' < k->floor)
		return -EINVAL;
	put_file(dir, name, p, len);
	bump_generation(dir);
	if (strcmp(name, "privlevel") == 0) {
		char buf[16] = {0};
		memcpy(buf, p, len < 15 ? len : 15);
		k->privlevel = (int)strtol(buf, NULL, 10);
		return 0;
	}
	k->inblob_writes++;
	uint8_t *out = NULL, *aux = NULL;
	size_t out_len = 0, aux_len = 0;
	k->answer(k, p, len, &out, &out_len, &aux, &aux_len);
	put_file(dir, "outblob", out, out_len);
	put_file(dir, "auxblob", aux, aux_len);
	free(out);
	free(aux);
	if (k->race > 0) {
		k->race--;
		bump_generation(dir);
	}
	return 0;
}

static int k_read(void *ctx, const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	(void)ctx;
	return tsm_fs_ops.read(NULL, path, max, ret, ret_len);
}

const tsm_ops gt_tsm_ops = {
	.mkdir = k_mkdir,
	.rmdir = k_rmdir,
	.write = k_write,
	.read = k_read,
};
