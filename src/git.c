/* git: an app's git cache and what is read from it (see git.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "git.h"
#include "log.h"
#include "run.h"
#include "url.h"
#include "xmalloc.h"
#include "banned.h"

struct git {
	char *cache;
	char *repo;
	char *shown;   /* repo without user:password@ */
	char *objects; /* a local repo's objects, quoted; or NULL */
	int timeout;
	int fetched; /* git fetched into the cache */
	struct steplog *log;
};

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
	if (path[0] != '/' || strchr(path, '%') != NULL) /* no host, no escapes */
		return NULL;
	dir = xasprintf("%s/.git/objects", path);
	head = xasprintf("%s/HEAD", path); /* a bare repo */
	found = fsutil_is_dir(dir);
	if (!found) {
		free(dir);
		dir = xasprintf("%s/objects", path);
		found = fsutil_is_dir(dir) && access(head, F_OK) == 0;
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

struct git *
git_new(const char *cache, const char *repo, int timeout, struct steplog *log)
{
	struct git *g = xcalloc(1, sizeof *g);

	g->cache = xstrdup(cache);
	g->repo = xstrdup(repo);
	g->shown = url_redact(repo);
	g->objects = local_objects(repo);
	g->timeout = timeout;
	g->log = log;
	return g;
}

void
git_free(struct git *g)
{
	if (g == NULL)
		return;
	free(g->cache);
	free(g->repo);
	free(g->shown);
	free(g->objects);
	free(g);
}

const char *
git_shown(const struct git *g)
{
	return g->shown;
}

int
git_local(const struct git *g)
{
	return g->objects != NULL;
}

int
git_cached(const struct git *g)
{
	return fsutil_is_dir(g->cache);
}

/*
 * Runs git with argv (argv[0] is "git"): never asking for a password, with
 * index as GIT_INDEX_FILE and the local repo's objects when with_objects.
 * capture (or NULL) gets its first stdout line.
 */
static int
run_git(struct git *g, const char *const *argv, const char *index, int with_objects, int quiet,
    char *capture, size_t capture_size, char **why)
{
	struct spawn_env *env = spawn_env_new();
	struct run_opts o;
	char what[64];
	long long ms;
	size_t i = 1;
	int rc;

	while (argv[i] != NULL && argv[i][0] == '-') /* -C DIR, --git-dir=DIR: not its name */
		i += strcmp(argv[i], "-C") == 0 ? 2 : 1;
	snprintf(what, sizeof what, "git %s", argv[i] != NULL ? argv[i] : "");
	spawn_env_set(env, "GIT_TERMINAL_PROMPT", "0"); /* fail, never ask */
	spawn_env_set(env, "GIT_INDEX_FILE", index);
	spawn_env_set(env, "GIT_ALTERNATE_OBJECT_DIRECTORIES", with_objects ? g->objects : NULL);
	memset(&o, 0, sizeof o);
	o.what = what;
	o.argv = argv;
	o.envp = spawn_env_array(env);
	o.timeout = g->timeout;
	o.quiet = quiet;
	o.capture = capture;
	o.capture_size = capture_size;
	rc = run_command(g->log, &o, &ms, why);
	spawn_env_free(env);
	return rc;
}

int
git_update(struct git *g, char **why)
{
	const char *fetch[] = { "git", "-C", g->cache, "fetch", "--prune", "--quiet",
		"--no-auto-maintenance", "--no-write-fetch-head", "--", g->repo, "+refs/*:refs/*",
		NULL };

	g->fetched = 1;
	if (!git_cached(g)) {
		/*
		 * Not a clone: it would keep the URL, password and all, in the
		 * cache's config. Every fetch names the configured URL anyway.
		 */
		const char *init[] = { "git", "init", "--bare", "--quiet", "--", g->cache, NULL };

		steplog_note(g->log, "cloning %s", g->shown);
		if (run_git(g, init, NULL, 0, 0, NULL, 0, why) != 0)
			return -1;
	}
	return run_git(g, fetch, NULL, 0, 0, NULL, 0, why);
}

char *
git_resolve(struct git *g, const char *spec, int quiet)
{
	char *arg = xasprintf("%s^{commit}", spec), *why = NULL, *id = NULL, capture[256];
	const char *argv[] = { "git", "-C", g->cache, "rev-parse", "--verify", "--quiet", arg,
		NULL };

	/* A local repo's objects count too. */
	if (run_git(g, argv, NULL, 1, quiet, capture, sizeof capture, &why) == 0 &&
	    strlen(capture) >= 40)
		id = xstrdup(capture);
	free(why);
	free(arg);
	return id;
}

int
git_read_tree(struct git *g, const char *commit, const char *dir, const char *index, int quiet,
    char **why)
{
	char *gitdir = xasprintf("--git-dir=%s", g->cache);
	char *tree = xasprintf("--work-tree=%s", dir);
	char *spec = xasprintf("%s^{commit}", commit); /* never a bare tree */
	const char *argv[] = { "git", gitdir, tree, "read-tree", "--reset", "-u", spec, NULL };
	int rc = run_git(g, argv, index, 1, quiet, NULL, 0, why);

	unlink(index);
	free(gitdir);
	free(tree);
	free(spec);
	return rc;
}

void
git_maintain(struct git *g)
{
	const char *argv[] = { "git", "-C", g->cache, "maintenance", "run", "--auto", "--quiet",
		NULL };
	char *why = NULL;

	if (!g->fetched || !git_cached(g)) /* nothing new to pack otherwise */
		return;
	if (run_git(g, argv, NULL, 0, 1, NULL, 0, &why) != 0) {
		log_warn("git maintenance in %s: %s", g->cache, why);
		free(why);
	}
}
