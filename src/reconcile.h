/*
 * At start, before any deployment runs: what the proxy really serves wins
 * over what the database says.
 */
#ifndef TURNOUT_RECONCILE_H
#define TURNOUT_RECONCILE_H

#include "conf.h"
#include "store.h"

/*
 * Makes the database's active color for app agree with what the proxy
 * really serves (the proxy wins), logging what it changed, and puts the
 * other color to rest. Both arguments are borrowed.
 */
void reconcile_app(const struct app_config *app, struct store *st);

#endif
