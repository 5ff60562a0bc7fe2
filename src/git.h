/*
 * An app's git cache: a mirror of the configured repo under state_dir,
 * fetched into, and the commits it holds resolved and written out. A repo
 * on this machine (a path, a file:// URL) is also read where it is, with
 * no fetch (see git_local). The repo is always the configured one, never
 * one a payload names; git's lines go to the deployment's log.
 */
#ifndef TURNOUT_GIT_H
#define TURNOUT_GIT_H

#include "steplog.h"

/*
 * The cache at cache (a path) of repo, whose git commands get timeout
 * seconds each and log to log (borrowed; all are copied but log). Returns
 * a new handle the caller frees with git_free.
 */
struct git *git_new(const char *cache, const char *repo, int timeout, struct steplog *log);
void git_free(struct git *g);

/* The repo URL without its user:password@, for logs; borrowed. */
const char *git_shown(const struct git *g);

/* Returns 1 when the repo is on this machine, so its objects can be read in place. */
int git_local(const struct git *g);

/* Returns 1 when the cache has been cloned. */
int git_cached(const struct git *g);

/*
 * Fetches every ref into the cache from the configured URL (the config
 * may have changed it), making the cache first: a bare repository that
 * keeps no URL. Its auto-maintenance waits for git_maintain. Returns 0,
 * or -1 with *why.
 */
int git_update(struct git *g, char **why);

/*
 * The full id of spec's commit (a ref, a tag, an id maybe abbreviated),
 * looked up in the cache and a local repo's objects; a new string the
 * caller frees, or NULL. quiet: git's lines are not logged.
 */
char *git_resolve(struct git *g, const char *spec, int quiet);

/*
 * Writes commit's files into dir (which exists) with one read-tree and a
 * throw-away index file at index, from the cache and a local repo's
 * objects. Returns 0, or -1 with *why (a new string the caller frees).
 */
int git_read_tree(struct git *g, const char *commit, const char *dir, const char *index, int quiet,
    char **why);

/*
 * After a deployment that fetched: lets git pack the cache when it wants
 * to (git maintenance run --auto); failures go to the daemon's log.
 */
void git_maintain(struct git *g);

#endif
