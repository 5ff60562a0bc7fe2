/*
 * Freezes: an app whose deployments wait (turnout freeze) until it is
 * unfrozen or its until passes. store_claim reads the same table, so a
 * freeze committed before a claim holds that claim.
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

int
store_freeze(struct store *st, const char *app, const char *reason, const char *by, int64_t until)
{
	return db_do(st,
	    "INSERT OR REPLACE INTO freezes (app, reason, frozen_by, since, until)"
	    " VALUES (?, ?, ?, ?, nullif(?, 0))",
	    "sssii", app, reason, by, clock_real_ms(), until);
}

/* A db_each row of (reason, frozen_by, since, until): fills the struct store_freeze at ctx. */
static int
freeze_row(sqlite3_stmt *stmt, void *ctx)
{
	struct store_freeze *f = ctx;

	f->reason = db_column_text(stmt, 0);
	f->by = db_column_text(stmt, 1);
	f->since = sqlite3_column_int64(stmt, 2);
	f->until = sqlite3_column_int64(stmt, 3);
	return 1;
}

int
store_get_freeze(struct store *st, const char *app, struct store_freeze *f)
{
	int rc;

	memset(f, 0, sizeof *f);
	rc = db_each(st, freeze_row, f,
	    "SELECT reason, frozen_by, since, coalesce(until, 0) FROM freezes WHERE app = ?", "s",
	    app);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_freeze_holds(const struct store_freeze *f, int64_t now)
{
	return f->until == 0 || f->until > now;
}

int
store_unfreeze(struct store *st, const char *app, int64_t since)
{
	if (since == 0)
		return db_do(st, "DELETE FROM freezes WHERE app = ?", "s", app);
	/* Only the freeze that was read: one set again meanwhile stays. */
	return db_do(st, "DELETE FROM freezes WHERE app = ? AND since = ?", "si", app, since);
}

void
store_freeze_release(struct store_freeze *f)
{
	free(f->reason);
	free(f->by);
	memset(f, 0, sizeof *f);
}
