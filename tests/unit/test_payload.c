#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "payload.h"
#include "xmalloc.h"
#include "banned.h"

#define ZERO40 "0000000000000000000000000000000000000000"
#define SHA_A "0123456789abcdef0123456789abcdef01234567"
#define SHA_B "89abcdef0123456789abcdef0123456789abcdef"
#define SHA_C "fedcba9876543210fedcba9876543210fedcba98"

/* Reads tests/data/NAME from the source tree into a new buffer. */
static char *
test_read(const char *name, size_t *len)
{
	const char *dir = getenv("TURNOUT_SRC_DIR");
	char *path, *buf = NULL;
	size_t n = 0, got;
	FILE *fp;

	path = xasprintf("%s/tests/data/%s", dir != NULL ? dir : ".", name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	do {
		buf = xrealloc(buf, n + 4096 + 1);
		got = fread(buf + n, 1, 4096, fp);
		n += got;
	} while (got == 4096);
	assert_int_equal(ferror(fp), 0);
	fclose(fp);
	free(path);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parses len bytes of body, failing the test if the parse fails. */
static void
test_parse_ok(enum payload_kind kind, const char *body, size_t len, struct push *p)
{
	char *cause = NULL;

	if (payload_parse(kind, body, len, p, &cause) != 0)
		fail_msg("parse failed: %s", cause);
	assert_null(cause);
}

/* Parses a file from tests/data, failing the test if the parse fails. */
static void
test_parse_file(enum payload_kind kind, const char *name, struct push *p)
{
	size_t len;
	char *body = test_read(name, &len);

	test_parse_ok(kind, body, len, p);
	free(body);
}

/* Parses body and checks that it fails with a cause starting with want. */
static void
test_parse_fails(enum payload_kind kind, const char *body, const char *want)
{
	struct push p;
	char *cause = NULL;

	memset(&p, 0x5a, sizeof p);
	assert_int_equal(payload_parse(kind, body, strlen(body), &p, &cause), -1);
	assert_non_null(cause);
	if (strncmp(cause, want, strlen(want)) != 0)
		fail_msg("cause '%s', want '%s...'", cause, want);
	/* Nothing is left behind in *out on failure. */
	assert_null(p.ref);
	assert_null(p.after);
	assert_null(p.before);
	assert_null(p.author);
	assert_null(p.message);
	assert_int_equal(p.deleted, 0);
	free(cause);
}

#define REF_AFTER \
	"\"ref\":\"refs/heads/main\",\"after\":\"0123456789abcdef0123456789abcdef01234567\""

/* A member read of a wrong type is refused, named by its path, never half-read. */
static void
test_wrong_types(void **state)
{
	test_parse_fails(PAYLOAD_GITHUB, "{" REF_AFTER ",\"deleted\":\"no\"}",
	    "payload has a bad 'deleted': not true or false");
	test_parse_fails(PAYLOAD_GITHUB, "{" REF_AFTER ",\"head_commit\":\"x\"}",
	    "payload has a bad 'head_commit': not an object");
	test_parse_fails(PAYLOAD_GITHUB,
	    "{" REF_AFTER ",\"head_commit\":{\"author\":{\"name\":\"Kim\"},\"message\":1}}",
	    "payload has a bad 'head_commit.message': not a string");
	test_parse_fails(PAYLOAD_GITHUB, "{" REF_AFTER ",\"head_commit\":{\"author\":[]}}",
	    "payload has a bad 'head_commit.author': not an object");
	test_parse_fails(PAYLOAD_GITEA, "{" REF_AFTER ",\"commits\":[{\"author\":{\"name\":5}}]}",
	    "payload has a bad 'commits[].author.name': not a string");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\",\"name\":\"main\","
	    "\"target\":{\"hash\":\"0123456789abcdef0123456789abcdef01234567\","
	    "\"message\":[]}}}]}}",
	    "payload has a bad 'new.target.message': not a string");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\",\"name\":\"main\","
	    "\"target\":{\"hash\":\"0123456789abcdef0123456789abcdef01234567\","
	    "\"author\":{\"user\":\"kim\"}}}}]}}",
	    "payload has a bad 'new.target.author.user': not an object");
	test_parse_fails(PAYLOAD_GITLAB, "{" REF_AFTER ",\"user_name\":{}}",
	    "payload has a bad 'user_name': not a string");
}

