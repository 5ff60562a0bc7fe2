/*
 * The network-facing process (see netproc.h for the worker side that
 * starts it): `turnout-net serve-network -c CONFIG`.
 */
#ifndef TURNOUT_NETSERVE_H
#define TURNOUT_NETSERVE_H

#include "conf.h"

/*
 * Serves on NETPROC_LISTEN_FD until SIGTERM or the worker side's end.
 * cfg is borrowed. Returns the exit status.
 */
int netserve_main(const struct config *cfg);

#endif
