/*
 * The deployments table: the queue (enqueue with de-duplication, claim,
 * supersede, cancel, finish, recovery at start) and the reads the API and
 * /metrics make of it, with the pruning that keeps it small.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "clock.h"
#include "db.h"
#include "store.h"
#include "xmalloc.h"
#include "banned.h"

#define DEPLOYMENT_COLUMNS \
	"d.id, d.app, d.kind, d.status, d.commit_sha, d.ref," \
	" d.sender, d.author, d.message, d.color, d.error, d.created_at," \
	" d.started_at, d.finished_at, EXISTS (SELECT 1 FROM bad_releases b" \
	" WHERE b.app = d.app AND b.commit_sha = d.commit_sha)"

/* Fills the struct store_deployment elem from a row selected with DEPLOYMENT_COLUMNS. */
static void
deployment_from_row(sqlite3_stmt *stmt, void *elem)
{
	struct store_deployment *d = elem;

	d->id = sqlite3_column_int64(stmt, 0);
	d->app = db_column_text(stmt, 1);
	d->kind = db_column_text(stmt, 2);
	d->status = db_column_text(stmt, 3);
	d->commit = db_column_text(stmt, 4);
	d->ref = db_column_text(stmt, 5);
	d->sender = db_column_text(stmt, 6);
	d->author = db_column_text(stmt, 7);
	d->message = db_column_text(stmt, 8);
	d->color = db_column_text(stmt, 9);
	d->error = db_column_text(stmt, 10);
	d->created_at = sqlite3_column_int64(stmt, 11);
	d->started_at = sqlite3_column_int64(stmt, 12);
	d->finished_at = sqlite3_column_int64(stmt, 13);
	d->bad = sqlite3_column_int(stmt, 14);
}

/* Why an older queued deployment ended: a newer one of its app was queued. */
#define SUPERSEDED_ERROR "a newer deployment was queued"

/*
 * Only the newest waits: the queued deployments of app older than id end
 * 'superseded' at now. The caller holds the lock inside a transaction,
 * and rolls it back if this fails.
 *
 * OR FAIL, because of that rollback: an UPDATE that may change several
 * rows and may abort on a constraint (the CHECK on status) makes SQLite
 * keep a statement journal, a copy of every page it changes (~20 KB,
 * malloc'd and freed once per batch); freeing it made glibc give the
 * pages back with an madvise, a TLB flush on every core, 9% of the
 * network process's time under bench/ingest PUSH=typical.
 */
static int
supersede_older(struct store *st, const char *app, int64_t id, int64_t now)
{
	return db_stmt_done(st,
	    db_prepare(st,
		"UPDATE OR FAIL deployments SET status = 'superseded',"
		" finished_at = ?, error = '" SUPERSEDED_ERROR "' WHERE app = ?"
		" AND status = 'queued' AND id < ?",
		"isi", now, app, id));
}

/* Whether reqs[i] is one of a delivery that an earlier queued one of the batch had: its index + 1, or 0. */
static int
earlier_delivery(const struct store_request *const *reqs, const struct store_queued *out, int i)
{
	for (int j = 0; j < i; j++)
		if (out[j].result == STORE_QUEUED && reqs[j]->delivery != NULL &&
		    strcmp(reqs[j]->app, reqs[i]->app) == 0 &&
		    strcmp(reqs[j]->delivery, reqs[i]->delivery) == 0)
			return j + 1;
	return 0;
}

/* Whether a later request of the batch queues a deployment of the same app. */
static int
outdated(const struct store_request *const *reqs, const struct store_queued *out, int i, int n)
{
	for (int k = i + 1; k < n; k++)
		if (out[k].result == STORE_QUEUED && strcmp(reqs[k]->app, reqs[i]->app) == 0)
			return 1;
	return 0;
}

