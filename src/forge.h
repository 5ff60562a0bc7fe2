/*
 * forge: the HTTP requests that tell others how a deployment went, built
 * from a deployment and its app's config, nothing sent: the commit status
 * (or GitHub Deployment status) of each forge's documented API, and the
 * notify_url's JSON, signed the Standard Webhooks way. outbox.c sends
 * them and keeps them until they are delivered.
 */
#ifndef TURNOUT_FORGE_H
#define TURNOUT_FORGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "store.h"

/* What happened, and what to say it about; everything borrowed. */
struct forge_event {
	const struct app_config *app;
	const struct store_deployment *d;
	const char *event;    /* started, succeeded, failed, rolled_back, cancelled, interrupted */
	const char *link;     /* where people see it: the dashboard's URL of the app */
	const char *forge_id; /* the GitHub Deployment made for d, or NULL */
	int64_t msg_id;       /* the outbox row: webhook-id "msg_ID", the same on every retry */
	time_t now;
};

#define FORGE_HEADERS_MAX 8

/* One request to make; everything owned, freed by forge_request_free (which wipes the token). */
struct forge_request {
	char *url;
	char *body;                           /* JSON */
	char *headers[FORGE_HEADERS_MAX + 1]; /* "Name: value", NULL-terminated */
	/* 1: it makes the GitHub Deployment; its answer's "id" is forge_id from then on. */
	int creates;
};

/*
 * Builds the request of ev to the forge (status key) when forge is 1, to
 * notify_url when 0. Returns 0, or -1 with *why (static) when it cannot
 * be built: the commit is not known.
 */
int forge_build(const struct forge_event *ev, int forge, struct forge_request *req,
    const char **why);

void forge_request_free(struct forge_request *req);

/* 1 when event is one forge_build knows (started, succeeded, failed, ...), else 0. */
int forge_known_event(const char *event);

/* The "id" of a forge's JSON answer (GitHub's new Deployment) as a new string, or NULL. */
char *forge_answer_id(const char *body, size_t len);

#endif
