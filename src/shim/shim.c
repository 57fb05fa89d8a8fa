/* The shim's log and its worker count (shim.h). The log goes to stderr,
 * which the server points at the bundle's "log" fifo: containerd copies
 * it to its own log (kata.md §2.2). Each line is one write(2). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

void shim_logf(struct shim *sh, enum cc_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if (lvl == CC_LOG_DEBUG && (sh == NULL || !sh->debug))
		return;
	char line[2048];
	struct timespec t = shim_now();
	struct tm tm;
	gmtime_r(&t.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
	                 "time=\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\" level=%s msg=\"",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, t.tv_nsec, names[lvl]);
	va_list ap;
	va_start(ap, fmt);
	char msg[1700];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* logrus' text format, as containerd's shims write it */
	for (const char *m = msg; *m && n < (int)sizeof(line) - 64; m++) {
		if (*m == '"' || *m == '\\')
			line[n++] = '\\';
		line[n++] = (*m == '\n' || *m == '\r') ? ' ' : *m;
	}
	n += snprintf(line + n, sizeof(line) - (size_t)n, "\" runtime=cocoon pod=%s\n",
	              sh && sh->id ? sh->id : "-");
	if (n > (int)sizeof(line))
		n = (int)sizeof(line);
	(void)!write(2, line, (size_t)n);
}

void shim_worker_enter(struct shim *sh)
{
	pthread_mutex_lock(&sh->mu);
	sh->workers++;
	pthread_mutex_unlock(&sh->mu);
}

void shim_worker_leave(struct shim *sh)
{
	pthread_mutex_lock(&sh->mu);
	sh->workers--;
	pthread_cond_broadcast(&sh->workers_cond);
	pthread_mutex_unlock(&sh->mu);
}

bool shim_workers_wait(struct shim *sh, int ms)
{
	struct timespec end = shim_deadline(ms);
	pthread_mutex_lock(&sh->mu);
	while (sh->workers > 0 && pthread_cond_timedwait(&sh->workers_cond, &sh->mu, &end) == 0)
		;
	bool done = sh->workers == 0;
	pthread_mutex_unlock(&sh->mu);
	return done;
}
