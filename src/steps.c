/* steps: one function per step of a deployment (see steps.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "ids.h"
#include "log.h"
#include "probe.h"
#include "release.h"
#include "run.h"
#include "steps.h"
#include "switch.h"
#include "url.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * Answers in a row from the new color that confirm wants (see probe_wait)
 * when the switch could not see it take effect (a switch_command; nginx
 * without a readable nginx_pid): after a reload old workers still answer
 * for a moment. A swapped link, HAProxy's runtime API and an nginx reload
 * whose new workers were seen taking over have no such moment: one answer.
 */
#define CONFIRM_STREAK_RELOAD 5
/*
 * How long a color that traffic left keeps running before its drain when
 * nobody can tell that the proxy stopped sending it new requests (a
 * switch_command, nginx without nginx_pid) or its connections cannot be
 * counted.
 */
#define UNSEEN_GRACE_MS 1000
/* How often a retire's drain asks whether a newer deployment is queued. */
#define QUEUE_POLL_MS 200

/* The TURNOUT_* of a command acting on color, from the job's state. */
static struct run_vars
vars(const struct job *j, const char *color, const char *old)
{
	struct run_vars v = { j->app, j->id, color, old, j->commit, j->ref, j->release, NULL };

	return v;
}

/*
 * Runs an app's command line (config key key: build, start, stop) through
 * /bin/sh in the release dir of v, as deploy_user when set: these run the
 * repo's code. The proxy's commands stay the daemon's (step_switch).
 * Returns 0, or -1 with *why.
 */
static int
shell(struct job *j, const char *key, const char *cmd, const struct run_vars *v, int timeout,
    int uncancellable, char **why)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct run_vars as = *v;
	struct spawn_env *env;
	char *what = xasprintf("%s command '%s'", key, cmd);
	struct run_opts o;
	long long ms;
	int rc;

	as.user = j->cfg->server.deploy_user;
	env = run_env(&as);
	memset(&o, 0, sizeof o);
	o.what = what;
	o.user = as.user;
	o.argv = argv;
	o.envp = spawn_env_array(env);
	o.cwd = v->release;
	o.timeout = timeout;
	o.uncancellable = uncancellable;
	steplog_note(j->log, "$ %s   (TURNOUT_COLOR=%s%s%s)", cmd, v->color,
	    as.user != NULL ? ", as " : "", as.user != NULL ? as.user->name : "");
	rc = run_command(j->log, &o, &ms, why);
	steplog_add_ms(j->log, ms);
	spawn_env_free(env);
	free(what);
	return rc;
}

/* The commit is now id (a new string, stolen), and the database says so. */
static void
set_commit(struct job *j, char *id)
{
	free(j->commit);
	j->commit = id;
	store_set_commit(j->st, j->id, j->commit);
}

/* Writes j->commit into a release dir of its own, j->release. */
static int
checkout(struct job *j, int quiet, char **why)
{
	const struct conf_user *u = j->cfg->server.deploy_user;

	free(j->release);
	j->release = release_dir(j->releases, j->id, j->commit);
	if (release_checkout(j->git, j->releases, j->id, j->commit, j->release, quiet, why) != 0)
		return -1;
	/* The build writes in its release: it is deploy_user's from here on. */
	if (u != NULL && fsutil_chown_tree(j->release, u->uid, u->gid, why) != 0)
		return -1;
	return 0;
}

/*
 * 1 when the deployment is a forge's push of a branch, whose id is the
 * commit itself. A tag push's id is the tag's object when the tag is
 * annotated (GitHub, GitLab), which git must peel to its commit.
 */
static int
push_of_commit(const struct job *j)
{
	return strcmp(j->kind, "push") == 0 &&
	    (j->ref == NULL || strncmp(j->ref, "refs/tags/", 10) != 0);
}

/*
 * A commit of a repo on this machine (a bare repo pushed to over ssh, a
 * self-hosted forge's) is read where it is: one process for a push's full
 * id, two for an id from the API or a rollback, instead of a fetch's seven.
 * The repo's objects are only read, for these processes, never referenced
 * from the cache, so a gc there cannot corrupt the cache; a commit no ref
 * reaches any more (a force-push) still deploys while the repo keeps it.
 * A branch head needs the refs: it is fetched. Returns 0 when the release
 * is written, 1 to fetch instead, -1 with *why when stopped.
 */
