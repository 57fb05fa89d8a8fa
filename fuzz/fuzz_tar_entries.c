/* libFuzzer target: tar layers through the unpacker (lib/image/unpack).
 *
 * Each input is a tar stream, unpacked twice into a fresh scratch root:
 * in flatten mode onto a small lower tree (files, a directory, a symlink
 * to "/" and one climbing out, so whiteouts and links have something to
 * meet), then in overlay mode into an empty root. The scratch root lives
 * in a base directory next to a sentinel directory; after every run the
 * base must hold exactly the sentinel (with its file unchanged) and the
 * root, and once the root is removed, only the sentinel: nothing may be
 * created, changed or removed outside the root. A failed unpack must carry
 * a message. Seed corpus: fuzz/corpus/tar_entries/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "unpack.h"

static char base[64];
static char root[96];
static char sentinel[96];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_tar_entries: %s\n", what);
	abort();
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void write_file(const char *dir, const char *name, const char *data)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, strlen(data)) < 0)
		die("cannot write a setup file");
	close(fd);
}

static void remove_base(void)
{
	nftw(base, rm_cb, 64, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(base, sizeof(base), "/tmp/cocoon-fuzz-tar-XXXXXX");
	if (mkdtemp(base) == NULL)
		die("mkdtemp");
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(sentinel, sizeof(sentinel), "%s/sentinel", base);
	if (mkdir(sentinel, 0755) < 0)
		die("mkdir sentinel");
	write_file(sentinel, "secret", "secret");
	atexit(remove_base);
	return 0;
}

/* The base holds the sentinel (unchanged) and, if want_root, the root. */
static void check_outside(bool want_root)
{
	DIR *d = opendir(base);
	if (d == NULL)
		die("opendir base");
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, "sentinel") != 0 && !(want_root && strcmp(de->d_name, "root") == 0))
			die("something appeared next to the root");
		n++;
	}
	closedir(d);
	if (n != (want_root ? 2 : 1))
		die("the sentinel or the root went missing");
	char p[160], buf[16] = {0};
	snprintf(p, sizeof(p), "%s/secret", sentinel);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) != 6 || strcmp(buf, "secret") != 0)
		die("the sentinel changed");
	close(fd);
	d = opendir(sentinel);
	n = 0;
	while (d != NULL && (de = readdir(d)) != NULL)
		n++;
	if (d != NULL)
		closedir(d);
	if (n != 3)
		die("the sentinel directory changed");
}

static void make_lower(void)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/etc", root);
	mkdir(p, 0755);
	write_file(p, "passwd", "root:x:0:0::/root:/bin/sh\n");
	snprintf(p, sizeof(p), "%s/dir", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dir/sub", root);
	mkdir(p, 0755);
	write_file(p, "file", "lower");
	snprintf(p, sizeof(p), "%s/up", root);
	if (symlink("../../..", p) < 0)
		die("symlink");
	snprintf(p, sizeof(p), "%s/slash", root);
	if (symlink("/", p) < 0)
		die("symlink");
}

static void one_run(const uint8_t *data, size_t size, enum img_whiteout_mode mode)
{
	if (mkdir(root, 0755) < 0)
		die("mkdir root");
	if (mode == IMG_WHITEOUT_FLATTEN)
		make_lower();
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("open root");
	struct img_unpack_opts o;
	img_unpack_opts_default(&o);
	o.whiteout = mode;
	o.max_bytes = 16u << 20;
	o.max_entries = 4096;
	img_reader *r = img_reader_mem(data, size);
	if (r == NULL)
		die("out of memory");
	cc_error *err = NULL;
	struct img_unpack_stats st;
	int ret = img_unpack_layer(fd, r, &o, &st, &err);
	if (ret > 0 || (ret < 0 && cc_error_message(err)[0] == '\0'))
		die("a failure without a message");
	if (ret == 0 && img_reader_count(r) != size)
		die("success without reading the stream to its end");
	cc_error_free(err);
	img_reader_free(r);
	close(fd);
	check_outside(true);
	nftw(root, rm_cb, 64, FTW_DEPTH | FTW_PHYS);
	check_outside(false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (base[0] == '\0')
		LLVMFuzzerInitialize(NULL, NULL);
	one_run(data, size, IMG_WHITEOUT_FLATTEN);
	one_run(data, size, IMG_WHITEOUT_OVERLAY);
	return 0;
}
