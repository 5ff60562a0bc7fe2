/*
 * pipeline: the deploy and rollback state machines, which run the steps
 * (steps.c) in order, roll back by themselves when the confirm fails, and
 * record the outcome.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "drain.h"
#include "git.h"
#include "log.h"
#include "pipeline.h"
#include "steplog.h"
#include "steps.h"
#include "store.h"
#include "switch.h"
#include "url.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * The status for a deployment that stopped early. A commit is marked a bad
 * release only when the release itself failed (build, start, verify): a
 * fetch that could not reach the forge or a proxy test broken by other
 * config says nothing about the commit.
 */
static const char *
stopped_status(struct job *j)
{
	static const char *const blamed[] = { "build", "start", "verify" };

	if (steplog_stopped(j->log) == STEPLOG_CANCELLED)
		return "cancelled";
	if (steplog_stopped(j->log) == STEPLOG_INTERRUPTED)
		return "interrupted";
	for (size_t i = 0; i < 3 && j->commit != NULL && steplog_failed_step(j->log) != NULL; i++)
		if (strcmp(steplog_failed_step(j->log), blamed[i]) == 0) {
			char *why = xasprintf("%s failed", steplog_failed_step(j->log));

			store_mark_bad(j->st, j->app->name, j->commit, j->id, why);
			free(why);
		}
	return "failed";
}

/*
 * After a failed confirm: traffic back to old. When even that fails, the
 * proxy still sends traffic to color, and the database must say so.
 */
static int
switch_back(struct job *j, const char *color, const char *old)
{
	struct store_app a;
	int i = strcmp(color, "green") == 0;

	steplog_set_stopped(j->log, STEPLOG_RUNNING);
	if (step_switch(j, "rollback", old, color) == 0) {
		step_settle(j, old);
		step_rest_other(j, old);
		return 0;
	}
	log_error("%s #%lld: switching back to %s failed: %s still serves", j->app->name,
	    (long long)j->id, old, color);
	if (store_get_app(j->st, j->app->name, &a) == 0)
		store_set_live(j->st, j->app->name, color, a.commit[i], j->id);
	store_app_release(&a);
	return -1;
}

/* Reads which color is live: "blue", "green" or NULL. */
static const char *
live_color(struct job *j, struct store_app *a)
{
	store_get_app(j->st, j->app->name, a);
	if (a->active_color == NULL)
		return NULL;
	return strcmp(a->active_color, "blue") == 0 ? "blue" : "green";
}

/*
 * The full deployment of j->commit (or the branch head) to the idle color,
 * confirmed through the proxy and rolled back by itself when that fails.
 */
static const char *
deploy(struct job *j)
{
	struct store_app a;
	const char *old = live_color(j, &a);
	const char *color = old != NULL ? switch_other(old) : "blue";

	store_app_release(&a);
	steplog_note(j->log, "deploying %s to %s (live: %s)",
	    j->commit != NULL ? j->commit : j->app->branch, color, old != NULL ? old : "nothing");
	j->color = color;
	if (step_fetch(j) != 0 || step_build(j, color, old) != 0 || step_start(j, color, old) != 0)
		return stopped_status(j);
	if (step_verify(j, color, j->app->health_timeout) != 0) {
		/*
		 * The new color never serves: stop it, also after a cancel, so
		 * that a rollback never finds it running an unproven release.
		 */
		if (steplog_stopped(j->log) != STEPLOG_INTERRUPTED) {
			steplog_note(j->log,
			    "stopping %s, which did not pass its health check; %s keeps serving",
			    color, old != NULL ? old : "nothing");
			step_stop_color(j, color, old);
		}
		return stopped_status(j);
	}
	if (step_switch(j, "switch", color, old) != 0)
		return stopped_status(j);
	if (step_confirm(j, color) != 0) {
		store_mark_bad(j->st, j->app->name, j->commit, j->id,
		    "confirm through the proxy failed");
		if (old == NULL) {
			/* Nothing to go back to: the new color stays, marked bad. */
			store_set_live(j->st, j->app->name, color, j->commit, j->id);
			step_rest_other(j, color);
			return "failed";
		}
		return switch_back(j, color, old) == 0 ? "rolled_back" : "failed";
	}
	store_set_live(j->st, j->app->name, color, j->commit, j->id);
	store_unmark_bad(j->st, j->app->name, j->commit);
	step_rest_other(j, color);
	step_retire(j, old, color);
	return "succeeded";
}

