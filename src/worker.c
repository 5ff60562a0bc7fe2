/* worker: one thread per app that claims and runs its deployments (see worker.h). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "notify.h"
#include "pipeline.h"
#include "worker.h"
#include "xmalloc.h"
#include "banned.h"

/* A worker also looks for queued work this often without being woken. */
#define WORKER_POLL_S 2
/* Deployments of an app whose logs are kept (the rows themselves stay). */
#define WORKER_KEEP_LOGS 500

struct worker {
	struct workers *all;
	const struct app_config *app;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending;                    /* woken since the last look */
	struct drain_handover handover; /* kept from one deployment to the next */
	int64_t pruned;                 /* store_prune's mark */
};

struct workers {
	const struct config *cfg;
	struct store *st;
	volatile int stopping;
	struct worker *w;
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

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct store_deployment d;

	while (!w->all->stopping) {
		int rc = store_claim(w->all->st, w->app->name, &d);

		if (rc == 1) {
			struct store_deployment end;
			int64_t id = d.id;

			notify_running(w->app->name, d.id, d.commit);
			pipeline_run(w->all->cfg, w->app, w->all->st, &d, &w->all->stopping,
			    &w->handover);
			store_deployment_release(&d);
			if (store_get_deployment(w->all->st, id, &end) == 0) {
				notify_finished(w->app->name, id, end.status);
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
			pipeline_finish_retire(w->all->cfg, w->app, w->all->st, &w->all->stopping,
			    &w->handover);
			if (w->handover.color == NULL)
				continue;
		}
		worker_wait(w);
	}
	return NULL;
}

struct workers *
workers_start(const struct config *cfg, struct store *st)
{
	struct workers *all = xcalloc(1, sizeof *all);

	all->cfg = cfg;
	all->st = st;
	all->n = cfg->napps;
	all->w = xcalloc(all->n ? all->n : 1, sizeof *all->w);
	for (size_t i = 0; i < all->n; i++) {
		struct worker *w = &all->w[i];

		w->all = all;
		w->app = cfg->apps[i];
		w->pending = 1;
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->wake, NULL);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			fatal("cannot start the worker of '%s'", w->app->name);
	}
	return all;
}

void
workers_notify(struct workers *all, const char *app)
{
	for (size_t i = 0; i < all->n; i++) {
		struct worker *w = &all->w[i];

		if (strcmp(w->app->name, app) != 0)
			continue;
		pthread_mutex_lock(&w->lock);
		w->pending = 1;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
	}
}

void
workers_stop(struct workers *all)
{
	if (all == NULL)
		return;
	all->stopping = 1;
	for (size_t i = 0; i < all->n; i++) {
		pthread_mutex_lock(&all->w[i].lock);
		pthread_cond_signal(&all->w[i].wake);
		pthread_mutex_unlock(&all->w[i].lock);
	}
	for (size_t i = 0; i < all->n; i++) {
		pthread_join(all->w[i].thread, NULL);
		pthread_mutex_destroy(&all->w[i].lock);
		pthread_cond_destroy(&all->w[i].wake);
	}
	free(all->w);
	free(all);
}
