/*
 * What /metrics reads of the database: counts and histograms over the
 * deployments, steps and drains that are kept for good, so that totals
 * survive restarts and never go down (logs are pruned, these rows are
 * not). Every query groups in SQL: one scrape reads one row per series.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "store.h"
#include "banned.h"

/* A deployment that ended: every final status. */
#define FINAL "('succeeded', 'failed', 'rolled_back', 'superseded', 'interrupted', 'cancelled')"

/*
 * The deployments a query reads, d.id in (?1, ?2]: a scrape reads the
 * ones that may still change, and the cache takes the rest once (below).
 */
#define RANGE " d.id > ?1 AND d.id <= ?2"
/* The same for the steps: s.id in (?1, ?2]. */
#define STEP_RANGE " s.id > ?1 AND s.id <= ?2"

/*
 * Every step up to this id has ended. A step row is written once and
 * ended once, but not always before its deployment ends: a retire handed
 * on, or the tidy after the end, adds one to an ended deployment.
 */
#define MARK_STEPS \
	"SELECT coalesce((SELECT min(id) FROM steps WHERE finished_at IS NULL) - 1," \
	" (SELECT max(id) FROM steps), 0)"

/* Every deployment up to this id has ended (queued and running ones are few). */
#define MARK_DEPLOYMENTS \
	"SELECT coalesce((SELECT min(id) FROM deployments WHERE status IN ('queued', 'running'))" \
	" - 1, (SELECT max(id) FROM deployments), 0)"

/* How series of a part of the rows add up to series of all of them. */
enum merge { MERGE_LIVE, MERGE_SUM, MERGE_MAX };

static const struct {
	const char *sql; /* its label columns first, then the value */
	int nlabels;
	enum merge merge; /* MERGE_LIVE: read whole at each scrape, no RANGE in it */
	const char *mark; /* the last id whose rows do not change; NULL: MARK_DEPLOYMENTS */
} metrics[] = {
	[STORE_METRIC_STARTED] = { "SELECT app, kind, COUNT(*) FROM deployments d"
				   " WHERE started_at IS NOT NULL AND" RANGE " GROUP BY 1, 2",
	    2, MERGE_SUM },
	[STORE_METRIC_FINISHED] = { "SELECT app, kind, status, COUNT(*) FROM deployments d"
				    " WHERE status IN " FINAL " AND" RANGE " GROUP BY 1, 2, 3",
	    3, MERGE_SUM },
	[STORE_METRIC_ROLLBACKS] = { "SELECT app, 'automatic', 'confirm_failed', COUNT(*)"
				     " FROM deployments d WHERE status = 'rolled_back' AND" RANGE
				     " GROUP BY 1 UNION ALL SELECT app, 'manual', 'requested', COUNT(*)"
				     " FROM deployments d WHERE kind = 'rollback'"
				     " AND status = 'succeeded' AND" RANGE " GROUP BY 1",
	    3, MERGE_SUM },
	[STORE_METRIC_CHECKS] = { "SELECT d.app, s.name, s.status, COUNT(*) FROM steps s"
				  " JOIN deployments d ON d.id = s.deployment"
				  " WHERE s.name IN ('verify', 'confirm') AND s.status != 'running'"
				  " AND" STEP_RANGE " GROUP BY 1, 2, 3",
	    3, MERGE_SUM, MARK_STEPS },
	/* Drains are written once, maybe after their deployment ended: their own ids mark them. */
	[STORE_METRIC_DRAINS] = { "SELECT app, result, COUNT(*) FROM drains d WHERE" RANGE
				  " GROUP BY 1, 2",
	    2, MERGE_SUM, "SELECT coalesce(max(id), 0) FROM drains" },
	[STORE_METRIC_LAST_SUCCESS] = { "SELECT app, MAX(finished_at) FROM deployments d"
					" WHERE status = 'succeeded' AND" RANGE " GROUP BY 1",
	    1, MERGE_MAX },
	/* The outbox changes, and is small: read whole. */
	[STORE_METRIC_OUTBOX] = { "SELECT app, target, state, COUNT(*) FROM outbox GROUP BY 1, 2, 3",
	    3, MERGE_LIVE },
	/* A status of now, but the rows up to the mark have their last one. */
	[STORE_METRIC_BY_STATUS] = { "SELECT app, status, COUNT(*) FROM deployments d WHERE" RANGE
				     " GROUP BY 1, 2",
	    2, MERGE_SUM },
};

