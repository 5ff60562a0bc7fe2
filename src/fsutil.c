/* fsutil: making, replacing, reading and removing files (see fsutil.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

/*
 * nftw has no context pointer: the first failure of the walk in progress.
 * Only the worker threads remove trees, one app each, so a thread-local
 * is enough.
 */
static _Thread_local char *remove_failed;
static _Thread_local int remove_errno;

/* nftw callback: removes each entry after its contents (FTW_DEPTH). */
static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 && errno != ENOENT &&
	    remove_failed == NULL) {
		remove_errno = errno;
		remove_failed = xstrdup(path);
	}
	return 0; /* go on: remove what can be removed */
}

int
fsutil_remove_tree(const char *path, char **cause)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf("cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	remove_failed = NULL;
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && remove_failed == NULL) {
		remove_errno = errno;
		remove_failed = xstrdup(path);
	}
	if (remove_failed == NULL)
		return 0;
	*cause = xasprintf("cannot remove '%s': %s", remove_failed, strerror(remove_errno));
	free(remove_failed);
	remove_failed = NULL;
	return -1;
}
