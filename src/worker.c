/* worker: one thread per app that claims and runs its deployments (see worker.h). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "pipeline.h"
#include "worker.h"
#include "when.h"
#include "xmalloc.h"
#include "banned.h"

/* A worker also looks for queued work this often without being woken. */
#define WORKER_POLL_S 2
/* Deployments of an app whose logs are kept (the rows themselves stay). */
#define WORKER_KEEP_LOGS 500

struct worker {
	struct workers *all;
	const char *name; /* the app's, of the config it was started with (never freed) */
	/* What this thread runs with; changed only by itself, between deployments. */
	const struct config *cfg;
	const struct app_config *app;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending; /* woken since the last look */
	/* Under lock: a reload's config for the next deployment, or the app's removal. */
	const struct config *next_cfg;
	const struct app_config *next_app;
	int removed;                    /* the app left the config: claim nothing */
	int parked;                     /* the worker has seen removed (its own) */
	int64_t frozen_since;           /* the freeze it last told systemd of */
	int64_t held_since;             /* the freeze it last said queued work waits for */
	struct drain_handover handover; /* kept from one deployment to the next */
	int64_t pruned;                 /* store_prune's mark */
};

struct workers {
	struct store *st;
	volatile int stopping;
	pthread_mutex_t lock; /* the list; a reload adds to it */
	struct worker **w;
	size_t n;
};

/* Sleeps until woken, stopping, or WORKER_POLL_S seconds pass. */
static void
worker_wait(struct worker *w)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WORKER_POLL_S;
	pthread_mutex_lock(&w->lock);
	while (!w->pending && !w->all->stopping)
		if (pthread_cond_timedwait(&w->wake, &w->lock, &until) != 0)
			break;
	w->pending = 0;
	pthread_mutex_unlock(&w->lock);
}

/*
 * Takes on what a reload left for this worker. Returns 1 when the app is
 * out of the config: the worker then claims nothing until it comes back.
 */
static int
worker_take_reload(struct worker *w)
{
	int removed;

	pthread_mutex_lock(&w->lock);
	if (w->next_app != NULL) {
		w->cfg = w->next_cfg;
		w->app = w->next_app;
		w->next_cfg = NULL;
		w->next_app = NULL;
		log_debug("%s: the reloaded config applies from here on", w->app->name);
	}
	removed = w->removed;
	pthread_mutex_unlock(&w->lock);
	if (removed && !w->parked)
		notify_forget(w->name); /* nothing to say of it until it comes back */
	w->parked = removed;
	return removed;
}

/*
 * Ends app's freeze once its until has passed, and says so; says once per
 * freeze that it holds the app (systemd's STATUS line), and that queued
 * deployments wait for it. store_claim does the holding itself, so that a
 * freeze stored just before a claim holds it.
 */
static void
worker_check_freeze(struct worker *w)
{
	struct store_freeze f;
	int64_t queued = 0, running = 0;
	char when[WHEN_LEN];
	int rc = store_get_freeze(w->all->st, w->app->name, &f);

	if (rc == 1 && !store_freeze_holds(&f, clock_real_ms())) {
		if (store_unfreeze(w->all->st, w->app->name, f.since) == 0) {
			when_format(f.until, when, sizeof when);
			log_info("%s: the freeze by %s ended at %s (%s)", w->app->name, f.by, when,
			    f.reason);
		}
		store_freeze_release(&f);
		rc = 0;
	}
	if (rc != 1) {
		if (rc == 0 && w->frozen_since != 0)
			notify_unfrozen(w->app->name);
		if (rc == 0)
			w->frozen_since = w->held_since = 0;
		return;
	}
	if (w->frozen_since != f.since) {
		notify_frozen(w->app->name, f.by, f.reason);
		w->frozen_since = f.since;
	}
	if (w->held_since != f.since &&
	    store_app_queue(w->all->st, w->app->name, &queued, &running) == 0 && queued > 0) {
		log_info("%s: frozen by %s (%s): the queued deployment waits", w->app->name, f.by,
		    f.reason);
		w->held_since = f.since;
	}
	store_freeze_release(&f);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct store_deployment d;

	while (!w->all->stopping) {
		int removed = worker_take_reload(w), rc = 0;

		if (!removed) {
			worker_check_freeze(w);
			rc = store_claim(w->all->st, w->app->name, &d);
		}

		if (rc == 1) {
			struct store_deployment end;
			int64_t id = d.id;

			notify_running(w->app->name, d.id, d.commit);
			outbox_event(w->all->st, w->app, id, "started");
			pipeline_run(w->cfg, w->app, w->all->st, &d, &w->all->stopping,
			    &w->handover);
			store_deployment_release(&d);
			if (store_get_deployment(w->all->st, id, &end) == 0) {
				notify_finished(w->app->name, id, end.status);
				/* Stopped mid-way it is still running: the next start says interrupted. */
				if (strcmp(end.status, "running") != 0)
					outbox_event(w->all->st, w->app, id, end.status);
				store_deployment_release(&end);
			}
			if (store_prune(w->all->st, w->app->name, WORKER_KEEP_LOGS, &w->pruned) !=
			    0)
				log_warn("%s: cannot prune old logs", w->app->name);
			continue; /* something may have been queued meanwhile */
		}
		if (rc < 0)
			log_error("%s: cannot read the queue", w->app->name);
		if (rc == 0 && w->handover.color != NULL) {
			/* The deployment a retire handed its drain to was cancelled. */
			pipeline_finish_retire(w->cfg, w->app, w->all->st, &w->all->stopping,
			    &w->handover);
			if (w->handover.color == NULL)
				continue;
		}
		worker_wait(w);
	}
	return NULL;
}

