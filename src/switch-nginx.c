/*
 * switch = nginx: an upstream file naming the color's port, `nginx -t`,
 * a reload, and a wait until nginx's new workers have taken over (see
 * nginxpid.h). A failure puts the old file back.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "nginxpid.h"
#include "switch-kind.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

/* The most of an upstream file read back: turnout writes a few hundred bytes. */
#define UPSTREAM_MAX 65535

char *
switch_nginx_text(const struct app_config *app, const char *color)
{
	const char *name = app->nginx_upstream_name != NULL ? app->nginx_upstream_name : app->name;
	char var[80], keepalive[40];
	size_t i;

	/* nginx variable names take letters, digits and '_' only. */
	for (i = 0; app->name[i] != '\0' && i < sizeof var - 1; i++)
		var[i] = isalnum((unsigned char)app->name[i]) ? app->name[i] : '_';
	var[i] = '\0';
	snprintf(keepalive, sizeof keepalive, "    keepalive %d;\n", app->nginx_keepalive);
	return xasprintf(
	    "# Written by turnout for app '%s'; it is rewritten at each switch.\n"
	    "# live color: %s\n"
	    "upstream %s {\n"
	    "    server 127.0.0.1:%d;\n"
	    "%s"
	    "}\n"
	    "# For 'add_header X-Turnout-Color $turnout_color_%s always;' in the server\n"
	    "# block, so that turnout can see which color answers through the proxy.\n"
	    "map $host $turnout_color_%s {\n"
	    "    default \"%s\";\n"
	    "}\n",
	    app->name, color, name, switch_port(app, color),
	    app->nginx_keepalive > 0 ? keepalive : "", var, var, color);
}

const char *
switch_nginx_parse(const struct app_config *app, char *text)
{
	for (char *p = strstr(text, "server"); p != NULL; p = strstr(p + 6, "server")) {
		char *colon, *end;
		long port;

		if (p > text && !isspace((unsigned char)p[-1]))
			continue;
		end = strchr(p, ';');
		if (end == NULL)
			return NULL;
		*end = '\0';
		colon = strrchr(p, ':');
		if (colon == NULL)
			return NULL;
		port = strtol(colon + 1, NULL, 10);
		return port == app->blue_port ? "blue" : port == app->green_port ? "green" : NULL;
	}
	return NULL;
}

/* Puts the old upstream file back (or removes the new one). */
static void
restore(const struct app_config *app, const char *old)
{
	char *ignored = NULL;

	if (old == NULL)
		unlink(app->nginx_upstream);
	else if (fsutil_write_atomic(app->nginx_upstream, old, &ignored) != 0)
		free(ignored);
}

/*
 * After a failed reload, or one that never took effect: the old file back,
 * and a reload with it, so that nginx serves what the file says.
 */
static void
undo(const struct app_config *app, const char *old, const struct spawn_opts *base,
    long long *command_ms, char *inner, char **cause)
{
	char *again = NULL;

	restore(app, old);
	if (switch_run_command("nginx_reload", app->nginx_reload, base, command_ms, &again) == 0)
		*cause = xasprintf("%s; upstream file %s and nginx reloaded with it", inner,
		    old != NULL ? "restored" : "removed");
	else
		*cause = xasprintf("%s; upstream file %s, but reloading failed too: %s", inner,
		    old != NULL ? "restored" : "removed", again);
	free(again);
}

/*
 * One nginx switch at a time in this process: apps behind one nginx share
 * its master, and a reload seen taking effect must be our own reload.
 */
static pthread_mutex_t nginx_lock = PTHREAD_MUTEX_INITIALIZER;

static int
nginx_to(const struct app_config *app, const char *color, const struct spawn_opts *base,
    long long *command_ms, char **said, int *settled, char **cause)
{
	char *old = fsutil_read(app->nginx_upstream, UPSTREAM_MAX);
	char *text = switch_nginx_text(app, color);
	char *inner = NULL, *blind = NULL;
	struct nginxpid gen;
	long long took;
	int rc = -1, watch;

	pthread_mutex_lock(&nginx_lock);
	if (fsutil_write_atomic(app->nginx_upstream, text, cause) != 0)
		goto out;
	if (switch_run_command("nginx_test", app->nginx_test, base, command_ms, &inner) != 0) {
		restore(app, old);
		*cause = xasprintf("%s; upstream file restored, nginx not reloaded", inner);
		goto out;
	}
	/* The workers before the reload, to see when new ones replace them. */
	watch = nginxpid_before(app->nginx_pid, &gen, &blind) == 0;
	if (switch_run_command("nginx_reload", app->nginx_reload, base, command_ms, &inner) != 0) {
		/* The reload may have taken effect before it failed. */
		undo(app, old, base, command_ms, inner, cause);
		goto out;
	}
	if (!watch) {
		*said = xasprintf("cannot tell when the reload takes effect (%s)", blind);
		rc = 0;
		goto out;
	}
	if (nginxpid_wait(&gen, app->switch_timeout * 1000, &took, &inner) != 0) {
		undo(app, old, base, command_ms, inner, cause);
		goto out;
	}
	*said = xasprintf("nginx's new workers took over %lld ms after the reload", took);
	*settled = 1;
	rc = 0;
out:
	pthread_mutex_unlock(&nginx_lock);
	free(blind);
	free(inner);
	free(old);
	free(text);
	return rc;
}

/* The port in the upstream file's first "server HOST:PORT;" names the color. */
static const char *
nginx_current(const struct app_config *app)
{
	char *text = fsutil_read(app->nginx_upstream, UPSTREAM_MAX);
	const char *color;

	if (text == NULL)
		return NULL;
	color = switch_nginx_parse(app, text);
	free(text);
	return color;
}

static void
nginx_check(const struct app_config *app, struct conf_report *r)
{
	if (app->nginx_upstream == NULL)
		conf_app_error(r, "app '%s': switch = nginx needs 'nginx_upstream'", app->name);
}

const struct switch_kind switch_kind_nginx = {
	.name = "nginx",
	.pools = 1,
	.to = nginx_to,
	.current = nginx_current,
	.check = nginx_check,
};
