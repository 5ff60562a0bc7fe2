/* `turnout serve`: the daemon's life from start to SIGTERM. */
#ifndef TURNOUT_SERVE_H
#define TURNOUT_SERVE_H

#include "conf.h"

/*
 * Prepares state_dir, opens the database, serves HTTP until SIGTERM or
 * SIGINT, then shuts down cleanly. cfg is borrowed. Returns the process
 * exit status (0, or 1 when it could not start).
 */
int serve_run(const struct config *cfg);

#endif
