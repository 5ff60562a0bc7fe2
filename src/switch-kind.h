/*
 * What a kind of switch is: one row of operations per kind, each kind in
 * a file of its own (switch-nginx.c, switch-socket.c, switch-haproxy.c,
 * switch-command.c), as relayd keeps one file per check. switch.c holds
 * the table and is the only caller of these operations; the rest of
 * turnout goes through switch.h. Adding a kind: a new switch-NAME.c that
 * defines switch_kind_NAME, its declaration here, and a row in switch.c's
 * table.
 */
#ifndef TURNOUT_SWITCH_KIND_H
#define TURNOUT_SWITCH_KIND_H

#include "conf.h"
#include "spawn.h"

struct switch_kind {
	const char *name; /* the value of 'switch =' */
	int sockets;      /* the colors listen on unix sockets, not TCP ports */
	int pools;        /* nginx_keepalive applies */
	/*
	 * Both settle: every new connection reaches the new color once
	 * the switch returned (to may say so itself by setting *settled).
	 */
	int settles;
	/* Points the proxy at color; see switch_to in switch.h. */
	int (*to)(const struct app_config *app, const char *color, const struct spawn_opts *base,
	    long long *command_ms, char **said, int *settled, char **cause);
	/* Puts the color that left service to rest; NULL: nothing to do. */
	int (*rest)(const struct app_config *app, const char *live, char **cause);
	/* Counts color's connections; NULL: the kernel's count. */
	int (*connections)(const struct app_config *app, const char *color, char **cause);
	/* Reads the live color from the proxy; NULL: it cannot tell. */
	const char *(*current)(const struct app_config *app);
	/* Reports what the kind's own keys lack, through conf_app_error. */
	void (*check)(const struct app_config *app, struct conf_report *r);
};

extern const struct switch_kind switch_kind_nginx;
extern const struct switch_kind switch_kind_socket;
extern const struct switch_kind switch_kind_haproxy;
extern const struct switch_kind switch_kind_command;

/*
 * Runs an operator's proxy command (named what in errors) through /bin/sh
 * with base's environment and timeout, never cancelled: a switch, once
 * begun, is finished or undone. Adds its time to *command_ms. Returns 0,
 * or -1 with *cause (a new string the caller frees).
 */
int switch_run_command(const char *what, const char *cmd, const struct spawn_opts *base,
    long long *command_ms, char **cause);

/* The upstream file nginx is given for color; a new string the caller frees. */
char *switch_nginx_text(const struct app_config *app, const char *color);

/*
 * The color an upstream file's first "server HOST:PORT;" names, by its
 * port: "blue", "green", or NULL. text is scribbled on.
 */
const char *switch_nginx_parse(const struct app_config *app, char *text);

/*
 * Reads HAProxy's "show stat" CSV answer for backend: for each of blue
 * and green its status (UP, DRAIN, MAINT, DOWN, ...) and current
 * sessions. answer is scribbled on. Returns 0, or -1 with *cause when
 * either server is missing.
 */
int switch_haproxy_parse(const char *backend, char *answer, char status[2][16], long scur[2],
    char **cause);

#endif
