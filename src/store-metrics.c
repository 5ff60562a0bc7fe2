/*
 * What /metrics reads of the database: counts and histograms over the
 * deployments, steps and drains that are kept for good, so that totals
 * survive restarts and never go down (logs are pruned, these rows are
 * not). Every query groups in SQL: one scrape reads one row per series.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "store.h"
#include "banned.h"

/* A deployment that ended: every final status. */
#define FINAL "('succeeded', 'failed', 'rolled_back', 'superseded', 'interrupted', 'cancelled')"

static const struct {
	const char *sql; /* its label columns first, then the value */
	int nlabels;
} metrics[] = {
	[STORE_METRIC_STARTED] = { "SELECT app, kind, COUNT(*) FROM deployments"
				   " WHERE started_at IS NOT NULL GROUP BY 1, 2",
	    2 },
	[STORE_METRIC_FINISHED] = { "SELECT app, kind, status, COUNT(*) FROM deployments"
				    " WHERE status IN " FINAL " GROUP BY 1, 2, 3",
	    3 },
	[STORE_METRIC_ROLLBACKS] = { "SELECT app, 'automatic', 'confirm_failed', COUNT(*)"
				     " FROM deployments WHERE status = 'rolled_back' GROUP BY 1"
				     " UNION ALL SELECT app, 'manual', 'requested', COUNT(*)"
				     " FROM deployments WHERE kind = 'rollback'"
				     " AND status = 'succeeded' GROUP BY 1",
	    3 },
	[STORE_METRIC_CHECKS] = { "SELECT d.app, s.name, s.status, COUNT(*) FROM steps s"
				  " JOIN deployments d ON d.id = s.deployment"
				  " WHERE s.name IN ('verify', 'confirm') AND s.status != 'running'"
				  " GROUP BY 1, 2, 3",
	    3 },
	[STORE_METRIC_DRAINS] = { "SELECT app, result, COUNT(*) FROM drains GROUP BY 1, 2", 2 },
	[STORE_METRIC_LAST_SUCCESS] = { "SELECT app, MAX(finished_at) FROM deployments"
					" WHERE status = 'succeeded' GROUP BY 1",
	    1 },
	[STORE_METRIC_OUTBOX] = { "SELECT app, target, state, COUNT(*) FROM outbox GROUP BY 1, 2, 3",
	    3 },
};

/* Observations in ms: label columns l1, l2 (, l3), then the value v. */
static const struct {
	const char *sql;
	int nlabels;
} histograms[] = {
	[STORE_HIST_DEPLOYMENT] = { "SELECT app AS l1, kind AS l2, status AS l3,"
				    " finished_at - started_at AS v FROM deployments WHERE started_at IS NOT NULL"
				    " AND finished_at IS NOT NULL AND status IN " FINAL,
	    3 },
	[STORE_HIST_STEP] = { "SELECT d.app AS l1, s.name AS l2, s.status AS l3,"
			      " s.finished_at - s.started_at AS v FROM steps s JOIN deployments d ON d.id = s.deployment"
			      " WHERE s.finished_at IS NOT NULL",
	    3 },
	[STORE_HIST_COMMAND] = { "SELECT d.app AS l1, s.name AS l2, s.status AS l3,"
				 " s.command_ms AS v FROM steps s JOIN deployments d ON d.id = s.deployment"
				 " WHERE s.finished_at IS NOT NULL",
	    3 },
	[STORE_HIST_SWITCH] = { "SELECT d.app AS l1, s.status AS l2,"
				" s.finished_at - s.started_at AS v FROM steps s JOIN deployments d ON d.id = s.deployment"
				" WHERE s.finished_at IS NOT NULL"
				" AND s.name IN ('switch', 'rollback')",
	    2 },
};

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

int
store_metric(struct store *st, enum store_metric m, store_series_fn fn, void *ctx)
{
	struct each e = { metrics[m].nlabels, 0, fn, ctx };

	return db_each(st, series_row, &e, metrics[m].sql, "") == SQLITE_DONE ? 0 : -1;
}

int
store_histogram(struct store *st, enum store_histogram h, const int64_t *bounds_ms, size_t n,
    store_series_fn fn, void *ctx)
{
	struct each e = { histograms[h].nlabels, n, fn, ctx };
	const char *labels = histograms[h].nlabels == 2 ? "l1, l2" : "l1, l2, l3";
	char sql[2048], *p = sql;
	size_t left = sizeof sql;
	int w, rc;

	if (n == 0 || n > STORE_HIST_BOUNDS_MAX)
		return -1;
	/* Only numbers from the caller go into the text; the rest is ours. */
	w = snprintf(p, left, "SELECT %s, COUNT(*), TOTAL(v)", labels);
	p += w, left -= (size_t)w;
	for (size_t b = 0; b < n; b++) {
		w = snprintf(p, left, ", SUM(v <= %lld)", (long long)bounds_ms[b]);
		if (w < 0 || (size_t)w >= left)
			return -1;
		p += w, left -= (size_t)w;
	}
	w = snprintf(p, left, " FROM (%s) GROUP BY %s", histograms[h].sql, labels);
	if (w < 0 || (size_t)w >= left)
		return -1;
	rc = db_each(st, series_row, &e, sql, "");
	return rc == SQLITE_DONE ? 0 : -1;
}
