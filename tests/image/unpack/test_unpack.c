/* Unit tests of the tar unpacker (lib/image/unpack/tar_unpack.c and
 * friends) on tars written in memory with libarchive: the reader is always
 * drained (a check at the end of the stream decides success), stats are
 * written only on success, flatten-mode whiteouts spare what the same
 * layer made, directory times are set after their contents, overlay-mode
 * markers survive a later entry for their directory. Needs root (chown). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "digest.h"
#include "unpack.h"

struct tarbuf {
	struct archive *a;
	unsigned char *buf;
	size_t cap, used;
};

static void tb_open(struct tarbuf *t)
{
	t->cap = 1 << 20;
	t->buf = calloc(1, t->cap);
	t->a = archive_write_new();
	archive_write_set_format_pax_restricted(t->a);
	assert_int_equal(archive_write_open_memory(t->a, t->buf, t->cap, &t->used), ARCHIVE_OK);
}

static void tb_add(struct tarbuf *t, const char *name, mode_t type, const char *data,
                   const char *link, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_mtime(e, mtime, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	else if (link != NULL)
		archive_entry_set_hardlink(e, link);
	size_t n = data != NULL ? strlen(data) : 0;
	archive_entry_set_size(e, (la_int64_t)n);
	assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
	if (n > 0)
		assert_int_equal(archive_write_data(t->a, data, n), (la_ssize_t)n);
	archive_entry_free(e);
}

static void tb_close(struct tarbuf *t)
{
	assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
	archive_write_free(t->a);
}

static char root_path[64];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root_path, sizeof(root_path), "/tmp/cocoon-unpack-XXXXXX");
	assert_non_null(mkdtemp(root_path));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(root_path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int open_root(void)
{
	int fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int unpack_mem(const void *p, size_t n, const struct img_unpack_opts *o,
                      struct img_unpack_stats *st, cc_error **err)
{
	int root = open_root();
	img_reader *r = img_reader_mem(p, n);
	int ret = img_unpack_layer(root, r, o, st, err);
	img_reader_free(r);
	close(root);
	return ret;
}

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", root_path, rel);
	return lstat(p, &st) == 0;
}

static void put(const char *rel, const char *data)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root_path, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "%s", p);
	for (char *s = cmd + strlen(root_path) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(cmd, 0755);
		*s = '/';
	}
	mkdir(cmd, 0755);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

/* The stream is read to its end: a digest check there fails the unpack
 * even though the archive itself was complete, and trailing bytes count. */
static void test_drains_to_eof(void **state)
{
	(void)state;
	struct tarbuf t;
	tb_open(&t);
	tb_add(&t, "a", AE_IFREG, "data", NULL, 1000);
	tb_close(&t);
	size_t n = t.used + 3000;
	memset(t.buf + t.used, 0, 2999);
	t.buf[n - 1] = 'J'; /* junk after the end-of-archive blocks */
	img_digest good, bad;
	assert_int_equal(img_digest_bytes(IMG_DIGEST_SHA256, t.buf, n, &good, NULL), 0);
	bad = good;
	bad.b[0] ^= 1;

	int root = open_root();
	struct img_unpack_stats st = {.entries = 77};
	cc_error *err = NULL;
	img_reader *r = img_digest_reader(img_reader_mem(t.buf, n), &bad, -1, "diff_id");
	assert_int_equal(img_unpack_layer(root, r, NULL, &st, &err), -EBADMSG);
	assert_non_null(strstr(cc_error_message(err), "diff_id: digest mismatch"));
	assert_int_equal(st.entries, 77); /* untouched on failure */
	cc_error_free(err);
	img_reader_free(r);

	r = img_digest_reader(img_reader_mem(t.buf, n), &good, (int64_t)n, "diff_id");
	assert_int_equal(img_unpack_layer(root, r, NULL, &st, NULL), 0);
	assert_int_equal(st.tar_bytes, n);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.file_bytes, 4);
	assert_int_equal(img_reader_count(r), n);
	img_reader_free(r);
	close(root);
	free(t.buf);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	cc_error *err = NULL;
	img_reader *r = img_reader_mem("", 0);
	assert_int_equal(img_unpack_layer(-1, r, NULL, NULL, &err), -EINVAL);
	cc_error_free(err);
	struct img_unpack_opts o;
	img_unpack_opts_default(&o);
	o.whiteout = (enum img_whiteout_mode)7;
	int root = open_root();
	err = NULL;
	assert_int_equal(img_unpack_layer(root, r, &o, NULL, &err), -EINVAL);
	assert_string_equal(cc_error_message(err), "layer: unknown whiteout mode 7");
	cc_error_free(err);
	close(root);
	img_reader_free(r);
}

