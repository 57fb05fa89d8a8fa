/* Unit tests of the runtime config (lib/image/unpack/runtime_config.c,
 * execuser.c): user resolution against a rootfs's /etc/passwd and
 * /etc/group as runc/moby's GetExecUser, Env merging and its errors,
 * created time formatting, sorted volumes and ports, outputs untouched on
 * failure. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unpack.h"

static char root_path[64];
static int rootfd = -1;

static void write_file(const char *rel, const char *data)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", root_path, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root_path, sizeof(root_path), "/tmp/cocoon-rtcfg-XXXXXX");
	assert_non_null(mkdtemp(root_path));
	char p[128];
	snprintf(p, sizeof(p), "%s/etc", root_path);
	mkdir(p, 0755);
	write_file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
	                         "  app:x:1000:1000:App:/home/app:/bin/sh  \n"
	                         "\n"
	                         "nohome:x:1001:1001::\n"
	                         "odd:x:notanumber:7:::\n");
	write_file("etc/group", "# comment:x:55:app\n"
	                        "root:x:0:root\n"
	                        "app:x:1000:\n"
	                        "wheel:x:10:root,app\n"
	                        "audio:x:29:app\n");
	rootfd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof(p), "%s/etc/passwd", root_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc/group", root_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc", root_path);
	rmdir(p);
	rmdir(root_path);
	close(rootfd);
	return 0;
}

/* Runtime config of an image config given as JSON text. */
static int rc(const char *image, int fd, json_t **ret, cc_error **err)
{
	json_t *img = json_loads(image, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(img);
	int r = img_runtime_config(img, fd, ret, err);
	json_decref(img);
	return r;
}

static json_t *user_of(const char *user, int fd, int *ret_code, cc_error **err)
{
	char img[256];
	snprintf(img, sizeof(img), "{\"os\":\"linux\",\"config\":{\"User\":\"%s\"}}", user);
	json_t *spec = NULL;
	*ret_code = rc(img, fd, &spec, err);
	return spec;
}

static void assert_user(const char *spec_user, int fd, int uid, int gid, const char *gids,
                        const char *home)
{
	int r;
	json_t *spec = user_of(spec_user, fd, &r, NULL);
	assert_int_equal(r, 0);
	json_t *u = json_object_get(json_object_get(spec, "process"), "user");
	assert_int_equal(json_integer_value(json_object_get(u, "uid")), uid);
	assert_int_equal(json_integer_value(json_object_get(u, "gid")), gid);
	json_t *g = json_object_get(u, "additionalGids");
	char *gs = g != NULL ? json_dumps(g, JSON_COMPACT) : NULL;
	if (gids == NULL)
		assert_null(g);
	else
		assert_string_equal(gs, gids);
	free(gs);
	json_t *env = json_object_get(json_object_get(spec, "process"), "env");
	const char *last = json_string_value(json_array_get(env, json_array_size(env) - 1));
	if (home != NULL)
		assert_string_equal(last, home);
	else
		assert_int_equal(strncmp(last, "HOME=", 5) == 0, 0);
	json_decref(spec);
}

static void test_users(void **state)
{
	(void)state;
	assert_user("", rootfd, 0, 0, "[0,10]", "HOME=/root");
	assert_user("app", rootfd, 1000, 1000, "[10,29]", "HOME=/home/app");
	assert_user("1000", rootfd, 1000, 1000, "[10,29]", "HOME=/home/app");
	assert_user("app:wheel", rootfd, 1000, 10, NULL, "HOME=/home/app");
	assert_user("app:29", rootfd, 1000, 29, NULL, "HOME=/home/app");
	assert_user("5000:6000", rootfd, 5000, 6000, NULL, NULL);
	assert_user("nohome", rootfd, 1001, 1001, NULL, NULL);
	assert_user("+0", rootfd, 0, 0, "[0,10]", "HOME=/root");
	/* Without a rootfs: numeric only, names fall back to root:root. */
	assert_user("app", -1, 0, 0, NULL, NULL);
	assert_user("7:8", -1, 7, 8, NULL, NULL);
}

static void test_user_errors(void **state)
{
	(void)state;
	const struct {
		const char *user;
		int code;
		const char *msg;
	} cases[] = {
	    {"nobody", -ENOENT, "image config: cannot parse user spec \"nobody\": unable to find "
	                        "user nobody: no matching entries in passwd file"},
	    {"app:nogroup", -ENOENT, "image config: cannot parse user spec \"app:nogroup\": "
	                             "unable to find group nogroup: no matching entries in group "
	                             "file"},
	    {"99999999999", -ERANGE, "image config: cannot parse user spec \"99999999999\": user "
	                             "spec: uids and gids must be in range 0-2147483647"},
	    {"-1", -ERANGE, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cc_error *err = NULL;
		int r;
		json_t *spec = user_of(cases[i].user, rootfd, &r, &err);
		assert_int_equal(r, cases[i].code);
		assert_null(spec);
		if (cases[i].msg != NULL)
			assert_string_equal(cc_error_message(err), cases[i].msg);
		cc_error_free(err);
	}
}

static void test_fields(void **state)
{
	(void)state;
	json_t *spec = NULL;
	assert_int_equal(rc("{\"os\":\"linux\",\"architecture\":\"arm64\",\"author\":\"me\","
	                    "\"created\":\"2024-02-29T03:04:05.120000+00:00\","
	                    "\"config\":{\"Env\":[\"PATH=/x\",\"A=1=2\",\"A=3\"],"
	                    "\"Entrypoint\":[\"/e\"],\"Cmd\":[\"c1\",\"c2\"],\"WorkingDir\":\"/w\","
	                    "\"Labels\":{\"org.opencontainers.image.os\":\"overridden\",\"l\":\"v\"},"
	                    "\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},"
	                    "\"Volumes\":{\"/z\":{},\"/a\":{}},\"StopSignal\":\"SIGINT\"}}",
	                    -1, &spec, NULL),
	                 0);
	char *s = json_dumps(json_object_get(spec, "process"), JSON_COMPACT);
	assert_non_null(strstr(s, "\"args\":[\"/e\",\"c1\",\"c2\"]"));
	assert_non_null(strstr(s, "\"env\":[\"PATH=/x\",\"TERM=xterm\",\"A=3\"]"));
	assert_non_null(strstr(s, "\"cwd\":\"/w\""));
	free(s);
	s = json_dumps(json_object_get(spec, "annotations"), JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"l\":\"v\",\"org.opencontainers.image.architecture\":\"arm64\","
	                       "\"org.opencontainers.image.author\":\"me\","
	                       "\"org.opencontainers.image.created\":\"2024-02-29T03:04:05.12Z\","
	                       "\"org.opencontainers.image.exposedPorts\":\"53/udp,80/tcp\","
	                       "\"org.opencontainers.image.os\":\"linux\","
	                       "\"org.opencontainers.image.stopSignal\":\"SIGINT\"}");
	free(s);
	json_t *mounts = json_object_get(spec, "mounts");
	assert_int_equal(json_array_size(mounts), 9);
	assert_string_equal(json_string_value(json_object_get(json_array_get(mounts, 7), "destination")), "/a");
	assert_string_equal(json_string_value(json_object_get(json_array_get(mounts, 8), "destination")), "/z");
	json_decref(spec);

	/* Defaults: args ["sh"], Go's zero time, empty annotations. */
	assert_int_equal(rc("{\"os\":\"linux\",\"config\":null}", -1, &spec, NULL), 0);
	s = json_dumps(spec, JSON_COMPACT);
	assert_non_null(strstr(s, "\"args\":[\"sh\"]"));
	assert_non_null(strstr(s, "\"org.opencontainers.image.created\":\"0001-01-01T00:00:00Z\""));
	assert_non_null(strstr(s, "\"org.opencontainers.image.exposedPorts\":\"\""));
	free(s);
	json_decref(spec);

	assert_int_equal(rc("{\"os\":\"linux\",\"created\":\"2020-01-01T10:00:00.5-07:30\"}", -1, &spec, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "annotations"),
	                                                      "org.opencontainers.image.created")),
	                    "2020-01-01T10:00:00.5-07:30");
	json_decref(spec);
}

