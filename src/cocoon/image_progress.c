/* Progress output of `cocoon image` (image_cli.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "image_cli.h"

struct image_progress {
	bool quiet, tty;
	bool status_shown;
};

struct image_progress *image_progress_new(bool quiet)
{
	struct image_progress *p = calloc(1, sizeof(*p));
	if (p) {
		p->quiet = quiet;
		p->tty = isatty(STDOUT_FILENO);
	}
	return p;
}

void image_progress_free(struct image_progress *p)
{
	if (p && p->status_shown && p->tty)
		fputs("\n", stdout);
	free(p);
}

void image_progress_line(struct image_progress *p, const char *fmt, ...)
{
	if (p == NULL || p->quiet)
		return;
	if (p->tty && p->status_shown) {
		fputs("\r\033[K", stdout); /* the status line gives way */
		p->status_shown = false;
	}
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void image_progress_status(struct image_progress *p, const char *fmt, ...)
{
	if (p == NULL || p->quiet || !p->tty)
		return;
	fputs("\r\033[K", stdout);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	p->status_shown = true;
}

const char *image_size(uint64_t n, char buf[24])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	if (n < 1024) {
		snprintf(buf, 24, "%u B", (unsigned)n);
		return buf;
	}
	double v = (double)n / 1024.0;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, 24, "%.1f %s", v, units[u]);
	return buf;
}
