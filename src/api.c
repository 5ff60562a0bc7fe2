/* api: the JSON API and the dashboard's session routes (see api.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "api-freeze.h"
#include "metrics.h"
#include "ids.h"
#include "jtext.h"
#include "log.h"
#include "reply.h"
#include "sig.h"
#include "xmalloc.h"
#include "banned.h"

/* The most digits a number in a URL may have, leading zeros included. */
#define API_DIGITS_MAX 18

enum auth { AUTH_NONE, AUTH_BEARER, AUTH_SESSION, AUTH_SESSION_NO_CSRF };

/*
 * Who is asking: a bearer token (CLI, scripts), or a dashboard session
 * cookie, which for a POST must come with its CSRF token: a cookie alone is
 * sent by the browser for any site's form, a custom header is not.
 */
static enum auth
api_auth(const struct api *api, struct MHD_Connection *c, int is_post)
{
	const char *h =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, API_COOKIE);
	const char *sent;
	char csrf[SESSION_ID_LEN + 1];

	if (api->cfg->server.token == NULL)
		return AUTH_NONE;
	if (h != NULL && strncmp(h, "Bearer ", 7) == 0 && sig_equal(h + 7, api->cfg->server.token))
		return AUTH_BEARER;
	if (cookie == NULL || api->sessions == NULL ||
	    session_check(api->sessions, cookie, csrf) != 0)
		return AUTH_NONE;
	sent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	if (is_post && (sent == NULL || !sig_equal(sent, csrf)))
		return AUTH_SESSION_NO_CSRF;
	return AUTH_SESSION;
}

/* POST /api/session {"token": ...}: the dashboard's login. */
static enum MHD_Result
api_login(const struct api *api, struct MHD_Connection *c, const char *body, size_t len)
{
	json_t *obj = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	const char *token = json_string_value(json_object_get(obj, "token"));
	char id[SESSION_ID_LEN + 1], csrf[SESSION_ID_LEN + 1], *cookie;
	enum MHD_Result ret;

	if (token == NULL) {
		json_decref(obj);
		return reply_error(c, MHD_HTTP_BAD_REQUEST, "send {\"token\": \"...\"}");
	}
	if (api->cfg->server.token == NULL || !sig_equal(token, api->cfg->server.token)) {
		json_decref(obj);
		log_warn("api: dashboard login with a wrong token refused");
		return reply_error(c, MHD_HTTP_UNAUTHORIZED, "wrong token");
	}
	json_decref(obj);
	if (session_create(api->sessions, id, csrf) != 0)
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot make a session; retry");
	cookie = xasprintf("%s=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d", API_COOKIE, id,
	    SESSION_TTL_S);
	ret = reply_json_header(c, MHD_HTTP_OK, json_pack("{ss}", "csrf", csrf), "Set-Cookie",
	    cookie);
	explicit_bzero(id, sizeof id);
	free(cookie);
	return ret;
}

