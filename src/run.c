/* run: one command of a deployment, logged and cancellable (see run.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

struct spawn_env *
run_env(const struct run_vars *v)
{
	struct spawn_env *env = spawn_env_new();
	char num[32];

	spawn_env_set(env, "TURNOUT_APP", v->app->name);
	snprintf(num, sizeof num, "%lld", (long long)v->id);
	spawn_env_set(env, "TURNOUT_DEPLOYMENT", num);
	spawn_env_set(env, "TURNOUT_COLOR", v->color);
	spawn_env_set(env, "TURNOUT_OLD_COLOR", v->old != NULL ? v->old : "");
	if (switch_socket(v->app, v->color) != NULL) {
		spawn_env_set(env, "TURNOUT_SOCKET", switch_socket(v->app, v->color));
		spawn_env_set(env, "TURNOUT_OLD_SOCKET",
		    v->old != NULL ? switch_socket(v->app, v->old) : "");
	} else {
		snprintf(num, sizeof num, "%d", switch_port(v->app, v->color));
		spawn_env_set(env, "TURNOUT_PORT", num);
		if (v->old != NULL)
			snprintf(num, sizeof num, "%d", switch_port(v->app, v->old));
		spawn_env_set(env, "TURNOUT_OLD_PORT", v->old != NULL ? num : "");
	}
	spawn_env_set(env, "TURNOUT_COMMIT", v->commit != NULL ? v->commit : "");
	spawn_env_set(env, "TURNOUT_REF", v->ref != NULL ? v->ref : "");
	spawn_env_set(env, "TURNOUT_RELEASE_DIR", v->release != NULL ? v->release : "");
	if (v->user != NULL) {
		/* A build's caches (npm, pip, go) go to its user's home, not root's. */
		spawn_env_set(env, "HOME", v->user->home);
		spawn_env_set(env, "USER", v->user->name);
		spawn_env_set(env, "LOGNAME", v->user->name);
	}
	return env;
}

/* What the spawn callbacks need of one run. */
struct running {
	struct steplog *log;
	const struct run_opts *o;
	char quiet_err[160]; /* a quiet command's first stderr line */
};

/* spawn_line_fn: a line goes to the log, or is kept when asked. */
static void
on_line(void *ctx, enum spawn_stream stream, const char *line)
{
	struct running *r = ctx;
	const struct run_opts *o = r->o;

	if (o->capture != NULL && stream == SPAWN_OUT && o->capture[0] == '\0')
		snprintf(o->capture, o->capture_size, "%s", line);
	if (!o->quiet)
		steplog_line(r->log, stream == SPAWN_ERR, line);
	else if (stream == SPAWN_ERR && r->quiet_err[0] == '\0') {
		char *clean = steplog_masked(r->log, line); /* it goes into *why */

		snprintf(r->quiet_err, sizeof r->quiet_err, "%s", clean);
		free(clean);
	}
}

/* spawn_cancel_fn: a shutdown, or a cancel from the API. */
static int
is_cancelled(void *ctx)
{
	struct running *r = ctx;

	if (r->o->uncancellable) {
		steplog_tick(r->log);
		return 0;
	}
	return steplog_cancelled(r->log);
}

/*
 * o's argv, run as o->user: setpriv takes the user's ids and groups and
 * execs the command, which keeps the pid and the process group spawn
 * made, so a timeout or cancel still kills the whole group. Returns a new
 * array of borrowed strings (the ids written into reuid and regid), or
 * NULL when o->user is NULL.
 */
static const char **
as_user(const struct run_opts *o, char reuid[32], char regid[32])
{
	size_t n = 0, i = 0;
	const char **argv;

	if (o->user == NULL)
		return NULL;
	while (o->argv[n] != NULL)
		n++;
	snprintf(reuid, 32, "--reuid=%u", o->user->uid);
	snprintf(regid, 32, "--regid=%u", o->user->gid);
	argv = xcalloc(n + 6, sizeof *argv);
	argv[i++] = o->user->setpriv;
	argv[i++] = reuid;
	argv[i++] = regid;
	argv[i++] = "--init-groups";
	argv[i++] = "--";
	memcpy(argv + i, o->argv, n * sizeof *argv);
	return argv;
}

int
run_command(struct steplog *log, const struct run_opts *o, long long *ms, char **why)
{
	struct running r = { log, o, "" };
	struct spawn_opts so;
	struct spawn_result res;
	char *cause = NULL, desc[96], reuid[32], regid[32];
	const char **wrapped = as_user(o, reuid, regid);
	int rc = 0;

	memset(&so, 0, sizeof so);
	so.argv = wrapped != NULL ? wrapped : o->argv;
	so.envp = o->envp;
	so.cwd = o->cwd;
	so.timeout = o->timeout;
	so.on_line = on_line;
	so.cancelled = is_cancelled;
	so.ctx = &r;
	if (o->capture != NULL)
		o->capture[0] = '\0';
	spawn_run(&so, &res, &cause);
	free(wrapped);
	*ms = res.elapsed_ms;
	if (res.outcome == SPAWN_ERROR) {
		*why = xasprintf("%s: %s", o->what, cause);
		free(cause);
		rc = -1;
	} else if (res.outcome == SPAWN_TIMED_OUT) {
		*why = xasprintf("%s took longer than %d s and was killed", o->what, o->timeout);
		rc = -1;
	} else if (res.outcome != SPAWN_EXITED || res.status != 0) {
		*why = xasprintf("%s %s", o->what, spawn_describe(&res, desc, sizeof desc));
		rc = -1;
	}
	if (rc != 0 && r.quiet_err[0] != '\0') {
		char *more = xasprintf("%s: %s", *why, r.quiet_err);

		free(*why);
		*why = more;
	}
	return rc;
}

/* spawn_line_fn of run_spawn_opts: every line to the log. */
static void
log_line(void *ctx, enum spawn_stream stream, const char *line)
{
	steplog_line(ctx, stream == SPAWN_ERR, line);
}

/* spawn_cancel_fn of run_spawn_opts. */
static int
log_cancelled(void *ctx)
{
	return steplog_cancelled(ctx);
}

void
run_spawn_opts(struct steplog *log, struct spawn_opts *o, const char *const *envp, int timeout)
{
	memset(o, 0, sizeof *o);
	o->envp = envp;
	o->timeout = timeout;
	o->on_line = log_line;
	o->cancelled = log_cancelled;
	o->ctx = log;
}
