/* Typed reads of one TOML table (config_read.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "config_read.h"
#include "kbs_util.h"

static int vbad(const struct cfg_reader *rd, const toml_value *v, const char *key,
                const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static int vbad(const struct cfg_reader *rd, const toml_value *v, const char *key,
                const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	unsigned line = v != NULL ? toml_line(v) : rd->table != NULL ? toml_line(rd->table) : 0;
	if (key != NULL)
		return cc_error_set_at(rd->err, -EINVAL, "config_error", rd->file, (int)line, 0,
		                       "%s%s%s: %s", rd->section, *rd->section ? "." : "", key, msg);
	if (*rd->section == '\0')
		return cc_error_set_at(rd->err, -EINVAL, "config_error", rd->file, (int)line, 0,
		                       "%s", msg);
	return cc_error_set_at(rd->err, -EINVAL, "config_error", rd->file, (int)line, 0,
	                       "[%s]: %s", rd->section, msg);
}

int cfg_bad(const struct cfg_reader *rd, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vbad(rd, key != NULL ? toml_table_get(rd->table, key) : NULL, key, fmt, ap);
	va_end(ap);
	return r;
}

static int bad_at(const struct cfg_reader *rd, const toml_value *v, const char *key,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int bad_at(const struct cfg_reader *rd, const toml_value *v, const char *key,
                  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vbad(rd, v, key, fmt, ap);
	va_end(ap);
	return r;
}

int cfg_only(const struct cfg_reader *rd, const char *const *allowed, const char *hint)
{
	size_t n = toml_table_len(rd->table);
	for (size_t i = 0; i < n; i++) {
		const char *key;
		size_t klen;
		const toml_value *v = toml_table_at(rd->table, i, &key, &klen);
		bool ok = strlen(key) == klen;
		bool known = false;
		for (size_t j = 0; ok && allowed[j] != NULL; j++)
			known = known || strcmp(allowed[j], key) == 0;
		if (!known) {
			cc_buf names;
			cc_buf_init(&names, 1024);
			for (size_t j = 0; allowed[j] != NULL; j++)
				cc_buf_printf(&names, "%s%s", j ? ", " : "", allowed[j]);
			int r = bad_at(rd, v, NULL, "unknown key \"%.64s\" (known: %s)%s%s", key,
			               names.p != NULL ? names.p : "none", hint ? "; " : "",
			               hint ? hint : "");
			cc_buf_free(&names);
			return r;
		}
	}
	return 0;
}

int cfg_sub(const struct cfg_reader *rd, const char *key, char *section_buf, size_t n,
            struct cfg_reader *ret)
{
	*ret = *rd;
	snprintf(section_buf, n, "%s%s%s", rd->section, *rd->section ? "." : "", key);
	ret->section = section_buf;
	ret->table = NULL;
	const toml_value *v = toml_table_get(rd->table, key);
	if (v == NULL)
		return 0;
	if (toml_type(v) != TOML_TABLE)
		return bad_at(rd, v, key, "expected a table, not %s", toml_type_name(toml_type(v)));
	ret->table = v;
	return 1;
}

/* The value of key with type t: 1; 0 if absent; < 0 wrong type. */
static int get(const struct cfg_reader *rd, const char *key, enum toml_type t,
               const toml_value **ret)
{
	const toml_value *v = toml_table_get(rd->table, key);
	if (v == NULL)
		return 0;
	if (toml_type(v) != t)
		return bad_at(rd, v, key, "expected %s, not %s", toml_type_name(t),
		              toml_type_name(toml_type(v)));
	*ret = v;
	return 1;
}

/* A string without NUL bytes. */
static int plain_string(const struct cfg_reader *rd, const toml_value *v, const char *key,
                        const char **ret)
{
	size_t n;
	const char *s = toml_string(v, &n);
	if (strlen(s) != n)
		return bad_at(rd, v, key, "contains a NUL character");
	*ret = s;
	return 0;
}

/* A string key without NUL bytes: 1 and *ret; 0 absent; < 0 error. */
static int get_plain(const struct cfg_reader *rd, const char *key, const toml_value **v,
                     const char **ret)
{
	int r = get(rd, key, TOML_STRING, v);
	if (r <= 0)
		return r;
	return plain_string(rd, *v, key, ret) < 0 ? -EINVAL : 1;
}

int cfg_str(const struct cfg_reader *rd, const char *key, char **dst)
{
	const toml_value *v;
	const char *s;
	int r = get_plain(rd, key, &v, &s);
	if (r <= 0)
		return r;
	char *d = strdup(s);
	if (d == NULL)
		return cc_error_set(rd->err, -ENOMEM, "out of memory");
	free(*dst);
	*dst = d;
	return 0;
}

int cfg_bool(const struct cfg_reader *rd, const char *key, bool *dst)
{
	const toml_value *v;
	int r = get(rd, key, TOML_BOOLEAN, &v);
	if (r > 0)
		*dst = toml_boolean(v);
	return r < 0 ? r : 0;
}

int cfg_uint(const struct cfg_reader *rd, const char *key, unsigned min, unsigned max,
             unsigned *dst)
{
	const toml_value *v;
	int r = get(rd, key, TOML_INTEGER, &v);
	if (r <= 0)
		return r;
	int64_t i = toml_integer(v);
	if (i < (int64_t)min || i > (int64_t)max)
		return bad_at(rd, v, key, "%lld is out of range %u..%u", (long long)i, min, max);
	*dst = (unsigned)i;
	return 0;
}

int cfg_strv(const struct cfg_reader *rd, const char *key, size_t max, char ***dst,
             size_t *dst_n)
{
	const toml_value *v;
	int r = get(rd, key, TOML_ARRAY, &v);
	if (r <= 0)
		return r;
	size_t n = toml_array_len(v);
	if (n > max)
		return bad_at(rd, v, key, "more than %zu entries", max);
	char **out = calloc(n + 1, sizeof(*out));
	if (out == NULL)
		return cc_error_set(rd->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const toml_value *e = toml_array_at(v, i);
		const char *s;
		if (toml_type(e) != TOML_STRING) {
			r = bad_at(rd, e, key, "entry %zu: expected string, not %s", i,
			           toml_type_name(toml_type(e)));
		} else if ((r = plain_string(rd, e, key, &s)) == 0 && (out[i] = strdup(s)) == NULL) {
			r = cc_error_set(rd->err, -ENOMEM, "out of memory");
		}
		if (r < 0) {
			kbs_strv_free(out);
			return r;
		}
	}
	kbs_strv_free(*dst);
	*dst = out;
	*dst_n = n;
	return 0;
}

int cfg_enum(const struct cfg_reader *rd, const char *key, const char *const *names, int *dst)
{
	const toml_value *v;
	const char *s;
	int r = get_plain(rd, key, &v, &s);
	if (r <= 0)
		return r;
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0) {
			*dst = i;
			return 0;
		}
	char list[256] = "";
	for (int i = 0; names[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"", i ? ", " : "",
		         names[i]);
	return bad_at(rd, v, key, "unknown value \"%.64s\" (one of %s)", s, list);
}