/* Observations in ms: label columns l1, l2 (, l3), then the value v. */
static const struct {
	const char *sql;
	int nlabels;
	const char *mark; /* as in metrics[] */
} histograms[] = {
	[STORE_HIST_DEPLOYMENT] = { "SELECT app AS l1, kind AS l2, status AS l3,"
				    " finished_at - started_at AS v FROM deployments d WHERE started_at IS NOT NULL"
				    " AND finished_at IS NOT NULL AND status IN " FINAL
				    " AND" RANGE,
	    3 },
	[STORE_HIST_STEP] = { "SELECT d.app AS l1, s.name AS l2, s.status AS l3,"
			      " s.finished_at - s.started_at AS v FROM steps s JOIN deployments d ON d.id = s.deployment"
			      " WHERE s.finished_at IS NOT NULL AND" STEP_RANGE,
	    3, MARK_STEPS },
	[STORE_HIST_COMMAND] = { "SELECT d.app AS l1, s.name AS l2, s.status AS l3,"
				 " s.command_ms AS v FROM steps s JOIN deployments d ON d.id = s.deployment"
				 " WHERE s.finished_at IS NOT NULL AND" STEP_RANGE,
	    3, MARK_STEPS },
	[STORE_HIST_SWITCH] = { "SELECT d.app AS l1, s.status AS l2,"
				" s.finished_at - s.started_at AS v FROM steps s JOIN deployments d ON d.id = s.deployment"
				" WHERE s.finished_at IS NOT NULL"
				" AND s.name IN ('switch', 'rollback') AND" STEP_RANGE,
	    2, MARK_STEPS },
};

/* Appends to buf what fmt says; 0, or -1 when it does not fit. */
static int
sql_add(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
	return w < 0 || (size_t)w >= size - used ? -1 : 0;
}

/* The label columns of a series of 1, 2 or 3 labels, in the queries and the cache. */
static const char *const label_columns[] = { "l1", "l1, l2", "l1, l2, l3" };

/*
 * The cache. A scrape at 100k deployments took 2.5 s when every query read
 * the whole history. But a deployment that has ended never changes again,
 * nor does a step that has ended, and a drain row is written once: the
 * series of the rows up to a mark (MARK_*: the last id before the oldest
 * row that can still change) are added up once, into a TEMP table of the
 * scrapes' own connection, and a scrape reads that and the few rows past
 * the mark. One lock: concurrent scrapes must not add the same rows twice.
 */
#define CACHE_BUCKETS STORE_HIST_BOUNDS_MAX
#define CACHE_HIST 100 /* a histogram's kind in the cache: CACHE_HIST + h */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Makes the cache tables, once per connection (in memory: the network
 * process may not write files elsewhere). The connection is the caller's
 * only under st->lock: other reads of the scrape share it.
 */
