/* cocoon-agent's log (front_log.h). */
#include "front_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/buf.h"

struct agent_log {
	int fd;
	atomic_int max;
	pthread_mutex_t mu;
};

/* A line longer than this is cut (and says so). */
#define LOG_LINE_MAX (64u * 1024u)

agent_log *agent_log_new(int fd, enum agent_log_level max)
{
	agent_log *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->fd = fd;
	atomic_init(&l->max, (int)max);
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void agent_log_free(agent_log *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void agent_log_set_level(agent_log *l, enum agent_log_level max)
{
	if (l)
		atomic_store(&l->max, (int)max);
}

bool agent_log_enabled(const agent_log *l, enum agent_log_level lvl)
{
	return l == NULL || (int)lvl <= atomic_load(&((agent_log *)l)->max);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere to report a failing log */
		p += w;
		n -= (size_t)w;
	}
}

void agent_log_msg(agent_log *l, enum agent_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if (!agent_log_enabled(l, lvl))
		return;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	cc_buf b;
	cc_buf_init(&b, LOG_LINE_MAX + 64);
	int r = cc_buf_printf(&b, "cocoon-agent: %s: ", names[lvl]);
	size_t i = 0;
	for (; r == 0 && msg[i] != '\0' && i < LOG_LINE_MAX; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c < 0x20 || c == 0x7f)
			r = cc_buf_printf(&b, "\\x%02x", c);
		else
			r = cc_buf_addc(&b, (char)c);
	}
	if (r == 0 && msg[i] != '\0')
		r = cc_buf_adds(&b, " [cut]");
	cc_buf_addc(&b, '\n');
	free(msg);
	if (b.p != NULL) {
		int fd = l ? l->fd : STDERR_FILENO;
		if (l)
			pthread_mutex_lock(&l->mu);
		write_all(fd, b.p, b.len);
		if (l)
			pthread_mutex_unlock(&l->mu);
	}
	cc_buf_free(&b);
}

int agent_log_level_parse(const char *s, enum agent_log_level *ret)
{
	static const struct {
		const char *name;
		enum agent_log_level lvl;
	} names[] = {
	    {"critical", AGENT_LOG_ERROR}, {"fatal", AGENT_LOG_ERROR}, {"panic", AGENT_LOG_ERROR},
	    {"error", AGENT_LOG_ERROR},    {"warn", AGENT_LOG_WARN},   {"warning", AGENT_LOG_WARN},
	    {"info", AGENT_LOG_INFO},      {"debug", AGENT_LOG_DEBUG}, {"trace", AGENT_LOG_DEBUG},
	};
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*ret = names[i].lvl;
			return 0;
		}
	return -EINVAL;
}
