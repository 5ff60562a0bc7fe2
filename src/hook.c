/* hook: a webhook's sender, proof and verdict, without the HTTP (see hook.h). */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hook.h"
#include "payload.h"
#include "sig.h"
#include "xmalloc.h"
#include "banned.h"

enum proof { PROOF_HEX, PROOF_TOKEN, PROOF_STANDARD };

/*
 * One row per sender, in the order they are recognised: Gitea and Forgejo
 * also send GitHub's headers, and signed GitLab also sends X-Gitlab-Event,
 * so the more specific rows come first.
 */
struct sender {
	const char *name;
	const char *event_header; /* its presence names the sender */
	enum proof proof;
	const char *proof_header;
	const char *prefix; /* before the hex, for PROOF_HEX */
	const char *delivery_headers[3];
	enum payload_kind kind;
	const char *push_events[3];
	const char *ping_events[2];
};

static const struct sender senders[] = {
	{ "forgejo", "X-Forgejo-Event", PROOF_HEX, "X-Forgejo-Signature", "",
	    { "X-Forgejo-Delivery", "X-Gitea-Delivery", NULL }, PAYLOAD_GITEA,
	    { "push", NULL, NULL }, { NULL, NULL } },
	{ "gitea", "X-Gitea-Event", PROOF_HEX, "X-Gitea-Signature", "",
	    { "X-Gitea-Delivery", NULL, NULL }, PAYLOAD_GITEA, { "push", NULL, NULL },
	    { NULL, NULL } },
	{ "gitlab", "webhook-id", PROOF_STANDARD, "webhook-signature", NULL,
	    { "webhook-id", NULL, NULL }, PAYLOAD_GITLAB, { "Push Hook", "Tag Push Hook", NULL },
	    { NULL, NULL } },
	{ "gitlab", "X-Gitlab-Event", PROOF_TOKEN, "X-Gitlab-Token", NULL,
	    { "Idempotency-Key", "X-Gitlab-Event-UUID", NULL }, PAYLOAD_GITLAB,
	    { "Push Hook", "Tag Push Hook", NULL }, { NULL, NULL } },
	{ "github", "X-GitHub-Event", PROOF_HEX, "X-Hub-Signature-256",
	    "sha256=", { "X-GitHub-Delivery", NULL, NULL }, PAYLOAD_GITHUB, { "push", NULL, NULL },
	    { "ping", NULL } },
	{ "bitbucket", "X-Event-Key", PROOF_HEX, "X-Hub-Signature",
	    "sha256=", { "X-Request-UUID", NULL, NULL }, PAYLOAD_BITBUCKET,
	    { "repo:push", NULL, NULL }, { "diagnostics:ping", NULL } },
};

/* Returns 1 when s is one of the NULL-terminated list. */
static int
one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n && list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static const struct sender *
hook_sender(hook_header_fn get, void *ctx)
{
	for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++)
		if (get(ctx, senders[i].event_header) != NULL)
			return &senders[i];
	return NULL;
}

const char *
hook_sender_name(hook_header_fn get, void *ctx)
{
	const struct sender *s = hook_sender(get, ctx);

	if (s == NULL)
		return NULL;
	return strcmp(s->name, "forgejo") == 0 ? "gitea" : s->name;
}

const char HOOK_TWICE[] = "(header given twice)";

/*
 * The first header of s's that the request carries twice, or NULL: its
 * event, proof, delivery ids, Standard Webhooks' id and timestamp, and the
 * content type.
 */
static const char *
hook_twice(const struct sender *s, hook_header_fn get, void *ctx)
{
	const char *names[] = { s->event_header, s->proof_header, s->delivery_headers[0],
		s->delivery_headers[1], s->delivery_headers[2], "X-Gitlab-Event", "webhook-id",
		"webhook-timestamp", "Content-Type" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i] != NULL && get(ctx, names[i]) == HOOK_TWICE)
			return names[i];
	return NULL;
}

/* Checks the sender's proof; returns 0 when it holds, else sets a reason. */
static int
hook_check_proof(const struct sender *s, const char *const *secrets, hook_header_fn get, void *ctx,
    const char *body, size_t len, time_t now, char **reason)
{
	const char *value = get(ctx, s->proof_header);
	const char *cause = NULL;

	if (value == NULL) {
		*reason = xasprintf("missing %s header", s->proof_header);
		return -1;
	}
	switch (s->proof) {
	case PROOF_HEX:
		if (sig_check_hex(secrets, s->prefix, value, body, len) == 0)
			return 0;
		break;
	case PROOF_TOKEN:
		if (sig_check_token(secrets, value) == 0)
			return 0;
		break;
	case PROOF_STANDARD:
		if (sig_check_standard(secrets, get(ctx, "webhook-id"),
			get(ctx, "webhook-timestamp"), value, body, len, now, &cause) == 0)
			return 0;
		break;
	}
	if (cause != NULL)
		*reason = xasprintf("%s does not match: %s", s->proof_header, cause);
	else
		*reason = xasprintf("%s does not match", s->proof_header);
	return -1;
}