/*
 * Rollback: send traffic to the other color when it runs a good release and
 * is healthy; when it is not running, redeploy its release; when it holds
 * a bad one, redeploy the newest good release.
 */
static const char *
rollback(struct job *j)
{
	struct store_app a;
	const char *live = live_color(j, &a), *target, *status;
	char *candidate = NULL;
	int t;

	if (live == NULL) {
		steplog_note(j->log, "nothing is live yet: there is nothing to roll back from");
		store_app_release(&a);
		return "failed";
	}
	target = switch_other(live);
	t = strcmp(target, "green") == 0;
	/*
	 * The other color qualifies only with a release that once served and
	 * is not marked bad: a cancelled or failed deployment may have left an
	 * unproven one there.
	 */
	if (a.commit[t] != NULL && !store_is_bad(j->st, j->app->name, a.commit[t]) &&
	    store_was_live(j->st, j->app->name, a.commit[t]) &&
	    (a.live_commit == NULL || strcmp(a.commit[t], a.live_commit) != 0)) {
		j->commit = xstrdup(a.commit[t]);
		j->release = xstrdup(a.release[t]);
		store_set_commit(j->st, j->id, j->commit);
		steplog_note(j->log, "rolling back from %s to %s, which runs %.12s", live, target,
		    j->commit);
		if (step_verify(j, target,
			j->app->health_timeout < 10 ? j->app->health_timeout : 10) == 0) {
			if (step_switch(j, "switch", target, live) != 0)
				status = "failed";
			else if (step_confirm(j, target) != 0) {
				store_mark_bad(j->st, j->app->name, j->commit, j->id,
				    "confirm through the proxy failed");
				switch_back(j, target, live);
				status = "failed";
			} else {
				store_set_live(j->st, j->app->name, target, j->commit, j->id);
				step_rest_other(j, target);
				status = "succeeded";
			}
			j->color = target;
			goto out;
		}
		if (steplog_stopped(j->log) != STEPLOG_FAILED) {
			status = steplog_stopped(j->log) == STEPLOG_CANCELLED ? "cancelled" :
										"interrupted";
			goto out;
		}
		steplog_note(j->log, "%s is not running: redeploying %.12s instead", target,
		    j->commit);
		steplog_set_stopped(j->log, STEPLOG_RUNNING);
		steplog_forget(j->log);
		free(j->release);
		j->release = NULL;
	} else {
		candidate = store_last_good_commit(j->st, j->app->name, a.live_commit);
		if (candidate == NULL) {
			steplog_note(j->log, "no earlier good release to roll back to");
			status = "failed";
			goto out;
		}
		free(j->commit);
		j->commit = candidate;
		store_set_commit(j->st, j->id, j->commit);
		steplog_note(j->log,
		    "%s holds no good release: redeploying the last good one, %.12s", target,
		    j->commit);
	}
	status = deploy(j);
out:
	store_app_release(&a);
	return status;
}

/*
 * A drain handed on that no start step finished (the deployment it went
 * to failed or was cancelled before its start, or was cancelled while
 * queued): unless a newer deployment is queued to take it on, finish the
 * retire here, as a step of j. own: j may be the deployment that began it.
 */
static void
finish_handover(struct job *j, int own)
{
	struct drain_handover *h = j->handover;
	int64_t queued = 0, running = 0;
	struct store_app a;
	const char *live, *color = h->color;

	if (color == NULL || (h->from == j->id && !own) || steplog_stopping(j->log))
		return;
	if (store_app_queue(j->st, j->app->name, &queued, &running) == 0 && queued > 0)
		return;
	live = live_color(j, &a);
	store_app_release(&a);
	h->color = NULL;
	if (live == NULL || strcmp(live, color) == 0)
		return;
	steplog_begin(j->log, "retire");
	if (h->from == j->id)
		steplog_note(j->log,
		    "the deployment queued after this one did not run: stopping %s once it has"
		    " drained",
		    color);
	else
		steplog_note(j->log, "%s, retired by #%lld, is still running", color,
		    (long long)h->from);
	step_retire_color(j, color, h->since_ms, h->from, live);
	steplog_end(j->log, "succeeded", NULL);
}

