/*
 * What a deployment did: its step rows and log lines, written as progress
 * transactions, the drains before a stop, and the reads of steps and log.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "clock.h"
#include "db.h"
#include "store.h"
#include "banned.h"

/* Inserts log lines; the caller holds the lock inside a transaction. */
static int
insert_lines(struct store *st, int64_t deployment, const struct store_line *lines, size_t n)
{
	sqlite3_stmt *stmt;
	int rc = 0;

	if (n == 0)
		return 0;
	stmt = db_prepare(st, "INSERT INTO logs (deployment, ts, stream, line) VALUES (?, ?, ?, ?)",
	    "");
	for (size_t i = 0; stmt != NULL && i < n; i++) {
		sqlite3_bind_int64(stmt, 1, deployment);
		sqlite3_bind_int64(stmt, 2, lines[i].ts);
		db_bind_text(stmt, 3, lines[i].stream);
		db_bind_text(stmt, 4, lines[i].text);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(stmt);
	}
	if (stmt == NULL)
		rc = -1;
	db_release(st, stmt);
	return rc;
}

int64_t
store_step_begin(struct store *st, int64_t deployment, const char *name,
    const struct store_line *lines, size_t n)
{
	int64_t id = -1;

	pthread_mutex_lock(&st->lock);
	if (db_progress_begin(st) == 0) {
		int rc = insert_lines(st, deployment, lines, n);

		if (rc == 0 &&
		    db_stmt_done(st,
			db_prepare(st,
			    "INSERT INTO steps (deployment, name,"
			    " started_at) VALUES (?, ?, ?)",
			    "isi", deployment, name, clock_real_ms())) == 0)
			id = sqlite3_last_insert_rowid(st->db);
		if (db_progress_end(st, id >= 0 ? 0 : -1) != 0)
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
	if (db_progress_begin(st) == 0) {
		rc = insert_lines(st, deployment, lines, n);
		if (rc == 0 && step >= 0)
			rc = db_stmt_done(st,
			    db_prepare(st,
				"UPDATE steps SET status = ?, detail = ?,"
				" finished_at = ?, command_ms = ? WHERE id = ?",
				"ssiii", status, detail, clock_real_ms(), (int64_t)command_ms,
				step));
		rc = db_progress_end(st, rc);
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
    const char *step, const char *result, int open_at_start, int open_at_end, long long waited_ms,
    int timeout_s)
{
	return db_do(st,
	    "INSERT INTO drains (deployment, app, color, step, result, open_at_start,"
	    " open_at_end, waited_ms, timeout_s, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "issssiiiii", deployment, app, color, step, result, (int64_t)open_at_start,
	    (int64_t)open_at_end, (int64_t)waited_ms, (int64_t)timeout_s, clock_real_ms());
}

/* A db_rows fill: the struct store_step elem from a row of steps. */
static void
step_from_row(sqlite3_stmt *stmt, void *elem)
{
	struct store_step *s = elem;

	s->name = db_column_text(stmt, 0);
	s->status = db_column_text(stmt, 1);
	s->detail = db_column_text(stmt, 2);
	s->started_at = sqlite3_column_int64(stmt, 3);
	s->finished_at = sqlite3_column_int64(stmt, 4);
	s->command_ms = sqlite3_column_int64(stmt, 5);
}

int
store_get_steps(struct store *st, int64_t id, struct store_step **steps)
{
	int n;

	*steps = db_rows(st, sizeof **steps, step_from_row, &n,
	    "SELECT name, status, detail,"
	    " started_at, finished_at, command_ms FROM steps WHERE deployment = ? ORDER BY id",
	    "i", id);
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

/* A db_rows fill: the struct store_logline elem from a row of logs. */
static void
line_from_row(sqlite3_stmt *stmt, void *elem)
{
	struct store_logline *l = elem;

	l->ts = sqlite3_column_int64(stmt, 0);
	snprintf(l->stream, sizeof l->stream, "%s", sqlite3_column_text(stmt, 1));
	l->text = db_column_text(stmt, 2);
}

int
store_get_log(struct store *st, int64_t id, int64_t offset, int limit, struct store_logline **lines)
{
	int n;

	*lines = db_rows(st, sizeof **lines, line_from_row, &n,
	    "SELECT ts, stream, line FROM logs"
	    " WHERE deployment = ? ORDER BY id LIMIT ? OFFSET ?",
	    "iii", id, (int64_t)limit, offset);
	return n;
}

void
store_log_free(struct store_logline *lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
}