/* Null stands for absent, as the forges send it for a deletion. */
static void
test_nulls_are_absent(void **state)
{
	struct push p;
	const char *body = "{" REF_AFTER ",\"deleted\":null,\"head_commit\":{\"author\":null,"
			   "\"message\":null}}";

	test_parse_ok(PAYLOAD_GITHUB, body, strlen(body), &p);
	assert_null(p.author);
	assert_null(p.message);
	assert_int_equal(p.deleted, 0);
	payload_push_release(&p);
}

/* A GitHub push to main: fields from the top level and head_commit. */
static void
test_github_push(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_GITHUB, "github-push.json", &p);
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.after, "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
	assert_string_equal(p.before, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
	assert_int_equal(p.deleted, 0);
	assert_string_equal(p.author, "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m");
	assert_string_equal(p.message,
	    "Fix race in deployment claim\n\n"
	    "Two workers could claim the same row when the\n"
	    "queue was empty; take the lock first.");
	payload_push_release(&p);
}

/* A GitHub branch deletion: deleted true, head_commit null. */
static void
test_github_delete(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_GITHUB, "github-delete.json", &p);
	assert_string_equal(p.ref, "refs/heads/feature/cart-v2");
	assert_string_equal(p.after, ZERO40);
	assert_string_equal(p.before, "9c3f7e1a2b4d6f8091a3c5e7f9b1d3f5a7c9e1b3");
	assert_int_equal(p.deleted, 1);
	assert_null(p.author);
	assert_null(p.message);
	payload_push_release(&p);
}

/* The deleted flag alone marks a deletion, whatever after says. */
static void
test_github_deleted_flag(void **state)
{
	const char *body = "{\"ref\":\"refs/heads/x\",\"after\":\"" SHA_A
			   "\",\"deleted\":true,\"head_commit\":null}";
	struct push p;

	test_parse_ok(PAYLOAD_GITHUB, body, strlen(body), &p);
	assert_int_equal(p.deleted, 1);
	assert_string_equal(p.after, SHA_A);
	assert_null(p.before);
	payload_push_release(&p);
}

/* A ping is not a push: it has no ref. */
static void
test_github_ping(void **state)
{
	size_t len;
	char *body = test_read("github-ping.json", &len);

	test_parse_fails(PAYLOAD_GITHUB, body, "payload has no 'ref'");
	free(body);
}

/* GitLab: the commit whose id is after gives author and message. */
static void
test_gitlab_push(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_GITLAB, "gitlab-push.json", &p);
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.after, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
	assert_string_equal(p.before, "95790bf891e76fee5e1747ab589903a6a1f80f22");
	assert_int_equal(p.deleted, 0);
	assert_string_equal(p.author, "Jordan Sinclair");
	assert_string_equal(p.message,
	    "Merge branch 'fix/rounding' into "
	    "'main'\n\nFix rounding of totals\n\nSee merge request "
	    "finance/billing!42");
	payload_push_release(&p);
}

/* GitLab: the matching commit wins even when it is not the last one. */
static void
test_gitlab_match_not_last(void **state)
{
	const char *body = "{\"object_kind\":\"push\","
			   "\"ref\":\"refs/heads/main\","
			   "\"before\":\"" SHA_C "\",\"after\":\"" SHA_A "\","
			   "\"user_name\":\"Pusher\",\"commits\":["
			   "{\"id\":\"" SHA_A "\",\"message\":\"head\","
			   "\"author\":{\"name\":\"Head Author\"}},"
			   "{\"id\":\"" SHA_B "\",\"message\":\"older\","
			   "\"author\":{\"name\":\"Older Author\"}}]}";
	struct push p;

	test_parse_ok(PAYLOAD_GITLAB, body, strlen(body), &p);
	assert_string_equal(p.author, "Head Author");
	assert_string_equal(p.message, "head");
	payload_push_release(&p);
}

/* GitLab: with no matching commit the last one is used. */
static void
test_gitlab_no_match_uses_last(void **state)
{
	const char *body = "{\"ref\":\"refs/heads/main\",\"after\":\"" SHA_C
			   "\",\"user_name\":\"Pusher\",\"commits\":["
			   "{\"id\":\"" SHA_A "\",\"message\":\"first\","
			   "\"author\":{\"name\":\"First\"}},"
			   "{\"id\":\"" SHA_B "\",\"message\":\"last\","
			   "\"author\":{\"name\":\"Last\"}}]}";
	struct push p;

	test_parse_ok(PAYLOAD_GITLAB, body, strlen(body), &p);
	assert_string_equal(p.author, "Last");
	assert_string_equal(p.message, "last");
	payload_push_release(&p);
}

