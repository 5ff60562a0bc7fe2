/*
 * The durable state: one SQLite database in WAL mode with synchronous=FULL,
 * so a committed row survives a crash or power loss. The schema comes from
 * sql/NNN-*.sql, applied in order at open (PRAGMA user_version).
 *
 * A struct store is one connection guarded by a mutex: threads may share
 * it. Strings passed in are borrowed.
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

/* Returns 0 when the database answers a query, -1 otherwise. */
int store_ping(struct store *st);

/* Returns the time now in milliseconds since the epoch. */
int64_t store_now(void);

/* A deployment to queue; NULL fields are stored as NULL. */
struct store_request {
	const char *app;
	const char *kind;	/* push, manual, redeploy, rollback */
	const char *commit;
	const char *ref;
	const char *sender;
	const char *delivery;	/* de-duplication key; NULL: none */
	const char *author;
	const char *message;
};

enum store_enqueue {
	STORE_QUEUED,		/* *id is the new deployment */
	STORE_DUPLICATE,	/* *id is the deployment of the earlier delivery */
	STORE_FAILED,		/* *cause says why */
};

/*
 * Queues a deployment and records its delivery id, in one transaction that
 * is durable when this returns STORE_QUEUED. Older queued deployments of the
 * app end 'superseded' in the same transaction: only the newest waits.
 */
enum store_enqueue store_enqueue(struct store *st, const struct store_request *req,
    int64_t *id, char **cause);

/* Returns how many deployments exist (all apps, all states); -1 on error. */
int64_t store_count_deployments(struct store *st);

#endif