/* state_dir/DIR/APP: the app's git cache ("repos") or releases; a new string. */
static char *
state_path(const struct config *cfg, const struct app_config *app, const char *dir)
{
	return xasprintf("%s/%s/%s", cfg->server.state_dir, dir, app->name);
}

/* A job for deployment id of app, with nothing chosen yet. */
static void
job_init(struct job *j, const struct config *cfg, const struct app_config *app, struct store *st,
    int64_t id, const volatile int *stopping, struct drain_handover *handover)
{
	char *cache = state_path(cfg, app, "repos"), *secret[2];

	memset(j, 0, sizeof *j);
	j->cfg = cfg;
	j->app = app;
	j->st = st;
	j->id = id;
	j->kind = "deploy";
	j->stopping = stopping;
	j->handover = handover;
	j->log = steplog_new(st, app->name, id, stopping);
	/*
	 * git (or a build) may print the repo URL with its password: masked,
	 * and so are the secrets turnout holds, whatever prints them.
	 */
	url_secrets(app->repo, secret);
	for (int i = 0; i < 2; i++) {
		steplog_mask(j->log, secret[i]);
		free(secret[i]);
	}
	for (char **s = app->secrets; s != NULL && *s != NULL; s++)
		steplog_mask(j->log, *s);
	steplog_mask(j->log, cfg->server.token);
	j->git = git_new(cache, app->repo, app->fetch_timeout, j->log);
	j->releases = state_path(cfg, app, "releases");
	free(cache);
}

/* Frees what j owns (j itself is the caller's); the log is stored first. */
static void
job_release(struct job *j)
{
	git_free(j->git);
	steplog_free(j->log);
	free(j->releases);
	free(j->commit);
	free(j->ref);
	free(j->release);
}

void
pipeline_run(const struct config *cfg, const struct app_config *app, struct store *st,
    const struct store_deployment *d, const volatile int *stopping, struct drain_handover *handover)
{
	struct job j;
	const char *status, *error;
	long long t0 = clock_mono_ms();
	enum steplog_stop stopped;

	job_init(&j, cfg, app, st, d->id, stopping, handover);
	j.kind = d->kind;
	j.commit = xstrdup(d->commit);
	j.ref = xstrdup(d->ref);
	log_info("%s: deployment %lld (%s) started", app->name, (long long)d->id, d->kind);
	status = strcmp(d->kind, "rollback") == 0 ? rollback(&j) : deploy(&j);
	finish_handover(&j, 0);
	steplog_note(j.log, "deployment %s after %lld ms", status, clock_mono_ms() - t0);
	steplog_flush(j.log);
	error = steplog_error(j.log);
	store_finish(st, d->id, status, j.color, error);
	log_info("%s: deployment %lld %s after %lld ms%s%s", app->name, (long long)d->id, status,
	    clock_mono_ms() - t0, error != NULL ? ": " : "", error != NULL ? error : "");
	stopped = steplog_stopped(j.log);
	if (stopped == STEPLOG_RUNNING || stopped == STEPLOG_FAILED)
		step_tidy(&j); /* not while cancelling or shutting down */
	job_release(&j);
}

void
pipeline_finish_retire(const struct config *cfg, const struct app_config *app, struct store *st,
    const volatile int *stopping, struct drain_handover *handover)
{
	struct job j;

	if (handover->color == NULL)
		return;
	log_info("%s: finishing the retire of %s begun by deployment %lld", app->name,
	    handover->color, (long long)handover->from);
	job_init(&j, cfg, app, st, handover->from, stopping, handover);
	finish_handover(&j, 1);
	job_release(&j);
}
