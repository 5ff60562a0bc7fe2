/*
 * switch: the table of kinds, and what every kind shares (the colors'
 * ports and sockets, the checks common to all); each kind's own work is
 * in its switch-NAME.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sockdiag.h"
#include "switch-kind.h"
#include "switch.h"
#include "banned.h"

/* Every kind of switch, in the order the docs list them. */
static const struct switch_kind *const kinds[] = {
	&switch_kind_nginx,
	&switch_kind_socket,
	&switch_kind_haproxy,
	&switch_kind_command,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

const struct switch_kind *
switch_kind_find(const char *name)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

const char *
switch_kind_list(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NKINDS && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    i == 0              ? "" :
			i + 1 == NKINDS ? " or " :
					  ", ",
		    kinds[i]->name);
	return buf;
}

const char *
switch_name(const struct app_config *app)
{
	return app->switch_kind->name;
}

int
switch_port(const struct app_config *app, const char *color)
{
	if (app->switch_kind->sockets)
		return 0;
	return strcmp(color, "blue") == 0 ? app->blue_port : app->green_port;
}

const char *
switch_socket(const struct app_config *app, const char *color)
{
	if (!app->switch_kind->sockets)
		return NULL;
	return strcmp(color, "blue") == 0 ? app->blue_socket : app->green_socket;
}

const char *
switch_other(const char *color)
{
	return strcmp(color, "blue") == 0 ? "green" : "blue";
}

/* The colors' TCP ports: both set, apart, and not turnout's own. */
static void
check_ports(const struct app_config *app, int listen_port, struct conf_report *r)
{
	const char *n = app->name;

	if (app->blue_port < 0 || app->green_port < 0)
		; /* already reported */
	else if (app->blue_port == 0 || app->green_port == 0)
		conf_app_error(r, "app '%s' needs blue_port and green_port", n);
	else if (app->blue_port == app->green_port)
		conf_app_error(r, "app '%s': blue_port and green_port must differ (both %d)", n,
		    app->blue_port);
	else if (app->blue_port == listen_port || app->green_port == listen_port)
		conf_app_error(r, "app '%s': a color's port is turnout's own listen port", n);
}

void
switch_check(const struct app_config *app, int listen_port, struct conf_report *r)
{
	const struct switch_kind *k = app->switch_kind;
	const char *socks[] = { app->blue_socket, app->green_socket, app->socket_link,
		app->haproxy_socket };

	if (!k->sockets)
		check_ports(app, listen_port, r);
	k->check(app, r);
	/* struct sockaddr_un holds 108 bytes with the NUL. */
	for (size_t i = 0; i < 4; i++)
		if (socks[i] != NULL && strlen(socks[i]) > 107)
			conf_app_error(r,
			    "app '%s': the socket path '%s' is longer than 107 bytes,"
			    " which unix sockets cannot have",
			    app->name, socks[i]);
	if (!k->pools && app->nginx_keepalive > 0)
		conf_app_error(r, "app '%s': nginx_keepalive is for switch = nginx only%s",
		    app->name,
		    k->sockets ? " (pooled connections to the socket link would stay on the old"
				 " color)" :
				 "");
}

int
switch_to(const struct app_config *app, const char *color, const struct spawn_opts *base,
    long long *command_ms, char **said, int *settled, char **cause)
{
	*said = NULL;
	*settled = app->switch_kind->settles;
	return app->switch_kind->to(app, color, base, command_ms, said, settled, cause);
}

int
switch_rest(const struct app_config *app, const char *live, char **cause)
{
	if (app->switch_kind->rest == NULL)
		return 0;
	return app->switch_kind->rest(app, live, cause);
}

int
switch_connections(const struct app_config *app, const char *color, char **cause)
{
	if (app->switch_kind->connections != NULL)
		return app->switch_kind->connections(app, color, cause);
	if (app->switch_kind->sockets)
		return sockdiag_unix(switch_socket(app, color), cause);
	return sockdiag_tcp(switch_port(app, color), cause);
}

const char *
switch_current(const struct app_config *app)
{
	if (app->switch_kind->current == NULL)
		return NULL;
	return app->switch_kind->current(app);
}