/* A GitLab tag push has no commits: the pusher and the tag message stand in. */
static void
test_gitlab_tag(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_GITLAB, "gitlab-tag.json", &p);
	assert_string_equal(p.ref, "refs/tags/v1.4.0");
	assert_string_equal(p.after, "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7");
	assert_string_equal(p.before, ZERO40);
	assert_int_equal(p.deleted, 0);
	assert_string_equal(p.author, "Jordan Sinclair");
	assert_string_equal(p.message, "Release 1.4.0");
	payload_push_release(&p);
}

/* A GitLab branch deletion is after all zeros. */
static void
test_gitlab_delete(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_GITLAB, "gitlab-delete.json", &p);
	assert_string_equal(p.ref, "refs/heads/fix/rounding");
	assert_string_equal(p.after, ZERO40);
	assert_string_equal(p.before, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
	assert_int_equal(p.deleted, 1);
	assert_string_equal(p.author, "Jordan Sinclair");
	assert_null(p.message);
	payload_push_release(&p);
}

/* Gitea: like GitHub, with head_commit. */
static void
test_gitea_push(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_GITEA, "gitea-push.json", &p);
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.after, "bffeb74224043ba2feb48d137756c8a9331c449a");
	assert_string_equal(p.before, "28e1879d029cb852e4844d9c718537df08844e03");
	assert_int_equal(p.deleted, 0);
	assert_string_equal(p.author, "Mateus Ferreira");
	assert_string_equal(p.message, "Show maintenance banner from config\n");
	payload_push_release(&p);
}

/* Gitea without head_commit: the last of commits[] is the head. */
static void
test_gitea_no_head_commit(void **state)
{
	const char *body = "{\"ref\":\"refs/heads/dev\",\"before\":\"" SHA_C "\",\"after\":\"" SHA_B
			   "\",\"commits\":["
			   "{\"id\":\"" SHA_A "\",\"message\":\"one\","
			   "\"author\":{\"name\":\"A\"}},"
			   "{\"id\":\"" SHA_B "\",\"message\":\"two\","
			   "\"author\":{\"name\":\"B\"}}]}";
	struct push p;

	test_parse_ok(PAYLOAD_GITEA, body, strlen(body), &p);
	assert_string_equal(p.ref, "refs/heads/dev");
	assert_string_equal(p.after, SHA_B);
	assert_string_equal(p.author, "B");
	assert_string_equal(p.message, "two");
	payload_push_release(&p);
}

/* Gitea deletion: zeros, no deleted flag, no commits. */
static void
test_gitea_delete(void **state)
{
	const char *body = "{\"ref\":\"refs/heads/old\",\"before\":\"" SHA_A
			   "\",\"after\":\"" ZERO40 "\",\"commits\":[],\"head_commit\":null}";
	struct push p;

	test_parse_ok(PAYLOAD_GITEA, body, strlen(body), &p);
	assert_int_equal(p.deleted, 1);
	assert_string_equal(p.after, ZERO40);
	assert_string_equal(p.before, SHA_A);
	assert_null(p.author);
	assert_null(p.message);
	payload_push_release(&p);
}

/* Bitbucket: ref from new.type and new.name, author's display name. */
static void
test_bitbucket_push(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_BITBUCKET, "bitbucket-push.json", &p);
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.after, "10a7e3af0c2daf86d429c22f6a8c34d8a6ab9114");
	assert_string_equal(p.before, "4c8e1d03e075d808b9241ec760087e114d6d0ccf");
	assert_int_equal(p.deleted, 0);
	assert_string_equal(p.author, "In\xc3\xaas Duarte");
	assert_string_equal(p.message, "Retry webhook delivery with backoff\n");
	payload_push_release(&p);
}