/* /api/session: GET tells the page whether it is logged in, DELETE logs out. */
static enum MHD_Result
api_session(const struct api *api, struct MHD_Connection *c, const char *method)
{
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, API_COOKIE);
	char csrf[SESSION_ID_LEN + 1];

	if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0) {
		session_delete(api->sessions, cookie);
		return reply_json_header(c, MHD_HTTP_OK, json_pack("{sb}", "logged_out", 1),
		    "Set-Cookie", API_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply_not_allowed(c, "GET, POST, DELETE");
	if (cookie == NULL || session_check(api->sessions, cookie, csrf) != 0)
		return reply_json(c, MHD_HTTP_UNAUTHORIZED,
		    json_pack("{sssb}", "error", "not logged in", "public_status",
			api->cfg->server.public_status));
	return reply_json(c, MHD_HTTP_OK, json_pack("{ss}", "csrf", csrf));
}

/* Parses the len bytes of a deployment id: digits only, a positive number. Returns -1 if bad. */
static int64_t
parse_id(const char *s, size_t len)
{
	int64_t id;

	if (len > API_DIGITS_MAX || ids_parse_digits(s, len, 1, INT64_MAX, &id) != 0)
		return -1;
	return id;
}

/* What the outbox told, or tries to tell, the forge and notify_url about deployment id. */
static json_t *
notifications_json(const struct api *api, int64_t id)
{
	struct store_outbox *rows;
	int n = store_outbox_list(api->st, id, &rows);
	json_t *arr = json_array();

	for (int i = 0; i < n; i++) {
		const struct store_outbox *o = &rows[i];

		json_array_append_new(arr,
		    json_pack("{sssssssisosIsoso}", "target", o->target, "event", o->event, "state",
			o->state, "attempts", o->attempts, "last_status",
			o->last_status >= 0 ? json_integer(o->last_status) : json_null(), "next_at",
			(json_int_t)o->next_at, "last_error", jtext(o->last_error), "delivered_at",
			o->delivered_at != 0 ? json_integer(o->delivered_at) : json_null()));
	}
	if (n > 0)
		store_outbox_free(rows, n);
	return arr;
}

/*
 * The JSON of a deployment, with its steps; with detail, also what the
 * outbox did about it (GET /api/deployments/ID; a history page has none).
 */
static json_t *
deployment_json(const struct api *api, const struct store_deployment *d, int detail)
{
	struct store_step *steps;
	int n = store_get_steps(api->st, d->id, &steps);
	json_t *arr = json_array();
	json_t *obj;
	char url[64];

	for (int i = 0; i < n; i++)
		json_array_append_new(arr,
		    json_pack("{sssssosIsIsI}", "name", steps[i].name, "status", steps[i].status,
			"detail", jtext(steps[i].detail), "started_at",
			(json_int_t)steps[i].started_at, "finished_at",
			(json_int_t)steps[i].finished_at, "command_ms",
			(json_int_t)steps[i].command_ms));
	if (n > 0)
		store_steps_free(steps, n);
	snprintf(url, sizeof url, "/api/deployments/%lld", (long long)d->id);
	obj = json_pack("{sIssssssso*so*so*so*so*so*so*sIsIsIsbsoss}", "id", (json_int_t)d->id,
	    "app", d->app, "kind", d->kind, "status", d->status, "commit", jtext(d->commit), "ref",
	    jtext(d->ref), "sender", jtext(d->sender), "author", jtext(d->author), "message",
	    jtext(d->message), "color", jtext(d->color), "error", jtext(d->error), "created_at",
	    (json_int_t)d->created_at, "started_at", (json_int_t)d->started_at, "finished_at",
	    (json_int_t)d->finished_at, "bad_release", d->bad, "steps", arr, "url", url);
	if (detail)
		json_object_set_new(obj, "notifications", notifications_json(api, d->id));
	/* A tag push says which tag: what people call that release. */
	json_object_set_new(obj, "tag",
	    d->ref != NULL && strncmp(d->ref, "refs/tags/", 10) == 0 ? json_string(d->ref + 10) :
								       json_null());
	return obj;
}

/* Queues a deployment of app of the given kind and answers 202. */
static enum MHD_Result
api_queue(const struct api *api, struct MHD_Connection *c, const char *app, const char *kind,
    const char *commit)
{
	struct store_request req;
	int64_t id;
	char *cause = NULL;

	memset(&req, 0, sizeof req);
	req.app = app;
	req.kind = kind;
	req.commit = commit;
	req.sender = "api";
	if (store_enqueue(api->st, &req, &id, &cause) != STORE_QUEUED) {
		log_error("api: cannot queue a %s of '%s': %s", kind, app, cause);
		free(cause);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot store the deployment; retry");
	}
	log_info("api: %s of '%s'%s%.12s queued as deployment %lld", kind, app,
	    commit != NULL ? " at " : "", commit != NULL ? commit : "", (long long)id);
	return api_accepted(api, c, app, id);
}

/* {"deployment": ID, "status": "queued", "url": ...} */
static json_t *
accepted_json(int64_t id)
{
	char url[64];

	snprintf(url, sizeof url, "/api/deployments/%lld", (long long)id);
	return json_pack("{sIssss}", "deployment", (json_int_t)id, "status", "queued", "url", url);
}

enum MHD_Result
api_accepted(const struct api *api, struct MHD_Connection *c, const char *app, int64_t id)
{
	json_t *answer = accepted_json(id), *frozen = api_freeze_json(api, app);

	if (api->queued != NULL)
		api->queued(api->queued_ctx, app);
	/* Queued, but it waits: the asker is told so, and by whom and why. */
	if (!json_is_null(frozen))
		json_object_set_new(answer, "frozen", frozen);
	else
		json_decref(frozen);
	return reply_json(c, MHD_HTTP_ACCEPTED, answer);
}

enum MHD_Result
api_reply_accepted(struct MHD_Connection *c, int64_t id)
{
	return reply_json(c, MHD_HTTP_ACCEPTED, accepted_json(id));
}

/* POST /api/apps/APP/deploy with an optional {"commit": "..."}. */
static enum MHD_Result
api_deploy(const struct api *api, struct MHD_Connection *c, const char *app, const char *body,
    size_t len)
{
	json_t *obj = NULL, *v;
	json_error_t err;
	const char *commit = NULL;
	char *lower = NULL, msg[300];
	enum MHD_Result ret;

	if (body != NULL && len > 0) {
		obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
		if (obj == NULL || !json_is_object(obj)) {
			snprintf(msg, sizeof msg, "body must be a JSON object%s%s",
			    obj == NULL ? ": " : "", obj == NULL ? err.text : "");
			json_decref(obj);
			return reply_error(c, MHD_HTTP_BAD_REQUEST, msg);
		}
		v = json_object_get(obj, "commit");
		if (json_object_size(obj) > (v != NULL ? 1u : 0u)) {
			json_decref(obj);
			return reply_error(c, MHD_HTTP_BAD_REQUEST, "the only field is \"commit\"");
		}
		if (v != NULL && !json_is_null(v)) {
			if (!json_is_string(v) ||
			    !ids_is_commit(json_string_value(v), IDS_ABBREV)) {
				json_decref(obj);
				return reply_error(c, MHD_HTTP_BAD_REQUEST,
				    "\"commit\" must be a commit id (4 to 64 hex digits)");
			}
			lower = xstrdup(json_string_value(v));
			ids_hex_lower(lower);
			commit = lower;
		}
	}
	ret = api_queue(api, c, app, commit != NULL ? "redeploy" : "manual", commit);
	free(lower);
	json_decref(obj);
	return ret;
}

/* POST /api/deployments/ID/cancel */
static enum MHD_Result
api_cancel(const struct api *api, struct MHD_Connection *c, int64_t id)
{
	struct store_deployment d;
	char msg[160];
	int rc = store_request_cancel(api->st, id);

	if (rc == 2)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such deployment");
	if (rc < 0)
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot reach the database; retry");
	if (store_get_deployment(api->st, id, &d) != 0)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such deployment");
	if (rc == 1) {
		snprintf(msg, sizeof msg,
		    "deployment %lld is %s; only queued or running ones can be cancelled",
		    (long long)id, d.status);
		store_deployment_release(&d);
		return reply_error(c, MHD_HTTP_CONFLICT, msg);
	}
	log_info("api: cancel of deployment %lld (%s)", (long long)id, d.status);
	if (strcmp(d.status, "running") == 0 && api->queued != NULL)
		api->queued(api->queued_ctx, d.app);
	{
		enum MHD_Result ret = reply_json(c, MHD_HTTP_OK,
		    json_pack("{sIss}", "deployment", (json_int_t)id, "status",
			strcmp(d.status, "running") == 0 ? "cancelling" : d.status));

		store_deployment_release(&d);
		return ret;
	}
}

/* GET /api/deployments/ID */
static enum MHD_Result
api_get_deployment(const struct api *api, struct MHD_Connection *c, int64_t id)
{
	struct store_deployment d;
	enum MHD_Result ret;

	if (store_get_deployment(api->st, id, &d) != 0)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such deployment");
	ret = reply_json(c, MHD_HTTP_OK, deployment_json(api, &d, 1));
	store_deployment_release(&d);
	return ret;
}

/* GET /api/apps */
/*
 * Where a rollback would go now, as pipeline.c's rollback decides: the
 * other color's release when it once served and is not bad (switched to
 * when it runs, else redeployed there), otherwise the newest good release
 * redeployed to it. null when nothing is live or nothing qualifies.
 */
static json_t *
rollback_target(const struct api *api, const struct app_config *app, const struct store_app *a)
{
	int t;
	char *commit;
	json_t *j;

	if (a->active_color == NULL)
		return json_null();
	t = strcmp(a->active_color, "blue") == 0;
	if (a->commit[t] != NULL && !store_is_bad(api->st, app->name, a->commit[t]) &&
	    store_was_live(api->st, app->name, a->commit[t]) &&
	    (a->live_commit == NULL || strcmp(a->commit[t], a->live_commit) != 0))
		return json_pack("{ssssss}", "color", t ? "green" : "blue", "commit", a->commit[t],
		    "how", a->running[t] == 0 ? "redeploy" : "switch");
	if ((commit = store_last_good_commit(api->st, app->name, a->live_commit)) == NULL)
		return json_null();
	j = json_pack("{ssssss}", "color", t ? "green" : "blue", "commit", commit, "how",
	    "redeploy");
	free(commit);
	return j;
}

static enum MHD_Result
api_apps(const struct api *api, struct MHD_Connection *c)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < api->cfg->napps; i++) {
		const struct app_config *app = api->cfg->apps[i];
		struct store_app a;
		int64_t queued = 0, running = 0;

		if (store_get_app(api->st, app->name, &a) != 0)
			memset(&a, 0, sizeof a);
		store_app_queue(api->st, app->name, &queued, &running);
		json_array_append_new(arr,
		    json_pack("{sssososIsIsssIs{s{sisoss}s{sisoss}}sssbso}", "name", app->name,
			"active_color", jtext(a.active_color), "live_commit", jtext(a.live_commit),
			"live_deployment", (json_int_t)a.live_deployment, "since",
			(json_int_t)a.since, "state",
			running    ? "deploying" :
			    queued ? "queued" :
				     "idle",
			"queue", (json_int_t)queued, "colors", "blue", "port", app->blue_port,
			"commit", jtext(a.commit[0]), "state", store_color_state(&a, 0), "green",
			"port", app->green_port, "commit", jtext(a.commit[1]), "state",
			store_color_state(&a, 1), "branch", app->branch, "keep_old", app->keep_old,
			"rollback_to", rollback_target(api, app, &a)));
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "frozen",
		    api_freeze_json(api, app->name));
		if (running)
			json_object_set_new(json_array_get(arr, json_array_size(arr) - 1),
			    "running", json_integer(running));
		else
			json_object_set_new(json_array_get(arr, json_array_size(arr) - 1),
			    "running", json_null());
		store_app_release(&a);
	}
	return reply_json(c, MHD_HTTP_OK, json_pack("{so}", "apps", arr));
}

