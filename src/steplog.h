/*
 * A deployment's record while it runs: its log lines, stored in batches
 * with the repo's secrets masked; its step rows; why it stopped early; and
 * the polls that notice a cancel from the API or the daemon's shutdown.
 */
#ifndef TURNOUT_STEPLOG_H
#define TURNOUT_STEPLOG_H

#include <stdint.h>

#include "store.h"

/* Why a deployment stopped early; the order is the precedence. */
enum steplog_stop {
	STEPLOG_RUNNING, /* it did not */
	STEPLOG_FAILED,
	STEPLOG_CANCELLED,
	STEPLOG_INTERRUPTED, /* the daemon shuts down */
};

/*
 * A record for deployment id of app (borrowed: both outlive it) in st.
 * stopping is the daemon's shutdown flag, borrowed and polled. Returns a
 * new steplog; steplog_free stores what is still buffered.
 */
struct steplog *steplog_new(struct store *st, const char *app, int64_t id,
    const volatile int *stopping);
void steplog_free(struct steplog *log);

/* Masks secret (copied; NULL is ignored) as *** in every line from now on. */
void steplog_mask(struct steplog *log, const char *secret);

/* turnout's own line in the log (and the daemon's log at debug level). */
void steplog_note(struct steplog *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* text with every masked secret as ***; a new string the caller frees. */
char *steplog_masked(const struct steplog *log, const char *text);

/* A line a command printed, on stdout or (err) stderr; masked. */
void steplog_line(struct steplog *log, int err, const char *text);

/* Stores the buffered lines now. */
void steplog_flush(struct steplog *log);

/* Stores the buffered lines when they have waited long: a live log while waiting. */
void steplog_tick(struct steplog *log);

/*
 * Begins step name (a static string): its row and the lines buffered so
 * far go in one commit.
 */
void steplog_begin(struct steplog *log, const char *name);

/* Ends the current step with status ("succeeded", ...) and detail (or NULL). */
void steplog_end(struct steplog *log, const char *status, const char *detail);

/*
 * Fails the current step with a reason: it ends 'failed' (or 'cancelled'
 * after a cancel), the deployment stops, and the first reason is what
 * steplog_error says. Returns -1.
 */
int steplog_fail(struct steplog *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds ms to the time the current step spent inside operator commands. */
void steplog_add_ms(struct steplog *log, long long ms);

/*
 * Polled while waiting: returns 1, and records why, when the daemon shuts
 * down or a cancel of the deployment was requested (asked of the database
 * at most every 200 ms); stores lines that waited long on the way.
 */
int steplog_cancelled(struct steplog *log);

/* Returns 1 when the daemon shuts down. */
int steplog_stopping(const struct steplog *log);

/* Why the deployment stopped, so far. */
enum steplog_stop steplog_stopped(const struct steplog *log);

/* Sets why it stopped: a rollback that goes on after a failure sets RUNNING. */
void steplog_set_stopped(struct steplog *log, enum steplog_stop stop);

/* Forgets a failure's step and reason, for a deployment that starts over. */
void steplog_forget(struct steplog *log);

/* The first failure's reason, or NULL; borrowed. */
const char *steplog_error(const struct steplog *log);

/* The step that failed first (not cancelled), or NULL; static. */
const char *steplog_failed_step(const struct steplog *log);

/* The current step's name, or "?" between steps; static. */
const char *steplog_step(const struct steplog *log);

#endif
