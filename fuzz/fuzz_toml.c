/* libFuzzer target: the TOML parser (lib/toml, configuration.toml of the
 * shim, docs/shim.md). Every input must parse or fail cleanly (no crash,
 * leak or hang; the error names a line). An accepted document is walked
 * through the accessors, written back as TOML (every table inline, every
 * string escaped) and parsed again: the second tree must equal the first.
 * Seed corpus: fuzz/corpus/toml/. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "cocoon/limits.h"
#include "fuzz.h"
#include "toml.h"

static void write_string(cc_buf *b, const char *s, size_t n)
{
	cc_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			cc_buf_printf(b, "\\u%04x", c);
		else
			cc_buf_addc(b, (char)c);
	}
	cc_buf_addc(b, '"');
}

static void write_dt(cc_buf *b, const toml_datetime *d)
{
	if (d->kind != TOML_LOCAL_TIME)
		cc_buf_printf(b, "%04d-%02d-%02d", d->year, d->month, d->day);
	if (d->kind == TOML_LOCAL_DATE)
		return;
	if (d->kind != TOML_LOCAL_TIME)
		cc_buf_addc(b, 'T');
	cc_buf_printf(b, "%02d:%02d:%02d.%09d", d->hour, d->minute, d->second, d->nanosecond);
	if (d->kind == TOML_OFFSET_DATETIME) {
		int o = d->offset_minutes < 0 ? -d->offset_minutes : d->offset_minutes;
		cc_buf_printf(b, "%c%02d:%02d", d->offset_minutes < 0 ? '-' : '+', o / 60, o % 60);
	}
}

static void write_value(cc_buf *b, const toml_value *v)
{
	size_t n;
	switch (toml_type(v)) {
	case TOML_STRING: {
		const char *s = toml_string(v, &n);
		write_string(b, s, n);
		break;
	}
	case TOML_INTEGER:
		cc_buf_printf(b, "%" PRId64, toml_integer(v));
		break;
	case TOML_FLOAT: {
		double f = toml_float(v);
		if (isnan(f))
			cc_buf_adds(b, "nan");
		else if (isinf(f))
			cc_buf_adds(b, f < 0 ? "-inf" : "inf");
		else
			cc_buf_printf(b, "%.17e", f);
		break;
	}
	case TOML_BOOLEAN:
		cc_buf_adds(b, toml_boolean(v) ? "true" : "false");
		break;
	case TOML_DATETIME:
		write_dt(b, toml_dt(v));
		break;
	case TOML_ARRAY:
		cc_buf_addc(b, '[');
		for (size_t i = 0; i < toml_array_len(v); i++) {
			if (i)
				cc_buf_addc(b, ',');
			write_value(b, toml_array_at(v, i));
		}
		cc_buf_addc(b, ']');
		break;
	case TOML_TABLE:
		cc_buf_addc(b, '{');
		for (size_t i = 0; i < toml_table_len(v); i++) {
			const char *k;
			const toml_value *x = toml_table_at(v, i, &k, &n);
			if (i)
				cc_buf_addc(b, ',');
			write_string(b, k, n);
			cc_buf_addc(b, '=');
			write_value(b, x);
		}
		cc_buf_addc(b, '}');
		break;
	}
}

static int equal(const toml_value *a, const toml_value *b)
{
	if (toml_type(a) != toml_type(b))
		return 0;
	size_t na, nb;
	switch (toml_type(a)) {
	case TOML_STRING: {
		const char *sa = toml_string(a, &na), *sb = toml_string(b, &nb);
		return na == nb && memcmp(sa, sb, na) == 0;
	}
	case TOML_INTEGER:
		return toml_integer(a) == toml_integer(b);
	case TOML_FLOAT: {
		double x = toml_float(a), y = toml_float(b);
		return (isnan(x) && isnan(y)) || (x == y && signbit(x) == signbit(y));
	}
	case TOML_BOOLEAN:
		return toml_boolean(a) == toml_boolean(b);
	case TOML_DATETIME:
		return memcmp(toml_dt(a), toml_dt(b), sizeof(toml_datetime)) == 0;
	case TOML_ARRAY:
		if (toml_array_len(a) != toml_array_len(b))
			return 0;
		for (size_t i = 0; i < toml_array_len(a); i++)
			if (!equal(toml_array_at(a, i), toml_array_at(b, i)))
				return 0;
		return 1;
	case TOML_TABLE:
		if (toml_table_len(a) != toml_table_len(b))
			return 0;
		for (size_t i = 0; i < toml_table_len(a); i++) {
			const char *ka, *kb;
			const toml_value *x = toml_table_at(a, i, &ka, &na);
			const toml_value *y = toml_table_at(b, i, &kb, &nb);
			if (na != nb || memcmp(ka, kb, na) != 0 || !equal(x, y))
				return 0;
			/* the index finds what the order says (NUL-free keys) */
			if (strlen(ka) == na && toml_table_get(a, ka) != x)
				return 0;
		}
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	toml_doc *d = NULL;
	cc_error *err = NULL;
	if (toml_parse((const char *)data, size, "fuzz", &d, &err) < 0) {
		if (cc_error_line(err) < 0 || cc_error_message(err)[0] == '\0')
			abort();
		cc_error_free(err);
		return 0;
	}
	const toml_value *root = toml_doc_root(d);
	cc_buf b;
	cc_buf_init(&b, 64u * CC_TOML_MAX_BYTES);
	for (size_t i = 0; i < toml_table_len(root); i++) {
		const char *k;
		size_t n;
		const toml_value *v = toml_table_at(root, i, &k, &n);
		write_string(&b, k, n);
		cc_buf_adds(&b, " = ");
		write_value(&b, v);
		cc_buf_addc(&b, '\n');
	}
	toml_doc *d2 = NULL;
	/* the rewrite can be longer than the cap (escapes): only compare when
	 * it fits */
	if (b.len <= CC_TOML_MAX_BYTES) {
		if (toml_parse(b.p ? b.p : "", b.len, "rewrite", &d2, &err) < 0)
			abort();
		if (!equal(root, toml_doc_root(d2)))
			abort();
	}
	cc_error_free(err);
	toml_doc_free(d2);
	cc_buf_free(&b);
	toml_doc_free(d);
	return 0;
}