static void test_config_errors(void **state)
{
	(void)state;
	const struct {
		const char *img;
		int code;
		const char *msg;
	} cases[] = {
	    {"{\"os\":\"windows\"}", -ENOTSUP, "image config: unsupported OS \"windows\""},
	    {"{}", -ENOTSUP, "image config: unsupported OS \"\""},
	    {"[]", -EINVAL, "image config: not a JSON object"},
	    {"{\"os\":\"linux\",\"config\":{\"Env\":[\"NOEQ\"]}}", -EINVAL,
	     "image config: config.Env[0]: environment variable must contain '='"},
	    {"{\"os\":\"linux\",\"config\":{\"Env\":[\"=v\"]}}", -EINVAL,
	     "image config: config.Env[0]: environment variable must have a non-empty name"},
	    {"{\"os\":\"linux\",\"config\":{\"Cmd\":[1]}}", -EINVAL,
	     "image config: config.Cmd[0]: not a string"},
	    {"{\"os\":\"linux\",\"config\":{\"Labels\":{\"a\":1}}}", -EINVAL,
	     "image config: config.Labels.a: not a string"},
	    {"{\"os\":\"linux\",\"config\":{\"Volumes\":[]}}", -EINVAL,
	     "image config: config.Volumes: not an object"},
	    {"{\"os\":\"linux\",\"created\":\"2023-02-29T00:00:00Z\"}", -EINVAL,
	     "image config: created: \"2023-02-29T00:00:00Z\" is not an RFC 3339 time"},
	    {"{\"os\":\"linux\",\"created\":\"2023-01-01T00:00:00\"}", -EINVAL, NULL},
	    {"{\"os\":\"linux\",\"created\":\"2023-01-01T00:00:00.Z\"}", -EINVAL, NULL},
	    {"{\"os\":\"linux\",\"created\":5}", -EINVAL, "image config: created: not a string"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *spec = NULL;
		cc_error *err = NULL;
		assert_int_equal(rc(cases[i].img, -1, &spec, &err), cases[i].code);
		assert_null(spec);
		if (cases[i].msg != NULL)
			assert_string_equal(cc_error_message(err), cases[i].msg);
		cc_error_free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_users),
	    cmocka_unit_test(test_user_errors),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
