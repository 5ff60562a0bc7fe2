/*
 * reconcile: at start, the database's live color made to agree with what
 * the proxy really serves.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reconcile.h"
#include "switch.h"
#include "banned.h"

void
reconcile_app(const struct app_config *app, struct store *st)
{
	struct store_app a;
	const char *proxy = switch_current(app);

	store_app_ensure(st, app->name);
	if (store_get_app(st, app->name, &a) != 0)
		return;
	if (proxy == NULL) {
		if (a.active_color != NULL)
			log_warn(
			    "%s: cannot read the live color from the proxy; keeping %s from the database",
			    app->name, a.active_color);
	} else if (a.active_color == NULL || strcmp(a.active_color, proxy) != 0) {
		log_warn(
		    "%s: the proxy serves %s but the database said %s: taking the proxy's word",
		    app->name, proxy, a.active_color != NULL ? a.active_color : "nothing");
		store_set_live(st, app->name, proxy, a.commit[strcmp(proxy, "green") == 0], 0);
	} else
		log_info("%s: %s is live (%.12s)", app->name, proxy,
		    a.live_commit != NULL ? a.live_commit : "unknown commit");
	if (proxy != NULL) {
		char *why = NULL;

		/* A stop between a switch and its rest left the other color draining. */
		if (switch_rest(app, proxy, &why) != 0) {
			log_warn("%s: cannot put %s to rest: %s", app->name, switch_other(proxy),
			    why);
			free(why);
		}
	}
	store_app_release(&a);
}