/* Bitbucket tag: refs/tags/, no old side, author from the raw string. */
static void
test_bitbucket_tag(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_BITBUCKET, "bitbucket-tag.json", &p);
	assert_string_equal(p.ref, "refs/tags/v2.3.0");
	assert_string_equal(p.after, "7e2f9b4c1a3d5e6f708192a3b4c5d6e7f8091a2b");
	assert_null(p.before);
	assert_int_equal(p.deleted, 0);
	assert_string_equal(p.author, "Release Bot <release@example.net>");
	assert_string_equal(p.message, "Prepare 2.3.0\n");
	payload_push_release(&p);
}

/* Bitbucket deletion: new is null, the ref comes from old. */
static void
test_bitbucket_delete(void **state)
{
	struct push p;

	test_parse_file(PAYLOAD_BITBUCKET, "bitbucket-delete.json", &p);
	assert_string_equal(p.ref, "refs/heads/feature/rate-limit");
	assert_string_equal(p.after, ZERO40);
	assert_string_equal(p.before, "c0ffee15deadbeef0123456789abcdef01234567");
	assert_int_equal(p.deleted, 1);
	assert_null(p.author);
	assert_null(p.message);
	payload_push_release(&p);
}

/* Bitbucket: of several changes the last one counts. */
static void
test_bitbucket_last_change(void **state)
{
	const char *body = "{\"push\":{\"changes\":["
			   "{\"old\":null,\"new\":{\"type\":\"branch\",\"name\":\"first\","
			   "\"target\":{\"hash\":\"" SHA_A "\",\"message\":\"m1\","
			   "\"author\":{\"raw\":\"One <1@x>\"}}}},"
			   "{\"old\":{\"type\":\"branch\",\"name\":\"second\","
			   "\"target\":{\"hash\":\"" SHA_C "\"}},"
			   "\"new\":{\"type\":\"branch\",\"name\":\"second\","
			   "\"target\":{\"hash\":\"" SHA_B "\",\"message\":\"m2\","
			   "\"author\":{\"raw\":\"Two <2@x>\"}}}}]}}";
	struct push p;

	test_parse_ok(PAYLOAD_BITBUCKET, body, strlen(body), &p);
	assert_string_equal(p.ref, "refs/heads/second");
	assert_string_equal(p.after, SHA_B);
	assert_string_equal(p.before, SHA_C);
	assert_string_equal(p.author, "Two <2@x>");
	assert_string_equal(p.message, "m2");
	payload_push_release(&p);
}

/* Bitbucket payloads without a usable change are refused. */
static void
test_bitbucket_bad(void **state)
{
	test_parse_fails(PAYLOAD_BITBUCKET, "{}", "payload has no push.changes");
	test_parse_fails(PAYLOAD_BITBUCKET, "{\"push\":{\"changes\":[]}}",
	    "payload has no push.changes");
	test_parse_fails(PAYLOAD_BITBUCKET, "{\"push\":{\"changes\":{}}}",
	    "payload has no push.changes");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"old\":null,\"new\":null}]}}",
	    "payload has no 'new' or 'old'");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"bookmark\","
	    "\"name\":\"x\",\"target\":{\"hash\":\"" SHA_A "\"}}}]}}",
	    "payload has a bad 'type'");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\","
	    "\"name\":\"\",\"target\":{\"hash\":\"" SHA_A "\"}}}]}}",
	    "payload has no 'name'");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\","
	    "\"name\":\"main\",\"target\":{}}}]}}",
	    "payload has no 'new.target.hash'");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\","
	    "\"name\":\"main\",\"target\":{\"hash\":\"$(touch pwned)\"}}}]}}",
	    "payload has a bad 'new.target.hash'");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\","
	    "\"name\":\"a\\nb\",\"target\":{\"hash\":\"" SHA_A "\"}}}]}}",
	    "payload has a bad 'ref'");
}

/* Every forge with a top-level after refuses a payload without one. */
static void
test_missing_after(void **state)
{
	const char *body = "{\"ref\":\"refs/heads/main\",\"before\":\"" SHA_A "\"}";

	test_parse_fails(PAYLOAD_GITHUB, body, "payload has no 'after'");
	test_parse_fails(PAYLOAD_GITLAB, body, "payload has no 'after'");
	test_parse_fails(PAYLOAD_GITEA, body, "payload has no 'after'");
	test_parse_fails(PAYLOAD_GITHUB, "{\"ref\":\"refs/heads/main\",\"after\":null}",
	    "payload has no 'after'");
}

