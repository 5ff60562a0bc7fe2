/* Checks hex digits and commit ids, and parses decimal numbers, to the end of the text. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "banned.h"

int
ids_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Counts the hex digits that start s; with lower_only, A-F end the run. */
static size_t
ids_hex_span(const char *s, int lower_only)
{
	size_t n = 0;

	while (ids_hex_value(s[n]) >= 0 && !(lower_only && s[n] >= 'A' && s[n] <= 'F'))
		n++;
	return n;
}

int
ids_is_hex(const char *s, size_t ndigits)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = ids_hex_span(s, 0);
	return n > 0 && s[n] == '\0' && (ndigits == 0 || n == ndigits);
}

int
ids_is_commit(const char *s, int flags)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = ids_hex_span(s, (flags & IDS_LOWER) != 0);
	if (s[n] != '\0')
		return 0;
	if (flags & IDS_ABBREV)
		return n >= IDS_ABBREV_MIN && n <= IDS_SHA256_LEN;
	return n == IDS_SHA1_LEN || n == IDS_SHA256_LEN;
}

void
ids_hex_lower(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'F')
			*s = (char)(*s - 'A' + 'a');
	}
}

void
ids_hex_encode(const unsigned char *raw, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
ids_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int
ids_parse_long(const char *s, long min, long max, long *out)
{
	int64_t n;

	if (ids_parse_int64(s, min, max, &n) != 0)
		return -1;
	*out = (long)n;
	return 0;
}

int
ids_parse_digits(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int d = s[i] - '0';

		if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
