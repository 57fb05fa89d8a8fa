/* cocoon error contract (docs/errors.md).
 *
 * Fallible functions return int: 0 on success or a negative errno-style
 * value. They take an optional `cc_error **err` as last argument; on failure
 * they fill it (if err != NULL and *err == NULL) with a message that names the
 * input at fault. Outputs (`ret_*` parameters) are written only on success.
 * Callers add context with cc_error_wrap() as the error travels up; only the
 * boundary (main of a CLI or daemon) prints it.
 */
#ifndef COCOON_ERROR_H
#define COCOON_ERROR_H

#include <stddef.h>

typedef struct cc_error cc_error;

/* Creates an error in *err (if err != NULL and *err is NULL) with errno-style
 * code `code` (negative; positive values are negated) and a printf message.
 * Returns the negative code, so callers can `return cc_error_set(...)`. */
int cc_error_set(cc_error **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like cc_error_set, and also records a machine-readable kind (a static
 * string such as "rego_parse_error" or "eval_conflict_error") and an optional
 * source location (file may be NULL; line/col 0 means unknown). */
int cc_error_set_at(cc_error **err, int code, const char *kind,
                    const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Prefixes the message of *err with "<context>: ". No-op if err or *err is
 * NULL. Returns the error's code (or -EINVAL if there is none). */
int cc_error_wrap(cc_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Names the file an error with a line/column refers to (if the error has
 * no file yet). No-op if err or *err is NULL. Returns the error's code. */
int cc_error_set_file(cc_error **err, const char *file);

/* Accessors; all accept NULL. message() never returns NULL. */
const char *cc_error_message(const cc_error *e);
const char *cc_error_kind(const cc_error *e); /* NULL if none */
const char *cc_error_file(const cc_error *e); /* NULL if none */
int cc_error_line(const cc_error *e);
int cc_error_col(const cc_error *e);
int cc_error_code(const cc_error *e);

/* Formats "file:line:col: kind: message" (parts that are unknown are left
 * out) into a newly allocated string the caller frees; NULL on OOM. */
char *cc_error_format(const cc_error *e);

/* Frees an error; NULL is a no-op. */
void cc_error_free(cc_error *e);

/* Moves an error out of *src into *dst (if dst != NULL and *dst is NULL),
 * else frees it. Leaves *src NULL. */
void cc_error_move(cc_error **dst, cc_error **src);

#endif
