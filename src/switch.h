/*
 * Pointing the proxy at a color, one kind per switch: nginx (upstream file
 * plus test and reload), socket (a symlink swapped atomically, no reload),
 * haproxy (its runtime API: ready, drain, maint), command (the operator's
 * switch_command); each kind is a row of operations (switch-kind.h). A
 * switch never writes the database: it reports, and the pipeline records.
 */
#ifndef TURNOUT_SWITCH_H
#define TURNOUT_SWITCH_H

#include <stddef.h>

#include "conf.h"
#include "spawn.h"

/*
 * Points app's proxy at color ("blue" or "green"). Commands run with
 * base's environment, callbacks and timeout (argv and cwd are set here);
 * the time spent inside them (nginx_test, nginx_reload, switch_command)
 * is added to *command_ms. With nginx it returns once the reload has
 * taken effect (new workers serve, old ones accept no more; see
 * nginxpid.h), within switch_timeout. *said gets a line for the log (a new
 * string the caller frees, or NULL); *settled is 1 when every new
 * connection now reaches color (socket, haproxy, an nginx reload seen to
 * take effect), 0 when the proxy may still send some to the old one for a
 * moment. On failure the proxy is left as it was before, and *cause (a new
 * string the caller frees) says what failed. Returns 0 or -1.
 */
int switch_to(const struct app_config *app, const char *color, const struct spawn_opts *base,
    long long *command_ms, char **said, int *settled, char **cause);

/*
 * Once the switch to live is confirmed (or undone), puts the other color
 * to rest: with haproxy, maint (its sessions go on until they end);
 * nothing for the other kinds. Returns 0, or -1 with *cause (a new string
 * the caller frees).
 */
int switch_rest(const struct app_config *app, const char *live, char **cause);

/*
 * Counts the connections color still serves: HAProxy's current sessions
 * on its server with haproxy, else the kernel's connections to its TCP
 * port or unix socket (see sockdiag.h). Returns the count, or -1 with
 * *cause (a new string the caller frees).
 */
int switch_connections(const struct app_config *app, const char *color, char **cause);

/*
 * Reads which color the proxy sends app's traffic to, from the proxy's own
 * configuration: "blue", "green", or NULL when it cannot tell.
 */
const char *switch_current(const struct app_config *app);

/* Returns the port of color for app (0 with switch = socket). */
int switch_port(const struct app_config *app, const char *color);

/* Returns the unix socket of color, or NULL unless switch = socket. */
const char *switch_socket(const struct app_config *app, const char *color);

/* Returns the other color. */
const char *switch_other(const char *color);

/*
 * The kind named name ("nginx", "socket", ...), or NULL. Kinds are defined
 * in switch-kind.h; a config holds a pointer to one.
 */
const struct switch_kind *switch_kind_find(const char *name);

/* Writes "nginx, socket, haproxy or command" into buf; returns buf. */
const char *switch_kind_list(char *buf, size_t size);

/* Returns the name of app's kind of switch, "nginx", "socket", ... */
const char *switch_name(const struct app_config *app);

/*
 * Checks what an app's switch needs, once its whole section is read: its
 * colors' ports (not turnout's own listen_port) or sockets, the length of
 * socket paths, and the kind's own keys. Reports through conf_app_error.
 */
void switch_check(const struct app_config *app, int listen_port, struct conf_report *r);

#endif
