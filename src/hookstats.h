/*
 * Counts of the answers to POST /hooks/APP, by app, sender and answer, for
 * /metrics. They live in the network-facing process and start at zero
 * with it (a counter reset, which Prometheus's rate() takes in its
 * stride): refused requests are stored nowhere else, by design. Labels
 * are bounded: an app not in the config counts as "", a sender turnout
 * does not know as "unknown".
 */
#ifndef TURNOUT_HOOKSTATS_H
#define TURNOUT_HOOKSTATS_H

#include <stdint.h>

#include "conf.h"

enum hook_answer {
	HOOK_ANSWER_ACCEPTED,    /* 202, queued */
	HOOK_ANSWER_DUPLICATE,   /* 200, a delivery seen before */
	HOOK_ANSWER_PING,        /* 200 */
	HOOK_ANSWER_IGNORED,     /* 200: another branch, a deleted branch, another event */
	HOOK_ANSWER_BAD_PROOF,   /* 401 */
	HOOK_ANSWER_BAD_REQUEST, /* 400 */
	HOOK_ANSWER_TOO_LARGE,   /* 413 */
	HOOK_ANSWER_BUSY,        /* 503: too many bodies in memory at once */
	HOOK_ANSWER_NOT_STORED,  /* 503: the database refused the row */
	HOOK_ANSWER_NO_SUCH_APP, /* 404 */
	HOOK_ANSWER_BAD_METHOD,  /* 405 */
	HOOK_ANSWERS
};

struct hookstats;

/* New counters for cfg's apps (cfg borrowed, must outlive them). */
struct hookstats *hookstats_new(const struct config *cfg);
void hookstats_free(struct hookstats *hs);

/* Counts one answer; app NULL for a name not in the config, sender NULL when unknown. Thread-safe. */
void hookstats_count(struct hookstats *hs, const struct app_config *app, const char *sender,
    enum hook_answer answer);

/* The answer's label value: "accepted", "bad_proof", ... */
const char *hookstats_answer_name(enum hook_answer answer);

/* Calls fn for every count that is not zero, with its labels (static or cfg's). */
void hookstats_each(struct hookstats *hs,
    void (*fn)(void *ctx, const char *app, const char *sender, const char *answer, uint64_t n),
    void *ctx);

#endif