static int
read_in_place(struct job *j, char **why)
{
	int rc = 0;

	if (!git_local(j->git) || !git_cached(j->git) || j->commit == NULL)
		return 1;
	/* A miss may happen, quietly: the fetch says why. */
	if (!ids_is_commit(j->commit, IDS_LOWER) || !push_of_commit(j)) {
		/* Maybe abbreviated, or a tag: its commit's full id is recorded. */
		char *id = git_resolve(j->git, j->commit, 1);

		if (id == NULL)
			rc = -1;
		else
			set_commit(j, id);
	}
	if (rc == 0)
		rc = checkout(j, 1, why);
	if (rc == 0) {
		steplog_note(j->log, "read %.12s from %s in place into %s", j->commit,
		    git_shown(j->git), j->release);
		return 0;
	}
	if (steplog_stopped(j->log) != STEPLOG_RUNNING) {
		if (*why == NULL)
			*why = xstrdup("stopped while reading the repo");
		return -1;
	}
	steplog_note(j->log, "%s cannot be read in place (%s): fetching", j->commit,
	    *why != NULL ? *why : "no such commit");
	free(*why);
	*why = NULL;
	free(j->release);
	j->release = NULL;
	return 1;
}

/*
 * fetch: bring the git cache up to date and check the exact commit out into
 * a release dir of its own. The repository is always the configured one,
 * never one named by a payload.
 *
 * Every git process costs milliseconds (tens under load), and this step is
 * most of turnout's own time per deployment, so it runs as few as it can:
 * no fetch for a commit of a repo on this machine (read_in_place); else
 * the fetch (its auto-maintenance runs after the deployment instead), a
 * rev-parse only when the commit is not already a full id, and one
 * read-tree that writes the files with a throw-away index. The release is
 * not a git repository; TURNOUT_COMMIT names its commit.
 */
int
step_fetch(struct job *j)
{
	char *why = NULL;
	int rc, verified = 0;

	steplog_begin(j->log, "fetch");
	rc = read_in_place(j, &why);
	if (rc == 0) {
		steplog_end(j->log, "succeeded", NULL);
		goto out;
	}
	if (rc < 0 || git_update(j->git, &why) != 0)
		goto fail;
	if (j->commit == NULL) {
		char *branch = xasprintf("refs/heads/%s", j->app->branch);
		char *id = git_resolve(j->git, branch, 0);

		free(branch);
		if (id == NULL) {
			why = xasprintf("branch '%s' is not in %s", j->app->branch,
			    git_shown(j->git));
			goto fail;
		}
		set_commit(j, id);
		steplog_note(j->log, "branch %s is at %s", j->app->branch, j->commit);
		verified = 1;
	} else if (!ids_is_commit(j->commit, IDS_LOWER) || !push_of_commit(j)) {
		/*
		 * An id from the API or CLI may be abbreviated, or name a tag,
		 * and a tag push's may be an annotated tag's own object: the
		 * full id of its commit is what is deployed and recorded. A
		 * forge's branch push names a full commit id: no process spent
		 * on it.
		 */
		char *id = git_resolve(j->git, j->commit, 0);

		if (id == NULL) {
			why = xasprintf("commit %s is not in %s", j->commit, git_shown(j->git));
			goto fail;
		}
		set_commit(j, id);
		verified = 1;
	}
	if (checkout(j, 0, &why) != 0) {
		int running = steplog_stopped(j->log) == STEPLOG_RUNNING;
		char *id = verified || !running ? NULL : git_resolve(j->git, j->commit, 0);

		if (!verified && running && id == NULL) {
			free(why);
			why = xasprintf("commit %s is not in %s", j->commit, git_shown(j->git));
		}
		free(id);
		goto fail;
	}
	steplog_note(j->log, "checked out %.12s into %s", j->commit, j->release);
	steplog_end(j->log, "succeeded", NULL);
	rc = 0;
	goto out;
fail:
	steplog_fail(j->log, "%s", why != NULL ? why : "fetch failed");
	rc = -1;
out:
	free(why);
	return rc;
}

/*
 * After the deployment has ended, off the clock users watch: prune old
 * releases and let git pack the cache when it wants to. The deployment's
 * log is complete by now (`logs -f` has stopped): this goes to the
 * daemon's log, commands' lines not at all (but a failure's first).
 */
