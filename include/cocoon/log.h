/* Logging for programs (docs/logging.md). Libraries never call these above
 * CC_LOG_DEBUG; only main() of a CLI or daemon logs errors, once, with
 * context. Never pass secrets. */
#ifndef COCOON_LOG_H
#define COCOON_LOG_H

enum cc_log_level { CC_LOG_ERROR = 0, CC_LOG_WARN, CC_LOG_INFO, CC_LOG_DEBUG };

typedef struct cc_log cc_log;

/* A logger writing "prog: level: message" lines to stderr. */
cc_log *cc_log_new(const char *prog, enum cc_log_level max_level);
void cc_log_free(cc_log *l);
void cc_log_msg(cc_log *l, enum cc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
