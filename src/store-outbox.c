/*
 * The outbox: what is to be told about deployments (see outbox.h), one
 * row per event and target, delivered in order per deployment and target.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "clock.h"
#include "db.h"
#include "store.h"
#include "banned.h"

#define OUTBOX_COLUMNS \
	"o.id, o.deployment, o.app, o.target, o.event, o.state, o.attempts, o.next_at," \
	" coalesce(o.last_status, -1), o.last_error, o.forge_id, o.created_at," \
	" coalesce(o.delivered_at, 0)"

/* A db_rows fill: the struct store_outbox elem from OUTBOX_COLUMNS. */
static void
outbox_from_row(sqlite3_stmt *stmt, void *elem)
{
	struct store_outbox *o = elem;

	o->id = sqlite3_column_int64(stmt, 0);
	o->deployment = sqlite3_column_int64(stmt, 1);
	o->app = db_column_text(stmt, 2);
	o->target = db_column_text(stmt, 3);
	o->event = db_column_text(stmt, 4);
	o->state = db_column_text(stmt, 5);
	o->attempts = sqlite3_column_int(stmt, 6);
	o->next_at = sqlite3_column_int64(stmt, 7);
	o->last_status = sqlite3_column_int(stmt, 8);
	o->last_error = db_column_text(stmt, 9);
	o->forge_id = db_column_text(stmt, 10);
	o->created_at = sqlite3_column_int64(stmt, 11);
	o->delivered_at = sqlite3_column_int64(stmt, 12);
}

int
store_outbox_add(struct store *st, int64_t deployment, const char *app, const char *target,
    const char *event)
{
	int64_t now = clock_real_ms();

	return db_do(st,
	    "INSERT INTO outbox (deployment, app, target, event, next_at, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?)",
	    "isssii", deployment, app, target, event, now, now);
}

int
store_outbox_next(struct store *st, int64_t now, struct store_outbox *o)
{
	struct store_outbox *rows;
	int n;

	memset(o, 0, sizeof *o);
	/* A row waits for the earlier ones of its deployment and target: order is kept. */
	rows = db_rows(st, sizeof *rows, outbox_from_row, &n,
	    "SELECT " OUTBOX_COLUMNS " FROM outbox o WHERE o.state = 'pending' AND o.next_at <= ?"
	    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.deployment = o.deployment"
	    " AND p.target = o.target AND p.state = 'pending' AND p.id < o.id)"
	    " ORDER BY o.next_at, o.id LIMIT 1",
	    "i", now);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	*o = rows[0];
	free(rows);
	return 1;
}

int64_t
store_outbox_soonest(struct store *st)
{
	return db_int(st, 0, "SELECT min(next_at) FROM outbox WHERE state = 'pending'", "");
}

int
store_outbox_attempted(struct store *st, int64_t id, const char *state, int attempts,
    int64_t next_at, int status, const char *error, const char *forge_id)
{
	return db_do(st,
	    "UPDATE outbox SET state = ?, attempts = ?, next_at = ?, last_status = nullif(?, -1),"
	    " last_error = ?, forge_id = coalesce(?, forge_id),"
	    " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?",
	    "siiisssii", state, (int64_t)attempts, next_at, (int64_t)status, error, forge_id, state,
	    clock_real_ms(), id);
}

char *
store_outbox_forge_id(struct store *st, int64_t deployment)
{
	struct store_outbox *rows;
	char *id = NULL;
	int n;

	rows = db_rows(st, sizeof *rows, outbox_from_row, &n,
	    "SELECT " OUTBOX_COLUMNS " FROM outbox o WHERE o.deployment = ? AND o.target = 'forge'"
	    " AND o.forge_id IS NOT NULL ORDER BY o.id LIMIT 1",
	    "i", deployment);
	if (n == 1) {
		id = rows[0].forge_id;
		rows[0].forge_id = NULL;
	}
	store_outbox_free(rows, n);
	return id;
}

int
store_outbox_list(struct store *st, int64_t deployment, struct store_outbox **rows)
{
	int n;

	*rows = db_rows(st, sizeof **rows, outbox_from_row, &n,
	    "SELECT " OUTBOX_COLUMNS " FROM outbox o WHERE o.deployment = ? ORDER BY o.id", "i",
	    deployment);
	return n;
}

void
store_outbox_release(struct store_outbox *o)
{
	free(o->app);
	free(o->target);
	free(o->event);
	free(o->state);
	free(o->last_error);
	free(o->forge_id);
	memset(o, 0, sizeof *o);
}

void
store_outbox_free(struct store_outbox *rows, int n)
{
	for (int i = 0; i < n; i++)
		store_outbox_release(&rows[i]);
	free(rows);
}