/* Starts a worker for app of cfg and adds it to the list. With all->lock held. */
static void
worker_add(struct workers *all, const struct config *cfg, const struct app_config *app)
{
	struct worker *w = xcalloc(1, sizeof *w);

	w->all = all;
	w->name = app->name;
	w->cfg = cfg;
	w->app = app;
	w->pending = 1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	all->w = xrealloc(all->w, (all->n + 1) * sizeof *all->w);
	all->w[all->n++] = w;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		fatal("cannot start the worker of '%s'", app->name);
}

/* The worker of the app named name, or NULL. With all->lock held. */
static struct worker *
worker_find(struct workers *all, const char *name)
{
	for (size_t i = 0; i < all->n; i++)
		if (strcmp(all->w[i]->name, name) == 0)
			return all->w[i];
	return NULL;
}

/* Wakes w. */
static void
worker_wake(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->pending = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

struct workers *
workers_start(const struct config *cfg, struct store *st)
{
	struct workers *all = xcalloc(1, sizeof *all);

	all->st = st;
	pthread_mutex_init(&all->lock, NULL);
	pthread_mutex_lock(&all->lock);
	for (size_t i = 0; i < cfg->napps; i++)
		worker_add(all, cfg, cfg->apps[i]);
	pthread_mutex_unlock(&all->lock);
	return all;
}

void
workers_reload(struct workers *all, const struct config *cfg)
{
	pthread_mutex_lock(&all->lock);
	for (size_t i = 0; i < cfg->napps; i++) {
		struct worker *w = worker_find(all, cfg->apps[i]->name);

		if (w == NULL) {
			worker_add(all, cfg, cfg->apps[i]);
			continue;
		}
		pthread_mutex_lock(&w->lock);
		w->next_cfg = cfg;
		w->next_app = cfg->apps[i];
		w->removed = 0;
		pthread_mutex_unlock(&w->lock);
		worker_wake(w);
	}
	/*
	 * A removed app's worker finishes what it runs, then claims nothing;
	 * its queued rows wait in the database in case the app comes back.
	 */
	for (size_t i = 0; i < all->n; i++) {
		struct worker *w = all->w[i];

		if (conf_app(cfg, w->name) != NULL)
			continue;
		pthread_mutex_lock(&w->lock);
		w->removed = 1;
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_unlock(&all->lock);
}

void
workers_notify(struct workers *all, const char *app)
{
	struct worker *w;

	pthread_mutex_lock(&all->lock);
	if ((w = worker_find(all, app)) != NULL)
		worker_wake(w);
	pthread_mutex_unlock(&all->lock);
}

void
workers_stop(struct workers *all)
{
	if (all == NULL)
		return;
	all->stopping = 1;
	pthread_mutex_lock(&all->lock);
	for (size_t i = 0; i < all->n; i++)
		worker_wake(all->w[i]);
	pthread_mutex_unlock(&all->lock);
	/* No reload runs now: the list is ours. */
	for (size_t i = 0; i < all->n; i++) {
		pthread_join(all->w[i]->thread, NULL);
		pthread_mutex_destroy(&all->w[i]->lock);
		pthread_cond_destroy(&all->w[i]->wake);
		free(all->w[i]);
	}
	pthread_mutex_destroy(&all->lock);
	free(all->w);
	free(all);
}