/*
 * Queues the n requests in one transaction and returns 0, or none of
 * them, each out[i] STORE_FAILED with its cause: 1 when a request's own
 * statement failed (its values broke a constraint), -1 when the database
 * did. The caller holds the lock.
 *
 * Each row is written once: a request that a later one of its app in the
 * same batch outdates is inserted 'superseded' already, and the older
 * queued rows of each app get one UPDATE per batch. An UPDATE per request
 * rewrote the row before it (with its message of up to 4 KB, an overflow
 * page) and its index entries, and a savepoint per request copied every
 * page it touched again into a temporary sub-journal file: strace counted
 * 21 writes per webhook (bench/ingest), 7 now.
 */
static int
enqueue_tx(struct store *st, const struct store_request *const *reqs, struct store_queued *out,
    int n, int64_t now)
{
	int i, began, code, rc = db_stmt_done(st, db_prepare(st, "BEGIN IMMEDIATE", ""));

	began = rc == 0;
	/* First what each request is: a duplicate of an earlier batch, of this one, or new. */
	for (i = 0; rc == 0 && i < n; i++) {
		const struct store_request *req = reqs[i];

		out[i] = (struct store_queued){ STORE_QUEUED, 0, NULL };
		if (req->delivery == NULL)
			continue;
		if (earlier_delivery(reqs, out, i) > 0 ||
		    (out[i].id = db_stmt_int(st,
			 db_prepare(st,
			     "SELECT deployment FROM deliveries WHERE app = ? AND delivery = ?",
			     "ss", req->app, req->delivery),
			 0)) > 0)
			out[i].result = STORE_DUPLICATE;
	}
	/* Then the rows, in order: a duplicate of this batch takes its first one's id. */
	for (i = 0; rc == 0 && i < n; i++) {
		const struct store_request *req = reqs[i];
		int old, first;

		if (out[i].result == STORE_DUPLICATE && out[i].id == 0 &&
		    (first = earlier_delivery(reqs, out, i)) > 0)
			out[i].id = out[first - 1].id;
		if (out[i].result != STORE_QUEUED)
			continue;
		old = outdated(reqs, out, i, n);
		rc = db_stmt_done(st,
		    db_prepare(st,
			"INSERT INTO deployments (app, kind, commit_sha, ref, sender, delivery,"
			" author, message, created_at, status, finished_at, error)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			" CASE WHEN ?10 THEN 'superseded' ELSE 'queued' END,"
			" CASE WHEN ?10 THEN ?9 END, CASE WHEN ?10 THEN '" SUPERSEDED_ERROR
			"' END)",
			"ssssssssii", req->app, req->kind, req->commit, req->ref, req->sender,
			req->delivery, req->author, req->message, now, (int64_t)old));
		out[i].id = sqlite3_last_insert_rowid(st->db);
		if (rc == 0 && req->delivery != NULL)
			rc = db_stmt_done(st,
			    db_prepare(st,
				"INSERT INTO deliveries (app, delivery, deployment,"
				" received_at) VALUES (?, ?, ?, ?)",
				"ssii", req->app, req->delivery, out[i].id, now));
		if (rc == 0 && !old)
			rc = supersede_older(st, req->app, out[i].id, now);
	}
	/* A request's own statement failed: what it holds, not the database, may be at fault. */
	code = rc != 0 && began ? sqlite3_errcode(st->db) & 0xff : SQLITE_OK;
	/* One COMMIT, one fsync: every row of the batch is durable, or none is. */
	if (rc == 0 && (rc = db_stmt_done(st, db_prepare(st, "COMMIT", ""))) == 0)
		return 0;
	for (i = 0; i < n; i++)
		out[i] = (struct store_queued){ STORE_FAILED, 0, xstrdup(sqlite3_errmsg(st->db)) };
	/* Not when BEGIN failed: a transaction open then would not be ours. */
	if (began && !sqlite3_get_autocommit(st->db))
		db_exec(st, "ROLLBACK", NULL);
	return code == SQLITE_CONSTRAINT || code == SQLITE_MISMATCH || code == SQLITE_TOOBIG ||
		code == SQLITE_RANGE ?
	    1 :
	    -1;
}

int
store_enqueue_batch(struct store *st, const struct store_request *const *reqs,
    struct store_queued *out, int n)
{
	int64_t now = clock_real_ms();
	int failed = 0;

