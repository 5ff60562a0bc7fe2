/*
 * Unit tests for the store (store.h, over db.c and store-*.c) on a real
 * SQLite file: queue, claim, cancel, prune, and which commits fsync.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "store.h"
#include "xmalloc.h"

static char dir[] = "/tmp/test_store.XXXXXX";

/*
 * The default VFS with every xSync counted, so a test sees which commits
 * reach the disk. A file stays the one the real VFS opened; only its
 * methods become a copy in which xSync counts before it syncs. The real
 * VFS has a set of methods for the database and another for its WAL and
 * journal: one copy for each.
 */
#define COUNTING_KINDS 4
static sqlite3_vfs *real_vfs;
static sqlite3_vfs counting_vfs;
static const sqlite3_io_methods *real_io[COUNTING_KINDS];
static sqlite3_io_methods counting_io[COUNTING_KINDS];
static int syncs;

static int
counting_sync(sqlite3_file *f, int flags)
{
	syncs++;
	return real_io[f->pMethods - counting_io]->xSync(f, flags);
}

static int
counting_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	int rc = real_vfs->xOpen(real_vfs, name, f, flags, out);

	(void)vfs;
	if (rc != SQLITE_OK || f->pMethods == NULL)
		return rc;
	/* A file of a fifth kind goes uncounted: the FULL checks then fail. */
	for (int i = 0; i < COUNTING_KINDS; i++) {
		if (real_io[i] == NULL) {
			real_io[i] = f->pMethods;
			counting_io[i] = *f->pMethods;
			counting_io[i].xSync = counting_sync;
		}
		if (real_io[i] == f->pMethods) {
			f->pMethods = &counting_io[i];
			break;
		}
	}
	return rc;
}

