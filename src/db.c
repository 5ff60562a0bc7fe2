/*
 * The connection behind a struct store: opening, migrating and closing
 * the database, the durability policy (synchronous=FULL, and progress
 * transactions that skip their fsync), and the SQL helpers the store-*.c
 * files share.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "db.h"
#include "embed.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * The page cache of a connection, in KiB (SQLite's default is 2000): the
 * pages a webhook touches are few and the kernel caches the file anyway,
 * while three connections (two in the network process) filled theirs as
 * the rows grew. bench/ingest at 190k rows: the flood's peak of anonymous
 * memory 13.5 MB instead of 18.3, the same requests/s.
 */
#define DB_CACHE_KB "-512"

/* Tries of db_busy: 0.13 s in steps up to 5 ms, then 5 ms each, about 5 s in all. */
#define DB_BUSY_TRIES 1025

int
db_exec(struct store *st, const char *sql, char **cause)
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

void
db_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
}

/*
 * Returns a prepared statement for sql: the cached one when it is free,
 * else a new one, cached while there is room. The caller holds the lock.
 */
static sqlite3_stmt *
db_lookup(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt;
	int i;

	for (i = 0; i < st->ncache; i++) {
		struct db_cached *c = &st->cache[i];

		if (c->sql == sql && !c->busy && strcmp(sqlite3_sql(c->stmt), sql) == 0) {
			c->busy = 1;
			return c->stmt;
		}
	}
	/* PERSISTENT: kept for long, so SQLite gives it memory of its own. */
	if (sqlite3_prepare_v3(st->db, sql, -1,
		st->ncache < DB_CACHE_SIZE ? SQLITE_PREPARE_PERSISTENT : 0, &stmt,
		NULL) != SQLITE_OK) {
		log_error("cannot prepare '%.60s': %s", sql, sqlite3_errmsg(st->db));
		return NULL;
	}
	if (st->ncache < DB_CACHE_SIZE)
		st->cache[st->ncache++] = (struct db_cached){ sql, stmt, 1 };
	return stmt;
}

void
db_release(struct store *st, sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return;
	for (int i = 0; i < st->ncache; i++) {
		if (st->cache[i].stmt == stmt) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			st->cache[i].busy = 0;
			return;
		}
	}
	sqlite3_finalize(stmt);
}

/* db_prepare with a va_list. The caller holds the lock. */
static sqlite3_stmt *
db_vprepare(struct store *st, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *stmt = db_lookup(st, sql);

	if (stmt == NULL)
		return NULL;
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 's')
			db_bind_text(stmt, i + 1, va_arg(ap, const char *));
		else
			sqlite3_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
	}
	return stmt;
}

sqlite3_stmt *
db_prepare(struct store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;

	va_start(ap, types);
	stmt = db_vprepare(st, sql, types, ap);
	va_end(ap);
	return stmt;
}

int
db_do(struct store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	va_start(ap, types);
	stmt = db_vprepare(st, sql, types, ap);
	va_end(ap);
	if (stmt != NULL && (rc = db_stmt_done(st, stmt)) != 0)
		log_error("'%.60s' failed: %s", sql, sqlite3_errmsg(st->db));
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int64_t
db_stmt_int(struct store *st, sqlite3_stmt *stmt, int64_t def)
{
	int64_t v = def;

	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	db_release(st, stmt);
	return v;
}

/* db_each with a va_list; it takes the lock. */
static int
db_veach(struct store *st, int (*row)(sqlite3_stmt *, void *), void *ctx, const char *sql,
    const char *types, va_list ap)
{
	sqlite3_stmt *stmt;
	int rc;

	pthread_mutex_lock(&st->lock);
	stmt = db_vprepare(st, sql, types, ap);
	if (stmt == NULL) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && row(stmt, ctx) == 0)
		;
	db_release(st, stmt);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int
db_each(struct store *st, int (*row)(sqlite3_stmt *, void *), void *ctx, const char *sql,
    const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = db_veach(st, row, ctx, sql, types, ap);
	va_end(ap);
	return rc;
}

/* A db_veach row of db_int: reads the answer into the int64_t at ctx, and stops. */
static int
int_row(sqlite3_stmt *stmt, void *ctx)
{
	*(int64_t *)ctx = sqlite3_column_int64(stmt, 0);
	return 1;
}

int64_t
db_int(struct store *st, int64_t def, const char *sql, const char *types, ...)
{
	int64_t v = def;
	va_list ap;

	va_start(ap, types);
	db_veach(st, int_row, &v, sql, types, ap);
	va_end(ap);
	return v;
}

/* The array db_rows grows, and how to fill each element. */
struct rows {
	size_t size;
	void (*fill)(sqlite3_stmt *, void *);
	char *v;
	int n;
};

/* A db_veach row of db_rows: appends a zeroed element and fills it. */
static int
rows_row(sqlite3_stmt *stmt, void *ctx)
{
	struct rows *r = ctx;
	char *elem;

	r->v = xrealloc(r->v, (size_t)(r->n + 1) * r->size);
	elem = r->v + (size_t)r->n++ * r->size;
	memset(elem, 0, r->size);
	r->fill(stmt, elem);
	return 0;
}

void *
db_rows(struct store *st, size_t size, void (*fill)(sqlite3_stmt *, void *), int *n,
    const char *sql, const char *types, ...)
{
	struct rows r = { size, fill, NULL, 0 };
	va_list ap;

	va_start(ap, types);
	*n = db_veach(st, rows_row, &r, sql, types, ap) == -1 ? -1 : r.n;
	va_end(ap);
	return r.v;
}

char *
db_column_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char *t = sqlite3_column_text(stmt, i);

	return t == NULL ? NULL : xstrdup((const char *)t);
}

