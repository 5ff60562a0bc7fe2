/*
 * POST /hooks/APP, minus the HTTP: recognise the sender by its headers,
 * check its proof, and decide what the request asks for. Nothing here
 * stores, spawns or logs; the caller acts on the verdict.
 */
#ifndef TURNOUT_HOOK_H
#define TURNOUT_HOOK_H

#include <stddef.h>
#include <time.h>

#include "payload.h"

/*
 * Returns the value of request header name (case-insensitive), NULL when
 * the request has none, or HOOK_TWICE when it has more than one: which of
 * two signatures or event names counts is never guessed.
 */
typedef const char *(*hook_header_fn)(void *ctx, const char *name);
extern const char HOOK_TWICE[];

enum hook_verdict {
	HOOK_PUSH,         /* queue a deployment of push.after (of push.ref, a branch or a tag) */
	HOOK_PING,         /* a test delivery: answer pong */
	HOOK_IGNORED,      /* another branch, a tag not deployed, a deletion, another event */
	HOOK_UNAUTHORIZED, /* missing or wrong proof */
	HOOK_BAD_REQUEST,  /* proof good, body unusable */
};

struct hook_result {
	enum hook_verdict verdict;
	const char *sender; /* static: "github", "gitlab", "gitea", "bitbucket"; NULL if unknown */
	char *reason;       /* for IGNORED, UNAUTHORIZED, BAD_REQUEST: a sentence for the answer */
	char *delivery;     /* the sender's delivery id, or NULL */
	struct push push;   /* filled for HOOK_PUSH */
};

/* The most a delivery id may hold; longer ones are refused. */
#define HOOK_DELIVERY_MAX 200

/* Which pushes of an app deploy (its branch, deploy_on and tags keys); strings borrowed. */
struct hook_refs {
	const char *branch;
	int branch_pushes; /* pushes to branch deploy */
	int tag_pushes;    /* tags whose name matches tags deploy */
	const char *tags;  /* an fnmatch(3) pattern */
};

/*
 * Inspects one webhook request for an app whose secrets and refs are
 * given. body (len bytes, need not be NUL-terminated) is the raw body the
 * proof covers. now is the time for Standard Webhooks timestamps. Always
 * fills *out; the caller releases it with hook_result_release.
 */
void hook_inspect(const char *const *secrets, const struct hook_refs *refs, hook_header_fn get,
    void *ctx, const char *body, size_t len, time_t now, struct hook_result *out);

void hook_result_release(struct hook_result *res);

/*
 * The sender its headers name ("github", "gitlab", "gitea", "bitbucket"),
 * static, or NULL: for an answer given before the body is read.
 */
const char *hook_sender_name(hook_header_fn get, void *ctx);

#endif