/* A ref that is missing, not a string or not a full ref is refused. */
static void
test_bad_ref(void **state)
{
	test_parse_fails(PAYLOAD_GITHUB, "{\"after\":\"" SHA_A "\"}", "payload has no 'ref'");
	test_parse_fails(PAYLOAD_GITLAB, "{\"after\":\"" SHA_A "\"}", "payload has no 'ref'");
	test_parse_fails(PAYLOAD_GITEA, "{\"after\":\"" SHA_A "\"}", "payload has no 'ref'");
	test_parse_fails(PAYLOAD_GITHUB, "{\"ref\":7,\"after\":\"" SHA_A "\"}",
	    "payload has a bad 'ref'");
	test_parse_fails(PAYLOAD_GITHUB, "{\"ref\":[\"refs/heads/main\"],\"after\":\"" SHA_A "\"}",
	    "payload has a bad 'ref'");
	test_parse_fails(PAYLOAD_GITHUB, "{\"ref\":\"main\",\"after\":\"" SHA_A "\"}",
	    "payload has a bad 'ref'");
	test_parse_fails(PAYLOAD_GITHUB, "{\"ref\":\"refs/\",\"after\":\"" SHA_A "\"}",
	    "payload has a bad 'ref'");
	test_parse_fails(PAYLOAD_GITHUB,
	    "{\"ref\":\"refs/heads/a\\u001bb\",\"after\":\"" SHA_A "\"}",
	    "payload has a bad 'ref'");
}

/* A body that is not JSON names jansson's error and its line. */
static void
test_not_json(void **state)
{
	struct push p;
	char *cause = NULL;
	const char *body = "{\n\"ref\": \"refs/heads/main\",\n\"after\": }";

	assert_int_equal(payload_parse(PAYLOAD_GITHUB, body, strlen(body), &p, &cause), -1);
	assert_non_null(cause);
	assert_true(strncmp(cause, "body is not JSON: ", 18) == 0);
	assert_non_null(strstr(cause, " at line 3"));
	free(cause);

	test_parse_fails(PAYLOAD_GITHUB, "", "body is not JSON: ");
	test_parse_fails(PAYLOAD_GITHUB, "payload=%7B%7D", "body is not JSON: ");
	test_parse_fails(PAYLOAD_GITHUB, "\"refs/heads/main\"", "body is not JSON: ");
	test_parse_fails(PAYLOAD_GITHUB, "{} {}", "body is not JSON: ");
}

/* Only a length is given: bytes past len are never read. */
static void
test_parse_uses_len(void **state)
{
	const char *body = "{\"ref\":\"refs/heads/main\",\"after\":\"" SHA_A "\"}GARBAGE";
	struct push p;

	test_parse_ok(PAYLOAD_GITHUB, body, strlen(body) - 7, &p);
	assert_string_equal(p.after, SHA_A);
	payload_push_release(&p);
}

/*
 * An escaped NUL ends a string, as git ends a commit message at one; a NUL
 * byte in the body is not JSON.
 */
static void
test_nul_in_string(void **state)
{
	static const char body[] = "{\"ref\":\"refs/heads/main\",\"after\":\"" SHA_A "\","
				   "\"head_commit\":{\"message\":\"a\\u0000b\"}}";
	static const char raw[] = "{\"ref\":\"refs/heads/main\",\"after\":\"" SHA_A "\","
				  "\"head_commit\":{\"message\":\"a\0b\"}}";
	struct push p;
	char *cause = NULL;

	test_parse_ok(PAYLOAD_GITHUB, body, strlen(body), &p);
	assert_string_equal(p.message, "a");
	payload_push_release(&p);

	assert_int_equal(payload_parse(PAYLOAD_GITHUB, raw, sizeof raw - 1, &p, &cause), -1);
	assert_true(strncmp(cause, "body is not JSON: ", 18) == 0);
	free(cause);
	cause = NULL;
	/* The same after a whole object: SQLite alone would read "{}" and stop. */
	assert_int_equal(payload_parse(PAYLOAD_GITHUB, "{}\0{}", 5, &p, &cause), -1);
	assert_true(strncmp(cause, "body is not JSON: ", 18) == 0);
	free(cause);
}

/*
 * A member that is read must be UTF-8 (it is stored and shown); what is not
 * read is not looked at.
 */
