/*
 * Running commands: posix_spawn in a process group of their own, with an
 * explicit environment, stdin from /dev/null, stdout and stderr read line
 * by line, and a timeout or a cancel that kills the whole group.
 *
 * Webhook data never becomes command text: callers pass it only through
 * the environment built with spawn_env_*.
 */
#ifndef TURNOUT_SPAWN_H
#define TURNOUT_SPAWN_H

#include <stddef.h>

enum spawn_stream { SPAWN_OUT = 1, SPAWN_ERR = 2 };

/* Called for each line a command prints, without its newline. */
typedef void (*spawn_line_fn)(void *ctx, enum spawn_stream stream, const char *line);
/* Polled about ten times a second; returning 1 kills the command. */
typedef int (*spawn_cancel_fn)(void *ctx);

struct spawn_opts {
	const char *const *argv;   /* argv[0] is looked up in PATH */
	const char *const *envp;   /* the whole environment, NULL-terminated */
	const char *cwd;           /* NULL: the daemon's own */
	int timeout;               /* seconds; 0: none */
	spawn_line_fn on_line;     /* may be NULL */
	spawn_cancel_fn cancelled; /* may be NULL */
	void *ctx;                 /* passed to both callbacks */
};

enum spawn_outcome {
	SPAWN_EXITED,    /* status holds the exit code */
	SPAWN_SIGNALED,  /* status holds the signal */
	SPAWN_TIMED_OUT, /* killed after timeout seconds */
	SPAWN_CANCELLED, /* killed because cancelled() said so */
	SPAWN_ERROR,     /* could not start; cause says why */
};

struct spawn_result {
	enum spawn_outcome outcome;
	int status;
	long long elapsed_ms; /* from the spawn to the end of its output */
};

/*
 * Runs a command to its end and reports how it ended. When the command's
 * own process is gone but something it started in the background still
 * holds its output open, reading stops after a short grace: a `start`
 * command may leave the app running. On SPAWN_ERROR *cause is set to a
 * new string the caller frees.
 */
void spawn_run(const struct spawn_opts *opts, struct spawn_result *res, char **cause);

/* Describes a result in words ("exited with 2", "timed out") in buf. */
const char *spawn_describe(const struct spawn_result *res, char *buf, size_t size);

/* An environment under construction. */
struct spawn_env;

/*
 * Starts from the daemon's own environment (PATH, HOME, ...) less any
 * TURNOUT_* variable, so a command sees exactly the TURNOUT_* we set.
 */
struct spawn_env *spawn_env_new(void);
/* Sets name to value (copied), replacing an earlier value; NULL value unsets. */
void spawn_env_set(struct spawn_env *env, const char *name, const char *value);
/* Returns the NULL-terminated array, borrowed from env. */
const char *const *spawn_env_array(struct spawn_env *env);
void spawn_env_free(struct spawn_env *env);

#endif
