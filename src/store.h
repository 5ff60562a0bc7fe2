/*
 * The durable state: one SQLite database in WAL mode with synchronous=FULL,
 * so a committed row survives a crash or power loss. The schema comes from
 * sql/NNN-*.sql, applied in order at open (PRAGMA user_version).
 *
 * A struct store is one connection guarded by a mutex: threads may share
 * it. Strings passed in are borrowed.
 *
 * Behind this one header: db.c (the connection, migrations, durability),
 * store-queue.c (deployments: the queue and its reads), store-app.c (the
 * apps table), store-log.c (steps, log lines, drains), store-bad.c (bad
 * releases), store-freeze.c (frozen apps) and store-outbox.c (what is to be
 * told about deployments).
 */
#ifndef TURNOUT_STORE_H
#define TURNOUT_STORE_H

#include <stdint.h>

struct store;

/*
 * Opens (creating if needed) the database at path and migrates it. Returns
 * NULL and sets *cause to a new string the caller frees on failure.
 */
struct store *store_open(const char *path, char **cause);
void store_close(struct store *st);

/* Returns the schema version the database is at. */
int store_version(struct store *st);
/* Returns PRAGMA synchronous: 2 (FULL) whenever no progress write runs. */
int store_synchronous(struct store *st);

/* Returns 0 when the database answers a query, -1 otherwise. */
int store_ping(struct store *st);

/* A deployment to queue; NULL fields are stored as NULL. */
struct store_request {
	const char *app;
	const char *kind; /* push, manual, redeploy, rollback */
	const char *commit;
	const char *ref;
	const char *sender;
	const char *delivery; /* de-duplication key; NULL: none */
	const char *author;
	const char *message;
};

enum store_enqueue {
	STORE_QUEUED,    /* *id is the new deployment */
	STORE_DUPLICATE, /* *id is the deployment of the earlier delivery */
	STORE_FAILED,    /* *cause says why */
};

/*
 * Queues a deployment and records its delivery id, in one transaction that
 * is durable when this returns STORE_QUEUED. Older queued deployments of the
 * app end 'superseded' in the same transaction: only the newest waits.
 */
enum store_enqueue store_enqueue(struct store *st, const struct store_request *req, int64_t *id,
    char **cause);

/* What became of one request of a batch; cause is new (STORE_FAILED only), the caller frees it. */
struct store_queued {
	enum store_enqueue result;
	int64_t id;
	char *cause;
};

/*
 * Queues n deployments as store_enqueue does, in one transaction and so
 * one fsync (group commit): out[i] says what became of reqs[i]. When a
 * request's own values fail the transaction, each request is tried again
 * in one of its own, so it costs only itself; when the database fails it
 * (busy, the disk), every request fails at once. Requests are handled in
 * order, so a delivery given twice in one batch is a duplicate of the
 * first. Returns how many are STORE_FAILED.
 */
int store_enqueue_batch(struct store *st, const struct store_request *const *reqs,
    struct store_queued *out, int n);

/* One deployment row; every string is owned and freed by store_deployment_release. */
struct store_deployment {
	int64_t id;
	char *app;
	char *kind;
	char *status;
	char *commit; /* NULL until fetch resolves the branch head */
	char *ref;
	char *sender;
	char *author;
	char *message;
	char *color; /* the color it was deployed to, or NULL */
	char *error;
	int64_t created_at;
	int64_t started_at; /* 0: not yet */
	int64_t finished_at;
	int bad; /* its commit is marked as a bad release */
};
void store_deployment_release(struct store_deployment *d);

/* Reads deployment id into *d. Returns 0, 1 when there is none, -1 on error. */
int store_get_deployment(struct store *st, int64_t id, struct store_deployment *d);