static void
test_not_utf8(void **state)
{
	struct push p;

	test_parse_fails(PAYLOAD_GITHUB,
	    "{" REF_AFTER ",\"head_commit\":{\"message\":\"\377\376\"}}",
	    "payload has a bad 'head_commit.message': not UTF-8");
	test_parse_fails(PAYLOAD_GITHUB,
	    "{" REF_AFTER ",\"head_commit\":{\"author\":{\"name\":\"\\ud800\"}}}",
	    "payload has a bad 'head_commit.author.name': not UTF-8");
	test_parse_fails(PAYLOAD_GITHUB, "{\"ref\":\"refs/heads/\300\",\"after\":\"" SHA_A "\"}",
	    "payload has a bad 'ref': not UTF-8");
	test_parse_fails(PAYLOAD_BITBUCKET,
	    "{\"push\":{\"changes\":[{\"new\":{\"type\":\"branch\",\"name\":\"m\377\","
	    "\"target\":{\"hash\":\"" SHA_A "\"}}}]}}",
	    "payload has a bad 'name': not UTF-8");
	test_parse_ok(PAYLOAD_GITHUB,
	    "{" REF_AFTER ",\"pusher\":\"\377\",\"head_commit\":{\"message\":\"caf\303\251\"}}",
	    strlen("{" REF_AFTER
		   ",\"pusher\":\"\377\",\"head_commit\":{\"message\":\"caf\303\251\"}}"),
	    &p);
	assert_string_equal(p.message, "caf\303\251");
	payload_push_release(&p);
}

/* The top level must be an object. */
static void
test_not_object(void **state)
{
	test_parse_fails(PAYLOAD_GITHUB, "[1, 2, 3]", "body is not a JSON object");
	test_parse_fails(PAYLOAD_BITBUCKET, "[]", "body is not a JSON object");
}

/* Commit ids that are not 40 or 64 hex digits are refused. */
static void
test_bad_commit_id(void **state)
{
	test_parse_fails(PAYLOAD_GITHUB,
	    "{\"ref\":\"refs/heads/main\",\"after\":\"$(touch pwned)\"}",
	    "payload has a bad 'after'");
	test_parse_fails(PAYLOAD_GITHUB,
	    "{\"ref\":\"refs/heads/main\",\"after\":"
	    "\"0123456789abcdef0123456789abcdef0123456\"}",
	    "payload has a bad 'after'");
	test_parse_fails(PAYLOAD_GITHUB,
	    "{\"ref\":\"refs/heads/main\",\"after\":"
	    "\"0123456789abcdef0123456789abcdef0123456g\"}",
	    "payload has a bad 'after'");
	test_parse_fails(PAYLOAD_GITHUB, "{\"ref\":\"refs/heads/main\",\"after\":\"" SHA_A " \"}",
	    "payload has a bad 'after'");
	test_parse_fails(PAYLOAD_GITHUB, "{\"ref\":\"refs/heads/main\",\"after\":42}",
	    "payload has a bad 'after'");
	test_parse_fails(PAYLOAD_GITLAB,
	    "{\"ref\":\"refs/heads/main\",\"after\":\"" SHA_A "\","
	    "\"before\":\"HEAD~1\"}",
	    "payload has a bad 'before'");
}

