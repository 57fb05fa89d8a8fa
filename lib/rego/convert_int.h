/* Shared by the JSON and YAML conversions (internal to convert_*.c):
 * convert_gojson.c (Go float spellings, encoding/json output),
 * convert_json.c (JSON in through jansson, values to jansson),
 * convert_yaml_scalar.c (go-yaml v2 scalar resolution), convert_yaml.c
 * (YAML in), convert_yaml_out.c (YAML out). The API is convert.h. */
#ifndef COCOON_REGO_CONVERT_INT_H
#define COCOON_REGO_CONVERT_INT_H

#include "cocoon/limits.h"
#include "convert.h"

/* Nesting bound of the recursive encoders (values built by evaluation can
 * nest deeper than any parsed document). */
#define ENCODE_MAX_DEPTH CC_REGO_MAX_ENCODE_DEPTH /* limits.h */

/* ---- convert_gojson.c -------------------------------------------------- */

/* strconv.FormatFloat(v, 'g', -1, 64 or 32). */
int cv_go_fmt_g(double v, bool f32, cc_buf *out);
/* encoding/json's float64 encoding ('f' within [1e-6, 1e21), else 'e'
 * with a one-digit negative exponent shortened: 1e-07 -> 1e-7). */
int cv_go_json_float(double v, cc_buf *out);

/* Texts of an object's keys as ast.JSON makes them (strings as they are,
 * other keys as their compact JSON), packed in one buffer. */
struct keytexts {
	cc_buf buf;
	size_t *off;
	size_t *len;
};

/* One object key for sorting: its text and its index in the object. */
struct gjkey {
	const char *k;
	size_t kn;
	size_t idx;
};

/* Fills kt for object x; sanitize replaces invalid UTF-8 in string keys
 * by U+FFFD. 0 or a negative errno; the caller frees kt with
 * cv_keytexts_free() in both cases. */
int cv_keytexts_build(const rv *x, bool sanitize, struct keytexts *kt);
void cv_keytexts_free(struct keytexts *kt);
/* Sorts keys bytewise (then by position) and keeps only the last of equal
 * texts (a Go map keeps the last value written): *out (malloc) has *m. */
int cv_keys_sorted_unique(const struct keytexts *kt, size_t n, struct gjkey **out, size_t *m);

/* ---- convert_json.c ---------------------------------------------------- */

/* Number from its spelling; -ENOMEM or -ERANGE (beyond long double) with
 * an error. */
int cv_num_from_text(rarena *a, const char *t, size_t n, const rv **ret, cc_error **err);

/* ---- convert_yaml_scalar.c --------------------------------------------- */

#define YTAG "tag:yaml.org,2002:"
#define YTAG_STR YTAG "str"
#define YTAG_BOOL YTAG "bool"
#define YTAG_INT YTAG "int"
#define YTAG_FLOAT YTAG "float"
#define YTAG_NULL YTAG "null"
#define YTAG_TIMESTAMP YTAG "timestamp"
#define YTAG_BINARY YTAG "binary"

enum ykind { Y_STR, Y_NULL, Y_BOOL, Y_INT, Y_UINT, Y_FLOAT, Y_TIMESTAMP, Y_SEQ, Y_MAP };

/* A resolved scalar (or the kind of a collection). */
struct yscal {
	enum ykind k;
	const char *s; /* text (Y_STR, Y_TIMESTAMP; also the source text) */
	size_t n;
	bool b;
	int64_t i;
	uint64_t u;
	double f;
};

static inline bool cv_is_digit(char c) { return c >= '0' && c <= '9'; }
/* s[0..n) equals the NUL-terminated lit. */
bool cv_eq_lit(const char *s, size_t n, const char *lit);
/* go-yaml v2 resolve() for an untagged plain scalar. */
void cv_resolve_plain(const char *s, size_t n, struct yscal *o);
/* The "!!name" form of a tag under YTAG (written to buf); other tags as
 * they are. */
const char *cv_short_tag(const char *tag, char *buf, size_t n);
/* The tag of a resolved kind (YTAG_INT for Y_INT and Y_UINT, ...). */
const char *cv_kind_tag(enum ykind k);
/* Base64 (StdEncoding, padded; CR/LF ignored as Go's DecodeString);
 * -EINVAL on bad input. */
int cv_base64_decode(const char *s, size_t n, cc_buf *out);

#endif
