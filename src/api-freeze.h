/*
 * The freeze routes of the API (SPEC §9): POST /api/apps/APP/freeze with
 * {"reason": TEXT, "until": TIME, "by": WHO} and POST
 * /api/apps/APP/unfreeze, and the "frozen" member of an app in /api/apps.
 * Used by api.c only.
 */
#ifndef TURNOUT_API_FREEZE_H
#define TURNOUT_API_FREEZE_H

#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api.h"

/* The longest reason and "by" a freeze may have, in bytes. */
#define API_REASON_MAX 200
#define API_BY_MAX 64

/*
 * Freezes app. from_dashboard: the request came with a session, and is
 * recorded as the dashboard's whatever "by" says. Answers 200 with
 * {"app": APP, "frozen": {...}}, or 400 with what to send.
 */
enum MHD_Result api_freeze(const struct api *api, struct MHD_Connection *c, const char *app,
    const char *body, size_t len, int from_dashboard);

/* Unfreezes app: 200 with {"app": APP, "frozen": null, "was": {...} or null}. */
enum MHD_Result api_unfreeze(const struct api *api, struct MHD_Connection *c, const char *app);

/*
 * app's freeze as {"reason", "by", "since", "until"} (times in ms since
 * the epoch, until null when it has none), or null when app is not frozen
 * (a freeze whose until has passed holds nothing: null too).
 */
json_t *api_freeze_json(const struct api *api, const char *app);

#endif