/* Upper-case ids are stored lower-case; 64-digit (SHA-256) ids are fine. */
static void
test_uppercase_sha(void **state)
{
	const char *body = "{\"ref\":\"refs/heads/main\","
			   "\"after\":\"0D1A26E67D8F5EAF1F6BA5C57FC3C7D91AC0FD1C\","
			   "\"before\":\"6113728F27AE82C7B1A177C8D03F9E96E0ADF246"
			   "6113728F27AE82C7B1A177C8\"}";
	struct push p;

	test_parse_ok(PAYLOAD_GITHUB, body, strlen(body), &p);
	assert_string_equal(p.after, "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
	assert_string_equal(p.before,
	    "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	    "6113728f27ae82c7b1a177c8");
	payload_push_release(&p);
}

/* Repeats c n times into a new string, followed by tail. */
static char *
test_repeat(char c, size_t n, const char *tail)
{
	size_t t = strlen(tail);
	char *s = xmalloc(n + t + 1);

	memset(s, c, n);
	memcpy(s + n, tail, t + 1);
	return s;
}

/* Checks that message and author (freed here) keep their first want_* bytes. */
static void
test_truncated(char *message, size_t want_message, char *author, size_t want_author)
{
	json_t *o;
	char *body;
	struct push p;

	o = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "ref", "refs/heads/main", "after", SHA_A,
	    "head_commit", "message", message, "author", "name", author);
	assert_non_null(o);
	body = json_dumps(o, 0);
	assert_non_null(body);
	test_parse_ok(PAYLOAD_GITHUB, body, strlen(body), &p);
	assert_int_equal(strlen(p.message), want_message);
	assert_memory_equal(p.message, message, want_message);
	assert_int_equal(strlen(p.author), want_author);
	assert_memory_equal(p.author, author, want_author);
	payload_push_release(&p);
	free(body);
	json_decref(o);
	free(message);
	free(author);
}

/* A null last change is a change without sides, not a missing list. */
static void
test_bitbucket_null_change(void **state)
{
	test_parse_fails(PAYLOAD_BITBUCKET, "{\"push\":{\"changes\":[null]}}",
	    "payload has no 'new' or 'old' in push.changes");
	test_parse_fails(PAYLOAD_BITBUCKET, "{\"push\":{\"changes\":[]}}",
	    "payload has no push.changes");
}

/* Long messages and authors are cut at a UTF-8 boundary within the limit. */
static void
test_long_message(void **state)
{
	const int m = PAYLOAD_MESSAGE_MAX, a = PAYLOAD_AUTHOR_MAX;

	/* One byte over: the cut at the limit would split the 2-byte e-acute. */
	test_truncated(test_repeat('a', m - 1, "\xc3\xa9"), m - 1,
	    test_repeat('b', a - 1, "\xc3\xa9"), a - 1);
	/* The cut would split a 3-byte euro sign after its first byte. */
	test_truncated(test_repeat('a', m - 2, "\xe2\x82\xac"), m - 2,
	    test_repeat('b', a - 2, "\xe2\x82\xac"), a - 2);
	/* ... or a 4-byte emoji after three of its bytes. */
	test_truncated(test_repeat('a', m - 3, "\xf0\x9f\x98\x80"), m - 3,
	    test_repeat('b', a - 3, "\xf0\x9f\x98\x80"), a - 3);
	/* Exactly at the limit nothing is cut. */
	test_truncated(test_repeat('a', m - 3, "\xe2\x82\xac"), m,
	    test_repeat('b', a - 3, "\xe2\x82\xac"), a);
	/* Plain ASCII is cut at the limit. */
	test_truncated(test_repeat('a', 100000, ""), m, test_repeat('b', 1000, ""), a);
	/* A character that ends right at the limit is kept whole. */
	test_truncated(test_repeat('a', m - 2, "\xc3\xa9xyz"), m,
	    test_repeat('b', a - 2, "\xc3\xa9xyz"), a);
}

/* Percent-encodes s the way a browser or GitHub encodes a form value. */
static char *
test_form_encode(const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(3 * n + 1), *o = out;
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr("-._~", c) != NULL))
			*o++ = (char)c;
		else if (c == ' ')
			*o++ = '+';
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* A whole GitHub payload survives the form encoding and parses. */
static void
test_form_github(void **state)
{
	size_t len, outlen;
	char *json, *enc, *body, *decoded;
	struct push p;

	json = test_read("github-push.json", &len);
	enc = test_form_encode(json, len);
	body = xasprintf("payload=%s", enc);
	decoded = payload_from_form(body, strlen(body), &outlen);
	assert_non_null(decoded);
	assert_int_equal(outlen, len);
	assert_memory_equal(decoded, json, len);
	assert_int_equal(decoded[outlen], '\0');
	test_parse_ok(PAYLOAD_GITHUB, decoded, outlen, &p);
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.author, "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m");
	payload_push_release(&p);
	free(decoded);
	free(body);
	free(enc);
	free(json);
}

/* The payload pair is found among others; '+' and %XX are decoded. */
static void
test_form_decode(void **state)
{
	const char *body = "token=x%26y&payloadx=no&xpayload=no&"
			   "payload=%7B%22ref%22%3A+%22refs%2fheads%2Fmain%22%7D&payload=2nd";
	size_t outlen = 0;
	char *s;

	s = payload_from_form(body, strlen(body), &outlen);
	assert_non_null(s);
	assert_string_equal(s, "{\"ref\": \"refs/heads/main\"}");
	assert_int_equal(outlen, strlen(s));
	free(s);

	s = payload_from_form("payload=", 8, &outlen);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(outlen, 0);
	free(s);

	/* %00 is a byte like any other: it is counted in outlen. */
	s = payload_from_form("payload=a%00b", 13, &outlen);
	assert_non_null(s);
	assert_int_equal(outlen, 3);
	assert_memory_equal(s, "a\0b", 4);
	free(s);
}

