/* Logging for programs (include/cocoon/log.h, docs/logging.md). */
#include "cocoon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cc_log {
	char *prog;
	enum cc_log_level max;
};

cc_log *cc_log_new(const char *prog, enum cc_log_level max_level)
{
	cc_log *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->prog = strdup(prog ? prog : "cocoon");
	if (l->prog == NULL) {
		free(l);
		return NULL;
	}
	l->max = max_level;
	return l;
}

void cc_log_free(cc_log *l)
{
	if (l == NULL)
		return;
	free(l->prog);
	free(l);
}

void cc_log_msg(cc_log *l, enum cc_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if (l != NULL && lvl > l->max)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* one line whole, even with other threads logging (lib/httpd's
	 * workers): stdio's lock held across the three calls */
	flockfile(stderr);
	fprintf(stderr, "%s: %s: ", l ? l->prog : "cocoon", names[lvl]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}
