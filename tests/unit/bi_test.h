/* Shared helpers for the builtin unit tests (test_bi_*.c): values from a
 * small literal syntax, calls by name into group tables, results as Rego
 * text. Included by one test file per binary, so everything is static.
 *
 * Literal syntax: JSON (numbers keep their spelling) plus s{a, b} for sets;
 * object keys may be any value. Strings take the escapes \" \\ \n \t and
 * \xNN (any byte). */
#ifndef COCOON_TEST_BI_TEST_H
#define COCOON_TEST_BI_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cocoon/error.h"
#include "rego/rctx.h"

static rarena *t_arena;
static rctx t_cx;
static const char *t_p; /* literal parser cursor */

static int t_setup(void **state)
{
	(void)state;
	t_arena = rarena_new(0);
	if (t_arena == NULL)
		return -1;
	rctx_init(&t_cx, t_arena, NULL);
	return 0;
}

static int t_teardown(void **state)
{
	(void)state;
	rctx_fini(&t_cx);
	rarena_free(t_arena);
	return 0;
}

static void t_ws(void)
{
	while (*t_p == ' ' || *t_p == '\n' || *t_p == '\t')
		t_p++;
}

static const rv *t_value(void);

/* Elements up to `close`, separated by commas. */
static rvec t_list(char close)
{
	rvec v;
	rvec_init(&v, t_arena);
	t_ws();
	while (*t_p != close) {
		const rv *x = t_value();
		assert_non_null(x);
		assert_int_equal(rvec_push(&v, x), 0);
		t_ws();
		if (*t_p == ',')
			t_p++;
		t_ws();
	}
	t_p++;
	return v;
}

static const rv *t_string(void)
{
	char buf[1024];
	size_t n = 0;
	t_p++;
	while (*t_p != '"') {
		assert_true(*t_p != '\0' && n < sizeof(buf));
		char c = *t_p++;
		if (c == '\\') {
			c = *t_p++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'x') {
				char hex[3] = {t_p[0], t_p[1], 0};
				c = (char)strtol(hex, NULL, 16);
				t_p += 2;
			}
		}
		buf[n++] = c;
	}
	t_p++;
	return rv_str(t_arena, buf, n);
}

static const rv *t_object(void)
{
	rvec k, v;
	rvec_init(&k, t_arena);
	rvec_init(&v, t_arena);
	t_ws();
	while (*t_p != '}') {
		assert_int_equal(rvec_push(&k, t_value()), 0);
		t_ws();
		assert_int_equal(*t_p++, ':');
		assert_int_equal(rvec_push(&v, t_value()), 0);
		t_ws();
		if (*t_p == ',')
			t_p++;
		t_ws();
	}
	t_p++;
	return rv_obj(t_arena, k.v, v.v, k.n, NULL);
}

static const rv *t_value(void)
{
	t_ws();
	if (strncmp(t_p, "null", 4) == 0)
		return t_p += 4, rv_null();
	if (strncmp(t_p, "true", 4) == 0)
		return t_p += 4, rv_true();
	if (strncmp(t_p, "false", 5) == 0)
		return t_p += 5, rv_false();
	if (*t_p == '"')
		return t_string();
	if (*t_p == '[') {
		t_p++;
		rvec v = t_list(']');
		return rvec_to_arr(&v);
	}
	if (t_p[0] == 's' && t_p[1] == '{') {
		t_p += 2;
		rvec v = t_list('}');
		return rvec_to_set(&v);
	}
	if (*t_p == '{') {
		t_p++;
		return t_object();
	}
	size_t n = strspn(t_p, "-+0123456789.eE");
	assert_true(n > 0);
	const rv *x = rv_num_parse(t_arena, t_p, n);
	t_p += n;
	return x;
}

/* Parses one literal. */
static const rv *t_lit(const char *text)
{
	t_p = text;
	const rv *x = t_value();
	assert_non_null(x);
	return x;
}

/* Rego text of x (in the arena). */
static const char *t_text(const rv *x)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	assert_int_equal(rv_to_rego(x, &b), 0);
	char *s = rarena_strndup(t_arena, b.p ? b.p : "", b.len);
	cc_buf_free(&b);
	return s;
}

static const struct rbi *t_find(const struct rbi *tab, const char *name)
{
	for (; tab->name; tab++)
		if (strcmp(tab->name, name) == 0)
			return tab;
	fail_msg("no builtin %s", name);
	return NULL;
}

/* Calls builtin `name` of table `tab` with the elements of the array
 * literal `args`. Returns the result's Rego text, "undefined", or
 * "ERR <kind>: <message>". */
static const char *t_call(const struct rbi *tab, const char *name, const char *args)
{
	const struct rbi *b = t_find(tab, name);
	const rv *a = t_lit(args);
	assert_int_equal(a->t, RV_ARR);
	assert_int_equal(a->u.a.n, b->arity);
	cc_error_free(t_cx.err);
	t_cx.err = NULL;
	t_cx.fname = name;
	const rv *ret = NULL;
	int r = b->fn(&t_cx, a->u.a.v, &ret);
	if (r < 0) {
		assert_non_null(t_cx.err);
		char buf[2048];
		snprintf(buf, sizeof(buf), "ERR %s: %s", cc_error_kind(t_cx.err),
		         cc_error_message(t_cx.err));
		return rarena_strndup(t_arena, buf, strlen(buf));
	}
	assert_int_equal(r, 0);
	return ret ? t_text(ret) : "undefined";
}

#define T_EQ(tab, name, args, want) assert_string_equal(t_call(tab, name, args), want)

#endif
