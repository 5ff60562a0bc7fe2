/*
 * Unit tests for forge.c: each forge's request as its API documents it,
 * and the notification's body and signature, with no network: what the
 * outbox would send for a deployment.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "forge.h"
#include "sig.h"
#include "banned.h"

#define SHA "4df1b8ab68721205c0ffee00112233445566778f"
#define KEY "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static struct app_config app;
static struct store_deployment d;

/* The strings of app and d: char arrays, as the structs hold char *. */
static char app_name[] = "shop", api[] = "https://api.example", token[] = "tok-123",
	    url[] = "https://hooks.example/x", standard[] = "standard", slack[] = "slack",
	    whsec[] = KEY, repo[] = "octo/shop", nested[] = "group/sub/shop", sha[] = SHA,
	    push[] = "push", succeeded[] = "succeeded", failed[] = "failed",
	    main_ref[] = "refs/heads/main", tag_ref[] = "refs/tags/v1.2", green[] = "green";

static int
setup(void **state)
{
	(void)state;
	memset(&app, 0, sizeof app);
	memset(&d, 0, sizeof d);
	app.name = app_name;
	app.status_api = api;
	app.status_repo = repo;
	app.status_token = token;
	app.notify_url = url;
	app.notify_format = standard;
	d.id = 12;
	d.kind = push;
	d.status = succeeded;
	d.commit = sha;
	d.ref = main_ref;
	d.color = green;
	return 0;
}

/* Builds ev's request; returns its parsed body, the request in *req. */
static json_t *
build(const char *event, int forge, const char *forge_id, struct forge_request *req)
{
	struct forge_event ev = { &app, &d, event, "https://deploy.example/#app-shop", forge_id, 7,
		1700000000 };
	const char *why = NULL;
	json_t *body;

	assert_int_equal(forge_build(&ev, forge, req, &why), 0);
	assert_non_null(req->url);
	assert_non_null(req->body);
	body = json_loads(req->body, 0, NULL);
	assert_non_null(body);
	return body;
}

/* The value of header name in req, or NULL. */
static const char *
header(const struct forge_request *req, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; req->headers[i] != NULL; i++)
		if (strncmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':')
			return req->headers[i] + n + 2;
	return NULL;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void
test_github_deployment(void **state)
{
	struct forge_request req;
	json_t *b;

	(void)state;
	app.status = CONF_STATUS_GITHUB;
	b = build("started", 1, NULL, &req);
	assert_string_equal(req.url, "https://api.example/repos/octo/shop/deployments");
	assert_int_equal(req.creates, 1);
	assert_string_equal(str(b, "ref"), SHA);
	assert_string_equal(str(b, "environment"), "shop");
	assert_int_equal(json_array_size(json_object_get(b, "required_contexts")), 0);
	assert_string_equal(header(&req, "Authorization"), "Bearer tok-123");
	assert_string_equal(header(&req, "X-GitHub-Api-Version"), "2022-11-28");
	json_decref(b);
	forge_request_free(&req);

	b = build("succeeded", 1, "4242", &req);
	assert_string_equal(req.url,
	    "https://api.example/repos/octo/shop/deployments/4242/statuses");
	assert_int_equal(req.creates, 0);
	assert_string_equal(str(b, "state"), "success");
	assert_string_equal(str(b, "log_url"), "https://deploy.example/#app-shop");
	assert_string_equal(str(b, "description"), "#12 is live on green");
	json_decref(b);
	forge_request_free(&req);
}

static void
test_commit_statuses(void **state)
{
	struct forge_request req;
	json_t *b;

	(void)state;
	app.status = CONF_STATUS_GITLAB;
	app.status_repo = nested;
	b = build("cancelled", 1, NULL, &req);
	assert_string_equal(req.url,
	    "https://api.example/projects/group%2Fsub%2Fshop/statuses/" SHA);
	assert_string_equal(str(b, "state"), "canceled");
	assert_string_equal(str(b, "name"), "turnout/shop");
	assert_string_equal(header(&req, "PRIVATE-TOKEN"), "tok-123");
	json_decref(b);
	forge_request_free(&req);

	app.status = CONF_STATUS_GITEA;
	app.status_repo = repo;
	b = build("started", 1, NULL, &req);
	assert_string_equal(req.url, "https://api.example/repos/octo/shop/statuses/" SHA);
	assert_string_equal(str(b, "state"), "pending");
	assert_string_equal(header(&req, "Authorization"), "token tok-123");
	json_decref(b);
	forge_request_free(&req);

	app.status = CONF_STATUS_BITBUCKET;
	b = build("failed", 1, NULL, &req);
	assert_string_equal(req.url,
	    "https://api.example/repositories/octo/shop/commit/" SHA "/statuses/build");
	assert_string_equal(str(b, "state"), "FAILED");
	assert_string_equal(str(b, "key"), "turnout-shop");
	json_decref(b);
	forge_request_free(&req);
}

