/*
 * Push payloads from each forge, read into one shape.
 * Everything in a struct push is data from the outside world: it is stored
 * and shown, and reaches commands only through environment variables.
 */
#ifndef TURNOUT_PAYLOAD_H
#define TURNOUT_PAYLOAD_H

#include <stddef.h>

enum payload_kind {
	PAYLOAD_GITHUB,    /* GitHub push event */
	PAYLOAD_GITLAB,    /* GitLab "Push Hook" / "Tag Push Hook" (plain or signed) */
	PAYLOAD_GITEA,     /* Gitea / Forgejo push event */
	PAYLOAD_BITBUCKET, /* Bitbucket Cloud repo:push; the last (payload.c counts on it) */
};

/*
 * How much of a commit's text is kept, in bytes, cut at a UTF-8 boundary.
 * Both are shown on the dashboard (the message's first line, the rest on
 * hover) and stored with each deployment; the forge has them whole. 1 KB
 * keeps a deployment row inside its B-tree page: with up to 4 KB, a long
 * message (a squash merge's list of commits) gave every row a 4 KB
 * overflow page of its own, three quarters of the bytes each webhook
 * wrote, and bench/ingest's requests/s fell by a fifth (BENCHMARKS.md).
 */
#define PAYLOAD_MESSAGE_MAX 1024
#define PAYLOAD_AUTHOR_MAX 256

struct push {
	char *ref;     /* full ref: "refs/heads/main", "refs/tags/v1" */
	char *after;   /* new commit id, lowercase hex (40 or 64 digits) */
	char *before;  /* old commit id, or NULL when the payload has none */
	int deleted;   /* 1 when the ref was deleted (after is all zeros / null) */
	char *author;  /* head commit author name, or NULL */
	char *message; /* head commit message, or NULL */
};

/*
 * Parses a push payload of the given kind. body is the JSON text (already
 * taken out of a form body by the caller), len its length; it need not be
 * NUL-terminated. On success fills *out (which the caller releases with
 * payload_push_release) and returns 0. On failure returns -1 and sets *cause
 * to a new string the caller frees, e.g. "body is not JSON: ..." or
 * "payload has no 'after'". For a deleted ref, after may be all zeros and
 * deleted is 1. A commit id that is not 40 or 64 hex digits, or a ref that
 * is not a string, is an error.
 */
int payload_parse(enum payload_kind kind, const char *body, size_t len, struct push *out,
    char **cause);

/* Frees what a struct push holds and zeroes it; NULL is a no-op. */
void payload_push_release(struct push *push);

/*
 * Takes the "payload" field out of an application/x-www-form-urlencoded
 * body (GitHub's form content type). Returns a new NUL-terminated decoded
 * string the caller frees and sets *outlen, or NULL when there is no
 * payload field.
 */
char *payload_from_form(const char *body, size_t len, size_t *outlen);

#endif
