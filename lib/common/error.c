/* cocoon error objects (docs/errors.md). */
#include "cocoon/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cc_error {
	int code;
	const char *kind;
	char *file;
	int line;
	int col;
	char *msg;
};

static const char oom_message[] = "out of memory";

__attribute__((format(printf, 7, 0)))
static int set_va(cc_error **err, int code, const char *kind, const char *file,
                  int line, int col, const char *fmt, va_list ap)
{
	if (code > 0)
		code = -code;
	if (code == 0)
		code = -EINVAL;
	if (err == NULL || *err != NULL)
		return code;
	cc_error *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return code;
	e->code = code;
	e->kind = kind;
	e->line = line;
	e->col = col;
	if (file != NULL)
		e->file = strdup(file);
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = NULL;
	*err = e;
	return code;
}

int cc_error_set(cc_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = set_va(err, code, NULL, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return r;
}

int cc_error_set_at(cc_error **err, int code, const char *kind,
                    const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = set_va(err, code, kind, file, line, col, fmt, ap);
	va_end(ap);
	return r;
}

int cc_error_wrap(cc_error **err, const char *fmt, ...)
{
	if (err == NULL || *err == NULL)
		return -EINVAL;
	cc_error *e = *err;
	char *ctx = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&ctx, fmt, ap);
	va_end(ap);
	if (n < 0)
		return e->code;
	char *joined = NULL;
	if (asprintf(&joined, "%s: %s", ctx, e->msg ? e->msg : oom_message) >= 0) {
		free(e->msg);
		e->msg = joined;
	}
	free(ctx);
	return e->code;
}

int cc_error_set_file(cc_error **err, const char *file)
{
	if (err == NULL || *err == NULL)
		return -EINVAL;
	cc_error *e = *err;
	if (e->file == NULL && file != NULL)
		e->file = strdup(file);
	return e->code;
}

const char *cc_error_message(const cc_error *e)
{
	if (e == NULL)
		return "no error";
	return e->msg ? e->msg : oom_message;
}

const char *cc_error_kind(const cc_error *e) { return e ? e->kind : NULL; }
const char *cc_error_file(const cc_error *e) { return e ? e->file : NULL; }
int cc_error_line(const cc_error *e) { return e ? e->line : 0; }
int cc_error_col(const cc_error *e) { return e ? e->col : 0; }
int cc_error_code(const cc_error *e) { return e ? e->code : 0; }

char *cc_error_format(const cc_error *e)
{
	char loc[512] = "";
	if (e && e->file && e->line > 0 && e->col > 0)
		snprintf(loc, sizeof(loc), "%s:%d:%d: ", e->file, e->line, e->col);
	else if (e && e->file && e->line > 0)
		snprintf(loc, sizeof(loc), "%s:%d: ", e->file, e->line);
	else if (e && e->file)
		snprintf(loc, sizeof(loc), "%s: ", e->file);
	else if (e && e->line > 0)
		snprintf(loc, sizeof(loc), "%d:%d: ", e->line, e->col);
	char *out = NULL;
	if (asprintf(&out, "%s%s%s%s", loc, (e && e->kind) ? e->kind : "",
	             (e && e->kind) ? ": " : "", cc_error_message(e)) < 0)
		return NULL;
	return out;
}

void cc_error_free(cc_error *e)
{
	if (e == NULL)
		return;
	free(e->file);
	free(e->msg);
	free(e);
}

void cc_error_move(cc_error **dst, cc_error **src)
{
	if (src == NULL || *src == NULL)
		return;
	if (dst != NULL && *dst == NULL)
		*dst = *src;
	else
		cc_error_free(*src);
	*src = NULL;
}