void
step_tidy(struct job *j)
{
	struct store_app a;

	if (fsutil_is_dir(j->releases)) {
		/* Unless the colors' releases are known, nothing is pruned. */
		if (store_get_app(j->st, j->app->name, &a) == 0) {
			const char *in_use[3] = { a.release[0], a.release[1], j->release };

			release_prune(j->releases, j->app->keep_releases, in_use, 3, j->app->name);
		}
		store_app_release(&a);
	}
	git_maintain(j->git);
}

int
step_build(struct job *j, const char *color, const char *old)
{
	struct run_vars v = vars(j, color, old);
	char *why = NULL;

	if (j->app->build == NULL)
		return 0;
	steplog_begin(j->log, "build");
	if (shell(j, "build", j->app->build, &v, j->app->build_timeout, 0, &why) != 0) {
		steplog_fail(j->log, "%s", why);
		free(why);
		return -1;
	}
	steplog_end(j->log, "succeeded", NULL);
	return 0;
}

/* drain_stop_fn of a drain that a cancel or shutdown ends. */
static int
drain_cancelled(void *ctx)
{
	return steplog_cancelled(ctx);
}

/*
 * Waits for color's connections to end before it is stopped (see drain.h),
 * from since_ms, asking stop(ctx) whether to give up; logs what it saw, and
 * warns in the daemon's log when the drain ran out or could not count.
 */
static enum drain_end
drain_color(struct job *j, const char *color, int64_t since_ms, drain_stop_fn stop, void *ctx)
{
	struct drain_result r;
	char line[320];

	drain_wait(j->app, color, since_ms, stop, ctx, &r);
	drain_describe(&r, color, line, sizeof line);
	steplog_note(j->log, "%s", line);
	if (store_drain(j->st, j->id, j->app->name, color, steplog_step(j->log),
		drain_end_name(r.end), r.at_start, r.left, r.ms, r.timeout) != 0)
		log_error("deployment %lld: cannot store the drain of %s", (long long)j->id, color);
	if (r.end == DRAIN_BLIND || (r.end == DRAIN_TIMED_OUT && r.timeout > 0))
		log_warn("%s #%lld: %s", j->app->name, (long long)j->id, line);
	if (r.end == DRAIN_BLIND && r.timeout > 0) {
		/* Blind: what a fixed wait can do, bounded by drain_timeout. */
		int ms = r.timeout * 1000 < UNSEEN_GRACE_MS ? r.timeout * 1000 : UNSEEN_GRACE_MS;

		steplog_note(j->log, "waiting %d ms instead", ms);
		usleep((useconds_t)ms * 1000);
	}
	return r.end;
}

/* A retire's drain: its job, and when it last asked for a queued deployment. */
struct retire_wait {
	struct job *j;
	long long last_check;
};

/* drain_stop_fn of a retire: a shutdown, or a newer deployment to let start. */
static int
retire_interrupted(void *ctx)
{
	struct retire_wait *w = ctx;
	long long now = clock_mono_ms();
	int64_t queued = 0, running = 0;

	if (steplog_stopping(w->j->log))
		return 1;
	steplog_tick(w->j->log); /* the drain shows up live */
	if (now - w->last_check < QUEUE_POLL_MS)
		return 0;
	w->last_check = now;
	return store_app_queue(w->j->st, w->j->app->name, &queued, &running) == 0 && queued > 0;
}

/*
 * Before color is stopped or started anew: its connections drain. A drain
 * an earlier deployment handed on keeps its start. Returns -1 when a
 * cancel or shutdown ended the wait.
 */
static int
drain_idle(struct job *j, const char *color)
{
	int64_t since = clock_mono_ms();
	struct drain_handover *h = j->handover;
	int handed = h->color != NULL && strcmp(h->color, color) == 0;

	if (handed) {
		steplog_note(j->log, "%s has been draining since #%lld retired it", color,
		    (long long)h->from);
		since = h->since_ms;
	}
	if (drain_color(j, color, since, drain_cancelled, j->log) == DRAIN_STOPPED)
		return -1;
	if (handed)
		h->color = NULL;
	return 0;
}

/*
 * It runs in the release dir the color was started from, with that commit:
 * a stop command may depend on them (docker compose names projects after
 * the directory). Once begun it is not cancelled: half-stopped is worse.
 */
