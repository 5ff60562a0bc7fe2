/* metrics: /metrics in Prometheus's text format (see metrics.h). */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "metrics.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

/* Upper bounds in ms: a deployment or a step (builds take minutes), and a switch. */
static const int64_t step_bounds[] = { 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000,
	300000, 600000, 1800000, 3600000 };
static const int64_t switch_bounds[] = { 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
	30000 };

struct out {
	char *text;
	size_t len, cap;
};

static void
out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->text + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len)
			break;
		o->cap = o->cap * 2 + (n > 0 ? (size_t)n : 0);
		o->text = xrealloc(o->text, o->cap);
	}
	o->len += (size_t)n;
}

/* A label value, escaped as the format says: backslash, double quote, newline. */
static void
out_value(struct out *o, const char *v)
{
	out_add(o, "\"");
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			out_add(o, "\\%c", *v);
		else if (*v == '\n')
			out_add(o, "\\n");
		else
			out_add(o, "%c", *v);
	}
	out_add(o, "\"");
}

/* {name="value",...}: n pairs, then extra (already written) when not NULL. */
static void
out_labels(struct out *o, const char *const *names, const char *const *values, size_t n,
    const char *extra)
{
	if (n == 0 && extra == NULL)
		return;
	out_add(o, "{");
	for (size_t i = 0; i < n; i++) {
		out_add(o, "%s%s=", i > 0 ? "," : "", names[i]);
		out_value(o, values[i]);
	}
	if (extra != NULL)
		out_add(o, "%s%s", n > 0 ? "," : "", extra);
	out_add(o, "}");
}

