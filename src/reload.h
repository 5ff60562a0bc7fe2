/*
 * A reload (SIGHUP, systemctl reload): the config file is read again and
 * checked as check-config does, and compared with the one in use. The
 * [server] keys the running processes are built on (listen, state_dir,
 * user, deploy_user, metrics_listen) need a restart: a config that
 * changes one is refused, and the one in use goes on.
 */
#ifndef TURNOUT_RELOAD_H
#define TURNOUT_RELOAD_H

#include "conf.h"

/*
 * Reads cur's file again. Returns the new config (the caller frees it
 * with conf_free), or NULL having logged every problem and that nothing
 * changed.
 */
struct config *reload_read(const struct config *cur);

/* Logs in one line what next changes against cur: apps added, removed and changed. */
void reload_describe(const struct config *cur, const struct config *next);

#endif
