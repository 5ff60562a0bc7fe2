#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "drain.h"
#include "log.h"
#include "pipeline.h"
#include "probe.h"
#include "spawn.h"
#include "store.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

/* Log lines are written in batches: at most this many, or this old. */
#define LOG_BATCH 64
#define LOG_FLUSH_MS 250
/* The most lines one deployment's log keeps. */
#define LOG_MAX_LINES 100000
/*
 * Answers in a row from the new color that confirm wants (see probe_wait)
 * when the switch could not see it take effect (a switch_command; nginx
 * without a readable nginx_pid): after a reload old workers still answer
 * for a moment. A swapped link, HAProxy's runtime API and an nginx reload
 * whose new workers were seen taking over have no such moment: one answer.
 */
#define CONFIRM_STREAK_RELOAD 5
/*
 * How long a color that traffic left keeps running before its drain when
 * nobody can tell that the proxy stopped sending it new requests (a
 * switch_command, nginx without nginx_pid) or its connections cannot be
 * counted.
 */
#define UNSEEN_GRACE_MS 1000
/* How often the database is asked whether a cancel was requested. */
#define CANCEL_POLL_MS 200

/* Why a deployment stopped early; the order is the precedence. */
enum stop { STOP_NONE, STOP_FAILED, STOP_CANCELLED, STOP_INTERRUPTED };

struct pipeline {
	const struct config *cfg;
	const struct app_config *app;
	struct store *st;
	int64_t id;
	const char *kind;
	const volatile int *stopping;
	struct drain_handover *handover;	/* the app's, borrowed */
	char *commit;			/* resolved commit, owned */
	char *ref;
	char *release;			/* release dir, owned */
	int64_t step;			/* current step row, -1 between steps */
	const char *step_name;		/* and its name (static) */
	enum stop stop;
	long long last_cancel_check;
	char *error;			/* why it failed: the first failed step's detail */
	struct store_line lines[LOG_BATCH];
	size_t nlines;
	long long last_flush;
	char capture[256];		/* first stdout line, when capturing */
	int capturing;
	int git;			/* the command being run is ours (git) */
	const char *git_index;		/* GIT_INDEX_FILE for it, or NULL */
	const char *git_objects;	/* GIT_ALTERNATE_OBJECT_DIRECTORIES, or NULL */
	char *objects;			/* a local repo's objects, quoted for that; owned */
	int quiet;			/* the command's lines are not logged, */
	char quiet_err[160];		/* but its first stderr line goes in *why */
	int fetched;			/* git fetched into the cache */
	long long last_ms;		/* how long the last command ran */
	long long command_ms;		/* this step's time inside operator commands */
	int settled;			/* the last switch saw it take effect */
	int uncancellable;		/* a stop that must finish (cancel waits) */
	const char *color;		/* the color deployed to, once chosen */
	const char *fail_step;		/* the step that failed, for bad releases */
	size_t nlogged;			/* log lines stored so far */
	char *repo_shown;		/* the repo URL without user:password@ */
	char *repo_secret[2];		/* its password and token, or NULL */
};

/* Drops the buffered log lines once stored. */
static void
log_clear(struct pipeline *p)
{
	for (size_t i = 0; i < p->nlines; i++)
		free((char *)p->lines[i].text);
	p->nlines = 0;
	p->last_flush = clock_mono_ms();
}

/* Writes the buffered log lines in one transaction. */
static void
log_flush(struct pipeline *p)
{
	if (p->nlines > 0 && store_log(p->st, p->id, p->lines, p->nlines) != 0)
		log_error("deployment %lld: cannot store %zu log lines", (long long)p->id, p->nlines);
	log_clear(p);
}

static void
log_add(struct pipeline *p, const char *stream, const char *text)
{
	struct store_line *l;

	/* A runaway command must not fill the disk: the log stops at a limit. */
	if (++p->nlogged > LOG_MAX_LINES) {
		if (p->nlogged != LOG_MAX_LINES + 1)
			return;
		stream = "turnout";
		text = "(log limit reached: further lines of this deployment are dropped)";
	}
	l = &p->lines[p->nlines++];

	l->ts = clock_real_ms();
	l->stream = stream;
	l->text = xstrdup(text);
	if (p->nlines == LOG_BATCH || clock_mono_ms() - p->last_flush >= LOG_FLUSH_MS)
		log_flush(p);
}

/* turnout's own line in the deployment's log (and the daemon's at debug). */
static void __attribute__((format(printf, 2, 3)))
note(struct pipeline *p, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	log_debug("%s #%lld: %s", p->app->name, (long long)p->id, text);
	log_add(p, "turnout", text);
	free(text);
}

/* spawn_line_fn: every line a command prints goes to the log. */
static void
on_line(void *ctx, enum spawn_stream stream, const char *line)
{
	struct pipeline *p = ctx;

	char *clean = NULL;

	if (p->capturing && stream == SPAWN_OUT && p->capture[0] == '\0')
		snprintf(p->capture, sizeof p->capture, "%s", line);
	/* git (or a build) may print the repo URL with its password: never stored. */
	for (int i = 0; i < 2; i++) {
		const char *secret = p->repo_secret[i];
		char *at;

		while (secret != NULL && (at = strstr(line, secret)) != NULL) {
			char *next = xasprintf("%.*s***%s", (int)(at - line), line, at + strlen(secret));

			free(clean);
			line = clean = next;
		}
	}
	if (!p->quiet)
		log_add(p, stream == SPAWN_OUT ? "out" : "err", line);
	else if (stream == SPAWN_ERR && p->quiet_err[0] == '\0')
		snprintf(p->quiet_err, sizeof p->quiet_err, "%s", line);
	free(clean);
}

/* spawn_cancel_fn: SIGTERM of the daemon, or a cancel from the API. */
static int
is_cancelled(void *ctx)
{
	struct pipeline *p = ctx;
	long long now = clock_mono_ms();

	if (p->nlines > 0 && now - p->last_flush >= LOG_FLUSH_MS)
		log_flush(p);	/* a quiet command's last lines still show up live */
	if (p->uncancellable)
		return 0;
	if (*p->stopping) {
		p->stop = STOP_INTERRUPTED;
		return 1;
	}
	if (now - p->last_cancel_check >= CANCEL_POLL_MS) {
		p->last_cancel_check = now;
		if (store_cancel_requested(p->st, p->id)) {
			p->stop = STOP_CANCELLED;
			return 1;
		}
	}
	return 0;
}

