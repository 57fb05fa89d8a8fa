/* Typed, strict reads of one TOML table of the KBS configuration
 * (config_load.c). Every error names the file, the line and the key as
 * "section.key". */
#ifndef COCOON_KBS_CONFIG_READ_H
#define COCOON_KBS_CONFIG_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "cocoon/error.h"
#include "toml.h"

struct cfg_reader {
	const char *file;
	const char *section; /* "http_server", "admin.authentication.bearer_jwt", ... */
	const toml_value *table;
	cc_error **err;
};

/* A reader for sub-table key of rd's table (NULL table when absent):
 * 1 found, 0 absent, < 0 not a table. section_buf holds the new name. */
int cfg_sub(const struct cfg_reader *rd, const char *key, char *section_buf, size_t n,
            struct cfg_reader *ret);

/* Refuses any key of the table not in allowed (NULL-terminated); hint
 * (may be NULL) is appended to the message. */
int cfg_only(const struct cfg_reader *rd, const char *const *allowed, const char *hint);

/* An error at the line of key (or of the table when key is absent). */
int cfg_bad(const struct cfg_reader *rd, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Each read leaves *dst alone when the key is absent and returns 0. */
int cfg_str(const struct cfg_reader *rd, const char *key, char **dst);
int cfg_bool(const struct cfg_reader *rd, const char *key, bool *dst);
int cfg_uint(const struct cfg_reader *rd, const char *key, unsigned min, unsigned max,
             unsigned *dst);
/* An array of strings (at most max) into a NULL-terminated vector. */
int cfg_strv(const struct cfg_reader *rd, const char *key, size_t max, char ***dst,
             size_t *dst_n);
/* One of names (NULL-terminated): its index. */
int cfg_enum(const struct cfg_reader *rd, const char *key, const char *const *names, int *dst);

#endif
