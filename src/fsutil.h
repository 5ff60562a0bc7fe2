/*
 * Files and directories, the few things turnout does with them: make a
 * path, replace a file atomically and durably, read a small file, remove
 * a tree in-process.
 */
#ifndef TURNOUT_FSUTIL_H
#define TURNOUT_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 1 when path is a directory (through symlinks), else 0. */
int fsutil_is_dir(const char *path);

/*
 * Makes path and its missing parents: parents with mode parents, path
 * itself with mode (both before the umask). One that exists already is
 * left as it is. Returns 0, or -1 with errno set.
 */
int fsutil_mkdirs(const char *path, mode_t parents, mode_t mode);

/*
 * fsyncs the directory that holds path, so that a rename or a new entry
 * in it survives a power cut. Errors are ignored: a file system that
 * cannot sync a directory has nothing better to offer.
 */
void fsutil_sync_dir(const char *path);

/*
 * Writes text to path so that a reader sees the old file or the new one,
 * never a part: a temp file beside it, fsync, rename, fsync of the
 * directory. Returns 0, or -1 with *cause (a new string the caller frees).
 */
int fsutil_write_atomic(const char *path, const char *text, char **cause);

/*
 * Reads at most most bytes of path; returns a new NUL-terminated string
 * the caller frees, or NULL when the file cannot be read.
 */
char *fsutil_read(const char *path, size_t most);

/*
 * rm -rf path, in-process: symlinks are removed, never followed, also
 * when the tree changes during the walk. A path that does not exist is
 * not an error. Returns 0, or -1 with *cause (a new string the caller
 * frees) naming the first entry that stayed.
 */
int fsutil_remove_tree(const char *path, char **cause);

/*
 * chown -R uid:gid path, in-process, never following a symlink (links
 * themselves change owner). Returns 0, or -1 with *cause naming the first
 * entry that failed.
 */
int fsutil_chown_tree(const char *path, unsigned uid, unsigned gid, char **cause);

#endif
