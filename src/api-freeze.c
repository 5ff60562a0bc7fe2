/* The freeze routes of the API (see api-freeze.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api-freeze.h"
#include "clock.h"
#include "log.h"
#include "reply.h"
#include "store.h"
#include "when.h"
#include "banned.h"

/* The JSON of freeze f. */
static json_t *
freeze_json(const struct store_freeze *f)
{
	return json_pack("{sssssIso}", "reason", f->reason, "by", f->by, "since",
	    (json_int_t)f->since, "until", f->until != 0 ? json_integer(f->until) : json_null());
}

json_t *
api_freeze_json(const struct api *api, const char *app)
{
	struct store_freeze f;
	json_t *j;

	if (store_get_freeze(api->st, app, &f) != 1)
		return json_null();
	j = store_freeze_holds(&f, clock_real_ms()) ? freeze_json(&f) : json_null();
	store_freeze_release(&f);
	return j;
}

/*
 * Whether v is a string of 1 to max bytes without control characters
 * (they would break the one-line CLI and log output).
 */
static int
plain_text(json_t *v, size_t max)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL || n == 0 || n > max || strlen(s) != n)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

enum MHD_Result
api_freeze(const struct api *api, struct MHD_Connection *c, const char *app, const char *body,
    size_t len, int from_dashboard)
{
	json_t *obj, *reason, *until, *by, *answer;
	const char *key, *why, *who;
	json_error_t err;
	char msg[400], when[WHEN_LEN];
	int64_t now = clock_real_ms(), end = 0;
	struct store_freeze f;
	json_t *v;

	obj = body != NULL && len > 0 ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &err) : NULL;
	if (obj == NULL || !json_is_object(obj)) {
		json_decref(obj);
		return reply_error(c, MHD_HTTP_BAD_REQUEST,
		    "send {\"reason\": \"why\"}, and \"until\" (30m, 2h, 2026-12-24T18:00Z) if it"
		    " should end by itself");
	}
	json_object_foreach(obj, key, v)
	{
		if (strcmp(key, "reason") != 0 && strcmp(key, "until") != 0 &&
		    strcmp(key, "by") != 0) {
			snprintf(msg, sizeof msg,
			    "unknown field \"%.40s\": the fields are \"reason\", \"until\" and \"by\"",
			    key);
			json_decref(obj);
			return reply_error(c, MHD_HTTP_BAD_REQUEST, msg);
		}
	}
	reason = json_object_get(obj, "reason");
	until = json_object_get(obj, "until");
	by = json_object_get(obj, "by");
	if (!plain_text(reason, API_REASON_MAX)) {
		json_decref(obj);
		return reply_error(c, MHD_HTTP_BAD_REQUEST,
		    "\"reason\" must say why, in 1 to 200 bytes on one line");
	}
	if (by != NULL && !json_is_null(by) && !plain_text(by, API_BY_MAX)) {
		json_decref(obj);
		return reply_error(c, MHD_HTTP_BAD_REQUEST,
		    "\"by\" must name who asks, in 1 to 64 bytes on one line");
	}
	if (until != NULL && !json_is_null(until) &&
	    (!json_is_string(until) ||
		when_parse(json_string_value(until), now, &end, &why) != 0)) {
		snprintf(msg, sizeof msg, "\"until\": %s",
		    json_is_string(until) ? why : "must be a string: 30m, 2h or 2026-12-24T18:00Z");
		json_decref(obj);
		return reply_error(c, MHD_HTTP_BAD_REQUEST, msg);
	}
	who = from_dashboard              ? "dashboard" :
	    json_string_value(by) != NULL ? json_string_value(by) :
					    "api";
	if (store_freeze(api->st, app, json_string_value(reason), who, end) != 0 ||
	    store_get_freeze(api->st, app, &f) != 1) {
		json_decref(obj);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot store the freeze; retry");
	}
	if (end != 0)
		when_format(end, when, sizeof when);
	log_info("api: '%s' frozen by %s%s%s: %s", app, who, end != 0 ? " until " : "",
	    end != 0 ? when : "", json_string_value(reason));
	json_decref(obj);
	answer = json_pack("{ssso}", "app", app, "frozen", freeze_json(&f));
	store_freeze_release(&f);
	return reply_json(c, MHD_HTTP_OK, answer);
}

enum MHD_Result
api_unfreeze(const struct api *api, struct MHD_Connection *c, const char *app)
{
	json_t *was = api_freeze_json(api, app);

	if (store_unfreeze(api->st, app, 0) != 0) {
		json_decref(was);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot store the unfreeze; retry");
	}
	if (!json_is_null(was)) {
		log_info("api: '%s' unfrozen", app);
		/* Its worker looks at the queue now rather than at its next poll. */
		if (api->queued != NULL)
			api->queued(api->queued_ctx, app);
	}
	return reply_json(c, MHD_HTTP_OK, json_pack("{sssnso}", "app", app, "frozen", "was", was));
}
