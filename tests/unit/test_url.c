/* Unit tests for url.c: repo URLs shown without credentials, secrets found, variables filled. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "url.h"

static void
check_redact(const char *url, const char *want)
{
	char *got = url_redact(url);

	assert_string_equal(got, want);
	free(got);
}

static void
test_redact(void **state)
{
	check_redact("https://user:pa55word@example.com/o/r.git",
	    "https://***@example.com/o/r.git");
	check_redact("https://ghp_token123@github.com/o/r.git", "https://***@github.com/o/r.git");
	check_redact("ssh://git@example.com:2222/r.git", "ssh://***@example.com:2222/r.git");
	/* curl's own file: parser takes no credentials; git's does. */
	check_redact("file://deploy:s3cret@localhost/srv/r.git", "file://***@localhost/srv/r.git");
	/* Nothing to hide: as written, not normalised. */
	check_redact("https://example.com/o/r.git", "https://example.com/o/r.git");
	check_redact("file:///srv/git/r.git", "file:///srv/git/r.git");
	check_redact("/srv/git/r.git", "/srv/git/r.git");
	check_redact("git@github.com:o/r.git", "git@github.com:o/r.git");
	/* An '@' in the path is no userinfo. */
	check_redact("https://example.com/a@b/r.git", "https://example.com/a@b/r.git");
}

/* Checks url_secrets(url) against the password and token expected (or NULL). */
static void
check_secrets(const char *url, const char *password, const char *token)
{
	char *s[2];

	url_secrets(url, s);
	if (password == NULL)
		assert_null(s[0]);
	else
		assert_string_equal(s[0], password);
	if (token == NULL)
		assert_null(s[1]);
	else
		assert_string_equal(s[1], token);
	free(s[0]);
	free(s[1]);
}

static void
test_secrets(void **state)
{
	check_secrets("https://deploy:s3cretpw@example.com/r.git", "s3cretpw", NULL);
	check_secrets("https://ghp_0123456789abcdefXYZ:x-oauth-basic@github.com/r.git",
	    "x-oauth-basic", "ghp_0123456789abcdefXYZ");
	check_secrets("https://glpat-abcd@gitlab.com/r.git", NULL, "glpat-abcd");
	/* Written as in the URL: git prints it percent-encoded. */
	check_secrets("https://u:p%40ss@example.com/r.git", "p%40ss", NULL);
	/* Short words are not secrets: logs are full of them. */
	check_secrets("ssh://git@example.com/r.git", NULL, NULL);
	check_secrets("https://u:abc@example.com/r.git", NULL, NULL);
	check_secrets("file://deploy:s3cretpw@localhost/srv/r.git", "s3cretpw", NULL);
	check_secrets("/srv/git/r.git", NULL, NULL);
	check_secrets("https://example.com/r.git", NULL, NULL);
}

static void
test_expand(void **state)
{
	char *got =
	    url_expand("http://127.0.0.1:$TURNOUT_PORT/health?c=${TURNOUT_COLOR}", 8082, "green");

	assert_string_equal(got, "http://127.0.0.1:8082/health?c=green");
	free(got);
	got = url_expand("http://h:${TURNOUT_PORT}/$TURNOUT_COLOR/$TURNOUT_COLOR", 1, "blue");
	assert_string_equal(got, "http://h:1/blue/blue");
	free(got);
	got = url_expand("http://h/plain", 1, "blue");
	assert_string_equal(got, "http://h/plain");
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_expand),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