/* No commit, nothing to report: refused, not a request about "(null)". */
static void
test_no_commit(void **state)
{
	struct forge_event ev = { &app, &d, "started", "x", NULL, 7, 1700000000 };
	struct forge_request req;
	const char *why = NULL;

	(void)state;
	app.status = CONF_STATUS_GITEA;
	d.commit = NULL;
	assert_int_equal(forge_build(&ev, 1, &req, &why), -1);
	assert_non_null(why);
	d.commit = sha;
}

/* Text from a command need not be UTF-8, and may be long: the body is still JSON, cut to 140. */
static void
test_bad_text(void **state)
{
	struct forge_request req;
	char error[400];
	json_t *b;

	(void)state;
	memset(error, 'x', sizeof error - 1);
	error[sizeof error - 1] = '\0';
	error[3] = (char)0xc3; /* half of a two-byte character */
	d.error = error;
	d.status = failed;
	app.status = CONF_STATUS_GITHUB_COMMIT;
	b = build("failed", 1, NULL, &req);
	assert_true(strlen(str(b, "description")) <= 140);
	assert_memory_equal(str(b, "description"), "#12 failed: xxx?", 16);
	json_decref(b);
	forge_request_free(&req);

	app.notify_secret = whsec;
	b = build("failed", 0, NULL, &req);
	assert_string_equal(str(b, "type"), "deployment.failed");
	assert_memory_equal(json_string_value(json_object_get(json_object_get(b, "data"), "error")),
	    "xxx?", 4);
	json_decref(b);
	forge_request_free(&req);
	d.error = NULL;
	app.notify_secret = NULL;
}

/* The notification: Standard Webhooks headers, signed over "msg_ID.TIMESTAMP.BODY". */
static void
test_notify_signed(void **state)
{
	struct forge_request req;
	char want[SIG_STD_HEADER_LEN];
	json_t *b, *data;

	(void)state;
	app.notify_secret = whsec;
	d.ref = tag_ref;
	b = build("succeeded", 0, NULL, &req);
	assert_string_equal(req.url, "https://hooks.example/x");
	assert_string_equal(header(&req, "webhook-id"), "msg_7");
	assert_string_equal(header(&req, "webhook-timestamp"), "1700000000");
	assert_int_equal(sig_sign_standard(KEY, "msg_7", "1700000000", req.body, strlen(req.body),
			     want),
	    0);
	assert_string_equal(header(&req, "webhook-signature"), want);
	assert_null(header(&req, "Authorization"));
	data = json_object_get(b, "data");
	assert_string_equal(str(b, "timestamp"), "2023-11-14T22:13:20Z");
	assert_string_equal(str(data, "tag"), "v1.2");
	assert_int_equal(json_integer_value(json_object_get(data, "deployment")), 12);
	assert_true(json_is_null(json_object_get(data, "author")));
	json_decref(b);
	forge_request_free(&req);

	app.notify_format = slack;
	b = build("succeeded", 0, NULL, &req);
	assert_int_equal(json_object_size(b), 1);
	assert_string_equal(str(b, "text"),
	    "shop: #12 is live on green (4df1b8ab6872, tag v1.2) https://deploy.example/#app-shop");
	json_decref(b);
	forge_request_free(&req);
	app.notify_format = standard;
	app.notify_secret = NULL;
	d.ref = main_ref;
}

static void
test_answer_id(void **state)
{
	char *id;

	(void)state;
	id = forge_answer_id("{\"id\": 4242, \"url\": \"x\"}", 24);
	assert_string_equal(id, "4242");
	free(id);
	assert_null(forge_answer_id("{\"id\": \"4242\"}", 14));
	assert_null(forge_answer_id("not json", 8));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_github_deployment, setup),
		cmocka_unit_test_setup(test_commit_statuses, setup),
		cmocka_unit_test_setup(test_no_commit, setup),
		cmocka_unit_test_setup(test_bad_text, setup),
		cmocka_unit_test_setup(test_notify_signed, setup),
		cmocka_unit_test(test_answer_id),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("forge", tests, NULL, NULL);
}
