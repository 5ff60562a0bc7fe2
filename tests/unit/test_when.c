/* Unit tests for when.c: the spans and RFC 3339 times freeze --until takes, and what it refuses. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "when.h"
#include "banned.h"

/* 2026-12-03T14:00:00Z */
#define NOW (1796306400LL * 1000)

static int64_t
parsed(const char *s)
{
	const char *why = NULL;
	int64_t t = -1;

	assert_int_equal(when_parse(s, NOW, &t, &why), 0);
	assert_null(why);
	return t;
}

/* Refused, with a reason that contains want. */
static void
refused(const char *s, const char *want)
{
	const char *why = NULL;
	int64_t t = 42;

	assert_int_equal(when_parse(s, NOW, &t, &why), -1);
	assert_int_equal(t, 42);
	assert_non_null(why);
	assert_non_null(strstr(why, want));
}

static void
test_spans(void **state)
{
	(void)state;
	assert_int_equal(parsed("90s"), NOW + 90 * 1000);
	assert_int_equal(parsed("30m"), NOW + 30 * 60 * 1000);
	assert_int_equal(parsed("2h"), NOW + 2 * 3600 * 1000);
	assert_int_equal(parsed("7d"), NOW + 7LL * 86400 * 1000);
	assert_int_equal(parsed("366d"), NOW + 366LL * 86400 * 1000);
	refused("367d", "366 days");
	refused("0m", "give a span");
	refused("5", "give a span");
	refused("h", "give a span");
	refused("-5m", "give a span");
	refused("5 m", "give a span");
	refused("5w", "give a span");
	refused("", "give a span");
}

static void
test_times(void **state)
{
	(void)state;
	assert_int_equal(parsed("2026-12-03T18:00Z"), NOW + 4 * 3600 * 1000);
	assert_int_equal(parsed("2026-12-03T18:00:30Z"), NOW + (4 * 3600 + 30) * 1000);
	assert_int_equal(parsed("2026-12-03 18:00:30.250z"), NOW + (4 * 3600 + 30) * 1000);
	assert_int_equal(parsed("2026-12-03T18:00+01:00"), NOW + 3 * 3600 * 1000);
	assert_int_equal(parsed("2026-12-03T13:00-02:30"), NOW + 90 * 60 * 1000);
	assert_int_equal(parsed("2027-01-31T23:59:59Z"), (1801439999LL) * 1000);
	refused("2026-12-03T18:00", "with its zone");
	refused("2026-12-03", "with its zone");
	refused("2026-13-03T18:00Z", "with its zone");
	refused("2027-02-29T18:00Z", "with its zone");
	refused("2026-12-32T18:00Z", "with its zone");
	refused("2026-12-03T24:00Z", "with its zone");
	refused("2026-12-03T18:00Z junk", "with its zone");
	refused("2026-12-03T18:00+1:00", "with its zone");
	refused("2026-12-03T13:59Z", "has passed");
	refused("2026-12-03T14:00Z", "has passed");
	refused("2020-01-01T00:00Z", "has passed");
	refused("2030-01-01T00:00Z", "366 days");
}

static void
test_format(void **state)
{
	char buf[WHEN_LEN];

	(void)state;
	when_format(NOW + 1500, buf, sizeof buf);
	assert_string_equal(buf, "2026-12-03T14:00:01Z");
	assert_int_equal(parsed("2026-12-03T18:00:00Z"), parsed("4h"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_format),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("when", tests, NULL, NULL);
}
