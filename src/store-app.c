/*
 * The apps table: one row an app, saying which color the proxy serves and
 * what each color was last started with.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "clock.h"
#include "db.h"
#include "store.h"
#include "banned.h"

void
store_app_release(struct store_app *a)
{
	if (a == NULL)
		return;
	free(a->active_color);
	free(a->live_commit);
	for (int i = 0; i < 2; i++) {
		free(a->commit[i]);
		free(a->release[i]);
	}
	memset(a, 0, sizeof *a);
}

const char *
store_color_state(const struct store_app *a, int i)
{
	static const char *const names[] = { "blue", "green" };

	if (a->active_color != NULL && strcmp(a->active_color, names[i]) == 0)
		return "live";
	if (a->commit[i] == NULL)
		return "empty";
	return a->running[i] == 0 ? "stopped" : "warm";
}

int
store_app_ensure(struct store *st, const char *app)
{
	return db_do(st, "INSERT OR IGNORE INTO apps (name) VALUES (?)", "s", app);
}

/* A db_each row: fills the struct store_app ctx, and stops. */
static int
app_row(sqlite3_stmt *stmt, void *ctx)
{
	struct store_app *a = ctx;

	a->active_color = db_column_text(stmt, 0);
	a->live_commit = db_column_text(stmt, 1);
	a->live_deployment = sqlite3_column_int64(stmt, 2);
	a->since = sqlite3_column_int64(stmt, 3);
	a->commit[0] = db_column_text(stmt, 4);
	a->commit[1] = db_column_text(stmt, 5);
	a->release[0] = db_column_text(stmt, 6);
	a->release[1] = db_column_text(stmt, 7);
	for (int i = 0; i < 2; i++)
		a->running[i] = sqlite3_column_type(stmt, 8 + i) == SQLITE_NULL ?
		    -1 :
		    sqlite3_column_int(stmt, 8 + i) != 0;
	return 1;
}

int
store_get_app(struct store *st, const char *app, struct store_app *a)
{
	memset(a, 0, sizeof *a);
	return db_each(st, app_row, a,
		   "SELECT active_color, live_commit, live_deployment, since,"
		   " blue_commit, green_commit, blue_release, green_release, blue_running,"
		   " green_running FROM apps WHERE name = ?",
		   "s", app) == SQLITE_ROW ?
	    0 :
	    -1;
}

int
store_set_color(struct store *st, const char *app, const char *color, const char *commit,
    const char *release)
{
	if (strcmp(color, "blue") == 0)
		return db_do(st,
		    "UPDATE apps SET blue_commit = ?, blue_release = ?, blue_running = 1"
		    " WHERE name = ?",
		    "sss", commit, release, app);
	return db_do(st,
	    "UPDATE apps SET green_commit = ?, green_release = ?, green_running = 1"
	    " WHERE name = ?",
	    "sss", commit, release, app);
}

int
store_set_stopped(struct store *st, const char *app, const char *color)
{
	return db_do(st,
	    strcmp(color, "blue") == 0 ? "UPDATE apps SET blue_running = 0 WHERE name = ?" :
					 "UPDATE apps SET green_running = 0 WHERE name = ?",
	    "s", app);
}

int
store_set_live(struct store *st, const char *app, const char *color, const char *commit,
    int64_t deployment)
{
	return db_do(st,
	    "UPDATE apps SET active_color = ?, live_commit = ?,"
	    " live_deployment = ?, since = ? WHERE name = ?",
	    "ssiis", color, commit, deployment, clock_real_ms(), app);
}