	pthread_mutex_lock(&st->lock);
	/*
	 * One request that cannot be stored must not cost the others theirs:
	 * each goes again alone. Not when the database failed the batch (busy
	 * for 5 s, the disk full): alone, each would fail the same, n times.
	 */
	if (enqueue_tx(st, reqs, out, n, now) > 0 && n > 1)
		for (int i = 0; i < n; i++) {
			free(out[i].cause);
			enqueue_tx(st, &reqs[i], &out[i], 1, now);
		}
	pthread_mutex_unlock(&st->lock);
	for (int i = 0; i < n; i++)
		failed += out[i].result == STORE_FAILED;
	return failed;
}

enum store_enqueue
store_enqueue(struct store *st, const struct store_request *req, int64_t *id, char **cause)
{
	struct store_queued out;

	store_enqueue_batch(st, &req, &out, 1);
	*id = out.id;
	*cause = out.cause;
	return out.result;
}

int
store_recover(struct store *st)
{
	int64_t now = clock_real_ms();
	int n = -1, rc;

	pthread_mutex_lock(&st->lock);
	if (db_exec(st, "BEGIN IMMEDIATE", NULL) != 0) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	/* Whoever was told a deployment started is told it was interrupted (see outbox.h). */
	rc = db_stmt_done(st,
	    db_prepare(st,
		"INSERT INTO outbox (deployment, app, target, event, next_at, created_at)"
		" SELECT deployment, app, target, 'interrupted', ?, ? FROM outbox"
		" WHERE event = 'started' AND deployment IN"
		" (SELECT id FROM deployments WHERE status = 'running') GROUP BY deployment, target",
		"ii", now, now));
	if (rc == 0)
		rc = db_stmt_done(st,
		    db_prepare(st,
			"UPDATE deployments SET status = 'interrupted',"
			" finished_at = ?, error = 'turnout stopped while this deployment ran'"
			" WHERE status = 'running'",
			"i", now));
	if (rc == 0)
		n = sqlite3_changes(st->db);
	if (rc == 0)
		rc = db_stmt_done(st,
		    db_prepare(st,
			"UPDATE steps SET status = 'failed',"
			" finished_at = ?, detail = 'interrupted' WHERE status = 'running'",
			"i", now));
	if (db_end_tx(st, rc) != 0)
		n = -1;
	pthread_mutex_unlock(&st->lock);
	return n;
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
	if (db_progress_begin(st) != 0) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	stmt = db_prepare(st,
	    "SELECT " DEPLOYMENT_COLUMNS " FROM deployments d"
	    " WHERE d.app = ? AND d.status = 'queued' AND NOT EXISTS (SELECT 1 FROM freezes f"
	    " WHERE f.app = d.app AND (f.until IS NULL OR f.until > ?))"
	    " ORDER BY d.id DESC LIMIT 1",
	    "si", app, now);
	if (stmt == NULL)
		rc = -1;
	else if (sqlite3_step(stmt) == SQLITE_ROW) {
		deployment_from_row(stmt, d);
		found = 1;
	}
	db_release(st, stmt);
	if (found && rc == 0)
		rc = supersede_older(st, app, d->id, now);
	if (found && rc == 0)
		rc = db_stmt_done(st,
		    db_prepare(st,
			"UPDATE deployments SET status = 'running',"
			" started_at = ? WHERE id = ?",
			"ii", now, d->id));
	rc = db_progress_end(st, rc);
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
	return db_do(st, "UPDATE deployments SET commit_sha = ? WHERE id = ?", "si", commit, id);
}

int
store_finish(struct store *st, int64_t id, const char *status, const char *color, const char *error)
{
	return db_do(st,
	    "UPDATE deployments SET status = ?, color = coalesce(?, color),"
	    " error = ?, finished_at = ? WHERE id = ?",
	    "sssii", status, color, error, clock_real_ms(), id);
}

int
store_cancel_requested(struct store *st, int64_t id)
{
	return (int)db_int(st, 0, "SELECT cancel_requested FROM deployments WHERE id = ?", "i", id);
}

