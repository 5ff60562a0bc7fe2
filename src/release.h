/*
 * Release dirs: one per deployment, state_dir/releases/APP/ID-SHA, the
 * commit's files written out by git, where the app's commands run; and
 * pruning the old ones.
 */
#ifndef TURNOUT_RELEASE_H
#define TURNOUT_RELEASE_H

#include <stdint.h>

#include "git.h"

/* The release dir of deployment id's commit under releases; a new string. */
char *release_dir(const char *releases, int64_t id, const char *commit);

/*
 * Writes commit's files into dir (a release_dir of id), replacing what a
 * run cut short left there; quiet: git's lines are not logged. On failure
 * no half-written dir stays behind (removed in-process: quick, also when
 * the daemon shuts down). Returns 0, or -1 with *why (a new string the
 * caller frees).
 */
int release_checkout(struct git *g, const char *releases, int64_t id, const char *commit,
    const char *dir, int quiet, char **why);

/*
 * Deletes all but the newest keep release dirs under releases (and the
 * throw-away indexes a crash left), never one named in in_use (n paths,
 * NULL entries allowed). app names them in the daemon's log.
 */
void release_prune(const char *releases, int keep, const char *const *in_use, int n,
    const char *app);

#endif
