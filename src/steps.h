/*
 * The steps of a deployment, one function each: fetch, build, start,
 * verify, switch, confirm, retire; and the smaller acts the state
 * machines in pipeline.c combine them with (stop a color, rest the other,
 * settle after a switch back, tidy up). Each step records itself through
 * the job's steplog.
 */
#ifndef TURNOUT_STEPS_H
#define TURNOUT_STEPS_H

#include <stdint.h>

#include "conf.h"
#include "drain.h"
#include "git.h"
#include "steplog.h"
#include "store.h"

/*
 * The deployment being run: what pipeline.c sets up, and the steps read
 * and update. Owned by pipeline.c; the steps borrow it.
 */
struct job {
	const struct config *cfg;
	const struct app_config *app;
	struct store *st;
	int64_t id;
	const char *kind;                /* "push", "deploy", "rollback", ... */
	const volatile int *stopping;    /* the daemon's shutdown flag */
	struct drain_handover *handover; /* the app's, borrowed */
	struct steplog *log;             /* owned */
	struct git *git;                 /* owned */
	char *releases;                  /* state_dir/releases/APP, owned */
	char *commit;                    /* resolved commit, owned */
	char *ref;                       /* owned */
	char *release;                   /* release dir, owned */
	int settled;                     /* the last switch saw it take effect */
	const char *color;               /* the color deployed to, once chosen */
};

/*
 * Each step returns 0 when it succeeded, -1 when it failed or was
 * cancelled (steplog_stopped says which). color is the color acted on,
 * old the other (live) one or NULL.
 */
int step_fetch(struct job *j);
int step_build(struct job *j, const char *color, const char *old);
int step_start(struct job *j, const char *color, const char *old);
int step_verify(struct job *j, const char *color, int timeout);
/* Points the proxy at color, recorded as step name ("switch", "rollback"). */
int step_switch(struct job *j, const char *name, const char *color, const char *old);
int step_confirm(struct job *j, const char *color);
/* With keep_old = no: stops old once drained (or hands the drain on). */
void step_retire(struct job *j, const char *old, const char *color);

/*
 * Drains color (since since_ms) and stops it; when a newer deployment is
 * queued meanwhile, hands the drain on instead (begun by deployment from),
 * and on a shutdown leaves color running. other is the color that serves.
 */
void step_retire_color(struct job *j, const char *color, int64_t since_ms, int64_t from,
    const char *other);

/* Stops color with the stop command, if there is one, in its own release dir. */
void step_stop_color(struct job *j, const char *color, const char *other);

/* After a confirmed switch to live (or back to it): the other color rests. */
void step_rest_other(struct job *j, const char *live);

/* After switching back: waits until the proxy answers from color again. */
void step_settle(struct job *j, const char *color);

/* After the deployment: old releases pruned, the git cache maintained. */
void step_tidy(struct job *j);

#endif
