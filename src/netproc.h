/*
 * Privilege separation: the network-facing process. `turnout serve` keeps
 * the worker side (the deployments, as the user it was started as) and
 * runs the HTTP server in a process of its own: a fresh `turnout-net
 * serve-network` (netserve.h) that holds the listening socket, the database and the
 * config's secrets, drops to [server] user, sets no_new_privs, and runs no
 * command. It tells the worker side only "APP was queued", over a
 * socketpair; the worker side checks each message as outside input. When
 * it dies it is started again; the deployments go on meanwhile.
 */
#ifndef TURNOUT_NETPROC_H
#define TURNOUT_NETPROC_H

#include "conf.h"
#include "worker.h"

/* The fds the network-facing process is given: the listening socket and its channel. */
#define NETPROC_LISTEN_FD 3
#define NETPROC_CHANNEL_FD 4
#define NETPROC_METRICS_FD 5 /* with metrics_listen */

/* Messages on the channel: one byte of kind, then for QUEUED the app's name. */
#define NETPROC_MSG_READY 'R'
#define NETPROC_MSG_QUEUED 'Q'
#define NETPROC_MSG_MAX 128

struct netproc;

/*
 * Worker side: starts the network-facing process on listen_fd and
 * metrics_fd (-1 for none; both borrowed, kept open to start it again) and
 * waits until it serves; its "queued" messages wake w. cfg and w are
 * borrowed and must outlive it. Returns NULL with *cause (a new string the
 * caller frees) when it does not start.
 */
struct netproc *netproc_start(const struct config *cfg, int listen_fd, int metrics_fd,
    struct workers *w, char **cause);

/* The network-facing process's pid now (it changes when it is restarted), or -1. */
int netproc_pid(struct netproc *np);

/*
 * A reload: starts a new network-facing process (it reads the config file
 * again) and, once it serves, lets the old one finish its open
 * connections and end, so no request is cut. cfg (borrowed, must outlive
 * np) is from then on the config whose apps messages may name. Returns 0,
 * or -1 with *cause (new string) when the new one does not serve: the old
 * one then serves on.
 */
int netproc_reload(struct netproc *np, const struct config *cfg, char **cause);

/* Stops the network-facing process and waits for it; frees np. NULL is a no-op. */
void netproc_stop(struct netproc *np);

enum netproc_msg { NETPROC_BAD, NETPROC_READY, NETPROC_QUEUED };

/*
 * Worker side: what one message of len bytes from the network process
 * says, checked as outside input: 'R' (it serves), or 'Q' and the name of
 * an app of cfg, no NUL in it (*app then points to cfg's own copy of the
 * name). Anything else is NETPROC_BAD.
 */
enum netproc_msg netproc_message(const struct config *cfg, const char *msg, size_t len,
    const char **app);

#endif
