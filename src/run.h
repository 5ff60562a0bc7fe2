/*
 * Running one command for a deployment: its lines go to the deployment's
 * log, a cancel or shutdown kills it, and its end is put in words. What a
 * command is run with is said in full by the caller, in struct run_opts.
 */
#ifndef TURNOUT_RUN_H
#define TURNOUT_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "spawn.h"
#include "steplog.h"

/* What the TURNOUT_* variables of SPEC §4 say; all borrowed, any may be NULL but app and color. */
struct run_vars {
	const struct app_config *app;
	int64_t id;        /* the deployment */
	const char *color; /* the color acted on */
	const char *old;   /* the other, live one */
	const char *commit;
	const char *ref;
	const char *release;          /* the release dir */
	const struct conf_user *user; /* deploy_user: HOME, USER and LOGNAME are its own */
};

/*
 * The environment of an operator's command: the daemon's own plus
 * TURNOUT_*. Data from the webhook (commit, ref) is only ever here.
 * Returns a new env the caller frees with spawn_env_free.
 */
struct spawn_env *run_env(const struct run_vars *v);

struct run_opts {
	const char *what; /* its name in errors: "build command 'make'" */
	const char *const *argv;
	const char *const *envp;      /* the whole environment */
	const char *cwd;              /* NULL: the daemon's */
	int timeout;                  /* seconds */
	int quiet;                    /* lines not logged; the first stderr line goes in *why */
	int uncancellable;            /* a cancel or shutdown waits for its end */
	const struct conf_user *user; /* run as this user (through setpriv); NULL: as the daemon */
	char *capture;                /* its first stdout line, or NULL */
	size_t capture_size;
};

/*
 * Runs o's command to its end, logging to log. Returns 0 when it exited 0,
 * else -1 with *why (a new string the caller frees) naming it by o->what.
 * *ms gets how long it ran.
 */
int run_command(struct steplog *log, const struct run_opts *o, long long *ms, char **why);

/*
 * Fills spawn options whose lines go to log and which a cancel or
 * shutdown kills (for a caller that runs spawn_run itself, as a switch
 * does); envp is borrowed.
 */
void run_spawn_opts(struct steplog *log, struct spawn_opts *o, const char *const *envp,
    int timeout);

#endif