void
step_stop_color(struct job *j, const char *color, const char *other)
{
	struct store_app a;
	struct run_vars v = vars(j, color, other);
	char *why = NULL;
	int i = strcmp(color, "green") == 0;

	if (j->app->stop == NULL)
		return;
	if (store_get_app(j->st, j->app->name, &a) == 0 && a.release[i] != NULL &&
	    fsutil_is_dir(a.release[i])) {
		v.commit = a.commit[i];
		v.release = a.release[i];
	}
	if (shell(j, "stop", j->app->stop, &v, j->app->stop_timeout, 1, &why) != 0) {
		steplog_note(j->log, "%s", why);
		free(why);
	} else
		store_set_stopped(j->st, j->app->name, color);
	store_app_release(&a);
}

/* start: stop, then start, the idle color. */
int
step_start(struct job *j, const char *color, const char *old)
{
	struct run_vars v = vars(j, color, old);
	char *why = NULL;

	steplog_begin(j->log, "start");
	/*
	 * The idle color may still serve what it took while it was live:
	 * stop and start only once that has ended (start alone may replace
	 * it, as docker compose up does).
	 */
	if (drain_idle(j, color) != 0)
		return steplog_fail(j->log, "stopped while %s was draining", color);
	step_stop_color(j, color, old);
	if (steplog_stopped(j->log) == STEPLOG_RUNNING &&
	    shell(j, "start", j->app->start, &v, j->app->start_timeout, 0, &why) == 0) {
		store_set_color(j->st, j->app->name, color, j->commit, j->release);
		steplog_end(j->log, "succeeded", NULL);
		return 0;
	}
	steplog_fail(j->log, "%s", why != NULL ? why : "stopped");
	free(why);
	return -1;
}

/* probe_cancel_fn: a cancel or shutdown. */
static int
probe_cancelled(void *ctx)
{
	return steplog_cancelled(ctx);
}

/* verify: poll the color's health URL until 2xx or timeout seconds. */
int
step_verify(struct job *j, const char *color, int timeout)
{
	char *url = url_expand(j->app->health, switch_port(j->app, color), color);
	struct probe_result res;
	char desc[320], where[160];
	long long t0 = clock_mono_ms();
	int rc;

	/* Which color was asked, and where: what the start command had to make listen. */
	if (switch_socket(j->app, color) != NULL)
		snprintf(where, sizeof where, "socket %s", switch_socket(j->app, color));
	else
		snprintf(where, sizeof where, "port %d", switch_port(j->app, color));
	steplog_begin(j->log, "verify");
	steplog_note(j->log, "GET %s on %s's %s until 2xx (at most %d s)", url, color, where,
	    timeout);
	rc = probe_wait(url, switch_socket(j->app, color), timeout, 1, NULL, probe_cancelled,
	    j->log, &res);
	free(url);
	if (rc == 0) {
		char *detail = xasprintf("%s is healthy after %lld ms (HTTP %ld)", color,
		    clock_mono_ms() - t0, res.status);

		steplog_end(j->log, "succeeded", detail);
		free(detail);
		return 0;
	}
	if (steplog_stopped(j->log) != STEPLOG_RUNNING)
		return steplog_fail(j->log, "stopped while waiting for %s to be healthy", color);
	return steplog_fail(j->log,
	    "%s (%s) is not healthy after %d s and %d attempts; the last: %s", color, where,
	    timeout, res.attempts, probe_describe(&res, desc, sizeof desc));
}

int
step_switch(struct job *j, const char *name, const char *color, const char *old)
{
	struct run_vars v = vars(j, color, old);
	struct spawn_env *env = run_env(&v);
	struct spawn_opts o;
	char *why = NULL, *said = NULL, *detail;
	long long ms = 0;
	int rc;

	steplog_begin(j->log, name);
	run_spawn_opts(j->log, &o, spawn_env_array(env), j->app->switch_timeout);
	o.cwd = j->release;
	rc = switch_to(j->app, color, &o, &ms, &said, &j->settled, &why);
	steplog_add_ms(j->log, ms);
	spawn_env_free(env);
	if (said != NULL)
		steplog_note(j->log, "%s", said);
	free(said);
	if (rc == 0 && j->handover->color != NULL && strcmp(j->handover->color, color) == 0) {
		/* A color left draining serves again (a rollback): nothing to stop. */
		j->handover->color = NULL;
	}
	if (rc != 0) {
		steplog_set_stopped(j->log, STEPLOG_FAILED);
		steplog_fail(j->log, "%s", why);
		free(why);
		return -1;
	}
	detail = xasprintf("the proxy (%s) now sends %s to %s", switch_name(j->app), j->app->name,
	    color);
	steplog_end(j->log, "succeeded", detail);
	free(detail);
	return 0;
}

