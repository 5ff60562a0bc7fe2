/*
 * The JSON API under /api/ (SPEC §7): bearer-token auth, then deployments
 * queued, cancelled and read through store.
 */
#ifndef TURNOUT_API_H
#define TURNOUT_API_H

#include <stddef.h>

#include <microhttpd.h>

#include "conf.h"
#include "hookstats.h"
#include "session.h"
#include "store.h"

/* Called after a deployment of app was queued, to wake its worker. */
typedef void (*api_queued_fn)(void *ctx, const char *app);

struct api {
	const struct config *cfg;
	struct store *st;
	/*
	 * A connection of its own for /metrics: a scrape reads the whole
	 * history (seconds at 100,000 deployments), and on st it would hold
	 * up every webhook meanwhile. In WAL mode it reads beside the writes.
	 */
	struct store *scrapes;
	struct sessions *sessions; /* dashboard logins */
	api_queued_fn queued;
	void *queued_ctx;
	struct hookstats *hooks; /* the webhook answers, for /metrics; may be NULL */
};

/*
 * Once deployment id of app is stored: wakes app's worker and answers 202
 * with {"deployment": ID, "status": "queued", "url": ...}: the API's
 * deploy, redeploy and rollback. The hook route answers with
 * api_reply_accepted, intake having woken the worker once for its batch.
 */
enum MHD_Result api_accepted(const struct api *api, struct MHD_Connection *c, const char *app,
    int64_t id);
/* The same answer without the wake: for intake's batches, which wake each worker once. */
enum MHD_Result api_reply_accepted(struct MHD_Connection *c, int64_t id);

/* The most a JSON request body may hold. */
#define API_MAX_BODY 65536

/* The cookie that carries a dashboard session. */
#define API_COOKIE "turnout_session"
/* Most history rows one page may ask for. */
#define API_PAGE_MAX 100
/* Most log lines one read returns. */
#define API_LOG_MAX 2000

/*
 * Answers one complete request to a URL under /api/. body may be NULL.
 * Auth: "Authorization: Bearer TOKEN", or a session cookie whose POSTs
 * carry its X-CSRF-Token; GETs need neither with public_status = yes.
 */
enum MHD_Result api_handle(const struct api *api, struct MHD_Connection *c, const char *method,
    const char *url, const char *body, size_t len);

#endif
