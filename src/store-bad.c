/*
 * Bad releases: the commits of an app whose deployment failed, which a
 * rollback does not go back to until a later success clears the mark.
 */
#include "config.h"

#include <stddef.h>

#include <sqlite3.h>

#include "clock.h"
#include "db.h"
#include "store.h"
#include "banned.h"

int
store_mark_bad(struct store *st, const char *app, const char *commit, int64_t deployment,
    const char *reason)
{
	return db_do(st,
	    "INSERT OR REPLACE INTO bad_releases (app, commit_sha, deployment,"
	    " reason, marked_at) VALUES (?, ?, ?, ?, ?)",
	    "ssisi", app, commit, deployment, reason, clock_real_ms());
}

int
store_unmark_bad(struct store *st, const char *app, const char *commit)
{
	return db_do(st, "DELETE FROM bad_releases WHERE app = ? AND commit_sha = ?", "ss", app,
	    commit);
}

int
store_was_live(struct store *st, const char *app, const char *commit)
{
	return (int)db_int(st, 0,
	    "SELECT 1 FROM deployments WHERE app = ? AND commit_sha = ?"
	    " AND status = 'succeeded' LIMIT 1",
	    "ss", app, commit);
}

int
store_is_bad(struct store *st, const char *app, const char *commit)
{
	return (int)db_int(st, 0, "SELECT 1 FROM bad_releases WHERE app = ? AND commit_sha = ?",
	    "ss", app, commit);
}

/* A db_each row: copies the first column into the char * at ctx, and stops. */
static int
text_row(sqlite3_stmt *stmt, void *ctx)
{
	*(char **)ctx = db_column_text(stmt, 0);
	return 1;
}

char *
store_last_good_commit(struct store *st, const char *app, const char *except)
{
	char *commit = NULL;

	db_each(st, text_row, &commit,
	    "SELECT d.commit_sha FROM deployments d WHERE d.app = ?"
	    " AND d.status = 'succeeded' AND d.commit_sha IS NOT NULL"
	    " AND d.commit_sha IS NOT ? AND NOT EXISTS (SELECT 1 FROM bad_releases b"
	    " WHERE b.app = d.app AND b.commit_sha = d.commit_sha)"
	    " ORDER BY d.id DESC LIMIT 1",
	    "ss", app, except);
	return commit;
}
