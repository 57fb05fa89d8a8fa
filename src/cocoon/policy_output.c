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

static int print_table(const rego_result *r, const char *query);

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
	return print_table(r, query);
}

/* ---- the table opa eval -f pretty prints for several rows or bindings ---- */

#define PRETTY_LIMIT 80 /* opa's --pretty-limit default */

struct table {
	size_t ncols, nrows;
	char **cells; /* (nrows + 1) * ncols, row 0 is the header */
	size_t *width;
};

static char *cell_text(const rv *v)
{
	cc_buf b;
	cc_buf_init(&b, 0);
	if (rv_to_json(v, &b, false) < 0) {
		cc_buf_free(&b);
		return strdup("?");
	}
	if (b.len > PRETTY_LIMIT) {
		b.len = PRETTY_LIMIT;
		cc_buf_adds(&b, "...");
	}
	return cc_buf_steal(&b, NULL);
}

static void rule_line(const struct table *t)
{
	for (size_t c = 0; c < t->ncols; c++) {
		putchar('+');
		for (size_t i = 0; i < t->width[c] + 2; i++)
			putchar('-');
	}
	puts("+");
}

static void row_line(const struct table *t, size_t row)
{
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s = t->cells[row * t->ncols + c];
		printf("| %-*s ", (int)t->width[c], s ? s : "");
	}
	puts("|");
}

/* Columns: the query's variables (sorted), then, when there are none, the
 * expressions' texts. */
static int print_table(const rego_result *r, const char *query)
{
	size_t rows = rego_result_rows(r), nl;
	const ast_loc *locs = rego_result_expr_locs(r, &nl);
	const rv *bind0 = rego_result_bindings(r, 0);
	size_t nvars = bind0 ? bind0->u.o.n : 0;
	size_t nexpr = nvars ? 0 : rego_result_exprs(r);
	struct table t = {.ncols = nvars + nexpr, .nrows = rows};
	t.cells = calloc((rows + 1) * t.ncols + 1, sizeof(*t.cells));
	t.width = calloc(t.ncols + 1, sizeof(*t.width));
	if (t.cells == NULL || t.width == NULL) {
		free(t.cells);
		free(t.width);
		return -1;
	}
	for (size_t c = 0; c < nvars; c++)
		t.cells[c] = strndup(bind0->u.o.k[c]->u.s.p, bind0->u.o.k[c]->u.s.n);
	for (size_t c = 0; c < nexpr; c++)
		t.cells[nvars + c] = expr_text(query, locs, nl, c);
	for (size_t row = 0; row < rows; row++) {
		const rv *bind = rego_result_bindings(r, row);
		for (size_t c = 0; c < nvars; c++) {
			const rv *v = bind ? rv_obj_get(bind, bind0->u.o.k[c]) : NULL;
			t.cells[(row + 1) * t.ncols + c] = v ? cell_text(v) : strdup("");
		}
		for (size_t c = 0; c < nexpr; c++)
			t.cells[(row + 1) * t.ncols + nvars + c] = cell_text(rego_result_value(r, row, c));
	}
	for (size_t i = 0; i < (rows + 1) * t.ncols; i++) {
		size_t w = t.cells[i] ? strlen(t.cells[i]) : 0;
		if (w > t.width[i % t.ncols])
			t.width[i % t.ncols] = w;
	}
	rule_line(&t);
	row_line(&t, 0);
	rule_line(&t);
	for (size_t row = 1; row <= rows; row++)
		row_line(&t, row);
	rule_line(&t);
	for (size_t i = 0; i < (rows + 1) * t.ncols; i++)
		free(t.cells[i]);
	free(t.cells);
	free(t.width);
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