/* The step row and the buffered lines go in one commit. */
static void
step_begin(struct pipeline *p, const char *name)
{
	p->step = store_step_begin(p->st, p->id, name, p->lines, p->nlines);
	if (p->step < 0)
		log_error("deployment %lld: cannot store step %s", (long long)p->id, name);
	log_clear(p);
	p->step_name = name;
	p->command_ms = 0;
	note(p, "step %s", name);
}

static void
step_end(struct pipeline *p, const char *status, const char *detail)
{
	if (detail != NULL)
		note(p, "%s", detail);
	if (store_step_end(p->st, p->id, p->step, status, detail, p->command_ms, p->lines,
	    p->nlines) != 0)
		log_error("deployment %lld: cannot store the end of step %s", (long long)p->id,
		    p->step_name != NULL ? p->step_name : "?");
	log_clear(p);
	p->step = -1;
}

/* Fails the current step with a reason; the deployment stops. */
static int __attribute__((format(printf, 2, 3)))
step_fail(struct pipeline *p, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	if (p->stop == STOP_NONE)
		p->stop = STOP_FAILED;
	if (p->stop == STOP_FAILED && p->fail_step == NULL)
		p->fail_step = p->step_name;
	if (p->error == NULL)
		p->error = xstrdup(text);
	step_end(p, p->stop == STOP_FAILED ? "failed" : "cancelled", text);
	free(text);
	return -1;
}

/*
 * The environment of SPEC §4 for a command acting on color: the daemon's
 * own plus TURNOUT_*. Data from the webhook (commit, ref) is only ever here.
 */
static struct spawn_env *
env_for(struct pipeline *p, const char *color, const char *old)
{
	struct spawn_env *env = spawn_env_new();
	char num[32];

	spawn_env_set(env, "TURNOUT_APP", p->app->name);
	snprintf(num, sizeof num, "%lld", (long long)p->id);
	spawn_env_set(env, "TURNOUT_DEPLOYMENT", num);
	spawn_env_set(env, "TURNOUT_COLOR", color);
	spawn_env_set(env, "TURNOUT_OLD_COLOR", old != NULL ? old : "");
	if (switch_socket(p->app, color) != NULL) {
		spawn_env_set(env, "TURNOUT_SOCKET", switch_socket(p->app, color));
		spawn_env_set(env, "TURNOUT_OLD_SOCKET", old != NULL ? switch_socket(p->app, old) : "");
	} else {
		snprintf(num, sizeof num, "%d", switch_port(p->app, color));
		spawn_env_set(env, "TURNOUT_PORT", num);
		if (old != NULL)
			snprintf(num, sizeof num, "%d", switch_port(p->app, old));
		spawn_env_set(env, "TURNOUT_OLD_PORT", old != NULL ? num : "");
	}
	spawn_env_set(env, "TURNOUT_COMMIT", p->commit != NULL ? p->commit : "");
	spawn_env_set(env, "TURNOUT_REF", p->ref != NULL ? p->ref : "");
	spawn_env_set(env, "TURNOUT_RELEASE_DIR", p->release != NULL ? p->release : "");
	if (p->git)
		spawn_env_set(env, "GIT_TERMINAL_PROMPT", "0");	/* fail, never ask */
	if (p->git && p->git_index != NULL)
		spawn_env_set(env, "GIT_INDEX_FILE", p->git_index);
	if (p->git && p->git_objects != NULL)
		spawn_env_set(env, "GIT_ALTERNATE_OBJECT_DIRECTORIES", p->git_objects);
	return env;
}

/* Fills spawn options that log to this deployment and obey cancels. */
static void
opts_init(struct pipeline *p, struct spawn_opts *o, struct spawn_env *env, int timeout)
{
	memset(o, 0, sizeof *o);
	o->envp = spawn_env_array(env);
	o->cwd = p->release;
	o->timeout = timeout;
	o->on_line = on_line;
	o->cancelled = is_cancelled;
	o->ctx = p;
}

/*
 * Runs argv to its end; returns 0 when it exited 0, else -1 with *why (a
 * new string) naming it by what, and, for a quiet command, its first
 * stderr line.
 */
static int
run_argv(struct pipeline *p, const char *what, const char *const *argv, const char *color,
    const char *old, int timeout, const char *cwd, char **why)
{
	struct spawn_env *env = env_for(p, color, old);
	struct spawn_opts o;
	struct spawn_result res;
	char *cause = NULL, desc[96];
	int rc = 0;

	opts_init(p, &o, env, timeout);
	o.argv = argv;
	o.cwd = cwd;
	p->quiet_err[0] = '\0';
	spawn_run(&o, &res, &cause);
	p->last_ms = res.elapsed_ms;
	if (res.outcome == SPAWN_ERROR) {
		*why = xasprintf("%s: %s", what, cause);
		free(cause);
		rc = -1;
	} else if (res.outcome == SPAWN_TIMED_OUT) {
		*why = xasprintf("%s took longer than %d s and was killed", what, timeout);
		rc = -1;
	} else if (res.outcome != SPAWN_EXITED || res.status != 0) {
		*why = xasprintf("%s %s", what, spawn_describe(&res, desc, sizeof desc));
		rc = -1;
	}
	if (rc != 0 && p->quiet_err[0] != '\0') {
		char *more = xasprintf("%s: %s", *why, p->quiet_err);

		free(*why);
		*why = more;
	}
	spawn_env_free(env);
	return rc;
}

/* Runs an operator's command line through /bin/sh in the release dir. */
static int
run_shell(struct pipeline *p, const char *key, const char *cmd, const char *color,
    const char *old, int timeout, char **why)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	char *what = xasprintf("%s command '%s'", key, cmd);
	int rc;

	note(p, "$ %s   (TURNOUT_COLOR=%s)", cmd, color);
	rc = run_argv(p, what, argv, color, old, timeout, p->release, why);
	p->command_ms += p->last_ms;
	free(what);
	return rc;
}

/* Runs git with argv (argv[0] is "git"); keeps its first stdout line. */
static int
run_git(struct pipeline *p, const char *const *argv, char **why)
{
	char what[64];
	size_t i = 1;
	int rc;

	while (argv[i] != NULL && argv[i][0] == '-')	/* -C DIR, --git-dir=DIR: not its name */
		i += strcmp(argv[i], "-C") == 0 ? 2 : 1;
	snprintf(what, sizeof what, "git %s", argv[i] != NULL ? argv[i] : "");
	p->capture[0] = '\0';
	p->capturing = p->git = 1;
	rc = run_argv(p, what, argv, "blue", NULL, p->app->fetch_timeout, NULL, why);
	p->capturing = p->git = 0;
	return rc;
}

