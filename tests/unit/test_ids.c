/* Unit tests for ids.c: hex digits, commit ids and whole numbers, taken and refused. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "ids.h"
#include "banned.h"

#define SHA1 "4df1b8ab68721205c0ffee00112233445566778f"
#define SHA256 SHA1 "0123456789abcdef01234567"
#define UPPER "4DF1B8AB68721205C0FFEE00112233445566778F"

/* A string of n copies of c, for the length ends. */
static const char *
repeat(char c, size_t n)
{
	static char buf[128];

	assert_true(n < sizeof buf);
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void
test_hex_value(void **state)
{
	assert_int_equal(ids_hex_value('0'), 0);
	assert_int_equal(ids_hex_value('9'), 9);
	assert_int_equal(ids_hex_value('a'), 10);
	assert_int_equal(ids_hex_value('f'), 15);
	assert_int_equal(ids_hex_value('A'), 10);
	assert_int_equal(ids_hex_value('F'), 15);
	assert_int_equal(ids_hex_value('g'), -1);
	assert_int_equal(ids_hex_value('G'), -1);
	assert_int_equal(ids_hex_value('/'), -1);
	assert_int_equal(ids_hex_value(':'), -1);
	assert_int_equal(ids_hex_value('\0'), -1);
	assert_int_equal(ids_hex_value(' '), -1);
}

static void
test_is_hex(void **state)
{
	assert_true(ids_is_hex("0", 0));
	assert_true(ids_is_hex("deadBEEF", 0));
	assert_true(ids_is_hex("deadBEEF", 8));
	assert_true(ids_is_hex(SHA256, 64));
	assert_false(ids_is_hex(SHA256, 63));
	assert_false(ids_is_hex(SHA1, 64));
	assert_false(ids_is_hex("", 0));
	assert_false(ids_is_hex(NULL, 0));
	assert_false(ids_is_hex("abc ", 0));
	assert_false(ids_is_hex(" abc", 0));
	assert_false(ids_is_hex("abcg", 0));
	assert_false(ids_is_hex("0x12", 0));
	assert_false(ids_is_hex("-1", 0));
}

static void
test_is_commit_full(void **state)
{
	assert_true(ids_is_commit(SHA1, 0));
	assert_true(ids_is_commit(SHA256, 0));
	assert_true(ids_is_commit(UPPER, 0));
	assert_true(ids_is_commit(repeat('0', 40), 0));
	assert_false(ids_is_commit(repeat('a', 39), 0));
	assert_false(ids_is_commit(repeat('a', 41), 0));
	assert_false(ids_is_commit(repeat('a', 63), 0));
	assert_false(ids_is_commit(repeat('a', 65), 0));
	assert_false(ids_is_commit("abcd", 0));
	assert_false(ids_is_commit("", 0));
	assert_false(ids_is_commit(NULL, 0));
	assert_false(ids_is_commit(SHA1 " ", 0));
	assert_false(ids_is_commit(repeat('g', 40), 0));
}

static void
test_is_commit_abbrev(void **state)
{
	assert_true(ids_is_commit("abcd", IDS_ABBREV));
	assert_true(ids_is_commit("ABCD", IDS_ABBREV));
	assert_true(ids_is_commit(SHA1, IDS_ABBREV));
	assert_true(ids_is_commit(repeat('f', 41), IDS_ABBREV));
	assert_true(ids_is_commit(repeat('f', 64), IDS_ABBREV));
	assert_false(ids_is_commit(repeat('f', 65), IDS_ABBREV));
	assert_false(ids_is_commit("abc", IDS_ABBREV));
	assert_false(ids_is_commit("", IDS_ABBREV));
	assert_false(ids_is_commit("abcx", IDS_ABBREV));
	assert_false(ids_is_commit("main", IDS_ABBREV));
	assert_false(ids_is_commit("HEAD~1", IDS_ABBREV));
}

static void
test_is_commit_lower(void **state)
{
	assert_true(ids_is_commit(SHA1, IDS_LOWER));
	assert_true(ids_is_commit(SHA256, IDS_LOWER));
	assert_false(ids_is_commit(UPPER, IDS_LOWER));
	assert_false(ids_is_commit("4Df1b8ab68721205c0ffee00112233445566778f", IDS_LOWER));
	assert_false(ids_is_commit("abcd", IDS_LOWER));
	assert_true(ids_is_commit("abcd", IDS_LOWER | IDS_ABBREV));
	assert_false(ids_is_commit("abcD", IDS_LOWER | IDS_ABBREV));
}

static void
test_hex_lower(void **state)
{
	char s[] = "0aF9-BcG";

	ids_hex_lower(s);
	assert_string_equal(s, "0af9-bcG");
}

static void
test_hex_encode(void **state)
{
	static const unsigned char raw[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof raw + 1];

	memset(out, 'x', sizeof out);
	ids_hex_encode(raw, sizeof raw, out);
	assert_string_equal(out, "00017f80abff");
	ids_hex_encode(raw, 0, out);
	assert_string_equal(out, "");
}

/* One parse: the text (and for ids_parse_digits its length), the range, the outcome. */
struct num_case {
	const char *s;
	size_t len;
	int64_t min, max;
	int rc;
	int64_t want; /* *out after a 0 */
};

/* Accepted, then refused: range ends, a sign or space, junk, overflow, nothing. */
static const struct num_case int64_cases[] = {
	{ "42", 0, 1, 100, 0, 42 },
	{ "1", 0, 1, 100, 0, 1 },
	{ "100", 0, 1, 100, 0, 100 },
	{ "-5", 0, -5, 5, 0, -5 },
	{ " +12", 0, 1, 100, 0, 12 }, /* as strtoll reads it */
	{ "007", 0, 0, 100, 0, 7 },
	{ "9223372036854775807", 0, 1, INT64_MAX, 0, INT64_MAX },
	{ "-9223372036854775808", 0, INT64_MIN, 0, 0, INT64_MIN },
	{ "0", 0, 1, 100, -1, 0 },
	{ "101", 0, 1, 100, -1, 0 },
	{ "-1", 0, 1, 100, -1, 0 },
	{ "", 0, 1, 100, -1, 0 },
	{ " ", 0, 1, 100, -1, 0 },
	{ "-", 0, 1, 100, -1, 0 },
	{ "5x", 0, 1, 100, -1, 0 },
	{ "5 ", 0, 1, 100, -1, 0 },
	{ "0x10", 0, 0, 100, -1, 0 },
	{ "1e3", 0, 0, 10000, -1, 0 },
	{ "9223372036854775808", 0, 1, INT64_MAX, -1, 0 },
	{ "-9223372036854775809", 0, INT64_MIN, 0, -1, 0 },
	{ "99999999999999999999", 0, 1, INT64_MAX, -1, 0 },
};

/* ids_parse_long as the config's ports and seconds use it. */
static const struct num_case long_cases[] = {
	{ "65535", 0, 0, 65535, 0, 65535 },
	{ "0", 0, 0, 65535, 0, 0 },
	{ "-1", 0, LONG_MIN, LONG_MAX, 0, -1 },
	{ "65536", 0, 0, 65535, -1, 0 },
	{ "-1", 0, 0, 65535, -1, 0 },
	{ "", 0, 0, 65535, -1, 0 },
	{ "80a", 0, 0, 65535, -1, 0 },
	{ "abc", 0, 0, 65535, -1, 0 },
	{ "99999999999999999999", 0, LONG_MIN, LONG_MAX, -1, 0 },
};

/* Digits only; len says how much of s counts, as for a URL segment. */
static const struct num_case digits_cases[] = {
	{ "42", 2, 1, 100, 0, 42 },
	{ "0", 1, 0, 0, 0, 0 },
	{ "007", 3, 1, 100, 0, 7 },
	{ "12/log", 2, 1, INT64_MAX, 0, 12 },
	{ "9223372036854775807", 19, 0, INT64_MAX, 0, INT64_MAX },
	{ "", 0, 0, 100, -1, 0 },
	{ "12/log", 0, 0, 100, -1, 0 },
	{ "12/log", 3, 0, 100, -1, 0 },
	{ "0", 1, 1, 100, -1, 0 },
	{ "101", 3, 1, 100, -1, 0 },
	{ "+1", 2, 0, 100, -1, 0 },
	{ "-1", 2, -5, 100, -1, 0 },
	{ " 1", 2, 0, 100, -1, 0 },
	{ "1 ", 2, 0, 100, -1, 0 },
	{ "1a", 2, 0, 100, -1, 0 },
	{ "9223372036854775808", 19, 0, INT64_MAX, -1, 0 },
	{ "99999999999999999999", 20, 0, INT64_MAX, -1, 0 },
};

enum parser { PARSE_INT64, PARSE_LONG, PARSE_DIGITS };

/* Runs c through one parser; returns its result, *out as it left it. */
static int
parse(enum parser p, const struct num_case *c, int64_t *out)
{
	long l = (long)*out;
	int rc;

	switch (p) {
	case PARSE_INT64:
		return ids_parse_int64(c->s, c->min, c->max, out);
	case PARSE_LONG:
		rc = ids_parse_long(c->s, (long)c->min, (long)c->max, &l);
		*out = l;
		return rc;
	case PARSE_DIGITS:
		return ids_parse_digits(c->s, c->len, c->min, c->max, out);
	}
	return -2;
}

/* Checks every case: the result, *out set after a 0 and untouched after a -1. */
static void
check_cases(enum parser p, const struct num_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct num_case *c = &cases[i];
		int64_t out = 7;
		int rc = parse(p, c, &out);

		if (rc != c->rc || out != (c->rc == 0 ? c->want : 7))
			fail_msg("'%s' (len %zu) in [%lld, %lld]: got %d and %lld", c->s, c->len,
			    (long long)c->min, (long long)c->max, rc, (long long)out);
	}
}

static void
test_parse_int64(void **state)
{
	check_cases(PARSE_INT64, int64_cases, sizeof int64_cases / sizeof int64_cases[0]);
}

static void
test_parse_long(void **state)
{
	check_cases(PARSE_LONG, long_cases, sizeof long_cases / sizeof long_cases[0]);
}

static void
test_parse_digits(void **state)
{
	check_cases(PARSE_DIGITS, digits_cases, sizeof digits_cases / sizeof digits_cases[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_value),
		cmocka_unit_test(test_is_hex),
		cmocka_unit_test(test_is_commit_full),
		cmocka_unit_test(test_is_commit_abbrev),
		cmocka_unit_test(test_is_commit_lower),
		cmocka_unit_test(test_hex_lower),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_parse_int64),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_digits),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("ids", tests, NULL, NULL);
}