int
store_request_cancel(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;
	char status[16] = "";
	int rc;

	pthread_mutex_lock(&st->lock);
	if (db_exec(st, "BEGIN IMMEDIATE", NULL) != 0) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	stmt = db_prepare(st, "SELECT status FROM deployments WHERE id = ?", "i", id);
	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
		snprintf(status, sizeof status, "%s", sqlite3_column_text(stmt, 0));
	db_release(st, stmt);
	if (status[0] == '\0')
		rc = 2;
	else if (strcmp(status, "queued") == 0)
		rc = db_stmt_done(st,
		    db_prepare(st,
			"UPDATE deployments SET status = 'cancelled',"
			" cancel_requested = 1, finished_at = ?, error = 'cancelled before it ran'"
			" WHERE id = ?",
			"ii", clock_real_ms(), id));
	else if (strcmp(status, "running") == 0)
		rc = db_stmt_done(st,
		    db_prepare(st,
			"UPDATE deployments SET cancel_requested = 1"
			" WHERE id = ?",
			"i", id));
	else
		rc = 1;
	if (db_end_tx(st, rc < 0 ? -1 : 0) != 0)
		rc = -1;
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int
store_app_queue(struct store *st, const char *app, int64_t *queued, int64_t *running)
{
	sqlite3_stmt *stmt;

	*queued = 0;
	*running = 0;
	pthread_mutex_lock(&st->lock);
	stmt = db_prepare(st,
	    "SELECT (SELECT count(*) FROM deployments WHERE app = ?1 AND"
	    " status = 'queued'), (SELECT max(id) FROM deployments WHERE app = ?1 AND"
	    " status = 'running')",
	    "s", app);
	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW) {
		*queued = sqlite3_column_int64(stmt, 0);
		*running = sqlite3_column_int64(stmt, 1);
	}
	db_release(st, stmt);
	pthread_mutex_unlock(&st->lock);
	return stmt != NULL ? 0 : -1;
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

/* A db_each row: fills the struct store_deployment ctx, and stops. */
static int
deployment_row(sqlite3_stmt *stmt, void *ctx)
{
	deployment_from_row(stmt, ctx);
	return 1;
}

int
store_get_deployment(struct store *st, int64_t id, struct store_deployment *d)
{
	int rc;

	memset(d, 0, sizeof *d);
	rc = db_each(st, deployment_row, d,
	    "SELECT " DEPLOYMENT_COLUMNS " FROM deployments d WHERE d.id = ?", "i", id);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_list_deployments(struct store *st, const char *app, int64_t before, int limit,
    struct store_deployment **list)
{
	int n;

	*list = db_rows(st, sizeof **list, deployment_from_row, &n,
	    "SELECT " DEPLOYMENT_COLUMNS " FROM deployments d WHERE d.app = ? AND d.id < ?"
	    " ORDER BY d.id DESC LIMIT ?",
	    "sii", app, before > 0 ? before : INT64_MAX, (int64_t)limit);
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
store_prune(struct store *st, const char *app, int keep, int64_t *pruned)
{
	int64_t cutoff;
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	/* Logs go with the deployments below the keep-th newest: found in keep steps. */
	cutoff = db_stmt_int(st,
	    db_prepare(st,
		"SELECT id FROM deployments WHERE app = ? ORDER BY id DESC LIMIT 1 OFFSET ?", "si",
		app, (int64_t)keep - 1),
	    0);
	if (cutoff > *pruned) {
		rc = db_stmt_done(st,
		    db_prepare(st,
			"DELETE FROM logs WHERE deployment IN (SELECT id FROM"
			" deployments WHERE app = ? AND id >= ? AND id < ?)",
			"sii", app, *pruned, cutoff));
		if (rc == 0)
			*pruned = cutoff;
	}
	if (rc == 0)
		rc = db_stmt_done(st,
		    db_prepare(st, "DELETE FROM deliveries WHERE received_at < ?", "i",
			clock_real_ms() - (int64_t)30 * 86400 * 1000));
	pthread_mutex_unlock(&st->lock);
	return rc;
}