/*
 * Reads a whole-number query argument within [min, max] into *out (def
 * when absent). Returns 0, or -1 after answering 400.
 */
static int
query_int(struct MHD_Connection *c, const char *name, int64_t min, int64_t max, int64_t def,
    int64_t *out, enum MHD_Result *ret)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char msg[128];
	int64_t n;
	size_t len;

	*out = def;
	if (v == NULL)
		return 0;
	len = strlen(v);
	if (len > API_DIGITS_MAX || ids_parse_digits(v, len, min, max, &n) != 0) {
		snprintf(msg, sizeof msg, "'%s' must be a whole number from %lld to %lld", name,
		    (long long)min, (long long)max);
		*ret = reply_error(c, MHD_HTTP_BAD_REQUEST, msg);
		return -1;
	}
	*out = n;
	return 0;
}

/* GET /api/apps/APP/deployments?limit=&before= */
static enum MHD_Result
api_history(const struct api *api, struct MHD_Connection *c, const char *app)
{
	struct store_deployment *list;
	int64_t limit, before;
	enum MHD_Result ret = MHD_NO;
	json_t *arr;
	int n;

	if (query_int(c, "limit", 1, API_PAGE_MAX, 20, &limit, &ret) != 0 ||
	    query_int(c, "before", 1, INT64_MAX / 10, 0, &before, &ret) != 0)
		return ret;
	n = store_list_deployments(api->st, app, before, (int)limit, &list);
	if (n < 0)
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot read the database; retry");
	arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *d = deployment_json(api, &list[i], 0);

		json_array_append_new(arr, d);
	}
	ret = reply_json(c, MHD_HTTP_OK,
	    json_pack("{soso}", "deployments", arr, "next_before",
		n == limit ? json_integer(list[n - 1].id) : json_null()));
	store_deployments_free(list, n);
	return ret;
}

