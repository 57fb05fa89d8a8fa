/* cc_read_file (cocoon/file.h, lib/common/file.c): regular files at and
 * over the cap, a pipe and a /proc file whose size says 0, a pipe larger
 * than the first buffer, CC_READ_REGULAR, the errors' codes and words, and
 * unchanged outputs on failure. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cocoon/file.h"

static char dir[] = "/tmp/cocoon-file-test.XXXXXX";

static const char *put(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
	return path;
}

/* The call fails with code and a message that starts with path and holds
 * word; the outputs are untouched. */
static void expect_fail(const char *path, size_t max, unsigned flags, int code, const char *word)
{
	char *buf = (char *)&buf;
	size_t len = 7;
	cc_error *err = NULL;
	assert_int_equal(cc_read_file(path, max, flags, &buf, &len, &err), code);
	assert_ptr_equal(buf, (char *)&buf);
	assert_int_equal(len, 7);
	const char *m = cc_error_message(err);
	if (strncmp(m, path, strlen(path)) != 0 || strstr(m, word) == NULL)
		fail_msg("'%s': want '%s: ...%s...'", m, path, word);
	cc_error_free(err);
}

static void test_regular(void **state)
{
	(void)state;
	const char *p = put("ten", "0123456789");
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(cc_read_file(p, 10, CC_READ_REGULAR, &buf, &len, NULL), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
	assert_int_equal(cc_read_file(p, 100, CC_READ_SECRET, &buf, NULL, NULL), 0);
	assert_string_equal(buf, "0123456789");
	free(buf);
	expect_fail(p, 9, 0, -EFBIG, "larger than 9 bytes");
	p = put("empty", "");
	assert_int_equal(cc_read_file(p, 0, CC_READ_REGULAR, &buf, &len, NULL), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	char missing[256];
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	expect_fail(missing, 10, 0, -ENOENT, strerror(ENOENT));
	expect_fail(dir, 10, CC_READ_REGULAR, -EINVAL, "not a regular file");
	expect_fail(dir, 10, 0, -EISDIR, strerror(EISDIR));
}

/* A pipe holding n bytes of 'x' behind /proc/self/fd/N (its size says 0). */
static int pipe_of(size_t n, char *path, size_t size)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	char chunk[1024];
	memset(chunk, 'x', sizeof(chunk));
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
		assert_int_equal(write(fds[1], chunk, k), (ssize_t)k);
		done += k;
	}
	close(fds[1]);
	snprintf(path, size, "/proc/self/fd/%d", fds[0]);
	return fds[0];
}

static void test_unsized(void **state)
{
	(void)state;
	char path[64];
	char *buf = NULL;
	size_t len = 0;
	/* more than the first 4096-byte buffer: it grows */
	int fd = pipe_of(20000, path, sizeof(path));
	assert_int_equal(cc_read_file(path, 20000, 0, &buf, &len, NULL), 0);
	assert_int_equal(len, 20000);
	assert_int_equal(buf[19999], 'x');
	assert_int_equal(buf[20000], '\0');
	free(buf);
	close(fd);
	fd = pipe_of(20000, path, sizeof(path));
	assert_int_equal(cc_read_file(path, 20000, CC_READ_SECRET, &buf, &len, NULL), 0);
	assert_int_equal(len, 20000);
	free(buf);
	close(fd);
	fd = pipe_of(20001, path, sizeof(path));
	expect_fail(path, 20000, 0, -EFBIG, "larger than 20000 bytes");
	close(fd);
	fd = pipe_of(10, path, sizeof(path));
	expect_fail(path, 20000, CC_READ_REGULAR, -EINVAL, "not a regular file");
	close(fd);
	/* a /proc file: regular, size 0, not empty */
	assert_int_equal(cc_read_file("/proc/self/status", 1 << 20, CC_READ_REGULAR, &buf, &len,
	                              NULL), 0);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Name:"));
	free(buf);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	static const char *const names[] = {"ten", "empty"}; /* what put() made */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular),
		cmocka_unit_test(test_unsized),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
