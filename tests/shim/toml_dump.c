/* toml-dump: prints TOML documents as toml-test's tagged JSON (every
 * scalar as {"type": T, "value": V}, tables as objects, arrays as arrays),
 * for test_toml_diff.py, which compares it with Python's tomllib.
 *
 *   toml-dump FILE        one document; exit 0 and the JSON, or exit 1 and
 *                         the error on stderr
 *   toml-dump --batch     documents on stdin, each as a 4-byte big-endian
 *                         length and the bytes; one line per document on
 *                         stdout: {"ok": JSON} or {"error": "message"}
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "toml.h"

static json_t *tagged(const char *type, const char *value)
{
	return json_pack("{s:s, s:s}", "type", type, "value", value);
}

static json_t *dt_json(const toml_datetime *d)
{
	char b[96], frac[16] = "";
	if (d->nanosecond)
		snprintf(frac, sizeof(frac), ".%09d", d->nanosecond);
	switch (d->kind) {
	case TOML_LOCAL_DATE:
		snprintf(b, sizeof(b), "%04d-%02d-%02d", d->year, d->month, d->day);
		return tagged("date-local", b);
	case TOML_LOCAL_TIME:
		snprintf(b, sizeof(b), "%02d:%02d:%02d%s", d->hour, d->minute, d->second, frac);
		return tagged("time-local", b);
	case TOML_LOCAL_DATETIME:
		snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d%s", d->year, d->month, d->day,
		         d->hour, d->minute, d->second, frac);
		return tagged("datetime-local", b);
	case TOML_OFFSET_DATETIME: {
		int o = d->offset_minutes < 0 ? -d->offset_minutes : d->offset_minutes;
		snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02d:%02d", d->year,
		         d->month, d->day, d->hour, d->minute, d->second, frac,
		         d->offset_minutes < 0 ? '-' : '+', o / 60, o % 60);
		return tagged("datetime", b);
	}
	}
	return NULL;
}

static json_t *to_json(const toml_value *v)
{
	char b[64];
	switch (toml_type(v)) {
	case TOML_STRING: {
		size_t n;
		const char *s = toml_string(v, &n);
		json_t *str = json_stringn(s, n);
		return json_pack("{s:s, s:o}", "type", "string", "value", str);
	}
	case TOML_INTEGER:
		snprintf(b, sizeof(b), "%" PRId64, toml_integer(v));
		return tagged("integer", b);
	case TOML_FLOAT: {
		double f = toml_float(v);
		if (isnan(f))
			snprintf(b, sizeof(b), "nan");
		else if (isinf(f))
			snprintf(b, sizeof(b), "%sinf", f < 0 ? "-" : "");
		else
			snprintf(b, sizeof(b), "%.17g", f);
		return tagged("float", b);
	}
	case TOML_BOOLEAN:
		return tagged("bool", toml_boolean(v) ? "true" : "false");
	case TOML_DATETIME:
		return dt_json(toml_dt(v));
	case TOML_ARRAY: {
		json_t *a = json_array();
		for (size_t i = 0; i < toml_array_len(v); i++)
			json_array_append_new(a, to_json(toml_array_at(v, i)));
		return a;
	}
	case TOML_TABLE: {
		json_t *o = json_object();
		for (size_t i = 0; i < toml_table_len(v); i++) {
			const char *k;
			size_t kl;
			const toml_value *x = toml_table_at(v, i, &k, &kl);
			json_object_setn_new(o, k, kl, to_json(x));
		}
		return o;
	}
	}
	return json_null();
}

static json_t *one(const char *src, size_t n, const char *name)
{
	toml_doc *d = NULL;
	cc_error *err = NULL;
	json_t *out;
	if (toml_parse(src, n, name, &d, &err) < 0) {
		char *m = cc_error_format(err);
		out = json_pack("{s:s, s:i}", "error", m ? m : "?", "code", cc_error_code(err));
		free(m);
	} else {
		out = json_pack("{s:o}", "ok", to_json(toml_doc_root(d)));
	}
	cc_error_free(err);
	toml_doc_free(d);
	return out;
}

static char *read_all(FILE *f, size_t *ret_len)
{
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	size_t k;
	while (b != NULL && (k = fread(b + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *nb = realloc(b, cap *= 2);
			if (nb == NULL)
				free(b);
			b = nb;
		}
	}
	*ret_len = n;
	return b;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--batch") == 0) {
		size_t n;
		char *all = read_all(stdin, &n);
		if (all == NULL)
			return 2;
		for (size_t i = 0; i + 4 <= n;) {
			const unsigned char *h = (const unsigned char *)all + i;
			size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
			i += 4;
			if (len > n - i)
				break;
			json_t *o = one(all + i, len, "doc");
			char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
			puts(s ? s : "{\"error\":\"dump\"}");
			free(s);
			json_decref(o);
			i += len;
		}
		free(all);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: toml-dump FILE | --batch\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL) {
		fprintf(stderr, "toml-dump: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	size_t n;
	char *src = read_all(f, &n);
	fclose(f);
	json_t *o = one(src, n, argv[1]);
	free(src);
	json_t *ok = json_object_get(o, "ok");
	int rc = 0;
	if (ok) {
		json_dumpf(ok, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		fprintf(stderr, "%s\n", json_string_value(json_object_get(o, "error")));
		rc = 1;
	}
	json_decref(o);
	return rc;
}
