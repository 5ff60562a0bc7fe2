/* steplog: a running deployment's log lines and step rows (see steplog.h). */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "steplog.h"
#include "xmalloc.h"
#include "banned.h"

/* Log lines are written in batches: at most this many, or this old. */
#define LOG_BATCH 64
#define LOG_FLUSH_MS 250
/* The most lines one deployment's log keeps. */
#define LOG_MAX_LINES 100000
/* How often the database is asked whether a cancel was requested. */
#define CANCEL_POLL_MS 200
/* Secrets masked: a repo URL's password and token, two webhook secrets, the API token. */
#define MAX_MASKS 8

struct steplog {
	struct store *st;
	const char *app;
	int64_t id;
	const volatile int *stopping;
	struct store_line lines[LOG_BATCH];
	size_t nlines;
	size_t nlogged; /* lines stored so far */
	long long last_flush;
	long long last_cancel_check;
	int64_t step;          /* current step row, -1 between steps */
	const char *step_name; /* and its name */
	long long command_ms;  /* the step's time inside operator commands */
	enum steplog_stop stop;
	char *error; /* the first failed step's detail */
	const char *fail_step;
	char *mask[MAX_MASKS];
	size_t nmasks;
};

struct steplog *
steplog_new(struct store *st, const char *app, int64_t id, const volatile int *stopping)
{
	struct steplog *log = xcalloc(1, sizeof *log);

	log->st = st;
	log->app = app;
	log->id = id;
	log->stopping = stopping;
	log->step = -1;
	log->last_flush = clock_mono_ms();
	return log;
}

/* Drops the buffered lines once stored. */
static void
clear(struct steplog *log)
{
	for (size_t i = 0; i < log->nlines; i++)
		free((char *)log->lines[i].text);
	log->nlines = 0;
	log->last_flush = clock_mono_ms();
}

void
steplog_flush(struct steplog *log)
{
	if (log->nlines > 0 && store_log(log->st, log->id, log->lines, log->nlines) != 0)
		log_error("deployment %lld: cannot store %zu log lines", (long long)log->id,
		    log->nlines);
	clear(log);
}

void
steplog_free(struct steplog *log)
{
	if (log == NULL)
		return;
	steplog_flush(log);
	for (size_t i = 0; i < log->nmasks; i++)
		free(log->mask[i]);
	free(log->error);
	free(log);
}

void
steplog_mask(struct steplog *log, const char *secret)
{
	if (secret != NULL && secret[0] != '\0' && log->nmasks < MAX_MASKS)
		log->mask[log->nmasks++] = xstrdup(secret);
}

/* Buffers one line, stored at once when the batch is full or old. */
static void
add(struct steplog *log, const char *stream, const char *text)
{
	struct store_line *l;

	/* A runaway command must not fill the disk: the log stops at a limit. */
	if (++log->nlogged > LOG_MAX_LINES) {
		if (log->nlogged != LOG_MAX_LINES + 1)
			return;
		stream = "turnout";
		text = "(log limit reached: further lines of this deployment are dropped)";
	}
	l = &log->lines[log->nlines++];
	l->ts = clock_real_ms();
	l->stream = stream;
	l->text = xstrdup(text);
	if (log->nlines == LOG_BATCH || clock_mono_ms() - log->last_flush >= LOG_FLUSH_MS)
		steplog_flush(log);
}

void
steplog_note(struct steplog *log, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	log_debug("%s #%lld: %s", log->app, (long long)log->id, text);
	add(log, "turnout", text);
	free(text);
}

char *
steplog_masked(const struct steplog *log, const char *text)
{
	char *out = xstrdup(text);

	for (size_t i = 0; i < log->nmasks; i++) {
		const char *secret = log->mask[i];
		char *at;

		while ((at = strstr(out, secret)) != NULL) {
			char *next =
			    xasprintf("%.*s***%s", (int)(at - out), out, at + strlen(secret));

			free(out);
			out = next;
		}
	}
	return out;
}

void
steplog_line(struct steplog *log, int err, const char *text)
{
	const char *stream = err ? "err" : "out";

	/* git (or a build) may print the repo URL with its password: never stored. */
	for (size_t i = 0; i < log->nmasks; i++)
		if (strstr(text, log->mask[i]) != NULL) {
			char *clean = steplog_masked(log, text);

			add(log, stream, clean);
			free(clean);
			return;
		}
	add(log, stream, text); /* the common case: no copy */
}

void
steplog_tick(struct steplog *log)
{
	if (log->nlines > 0 && clock_mono_ms() - log->last_flush >= LOG_FLUSH_MS)
		steplog_flush(log);
}

void
steplog_begin(struct steplog *log, const char *name)
{
	log->step = store_step_begin(log->st, log->id, name, log->lines, log->nlines);
	if (log->step < 0)
		log_error("deployment %lld: cannot store step %s", (long long)log->id, name);
	clear(log);
	log->step_name = name;
	log->command_ms = 0;
	steplog_note(log, "step %s", name);
}

void
steplog_end(struct steplog *log, const char *status, const char *detail)
{
	if (detail != NULL)
		steplog_note(log, "%s", detail);
	if (store_step_end(log->st, log->id, log->step, status, detail, log->command_ms, log->lines,
		log->nlines) != 0)
		log_error("deployment %lld: cannot store the end of step %s", (long long)log->id,
		    steplog_step(log));
	clear(log);
	log->step = -1;
}

int
steplog_fail(struct steplog *log, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	if (log->stop == STEPLOG_RUNNING)
		log->stop = STEPLOG_FAILED;
	if (log->stop == STEPLOG_FAILED && log->fail_step == NULL)
		log->fail_step = log->step_name;
	if (log->error == NULL)
		log->error = xstrdup(text);
	steplog_end(log, log->stop == STEPLOG_FAILED ? "failed" : "cancelled", text);
	free(text);
	return -1;
}

void
steplog_add_ms(struct steplog *log, long long ms)
{
	log->command_ms += ms;
}

int
steplog_cancelled(struct steplog *log)
{
	long long now = clock_mono_ms();

	steplog_tick(log); /* a quiet command's last lines still show up live */
	if (*log->stopping) {
		log->stop = STEPLOG_INTERRUPTED;
		return 1;
	}
	if (now - log->last_cancel_check >= CANCEL_POLL_MS) {
		log->last_cancel_check = now;
		if (store_cancel_requested(log->st, log->id)) {
			log->stop = STEPLOG_CANCELLED;
			return 1;
		}
	}
	return 0;
}

int
steplog_stopping(const struct steplog *log)
{
	return *log->stopping != 0;
}

enum steplog_stop
steplog_stopped(const struct steplog *log)
{
	return log->stop;
}

void
steplog_set_stopped(struct steplog *log, enum steplog_stop stop)
{
	log->stop = stop;
}

void
steplog_forget(struct steplog *log)
{
	log->fail_step = NULL;
	free(log->error);
	log->error = NULL;
}

const char *
steplog_error(const struct steplog *log)
{
	return log->error;
}

const char *
steplog_failed_step(const struct steplog *log)
{
	return log->fail_step;
}

const char *
steplog_step(const struct steplog *log)
{
	return log->step_name != NULL ? log->step_name : "?";
}