/* A switch that saw it took effect leaves no old worker to answer. */
static int
confirm_streak(const struct job *j)
{
	return j->settled ? 1 : CONFIRM_STREAK_RELOAD;
}

/*
 * confirm: poll the confirm URL through the proxy until it answers 2xx from
 * color. Not cancellable: once traffic moved, it is confirmed or undone.
 */
int
step_confirm(struct job *j, const char *color)
{
	struct probe_result res;
	char desc[320], *detail;
	long long t0 = clock_mono_ms();
	int streak = confirm_streak(j);

	if (j->app->confirm == NULL)
		return 0;
	steplog_begin(j->log, "confirm");
	steplog_note(j->log, "GET %s through the proxy until 2xx from %s (at most %d s)",
	    j->app->confirm, color, j->app->confirm_timeout);
	if (probe_wait(j->app->confirm, NULL, j->app->confirm_timeout, streak, color, NULL, NULL,
		&res) != 0)
		return steplog_fail(j->log,
		    "confirm through the proxy failed after %d s and %d attempts; the last: %s",
		    j->app->confirm_timeout, res.attempts, probe_describe(&res, desc, sizeof desc));
	if (streak > 1)
		detail = xasprintf("the proxy answers from %s after %lld ms, %d times in a row"
				   " (the first answer from it came after %lld ms; HTTP %ld)",
		    color, clock_mono_ms() - t0, streak, res.first_ms, res.status);
	else
		detail = xasprintf("the proxy answers from %s after %lld ms (HTTP %ld)", color,
		    clock_mono_ms() - t0, res.status);
	steplog_end(j->log, "succeeded", detail);
	free(detail);
	return 0;
}

void
step_rest_other(struct job *j, const char *live)
{
	char *why = NULL;

	if (switch_rest(j->app, live, &why) != 0) {
		steplog_note(j->log, "could not put %s to rest: %s", switch_other(live), why);
		log_warn("%s #%lld: %s", j->app->name, (long long)j->id, why);
		free(why);
	}
}

/* So that "rolled back" means the old color serves when we say so. */
void
step_settle(struct job *j, const char *color)
{
	struct probe_result res;
	char desc[320];

	if (j->app->confirm == NULL)
		return;
	if (probe_wait(j->app->confirm, NULL, j->app->confirm_timeout, confirm_streak(j), color,
		NULL, NULL, &res) == 0)
		steplog_note(j->log, "the proxy answers from %s again", color);
	else
		steplog_note(j->log, "the proxy does not answer well from %s either: %s", color,
		    probe_describe(&res, desc, sizeof desc));
}

void
step_retire_color(struct job *j, const char *color, int64_t since_ms, int64_t from,
    const char *other)
{
	struct retire_wait w = { j, 0 };

	if (drain_color(j, color, since_ms, retire_interrupted, &w) != DRAIN_STOPPED) {
		step_stop_color(j, color, other);
		return;
	}
	if (steplog_stopping(j->log)) {
		steplog_note(j->log, "shutting down: %s keeps running", color);
		return;
	}
	j->handover->color = color;
	j->handover->since_ms = since_ms;
	j->handover->from = from;
	steplog_note(j->log,
	    "a newer deployment is queued: it starts now, and stops %s once it has"
	    " drained",
	    color);
}

/*
 * retire: with keep_old = no, stop the old color once the proxy moved and
 * its connections have ended. A newer deployment queued meanwhile need not
 * wait for that: the drain is handed on, and that deployment's start step
 * (which stops this color anyway) finishes it.
 */
void
step_retire(struct job *j, const char *old, const char *color)
{
	int64_t since = clock_mono_ms();

	if (j->app->keep_old || old == NULL || j->app->stop == NULL)
		return;
	steplog_begin(j->log, "retire");
	if (!j->settled) {
		/* The proxy may still send a new request to old for a moment. */
		steplog_note(j->log,
		    "the switch could not see the proxy take it: waiting %d ms for"
		    " requests on their way to %s",
		    UNSEEN_GRACE_MS, old);
		usleep(UNSEEN_GRACE_MS * 1000);
	}
	step_retire_color(j, old, since, j->id, color);
	steplog_end(j->log, "succeeded", NULL);
}