static int
cache_ready(struct store *st)
{
	char sql[1024] = "";
	int bad = 0, rc, ready;

	pthread_mutex_lock(&st->lock);
	ready = st->metric_cache;
	pthread_mutex_unlock(&st->lock);
	if (ready)
		return 0;
	bad |= sql_add(sql, sizeof sql,
	    "CREATE TEMP TABLE IF NOT EXISTS metric_marks (kind INTEGER PRIMARY KEY, mark INTEGER);"
	    " CREATE TEMP TABLE IF NOT EXISTS metric_cache (kind INTEGER, l1, l2, l3, v, c, t");
	for (int b = 0; b < CACHE_BUCKETS; b++)
		bad |= sql_add(sql, sizeof sql, ", b%d", b);
	bad |= sql_add(sql, sizeof sql,
	    "); CREATE INDEX IF NOT EXISTS metric_cache_kind ON metric_cache (kind)");
	if (bad)
		return -1;
	pthread_mutex_lock(&st->lock);
	rc = db_exec(st, "PRAGMA temp_store = MEMORY", NULL) == 0 && db_exec(st, sql, NULL) == 0 ?
	    0 :
	    -1;
	st->metric_cache = rc == 0;
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/*
 * Folds kind's rows of the cache into one per series (merge: how their
 * values add up): each advance adds a row per series, and a daemon that
 * is scraped between deployments would keep one per deployment.
 */
static int
cache_fold(struct store *st, int kind, enum merge merge)
{
	char sql[2048] = "", buckets[512] = "", sums[512] = "";
	int64_t last;
	int bad = 0;

	last = db_int(st, -1, "SELECT coalesce(max(rowid), 0) FROM temp.metric_cache", "");
	for (int b = 0; b < CACHE_BUCKETS; b++) {
		bad |= sql_add(buckets, sizeof buckets, ", b%d", b);
		bad |= sql_add(sums, sizeof sums, ", SUM(b%d)", b);
	}
	bad |= sql_add(sql, sizeof sql,
	    "INSERT INTO temp.metric_cache (kind, l1, l2, l3, v, c, t%s)"
	    " SELECT kind, l1, l2, l3, %s(v), SUM(c), SUM(t)%s FROM temp.metric_cache"
	    " WHERE kind = ?1 GROUP BY l1, l2, l3",
	    buckets, merge == MERGE_MAX ? "MAX" : "SUM", sums);
	if (last < 0 || bad)
		return -1;
	if (db_do(st, sql, "i", (int64_t)kind) != 0 ||
	    db_do(st, "DELETE FROM temp.metric_cache WHERE kind = ? AND rowid <= ?", "ii",
		(int64_t)kind, last) != 0)
		return -1;
	return 0;
}

/*
 * Adds the rows between kind's mark and the current one to the cache,
 * with insert (SQL with ?1, ?2 for the range), and folds them in: all of
 * it or none, under a savepoint (the temp tables only: the main database
 * is only read). Returns the mark, or -1.
 */
static int64_t
cache_advance(struct store *st, int kind, enum merge merge, const char *mark_sql,
    const char *insert)
{
	int64_t old, mark;

	if (cache_ready(st) != 0)
		return -1;
	mark = db_int(st, -1, mark_sql != NULL ? mark_sql : MARK_DEPLOYMENTS, "");
	old = db_int(st, -1,
	    "SELECT coalesce((SELECT mark FROM temp.metric_marks WHERE kind = ?), 0)", "i",
	    (int64_t)kind);
	if (mark < 0 || old < 0)
		return -1;
	if (mark <= old)
		return old;
	if (db_do(st, "SAVEPOINT metric_cache", "") != 0)
		return -1;
	if (db_do(st, insert, "ii", old, mark) != 0 || cache_fold(st, kind, merge) != 0 ||
	    db_do(st, "INSERT OR REPLACE INTO temp.metric_marks (kind, mark) VALUES (?, ?)", "ii",
		(int64_t)kind, mark) != 0) {
		db_do(st, "ROLLBACK TO metric_cache", "");
		db_do(st, "RELEASE metric_cache", "");
		return -1;
	}
	return db_do(st, "RELEASE metric_cache", "") == 0 ? mark : -1;
}

struct each {
	int nlabels;
	size_t nbounds;
	store_series_fn fn;
	void *ctx;
};

/* A db_each row: labels, then the value (a count), or count, sum and buckets. */
static int
series_row(sqlite3_stmt *stmt, void *arg)
{
	struct each *e = arg;
	struct store_series s;
	int64_t le[STORE_HIST_BOUNDS_MAX];
	int i, col;

	memset(&s, 0, sizeof s);
	for (i = 0; i < e->nlabels; i++) {
		s.label[i] = (const char *)sqlite3_column_text(stmt, i);
		if (s.label[i] == NULL)
			s.label[i] = "";
	}
	col = e->nlabels;
	if (e->nbounds == 0) {
		s.value = sqlite3_column_int64(stmt, col);
	} else {
		s.count = sqlite3_column_int64(stmt, col);
		s.value = sqlite3_column_int64(stmt, col + 1);
		for (size_t b = 0; b < e->nbounds; b++)
			le[b] = sqlite3_column_int64(stmt, col + 2 + (int)b);
		s.le = le;
	}
	e->fn(e->ctx, &s);
	return 0;
}

/*
 * Advances kind's cache with insert (see cache_advance), then hands each
 * row of read (?1, ?2: the range past the mark) to series_row with e.
 * Returns 0 or -1.
 */
static int
cache_read(struct store *st, int kind, enum merge merge, const char *mark_sql, const char *insert,
    const char *read, struct each *e)
{
	int64_t mark;
	int rc;

	pthread_mutex_lock(&cache_lock);
	mark = cache_advance(st, kind, merge, mark_sql, insert);
	rc = mark < 0 ? -1 : db_each(st, series_row, e, read, "ii", mark, INT64_MAX);
	pthread_mutex_unlock(&cache_lock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_metric(struct store *st, enum store_metric m, store_series_fn fn, void *ctx)
{
	struct each e = { metrics[m].nlabels, 0, fn, ctx };
	const char *labels = label_columns[metrics[m].nlabels - 1];
	char insert[1536] = "", read[1536] = "";

	if (metrics[m].merge == MERGE_LIVE)
		return db_each(st, series_row, &e, metrics[m].sql, "") == SQLITE_DONE ? 0 : -1;
	/*
	 * Only our own text goes into the SQL. The UNION ALL takes its column
	 * names from the cache's select: the metric's own do not matter.
	 */
	if (sql_add(insert, sizeof insert,
		"WITH q(%s, v) AS (%s) INSERT INTO temp.metric_cache (kind, %s, v)"
		" SELECT %d, %s, v FROM q",
		labels, metrics[m].sql, labels, (int)m, labels) != 0 ||
	    sql_add(read, sizeof read,
		"SELECT %s, %s(v) FROM (SELECT %s, v FROM temp.metric_cache WHERE kind = %d"
		" UNION ALL %s) GROUP BY %s ORDER BY %s",
		labels, metrics[m].merge == MERGE_MAX ? "MAX" : "SUM", labels, (int)m,
		metrics[m].sql, labels, labels) != 0)
		return -1;
	return cache_read(st, (int)m, metrics[m].merge, metrics[m].mark, insert, read, &e);
}

int
store_histogram(struct store *st, enum store_histogram h, const int64_t *bounds_ms, size_t n,
    store_series_fn fn, void *ctx)
{
	struct each e = { histograms[h].nlabels, n, fn, ctx };
	const char *labels = label_columns[histograms[h].nlabels - 1];
	char agg[2048] = "", buckets[512] = "", sums[512] = "", insert[2560] = "", read[3584] = "";
	int kind = CACHE_HIST + (int)h, bad = 0;

	if (n == 0 || n > STORE_HIST_BOUNDS_MAX)
		return -1;
	/* Only numbers from the caller go into the text; the rest is ours. */
	bad |= sql_add(agg, sizeof agg, "SELECT %s, COUNT(*), TOTAL(v)", labels);
	for (size_t b = 0; b < n; b++) {
		bad |= sql_add(agg, sizeof agg, ", SUM(v <= %lld)", (long long)bounds_ms[b]);
		bad |= sql_add(buckets, sizeof buckets, ", b%zu", b);
		bad |= sql_add(sums, sizeof sums, ", SUM(b%zu)", b);
	}
	bad |= sql_add(agg, sizeof agg, " FROM (%s) GROUP BY %s", histograms[h].sql, labels);
	bad |= sql_add(insert, sizeof insert,
	    "WITH q(%s, c, t%s) AS (%s) INSERT INTO temp.metric_cache (kind, %s, c, t%s)"
	    " SELECT %d, %s, c, t%s FROM q",
	    labels, buckets, agg, labels, buckets, kind, labels, buckets);
	bad |= sql_add(read, sizeof read,
	    "SELECT %s, SUM(c), SUM(t)%s FROM (SELECT %s, c, t%s FROM temp.metric_cache"
	    " WHERE kind = %d UNION ALL %s) GROUP BY %s",
	    labels, sums, labels, buckets, kind, agg, labels);
	if (bad)
		return -1;
	return cache_read(st, kind, MERGE_SUM, histograms[h].mark, insert, read, &e);
}

/* The callback of store_count_by_status and its argument. */
struct status_count {
	void (*fn)(void *ctx, const char *app, const char *status, int64_t n);
	void *ctx;
};

/* A store_series_fn: hands (app, status, count) to the struct status_count ctx. */
static void
status_series(void *ctx, const struct store_series *s)
{
	struct status_count *c = ctx;

	c->fn(c->ctx, s->label[0], s->label[1], s->value);
}

int
store_count_by_status(struct store *st,
    void (*fn)(void *ctx, const char *app, const char *status, int64_t n), void *ctx)
{
	struct status_count c = { fn, ctx };

	return store_metric(st, STORE_METRIC_BY_STATUS, status_series, &c);
}