/* What an app serves; index 0 is blue, 1 is green. Strings owned, may be NULL. */
struct store_app {
	char *active_color;
	char *live_commit;
	int64_t live_deployment;
	int64_t since;
	char *commit[2];  /* what each color was last started with */
	char *release[2]; /* and from which release dir */
	int running[2];   /* 1 started, 0 stopped since, -1 not known */
};
void store_app_release(struct store_app *a);
/*
 * What color i (0 blue, 1 green) of a runs: "live" (the proxy sends it
 * traffic), "warm" (runs, not live), "stopped", or "empty" (never started).
 */
const char *store_color_state(const struct store_app *a, int i);

/* Makes sure the app has a row. */
int store_app_ensure(struct store *st, const char *app);
/* Reads the app's row; returns 0, or -1 (also when there is none). */
int store_get_app(struct store *st, const char *app, struct store_app *a);
/* Records that color now runs commit from release (after a start). */
int store_set_color(struct store *st, const char *app, const char *color, const char *commit,
    const char *release);
/* Records that color was stopped (its commit and release stay, for a redeploy). */
int store_set_stopped(struct store *st, const char *app, const char *color);
/* Records that the proxy now sends app's traffic to color. */
int store_set_live(struct store *st, const char *app, const char *color, const char *commit,
    int64_t deployment);

/*
 * At start: every deployment left 'running' becomes 'interrupted', and
 * the outbox gets an interrupted event for each target told it started.
 * Returns how many, or -1.
 */
int store_recover(struct store *st);

/*
 * Takes the newest queued deployment of app and marks it running; older
 * queued ones end 'superseded'. A progress commit (see store_step_begin).
 * Returns 1 with *d filled, 0 when nothing waits or app is frozen, -1 on
 * error.
 */
int store_claim(struct store *st, const char *app, struct store_deployment *d);

/* Sets the commit a deployment resolved (deploy of the branch head). */
int store_set_commit(struct store *st, int64_t id, const char *commit);
/* Ends a deployment with status and (NULL or) an error; color may be NULL. */
int store_finish(struct store *st, int64_t id, const char *status, const char *color,
    const char *error);

/* Returns 1 when a cancel was asked for the deployment, else 0. */
int store_cancel_requested(struct store *st, int64_t id);
/*
 * Asks to cancel: a queued deployment ends 'cancelled' at once; a running
 * one is flagged for its worker. Returns 0, 1 when it is neither queued
 * nor running, 2 when there is no such deployment, -1 on error.
 */
int store_request_cancel(struct store *st, int64_t id);

/* One line of a deployment's log. */
struct store_line {
	int64_t ts;
	const char *stream; /* out, err, turnout */
	const char *text;
};
/* Appends lines in one transaction (a progress commit, see below). */
int store_log(struct store *st, int64_t deployment, const struct store_line *lines, size_t n);

/*
 * Step rows, each written in one transaction with the log lines buffered
 * before it (lines may be NULL when n is 0). These progress commits, and
 * store_log's, skip their own fsync; the next ordinary commit (all others
 * are synchronous=FULL) makes them durable.
 */
/* Stores lines, then starts a step; returns its id, or -1. */
int64_t store_step_begin(struct store *st, int64_t deployment, const char *name,
    const struct store_line *lines, size_t n);
/*
 * Stores lines, then ends step (when >= 0) with status (succeeded, failed,
 * ...), a detail or NULL, and the milliseconds it spent inside the
 * operator's commands.
 */
int store_step_end(struct store *st, int64_t deployment, int64_t step, const char *status,
    const char *detail, long long command_ms, const struct store_line *lines, size_t n);

/*
 * Records a drain of color before a stop, in step of deployment: result
 * "empty", "timed_out", "stopped" or "blind", the connections open when it
 * began (-1: could not count) and at its end, how long it waited and the
 * drain_timeout it obeyed.
 */
int store_drain(struct store *st, int64_t deployment, const char *app, const char *color,
    const char *step, const char *result, int open_at_start, int open_at_end, long long waited_ms,
    int timeout_s);

/* Marks a commit as a bad release of app, with the reason. */
int store_mark_bad(struct store *st, const char *app, const char *commit, int64_t deployment,
    const char *reason);