static void
out_family(struct out *o, const char *name, const char *type, const char *help)
{
	out_add(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{labels} value. */
static void
out_sample(struct out *o, const char *name, const char *const *names, const char *const *values,
    size_t n, const char *value)
{
	out_add(o, "%s", name);
	out_labels(o, names, values, n, NULL);
	out_add(o, " %s\n", value);
}

static void
out_int(struct out *o, const char *name, const char *const *names, const char *const *values,
    size_t n, long long v)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", v);
	out_sample(o, name, names, values, n, num);
}

/*
 * The label values a family always has beside app, so that each series
 * exists at 0 before its first event: increase() and alerts see the step
 * from 0 to 1, not a new series that starts at 1.
 */
static const char *const kinds[] = { "push", "manual", "redeploy", "rollback", NULL };
static const char *const results[] = { "succeeded", "failed", "rolled_back", "superseded",
	"interrupted", "cancelled", NULL };
static const char *const stages[] = { "verify", "confirm", NULL };
static const char *const check_results[] = { "succeeded", "failed", "cancelled", NULL };
static const char *const drain_results[] = { "empty", "timed_out", "stopped", "blind", NULL };
static const char *const triggers[] = { "automatic", "manual", NULL };
static const char *const trigger_reasons[] = { "confirm_failed", "requested", NULL };
static const char *const targets[] = { "forge", "notify", NULL };
static const char *const outbox_states[] = { "pending", "delivered", "failed", NULL };

/* What a family's series look like beyond app: up to two more labels. */
struct shape {
	const char *const *first;  /* values of the second label, or NULL */
	const char *const *second; /* values of the third, or NULL */
	int paired;                /* first[i] goes with second[i] only */
};

/* A counter or gauge from the database: its rows, then written out. */
struct counted {
	struct out *o;
	const char *name;
	const char *const *names;
	size_t n;
	int ms_to_s; /* the value is ms since the epoch; written in seconds */
	struct row {
		char *label[3];
		int64_t value;
		int written;
	} * rows;
	size_t nrows;
};

static void
counted_series(void *ctx, const struct store_series *s)
{
	struct counted *c = ctx;
	struct row *r;

	c->rows = xrealloc(c->rows, (c->nrows + 1) * sizeof *c->rows);
	r = &c->rows[c->nrows++];
	for (size_t i = 0; i < 3; i++)
		r->label[i] = i < c->n ? xstrdup(s->label[i]) : NULL;
	r->value = s->value;
	r->written = 0;
}

static void
counted_write(struct counted *c, struct row *r, const char *const *values, int64_t v)
{
	char num[32];

	if (c->ms_to_s)
		snprintf(num, sizeof num, "%.3f", (double)v / 1000.0);
	else
		snprintf(num, sizeof num, "%lld", (long long)v);
	out_sample(c->o, c->name, c->names, values, c->n, num);
	if (r != NULL)
		r->written = 1;
}

/* Writes the series of values (n labels), from its row or as 0. */
static void
counted_one(struct counted *c, const char *const *values)
{
	for (size_t i = 0; i < c->nrows; i++) {
		size_t k;

		for (k = 0; k < c->n && strcmp(c->rows[i].label[k], values[k]) == 0; k++)
			;
		if (k == c->n) {
			counted_write(c, &c->rows[i], values, c->rows[i].value);
			return;
		}
	}
	counted_write(c, NULL, values, 0);
}

static void
db_family(struct out *o, const struct config *cfg, struct store *st, enum store_metric m,
    const char *name, const char *type, const char *help, const char *const *names, size_t n,
    const struct shape *shape, int ms_to_s)
{
	struct counted c = { o, name, names, n, ms_to_s, NULL, 0 };

	out_family(o, name, type, help);
	store_metric(st, m, counted_series, &c);
	for (size_t a = 0; shape != NULL && a < cfg->napps; a++)
		for (size_t i = 0; shape->first[i] != NULL; i++) {
			const char *values[3] = { cfg->apps[a]->name, shape->first[i], NULL };

			if (shape->second == NULL) {
				counted_one(&c, values);
				continue;
			}
			for (size_t j = 0; shape->second[j] != NULL; j++) {
				if (shape->paired && j != i)
					continue;
				values[2] = shape->second[j];
				counted_one(&c, values);
			}
		}
	/* What else the database holds: an app no longer configured, say. */
	for (size_t i = 0; i < c.nrows; i++) {
		if (!c.rows[i].written)
			counted_write(&c, &c.rows[i], (const char *const *)c.rows[i].label,
			    c.rows[i].value);
		for (size_t k = 0; k < 3; k++)
			free(c.rows[i].label[k]);
	}
	free(c.rows);
}

/* A histogram from the database: _bucket for each bound and +Inf, _sum, _count. */
struct histo {
	struct out *o;
	const char *name;
	const char *const *names;
	size_t n;
	const int64_t *bounds;
	size_t nbounds;
	const struct config *cfg; /* for the switch's kind label */
};

static void
histo_series(void *ctx, const struct store_series *s)
{
	struct histo *h = ctx;
	const char *values[4] = { NULL, NULL, NULL, NULL }, *names[4] = { NULL, NULL, NULL, NULL };
	size_t n = h->n;
	char series[160], extra[48];

	for (size_t i = 0; i < n; i++) {
		names[i] = h->names[i];
		values[i] = s->label[i];
	}
	if (h->cfg != NULL) {
		/* switch_duration: the app's kind of switch, from the config. */
		const struct app_config *app = conf_app(h->cfg, s->label[0]);

		if (app == NULL)
			return;
		names[n] = "kind";
		values[n++] = switch_name(app);
	}
	snprintf(series, sizeof series, "%s_bucket", h->name);
	for (size_t b = 0; b <= h->nbounds; b++) {
		if (b < h->nbounds)
			snprintf(extra, sizeof extra, "le=\"%g\"", (double)h->bounds[b] / 1000.0);
		else
			snprintf(extra, sizeof extra, "le=\"+Inf\"");
		out_add(h->o, "%s", series);
		out_labels(h->o, names, values, n, extra);
		out_add(h->o, " %lld\n", (long long)(b < h->nbounds ? s->le[b] : s->count));
	}
	out_add(h->o, "%s_sum", h->name);
	out_labels(h->o, names, values, n, NULL);
	out_add(h->o, " %.3f\n", (double)s->value / 1000.0);
	out_add(h->o, "%s_count", h->name);
	out_labels(h->o, names, values, n, NULL);
	out_add(h->o, " %lld\n", (long long)s->count);
}

static void
db_histogram(struct out *o, struct store *st, enum store_histogram which, const char *name,
    const char *help, const char *const *names, size_t n, const int64_t *bounds, size_t nbounds,
    const struct config *cfg)
{
	struct histo h = { o, name, names, n, bounds, nbounds, cfg };

	out_family(o, name, "histogram", help);
	store_histogram(st, which, bounds, nbounds, histo_series, &h);
}

static void
by_status(void *ctx, const char *app, const char *status, int64_t n)
{
	static const char *const names[] = { "app", "status" };
	const char *values[] = { app, status };

	out_int(ctx, "turnout_deployments", names, values, 2, (long long)n);
}

static void
webhook_series(void *ctx, const char *app, const char *sender, const char *answer, uint64_t n)
{
	static const char *const names[] = { "app", "sender", "answer" };
	const char *values[] = { app, sender, answer };

	out_int(ctx, "turnout_webhook_requests_total", names, values, 3, (long long)n);
}

/* What the per-app gauges are made of, read once per app for a scrape. */
struct app_now {
	struct store_app a;
	int known;  /* the app has a row */
	int frozen; /* turnout freeze holds its deployments */
	int64_t queued, running;
};

/* The apps table, per app: live color, release info, queue. */
static void
app_families(struct out *o, const struct config *cfg, struct store *st)
{
	static const char *const app_color[] = { "app", "color" };
	static const char *const info[] = { "app", "color", "commit", "role" };
	static const char *const app_only[] = { "app" };
	static const char *const colors[] = { "blue", "green" };
	struct app_now *now = xcalloc(cfg->napps, sizeof *now);

	/* A family's samples go together: read everything first. */
	for (size_t i = 0; i < cfg->napps; i++) {
		now[i].known = store_get_app(st, cfg->apps[i]->name, &now[i].a) == 0;
		struct store_freeze f;

		store_app_queue(st, cfg->apps[i]->name, &now[i].queued, &now[i].running);
		if (store_get_freeze(st, cfg->apps[i]->name, &f) == 1) {
			now[i].frozen = store_freeze_holds(&f, clock_real_ms());
			store_freeze_release(&f);
		}
	}
	out_family(o, "turnout_live_color", "gauge",
	    "1 for the color the proxy sends the app's traffic to.");
	for (size_t i = 0; i < cfg->napps; i++)
		for (int c = 0; c < 2 && now[i].known; c++) {
			const char *v[] = { cfg->apps[i]->name, colors[c] };

			out_int(o, "turnout_live_color", app_color, v, 2,
			    strcmp(store_color_state(&now[i].a, c), "live") == 0);
		}
	out_family(o, "turnout_release_info", "gauge",
	    "1 for what each color runs: role live (serves), warm (runs, for a rollback).");
	for (size_t i = 0; i < cfg->napps; i++)
		for (int c = 0; c < 2 && now[i].known; c++) {
			const struct store_app *a = &now[i].a;
			const char *state = store_color_state(a, c);
			int live = strcmp(state, "live") == 0;
			const char *commit =
			    live && a->live_commit != NULL ? a->live_commit : a->commit[c];
			char shortid[16];
			const char *v[] = { cfg->apps[i]->name, colors[c], shortid, state };

			/* A color never started, or stopped since, runs nothing. */
			if (commit == NULL || (!live && strcmp(state, "warm") != 0))
				continue;
			snprintf(shortid, sizeof shortid, "%.12s", commit);
			out_int(o, "turnout_release_info", info, v, 4, 1);
		}
	out_family(o, "turnout_queue_length", "gauge", "Deployments queued, not yet running.");
	for (size_t i = 0; i < cfg->napps; i++) {
		const char *v[] = { cfg->apps[i]->name };

		out_int(o, "turnout_queue_length", app_only, v, 1, (long long)now[i].queued);
	}
	out_family(o, "turnout_deployment_running", "gauge",
	    "1 while a deployment of the app runs.");
	for (size_t i = 0; i < cfg->napps; i++) {
		const char *v[] = { cfg->apps[i]->name };

		out_int(o, "turnout_deployment_running", app_only, v, 1, now[i].running > 0);
	}
	out_family(o, "turnout_frozen", "gauge",
	    "1 while turnout freeze holds the app's deployments.");
	for (size_t i = 0; i < cfg->napps; i++) {
		const char *v[] = { cfg->apps[i]->name };

		out_int(o, "turnout_frozen", app_only, v, 1, now[i].frozen);
	}
	for (size_t i = 0; i < cfg->napps; i++)
		store_app_release(&now[i].a);
	free(now);
}

/* The usual process_* series, of this (the network-facing) process, from /proc. */
static void
process_families(struct out *o)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long utime = 0, stime = 0, start = 0, vsize = 0, btime = 0;
	long long rss = 0;
	char buf[1024], *p;
	struct rlimit rl;
	struct dirent *e;
	long fds = 0;
	FILE *f;
	DIR *d;

	if ((f = fopen("/proc/self/stat", "r")) != NULL) {
		size_t n = fread(buf, 1, sizeof buf - 1, f);

		buf[n] = '\0';
		fclose(f);
		/* After the command's ")": fields 3 on; utime is the 14th field. */
		if ((p = strrchr(buf, ')')) != NULL)
			sscanf(p + 2,
			    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d"
			    " %*d %*d %llu %llu %lld",
			    &utime, &stime, &start, &vsize, &rss);
	}
	if ((f = fopen("/proc/stat", "r")) != NULL) {
		while (fgets(buf, sizeof buf, f) != NULL)
			if (sscanf(buf, "btime %llu", &btime) == 1)
				break;
		fclose(f);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				fds++;
		closedir(d);
		fds--; /* the one opendir holds */
	}
	out_family(o, "process_cpu_seconds_total", "counter", "User and system CPU time spent.");
	out_add(o, "process_cpu_seconds_total %.2f\n", (double)(utime + stime) / (double)ticks);
	out_family(o, "process_start_time_seconds", "gauge",
	    "Start time of the process since the epoch.");
	out_add(o, "process_start_time_seconds %.2f\n",
	    (double)btime + (double)start / (double)ticks);
	out_family(o, "process_resident_memory_bytes", "gauge", "Resident memory size.");
	out_add(o, "process_resident_memory_bytes %lld\n", rss * page);
	out_family(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size.");
	out_add(o, "process_virtual_memory_bytes %llu\n", vsize);
	out_family(o, "process_open_fds", "gauge", "Open file descriptors.");
	out_add(o, "process_open_fds %ld\n", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		out_family(o, "process_max_fds", "gauge", "Limit of open file descriptors.");
		out_add(o, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
}

char *
metrics_render(const struct config *cfg, struct store *st, struct hookstats *hs, size_t *len)
{
	static const char *const app_kind[] = { "app", "kind" };
	static const char *const app_kind_result[] = { "app", "kind", "result" };
	static const char *const app_step_result[] = { "app", "step", "result" };
	static const char *const app_result[] = { "app", "result" };
	static const char *const rollback[] = { "app", "trigger", "reason" };
	static const char *const check[] = { "app", "stage", "result" };
	static const char *const app_only[] = { "app" };
	static const char *const version[] = { "version" };
	static const char *const version_value[] = { PACKAGE_VERSION };
	static const struct shape by_kind = { kinds, NULL, 0 };
	static const struct shape by_kind_result = { kinds, results, 0 };
	static const struct shape by_trigger = { triggers, trigger_reasons, 1 };
	static const struct shape by_check = { stages, check_results, 0 };
	static const struct shape by_drain = { drain_results, NULL, 0 };
	static const struct shape by_outbox = { targets, outbox_states, 0 };
	static const char *const outbox[] = { "app", "target", "state" };
	struct out o = { xmalloc(8192), 0, 8192 };

	o.text[0] = '\0';
	out_family(&o, "turnout_build_info", "gauge", "1, labelled with the version of turnout.");
	out_int(&o, "turnout_build_info", version, version_value, 1, 1);
	out_family(&o, "turnout_up", "gauge", "1 when the daemon and its database answer.");
	out_add(&o, "turnout_up %d\n", store_ping(st) == 0);
	out_family(&o, "turnout_deployments", "gauge",
	    "Deployments in the database now, by status (queued and running included).");
	store_count_by_status(st, by_status, &o);
	db_family(&o, cfg, st, STORE_METRIC_STARTED, "turnout_deployments_started_total", "counter",
	    "Deployments that started, by kind (push, manual, redeploy, rollback).", app_kind, 2,
	    &by_kind, 0);
	db_family(&o, cfg, st, STORE_METRIC_FINISHED, "turnout_deployments_finished_total",
	    "counter", "Deployments that ended, by kind and result.", app_kind_result, 3,
	    &by_kind_result, 0);
	db_histogram(&o, st, STORE_HIST_DEPLOYMENT, "turnout_deployment_duration_seconds",
	    "Time from a deployment's start to its end.", app_kind_result, 3, step_bounds,
	    sizeof step_bounds / sizeof step_bounds[0], NULL);
	db_histogram(&o, st, STORE_HIST_STEP, "turnout_step_duration_seconds",
	    "Time each step took, the operator's commands in it included.", app_step_result, 3,
	    step_bounds, sizeof step_bounds / sizeof step_bounds[0], NULL);
	db_histogram(&o, st, STORE_HIST_COMMAND, "turnout_step_command_duration_seconds",
	    "Time each step spent inside the operator's commands; the rest is turnout's own.",
	    app_step_result, 3, step_bounds, sizeof step_bounds / sizeof step_bounds[0], NULL);
	db_histogram(&o, st, STORE_HIST_SWITCH, "turnout_switch_duration_seconds",
	    "Time to point the proxy at a color (switch and rollback steps), by kind of switch.",
	    app_result, 2, switch_bounds, sizeof switch_bounds / sizeof switch_bounds[0], cfg);
	db_family(&o, cfg, st, STORE_METRIC_ROLLBACKS, "turnout_rollbacks_total", "counter",
	    "Traffic sent back to the other color: automatic (a failed confirm) or manual.",
	    rollback, 3, &by_trigger, 0);
	db_family(&o, cfg, st, STORE_METRIC_CHECKS, "turnout_checks_total", "counter",
	    "Health checks of a new color (verify) and through the proxy (confirm), by result.",
	    check, 3, &by_check, 0);
	db_family(&o, cfg, st, STORE_METRIC_DRAINS, "turnout_drains_total", "counter",
	    "Drains before a color's stop, by how they ended.", app_result, 2, &by_drain, 0);
	db_family(&o, cfg, st, STORE_METRIC_LAST_SUCCESS, "turnout_last_success_timestamp_seconds",
	    "gauge", "When the app's last successful deployment ended, since the epoch.", app_only,
	    1, NULL, 1);
	db_family(&o, cfg, st, STORE_METRIC_OUTBOX, "turnout_notifications", "gauge",
	    "Forge statuses and notify_url messages, by state: pending ones are retried.", outbox,
	    3, &by_outbox, 0);
	app_families(&o, cfg, st);
	if (hs != NULL) {
		out_family(&o, "turnout_webhook_requests_total", "counter",
		    "Answers to POST /hooks/APP since the network process started.");
		hookstats_each(hs, webhook_series, &o);
	}
	process_families(&o);
	*len = o.len;
	return o.text;
}
