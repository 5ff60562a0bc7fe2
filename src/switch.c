#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

int
switch_port(const struct app_config *app, const char *color)
{
	return strcmp(color, "blue") == 0 ? app->blue_port : app->green_port;
}

const char *
switch_other(const char *color)
{
	return strcmp(color, "blue") == 0 ? "green" : "blue";
}

int
switch_write_atomic(const char *path, const char *text, char **cause)
{
	char *tmp = xasprintf("%s.turnout-tmp", path);
	char *dir = xstrdup(path), *slash;
	size_t len = strlen(text), off = 0;
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*cause = xasprintf("cannot write '%s': %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		*cause = xasprintf("cannot sync '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		*cause = xasprintf("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself reaches the disk only with the directory. */
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	rc = 0;
out:
	free(tmp);
	free(dir);
	return rc;
}

/* Reads a whole (small) file; returns a new string or NULL. */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	if (f == NULL)
		return NULL;
	text = xmalloc(65536);
	len = fread(text, 1, 65535, f);
	text[len] = '\0';
	fclose(f);
	return text;
}

/* Runs a proxy command through /bin/sh; returns 0 or -1 with *cause. */
static int
switch_command(const char *what, const char *cmd, const struct spawn_opts *base, char **cause)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct spawn_opts o = *base;
	struct spawn_result res;
	char *err = NULL, desc[96];

	o.argv = argv;
	o.cancelled = NULL;	/* a switch, once begun, is finished or undone */
	spawn_run(&o, &res, &err);
	if (res.outcome == SPAWN_ERROR) {
		*cause = xasprintf("%s: %s", what, err);
		free(err);
		return -1;
	}
	if (res.outcome != SPAWN_EXITED || res.status != 0) {
		*cause = xasprintf("%s '%s' %s", what, cmd, spawn_describe(&res, desc, sizeof desc));
		return -1;
	}
	return 0;
}

/* The nginx upstream file for color. */
static char *
nginx_text(const struct app_config *app, const char *color)
{
	const char *name = app->nginx_upstream_name != NULL ? app->nginx_upstream_name : app->name;
	char var[80];
	size_t i;

	/* nginx variable names take letters, digits and '_' only. */
	for (i = 0; app->name[i] != '\0' && i < sizeof var - 1; i++)
		var[i] = isalnum((unsigned char)app->name[i]) ? app->name[i] : '_';
	var[i] = '\0';
	return xasprintf("# Written by turnout for app '%s'; it is rewritten at each switch.\n"
	    "# live color: %s\n"
	    "upstream %s {\n"
	    "    server 127.0.0.1:%d;\n"
	    "}\n"
	    "# For 'add_header X-Turnout-Color $turnout_color_%s always;' in the server\n"
	    "# block, so that turnout can see which color answers through the proxy.\n"
	    "map $host $turnout_color_%s {\n"
	    "    default \"%s\";\n"
	    "}\n", app->name, color, name, switch_port(app, color), var, var, color);
}

/* Puts the old upstream file back (or removes the new one). */
static void
nginx_restore(const struct app_config *app, const char *old)
{
	char *ignored = NULL;

	if (old == NULL)
		unlink(app->nginx_upstream);
	else if (switch_write_atomic(app->nginx_upstream, old, &ignored) != 0)
		free(ignored);
}

static int
switch_nginx(const struct app_config *app, const char *color, const struct spawn_opts *base,
    char **cause)
{
	char *old = read_file(app->nginx_upstream);
	char *text = nginx_text(app, color);
	char *inner = NULL;
	int rc = -1;

	if (switch_write_atomic(app->nginx_upstream, text, cause) != 0)
		goto out;
	if (switch_command("nginx_test", app->nginx_test, base, &inner) != 0) {
		nginx_restore(app, old);
		*cause = xasprintf("%s; upstream file restored, nginx not reloaded", inner);
		goto out;
	}
	if (switch_command("nginx_reload", app->nginx_reload, base, &inner) != 0) {
		nginx_restore(app, old);
		*cause = xasprintf("%s; upstream file restored", inner);
		goto out;
	}
	rc = 0;
out:
	free(inner);
	free(old);
	free(text);
	return rc;
}

int
switch_to(const struct app_config *app, const char *color, const struct spawn_opts *base,
    char **cause)
{
	switch (app->switch_kind) {
	case SWITCH_NGINX:
		return switch_nginx(app, color, base, cause);
	case SWITCH_COMMAND:
		return switch_command("switch_command", app->switch_command, base, cause);
	case SWITCH_SOCKET:
	case SWITCH_HAPROXY:
	default:
		*cause = xasprintf("switch = %s is not supported yet", conf_switch_name(app->switch_kind));
		return -1;
	}
}

const char *
switch_current(const struct app_config *app)
{
	char *text, *p;
	const char *color = NULL;

	if (app->switch_kind != SWITCH_NGINX || (text = read_file(app->nginx_upstream)) == NULL)
		return NULL;
	/* The port in the first "server HOST:PORT;" line names the color. */
	for (p = strstr(text, "server"); p != NULL; p = strstr(p + 6, "server")) {
		char *colon, *end;
		long port;

		if (p > text && !isspace((unsigned char)p[-1]))
			continue;
		end = strchr(p, ';');
		if (end == NULL)
			break;
		*end = '\0';
		colon = strrchr(p, ':');
		if (colon == NULL)
			break;
		port = strtol(colon + 1, NULL, 10);
		if (port == app->blue_port)
			color = "blue";
		else if (port == app->green_port)
			color = "green";
		break;
	}
	free(text);
	return color;
}