/* Makes the counting VFS the default one, before the store opens. */
static int
counting_vfs_install(void)
{
	if ((real_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return -1;
	counting_vfs = *real_vfs;
	counting_vfs.zName = "turnout-test-counting";
	counting_vfs.xOpen = counting_open;
	return sqlite3_vfs_register(&counting_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* Returns how many times a file was synced since the last call. */
static int
syncs_since(void)
{
	static int seen;
	int n = syncs - seen;

	seen = syncs;
	return n;
}

static int
setup(void **state)
{
	char *path, *cause = NULL;

	if (counting_vfs_install() != 0 || mkdtemp(dir) == NULL)
		return -1;
	path = xasprintf("%s/turnout.db", dir);
	*state = store_open(path, &cause);
	free(path);
	free(cause);
	return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc;

	store_close(*state);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static int64_t
enqueue(struct store *st, const char *app, const char *delivery, enum store_enqueue want)
{
	struct store_request req = { .app = app,
		.kind = "push",
		.commit = "abcd",
		.ref = "refs/heads/main",
		.sender = "github",
		.delivery = delivery };
	int64_t id = 0;
	char *cause = NULL;

	assert_int_equal(store_enqueue(st, &req, &id, &cause), want);
	assert_null(cause);
	return id;
}

static void
test_enqueue_duplicate_supersede(void **state)
{
	struct store *st = *state;
	struct store_deployment d;
	int64_t a = enqueue(st, "x", "d1", STORE_QUEUED);
	int64_t dup = enqueue(st, "x", "d1", STORE_DUPLICATE);
	int64_t b = enqueue(st, "x", "d2", STORE_QUEUED);
	int64_t other = enqueue(st, "y", "d1", STORE_QUEUED);

	assert_int_equal(dup, a);
	assert_true(b > a);
	assert_true(other > b);
	/* The newer push superseded the older one of the same app only. */
	assert_int_equal(store_get_deployment(st, a, &d), 0);
	assert_string_equal(d.status, "superseded");
	store_deployment_release(&d);
	assert_int_equal(store_claim(st, "x", &d), 1);
	assert_int_equal(d.id, b);
	assert_string_equal(d.status, "running");
	store_deployment_release(&d);
	assert_int_equal(store_claim(st, "x", &d), 0);
	assert_int_equal(store_get_deployment(st, 999, &d), 1);
}

/*
 * Group commit: a batch queues in order (a delivery given twice in it is a
 * duplicate of the first), and a request that fails takes back only its
 * own rows.
 */
static void
test_enqueue_batch(void **state)
{
	struct store *st = *state;
	struct store_request r[4] = {
		{ .app = "g", .kind = "push", .commit = "aa", .delivery = "b1" },
		{ .app = "g",
		    .kind = NULL,
		    .commit = "bb",
		    .delivery = "b2" }, /* kind is NOT NULL */
		{ .app = "g", .kind = "push", .commit = "cc", .delivery = "b3" },
		{ .app = "g", .kind = "push", .commit = "dd", .delivery = "b1" },
	};
	const struct store_request *reqs[4] = { &r[0], &r[1], &r[2], &r[3] };
	struct store_queued out[4];
	struct store_deployment d;

	assert_int_equal(store_enqueue_batch(st, reqs, out, 4), 1);
	assert_int_equal(out[0].result, STORE_QUEUED);
	assert_int_equal(out[1].result, STORE_FAILED);
	assert_non_null(out[1].cause);
	free(out[1].cause);
	assert_int_equal(out[2].result, STORE_QUEUED);
	assert_int_equal(out[3].result, STORE_DUPLICATE);
	assert_int_equal(out[3].id, out[0].id);
	for (int i = 0; i < 4; i++)
		if (i != 1)
			assert_null(out[i].cause);
	/* The failed one left no delivery behind: it may come again. */
	assert_int_equal(enqueue(st, "g", "b2", STORE_QUEUED) > out[2].id, 1);
	/* Older queued ones of the batch were superseded, as one by one. */
	assert_int_equal(store_get_deployment(st, out[0].id, &d), 0);
	assert_string_equal(d.status, "superseded");
	store_deployment_release(&d);
}

/*
 * A batch that commits writes each row once: an older one of an app that a
 * later one of the batch outdates is stored superseded already, as if it
 * had been queued and then superseded; the app's newest stays queued, and
 * so does the newest of another app.
 */
static void
test_enqueue_batch_superseded(void **state)
{
	struct store *st = *state;
	int64_t before = enqueue(st, "s", "s0", STORE_QUEUED);
	struct store_request r[5] = {
		{ .app = "s", .kind = "push", .commit = "aa", .delivery = "s1" },
		{ .app = "t", .kind = "push", .commit = "bb", .delivery = "t1" },
		{ .app = "s", .kind = "push", .commit = "cc", .delivery = "s2" },
		{ .app = "s", .kind = "push", .commit = "dd", .delivery = "s1" },
		{ .app = "s", .kind = "push", .commit = "ee", .delivery = "s0" },
	};
	const struct store_request *reqs[5] = { &r[0], &r[1], &r[2], &r[3], &r[4] };
	const char *want[5] = { "superseded", "queued", "queued", "superseded", "superseded" };
	struct store_queued out[5];
	struct store_deployment d;

	assert_int_equal(store_enqueue_batch(st, reqs, out, 5), 0);
	assert_int_equal(out[0].result, STORE_QUEUED);
	assert_int_equal(out[1].result, STORE_QUEUED);
	assert_int_equal(out[2].result, STORE_QUEUED);
	assert_int_equal(out[3].result, STORE_DUPLICATE);
	assert_int_equal(out[3].id, out[0].id);
	/* A delivery of an earlier batch: its deployment, superseded by this batch. */
	assert_int_equal(out[4].result, STORE_DUPLICATE);
	assert_int_equal(out[4].id, before);
	assert_true(out[0].id > before && out[2].id > out[0].id);
	for (int i = 0; i < 5; i++) {
		assert_null(out[i].cause);
		assert_int_equal(store_get_deployment(st, out[i].id, &d), 0);
		assert_string_equal(d.status, want[i]);
		if (strcmp(want[i], "superseded") == 0) {
			assert_string_equal(d.error, "a newer deployment was queued");
			/* Stored superseded: ended when it was made (the older one, later). */
			if (i < 4)
				assert_int_equal(d.finished_at, d.created_at);
			else
				assert_true(d.finished_at >= d.created_at);
		} else {
			assert_null(d.error);
			assert_int_equal(d.finished_at, 0);
		}
		store_deployment_release(&d);
	}
}

/*
 * A batch the database refuses as a whole (another connection holds the
 * write lock past the busy wait) fails every request at once: none is
 * tried again alone, which would wait 5 s more for each. Nothing is
 * stored, so each may come again.
 */
static void
test_enqueue_batch_busy(void **state)
{
	struct store *st = *state;
	struct store_request r[3] = {
		{ .app = "u", .kind = "push", .commit = "aa", .delivery = "u1" },
		{ .app = "u", .kind = "push", .commit = "bb", .delivery = "u2" },
		{ .app = "v", .kind = "push", .commit = "cc", .delivery = "v1" },
	};
	const struct store_request *reqs[3] = { &r[0], &r[1], &r[2] };
	char *path = xasprintf("%s/turnout.db", dir);
	struct store_queued out[3];
	struct timespec t0, t1;
	sqlite3 *other;

	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	free(path);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_enqueue_batch(st, reqs, out, 3), 3);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(out[i].result, STORE_FAILED);
		assert_non_null(out[i].cause);
		free(out[i].cause);
	}
	/* One busy wait (about 5 s), not one more per request. */
	assert_true(t1.tv_sec - t0.tv_sec < 12);
	assert_int_equal(enqueue(st, "u", "u1", STORE_QUEUED) > 0, 1);
}

static void
test_cancel_and_recover(void **state)
{
	struct store *st = *state;
	struct store_deployment d;
	int64_t q = enqueue(st, "c", NULL, STORE_QUEUED);

	assert_int_equal(store_request_cancel(st, q), 0);
	assert_int_equal(store_get_deployment(st, q, &d), 0);
	assert_string_equal(d.status, "cancelled");
	store_deployment_release(&d);
	assert_int_equal(store_request_cancel(st, q), 1);     /* finished */
	assert_int_equal(store_request_cancel(st, 12345), 2); /* unknown */

	q = enqueue(st, "c", NULL, STORE_QUEUED);
	assert_int_equal(store_claim(st, "c", &d), 1);
	store_deployment_release(&d);
	assert_int_equal(store_cancel_requested(st, q), 0);
	assert_int_equal(store_request_cancel(st, q), 0); /* running: flagged */
	assert_int_equal(store_cancel_requested(st, q), 1);
	/* A restart finds it running: it ends interrupted. */
	assert_true(store_recover(st) >= 1);
	assert_int_equal(store_get_deployment(st, q, &d), 0);
	assert_string_equal(d.status, "interrupted");
	store_deployment_release(&d);
}

static void
test_bad_releases(void **state)
{
	struct store *st = *state;
	int64_t id = enqueue(st, "b", NULL, STORE_QUEUED);
	char *good;

	assert_int_equal(store_is_bad(st, "b", "abcd"), 0);
	assert_int_equal(store_mark_bad(st, "b", "abcd", id, "confirm failed"), 0);
	assert_int_equal(store_is_bad(st, "b", "abcd"), 1);
	assert_int_equal(store_finish(st, id, "succeeded", "blue", NULL), 0);
	/* A succeeded deployment of a bad commit is still not picked. */
	assert_null(store_last_good_commit(st, "b", NULL));
	assert_int_equal(store_unmark_bad(st, "b", "abcd"), 0);
	good = store_last_good_commit(st, "b", NULL);
	assert_non_null(good);
	assert_string_equal(good, "abcd");
	free(good);
	assert_null(store_last_good_commit(st, "b", "abcd"));
	assert_int_equal(store_was_live(st, "b", "abcd"), 1);
	assert_int_equal(store_was_live(st, "b", "ffff"), 0);
}

static void
test_logs_page_and_prune(void **state)
{
	struct store *st = *state;
	struct store_line lines[3] = { { 1, "out", "one" }, { 2, "err", "two" },
		{ 3, "turnout", "three" } };
	struct store_logline *got;
	int64_t ids[6], pruned = 0;
	int n;

	for (int i = 0; i < 4; i++) {
		ids[i] = enqueue(st, "p", NULL, STORE_QUEUED);
		assert_int_equal(store_log(st, ids[i], lines, 3), 0);
	}
	n = store_get_log(st, ids[0], 1, 10, &got);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].text, "two");
	assert_string_equal(got[0].stream, "err");
	store_log_free(got, n);
	/* Keep the logs of the newest two deployments only. */
	assert_int_equal(store_prune(st, "p", 2, &pruned), 0);
	assert_int_equal(pruned, ids[2]);
	n = store_get_log(st, ids[1], 0, 10, &got);
	assert_int_equal(n, 0);
	store_log_free(got, n);
	n = store_get_log(st, ids[2], 0, 10, &got);
	assert_int_equal(n, 3);
	store_log_free(got, n);
	/* Two more: the next prune starts at its mark and drops the next two. */
	for (int i = 4; i < 6; i++) {
		ids[i] = enqueue(st, "p", NULL, STORE_QUEUED);
		assert_int_equal(store_log(st, ids[i], lines, 3), 0);
	}
	assert_int_equal(store_prune(st, "p", 2, &pruned), 0);
	assert_int_equal(pruned, ids[4]);
	for (int i = 0; i < 6; i++) {
		n = store_get_log(st, ids[i], 0, 10, &got);
		assert_int_equal(n, i < 4 ? 0 : 3);
		store_log_free(got, n);
	}
}

/*
 * Progress commits skip their fsync, and every other commit keeps it: the
 * counting VFS sees no sync inside a claim, a step or a log batch, and one
 * or more for a queued deployment and its end. (The WAL is emptied first:
 * a commit that takes it past DB_CHECKPOINT_PAGES would sync to copy it.)
 */
static void
test_progress_then_full(void **state)
{
	struct store *st = *state;
	struct store_line lines[2] = { { 1, "turnout", "step fetch" }, { 2, "out", "done" } };
	struct store_step *steps;
	struct store_deployment d;
	int64_t id, step;
	int n;

	assert_int_equal(sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
			     NULL),
	    SQLITE_OK);
	syncs_since();
	id = enqueue(st, "q", NULL, STORE_QUEUED);
	assert_true(syncs_since() > 0);
	assert_int_equal(store_synchronous(st), 2);
	assert_int_equal(store_claim(st, "q", &d), 1);
	assert_int_equal(d.id, id);
	store_deployment_release(&d);
	assert_int_equal(syncs_since(), 0);
	assert_int_equal(store_synchronous(st), 2);
	step = store_step_begin(st, id, "fetch", lines, 1);
	assert_true(step > 0);
	assert_int_equal(syncs_since(), 0);
	assert_int_equal(store_synchronous(st), 2);
	assert_int_equal(store_step_end(st, id, step, "succeeded", "ok", 42, lines + 1, 1), 0);
	assert_int_equal(syncs_since(), 0);
	assert_int_equal(store_synchronous(st), 2);
	assert_int_equal(store_log(st, id, lines, 2), 0);
	assert_int_equal(syncs_since(), 0);
	assert_int_equal(store_synchronous(st), 2);
	assert_int_equal(store_finish(st, id, "succeeded", "blue", NULL), 0);
	assert_true(syncs_since() > 0);
	n = store_get_steps(st, id, &steps);
	assert_int_equal(n, 1);
	assert_string_equal(steps[0].status, "succeeded");
	assert_int_equal(steps[0].command_ms, 42);
	assert_true(steps[0].finished_at >= steps[0].started_at);
	store_steps_free(steps, n);
}