/* Whiteouts remove lower content only, whatever the entry order. */
static void test_flatten_whiteouts(void **state)
{
	(void)state;
	put("d/lower1", "l");
	put("d/sub/lower2", "l");
	put("gone/x", "l");
	put("keep/old", "l");
	struct tarbuf t;
	tb_open(&t);
	tb_add(&t, "d/new", AE_IFREG, "n", NULL, 1000);
	tb_add(&t, "d/.wh..wh..opq", AE_IFREG, NULL, NULL, 1000);
	tb_add(&t, "keep/mine", AE_IFREG, "m", NULL, 1000);
	tb_add(&t, "keep/.wh.mine", AE_IFREG, NULL, NULL, 1000);
	tb_add(&t, "keep/.wh.old", AE_IFREG, NULL, NULL, 1000);
	tb_add(&t, ".wh.gone", AE_IFREG, NULL, NULL, 1000);
	tb_add(&t, "nothere/.wh.x", AE_IFREG, NULL, NULL, 1000);
	tb_close(&t);
	struct img_unpack_stats st;
	assert_int_equal(unpack_mem(t.buf, t.used, NULL, &st, NULL), 0);
	assert_true(exists("d/new"));
	assert_false(exists("d/lower1"));
	assert_false(exists("d/sub"));
	assert_true(exists("keep/mine"));
	assert_false(exists("keep/old"));
	assert_false(exists("gone"));
	assert_false(exists("nothere"));
	assert_int_equal(st.whiteouts, 5);
	free(t.buf);
}

/* A directory's mtime is the entry's, after files were made inside it. */
static void test_directory_times_last(void **state)
{
	(void)state;
	struct tarbuf t;
	tb_open(&t);
	tb_add(&t, "dir/", AE_IFDIR, NULL, NULL, 1234);
	tb_add(&t, "dir/f", AE_IFREG, "x", NULL, 5678);
	tb_add(&t, "dir/s", AE_IFLNK, NULL, "f", 42);
	tb_add(&t, "dir/h", AE_IFREG, NULL, "dir/f", 0);
	tb_close(&t);
	assert_int_equal(unpack_mem(t.buf, t.used, NULL, NULL, NULL), 0);
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/dir", root_path);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1234);
	snprintf(p, sizeof(p), "%s/dir/f", root_path);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 5678);
	assert_int_equal(st.st_nlink, 2);
	snprintf(p, sizeof(p), "%s/dir/s", root_path);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 42);
	free(t.buf);
}

/* Overlay mode: the opaque marker stays when the directory's own entry
 * comes later (overlayfs xattrs are not cleared), whiteouts are 0/0. */
static void test_overlay_markers(void **state)
{
	(void)state;
	struct tarbuf t;
	tb_open(&t);
	tb_add(&t, "o/.wh..wh..opq", AE_IFREG, NULL, NULL, 1);
	tb_add(&t, "o/.wh.x", AE_IFREG, NULL, NULL, 1);
	tb_add(&t, "o/", AE_IFDIR, NULL, NULL, 1);
	tb_close(&t);
	struct img_unpack_opts o;
	img_unpack_opts_default(&o);
	o.whiteout = IMG_WHITEOUT_OVERLAY;
	assert_int_equal(unpack_mem(t.buf, t.used, &o, NULL, NULL), 0);
	char p[256], v[4] = {0};
	snprintf(p, sizeof(p), "%s/o", root_path);
	assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	struct stat st;
	snprintf(p, sizeof(p), "%s/o/x", root_path);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, 0);
	free(t.buf);
}

/* Errors name the entry, in printable form. */
static void test_error_names_entry(void **state)
{
	(void)state;
	struct tarbuf t;
	tb_open(&t);
	tb_add(&t, "x/\x01'bad", AE_IFREG, "a", NULL, 1);
	tb_add(&t, "x/\x01'bad/under", AE_IFREG, "a", NULL, 1);
	tb_close(&t);
	cc_error *err = NULL;
	assert_int_equal(unpack_mem(t.buf, t.used, NULL, NULL, &err), -ENOTDIR);
	assert_string_equal(cc_error_message(err), "layer: entry 'x/\\x01\\x27bad/under': "
	                                           "parent directory: Not a directory");
	cc_error_free(err);
	free(t.buf);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_drains_to_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flatten_whiteouts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory_times_last, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overlay_markers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_names_entry, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
