/* release: release dirs, written from git and pruned (see release.h). */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "release.h"
#include "xmalloc.h"
#include "banned.h"

char *
release_dir(const char *releases, int64_t id, const char *commit)
{
	return xasprintf("%s/%lld-%.12s", releases, (long long)id, commit);
}

int
release_checkout(struct git *g, const char *releases, int64_t id, const char *commit,
    const char *dir, int quiet, char **why)
{
	char *index = xasprintf("%s/.index-%lld", releases, (long long)id);
	int rc;

	fsutil_mkdirs(releases, 0700, 0700);
	/* Left by a run cut short (a power cut can requeue it). */
	rc = fsutil_remove_tree(dir, why);
	if (rc == 0 && fsutil_mkdirs(dir, 0700, 0700) != 0) {
		*why = xasprintf("cannot make the release dir '%s'", dir);
		rc = -1;
	}
	if (rc == 0) {
		rc = git_read_tree(g, commit, dir, index, quiet, why);
		if (rc != 0 && rmdir(dir) != 0) {
			char *ignored = NULL;

			if (fsutil_remove_tree(dir, &ignored) != 0) {
				log_warn("cannot remove the release '%s': %s", dir, ignored);
				free(ignored);
			}
		}
	}
	free(index);
	return rc;
}

/* Compares release dir names "ID-SHA" by their ID, newest first. */
static int
newest_first(const void *a, const void *b)
{
	long long x = atoll(*(char *const *)a), y = atoll(*(char *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Returns 1 when path is one of the n in_use paths. */
static int
is_used(const char *path, const char *const *in_use, int n)
{
	for (int i = 0; i < n; i++)
		if (in_use[i] != NULL && strcmp(in_use[i], path) == 0)
			return 1;
	return 0;
}

void
release_prune(const char *releases, int keep, const char *const *in_use, int n, const char *app)
{
	struct dirent *e;
	char **names = NULL;
	size_t count = 0;
	DIR *d = opendir(releases);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		/* Throw-away indexes a crash left behind (none is in use now). */
		if (strncmp(e->d_name, ".index-", 7) == 0) {
			char *path = xasprintf("%s/%s", releases, e->d_name);

			unlink(path);
			free(path);
		}
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9') {
			names = xrealloc(names, (count + 1) * sizeof *names);
			names[count++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof *names, newest_first);
	for (size_t i = 0; i < count; i++) {
		char *path = xasprintf("%s/%s", releases, names[i]), *why = NULL;

		if (i >= (size_t)keep && !is_used(path, in_use, n)) {
			log_info("%s: pruning old release %s", app, names[i]);
			if (fsutil_remove_tree(path, &why) != 0) {
				log_warn("%s: cannot prune %s: %s", app, path, why);
				free(why);
			}
		}
		free(path);
		free(names[i]);
	}
	free(names);
}