/* GET /api/deployments/ID/log?offset= */
static enum MHD_Result
api_log(const struct api *api, struct MHD_Connection *c, int64_t id)
{
	struct store_deployment d;
	struct store_logline *lines;
	enum MHD_Result ret = MHD_NO;
	int64_t offset;
	json_t *arr;
	int n, done;

	if (query_int(c, "offset", 0, INT64_MAX / 10, 0, &offset, &ret) != 0)
		return ret;
	if (store_get_deployment(api->st, id, &d) != 0)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such deployment");
	/* Read the status first: lines written after it still come next time. */
	done = strcmp(d.status, "queued") != 0 && strcmp(d.status, "running") != 0;
	n = store_get_log(api->st, id, offset, API_LOG_MAX, &lines);
	if (n < 0) {
		store_deployment_release(&d);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot read the database; retry");
	}
	arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr,
		    json_pack("{sIssso}", "ts", (json_int_t)lines[i].ts, "stream", lines[i].stream,
			"line", jtext(lines[i].text)));
	ret = reply_json(c, MHD_HTTP_OK,
	    json_pack("{sosIsbss}", "lines", arr, "next_offset", (json_int_t)(offset + n), "done",
		done && n < API_LOG_MAX, "status", d.status));
	store_log_free(lines, n);
	store_deployment_release(&d);
	return ret;
}

