/*
 * One thread per app runs its deployments one at a time (apps deploy in
 * parallel): it claims the newest queued deployment and hands it to the
 * pipeline. Others wake it with worker_notify when something is queued.
 */
#ifndef TURNOUT_WORKER_H
#define TURNOUT_WORKER_H

#include "conf.h"
#include "store.h"

struct workers;

/* Starts a thread per app of cfg. cfg and st are borrowed and must outlive the workers. */
struct workers *workers_start(const struct config *cfg, struct store *st);

/*
 * A reload: each app of cfg (borrowed, must outlive w) that has a worker
 * runs its next deployment with cfg (the running one goes on with the
 * config it started with); an app new in cfg gets a worker; an app not in
 * cfg finishes what it runs and then claims nothing. Called by one thread
 * at a time.
 */
void workers_reload(struct workers *w, const struct config *cfg);

/* Wakes the worker of app (any thread may call it; unknown apps are ignored). */
void workers_notify(struct workers *w, const char *app);

/*
 * Stops every worker: a running command is killed, its deployment ends
 * 'interrupted' and the proxy is left as it was; then joins and frees.
 * NULL is a no-op.
 */
void workers_stop(struct workers *w);

#endif