/* Clears the mark: the commit has since been deployed with success. */
int store_unmark_bad(struct store *st, const char *app, const char *commit);
/* Returns 1 when a deployment of commit to app ever succeeded, else 0. */
int store_was_live(struct store *st, const char *app, const char *commit);
/* Returns 1 when the commit is marked bad for app, else 0. */
int store_is_bad(struct store *st, const char *app, const char *commit);
/*
 * Finds the commit of the newest succeeded deployment of app that is not a
 * bad release and differs from except. Returns a new string or NULL.
 */
char *store_last_good_commit(struct store *st, const char *app, const char *except);

/* A freeze of an app; strings owned, freed by store_freeze_release. */
struct store_freeze {
	char *reason;
	char *by;      /* who asked */
	int64_t since; /* ms since the epoch */
	int64_t until; /* ms since the epoch; 0: until unfrozen */
};
void store_freeze_release(struct store_freeze *f);
/*
 * Freezes app (again: a freeze it has is replaced) from now until until
 * (ms since the epoch, 0: until unfrozen). While it holds, store_claim
 * starts none of app's deployments; they queue as usual.
 */
int store_freeze(struct store *st, const char *app, const char *reason, const char *by,
    int64_t until);
/*
 * Reads app's freeze, also one whose until has passed (it holds nothing
 * any more). Returns 1 with *f filled, 0 when app has none, -1 on error.
 */
int store_get_freeze(struct store *st, const char *app, struct store_freeze *f);
/* 1 when freeze f still holds at now (ms since the epoch): no until, or one ahead. */
int store_freeze_holds(const struct store_freeze *f, int64_t now);
/* Ends app's freeze; with since not 0, only the freeze set at since. */
int store_unfreeze(struct store *st, const char *app, int64_t since);

/* One row of the outbox (see outbox.h); strings owned, freed by store_outbox_release. */
struct store_outbox {
	int64_t id;
	int64_t deployment;
	char *app;
	char *target; /* forge, notify */
	char *event;  /* started, succeeded, failed, rolled_back, cancelled, interrupted */
	char *state;  /* pending, delivered, failed */
	int attempts;
	int64_t next_at;  /* ms since the epoch */
	int last_status;  /* HTTP status of the last attempt, 0: no answer, -1: none yet */
	char *last_error; /* why the last attempt failed, or NULL */
	char *forge_id;   /* what the forge gave back, or NULL */
	int64_t created_at;
	int64_t delivered_at; /* 0: not yet */
};
void store_outbox_release(struct store_outbox *o);
void store_outbox_free(struct store_outbox *rows, int n);
/* Queues event of deployment for target ("forge" or "notify"), due now. */
int store_outbox_add(struct store *st, int64_t deployment, const char *app, const char *target,
    const char *event);
/*
 * Reads the oldest pending row due at now whose earlier rows of the same
 * deployment and target are no longer pending. Returns 1 with *o filled,
 * 0 when none is due, -1 on error.
 */
int store_outbox_next(struct store *st, int64_t now, struct store_outbox *o);
/* When the next pending row is due (ms since the epoch), 0 when none is pending. */
int64_t store_outbox_soonest(struct store *st);
/*
 * Records an attempt at row id: its new state, attempts, when it is due
 * next, the HTTP status (0: no answer, -1: no attempt yet), the error
 * (NULL: none) and, when not NULL, what the forge gave back.
 */
int store_outbox_attempted(struct store *st, int64_t id, const char *state, int attempts,
    int64_t next_at, int status, const char *error, const char *forge_id);
/* The forge_id an earlier row of deployment got (its GitHub Deployment), new, or NULL. */
char *store_outbox_forge_id(struct store *st, int64_t deployment);
/* Reads the rows of deployment in order into a new array; returns the count or -1. */
int store_outbox_list(struct store *st, int64_t deployment, struct store_outbox **rows);

