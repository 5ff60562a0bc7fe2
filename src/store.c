#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "embed.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"
#include "banned.h"

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
};

int64_t
store_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	sqlite3_stmt *stmt;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

int
store_ping(struct store *st)
{
	sqlite3_stmt *stmt;
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM apps", -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW)
			rc = 0;
		sqlite3_finalize(stmt);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
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

/* Looks up an earlier delivery; returns its deployment id or 0. */
static int64_t
store_find_delivery(struct store *st, const char *app, const char *delivery)
{
	sqlite3_stmt *stmt;
	int64_t id = 0;

	if (sqlite3_prepare_v2(st->db,
	    "SELECT deployment FROM deliveries WHERE app = ?1 AND delivery = ?2",
	    -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	bind_text(stmt, 1, app);
	bind_text(stmt, 2, delivery);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		id = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return id;
}

/* Runs one prepared statement with the request's fields bound by name. */
static int
store_run(struct store *st, const char *sql, const struct store_request *req,
    int64_t id, int64_t now)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); i++) {
		const char *name = sqlite3_bind_parameter_name(stmt, i);

		if (strcmp(name, ":app") == 0) bind_text(stmt, i, req->app);
		else if (strcmp(name, ":kind") == 0) bind_text(stmt, i, req->kind);
		else if (strcmp(name, ":commit") == 0) bind_text(stmt, i, req->commit);
		else if (strcmp(name, ":ref") == 0) bind_text(stmt, i, req->ref);
		else if (strcmp(name, ":sender") == 0) bind_text(stmt, i, req->sender);
		else if (strcmp(name, ":delivery") == 0) bind_text(stmt, i, req->delivery);
		else if (strcmp(name, ":author") == 0) bind_text(stmt, i, req->author);
		else if (strcmp(name, ":message") == 0) bind_text(stmt, i, req->message);
		else if (strcmp(name, ":id") == 0) sqlite3_bind_int64(stmt, i, id);
		else if (strcmp(name, ":now") == 0) sqlite3_bind_int64(stmt, i, now);
	}
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

enum store_enqueue
store_enqueue(struct store *st, const struct store_request *req, int64_t *id,
    char **cause)
{
	int64_t now = store_now();
	int64_t prev;

	pthread_mutex_lock(&st->lock);
	if (store_exec(st, "BEGIN IMMEDIATE", cause) != 0)
		goto fail_unlocked_tx;
	if (req->delivery != NULL) {
		prev = store_find_delivery(st, req->app, req->delivery);
		if (prev < 0)
			goto fail;
		if (prev > 0) {
			store_exec(st, "ROLLBACK", NULL);
			pthread_mutex_unlock(&st->lock);
			*id = prev;
			return STORE_DUPLICATE;
		}
	}
	if (store_run(st,
	    "INSERT INTO deployments (app, kind, commit_sha, ref, sender, delivery,"
	    " author, message, created_at) VALUES (:app, :kind, :commit, :ref,"
	    " :sender, :delivery, :author, :message, :now)", req, 0, now) != 0)
		goto fail;
	*id = sqlite3_last_insert_rowid(st->db);
	if (req->delivery != NULL && store_run(st,
	    "INSERT INTO deliveries (app, delivery, deployment, received_at)"
	    " VALUES (:app, :delivery, :id, :now)", req, *id, now) != 0)
		goto fail;
	if (store_run(st,
	    "UPDATE deployments SET status = 'superseded', finished_at = :now,"
	    " error = 'a newer deployment was queued' WHERE app = :app"
	    " AND status = 'queued' AND id < :id", req, *id, now) != 0)
		goto fail;
	if (store_exec(st, "COMMIT", cause) != 0)
		goto fail_tx;
	pthread_mutex_unlock(&st->lock);
	return STORE_QUEUED;

fail:
	*cause = xstrdup(sqlite3_errmsg(st->db));
fail_tx:
	store_exec(st, "ROLLBACK", NULL);
fail_unlocked_tx:
	pthread_mutex_unlock(&st->lock);
	return STORE_FAILED;
}

int64_t
store_count_deployments(struct store *st)
{
	sqlite3_stmt *stmt;
	int64_t n = -1;

	pthread_mutex_lock(&st->lock);
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM deployments", -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW)
			n = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
	}
	pthread_mutex_unlock(&st->lock);
	return n;
}