/* Replaces $TURNOUT_PORT / ${TURNOUT_PORT} and $TURNOUT_COLOR in a URL. */
static char *
expand_url(const char *url, int port, const char *color)
{
	static const char *const names[] = { "${TURNOUT_PORT}", "$TURNOUT_PORT",
	    "${TURNOUT_COLOR}", "$TURNOUT_COLOR" };
	char portbuf[16], *out = xstrdup(url);

	snprintf(portbuf, sizeof portbuf, "%d", port);
	for (size_t i = 0; i < 4; i++) {
		char *at;

		while ((at = strstr(out, names[i])) != NULL) {
			char *next = xasprintf("%.*s%s%s", (int)(at - out), out,
			    i < 2 ? portbuf : color, at + strlen(names[i]));

			free(out);
			out = next;
		}
	}
	return out;
}

/*
 * Finds a URL's user:password@ part: returns the '@' and sets *user to its
 * start, or returns NULL when the URL has none.
 */
static const char *
url_userinfo(const char *url, const char **user)
{
	const char *scheme = strstr(url, "://"), *at, *slash;

	if (scheme == NULL)
		return NULL;
	*user = scheme + 3;
	at = strchr(*user, '@');
	slash = strchr(*user, '/');
	return at == NULL || (slash != NULL && slash < at) ? NULL : at;
}

/* The URL without its user:password@, for logs and errors; a new string. */
static char *
redact_url(const char *url)
{
	const char *user, *at = url_userinfo(url, &user);

	if (at == NULL)
		return xstrdup(url);
	return xasprintf("%.*s***@%s", (int)(user - url), url, at + 1);
}

/*
 * The secrets in a repo URL's user:password@ (or token@): the password, and
 * the user too when it is long enough to be a token (GitHub's TOKEN@ and
 * TOKEN:x-oauth-basic@). Short names ("git", "deploy") stay: they are
 * words that logs are full of. Fills up to two new strings.
 */
static void
url_secrets(const char *url, char *secret[2])
{
	const char *user, *at = url_userinfo(url, &user), *colon;
	int userlen;

	secret[0] = secret[1] = NULL;
	if (at == NULL)
		return;
	colon = memchr(user, ':', (size_t)(at - user));
	userlen = (int)((colon != NULL ? colon : at) - user);
	if (colon != NULL && at - colon - 1 >= 4)
		secret[0] = xasprintf("%.*s", (int)(at - colon - 1), colon + 1);
	if (userlen >= 16 || (colon == NULL && userlen >= 4))	/* a token */
		secret[1] = xasprintf("%.*s", userlen, user);
}

/* Returns 1 for a directory that exists. */
static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Makes a directory and its parents, mode 0700. */
static void
mkdirs(const char *path)
{
	char *copy = xstrdup(path);

	for (char *s = copy + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(copy, 0700);
		*s = '/';
	}
	mkdir(copy, 0700);
	free(copy);
}

/* rm -rf path; returns 0, or -1 with *why. */
static int
remove_tree(struct pipeline *p, const char *path, char **why)
{
	const char *argv[] = { "rm", "-rf", "--", path, NULL };

	return run_argv(p, "rm", argv, "blue", NULL, 120, NULL, why);
}

/* Compares release dir names "ID-SHA" by their ID, newest first. */
static int
release_cmp(const void *a, const void *b)
{
	long long x = atoll(*(char *const *)a), y = atoll(*(char *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Deletes all but the newest keep_releases release dirs, never one that a
 * color still runs from.
 */
static void
prune_releases(struct pipeline *p, const char *dir)
{
	struct store_app a;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		/* Throw-away indexes a crash left behind (none is in use now). */
		if (strncmp(e->d_name, ".index-", 7) == 0) {
			char *path = xasprintf("%s/%s", dir, e->d_name);

			unlink(path);
			free(path);
		}
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9') {
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof *names, release_cmp);
	store_get_app(p->st, p->app->name, &a);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		int used = (a.release[0] != NULL && strcmp(a.release[0], path) == 0) ||
		    (a.release[1] != NULL && strcmp(a.release[1], path) == 0) ||
		    (p->release != NULL && strcmp(p->release, path) == 0);

		if (i >= (size_t)p->app->keep_releases && !used) {
			char *why = NULL;

			log_info("%s: pruning old release %s", p->app->name, names[i]);
			if (remove_tree(p, path, &why) != 0) {
				log_warn("%s: cannot prune %s: %s", p->app->name, path, why);
				free(why);
			}
		}
		free(path);
		free(names[i]);
	}
	free(names);
	store_app_release(&a);
}

/* state_dir/DIR/APP: the app's git cache ("repos") or releases; a new string. */
static char *
state_path(struct pipeline *p, const char *dir)
{
	return xasprintf("%s/%s/%s", p->cfg->server.state_dir, dir, p->app->name);
}

/* A full object id (SHA-1 or SHA-256), as webhooks send: nothing to resolve. */
static int
is_full_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return s[n] == '\0' && (n == 40 || n == 64);
}

/*
 * rev-parse SPEC^{commit} in the cache (and a local repo's objects); the
 * full id, owned, or NULL.
 */
static char *
resolve(struct pipeline *p, const char *cache, const char *spec)
{
	char *arg = xasprintf("%s^{commit}", spec), *why = NULL, *id = NULL;
	const char *argv[] = { "git", "-C", cache, "rev-parse", "--verify", "--quiet", arg, NULL };

	p->git_objects = p->objects;	/* a local repo's objects count too */
	if (run_git(p, argv, &why) == 0 && strlen(p->capture) >= 40)
		id = xstrdup(p->capture);
	p->git_objects = NULL;
	free(why);
	free(arg);
	return id;
}

/*
 * The objects dir of a repo on this machine (a path or a file:/// URL to a
 * bare or non-bare repository) as one GIT_ALTERNATE_OBJECT_DIRECTORIES
 * entry, C-quoted (so a ':' in it does not split it); a new string, or NULL
 * for any other repo.
 */
