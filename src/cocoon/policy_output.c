/* Output of `cocoon policy eval` in opa eval's formats: json (the result
 * set), raw (values only) and pretty. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "policy.h"
#include "rego/engine_int.h"

/* Byte offset of line/col in s (1-based). */
static size_t offset_of(const char *s, ast_loc loc)
{
	size_t off = 0;
	for (uint32_t line = 1; line < loc.line && s[off]; off++)
		if (s[off] == '\n')
			line++;
	size_t col = loc.col ? loc.col - 1 : 0;
	size_t len = strlen(s + off);
	return off + (col < len ? col : len);
}

/* The source text of query expression i: from its start to the next
 * expression's start, without trailing separators. */
static char *expr_text(const char *q, const ast_loc *locs, size_t n, size_t i)
{
	size_t start = offset_of(q, locs[i]);
	size_t end = i + 1 < n ? offset_of(q, locs[i + 1]) : strlen(q);
	while (end > start && strchr(" \t\r\n;", q[end - 1]))
		end--;
	return strndup(q + start, end - start);
}

/* Appends JSON text with each newline followed by `indent` spaces. */
static int add_indented(cc_buf *b, const rv *v, int indent)
{
	cc_buf t;
	cc_buf_init(&t, 0);
	int r = rv_to_json(v, &t, true);
	for (size_t i = 0; r == 0 && i < t.len; i++) {
		r = cc_buf_addc(b, t.p[i]);
		for (int k = 0; r == 0 && t.p[i] == '\n' && k < indent; k++)
			r = cc_buf_addc(b, ' ');
	}
	cc_buf_free(&t);
	return r;
}

static int json_string(cc_buf *b, const char *s)
{
	rv tmp = {.t = RV_STR, .u.s = {s, strlen(s)}};
	return rv_to_json(&tmp, b, false);
}

static int print_json(const rego_result *r, const char *query)
{
	if (rego_result_rows(r) == 0) {
		puts("{}");
		return 0;
	}
	size_t nl;
	const ast_loc *locs = rego_result_expr_locs(r, &nl);
	cc_buf b;
	cc_buf_init(&b, 0);
	int e = cc_buf_adds(&b, "{\n  \"result\": [\n");
	for (size_t row = 0; e == 0 && row < rego_result_rows(r); row++) {
		e = cc_buf_adds(&b, "    {\n      \"expressions\": [\n");
		for (size_t x = 0; e == 0 && x < rego_result_exprs(r); x++) {
			char *text = expr_text(query, locs, nl, x);
			e = cc_buf_adds(&b, "        {\n          \"value\": ");
			if (e == 0)
				e = add_indented(&b, rego_result_value(r, row, x), 10);
			if (e == 0)
				e = cc_buf_adds(&b, ",\n          \"text\": ");
			if (e == 0)
				e = json_string(&b, text ? text : "");
			if (e == 0)
				e = cc_buf_printf(&b, ",\n          \"location\": {\n            \"row\": %u,\n"
				                      "            \"col\": %u\n          }\n        }%s\n",
				                  locs[x].line, locs[x].col,
				                  x + 1 < rego_result_exprs(r) ? "," : "");
			free(text);
		}
		const rv *bind = rego_result_bindings(r, row);
		if (e == 0)
			e = cc_buf_adds(&b, "      ]");
		if (e == 0 && bind && bind->u.o.n) {
			e = cc_buf_adds(&b, ",\n      \"bindings\": ");
			if (e == 0)
				e = add_indented(&b, bind, 6);
		}
		if (e == 0)
			e = cc_buf_printf(&b, "\n    }%s\n", row + 1 < rego_result_rows(r) ? "," : "");
	}
	if (e == 0)
		e = cc_buf_adds(&b, "  ]\n}\n");
	if (e == 0)
		fwrite(b.p, 1, b.len, stdout);
	cc_buf_free(&b);
	return e;
}