/* Only len bytes of the form body are read. */
static void
test_form_uses_len(void **state)
{
	const char *body = "payload=abcdef&payload=zzz";
	size_t outlen = 0;
	char *s;

	s = payload_from_form(body, 11, &outlen);
	assert_non_null(s);
	assert_string_equal(s, "abc");
	assert_int_equal(outlen, 3);
	free(s);
	assert_null(payload_from_form("a=1&payload=abc", 3, &outlen));
	/* A cut-off escape at the end of len is bad even if more follows. */
	assert_null(payload_from_form("payload=%41", 10, &outlen));
}

/* Without a payload field there is nothing to return. */
static void
test_form_absent(void **state)
{
	size_t outlen = 0;

	assert_null(payload_from_form("", 0, &outlen));
	assert_null(payload_from_form(NULL, 0, &outlen));
	assert_null(payload_from_form("ref=refs%2Fheads%2Fmain&after=1", 31, &outlen));
	assert_null(payload_from_form("payloads=1&Payload=2&payload", 28, &outlen));
	assert_null(payload_from_form("&&&", 3, &outlen));
	assert_null(payload_from_form("{\"ref\":\"x\"}", 11, &outlen));
}

/* A bad or cut-off percent escape makes the value unusable. */
static void
test_form_bad_escape(void **state)
{
	size_t outlen = 0;

	assert_null(payload_from_form("payload=%7G", 11, &outlen));
	assert_null(payload_from_form("payload=%G7", 11, &outlen));
	assert_null(payload_from_form("payload=%7", 10, &outlen));
	assert_null(payload_from_form("payload=100%", 12, &outlen));
	assert_null(payload_from_form("payload=%%41", 12, &outlen));
	assert_null(payload_from_form("payload=%+1", 11, &outlen));
}

/* Release frees and zeroes; NULL is a no-op. */
static void
test_release(void **state)
{
	struct push p;

	payload_push_release(NULL);
	test_parse_file(PAYLOAD_GITHUB, "github-push.json", &p);
	assert_non_null(p.message);
	payload_push_release(&p);
	assert_null(p.ref);
	assert_null(p.after);
	assert_null(p.before);
	assert_null(p.author);
	assert_null(p.message);
	assert_int_equal(p.deleted, 0);
	/* A second release of a zeroed push is harmless. */
	payload_push_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_github_push),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_nulls_are_absent),
		cmocka_unit_test(test_github_delete),
		cmocka_unit_test(test_github_deleted_flag),
		cmocka_unit_test(test_github_ping),
		cmocka_unit_test(test_gitlab_push),
		cmocka_unit_test(test_gitlab_match_not_last),
		cmocka_unit_test(test_gitlab_no_match_uses_last),
		cmocka_unit_test(test_gitlab_tag),
		cmocka_unit_test(test_gitlab_delete),
		cmocka_unit_test(test_gitea_push),
		cmocka_unit_test(test_gitea_no_head_commit),
		cmocka_unit_test(test_gitea_delete),
		cmocka_unit_test(test_bitbucket_push),
		cmocka_unit_test(test_bitbucket_tag),
		cmocka_unit_test(test_bitbucket_delete),
		cmocka_unit_test(test_bitbucket_last_change),
		cmocka_unit_test(test_bitbucket_bad),
		cmocka_unit_test(test_missing_after),
		cmocka_unit_test(test_bad_ref),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_parse_uses_len),
		cmocka_unit_test(test_nul_in_string),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_bitbucket_null_change),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_bad_commit_id),
		cmocka_unit_test(test_uppercase_sha),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_form_github),
		cmocka_unit_test(test_form_decode),
		cmocka_unit_test(test_form_uses_len),
		cmocka_unit_test(test_form_absent),
		cmocka_unit_test(test_form_bad_escape),
		cmocka_unit_test(test_release),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("payload", tests, NULL, NULL);
}