static char *
local_objects(const char *repo)
{
	const char *path = repo;
	char *dir, *head, *quoted, *q;
	size_t cap;
	int found;

	if (strncmp(path, "file://", 7) == 0)
		path += 7;
	if (path[0] != '/' || strchr(path, '%') != NULL)	/* no host, no escapes */
		return NULL;
	dir = xasprintf("%s/.git/objects", path);
	head = xasprintf("%s/HEAD", path);	/* a bare repo */
	found = is_dir(dir);
	if (!found) {
		free(dir);
		dir = xasprintf("%s/objects", path);
		found = is_dir(dir) && access(head, F_OK) == 0;
	}
	free(head);
	if (!found) {
		free(dir);
		return NULL;
	}
	cap = strlen(dir) * 4 + 3;
	q = quoted = xmalloc(cap);
	*q++ = '"';
	for (const unsigned char *c = (const unsigned char *)dir; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			q += snprintf(q, cap - (size_t)(q - quoted), "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			q += snprintf(q, cap - (size_t)(q - quoted), "\\%03o", *c);
		else
			*q++ = (char)*c;
	}
	*q++ = '"';
	*q = '\0';
	free(dir);
	return quoted;
}

/* p->release: the release dir of this deployment's commit. */
static void
set_release(struct pipeline *p)
{
	char *rels = state_path(p, "releases");

	free(p->release);
	p->release = xasprintf("%s/%lld-%.12s", rels, (long long)p->id, p->commit);
	free(rels);
}

/*
 * Writes p->commit's files into p->release with one read-tree and a
 * throw-away index, from the cache and a local repo's objects. Returns 0,
 * or -1 with *why.
 */
static int
checkout(struct pipeline *p, const char *cache, char **why)
{
	char *rels = state_path(p, "releases");
	char *index = xasprintf("%s/.index-%lld", rels, (long long)p->id);
	char *gitdir = xasprintf("--git-dir=%s", cache);
	char *tree = xasprintf("--work-tree=%s", p->release);
	char *commit = xasprintf("%s^{commit}", p->commit);	/* never a bare tree */
	const char *argv[] = { "git", gitdir, tree, "read-tree", "--reset", "-u", commit, NULL };
	int rc = 0;

	mkdirs(rels);
	if (is_dir(p->release))	/* left by a run cut short (a power cut can requeue it) */
		rc = remove_tree(p, p->release, why);
	if (rc == 0) {
		mkdirs(p->release);
		p->git_index = index;
		p->git_objects = p->objects;
		rc = run_git(p, argv, why);
		p->git_index = p->git_objects = NULL;
		unlink(index);
		/*
		 * No half-written release stays behind a cancel or a failure
		 * (a shutdown leaves it to the requeued run: it must be quick).
		 */
		if (rc != 0 && rmdir(p->release) != 0 && p->stop != STOP_INTERRUPTED) {
			char *ignored = NULL;

			p->uncancellable = 1;
			if (remove_tree(p, p->release, &ignored) != 0)
				note(p, "could not remove %s: %s", p->release, ignored);
			p->uncancellable = 0;
			free(ignored);
		}
	}
	free(gitdir);
	free(tree);
	free(commit);
	free(index);
	free(rels);
	return rc;
}

/*
 * A commit of a repo on this machine (a bare repo pushed to over ssh, a
 * self-hosted forge's) is read where it is: one process for a push's full
 * id, two for an id from the API or a rollback, instead of a fetch's seven.
 * The repo's objects are only read, for these processes, never referenced
 * from the cache, so a gc there cannot corrupt the cache; a commit no ref
 * reaches any more (a force-push) still deploys while the repo keeps it.
 * A branch head needs the refs: it is fetched. Returns 0 when the release
 * is written, 1 to fetch instead, -1 with *why when stopped.
 */
static int
read_in_place(struct pipeline *p, const char *cache, char **why)
{
	int rc = 0;

	if (p->objects == NULL || !is_dir(cache) || p->commit == NULL)
		return 1;
	p->quiet = 1;	/* a miss may happen; the fetch says why */
	if (!is_full_id(p->commit) || strcmp(p->kind, "push") != 0) {
		/* Maybe abbreviated, or a tag: its commit's full id is recorded. */
		char *id = resolve(p, cache, p->commit);

		if (id == NULL)
			rc = -1;
		else {
			free(p->commit);
			p->commit = id;
			store_set_commit(p->st, p->id, p->commit);
		}
	}
	if (rc == 0) {
		set_release(p);
		rc = checkout(p, cache, why);
	}
	p->quiet = 0;
	if (rc == 0) {
		note(p, "read %.12s from %s in place into %s", p->commit, p->repo_shown, p->release);
		return 0;
	}
	if (p->stop != STOP_NONE) {
		if (*why == NULL)
			*why = xstrdup("stopped while reading the repo");
		return -1;
	}
	note(p, "%s cannot be read in place (%s): fetching", p->commit,
	    *why != NULL ? *why : "no such commit");
	free(*why);
	*why = NULL;
	free(p->release);
	p->release = NULL;
	return 1;
}

/*
 * fetch: bring the git cache up to date and check the exact commit out into
 * a release dir of its own. The repository is always the configured one,
 * never one named by a payload.
 *
 * Every git process costs milliseconds (tens under load), and this step is
 * most of turnout's own time per deployment, so it runs as few as it can:
 * no fetch for a commit of a repo on this machine (read_in_place); else
 * the fetch (its auto-maintenance runs after the deployment instead), a
 * rev-parse only when the commit is not already a full id, and one
 * read-tree that writes the files with a throw-away index. The release is
 * not a git repository; TURNOUT_COMMIT names its commit.
 */
static int
step_fetch(struct pipeline *p)
{
	char *cache = state_path(p, "repos");
	char *why = NULL;
	int rc, verified = 0;

	step_begin(p, "fetch");
	rc = read_in_place(p, cache, &why);
	if (rc == 0) {
		step_end(p, "succeeded", NULL);
		goto out;
	}
	if (rc < 0)
		goto fail;
	if (!is_dir(cache)) {
		const char *argv[] = { "git", "clone", "--mirror", "--quiet", "--", p->app->repo, cache, NULL };

		note(p, "cloning %s", p->repo_shown);
		p->fetched = 1;
		if (run_git(p, argv, &why) != 0)
			goto fail;
	} else {
		/* The configured URL every time: the config may have changed it. */
		const char *fetch[] = { "git", "-C", cache, "fetch", "--prune", "--quiet",
		    "--no-auto-maintenance", "--no-write-fetch-head", "--",
		    p->app->repo, "+refs/*:refs/*", NULL };

		p->fetched = 1;
		if (run_git(p, fetch, &why) != 0)
			goto fail;
	}
	if (p->commit == NULL) {
		char *branch = xasprintf("refs/heads/%s", p->app->branch);

		p->commit = resolve(p, cache, branch);
		free(branch);
		if (p->commit == NULL) {
			why = xasprintf("branch '%s' is not in %s", p->app->branch, p->repo_shown);
			goto fail;
		}
		store_set_commit(p->st, p->id, p->commit);
		note(p, "branch %s is at %s", p->app->branch, p->commit);
		verified = 1;
	} else if (!is_full_id(p->commit) || strcmp(p->kind, "push") != 0) {
		/*
		 * An id from the API or CLI may be abbreviated, or name a tag:
		 * the full id of its commit is what is deployed and recorded. A
		 * forge's push names a full commit id: no process spent on it.
		 */
		char *id = resolve(p, cache, p->commit);

		if (id == NULL) {
			why = xasprintf("commit %s is not in %s", p->commit, p->repo_shown);
			goto fail;
		}
		free(p->commit);
		p->commit = id;
		store_set_commit(p->st, p->id, p->commit);
		verified = 1;
	}
	set_release(p);
	if (checkout(p, cache, &why) != 0) {
		char *id = verified || p->stop != STOP_NONE ? NULL : resolve(p, cache, p->commit);

		if (!verified && p->stop == STOP_NONE && id == NULL) {
			free(why);
			why = xasprintf("commit %s is not in %s", p->commit, p->repo_shown);
		}
		free(id);
		goto fail;
	}
	note(p, "checked out %.12s into %s", p->commit, p->release);
	step_end(p, "succeeded", NULL);
	rc = 0;
	goto out;
fail:
	step_fail(p, "%s", why != NULL ? why : "fetch failed");
	rc = -1;
out:
	free(why);
	free(cache);
	return rc;
}

/*
 * After the deployment has ended, off the clock users watch: prune old
 * releases and let git pack the cache when it wants to. The deployment's
 * log is complete by now (`logs -f` has stopped): this goes to the
 * daemon's log, commands' lines not at all (but a failure's first).
 */
static void
tidy(struct pipeline *p)
{
	char *cache = state_path(p, "repos"), *rels = state_path(p, "releases");

	p->quiet = 1;
	if (is_dir(rels))
		prune_releases(p, rels);
	if (p->fetched && is_dir(cache)) {	/* nothing new to pack otherwise */
		const char *argv[] = { "git", "-C", cache, "maintenance", "run", "--auto", "--quiet", NULL };
		char *why = NULL;

		if (run_git(p, argv, &why) != 0) {
			log_warn("%s: git maintenance in %s: %s", p->app->name, cache, why);
			free(why);
		}
	}
	p->quiet = 0;
	free(cache);
	free(rels);
}

static int
step_build(struct pipeline *p, const char *color, const char *old)
{
	char *why = NULL;

	if (p->app->build == NULL)
		return 0;
	step_begin(p, "build");
	if (run_shell(p, "build", p->app->build, color, old, p->app->build_timeout, &why) != 0) {
		step_fail(p, "%s", why);
		free(why);
		return -1;
	}
	step_end(p, "succeeded", NULL);
	return 0;
}

/*
 * Waits for color's connections to end before it is stopped (see drain.h),
 * from since_ms, asking stop whether to give up; logs what it saw, and
 * warns in the daemon's log when the drain ran out or could not count.
 */
static enum drain_end
drain_color(struct pipeline *p, const char *color, int64_t since_ms, drain_stop_fn stop)
{
	struct drain_result r;
	char line[320];

	drain_wait(p->app, color, since_ms, stop, p, &r);
	drain_describe(&r, color, line, sizeof line);
	note(p, "%s", line);
	if (store_drain(p->st, p->id, p->app->name, color, p->step_name != NULL ? p->step_name : "?",
	    drain_end_name(r.end), r.at_start, r.left, r.ms, r.timeout) != 0)
		log_error("deployment %lld: cannot store the drain of %s", (long long)p->id, color);
	if (r.end == DRAIN_BLIND || (r.end == DRAIN_TIMED_OUT && r.timeout > 0))
		log_warn("%s #%lld: %s", p->app->name, (long long)p->id, line);
	if (r.end == DRAIN_BLIND && r.timeout > 0) {
		/* Blind: what a fixed wait can do, bounded by drain_timeout. */
		int ms = r.timeout * 1000 < UNSEEN_GRACE_MS ? r.timeout * 1000 : UNSEEN_GRACE_MS;

		note(p, "waiting %d ms instead", ms);
		usleep((useconds_t)ms * 1000);
	}
	return r.end;
}

/* drain_stop_fn of a retire: a shutdown, or a newer deployment to let start. */
static int
retire_interrupted(void *ctx)
{
	struct pipeline *p = ctx;
	int64_t now = clock_mono_ms(), queued = 0, running = 0;

	if (*p->stopping)
		return 1;
	if (p->nlines > 0 && now - p->last_flush >= LOG_FLUSH_MS)
		log_flush(p);	/* the drain shows up live */
	if (now - p->last_cancel_check < CANCEL_POLL_MS)
		return 0;
	p->last_cancel_check = now;
	return store_app_queue(p->st, p->app->name, &queued, &running) == 0 && queued > 0;
}

/*
 * Before color is stopped or started anew: its connections drain. A drain
 * an earlier deployment handed on keeps its start. Returns -1 when a
 * cancel or shutdown ended the wait.
 */
static int
drain_idle(struct pipeline *p, const char *color)
{
	int64_t since = clock_mono_ms();
	struct drain_handover *h = p->handover;
	int handed = h->color != NULL && strcmp(h->color, color) == 0;

	if (handed) {
		note(p, "%s has been draining since #%lld retired it", color, (long long)h->from);
		since = h->since_ms;
	}
	if (drain_color(p, color, since, is_cancelled) == DRAIN_STOPPED)
		return -1;
	if (handed)
		h->color = NULL;
	return 0;
}

/*
 * Stops a color with the stop command, if there is one; logs failures. It
 * runs in the release dir the color was started from, with that commit:
 * a stop command may depend on them (docker compose names projects after
 * the directory). Once begun it is not cancelled: half-stopped is worse.
 */
static void
stop_color(struct pipeline *p, const char *color, const char *other)
{
	struct store_app a;
	char *why = NULL, *commit = p->commit, *release = p->release;
	int i = strcmp(color, "green") == 0;

	if (p->app->stop == NULL)
		return;
	if (store_get_app(p->st, p->app->name, &a) == 0 && a.release[i] != NULL &&
	    is_dir(a.release[i])) {
		p->commit = a.commit[i];
		p->release = a.release[i];
	}
	p->uncancellable = 1;
	if (run_shell(p, "stop", p->app->stop, color, other, p->app->stop_timeout, &why) != 0) {
		note(p, "%s", why);
		free(why);
	}
	p->uncancellable = 0;
	p->commit = commit;
	p->release = release;
	store_app_release(&a);
}

/* start: stop, then start, the idle color. */
static int
step_start(struct pipeline *p, const char *color, const char *old)
{
	char *why = NULL;

	step_begin(p, "start");
	/*
	 * The idle color may still serve what it took while it was live:
	 * stop and start only once that has ended (start alone may replace
	 * it, as docker compose up does).
	 */
	if (drain_idle(p, color) != 0)
		return step_fail(p, "stopped while %s was draining", color);
	stop_color(p, color, old);
	if (p->stop == STOP_NONE &&
	    run_shell(p, "start", p->app->start, color, old, p->app->start_timeout, &why) == 0) {
		store_set_color(p->st, p->app->name, color, p->commit, p->release);
		step_end(p, "succeeded", NULL);
		return 0;
	}
	step_fail(p, "%s", why != NULL ? why : "stopped");
	free(why);
	return -1;
}

/* verify: poll the color's health URL until 2xx or timeout seconds. */
static int
step_verify(struct pipeline *p, const char *color, int timeout)
{
	char *url = expand_url(p->app->health, switch_port(p->app, color), color);
	struct probe_result res;
	char desc[320];
	long long t0 = clock_mono_ms();
	int rc;

	step_begin(p, "verify");
	note(p, "GET %s until 2xx (at most %d s)", url, timeout);
	rc = probe_wait(url, switch_socket(p->app, color), timeout, 1, NULL, is_cancelled, p, &res);
	free(url);
	if (rc == 0) {
		char *detail = xasprintf("%s is healthy after %lld ms (HTTP %ld)", color,
		    clock_mono_ms() - t0, res.status);

		step_end(p, "succeeded", detail);
		free(detail);
		return 0;
	}
	if (p->stop != STOP_NONE)
		return step_fail(p, "stopped while waiting for %s to be healthy", color);
	return step_fail(p, "%s is not healthy after %d s: last answer %s", color, timeout,
	    probe_describe(&res, desc, sizeof desc));
}

/* Points the proxy at color as step name; returns 0 or -1. */
static int
step_switch(struct pipeline *p, const char *name, const char *color, const char *old)
{
	struct spawn_env *env = env_for(p, color, old);
	struct spawn_opts o;
	char *why = NULL, *said = NULL, *detail;
	int rc;

	step_begin(p, name);
	opts_init(p, &o, env, p->app->switch_timeout);
	rc = switch_to(p->app, color, &o, &p->command_ms, &said, &p->settled, &why);
	spawn_env_free(env);
	if (said != NULL)
		note(p, "%s", said);
	free(said);
	if (rc == 0 && p->handover->color != NULL && strcmp(p->handover->color, color) == 0) {
		/* A color left draining serves again (a rollback): nothing to stop. */
		p->handover->color = NULL;
	}
	if (rc != 0) {
		p->stop = STOP_FAILED;
		step_fail(p, "%s", why);
		free(why);
		return -1;
	}
	detail = xasprintf("the proxy (%s) now sends %s to %s",
	    switch_name(p->app), p->app->name, color);
	step_end(p, "succeeded", detail);
	free(detail);
	return 0;
}

static int
confirm_streak(const struct pipeline *p)
{
	/* A switch that saw it took effect leaves no old worker to answer. */
	return p->settled ? 1 : CONFIRM_STREAK_RELOAD;
}

/*
 * confirm: poll the confirm URL through the proxy until it answers 2xx from
 * color. Not cancellable: once traffic moved, it is confirmed or undone.
 */
static int
step_confirm(struct pipeline *p, const char *color)
{
	struct probe_result res;
	char desc[320], *detail;
	long long t0 = clock_mono_ms();

	if (p->app->confirm == NULL)
		return 0;
	step_begin(p, "confirm");
	note(p, "GET %s through the proxy until 2xx from %s (at most %d s)", p->app->confirm,
	    color, p->app->confirm_timeout);
	if (probe_wait(p->app->confirm, NULL, p->app->confirm_timeout, confirm_streak(p), color,
	    NULL, NULL, &res) != 0)
		return step_fail(p, "confirm through the proxy failed after %d s: last answer %s",
		    p->app->confirm_timeout, probe_describe(&res, desc, sizeof desc));
	if (confirm_streak(p) > 1)
		detail = xasprintf("the proxy answers from %s after %lld ms, %d times in a row"
		    " (the first answer from it came after %lld ms; HTTP %ld)", color,
		    clock_mono_ms() - t0, confirm_streak(p), res.first_ms, res.status);
	else
		detail = xasprintf("the proxy answers from %s after %lld ms (HTTP %ld)", color,
		    clock_mono_ms() - t0, res.status);
	step_end(p, "succeeded", detail);
	free(detail);
	return 0;
}

/* After a confirmed switch to live (or back to it): the other color rests. */
static void
rest_other(struct pipeline *p, const char *live)
{
	char *why = NULL;

	if (switch_rest(p->app, live, &why) != 0) {
		note(p, "could not put %s to rest: %s", switch_other(live), why);
		log_warn("%s #%lld: %s", p->app->name, (long long)p->id, why);
		free(why);
	}
}

/*
 * After switching back: wait until the proxy answers from color again, so
 * that "rolled back" means the old color serves when we say so.
 */
static void
settle(struct pipeline *p, const char *color)
{
	struct probe_result res;
	char desc[320];

	if (p->app->confirm == NULL)
		return;
	if (probe_wait(p->app->confirm, NULL, p->app->confirm_timeout, confirm_streak(p), color,
	    NULL, NULL, &res) == 0)
		note(p, "the proxy answers from %s again", color);
	else
		note(p, "the proxy does not answer well from %s either: %s", color,
		    probe_describe(&res, desc, sizeof desc));
}

/*
 * Drains color (since since_ms) and stops it; when a newer deployment is
 * queued meanwhile, hands the drain on instead (begun by deployment from),
 * and on a shutdown leaves color running. other is the color that serves.
 */
static void
retire_color(struct pipeline *p, const char *color, int64_t since_ms, int64_t from,
    const char *other)
{
	if (drain_color(p, color, since_ms, retire_interrupted) != DRAIN_STOPPED) {
		stop_color(p, color, other);
		return;
	}
	if (*p->stopping) {
		note(p, "shutting down: %s keeps running", color);
		return;
	}
	p->handover->color = color;
	p->handover->since_ms = since_ms;
	p->handover->from = from;
	note(p, "a newer deployment is queued: it starts now, and stops %s once it has drained",
	    color);
}

/*
 * retire: with keep_old = no, stop the old color once the proxy moved and
 * its connections have ended. A newer deployment queued meanwhile need not
 * wait for that: the drain is handed on, and that deployment's start step
 * (which stops this color anyway) finishes it.
 */
static void
step_retire(struct pipeline *p, const char *old, const char *color)
{
	int64_t since = clock_mono_ms();

	if (p->app->keep_old || old == NULL || p->app->stop == NULL)
		return;
	step_begin(p, "retire");
	if (!p->settled) {
		/* The proxy may still send a new request to old for a moment. */
		note(p, "the switch could not see the proxy take it: waiting %d ms for requests"
		    " on their way to %s", UNSEEN_GRACE_MS, old);
		usleep(UNSEEN_GRACE_MS * 1000);
	}
	retire_color(p, old, since, p->id, color);
	step_end(p, "succeeded", NULL);
}

/*
 * The status for a deployment that stopped early. A commit is marked a bad
 * release only when the release itself failed (build, start, verify): a
 * fetch that could not reach the forge or a proxy test broken by other
 * config says nothing about the commit.
 */
static const char *
stopped_status(struct pipeline *p)
{
	static const char *const blamed[] = { "build", "start", "verify" };

	if (p->stop == STOP_CANCELLED)
		return "cancelled";
	if (p->stop == STOP_INTERRUPTED)
		return "interrupted";
	for (size_t i = 0; i < 3 && p->commit != NULL && p->fail_step != NULL; i++)
		if (strcmp(p->fail_step, blamed[i]) == 0) {
			char *why = xasprintf("%s failed", p->fail_step);

			store_mark_bad(p->st, p->app->name, p->commit, p->id, why);
			free(why);
		}
	return "failed";
}

/*
 * After a failed confirm: traffic back to old. When even that fails, the
 * proxy still sends traffic to color, and the database must say so.
 */
static int
switch_back(struct pipeline *p, const char *color, const char *old)
{
	struct store_app a;
	int i = strcmp(color, "green") == 0;

	p->stop = STOP_NONE;
	if (step_switch(p, "rollback", old, color) == 0) {
		settle(p, old);
		rest_other(p, old);
		return 0;
	}
	log_error("%s #%lld: switching back to %s failed: %s still serves", p->app->name,
	    (long long)p->id, old, color);
	if (store_get_app(p->st, p->app->name, &a) == 0)
		store_set_live(p->st, p->app->name, color, a.commit[i], p->id);
	store_app_release(&a);
	return -1;
}

/* Reads which color is live: "blue", "green" or NULL. */
static const char *
live_color(struct pipeline *p, struct store_app *a)
{
	store_get_app(p->st, p->app->name, a);
	if (a->active_color == NULL)
		return NULL;
	return strcmp(a->active_color, "blue") == 0 ? "blue" : "green";
}

/*
 * The full deployment of p->commit (or the branch head) to the idle color,
 * confirmed through the proxy and rolled back by itself when that fails.
 */
static const char *
deploy(struct pipeline *p)
{
	struct store_app a;
	const char *old = live_color(p, &a);
	const char *color = old != NULL ? switch_other(old) : "blue";

	store_app_release(&a);
	note(p, "deploying %s to %s (live: %s)", p->commit != NULL ? p->commit : p->app->branch,
	    color, old != NULL ? old : "nothing");
	p->color = color;
	if (step_fetch(p) != 0 || step_build(p, color, old) != 0 || step_start(p, color, old) != 0)
		return stopped_status(p);
	if (step_verify(p, color, p->app->health_timeout) != 0) {
		/*
		 * The new color never serves: stop it, also after a cancel, so
		 * that a rollback never finds it running an unproven release.
		 */
		if (p->stop != STOP_INTERRUPTED) {
			note(p, "stopping %s, which did not pass its health check; %s keeps serving",
			    color, old != NULL ? old : "nothing");
			stop_color(p, color, old);
		}
		return stopped_status(p);
	}
	if (step_switch(p, "switch", color, old) != 0)
		return stopped_status(p);
	if (step_confirm(p, color) != 0) {
		store_mark_bad(p->st, p->app->name, p->commit, p->id, "confirm through the proxy failed");
		if (old == NULL) {
			/* Nothing to go back to: the new color stays, marked bad. */
			store_set_live(p->st, p->app->name, color, p->commit, p->id);
			rest_other(p, color);
			return "failed";
		}
		return switch_back(p, color, old) == 0 ? "rolled_back" : "failed";
	}
	store_set_live(p->st, p->app->name, color, p->commit, p->id);
	store_unmark_bad(p->st, p->app->name, p->commit);
	rest_other(p, color);
	step_retire(p, old, color);
	return "succeeded";
}

/*
 * Rollback: send traffic to the other color when it runs a good release and
 * is healthy; when it is not running, redeploy its release; when it holds
 * a bad one, redeploy the newest good release.
 */
static const char *
rollback(struct pipeline *p)
{
	struct store_app a;
	const char *live = live_color(p, &a), *target, *status;
	char *candidate = NULL;
	int t;

	if (live == NULL) {
		note(p, "nothing is live yet: there is nothing to roll back from");
		store_app_release(&a);
		return "failed";
	}
	target = switch_other(live);
	t = strcmp(target, "green") == 0;
	/*
	 * The other color qualifies only with a release that once served and
	 * is not marked bad: a cancelled or failed deployment may have left an
	 * unproven one there.
	 */
	if (a.commit[t] != NULL && !store_is_bad(p->st, p->app->name, a.commit[t]) &&
	    store_was_live(p->st, p->app->name, a.commit[t]) &&
	    (a.live_commit == NULL || strcmp(a.commit[t], a.live_commit) != 0)) {
		p->commit = xstrdup(a.commit[t]);
		p->release = xstrdup(a.release[t]);
		store_set_commit(p->st, p->id, p->commit);
		note(p, "rolling back from %s to %s, which runs %.12s", live, target, p->commit);
		if (step_verify(p, target, p->app->health_timeout < 10 ? p->app->health_timeout : 10) == 0) {
			if (step_switch(p, "switch", target, live) != 0)
				status = "failed";
			else if (step_confirm(p, target) != 0) {
				store_mark_bad(p->st, p->app->name, p->commit, p->id,
				    "confirm through the proxy failed");
				switch_back(p, target, live);
				status = "failed";
			} else {
				store_set_live(p->st, p->app->name, target, p->commit, p->id);
				rest_other(p, target);
				status = "succeeded";
			}
			p->color = target;
			goto out;
		}
		if (p->stop != STOP_FAILED) {
			status = p->stop == STOP_CANCELLED ? "cancelled" : "interrupted";
			goto out;
		}
		note(p, "%s is not running: redeploying %.12s instead", target, p->commit);
		p->stop = STOP_NONE;
		p->fail_step = NULL;
		free(p->error);
		p->error = NULL;
		free(p->release);
		p->release = NULL;
	} else {
		candidate = store_last_good_commit(p->st, p->app->name, a.live_commit);
		if (candidate == NULL) {
			note(p, "no earlier good release to roll back to");
			status = "failed";
			goto out;
		}
		free(p->commit);
		p->commit = candidate;
		store_set_commit(p->st, p->id, p->commit);
		note(p, "%s holds no good release: redeploying the last good one, %.12s", target, p->commit);
	}
	status = deploy(p);
out:
	store_app_release(&a);
	return status;
}

/*
 * A drain handed on that no start step finished (the deployment it went
 * to failed or was cancelled before its start, or was cancelled while
 * queued): unless a newer deployment is queued to take it on, finish the
 * retire here, as a step of p. own: p may be the deployment that began it.
 */
static void
finish_handover(struct pipeline *p, int own)
{
	struct drain_handover *h = p->handover;
	int64_t queued = 0, running = 0;
	struct store_app a;
	const char *live, *color = h->color;

	if (color == NULL || (h->from == p->id && !own) || *p->stopping)
		return;
	if (store_app_queue(p->st, p->app->name, &queued, &running) == 0 && queued > 0)
		return;
	live = live_color(p, &a);
	store_app_release(&a);
	h->color = NULL;
	if (live == NULL || strcmp(live, color) == 0)
		return;
	step_begin(p, "retire");
	if (h->from == p->id)
		note(p, "the deployment queued after this one did not run: stopping %s once it has"
		    " drained", color);
	else
		note(p, "%s, retired by #%lld, is still running", color, (long long)h->from);
	retire_color(p, color, h->since_ms, h->from, live);
	step_end(p, "succeeded", NULL);
}

/* A pipeline for deployment id of app, with nothing chosen yet. */
static void
pipeline_init(struct pipeline *p, const struct config *cfg, const struct app_config *app,
    struct store *st, int64_t id, const volatile int *stopping, struct drain_handover *handover)
{
	memset(p, 0, sizeof *p);
	p->cfg = cfg;
	p->app = app;
	p->st = st;
	p->id = id;
	p->kind = "deploy";
	p->stopping = stopping;
	p->handover = handover;
	p->step = -1;
	p->last_flush = clock_mono_ms();
	p->repo_shown = redact_url(app->repo);
	url_secrets(app->repo, p->repo_secret);
	p->objects = local_objects(app->repo);
}

/* Frees what p owns (p itself is the caller's). */
static void
pipeline_release(struct pipeline *p)
{
	free(p->error);
	free(p->repo_shown);
	free(p->repo_secret[0]);
	free(p->repo_secret[1]);
	free(p->commit);
	free(p->ref);
	free(p->release);
	free(p->objects);
}

void
pipeline_run(const struct config *cfg, const struct app_config *app, struct store *st,
    const struct store_deployment *d, const volatile int *stopping,
    struct drain_handover *handover)
{
	struct pipeline p;
	const char *status;
	long long t0 = clock_mono_ms();

	pipeline_init(&p, cfg, app, st, d->id, stopping, handover);
	p.kind = d->kind;
	p.commit = xstrdup(d->commit);
	p.ref = xstrdup(d->ref);
	log_info("%s: deployment %lld (%s) started", app->name, (long long)d->id, d->kind);
	status = strcmp(d->kind, "rollback") == 0 ? rollback(&p) : deploy(&p);
	finish_handover(&p, 0);
	note(&p, "deployment %s after %lld ms", status, clock_mono_ms() - t0);
	log_flush(&p);
	store_finish(st, d->id, status, p.color, p.error);
	log_info("%s: deployment %lld %s after %lld ms%s%s", app->name, (long long)d->id, status,
	    clock_mono_ms() - t0, p.error != NULL ? ": " : "", p.error != NULL ? p.error : "");
	if (p.stop == STOP_NONE || p.stop == STOP_FAILED)
		tidy(&p);	/* not while cancelling or shutting down */
	pipeline_release(&p);
}

void
pipeline_finish_retire(const struct config *cfg, const struct app_config *app,
    struct store *st, const volatile int *stopping, struct drain_handover *handover)
{
	struct pipeline p;

	if (handover->color == NULL)
		return;
	log_info("%s: finishing the retire of %s begun by deployment %lld", app->name,
	    handover->color, (long long)handover->from);
	pipeline_init(&p, cfg, app, st, handover->from, stopping, handover);
	finish_handover(&p, 1);
	log_flush(&p);
	pipeline_release(&p);
}

void
pipeline_reconcile(const struct app_config *app, struct store *st)
{
	struct store_app a;
	const char *proxy = switch_current(app);

	store_app_ensure(st, app->name);
	if (store_get_app(st, app->name, &a) != 0)
		return;
	if (proxy == NULL) {
		if (a.active_color != NULL)
			log_warn("%s: cannot read the live color from the proxy; keeping %s from the database",
			    app->name, a.active_color);
	} else if (a.active_color == NULL || strcmp(a.active_color, proxy) != 0) {
		log_warn("%s: the proxy serves %s but the database said %s: taking the proxy's word",
		    app->name, proxy, a.active_color != NULL ? a.active_color : "nothing");
		store_set_live(st, app->name, proxy, a.commit[strcmp(proxy, "green") == 0], 0);
	} else
		log_info("%s: %s is live (%.12s)", app->name, proxy,
		    a.live_commit != NULL ? a.live_commit : "unknown commit");
	if (proxy != NULL) {
		char *why = NULL;

		/* A stop between a switch and its rest left the other color draining. */
		if (switch_rest(app, proxy, &why) != 0) {
			log_warn("%s: cannot put %s to rest: %s", app->name, switch_other(proxy), why);
			free(why);
		}
	}
	store_app_release(&a);
}
