/*
 * outbox: tells the forge (status key) and the team (notify_url) how each
 * deployment goes. Workers queue an event as a row of the database
 * (outbox_event); one thread delivers the rows with libcurl, in order per
 * deployment and target, and retries a failure with backoff (1 s, doubling
 * to 5 min, OUTBOX_ATTEMPTS times), across restarts too. A deployment
 * never waits for a delivery and never fails because of one; each
 * attempt's outcome is kept in the row for the API and the dashboard. The
 * URLs (a Slack webhook's holds its secret) and tokens are never logged.
 */
#ifndef TURNOUT_OUTBOX_H
#define TURNOUT_OUTBOX_H

#include <stdint.h>

#include "conf.h"
#include "store.h"

/* Attempts before a row is given up as failed. */
#define OUTBOX_ATTEMPTS 10

struct outbox;

/* Starts the delivery thread; cfg and st are borrowed and must outlive it. */
struct outbox *outbox_start(const struct config *cfg, struct store *st);
/* A reload: rows are delivered with cfg's apps from now on (borrowed, must outlive ob). */
void outbox_reload(struct outbox *ob, const struct config *cfg);
/* Stops the thread after the attempt it makes, if any; frees ob. NULL is a no-op. */
void outbox_stop(struct outbox *ob);

/*
 * Queues event (started, succeeded, failed, rolled_back, cancelled,
 * interrupted) of deployment for each target app has: the forge when its
 * status key is set, notify_url when set. Any thread; a failure to store
 * it is logged, never returned: the deployment goes on.
 */
void outbox_event(struct store *st, const struct app_config *app, int64_t deployment,
    const char *event);

#endif
