#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "clock.h"
#include "embed.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"
#include "banned.h"

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
};

/* Runs SQL that returns no rows; on failure sets *cause (new string). */
static int
store_exec(struct store *st, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		if (cause != NULL)
			*cause = xstrdup(err != NULL ? err : sqlite3_errmsg(st->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Binds a string or NULL. */
static void
bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
}

/*
 * Prepares sql and binds the arguments by the letters of types: 's' a
 * string (NULL binds NULL), 'i' an int64_t. The caller holds the lock.
 */
static sqlite3_stmt *
store_vprepare(struct store *st, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		log_error("cannot prepare '%.60s': %s", sql, sqlite3_errmsg(st->db));
		return NULL;
	}
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 's')
			bind_text(stmt, i + 1, va_arg(ap, const char *));
		else
			sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
	}
	return stmt;
}

static sqlite3_stmt *
store_prepare(struct store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;

	va_start(ap, types);
	stmt = store_vprepare(st, sql, types, ap);
	va_end(ap);
	return stmt;
}

/* Runs a statement that returns no rows; the caller holds the lock. */
static int
store_vdo(struct store *st, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *stmt = store_vprepare(st, sql, types, ap);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		log_error("'%.60s' failed: %s", sql, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* store_vdo under the lock, for the one-statement public functions. */
static int
store_do(struct store *st, const char *sql, const char *types, ...)
{
	va_list ap;
	int rc;

	pthread_mutex_lock(&st->lock);
	va_start(ap, types);
	rc = store_vdo(st, sql, types, ap);
	va_end(ap);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* Returns a copy of a text column, or NULL. */
static char *
column_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char *t = sqlite3_column_text(stmt, i);

	return t == NULL ? NULL : xstrdup((const char *)t);
}

/* Steps a statement that returns no rows and finalizes it. */
static int
stmt_done(sqlite3_stmt *stmt)
{
	int rc = stmt != NULL && sqlite3_step(stmt) == SQLITE_DONE ? 0 : -1;

	sqlite3_finalize(stmt);
	return rc;
}

/* Ends the transaction: COMMIT when ok, else ROLLBACK. Returns ok or -1. */
static int
store_end_tx(struct store *st, int ok)
{
	if (ok == 0 && store_exec(st, "COMMIT", NULL) == 0)
		return 0;
	store_exec(st, "ROLLBACK", NULL);
	return -1;
}

/*
 * Runs a query whose answer is one integer, with arguments as for
 * store_prepare; returns def when there is no row (or on an error, which
 * store_vprepare logs). The caller holds the lock.
 */
static int64_t
query_vint(struct store *st, int64_t def, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *stmt = store_vprepare(st, sql, types, ap);
	int64_t v = def;

	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

static int64_t
query_int(struct store *st, int64_t def, const char *sql, const char *types, ...)
{
	va_list ap;
	int64_t v;

	va_start(ap, types);
	v = query_vint(st, def, sql, types, ap);
	va_end(ap);
	return v;
}

/* query_int under the lock, for the one-question public functions. */
static int64_t
store_int(struct store *st, int64_t def, const char *sql, const char *types, ...)
{
	va_list ap;
	int64_t v;

	pthread_mutex_lock(&st->lock);
	va_start(ap, types);
	v = query_vint(st, def, sql, types, ap);
	va_end(ap);
	pthread_mutex_unlock(&st->lock);
	return v;
}

/* Returns the number in a migration's name, "001-initial.sql" → 1. */
static int
migration_number(const char *name)
{
	return atoi(name);
}

/* Applies every migration newer than the database, each in its own transaction. */
static int
store_migrate(struct store *st, char **cause)
{
	int version = store_version(st);

	for (const struct embed_file *f = embed_sql; f->name != NULL; f++) {
		int n = migration_number(f->name);
		char *pragma;

		if (n <= version)
			continue;
		if (store_exec(st, "BEGIN IMMEDIATE", cause) != 0)
			return -1;
		if (store_exec(st, (const char *)f->data, cause) != 0) {
			char *inner = *cause;

			*cause = xasprintf("migration '%s': %s", f->name, inner);
			free(inner);
			store_exec(st, "ROLLBACK", NULL);
			return -1;
		}
		pragma = xasprintf("PRAGMA user_version = %d", n);
		if (store_exec(st, pragma, cause) != 0 || store_exec(st, "COMMIT", cause) != 0) {
			free(pragma);
			store_exec(st, "ROLLBACK", NULL);
			return -1;
		}
		free(pragma);
		log_info("database migrated to version %d (%s)", n, f->name);
	}
	return 0;
}

struct store *
store_open(const char *path, char **cause)
{
	struct store *st = xcalloc(1, sizeof *st);
	int rc;

	rc = sqlite3_open_v2(path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*cause = xasprintf("cannot open '%s': %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	pthread_mutex_init(&st->lock, NULL);
	sqlite3_busy_timeout(st->db, 5000);
	/*
	 * WAL lets the dashboard read while the worker writes; synchronous=FULL
	 * makes each commit reach the disk before we answer 202.
	 */
	if (store_exec(st, "PRAGMA journal_mode = WAL", cause) != 0 ||
	    store_exec(st, "PRAGMA synchronous = FULL", cause) != 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON", cause) != 0)
		goto fail_locked;
	if (store_migrate(st, cause) != 0)
		goto fail_locked;
	return st;

fail_locked:
	pthread_mutex_destroy(&st->lock);
fail:
	sqlite3_close(st->db);
	free(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int
store_version(struct store *st)
{
	return (int)store_int(st, -1, "PRAGMA user_version", "");
}

int
store_synchronous(struct store *st)
{
	return (int)store_int(st, -1, "PRAGMA synchronous", "");
}

int
store_ping(struct store *st)
{
	return store_int(st, -1, "SELECT count(*) FROM apps", "") >= 0 ? 0 : -1;
}

enum store_enqueue
store_enqueue(struct store *st, const struct store_request *req, int64_t *id,
    char **cause)
{
	int64_t now = clock_real_ms();
	int64_t prev = 0;
	int rc;

	pthread_mutex_lock(&st->lock);
	if (store_exec(st, "BEGIN IMMEDIATE", cause) != 0) {
		pthread_mutex_unlock(&st->lock);
		return STORE_FAILED;
	}
	if (req->delivery != NULL)
		prev = query_int(st, 0, "SELECT deployment FROM deliveries WHERE app = ? AND delivery = ?",
		    "ss", req->app, req->delivery);
	if (prev > 0) {
		store_exec(st, "ROLLBACK", NULL);
		pthread_mutex_unlock(&st->lock);
		*id = prev;
		return STORE_DUPLICATE;
	}
	rc = stmt_done(store_prepare(st, "INSERT INTO deployments (app, kind, commit_sha, ref,"
	    " sender, delivery, author, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "ssssssssi", req->app, req->kind, req->commit, req->ref, req->sender, req->delivery,
	    req->author, req->message, now));
	*id = sqlite3_last_insert_rowid(st->db);
	if (rc == 0 && req->delivery != NULL)
		rc = stmt_done(store_prepare(st, "INSERT INTO deliveries (app, delivery, deployment,"
		    " received_at) VALUES (?, ?, ?, ?)", "ssii", req->app, req->delivery, *id, now));
	/* Only the newest waits: older queued deployments of the app end here. */
	if (rc == 0)
		rc = stmt_done(store_prepare(st, "UPDATE deployments SET status = 'superseded',"
		    " finished_at = ?, error = 'a newer deployment was queued' WHERE app = ?"
		    " AND status = 'queued' AND id < ?", "isi", now, req->app, *id));
	if (rc != 0)
		*cause = xstrdup(sqlite3_errmsg(st->db));
	if (store_end_tx(st, rc) != 0) {
		if (*cause == NULL)
			*cause = xstrdup("cannot commit");
		pthread_mutex_unlock(&st->lock);
		return STORE_FAILED;
	}
	pthread_mutex_unlock(&st->lock);
	return STORE_QUEUED;
}

#define DEPLOYMENT_COLUMNS "d.id, d.app, d.kind, d.status, d.commit_sha, d.ref," \
	" d.sender, d.author, d.message, d.color, d.error, d.created_at," \
	" d.started_at, d.finished_at, EXISTS (SELECT 1 FROM bad_releases b" \
	" WHERE b.app = d.app AND b.commit_sha = d.commit_sha)"

/* Fills *d from a row selected with DEPLOYMENT_COLUMNS. */
static void
deployment_from_row(sqlite3_stmt *stmt, struct store_deployment *d)
{
	d->id = sqlite3_column_int64(stmt, 0);
	d->app = column_text(stmt, 1);
	d->kind = column_text(stmt, 2);
	d->status = column_text(stmt, 3);
	d->commit = column_text(stmt, 4);
	d->ref = column_text(stmt, 5);
	d->sender = column_text(stmt, 6);
	d->author = column_text(stmt, 7);
	d->message = column_text(stmt, 8);
	d->color = column_text(stmt, 9);
	d->error = column_text(stmt, 10);
	d->created_at = sqlite3_column_int64(stmt, 11);
	d->started_at = sqlite3_column_int64(stmt, 12);
	d->finished_at = sqlite3_column_int64(stmt, 13);
	d->bad = sqlite3_column_int(stmt, 14);
}

void
store_deployment_release(struct store_deployment *d)
{
	if (d == NULL)
		return;
	free(d->app);
	free(d->kind);
	free(d->status);
	free(d->commit);
	free(d->ref);
	free(d->sender);
	free(d->author);
	free(d->message);
	free(d->color);
	free(d->error);
	memset(d, 0, sizeof *d);
}

int
store_get_deployment(struct store *st, int64_t id, struct store_deployment *d)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(d, 0, sizeof *d);
	pthread_mutex_lock(&st->lock);
	stmt = store_prepare(st, "SELECT " DEPLOYMENT_COLUMNS " FROM deployments d WHERE d.id = ?",
	    "i", id);
	if (stmt == NULL) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		deployment_from_row(stmt, d);
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

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

int
store_app_ensure(struct store *st, const char *app)
{
	return store_do(st, "INSERT OR IGNORE INTO apps (name) VALUES (?)", "s", app);
}

int
store_get_app(struct store *st, const char *app, struct store_app *a)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(a, 0, sizeof *a);
	pthread_mutex_lock(&st->lock);
	stmt = store_prepare(st, "SELECT active_color, live_commit, live_deployment, since,"
	    " blue_commit, green_commit, blue_release, green_release FROM apps WHERE name = ?",
	    "s", app);
	if (stmt == NULL) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		a->active_color = column_text(stmt, 0);
		a->live_commit = column_text(stmt, 1);
		a->live_deployment = sqlite3_column_int64(stmt, 2);
		a->since = sqlite3_column_int64(stmt, 3);
		a->commit[0] = column_text(stmt, 4);
		a->commit[1] = column_text(stmt, 5);
		a->release[0] = column_text(stmt, 6);
		a->release[1] = column_text(stmt, 7);
	}
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_set_color(struct store *st, const char *app, const char *color,
    const char *commit, const char *release)
{
	if (strcmp(color, "blue") == 0)
		return store_do(st, "UPDATE apps SET blue_commit = ?, blue_release = ? WHERE name = ?",
		    "sss", commit, release, app);
	return store_do(st, "UPDATE apps SET green_commit = ?, green_release = ? WHERE name = ?",
	    "sss", commit, release, app);
}

int
store_set_live(struct store *st, const char *app, const char *color,
    const char *commit, int64_t deployment)
{
	return store_do(st, "UPDATE apps SET active_color = ?, live_commit = ?,"
	    " live_deployment = ?, since = ? WHERE name = ?",
	    "ssiis", color, commit, deployment, clock_real_ms(), app);
}

int
store_recover(struct store *st)
{
	int64_t now = clock_real_ms();
	int n = -1, rc;

	pthread_mutex_lock(&st->lock);
	if (store_exec(st, "BEGIN IMMEDIATE", NULL) != 0) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	rc = stmt_done(store_prepare(st, "UPDATE deployments SET status = 'interrupted',"
	    " finished_at = ?, error = 'turnout stopped while this deployment ran'"
	    " WHERE status = 'running'", "i", now));
	if (rc == 0)
		n = sqlite3_changes(st->db);
	if (rc == 0)
		rc = stmt_done(store_prepare(st, "UPDATE steps SET status = 'failed',"
		    " finished_at = ?, detail = 'interrupted' WHERE status = 'running'", "i", now));
	if (store_end_tx(st, rc) != 0)
		n = -1;
	pthread_mutex_unlock(&st->lock);
	return n;
}

/*
 * A deployment's progress (its claim, step rows, log lines) commits
 * without an fsync of its own: in WAL mode the next FULL commit (a new
 * deployment, a status, the live color) makes it durable too, and a power
 * cut can only lose the newest progress of a deployment, which then runs
 * again or is marked interrupted. That is one fsync less per step boundary
 * and per log batch, most of turnout's own time between steps. The caller
 * holds the lock.
 */
static int
progress_begin(struct store *st)
{
	store_exec(st, "PRAGMA synchronous = NORMAL", NULL);
	if (store_exec(st, "BEGIN IMMEDIATE", NULL) == 0)
		return 0;
	store_exec(st, "PRAGMA synchronous = FULL", NULL);
	return -1;
}

static int
progress_end(struct store *st, int ok)
{
	int rc = store_end_tx(st, ok);

	store_exec(st, "PRAGMA synchronous = FULL", NULL);
	return rc;
}

int
store_claim(struct store *st, const char *app, struct store_deployment *d)
{
	sqlite3_stmt *stmt;
	int64_t now = clock_real_ms();
	int found = 0, rc = 0;

	memset(d, 0, sizeof *d);
	pthread_mutex_lock(&st->lock);
	/* Progress too: lost to a power cut, the deployment is queued again. */
	if (progress_begin(st) != 0) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	stmt = store_prepare(st, "SELECT " DEPLOYMENT_COLUMNS " FROM deployments d"
	    " WHERE d.app = ? AND d.status = 'queued' ORDER BY d.id DESC LIMIT 1", "s", app);
	if (stmt == NULL)
		rc = -1;
	else if (sqlite3_step(stmt) == SQLITE_ROW) {
		deployment_from_row(stmt, d);
		found = 1;
	}
	sqlite3_finalize(stmt);
	if (found && rc == 0)
		rc = stmt_done(store_prepare(st, "UPDATE deployments SET status = 'superseded',"
		    " finished_at = ?, error = 'a newer deployment was queued'"
		    " WHERE app = ? AND status = 'queued' AND id < ?", "isi", now, app, d->id));
	if (found && rc == 0)
		rc = stmt_done(store_prepare(st, "UPDATE deployments SET status = 'running',"
		    " started_at = ? WHERE id = ?", "ii", now, d->id));
	rc = progress_end(st, rc);
	pthread_mutex_unlock(&st->lock);
	if (rc != 0) {
		store_deployment_release(d);
		return -1;
	}
	if (found) {
		free(d->status);
		d->status = xstrdup("running");
		d->started_at = now;
	}
	return found;
}

int
store_set_commit(struct store *st, int64_t id, const char *commit)
{
	return store_do(st, "UPDATE deployments SET commit_sha = ? WHERE id = ?", "si", commit, id);
}

int
store_finish(struct store *st, int64_t id, const char *status, const char *color,
    const char *error)
{
	return store_do(st, "UPDATE deployments SET status = ?, color = coalesce(?, color),"
	    " error = ?, finished_at = ? WHERE id = ?", "sssii", status, color, error,
	    clock_real_ms(), id);
}

int
store_cancel_requested(struct store *st, int64_t id)
{
	return (int)store_int(st, 0, "SELECT cancel_requested FROM deployments WHERE id = ?", "i", id);
}

int
store_request_cancel(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;
	char status[16] = "";
	int rc;

	pthread_mutex_lock(&st->lock);
	if (store_exec(st, "BEGIN IMMEDIATE", NULL) != 0) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	stmt = store_prepare(st, "SELECT status FROM deployments WHERE id = ?", "i", id);
	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
		snprintf(status, sizeof status, "%s", sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	if (status[0] == '\0')
		rc = 2;
	else if (strcmp(status, "queued") == 0)
		rc = stmt_done(store_prepare(st, "UPDATE deployments SET status = 'cancelled',"
		    " cancel_requested = 1, finished_at = ?, error = 'cancelled before it ran'"
		    " WHERE id = ?", "ii", clock_real_ms(), id));
	else if (strcmp(status, "running") == 0)
		rc = stmt_done(store_prepare(st, "UPDATE deployments SET cancel_requested = 1"
		    " WHERE id = ?", "i", id));
	else
		rc = 1;
	if (store_end_tx(st, rc < 0 ? -1 : 0) != 0)
		rc = -1;
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* Inserts log lines; the caller holds the lock inside a transaction. */
static int
insert_lines(struct store *st, int64_t deployment, const struct store_line *lines, size_t n)
{
	sqlite3_stmt *stmt;
	int rc = 0;

	if (n == 0)
		return 0;
	stmt = store_prepare(st, "INSERT INTO logs (deployment, ts, stream, line) VALUES (?, ?, ?, ?)",
	    "");
	for (size_t i = 0; stmt != NULL && i < n; i++) {
		sqlite3_bind_int64(stmt, 1, deployment);
		sqlite3_bind_int64(stmt, 2, lines[i].ts);
		bind_text(stmt, 3, lines[i].stream);
		bind_text(stmt, 4, lines[i].text);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(stmt);
	}
	if (stmt == NULL)
		rc = -1;
	sqlite3_finalize(stmt);
	return rc;
}

int64_t
store_step_begin(struct store *st, int64_t deployment, const char *name,
    const struct store_line *lines, size_t n)
{
	int64_t id = -1;

	pthread_mutex_lock(&st->lock);
	if (progress_begin(st) == 0) {
		int rc = insert_lines(st, deployment, lines, n);

		if (rc == 0 && stmt_done(store_prepare(st, "INSERT INTO steps (deployment, name,"
		    " started_at) VALUES (?, ?, ?)", "isi", deployment, name, clock_real_ms())) == 0)
			id = sqlite3_last_insert_rowid(st->db);
		if (progress_end(st, id >= 0 ? 0 : -1) != 0)
			id = -1;
	}
	pthread_mutex_unlock(&st->lock);
	return id;
}

int
store_step_end(struct store *st, int64_t deployment, int64_t step, const char *status,
    const char *detail, long long command_ms, const struct store_line *lines, size_t n)
{
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	if (progress_begin(st) == 0) {
		rc = insert_lines(st, deployment, lines, n);
		if (rc == 0 && step >= 0)
			rc = stmt_done(store_prepare(st, "UPDATE steps SET status = ?, detail = ?,"
			    " finished_at = ?, command_ms = ? WHERE id = ?", "ssiii", status, detail,
			    clock_real_ms(), (int64_t)command_ms, step));
		rc = progress_end(st, rc);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int
store_log(struct store *st, int64_t deployment, const struct store_line *lines, size_t n)
{
	/* The lines alone: the end of no step. */
	return n == 0 ? 0 : store_step_end(st, deployment, -1, NULL, NULL, 0, lines, n);
}

int
store_drain(struct store *st, int64_t deployment, const char *app, const char *color,
    const char *step, const char *result, int open_at_start, int open_at_end,
    long long waited_ms, int timeout_s)
{
	return store_do(st, "INSERT INTO drains (deployment, app, color, step, result, open_at_start,"
	    " open_at_end, waited_ms, timeout_s, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "issssiiiii", deployment, app, color, step, result, (int64_t)open_at_start,
	    (int64_t)open_at_end, (int64_t)waited_ms, (int64_t)timeout_s, clock_real_ms());
}

int
store_mark_bad(struct store *st, const char *app, const char *commit, int64_t deployment,
    const char *reason)
{
	return store_do(st, "INSERT OR REPLACE INTO bad_releases (app, commit_sha, deployment,"
	    " reason, marked_at) VALUES (?, ?, ?, ?, ?)", "ssisi", app, commit, deployment,
	    reason, clock_real_ms());
}

int
store_unmark_bad(struct store *st, const char *app, const char *commit)
{
	return store_do(st, "DELETE FROM bad_releases WHERE app = ? AND commit_sha = ?", "ss",
	    app, commit);
}

int
store_was_live(struct store *st, const char *app, const char *commit)
{
	return (int)store_int(st, 0, "SELECT 1 FROM deployments WHERE app = ? AND commit_sha = ?"
	    " AND status = 'succeeded' LIMIT 1", "ss", app, commit);
}

int
store_is_bad(struct store *st, const char *app, const char *commit)
{
	return (int)store_int(st, 0, "SELECT 1 FROM bad_releases WHERE app = ? AND commit_sha = ?",
	    "ss", app, commit);
}

char *
store_last_good_commit(struct store *st, const char *app, const char *except)
{
	sqlite3_stmt *stmt;
	char *commit = NULL;

	pthread_mutex_lock(&st->lock);
	stmt = store_prepare(st, "SELECT d.commit_sha FROM deployments d WHERE d.app = ?"
	    " AND d.status = 'succeeded' AND d.commit_sha IS NOT NULL"
	    " AND d.commit_sha IS NOT ? AND NOT EXISTS (SELECT 1 FROM bad_releases b"
	    " WHERE b.app = d.app AND b.commit_sha = d.commit_sha)"
	    " ORDER BY d.id DESC LIMIT 1", "ss", app, except);
	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
		commit = column_text(stmt, 0);
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return commit;
}

int
store_get_steps(struct store *st, int64_t id, struct store_step **steps)
{
	sqlite3_stmt *stmt;
	int n = 0;

	*steps = NULL;
	pthread_mutex_lock(&st->lock);
	stmt = store_prepare(st, "SELECT name, status, detail, started_at, finished_at, command_ms FROM steps"
	    " WHERE deployment = ? ORDER BY id", "i", id);
	if (stmt == NULL) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct store_step *s;

		*steps = xrealloc(*steps, (size_t)(n + 1) * sizeof **steps);
		s = &(*steps)[n++];
		s->name = column_text(stmt, 0);
		s->status = column_text(stmt, 1);
		s->detail = column_text(stmt, 2);
		s->started_at = sqlite3_column_int64(stmt, 3);
		s->finished_at = sqlite3_column_int64(stmt, 4);
		s->command_ms = sqlite3_column_int64(stmt, 5);
	}
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return n;
}

void
store_steps_free(struct store_step *steps, int n)
{
	for (int i = 0; i < n; i++) {
		free(steps[i].name);
		free(steps[i].status);
		free(steps[i].detail);
	}
	free(steps);
}

int
store_app_queue(struct store *st, const char *app, int64_t *queued, int64_t *running)
{
	sqlite3_stmt *stmt;

	*queued = 0;
	*running = 0;
	pthread_mutex_lock(&st->lock);
	stmt = store_prepare(st, "SELECT (SELECT count(*) FROM deployments WHERE app = ?1 AND"
	    " status = 'queued'), (SELECT max(id) FROM deployments WHERE app = ?1 AND"
	    " status = 'running')", "s", app);
	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW) {
		*queued = sqlite3_column_int64(stmt, 0);
		*running = sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return stmt != NULL ? 0 : -1;
}

int
store_list_deployments(struct store *st, const char *app, int64_t before, int limit,
    struct store_deployment **list)
{
	sqlite3_stmt *stmt;
	int n = 0;

	*list = NULL;
	pthread_mutex_lock(&st->lock);
	stmt = store_prepare(st, "SELECT " DEPLOYMENT_COLUMNS " FROM deployments d WHERE d.app = ?"
	    " AND (? = 0 OR d.id < ?) ORDER BY d.id DESC LIMIT ?", "siii", app, before, before,
	    (int64_t)limit);
	if (stmt == NULL) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		*list = xrealloc(*list, (size_t)(n + 1) * sizeof **list);
		memset(&(*list)[n], 0, sizeof **list);
		deployment_from_row(stmt, &(*list)[n++]);
	}
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return n;
}

void
store_deployments_free(struct store_deployment *list, int n)
{
	for (int i = 0; i < n; i++)
		store_deployment_release(&list[i]);
	free(list);
}

int
store_get_log(struct store *st, int64_t id, int64_t offset, int limit,
    struct store_logline **lines)
{
	sqlite3_stmt *stmt;
	int n = 0;

	*lines = NULL;
	pthread_mutex_lock(&st->lock);
	stmt = store_prepare(st, "SELECT ts, stream, line FROM logs WHERE deployment = ?"
	    " ORDER BY id LIMIT ? OFFSET ?", "iii", id, (int64_t)limit, offset);
	if (stmt == NULL) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct store_logline *l;

		*lines = xrealloc(*lines, (size_t)(n + 1) * sizeof **lines);
		l = &(*lines)[n++];
		l->ts = sqlite3_column_int64(stmt, 0);
		snprintf(l->stream, sizeof l->stream, "%s", sqlite3_column_text(stmt, 1));
		l->text = column_text(stmt, 2);
	}
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return n;
}

void
store_log_free(struct store_logline *lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
}

int
store_count_by_status(struct store *st, void (*fn)(void *ctx, const char *app,
    const char *status, int64_t n), void *ctx)
{
	sqlite3_stmt *stmt;

	pthread_mutex_lock(&st->lock);
	stmt = store_prepare(st, "SELECT app, status, count(*) FROM deployments GROUP BY app, status"
	    " ORDER BY app, status", "");
	if (stmt == NULL) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	while (sqlite3_step(stmt) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 1), sqlite3_column_int64(stmt, 2));
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&st->lock);
	return 0;
}

int
store_prune(struct store *st, const char *app, int keep)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = stmt_done(store_prepare(st, "DELETE FROM logs WHERE deployment IN (SELECT id FROM"
	    " deployments WHERE app = ? ORDER BY id DESC LIMIT -1 OFFSET ?)", "si", app, (int64_t)keep));
	if (rc == 0)
		rc = stmt_done(store_prepare(st, "DELETE FROM deliveries WHERE app = ? AND received_at < ?",
		    "si", app, clock_real_ms() - (int64_t)30 * 86400 * 1000));
	pthread_mutex_unlock(&st->lock);
	return rc;
}
