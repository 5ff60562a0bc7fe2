/* Unit tests for hook.c: sender recognition, proofs, verdicts. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hook.h"
#include "sig.h"
#include "xmalloc.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"
#define PUSH_MAIN "{\"ref\":\"refs/heads/main\",\"after\":\"" SHA "\",\"before\":\"" SHA "\"}"

static const char *const secrets[] = { "old-secret", "new-secret", NULL };

/* A request's headers as name/value pairs, NULL-terminated. */
struct headers {
	const char *h[16][2];
};

static const char *
get(void *ctx, const char *name)
{
	struct headers *hs = ctx;

	const char *value = NULL;

	for (int i = 0; i < 16 && hs->h[i][0] != NULL; i++)
		if (strcasecmp(hs->h[i][0], name) == 0) {
			if (value != NULL)
				return HOOK_TWICE;
			value = hs->h[i][1];
		}
	return value;
}

/* Returns "sha256=" + hex HMAC of body under key, in a static buffer. */
static const char *
github_sig(const char *key, const char *body)
{
	static char buf[80];
	char hex[65];

	sig_hmac_hex(key, strlen(key), body, strlen(body), hex);
	snprintf(buf, sizeof buf, "sha256=%s", hex);
	return buf;
}

/* The default: pushes to main deploy, tags do not. */
static const struct hook_refs branch_only = { "main", 1, 0, "*" };

static void
inspect_refs(const struct hook_refs *refs, struct headers *hs, const char *body,
    struct hook_result *res)
{
	hook_inspect(secrets, refs, get, hs, body, strlen(body), 1700000000, res);
}

static void
inspect(struct headers *hs, const char *body, struct hook_result *res)
{
	inspect_refs(&branch_only, hs, body, res);
}

static void
test_github_push_queued(void **state)
{
	struct headers hs = { { { "X-GitHub-Event", "push" }, { "X-GitHub-Delivery", "abc-1" },
	    { "X-Hub-Signature-256", github_sig("new-secret", PUSH_MAIN) } } };
	struct hook_result res;

	inspect(&hs, PUSH_MAIN, &res);
	assert_int_equal(res.verdict, HOOK_PUSH);
	assert_string_equal(res.sender, "github");
	assert_string_equal(res.delivery, "abc-1");
	assert_string_equal(res.push.after, SHA);
	hook_result_release(&res);
}

static void
test_header_twice_is_refused(void **state)
{
	char good[80];
	struct headers sig = { { { "X-GitHub-Event", "push" },
	    { "X-Hub-Signature-256", "sha256=00" }, { "X-Hub-Signature-256", NULL } } };
	struct headers event = { { { "X-GitHub-Event", "ping" }, { "X-GitHub-Event", "push" },
	    { "X-Hub-Signature-256", NULL } } };
	struct headers delivery = { { { "X-GitHub-Event", "push" }, { "X-GitHub-Delivery", "a" },
	    { "x-github-delivery", "b" }, { "X-Hub-Signature-256", NULL } } };
	struct headers *all[] = { &sig, &event, &delivery };
	const char *named[] = { "X-Hub-Signature-256", "X-GitHub-Event", "X-GitHub-Delivery" };
	struct hook_result res;

	snprintf(good, sizeof good, "%s", github_sig("new-secret", PUSH_MAIN));
	sig.h[2][1] = event.h[2][1] = delivery.h[3][1] = good;
	/* Whichever copy is right, a header given twice is refused, not guessed at. */
	for (int i = 0; i < 3; i++) {
		char *want = xasprintf("the %s header is given more than once", named[i]);

		inspect(all[i], PUSH_MAIN, &res);
		assert_int_equal(res.verdict, HOOK_BAD_REQUEST);
		assert_string_equal(res.reason, want);
		free(want);
		hook_result_release(&res);
	}
}

static void
test_github_wrong_secret(void **state)
{
	struct headers hs = { { { "X-GitHub-Event", "push" },
	    { "X-Hub-Signature-256", github_sig("guess", PUSH_MAIN) } } };
	struct hook_result res;

	inspect(&hs, PUSH_MAIN, &res);
	assert_int_equal(res.verdict, HOOK_UNAUTHORIZED);
	assert_non_null(strstr(res.reason, "does not match"));
	hook_result_release(&res);
}

static void
test_github_missing_signature(void **state)
{
	struct headers hs = { { { "X-GitHub-Event", "push" } } };
	struct hook_result res;

	inspect(&hs, PUSH_MAIN, &res);
	assert_int_equal(res.verdict, HOOK_UNAUTHORIZED);
	assert_string_equal(res.reason, "missing X-Hub-Signature-256 header");
	hook_result_release(&res);
}

