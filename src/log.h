/*
 * Daemon logging to stderr (journald adds its own time stamps; a terminal
 * gets ours). Never pass a secret, a token or a raw signature.
 */
#ifndef TURNOUT_LOG_H
#define TURNOUT_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Sets the most verbose level printed (default info). */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
int log_enabled(enum log_level level);
void log_write(enum log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Logs at error level and exits with status 1. */
void log_fatal(const char *func, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* The level check comes before any argument is formatted. */
#define log_at(level, ...) \
	do { \
		if (log_enabled(level)) \
			log_write(level, __func__, __VA_ARGS__); \
	} while (0)
#define log_debug(...) log_at(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_at(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_LEVEL_ERROR, __VA_ARGS__)
#define fatal(...) log_fatal(__func__, __VA_ARGS__)

#endif
