/* drain: waiting for a color's connections to end before its stop (see drain.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "drain.h"
#include "switch.h"
#include "banned.h"

enum drain_end
drain_wait(const struct app_config *app, const char *color, int64_t since_ms, drain_stop_fn stop,
    void *ctx, struct drain_result *r)
{
	int64_t t0 = clock_mono_ms(), deadline = since_ms + app->drain_timeout * 1000LL, now;
	char *cause = NULL;
	int n;

	r->timeout = app->drain_timeout;
	r->cause[0] = '\0';
	r->ms = 0;
	n = switch_connections(app, color, &cause);
	r->at_start = r->left = n;
	if (n < 0) {
		snprintf(r->cause, sizeof r->cause, "%s", cause);
		free(cause);
		return r->end = DRAIN_BLIND;
	}
	for (now = t0; n > 0; now = clock_mono_ms()) {
		if (now >= deadline) {
			r->end = DRAIN_TIMED_OUT;
			goto out;
		}
		if (stop != NULL && stop(ctx)) {
			r->end = DRAIN_STOPPED;
			goto out;
		}
		/* 10 ms for the first 200 ms, then 50 ms, after 2 s every 100 ms. */
		usleep(now - t0 < 200 ? 10000 : now - t0 < 2000 ? 50000 : 100000);
		n = switch_connections(app, color, &cause);
		if (n < 0) {
			/* Lost sight mid-way: treat it as still open until the end. */
			free(cause);
			cause = NULL;
			n = r->left;
		}
		r->left = n;
	}
	r->end = DRAIN_EMPTY;
out:
	r->ms = clock_mono_ms() - t0;
	return r->end;
}

const char *
drain_end_name(enum drain_end end)
{
	static const char *const names[] = { "empty", "timed_out", "stopped", "blind" };

	return (unsigned)end < sizeof names / sizeof names[0] ? names[end] : "blind";
}

const char *
drain_describe(const struct drain_result *r, const char *color, char *buf, size_t size)
{
	const char *s = r->at_start == 1 ? "" : "s";

	switch (r->end) {
	case DRAIN_BLIND:
		snprintf(buf, size, "cannot count the connections of %s (%s): not waiting for them",
		    color, r->cause);
		break;
	case DRAIN_EMPTY:
		if (r->at_start == 0)
			snprintf(buf, size, "%s has no open connections", color);
		else
			snprintf(buf, size, "%s drained: %d open connection%s closed after %lld ms",
			    color, r->at_start, s, r->ms);
		break;
	case DRAIN_TIMED_OUT:
		if (r->timeout == 0) {
			snprintf(buf, size,
			    "drain_timeout is 0: not waiting for the %d open connection%s"
			    " of %s",
			    r->at_start, s, color);
			break;
		}
		snprintf(buf, size,
		    "drain ran out: %s still has %d of %d connection%s after"
		    " drain_timeout (%d s, waited %lld ms); stopping it cuts them",
		    color, r->left, r->at_start, s, r->timeout, r->ms);
		break;
	case DRAIN_STOPPED:
	default:
		snprintf(buf, size,
		    "stopped waiting for %s after %lld ms with %d of %d connection%s"
		    " open",
		    color, r->ms, r->left, r->at_start, s);
		break;
	}
	return buf;
}
