/* Helpers for the signature tests: files, temporary directories, and the
 * real peer programs (gpg, skopeo, openssl, docker-registry, python3's
 * http.server) started on loopback and stopped by PID. */
#ifndef COCOON_TESTS_SIG_HELPERS_H
#define COCOON_TESTS_SIG_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sig.h"

/* The path of a file under tests/image/sig/data (SIG_TEST_DATA), in a
 * static buffer (valid until the next call). */
const char *data_path(const char *rel);

/* Reads a whole file (NUL-terminated, length in *len if len != NULL);
 * aborts the test on failure. Free with free(). */
char *slurp(const char *path, size_t *len);

/* Writes n bytes to path (creating parent directories); aborts on failure. */
void spit(const char *path, const void *p, size_t n);
void spits(const char *path, const char *s);

/* mkdtemp under $TMPDIR or /tmp; rm_rf removes a tree. */
char *make_tmpdir(void);
void rm_rf(const char *path);

/* printf into a malloc'd string; aborts on OOM. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs argv (argv[0] looked up in PATH) with extra environment entries
 * env ("NAME=value", NULL-terminated, may be NULL), stdin from /dev/null,
 * waiting at most timeout_s seconds (then it is killed). Returns the exit
 * status (or 128+signal); stdout is collected into *out (malloc'd) if out
 * is not NULL, stderr into *errout likewise. */
int run(char *const argv[], char *const env[], int timeout_s, char **out, char **errout);

/* Like run() but aborts the test unless the exit status is 0. */
char *run_ok(char *const argv[], char *const env[]);

/* Starts argv in the background (stdout/stderr to logfile); returns the
 * PID. stop() sends SIGTERM, then SIGKILL after 2 s, and reaps it. */
pid_t start_bg(char *const argv[], char *const env[], const char *logfile);
void stop(pid_t pid);

/* A free TCP port on 127.0.0.1, and waiting (at most 10 s) until something
 * listens there. */
int free_port(void);
bool wait_port(int port, pid_t pid);

/* Whether a program is on PATH. */
bool have_program(const char *name);

/* The resource callback over aa-offline_fs_kbc-resources.json (a JSON
 * object of base64 strings keyed by "repo/type/tag"): ctx is the path of
 * that file. kbs:///default/gpg-public-key/test -> "default/gpg-public-key/test". */
int kbc_get_resource(void *ctx, const char *uri, size_t max, void **ret, size_t *ret_len,
                     cc_error **err);

/* Loads policy (JSON) and registries (registries.d YAML, may be NULL),
 * runs sig_policy_check on img and returns its code. *msg (malloc'd) is
 * the error message, or on success the report: "scope | type: detail |
 * type: detail...". Aborts the test if the policy or YAML do not load. */
int check_image(const char *policy, const char *registries, const struct sig_image *img,
                const struct sig_callbacks *cb, void *ctx, char **msg);

/* Whether s contains each of the NULL-terminated strings; prints s and
 * the first one missing otherwise. */
bool has_all(const char *s, const char *const *want);

/* sha256 hex of n bytes. */
void sha256_hex(const void *p, size_t n, char out[65]);

#endif
