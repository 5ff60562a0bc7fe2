/* fsutil: making, replacing, reading and removing files (see fsutil.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmalloc.h"
#include "banned.h"

int
fsutil_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
fsutil_mkdirs(const char *path, mode_t parents, mode_t mode)
{
	char *copy = xstrdup(path);
	int rc = 0;

	for (char *s = copy + 1; *s != '\0' && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(copy, parents) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(copy, mode) != 0 && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

void
fsutil_sync_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else
		*(slash == dir ? slash + 1 : slash) = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Writes all of buf to fd; returns 0 or -1 with errno. */
static int
write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int
fsutil_write_atomic(const char *path, const char *text, char **cause)
{
	char *tmp = xasprintf("%s.turnout-tmp", path);
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, strlen(text)) != 0) {
		*cause = xasprintf("cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		*cause = xasprintf("cannot sync '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		*cause = xasprintf("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fsutil_sync_dir(path); /* the rename itself reaches the disk only with it */
	rc = 0;
out:
	free(tmp);
	return rc;
}

char *
fsutil_read(const char *path, size_t most)
{
	FILE *f = fopen(path, "re");
	char *text;
	size_t len;

	if (f == NULL)
		return NULL;
	text = xmalloc(most + 1);
	len = fread(text, 1, most, f);
	text[len] = '\0';
	fclose(f);
	return text;
}

/* A walk over a tree, and its first failure. */
struct walk {
	int (*fn)(int dir, const char *name, int is_dir, struct walk *w); /* 0, or -1 with errno */
	unsigned uid, gid;                                                /* for chown_entry */
	char path[4096]; /* of the entry at hand, for the error (cut when longer) */
	char *failed;    /* the first entry that failed */
	int failed_errno;
};

static void
walk_failed(struct walk *w)
{
	if (w->failed == NULL) {
		w->failed_errno = errno;
		w->failed = xstrdup(w->path);
	}
}

/*
 * Calls w->fn on name in dir after its contents (when a directory).
 * Every step is relative to an open directory and no symlink is followed:
 * a tree that another user may write while root walks it (a deploy_user's
 * release) cannot send the walk elsewhere by swapping a directory for a
 * link. Goes on after a failure: the rest is done.
 */
static void
walk_at(int dir, const char *name, struct walk *w)
{
	size_t len = strlen(w->path);
	struct dirent *e;
	DIR *d;
	int fd;

	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* Not a directory (or a link to one): a leaf. */
		if ((errno == ENOTDIR || errno == ELOOP) && w->fn(dir, name, 0, w) == 0)
			return;
		if (errno != ENOENT)
			walk_failed(w);
		return;
	}
	if ((d = fdopendir(fd)) == NULL) {
		walk_failed(w);
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(w->path + len, sizeof w->path - len, "/%s", e->d_name);
		walk_at(dirfd(d), e->d_name, w);
		w->path[len] = '\0';
	}
	closedir(d);
	if (w->fn(dir, name, 1, w) != 0 && errno != ENOENT)
		walk_failed(w);
}

/* Walks path; returns 0, or -1 with *cause "cannot VERB 'ENTRY': ERROR". */
static int
walk(const char *path, struct walk *w, const char *verb, char **cause)
{
	snprintf(w->path, sizeof w->path, "%s", path);
	w->failed = NULL;
	walk_at(AT_FDCWD, path, w);
	if (w->failed == NULL)
		return 0;
	*cause = xasprintf("cannot %s '%s': %s", verb, w->failed, strerror(w->failed_errno));
	free(w->failed);
	return -1;
}

static int
remove_entry(int dir, const char *name, int is_dir, struct walk *w)
{
	(void)w;
	return unlinkat(dir, name, is_dir ? AT_REMOVEDIR : 0);
}

int
fsutil_remove_tree(const char *path, char **cause)
{
	struct walk w = { .fn = remove_entry };
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf("cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return walk(path, &w, "remove", cause);
}

static int
chown_entry(int dir, const char *name, int is_dir, struct walk *w)
{
	(void)is_dir;
	return fchownat(dir, name, w->uid, w->gid, AT_SYMLINK_NOFOLLOW);
}

int
fsutil_chown_tree(const char *path, unsigned uid, unsigned gid, char **cause)
{
	struct walk w = { .fn = chown_entry, .uid = uid, .gid = gid };
	struct stat st;

	if (lstat(path, &st) != 0) {
		*cause = xasprintf("cannot chown '%s': %s", path, strerror(errno));
		return -1;
	}
	return walk(path, &w, "chown", cause);
}
