/* Corpus replayer: a plain main() for a fuzz target, so `meson test` runs
 * every seed corpus without libFuzzer (and under ASan+UBSan in the
 * sanitizer build). Modelled on systemd's src/fuzz/fuzz-main.c.
 *
 * Usage: fuzz-replay-NAME PATH...
 * Each PATH is a file (one input) or a directory (every regular file in it,
 * in name order, not recursing). Each input is copied into a buffer of
 * exactly its size, as libFuzzer does, so reads past the end are caught.
 * Exits 0 after printing how many inputs it replayed; 1 if a path cannot
 * be read or no input was found (an empty corpus is a bug). A crash in the
 * target is the target's failure and ends the process.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* scandir, O_CLOEXEC; the project sets it too */
#endif
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest input replayed: seeds are small; a bigger file is a mistake. */
#define REPLAY_MAX_INPUT (64u * 1024u * 1024u)

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int read_all(const char *path, uint8_t **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((uint64_t)st.st_size > REPLAY_MAX_INPUT)
		r = -EFBIG;
	if (r < 0) {
		close(fd);
		return r;
	}
	size_t len = (size_t)st.st_size;
	/* Exact size, so ASan sees a read one byte past the input. */
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			free(buf);
			close(fd);
			return r;
		}
		off += (size_t)n;
	}
	close(fd);
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int replay_file(const char *path, size_t *count)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = read_all(path, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(-r));
		return r;
	}
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

static int not_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, not_dots, alphasort);
	if (n < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	int r = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		struct stat st;
		if (w < 0 || (size_t)w >= sizeof(path)) {
			fprintf(stderr, "fuzz-replay: %s/%s: path too long\n", dir, names[i]->d_name);
			r = -ENAMETOOLONG;
		} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			/* not recursing: libFuzzer corpora are flat */
		} else if (replay_file(path, count) < 0) {
			r = -EIO;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);

	size_t count = 0;
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz-replay: %s: %s\n", argv[i], strerror(errno));
			failed = 1;
			continue;
		}
		int r = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) : replay_file(argv[i], &count);
		if (r < 0)
			failed = 1;
	}
	printf("fuzz-replay: replayed %zu inputs\n", count);
	if (count == 0 && !failed) {
		fprintf(stderr, "fuzz-replay: no inputs found (empty corpus?)\n");
		failed = 1;
	}
	return failed;
}
