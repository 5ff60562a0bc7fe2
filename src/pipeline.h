/*
 * One deployment, start to end: fetch → build → start → verify → switch →
 * confirm → retire, or a rollback to the other color. It records every
 * step, every line the commands print and the outcome through store.
 */
#ifndef TURNOUT_PIPELINE_H
#define TURNOUT_PIPELINE_H

#include "conf.h"
#include "drain.h"
#include "store.h"

/*
 * Runs deployment d (claimed: status running) of app to its end and
 * records the final status. stopping is polled: when it becomes non-zero
 * (SIGTERM) the running command is killed and the deployment ends
 * 'interrupted', the proxy left as it was. handover is the app's drain
 * handed from one deployment to the next (see drain.h): read and updated
 * here, kept by the caller between deployments. All arguments are
 * borrowed.
 */
void pipeline_run(const struct config *cfg, const struct app_config *app, struct store *st,
    const struct store_deployment *d, const volatile int *stopping,
    struct drain_handover *handover);

/*
 * When the deployment a drain was handed to never ran (it was cancelled
 * while queued) and nothing else is queued: finishes the retire of
 * handover->color, drain and stop, as a step of the deployment that began
 * it. Does nothing when no drain is handed on. All arguments are borrowed.
 */
void pipeline_finish_retire(const struct config *cfg, const struct app_config *app,
    struct store *st, const volatile int *stopping, struct drain_handover *handover);

#endif
