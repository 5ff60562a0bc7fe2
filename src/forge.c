/* forge: the requests that tell forges and the notify_url about a deployment (see forge.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "forge.h"
#include "jtext.h"
#include "sig.h"
#include "when.h"
#include "xmalloc.h"
#include "banned.h"

enum { EV_STARTED, EV_SUCCEEDED, EV_FAILED, EV_ROLLED_BACK, EV_CANCELLED, EV_INTERRUPTED, EV_N };

static const char *const events[EV_N] = { "started", "succeeded", "failed", "rolled_back",
	"cancelled", "interrupted" };

/*
 * Each forge's word for each event, as its API documents the states:
 * GitHub deployment statuses, GitHub and Gitea commit statuses, GitLab
 * commit statuses, Bitbucket build statuses.
 */
static const char *const states[][EV_N] = {
	[CONF_STATUS_GITHUB] = { "in_progress", "success", "failure", "failure", "error", "error" },
	[CONF_STATUS_GITHUB_COMMIT] = { "pending", "success", "failure", "failure", "error",
	    "error" },
	[CONF_STATUS_GITLAB] = { "running", "success", "failed", "failed", "canceled", "failed" },
	[CONF_STATUS_GITEA] = { "pending", "success", "failure", "failure", "error", "error" },
	[CONF_STATUS_BITBUCKET] = { "INPROGRESS", "SUCCESSFUL", "FAILED", "FAILED", "STOPPED",
	    "STOPPED" },
};

/* The index of event in events, or EV_N. */
static int
event_find(const char *event)
{
	int i = 0;

	while (i < EV_N && strcmp(event, events[i]) != 0)
		i++;
	return i;
}

int
forge_known_event(const char *event)
{
	return event_find(event) < EV_N;
}

static int
event_index(const char *event)
{
	int i = event_find(event);

	return i < EV_N ? i : EV_FAILED;
}

/* One sentence for people: a commit status's description, a Slack line. */
static char *
describe(const struct forge_event *ev, int e)
{
	const struct store_deployment *d = ev->d;
	const char *err = d->error != NULL ? d->error : "";
	char *s;

	switch (e) {
	case EV_STARTED:
		s = xasprintf("deploying #%lld", (long long)d->id);
		break;
	case EV_SUCCEEDED:
		s = xasprintf("#%lld is live%s%s", (long long)d->id, d->color != NULL ? " on " : "",
		    d->color != NULL ? d->color : "");
		break;
	case EV_ROLLED_BACK:
		s = xasprintf("#%lld rolled back: %s", (long long)d->id, err);
		break;
	case EV_CANCELLED:
		s = xasprintf("#%lld cancelled", (long long)d->id);
		break;
	case EV_INTERRUPTED:
		s = xasprintf("#%lld interrupted (turnout stopped)", (long long)d->id);
		break;
	default:
		s = xasprintf("#%lld failed: %s", (long long)d->id, err);
		break;
	}
	/* GitHub takes at most 140 characters; cut on a character's start. */
	if (strlen(s) > 140) {
		size_t n = 137;

		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(s + n, "...", 4);
	}
	return s;
}

static void
add_header(struct forge_request *req, char *h)
{
	size_t i = 0;

	while (req->headers[i] != NULL)
		i++;
	if (i < FORGE_HEADERS_MAX)
		req->headers[i] = h;
	else
		free(h);
}

/* The request to the forge of ev->app->status. */
static int
build_status(const struct forge_event *ev, int e, struct forge_request *req)
{
	const struct app_config *app = ev->app;
	const char *api = app->status_api, *repo = app->status_repo, *sha = ev->d->commit;
	const char *state = states[app->status][e];
	char *desc = describe(ev, e), *context = xasprintf("turnout/%s", app->name);
	json_t *body = NULL;

	switch (app->status) {
	case CONF_STATUS_GITHUB:
		if (ev->forge_id == NULL) {
			/* The Deployment first; its statuses follow. */
			req->url = xasprintf("%s/repos/%s/deployments", api, repo);
			body = json_pack("{sssssbs[]sssbsb}", "ref", sha, "environment", app->name,
			    "auto_merge", 0, "required_contexts", "description",
			    "turnout blue/green deployment", "transient_environment", 0,
			    "production_environment", 1);
			req->creates = 1;
		} else {
			req->url = xasprintf("%s/repos/%s/deployments/%s/statuses", api, repo,
			    ev->forge_id);
			body = json_pack("{sssssosssb}", "state", state, "log_url", ev->link,
			    "description", jtext(desc), "environment", app->name, "auto_inactive",
			    1);
		}
		break;
	case CONF_STATUS_GITHUB_COMMIT:
	case CONF_STATUS_GITEA:
		req->url = xasprintf("%s/repos/%s/statuses/%s", api, repo, sha);
		body = json_pack("{sssssoss}", "state", state, "target_url", ev->link,
		    "description", jtext(desc), "context", context);
		break;
	case CONF_STATUS_GITLAB: {
		char *id = curl_easy_escape(NULL, repo, 0);

		req->url = xasprintf("%s/projects/%s/statuses/%s", api, id, sha);
		curl_free(id);
		body = json_pack("{ssssssso}", "state", state, "name", context, "target_url",
		    ev->link, "description", jtext(desc));
		break;
	}
	case CONF_STATUS_BITBUCKET:
	default: {
		char *key = xasprintf("turnout-%s", app->name);

		req->url = xasprintf("%s/repositories/%s/commit/%s/statuses/build", api, repo, sha);
		body = json_pack("{ssssssssso}", "key", key, "state", state, "name", context, "url",
		    ev->link, "description", jtext(desc));
		free(key);
		break;
	}
	}
	switch (app->status) {
	case CONF_STATUS_GITHUB:
	case CONF_STATUS_GITHUB_COMMIT:
		add_header(req, xasprintf("Authorization: Bearer %s", app->status_token));
		add_header(req, xstrdup("Accept: application/vnd.github+json"));
		add_header(req, xstrdup("X-GitHub-Api-Version: 2022-11-28"));
		break;
	case CONF_STATUS_GITLAB:
		add_header(req, xasprintf("PRIVATE-TOKEN: %s", app->status_token));
		break;
	case CONF_STATUS_GITEA:
		add_header(req, xasprintf("Authorization: token %s", app->status_token));
		break;
	default:
		add_header(req, xasprintf("Authorization: Bearer %s", app->status_token));
		break;
	}
	req->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	free(desc);
	free(context);
	return 0;
}