/* Returns the delivery id header's value, or NULL. */
static const char *
hook_delivery(const struct sender *s, hook_header_fn get, void *ctx)
{
	for (size_t i = 0; i < 3 && s->delivery_headers[i] != NULL; i++) {
		const char *v = get(ctx, s->delivery_headers[i]);

		if (v != NULL && *v != '\0')
			return v;
	}
	return NULL;
}

/* Returns 1 for an application/x-www-form-urlencoded body. */
static int
is_form(hook_header_fn get, void *ctx)
{
	const char *ct = get(ctx, "Content-Type");

	return ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

/* Sorts a parsed push into deploy or ignore. */
static void
hook_classify(struct hook_result *out, const struct hook_refs *refs)
{
	const char *ref = out->push.ref;

	out->verdict = HOOK_IGNORED;
	if (strncmp(ref, "refs/tags/", 10) == 0) {
		const char *tag = ref + 10;

		if (!refs->tag_pushes)
			out->reason = xasprintf("tag '%s': tags are not deployed (deploy_on)", tag);
		else if (fnmatch(refs->tags, tag, 0) != 0)
			out->reason =
			    xasprintf("tag '%s' does not match tags = %s", tag, refs->tags);
		else if (out->push.deleted)
			out->reason = xasprintf("tag '%s' was deleted", tag);
		else
			out->verdict = HOOK_PUSH;
	} else if (strncmp(ref, "refs/heads/", 11) != 0)
		out->reason = xasprintf("ref '%s' is not a branch or a tag", ref);
	else if (strcmp(ref + 11, refs->branch) != 0)
		out->reason = xasprintf("branch '%s' is not '%s'", ref + 11, refs->branch);
	else if (!refs->branch_pushes)
		out->reason = xasprintf("branch '%s': only tags are deployed (deploy_on = tags)",
		    refs->branch);
	else if (out->push.deleted)
		out->reason = xasprintf("branch '%s' was deleted", refs->branch);
	else
		out->verdict = HOOK_PUSH;
}

void
hook_inspect(const char *const *secrets, const struct hook_refs *refs, hook_header_fn get,
    void *ctx, const char *body, size_t len, time_t now, struct hook_result *out)
{
	const struct sender *s;
	const char *event, *delivery, *twice;
	char *form = NULL, *cause = NULL;
	size_t formlen;

	memset(out, 0, sizeof *out);
	s = hook_sender(get, ctx);
	if (s == NULL) {
		out->verdict = HOOK_UNAUTHORIZED;
		out->reason = xstrdup("no webhook headers: expected X-GitHub-Event, X-Gitlab-Event,"
				      " X-Gitea-Event, X-Forgejo-Event, webhook-id or X-Event-Key");
		return;
	}
	out->sender = hook_sender_name(get, ctx);
	if ((twice = hook_twice(s, get, ctx)) != NULL) {
		out->verdict = HOOK_BAD_REQUEST;
		out->reason = xasprintf("the %s header is given more than once", twice);
		return;
	}
	if (hook_check_proof(s, secrets, get, ctx, body, len, now, &out->reason) != 0) {
		out->verdict = HOOK_UNAUTHORIZED;
		return;
	}
	/* Signed GitLab names its event in X-Gitlab-Event, like plain GitLab. */
	event = get(ctx, s->proof == PROOF_STANDARD ? "X-Gitlab-Event" : s->event_header);
	if (event == NULL)
		event = "";
	if (one_of(event, s->ping_events, 2)) {
		out->verdict = HOOK_PING;
		return;
	}
	if (!one_of(event, s->push_events, 3)) {
		out->verdict = HOOK_IGNORED;
		out->reason = xasprintf("event '%.64s' is not a push", event);
		return;
	}
	delivery = hook_delivery(s, get, ctx);
	if (delivery != NULL && strlen(delivery) > HOOK_DELIVERY_MAX) {
		out->verdict = HOOK_BAD_REQUEST;
		out->reason =
		    xasprintf("delivery id is longer than %d characters", HOOK_DELIVERY_MAX);
		return;
	}
	out->delivery = xstrdup(delivery);
	/*
	 * GitHub and Gitea can send the JSON as a form field. Senders (and
	 * curl) that label a JSON body as a form still get it parsed as JSON.
	 */
	if (is_form(get, ctx) && (form = payload_from_form(body, len, &formlen)) != NULL) {
		body = form;
		len = formlen;
	}
	if (payload_parse(s->kind, body, len, &out->push, &cause) != 0) {
		out->verdict = HOOK_BAD_REQUEST;
		out->reason = cause;
	} else
		hook_classify(out, refs);
	free(form);
}

void
hook_result_release(struct hook_result *res)
{
	if (res == NULL)
		return;
	free(res->reason);
	free(res->delivery);
	payload_push_release(&res->push);
	memset(res, 0, sizeof *res);
}
