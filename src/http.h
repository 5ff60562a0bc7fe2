/*
 * The HTTP face of the daemon, on libmicrohttpd: routing, connection and
 * body limits, JSON answers. It reads and writes state only through store.
 */
#ifndef TURNOUT_HTTP_H
#define TURNOUT_HTTP_H

#include "api.h"
#include "conf.h"
#include "store.h"

struct http;

/*
 * Binds cfg->server.listen: returns the listening socket (close-on-exec,
 * non-blocking), or -1 with *cause (a new string the caller frees).
 */
int http_listen(const struct config *cfg, char **cause);

/* The same for cfg->server.metrics_listen (which must be set). */
int http_listen_metrics(const struct config *cfg, char **cause);

/* The port a listening socket is bound to, or -1. */
int http_bound_port(int fd);

/*
 * Serves on the listening socket fd (from http_listen; stolen: the server
 * closes it when it stops) in libmicrohttpd's own threads, and when
 * metrics_fd is not -1 (from http_listen_metrics, stolen too) GET /metrics
 * without a token on that one, and nothing else. cfg, st and scrapes (a
 * second connection to the same database, for /metrics: see struct api)
 * are borrowed and must outlive the server. queued (may be NULL) is
 * called with ctx once a batch of webhooks, or an API request, has
 * queued deployments of an app. Returns NULL and sets *cause (new
 * string) on failure (the process then ends: fd may be closed already).
 */
struct http *http_start(const struct config *cfg, struct store *st, struct store *scrapes, int fd,
    int metrics_fd, api_queued_fn queued, void *ctx, char **cause);

/*
 * Stops taking new connections, so that a process started after this one
 * on the same sockets gets them all; the open ones are served on, and
 * each answer from now ends its connection. Once: a reload's old process
 * calls it before it waits for http_open_connections to reach 0.
 */
void http_quiesce(struct http *h);

/* Connections open now, on both sockets. */
unsigned int http_open_connections(struct http *h);

/* Stops serving, waits for the threads, frees h; NULL is a no-op. */
void http_stop(struct http *h);

#endif