static void
test_history_paging(void **state)
{
	struct store *st = *state;
	struct store_deployment *list;
	int64_t ids[5];
	int n;

	for (int i = 0; i < 5; i++)
		ids[i] = enqueue(st, "h", NULL, STORE_QUEUED);
	n = store_list_deployments(st, "h", 0, 2, &list);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, ids[4]);
	assert_int_equal(list[1].id, ids[3]);
	store_deployments_free(list, n);
	n = store_list_deployments(st, "h", ids[3], 10, &list);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, ids[2]);
	store_deployments_free(list, n);
}

/* What test_metrics_cache adds up from STORE_METRIC_FINISHED. */
struct finished {
	int64_t succeeded, failed;
	int series; /* of app m */
	int all;    /* of every app */
};

static void
finished_series(void *ctx, const struct store_series *s)
{
	struct finished *f = ctx;

	f->all++;
	if (strcmp(s->label[0], "m") != 0)
		return; /* the other tests' apps */
	f->series++;
	if (strcmp(s->label[2], "succeeded") == 0)
		f->succeeded += s->value;
	else if (strcmp(s->label[2], "failed") == 0)
		f->failed += s->value;
}

/* Rows in the scrapes' cache for one kind of series. */
static int64_t
cache_rows(struct store *st, int kind)
{
	sqlite3_stmt *stmt;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(st->db,
			     "SELECT count(*) FROM temp.metric_cache WHERE kind = ?", -1, &stmt,
			     NULL),
	    SQLITE_OK);
	sqlite3_bind_int(stmt, 1, kind);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