int
db_stmt_done(struct store *st, sqlite3_stmt *stmt)
{
	int rc = stmt != NULL && sqlite3_step(stmt) == SQLITE_DONE ? 0 : -1;

	db_release(st, stmt);
	return rc;
}

int
db_end_tx(struct store *st, int ok)
{
	if (ok == 0 && db_exec(st, "COMMIT", NULL) == 0)
		return 0;
	db_exec(st, "ROLLBACK", NULL);
	return -1;
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
int
db_progress_begin(struct store *st)
{
	db_exec(st, "PRAGMA synchronous = NORMAL", NULL);
	if (db_exec(st, "BEGIN IMMEDIATE", NULL) == 0)
		return 0;
	db_exec(st, "PRAGMA synchronous = FULL", NULL);
	return -1;
}

int
db_progress_end(struct store *st, int ok)
{
	int rc = db_end_tx(st, ok);

	db_exec(st, "PRAGMA synchronous = FULL", NULL);
	return rc;
}

/* Returns the number in a migration's name, "001-initial.sql" → 1. */
static int
migration_number(const char *name)
{
	return atoi(name);
}

/* Applies every migration newer than the database, each in its own transaction. */
static int
db_migrate(struct store *st, char **cause)
{
	int version = store_version(st);

	for (const struct embed_file *f = embed_sql; f->name != NULL; f++) {
		int n = migration_number(f->name);
		char *pragma;

		if (n <= version)
			continue;
		if (db_exec(st, "BEGIN IMMEDIATE", cause) != 0)
			return -1;
		if (db_exec(st, (const char *)f->data, cause) != 0) {
			char *inner = *cause;

			*cause = xasprintf("migration '%s': %s", f->name, inner);
			free(inner);
			db_exec(st, "ROLLBACK", NULL);
			return -1;
		}
		pragma = xasprintf("PRAGMA user_version = %d", n);
		if (db_exec(st, pragma, cause) != 0 || db_exec(st, "COMMIT", cause) != 0) {
			free(pragma);
			db_exec(st, "ROLLBACK", NULL);
			return -1;
		}
		free(pragma);
		log_info("database migrated to version %d (%s)", n, f->name);
	}
	return 0;
}

/*
 * The busy handler: the other process holds the write lock. SQLite's own
 * (sqlite3_busy_timeout) sleeps 1 ms at first and soon 10 ms and more,
 * while the other side's transactions take well under a millisecond; each
 * sleep would be added to the answer of every webhook that waits. So: steps
 * of 100 us growing to 5 ms, giving up after about 5 s as before.
 */
static int
db_busy(void *ctx, int count)
{
	long us = count < 50 ? 100L * (count + 1) : 5000L;
	struct timespec ts = { 0, us * 1000L };

	(void)ctx;
	if (count >= DB_BUSY_TRIES)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

struct store *
store_open(const char *path, char **cause)
{
	struct store *st = xcalloc(1, sizeof *st);
	int rc;

	pthread_mutex_init(&st->lock, NULL);
	rc = sqlite3_open_v2(path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*cause = xasprintf("cannot open '%s': %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_handler(st->db, db_busy, NULL);
	/*
	 * The database holds who pushed what: only the daemon's user reads
	 * it, whatever the umask. Its -wal and -shm files take its mode.
	 */
	if (chmod(path, 0600) != 0 && errno != ENOENT)
		log_warn("cannot make '%s' private: %s", path, strerror(errno));
	/*
	 * WAL lets the dashboard read while the worker writes; synchronous=FULL
	 * makes each commit reach the disk before we answer 202.
	 */
	if (db_exec(st, "PRAGMA journal_mode = WAL", cause) != 0 ||
	    db_exec(st, "PRAGMA synchronous = FULL", cause) != 0 ||
	    db_exec(st, "PRAGMA foreign_keys = ON", cause) != 0 ||
	    db_exec(st, "PRAGMA cache_size = " DB_CACHE_KB, cause) != 0)
		goto fail;
	if (db_migrate(st, cause) != 0)
		goto fail;
	sqlite3_wal_autocheckpoint(st->db, DB_CHECKPOINT_PAGES);
	return st;

fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int
store_version(struct store *st)
{
	return (int)db_int(st, -1, "PRAGMA user_version", "");
}

int
store_synchronous(struct store *st)
{
	return (int)db_int(st, -1, "PRAGMA synchronous", "");
}

int
store_ping(struct store *st)
{
	return db_int(st, -1, "SELECT count(*) FROM apps", "") >= 0 ? 0 : -1;
}