/* The JSON POST to notify_url: Standard Webhooks, or Slack's {"text": ...}. */
static int
build_notify(const struct forge_event *ev, int e, struct forge_request *req)
{
	const struct store_deployment *d = ev->d;
	const char *tag =
	    d->ref != NULL && strncmp(d->ref, "refs/tags/", 10) == 0 ? d->ref + 10 : NULL;
	char when[WHEN_LEN], id[32], ts[32], *type = xasprintf("deployment.%s", events[e]);
	json_t *body;

	when_format((int64_t)ev->now * 1000, when, sizeof when);
	if (strcmp(ev->app->notify_format, "slack") == 0) {
		char *desc = describe(ev, e);
		char *text = xasprintf("%s: %s (%.12s%s%s) %s", ev->app->name, desc,
		    d->commit != NULL ? d->commit : "no commit", tag != NULL ? ", tag " : "",
		    tag != NULL ? tag : "", ev->link);

		body = json_pack("{so}", "text", jtext(text));
		free(text);
		free(desc);
	} else
		body = json_pack("{sssss{sssIsssssssosososososososs}}", "type", type, "timestamp",
		    when, "data", "app", ev->app->name, "deployment", (json_int_t)d->id, "event",
		    events[e], "kind", d->kind, "status", d->status, "commit", jtext(d->commit),
		    "ref", jtext(d->ref), "tag", jtext(tag), "color", jtext(d->color), "error",
		    jtext(d->error), "author", jtext(d->author), "message", jtext(d->message),
		    "url", ev->link);
	free(type);
	req->url = xstrdup(ev->app->notify_url);
	req->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	snprintf(id, sizeof id, "msg_%lld", (long long)ev->msg_id);
	snprintf(ts, sizeof ts, "%lld", (long long)ev->now);
	add_header(req, xasprintf("webhook-id: %s", id));
	add_header(req, xasprintf("webhook-timestamp: %s", ts));
	if (ev->app->notify_secret != NULL) {
		char sig[SIG_STD_HEADER_LEN];

		if (sig_sign_standard(ev->app->notify_secret, id, ts, req->body, strlen(req->body),
			sig) == 0)
			add_header(req, xasprintf("webhook-signature: %s", sig));
	}
	return 0;
}

int
forge_build(const struct forge_event *ev, int forge, struct forge_request *req, const char **why)
{
	int e = event_index(ev->event);

	memset(req, 0, sizeof *req);
	if (forge && (ev->d->commit == NULL || ev->app->status == CONF_STATUS_NONE)) {
		*why = "the deployment has no commit to report on";
		return -1;
	}
	add_header(req, xstrdup("Content-Type: application/json"));
	add_header(req, xstrdup("User-Agent: turnout/" PACKAGE_VERSION));
	if ((forge ? build_status(ev, e, req) : build_notify(ev, e, req)) != 0 ||
	    req->body == NULL || req->url == NULL) {
		forge_request_free(req);
		*why = "cannot make the request's JSON";
		return -1;
	}
	return 0;
}

void
forge_request_free(struct forge_request *req)
{
	for (size_t i = 0; i < FORGE_HEADERS_MAX && req->headers[i] != NULL; i++) {
		explicit_bzero(req->headers[i], strlen(req->headers[i]));
		free(req->headers[i]);
	}
	free(req->url);
	free(req->body);
	memset(req, 0, sizeof *req);
}

char *
forge_answer_id(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL), *id = json_object_get(root, "id");
	char *s = NULL;

	if (json_is_integer(id) && json_integer_value(id) > 0)
		s = xasprintf("%lld", (long long)json_integer_value(id));
	json_decref(root);
	return s;
}
