/* intake: one thread commits the waiting webhook deployments in batches (see intake.h). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * The most requests in one transaction: enough for every connection's
 * request to share one fsync, few enough that the lock the worker and the
 * dashboard share is held only briefly.
 */
#define INTAKE_BATCH 64

struct intake {
	struct store *st;
	intake_queued_fn queued;
	void *queued_ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct intake_item *head, **tail; /* waiting, oldest first */
	int stopping;
	int running; /* the thread was started and not joined */
};

/* Wakes the worker of each app of the batch that got a queued deployment, once. */
static void
intake_tell(struct intake *in, struct intake_item **items, const struct store_queued *out, int n)
{
	for (int i = 0; i < n; i++) {
		int seen = out[i].result != STORE_QUEUED;

		for (int j = 0; j < i && !seen; j++)
			seen = out[j].result == STORE_QUEUED &&
			    strcmp(items[j]->req.app, items[i]->req.app) == 0;
		if (!seen && in->queued != NULL)
			in->queued(in->queued_ctx, items[i]->req.app);
	}
}

/* Commits up to INTAKE_BATCH items of the list and calls their done; returns the rest. */
static struct intake_item *
intake_commit(struct intake *in, struct intake_item *list)
{
	const struct store_request *reqs[INTAKE_BATCH] = { NULL };
	struct store_queued out[INTAKE_BATCH];
	struct intake_item *items[INTAKE_BATCH];
	int n = 0;

	for (; list != NULL && n < INTAKE_BATCH; list = list->next, n++) {
		items[n] = list;
		reqs[n] = &list->req;
	}
	store_enqueue_batch(in->st, reqs, out, n);
	intake_tell(in, items, out, n);
	/* After done the item is its owner's again, and may be gone: touch it no more. */
	for (int i = 0; i < n; i++) {
		items[i]->out = out[i];
		items[i]->done(items[i], items[i]->ctx);
	}
	return list;
}

static void *
intake_main(void *arg)
{
	struct intake *in = arg;
	struct intake_item *list;

	pthread_mutex_lock(&in->lock);
	for (;;) {
		while (in->head == NULL && !in->stopping)
			pthread_cond_wait(&in->wake, &in->lock);
		if (in->head == NULL)
			break;
		list = in->head;
		in->head = NULL;
		in->tail = &in->head;
		pthread_mutex_unlock(&in->lock);
		/*
		 * What arrives while a batch commits waits for the next one: that
		 * is where the batches come from, without a timer.
		 */
		while (list != NULL)
			list = intake_commit(in, list);
		pthread_mutex_lock(&in->lock);
	}
	pthread_mutex_unlock(&in->lock);
	return NULL;
}

struct intake *
intake_new(struct store *st, intake_queued_fn queued, void *ctx)
{
	struct intake *in = xcalloc(1, sizeof *in);

	in->st = st;
	in->queued = queued;
	in->queued_ctx = ctx;
	in->tail = &in->head;
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->wake, NULL);
	if (pthread_create(&in->thread, NULL, intake_main, in) == 0)
		in->running = 1;
	else
		in->stopping = 1; /* every submission commits on its own thread */
	return in;
}

void
intake_submit(struct intake *in, struct intake_item *item)
{
	item->next = NULL;
	pthread_mutex_lock(&in->lock);
	if (in->stopping) {
		pthread_mutex_unlock(&in->lock);
		intake_commit(in, item);
		return;
	}
	*in->tail = item;
	in->tail = &item->next;
	pthread_cond_signal(&in->wake);
	pthread_mutex_unlock(&in->lock);
}

void
intake_stop(struct intake *in)
{
	pthread_mutex_lock(&in->lock);
	in->stopping = 1;
	pthread_cond_signal(&in->wake);
	pthread_mutex_unlock(&in->lock);
	if (in->running)
		pthread_join(in->thread, NULL);
	in->running = 0;
}

void
intake_free(struct intake *in)
{
	if (in == NULL)
		return;
	intake_stop(in);
	pthread_cond_destroy(&in->wake);
	pthread_mutex_destroy(&in->lock);
	free(in);
}