/* GET /metrics, Prometheus text format (see metrics.h). */
static enum MHD_Result
api_metrics(const struct api *api, struct MHD_Connection *c)
{
	size_t len;
	char *text = metrics_render(api->cfg, api->scrapes, api->hooks, &len);

	return reply_text(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

enum MHD_Result
api_handle(const struct api *api, struct MHD_Connection *c, const char *method, const char *url,
    const char *body, size_t len)
{
	int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	int is_get =
	    strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	const char *rest, *slash;

	enum auth auth;

	if (api->cfg->server.token == NULL)
		return reply_error(c, MHD_HTTP_UNAUTHORIZED,
		    "the API is closed: set token_file in [server]");
	if (strcmp(url, "/api/session") == 0) {
		if (is_post)
			return api_login(api, c, body, len);
		return api_session(api, c, method);
	}
	auth = api_auth(api, c, is_post);
	if (auth == AUTH_SESSION_NO_CSRF)
		return reply_error(c, MHD_HTTP_FORBIDDEN, "missing or wrong X-CSRF-Token");
	if (auth == AUTH_NONE && !(is_get && api->cfg->server.public_status))
		return reply_error(c, MHD_HTTP_UNAUTHORIZED,
		    "missing or wrong token: send Authorization: Bearer TOKEN, or log in");
	if (strcmp(url, "/metrics") == 0) {
		if (!is_get)
			return reply_not_allowed(c, "GET, HEAD");
		return api_metrics(api, c);
	}
	if (strcmp(url, "/api/apps") == 0) {
		if (!is_get)
			return reply_not_allowed(c, "GET, HEAD");
		return api_apps(api, c);
	}
	if (strncmp(url, "/api/apps/", 10) == 0) {
		char app[80];

		rest = url + 10;
		slash = strchr(rest, '/');
		if (slash == NULL || (size_t)(slash - rest) >= sizeof app)
			return reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
		snprintf(app, sizeof app, "%.*s", (int)(slash - rest), rest);
		if (conf_app(api->cfg, app) == NULL)
			return reply_error(c, MHD_HTTP_NOT_FOUND, "no such app");
		if (strcmp(slash, "/deploy") == 0 || strcmp(slash, "/rollback") == 0) {
			if (!is_post)
				return reply_not_allowed(c, "POST");
			if (slash[1] == 'd')
				return api_deploy(api, c, app, body, len);
			return api_queue(api, c, app, "rollback", NULL);
		}
		if (strcmp(slash, "/freeze") == 0 || strcmp(slash, "/unfreeze") == 0) {
			if (!is_post)
				return reply_not_allowed(c, "POST");
			if (slash[1] == 'f')
				return api_freeze(api, c, app, body, len, auth != AUTH_BEARER);
			return api_unfreeze(api, c, app);
		}
		if (strcmp(slash, "/deployments") == 0) {
			if (!is_get)
				return reply_not_allowed(c, "GET, HEAD");
			return api_history(api, c, app);
		}
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
	}
	if (strncmp(url, "/api/deployments/", 17) == 0) {
		int64_t id;

		rest = url + 17;
		slash = strchr(rest, '/');
		id = parse_id(rest, slash != NULL ? (size_t)(slash - rest) : strlen(rest));
		if (id < 0)
			return reply_error(c, MHD_HTTP_BAD_REQUEST,
			    "a deployment id is a positive whole number");
		if (slash == NULL) {
			if (!is_get)
				return reply_not_allowed(c, "GET, HEAD");
			return api_get_deployment(api, c, id);
		}
		if (strcmp(slash, "/log") == 0) {
			if (!is_get)
				return reply_not_allowed(c, "GET, HEAD");
			return api_log(api, c, id);
		}
		if (strcmp(slash, "/cancel") == 0) {
			if (!is_post)
				return reply_not_allowed(c, "POST");
			return api_cancel(api, c, id);
		}
	}
	return reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}