static void
test_no_sender_headers(void **state)
{
	struct headers hs = { { { "Content-Type", "application/json" } } };
	struct hook_result res;

	inspect(&hs, PUSH_MAIN, &res);
	assert_int_equal(res.verdict, HOOK_UNAUTHORIZED);
	assert_null(res.sender);
	hook_result_release(&res);
}

static void
test_github_ping(void **state)
{
	const char *body = "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}";
	struct headers hs = { { { "X-GitHub-Event", "ping" },
	    { "X-Hub-Signature-256", github_sig("old-secret", body) } } };
	struct hook_result res;

	inspect(&hs, body, &res);
	assert_int_equal(res.verdict, HOOK_PING);
	hook_result_release(&res);
}

static void
test_github_form_body(void **state)
{
	const char *body =
	    "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%2C%22after%22%3A%22" SHA "%22%7D";
	struct headers hs = { { { "X-GitHub-Event", "push" },
	    { "Content-Type", "application/x-www-form-urlencoded" },
	    { "X-Hub-Signature-256", github_sig("new-secret", body) } } };
	struct hook_result res;

	inspect(&hs, body, &res);
	assert_int_equal(res.verdict, HOOK_PUSH);
	assert_string_equal(res.push.ref, "refs/heads/main");
	hook_result_release(&res);
}

static void
test_other_branch_tag_deletion_ignored(void **state)
{
	const char *other = "{\"ref\":\"refs/heads/dev\",\"after\":\"" SHA "\"}";
	const char *tag = "{\"ref\":\"refs/tags/v1.0\",\"after\":\"" SHA "\"}";
	const char *del = "{\"ref\":\"refs/heads/main\",\"deleted\":true,"
			  "\"after\":\"0000000000000000000000000000000000000000\"}";
	const char *bodies[] = { other, tag, del };
	const char *reasons[] = { "branch 'dev' is not 'main'",
		"tag 'v1.0': tags are not deployed (deploy_on)", "branch 'main' was deleted" };

	for (int i = 0; i < 3; i++) {
		struct headers hs = { { { "X-GitHub-Event", "push" },
		    { "X-Hub-Signature-256", github_sig("new-secret", bodies[i]) } } };
		struct hook_result res;

		inspect(&hs, bodies[i], &res);
		assert_int_equal(res.verdict, HOOK_IGNORED);
		assert_string_equal(res.reason, reasons[i]);
		hook_result_release(&res);
	}
}