/*
 * /metrics scraped after each deployment: the cache holds one row per
 * series however many times it advanced, and says what a new connection
 * reading every row says.
 */
static void
test_metrics_cache(void **state)
{
	struct store *st, *cold;
	struct store_deployment d;
	struct finished warm = { 0 }, fresh = { 0 };
	char own[] = "/tmp/test-metrics.XXXXXX", *path, *cause = NULL, *cmd;
	int64_t id;

	/* A database of its own: a deployment left queued would keep the mark at the start. */
	(void)state;
	assert_non_null(mkdtemp(own));
	path = xasprintf("%s/turnout.db", own);
	st = store_open(path, &cause);
	assert_non_null(st);

	for (int i = 0; i < 30; i++) {
		id = enqueue(st, "m", NULL, STORE_QUEUED);
		assert_int_equal(store_claim(st, "m", &d), 1);
		store_deployment_release(&d);
		assert_int_equal(store_finish(st, id, i % 3 == 0 ? "failed" : "succeeded", NULL,
				     NULL),
		    0);
		memset(&warm, 0, sizeof warm);
		assert_int_equal(store_metric(st, STORE_METRIC_FINISHED, finished_series, &warm),
		    0);
		assert_int_equal(warm.succeeded + warm.failed, i + 1);
	}
	assert_int_equal(warm.succeeded, 20);
	assert_int_equal(warm.failed, 10);
	/* One row per series of every app (the other tests' too), not one per advance. */
	assert_int_equal(warm.series, 2);
	assert_int_equal(cache_rows(st, STORE_METRIC_FINISHED), warm.all);

	cold = store_open(path, &cause);
	free(path);
	assert_non_null(cold);
	assert_int_equal(store_metric(cold, STORE_METRIC_FINISHED, finished_series, &fresh), 0);
	assert_int_equal(fresh.succeeded, warm.succeeded);
	assert_int_equal(fresh.failed, warm.failed);
	assert_int_equal(fresh.series, warm.series);
	assert_int_equal(fresh.all, warm.all);
	store_close(cold);
	store_close(st);
	cmd = xasprintf("rm -rf '%s'", own);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/*
 * The WAL is copied into the database every DB_CHECKPOINT_PAGES pages, so
 * it stays short: 300 deployments with a message of 4 KB each, one commit
 * each, write some 2,000 pages, and the WAL file never holds many more
 * than DB_CHECKPOINT_PAGES (it would reach 1,000 at SQLite's default).
 */
static void
test_wal_stays_short(void **state)
{
	struct store *st = *state;
	char message[4001], *wal = xasprintf("%s/turnout.db-wal", dir);
	struct store_request req = { .app = "w", .kind = "push", .commit = "abcd" };
	int64_t id, frame = db_int(st, 0, "PRAGMA page_size", "") + 24; /* a page, its header */
	off_t most = 0;
	struct stat sb;
	char *cause;

	/* From an empty WAL: the file keeps the length the tests before gave it. */
	assert_int_equal(sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
			     NULL),
	    SQLITE_OK);
	memset(message, 'm', sizeof message - 1);
	message[sizeof message - 1] = '\0';
	req.message = message;
	for (int i = 0; i < 300; i++) {
		cause = NULL;
		assert_int_equal(store_enqueue(st, &req, &id, &cause), STORE_QUEUED);
		assert_int_equal(stat(wal, &sb), 0);
		if (sb.st_size > most)
			most = sb.st_size;
	}
	free(wal);
	assert_true(frame > 24 && most > 0);
	assert_true(most / frame < DB_CHECKPOINT_PAGES + 50);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enqueue_duplicate_supersede),
		cmocka_unit_test(test_enqueue_batch),
		cmocka_unit_test(test_enqueue_batch_superseded),
		cmocka_unit_test(test_enqueue_batch_busy),
		cmocka_unit_test(test_cancel_and_recover),
		cmocka_unit_test(test_bad_releases),
		cmocka_unit_test(test_logs_page_and_prune),
		cmocka_unit_test(test_progress_then_full),
		cmocka_unit_test(test_history_paging),
		cmocka_unit_test(test_metrics_cache),
		cmocka_unit_test(test_wal_stays_short),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
