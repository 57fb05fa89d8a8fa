/* libcocoon-toml: a TOML 1.0 parser for configuration files (docs/shim.md,
 * "configuration.toml"). Debian has no TOML library for C, so this is a
 * small one: the whole document is parsed into a tree that is then read
 * with the accessors below.
 *
 * What it accepts is what Python's tomllib (the reference the tests compare
 * with) accepts: TOML 1.0.0 strings (basic, literal, multi-line, escapes),
 * integers (decimal, 0x, 0o, 0b, underscores) in the int64 range, floats
 * (inf, nan), booleans, offset/local date-times, local dates and times,
 * arrays, inline tables, [tables], [[arrays of tables]] and dotted keys,
 * with the rules on defining a table or key twice. Seconds run 00-59 and
 * fractional seconds keep 9 digits (extra digits are dropped).
 *
 * Bounds (include/cocoon/limits.h): a document is at most
 * CC_TOML_MAX_BYTES; tables, arrays and dotted keys nest at most
 * CC_TOML_MAX_DEPTH deep. Errors follow docs/errors.md: -EINVAL (kind
 * "toml_parse_error", with line and column) for a malformed document,
 * -E2BIG / -ELOOP past a cap, -ENOMEM. No global state; a parsed document
 * is read-only and may be read from several threads.
 */
#ifndef COCOON_TOML_H
#define COCOON_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cocoon/error.h"

typedef struct toml_doc toml_doc;
/* A node of a document; owned by the document, valid until toml_doc_free. */
typedef struct toml_value toml_value;

enum toml_type {
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOLEAN,
	TOML_DATETIME,
	TOML_ARRAY,
	TOML_TABLE,
};

enum toml_datetime_kind {
	TOML_OFFSET_DATETIME, /* 1979-05-27T07:32:00Z, ...-07:00 */
	TOML_LOCAL_DATETIME,  /* 1979-05-27T07:32:00 */
	TOML_LOCAL_DATE,      /* 1979-05-27 */
	TOML_LOCAL_TIME,      /* 07:32:00 */
};

typedef struct toml_datetime {
	enum toml_datetime_kind kind;
	int year, month, day;       /* 0 for a local time */
	int hour, minute, second;   /* 0 for a local date */
	int nanosecond;             /* fraction of the second, 0..999999999 */
	int offset_minutes;         /* offset date-times only: Z = 0, -07:00 = -420 */
} toml_datetime;

/* Parses len bytes of src (need not be NUL-terminated). name (may be NULL)
 * is the file name errors carry. On success *ret is the document (free it
 * with toml_doc_free). */
int toml_parse(const char *src, size_t len, const char *name, toml_doc **ret, cc_error **err);
/* Frees the document and every node; NULL is a no-op. */
void toml_doc_free(toml_doc *d);
/* The root table. */
const toml_value *toml_doc_root(const toml_doc *d);

/* The node's type, and the line (1-based) its value starts on: for
 * [tables] the header's line, for implicitly created tables the line that
 * created them. */
enum toml_type toml_type(const toml_value *v);
unsigned toml_line(const toml_value *v);
/* The type's name as TOML users say it ("string", "integer", ...). */
const char *toml_type_name(enum toml_type t);

/* Tables: entries in the order they were defined. toml_table_get returns
 * NULL when t is not a table or has no such key. */
size_t toml_table_len(const toml_value *t);
const toml_value *toml_table_at(const toml_value *t, size_t i, const char **ret_key,
                                size_t *ret_key_len);
const toml_value *toml_table_get(const toml_value *t, const char *key);
/* A dotted path of bare keys ("hypervisor.qemu") from t through tables;
 * NULL if any part is missing or not a table on the way. */
const toml_value *toml_table_path(const toml_value *t, const char *path);

/* Arrays (an array of tables is an array too). */
size_t toml_array_len(const toml_value *a);
const toml_value *toml_array_at(const toml_value *a, size_t i);

/* Scalars; each returns 0 / NULL / false when v has another type. A string
 * may contain NUL bytes (written as \u0000): check *ret_len. */
const char *toml_string(const toml_value *v, size_t *ret_len);
int64_t toml_integer(const toml_value *v);
double toml_float(const toml_value *v);
bool toml_boolean(const toml_value *v);
const toml_datetime *toml_dt(const toml_value *v);

#endif
