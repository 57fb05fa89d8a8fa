/* cocoon-agent's log (docs/agent.md, "Logging"): one line per message,
 * "cocoon-agent: <level>: <message>", written whole with one write(2) so
 * lines from concurrent calls never interleave. Control characters in a
 * message (a host-chosen container id with a newline, say) are written as
 * \xNN, so the host cannot forge log lines. Nothing secret is passed here:
 * request payloads are never logged, only names, ids and the policy's
 * print output. Thread-safe. */
#ifndef COCOON_AGENT_FRONT_LOG_H
#define COCOON_AGENT_FRONT_LOG_H

#include <stdbool.h>

enum agent_log_level {
	AGENT_LOG_ERROR = 0,
	AGENT_LOG_WARN,
	AGENT_LOG_INFO,
	AGENT_LOG_DEBUG,
};

typedef struct agent_log agent_log;

/* A log writing to fd (not closed by _free) up to max. NULL on OOM. */
agent_log *agent_log_new(int fd, enum agent_log_level max);
void agent_log_free(agent_log *l);
void agent_log_set_level(agent_log *l, enum agent_log_level max);
bool agent_log_enabled(const agent_log *l, enum agent_log_level lvl);
/* Logs one line (l may be NULL: stderr at every level). */
void agent_log_msg(agent_log *l, enum agent_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Kata's level names (agent.log=): critical/fatal/panic and error ->
 * error, warn/warning, info, debug and trace -> debug. -EINVAL if none. */
int agent_log_level_parse(const char *s, enum agent_log_level *ret);

#endif