/* deploy_on = tags / both with tags = v*: which refs deploy, and why the others do not. */
static void
test_tags(void **state)
{
	static const struct hook_refs tags_only = { "main", 0, 1, "v*" };
	static const struct hook_refs both = { "main", 1, 1, "v*" };
	static const struct {
		const struct hook_refs *refs;
		const char *ref;
		int deleted;
		const char *reason; /* NULL: deployed */
	} cases[] = {
		{ &tags_only, "refs/tags/v1.2.0", 0, NULL },
		{ &tags_only, "refs/tags/nightly", 0, "tag 'nightly' does not match tags = v*" },
		{ &tags_only, "refs/tags/v1.2.0", 1, "tag 'v1.2.0' was deleted" },
		{ &tags_only, "refs/heads/main", 0,
		    "branch 'main': only tags are deployed (deploy_on = tags)" },
		{ &both, "refs/heads/main", 0, NULL },
		{ &both, "refs/tags/v2", 0, NULL },
		{ &both, "refs/heads/dev", 0, "branch 'dev' is not 'main'" },
		{ &both, "refs/notes/x", 0, "ref 'refs/notes/x' is not a branch or a tag" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char body[256];
		struct headers hs = { { { "X-GitHub-Event", "push" } } };
		struct hook_result res;

		snprintf(body, sizeof body, "{\"ref\":\"%s\",\"after\":\"%s\"%s}", cases[i].ref,
		    cases[i].deleted ? "0000000000000000000000000000000000000000" : SHA,
		    cases[i].deleted ? ",\"deleted\":true" : "");
		hs.h[1][0] = "X-Hub-Signature-256";
		hs.h[1][1] = github_sig("new-secret", body);
		inspect_refs(cases[i].refs, &hs, body, &res);
		if (cases[i].reason == NULL) {
			assert_int_equal(res.verdict, HOOK_PUSH);
			assert_string_equal(res.push.ref, cases[i].ref);
		} else {
			assert_int_equal(res.verdict, HOOK_IGNORED);
			assert_string_equal(res.reason, cases[i].reason);
		}
		hook_result_release(&res);
	}
}

static void
test_other_event_ignored(void **state)
{
	const char *body = "{}";
	struct headers hs = { { { "X-GitHub-Event", "issues" },
	    { "X-Hub-Signature-256", github_sig("new-secret", body) } } };
	struct hook_result res;

	inspect(&hs, body, &res);
	assert_int_equal(res.verdict, HOOK_IGNORED);
	assert_string_equal(res.reason, "event 'issues' is not a push");
	hook_result_release(&res);
}

static void
test_bad_body(void **state)
{
	const char *bodies[] = { "not json", "{\"ref\":\"refs/heads/main\"}",
		"{\"after\":\"" SHA "\"}" };

	for (int i = 0; i < 3; i++) {
		struct headers hs = { { { "X-GitHub-Event", "push" },
		    { "X-Hub-Signature-256", github_sig("new-secret", bodies[i]) } } };
		struct hook_result res;

		inspect(&hs, bodies[i], &res);
		assert_int_equal(res.verdict, HOOK_BAD_REQUEST);
		assert_non_null(res.reason);
		hook_result_release(&res);
	}
}

static void
test_gitlab_token(void **state)
{
	struct headers good = { { { "X-Gitlab-Event", "Push Hook" },
	    { "X-Gitlab-Token", "old-secret" }, { "X-Gitlab-Event-UUID", "uuid-1" } } };
	struct headers bad = { { { "X-Gitlab-Event", "Push Hook" },
	    { "X-Gitlab-Token", "old-secre" } } };
	struct hook_result res;

	inspect(&good, PUSH_MAIN, &res);
	assert_int_equal(res.verdict, HOOK_PUSH);
	assert_string_equal(res.sender, "gitlab");
	assert_string_equal(res.delivery, "uuid-1");
	hook_result_release(&res);
	inspect(&bad, PUSH_MAIN, &res);
	assert_int_equal(res.verdict, HOOK_UNAUTHORIZED);
	hook_result_release(&res);
}

static void
test_gitea_bare_hex(void **state)
{
	char hex[65];
	struct headers hs = { { { "X-Gitea-Event", "push" }, { "X-GitHub-Event", "push" },
	    { "X-Gitea-Signature", hex }, { "X-Gitea-Delivery", "g-1" } } };
	struct hook_result res;

	sig_hmac_hex("new-secret", 10, PUSH_MAIN, strlen(PUSH_MAIN), hex);
	inspect(&hs, PUSH_MAIN, &res);
	assert_int_equal(res.verdict, HOOK_PUSH);
	assert_string_equal(res.sender, "gitea");
	assert_string_equal(res.delivery, "g-1");
	hook_result_release(&res);
}

static void
test_bitbucket(void **state)
{
	const char *body =
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\",\"name\":\"main\","
	    "\"target\":{\"hash\":\"" SHA "\"}},\"old\":null}]}}";
	struct headers hs = { { { "X-Event-Key", "repo:push" }, { "X-Request-UUID", "b-1" },
	    { "X-Hub-Signature", github_sig("old-secret", body) } } };
	struct hook_result res;

	inspect(&hs, body, &res);
	assert_int_equal(res.verdict, HOOK_PUSH);
	assert_string_equal(res.sender, "bitbucket");
	assert_string_equal(res.push.after, SHA);
	hook_result_release(&res);
}

static void
test_overlong_delivery(void **state)
{
	char id[HOOK_DELIVERY_MAX + 2];
	struct headers hs = { { { "X-GitHub-Event", "push" }, { "X-GitHub-Delivery", id },
	    { "X-Hub-Signature-256", github_sig("new-secret", PUSH_MAIN) } } };
	struct hook_result res;

	memset(id, 'a', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	inspect(&hs, PUSH_MAIN, &res);
	assert_int_equal(res.verdict, HOOK_BAD_REQUEST);
	hook_result_release(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_github_push_queued),
		cmocka_unit_test(test_header_twice_is_refused),
		cmocka_unit_test(test_github_wrong_secret),
		cmocka_unit_test(test_github_missing_signature),
		cmocka_unit_test(test_no_sender_headers),
		cmocka_unit_test(test_github_ping),
		cmocka_unit_test(test_github_form_body),
		cmocka_unit_test(test_other_branch_tag_deletion_ignored),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_other_event_ignored),
		cmocka_unit_test(test_bad_body),
		cmocka_unit_test(test_gitlab_token),
		cmocka_unit_test(test_gitea_bare_hex),
		cmocka_unit_test(test_bitbucket),
		cmocka_unit_test(test_overlong_delivery),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("hook", tests, NULL, NULL);
}
