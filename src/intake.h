/*
 * intake: group commit of webhook deployments. Request handlers hand a
 * deployment to queue to intake_submit and go on serving other
 * connections; one thread takes every request waiting, queues them all
 * in one transaction (store_enqueue_batch: one fsync for the lot) and
 * then calls each one's done callback. So a burst of webhooks costs one
 * fsync per batch instead of one each, and every answer still waits for
 * its own row to be durable.
 */
#ifndef TURNOUT_INTAKE_H
#define TURNOUT_INTAKE_H

#include "store.h"

struct intake;

/* A request to queue, owned by the caller until done is called. */
struct intake_item {
	struct store_request req; /* its strings borrowed until done */
	/*
	 * Called once, on the committing thread (or on the caller's, after
	 * intake_stop), with out filled in; out.cause is the callee's to free.
	 * The item is the caller's again from then on.
	 */
	void (*done)(struct intake_item *item, void *ctx);
	void *ctx;
	struct store_queued out;
	struct intake_item *next; /* intake's own */
};

/* Told once per batch for each app with a new queued deployment. */
typedef void (*intake_queued_fn)(void *ctx, const char *app);

/*
 * Starts the committing thread on st (borrowed). After each commit,
 * queued(ctx, app) wakes the worker of each app that got a deployment:
 * once per batch, not once per webhook.
 */
struct intake *intake_new(struct store *st, intake_queued_fn queued, void *ctx);

/*
 * Queues item for the next batch; item->done is called once it is
 * committed or has failed. After intake_stop the request is queued at
 * once on the caller's thread instead.
 */
void intake_submit(struct intake *in, struct intake_item *item);

/*
 * Commits what waits, answers it and ends the thread; later submissions
 * are committed on their caller's thread. Safe to call once.
 */
void intake_stop(struct intake *in);

/* Frees in (stopping it first); NULL is a no-op. */
void intake_free(struct intake *in);

#endif
