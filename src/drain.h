/*
 * Waiting for a color that traffic left to finish what it serves before it
 * is stopped: slow requests, streams, WebSockets. The connections are
 * counted by switch_connections (the kernel's view, or HAProxy's), so the
 * drain needs no help from the proxy or the app.
 */
#ifndef TURNOUT_DRAIN_H
#define TURNOUT_DRAIN_H

#include <stdint.h>

#include "conf.h"

enum drain_end {
	DRAIN_EMPTY,     /* no connection left */
	DRAIN_TIMED_OUT, /* drain_timeout passed with connections open */
	DRAIN_STOPPED,   /* the caller's stop function ended the wait */
	DRAIN_BLIND,     /* the connections could not be counted */
};

/* What a drain saw, for the log. */
struct drain_result {
	enum drain_end end;
	int at_start;    /* connections when the wait began, -1 when blind */
	int left;        /* connections when it ended */
	long long ms;    /* how long it waited */
	int timeout;     /* the drain_timeout it obeyed, in seconds */
	char cause[160]; /* DRAIN_BLIND: why counting failed */
};

/*
 * A drain one deployment of an app hands to the next: with keep_old = no,
 * a retire that was still waiting when a newer deployment was queued lets
 * that one fetch and build meanwhile; its start step, the one that stops
 * the color, goes on waiting from since_ms. One per app, owned by its
 * worker; color NULL when nothing is handed on.
 */
struct drain_handover {
	const char *color; /* static "blue" / "green", or NULL */
	int64_t since_ms;  /* when the drain began (clock_mono_ms) */
	int64_t from;      /* the deployment that began it */
};

/* Asked between counts; returning non-zero ends the wait (DRAIN_STOPPED). */
typedef int (*drain_stop_fn)(void *ctx);

/*
 * Waits until color of app has no connections left, or until
 * app->drain_timeout seconds after since_ms (clock_mono_ms; a drain handed
 * on from an earlier deployment keeps its start), or until stop(ctx) says
 * so. drain_timeout 0 counts once and does not wait. Polls often at first
 * (most requests end within milliseconds), then every 100 ms. Returns
 * r->end.
 */
enum drain_end drain_wait(const struct app_config *app, const char *color, int64_t since_ms,
    drain_stop_fn stop, void *ctx, struct drain_result *r);

/* "empty", "timed_out", "stopped" or "blind": end as stored (drains.result). */
const char *drain_end_name(enum drain_end end);

/*
 * Writes one line for the deployment's log into buf: how many connections
 * were open when the drain began, how long it took, whether it ran out.
 * Returns buf.
 */
const char *drain_describe(const struct drain_result *r, const char *color, char *buf, size_t size);

#endif