/* One step of a deployment; strings owned. */
struct store_step {
	char *name;
	char *status;
	char *detail;
	int64_t started_at;
	int64_t finished_at; /* 0: still running */
	int64_t command_ms;  /* time inside the operator's commands */
};
/* Reads a deployment's steps in order into a new array; returns the count or -1. */
int store_get_steps(struct store *st, int64_t id, struct store_step **steps);
void store_steps_free(struct store_step *steps, int n);

/* How many deployments of app wait, and which one runs (0: none). */
int store_app_queue(struct store *st, const char *app, int64_t *queued, int64_t *running);

/*
 * Reads up to limit deployments of app, newest first, with ids below
 * before (0: from the newest). Returns the count (the array is new, freed
 * with store_deployments_free) or -1.
 */
int store_list_deployments(struct store *st, const char *app, int64_t before, int limit,
    struct store_deployment **list);
void store_deployments_free(struct store_deployment *list, int n);

/* One stored log line; text owned. */
struct store_logline {
	int64_t ts;
	char stream[8];
	char *text;
};
/*
 * Reads up to limit log lines of a deployment, skipping the first offset.
 * Returns the count (array new, freed with store_log_free) or -1.
 */
int store_get_log(struct store *st, int64_t id, int64_t offset, int limit,
    struct store_logline **lines);
void store_log_free(struct store_logline *lines, int n);

/*
 * Keeps the database from growing without bound: drops the logs of all but
 * the newest keep deployments of app, and delivery ids older than 30 days
 * (forges do not redeliver that late). *pruned (0 at first) is the caller's
 * mark of how far the app's logs are pruned already: each call reads only
 * the deployments since, not the app's whole history. Returns 0 or -1.
 */
int store_prune(struct store *st, const char *app, int keep, int64_t *pruned);

/* Counts deployments of app by status, for /metrics: calls fn for each pair (store-metrics.c). */
int store_count_by_status(struct store *st,
    void (*fn)(void *ctx, const char *app, const char *status, int64_t n), void *ctx);

/* --- what /metrics reads (store-metrics.c) ------------------------------ */

enum store_metric {
	STORE_METRIC_STARTED,      /* app, kind: deployments that started */
	STORE_METRIC_FINISHED,     /* app, kind, result: deployments that ended */
	STORE_METRIC_ROLLBACKS,    /* app, trigger (automatic, manual), reason */
	STORE_METRIC_CHECKS,       /* app, stage (verify, confirm), result: checks that ended */
	STORE_METRIC_DRAINS,       /* app, result */
	STORE_METRIC_LAST_SUCCESS, /* app: when the last success ended, ms since the epoch */
	STORE_METRIC_OUTBOX,       /* app, target (forge, notify), state: outbox rows */
	STORE_METRIC_BY_STATUS,    /* app, status: deployments now (store_count_by_status) */
};

enum store_histogram {
	STORE_HIST_DEPLOYMENT, /* app, kind, result: from its start to its end */
	STORE_HIST_STEP,       /* app, step, result */
	STORE_HIST_COMMAND,    /* app, step, result: time inside the operator's commands */
	STORE_HIST_SWITCH,     /* app, result: the steps that point the proxy (switch, rollback) */
};

#define STORE_HIST_BOUNDS_MAX 24

/* One series: labels (borrowed for the call, "" for NULL) and its numbers. */
struct store_series {
	const char *label[3];
	int64_t value;     /* a metric's value; a histogram's sum, in ms */
	int64_t count;     /* a histogram's observations */
	const int64_t *le; /* a histogram's cumulative counts, one per bound */
};
typedef void (*store_series_fn)(void *ctx, const struct store_series *s);

/* Calls fn for each series of m. Returns 0, or -1 (logged). */
int store_metric(struct store *st, enum store_metric m, store_series_fn fn, void *ctx);
/* The same for histogram h with n (at most STORE_HIST_BOUNDS_MAX) upper bounds in ms. */
int store_histogram(struct store *st, enum store_histogram h, const int64_t *bounds_ms, size_t n,
    store_series_fn fn, void *ctx);

#endif
