/*
 * The store's private side: the SQLite connection behind a struct store,
 * the SQL helpers and the durability policy of progress transactions.
 * Only db.c and the store-*.c files include this header; every other
 * module goes through store.h and never sees SQLite.
 *
 * "The caller holds the lock" means st->lock; the functions that take it
 * themselves say so. SQL strings and bound arguments are borrowed.
 */
#ifndef TURNOUT_DB_H
#define TURNOUT_DB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/*
 * The WAL's length in pages at which a commit copies it into the database
 * (SQLite's default is 1000). The commit that does it, and every webhook
 * waiting behind it, waits for the copy and its fsyncs: in bench/ingest
 * runs taken in turn, the p99 was 7.6-9.3 ms at 1000 and 4.0-4.6 ms at
 * 250, for 2-8% fewer requests a second (BENCHMARKS.md, 2026-12-04).
 */
#define DB_CHECKPOINT_PAGES 250

/* How many statements stay prepared: more than the store has. */
#define DB_CACHE_SIZE 96

/* A statement kept prepared for its SQL text; busy while a caller holds it. */
struct db_cached {
	const char *sql; /* the caller's text, compared by address, then by content */
	sqlite3_stmt *stmt;
	int busy;
};

/*
 * One connection, shared by threads: every use of db, and of the cache of
 * prepared statements, holds lock.
 */
struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
	struct db_cached cache[DB_CACHE_SIZE];
	int ncache;
	int metric_cache; /* /metrics' TEMP tables exist on this connection (store-metrics.c) */
};

/*
 * Runs SQL that returns no rows. On failure returns -1 and, when cause is
 * not NULL, sets *cause to a new string the caller frees.
 */
int db_exec(struct store *st, const char *sql, char **cause);

/* Binds a string, or NULL when s is NULL; SQLite copies it. */
void db_bind_text(sqlite3_stmt *stmt, int i, const char *s);

/*
 * Prepares sql and binds the arguments by the letters of types: 's' a
 * string (NULL binds NULL), 'i' an int64_t. Returns a statement the caller
 * gives back with db_release, or NULL (logged). The caller holds the lock.
 * The statement is prepared once per SQL text and kept: sql is best a
 * string literal, since parsing costs more than most of the queries.
 */
sqlite3_stmt *db_prepare(struct store *st, const char *sql, const char *types, ...);
/* Gives back a statement of db_prepare (reset for its next use); NULL is ignored. */
void db_release(struct store *st, sqlite3_stmt *stmt);

/*
 * Runs a statement that returns no rows, arguments as for db_prepare,
 * taking the lock itself: the one-statement public functions. Returns 0
 * or -1 (logged).
 */
int db_do(struct store *st, const char *sql, const char *types, ...);

/*
 * Steps a query whose answer is one integer and releases it; returns def
 * when there is no row, stmt is NULL or on an error. With db_prepare, for
 * a caller that holds the lock.
 */
int64_t db_stmt_int(struct store *st, sqlite3_stmt *stmt, int64_t def);
/* The same for sql with arguments as for db_prepare, taking the lock itself. */
int64_t db_int(struct store *st, int64_t def, const char *sql, const char *types, ...);

/*
 * Prepares sql with arguments as for db_prepare and, under the lock it
 * takes itself, calls row(stmt, ctx) for each row until row returns
 * nonzero or the rows end. Returns the last sqlite3_step code: SQLITE_ROW
 * when row stopped, SQLITE_DONE at the end, another on an error; or -1
 * when sql cannot be prepared.
 */
int db_each(struct store *st, int (*row)(sqlite3_stmt *stmt, void *ctx), void *ctx, const char *sql,
    const char *types, ...);

/*
 * Reads the rows of sql (arguments as for db_prepare, under the lock it
 * takes itself) into a new array of elements of size bytes, each zeroed
 * and then filled by fill(stmt, elem). Returns the array, which the
 * caller frees (NULL when there is no row), and sets *n to the count; when
 * sql cannot be prepared, returns NULL and sets *n to -1. An error while
 * stepping ends the array early.
 */
void *db_rows(struct store *st, size_t size, void (*fill)(sqlite3_stmt *stmt, void *elem), int *n,
    const char *sql, const char *types, ...);

/* Returns a new copy of text column i, or NULL for a NULL column. */
char *db_column_text(sqlite3_stmt *stmt, int i);

/* Steps a statement that returns no rows and releases it; NULL fails. Returns 0 or -1. */
int db_stmt_done(struct store *st, sqlite3_stmt *stmt);

/* Ends the transaction: COMMIT when ok is 0, else ROLLBACK. Returns 0 or -1. */
int db_end_tx(struct store *st, int ok);

/*
 * A progress transaction (a claim, step rows, log lines) commits without
 * an fsync of its own; see db.c for why that is safe. db_progress_begin
 * starts one (0, or -1 when it cannot), db_progress_end ends it as
 * db_end_tx does and puts the connection back to synchronous=FULL for
 * every other commit. The caller holds the lock across both.
 */
int db_progress_begin(struct store *st);
int db_progress_end(struct store *st, int ok);

#endif
