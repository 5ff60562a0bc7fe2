/*
 * switch = socket: the colors listen on unix sockets, and the proxy
 * connects through socket_link, a symlink swapped atomically. Nothing
 * reloads.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "switch-kind.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * A new symlink beside socket_link, renamed over it. rename() is atomic,
 * so the path never goes missing: each new connection through it reaches
 * one color or the other.
 */
static int
socket_to(const struct app_config *app, const char *color, const struct spawn_opts *base,
    long long *command_ms, char **said, int *settled, char **cause)
{
	const char *target = switch_socket(app, color);
	char *tmp = xasprintf("%s.turnout-tmp", app->socket_link);
	int rc = -1;

	unlink(tmp);
	if (symlink(target, tmp) != 0)
		*cause = xasprintf("cannot make the link '%s': %s", tmp, strerror(errno));
	else if (rename(tmp, app->socket_link) != 0) {
		*cause = xasprintf("cannot rename '%s' over '%s': %s", tmp, app->socket_link,
		    strerror(errno));
		unlink(tmp);
	} else {
		fsutil_sync_dir(app->socket_link);
		rc = 0;
	}
	free(tmp);
	return rc;
}

/* The link's target names the live color. */
static const char *
socket_current(const struct app_config *app)
{
	char target[4096];
	ssize_t n = readlink(app->socket_link, target, sizeof target - 1);

	if (n < 0)
		return NULL;
	target[n] = '\0';
	return strcmp(target, app->blue_socket) == 0 ? "blue" :
	    strcmp(target, app->green_socket) == 0   ? "green" :
						       NULL;
}

static void
socket_check(const struct app_config *app, struct conf_report *r)
{
	if (app->blue_socket == NULL || app->green_socket == NULL || app->socket_link == NULL)
		conf_app_error(r,
		    "app '%s': switch = socket needs blue_socket, green_socket and"
		    " socket_link",
		    app->name);
	else if (strcmp(app->blue_socket, app->green_socket) == 0)
		conf_app_error(r, "app '%s': blue_socket and green_socket must differ", app->name);
}

const struct switch_kind switch_kind_socket = {
	.name = "socket",
	.sockets = 1,
	.settles = 1,
	.to = socket_to,
	.current = socket_current,
	.check = socket_check,
};