static int print_raw(const rego_result *r)
{
	for (size_t row = 0; row < rego_result_rows(r); row++) {
		for (size_t x = 0; x < rego_result_exprs(r); x++) {
			const rv *v = rego_result_value(r, row, x);
			if (x)
				putchar(' ');
			if (v->t == RV_STR) {
				fwrite(v->u.s.p, 1, v->u.s.n, stdout);
			} else {
				cc_buf b;
				cc_buf_init(&b, 0);
				if (rv_to_json(v, &b, false) == 0)
					fwrite(b.p, 1, b.len, stdout);
				cc_buf_free(&b);
			}
		}
		putchar('\n');
	}
	return 0;
}

static int print_pretty(const rego_result *r, const char *query)
{
	size_t rows = rego_result_rows(r);
	if (rows == 0) {
		puts("undefined");
		return 0;
	}
	const rv *bind0 = rego_result_bindings(r, 0);
	if (rows == 1 && (bind0 == NULL || bind0->u.o.n == 0) && rego_result_exprs(r) == 1) {
		cc_buf b;
		cc_buf_init(&b, 0);
		int e = rv_to_json(rego_result_value(r, 0, 0), &b, true);
		if (e == 0)
			printf("%s\n", b.p);
		cc_buf_free(&b);
		return e;
	}
	/* One line per row: var bindings, then expression values. */
	size_t nl;
	const ast_loc *locs = rego_result_expr_locs(r, &nl);
	for (size_t row = 0; row < rows; row++) {
		const rv *bind = rego_result_bindings(r, row);
		for (size_t i = 0; bind && i < bind->u.o.n; i++) {
			cc_buf b;
			cc_buf_init(&b, 0);
			if (rv_to_json(bind->u.o.v[i], &b, false) == 0)
				printf("%s%.*s = %s", i ? ", " : "", (int)bind->u.o.k[i]->u.s.n,
				       bind->u.o.k[i]->u.s.p, b.p);
			cc_buf_free(&b);
		}
		if (bind == NULL || bind->u.o.n == 0) {
			for (size_t x = 0; x < rego_result_exprs(r); x++) {
				char *text = expr_text(query, locs, nl, x);
				cc_buf b;
				cc_buf_init(&b, 0);
				if (rv_to_json(rego_result_value(r, row, x), &b, false) == 0)
					printf("%s%s: %s", x ? ", " : "", text ? text : "", b.p);
				cc_buf_free(&b);
				free(text);
			}
		}
		putchar('\n');
	}
	return 0;
}

int policy_print_result(const rego_result *r, const char *query, enum out_format fmt)
{
	switch (fmt) {
	case OUT_RAW:
		return print_raw(r);
	case OUT_PRETTY:
		return print_pretty(r, query);
	default:
		return print_json(r, query);
	}
}

void policy_print_error(const cc_error *err, enum out_format fmt)
{
	if (fmt == OUT_JSON) {
		cc_buf b;
		cc_buf_init(&b, 0);
		cc_buf_adds(&b, "{\n  \"errors\": [\n    {\n      \"message\": ");
		json_string(&b, cc_error_message(err));
		if (cc_error_kind(err)) {
			cc_buf_adds(&b, ",\n      \"code\": ");
			json_string(&b, cc_error_kind(err));
		}
		if (cc_error_line(err) > 0) {
			cc_buf_adds(&b, ",\n      \"location\": {\n        \"file\": ");
			json_string(&b, cc_error_file(err) ? cc_error_file(err) : "");
			cc_buf_printf(&b, ",\n        \"row\": %d,\n        \"col\": %d\n      }",
			              cc_error_line(err), cc_error_col(err));
		}
		cc_buf_adds(&b, "\n    }\n  ]\n}\n");
		if (b.p)
			fwrite(b.p, 1, b.len, stdout);
		cc_buf_free(&b);
	}
	char *msg = cc_error_format(err);
	fprintf(stderr, "1 error occurred: %s\n", msg ? msg : cc_error_message(err));
	free(msg);
}
