/* when: the times turnout freeze --until takes (see when.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ids.h"
#include "when.h"
#include "banned.h"

#define WHEN_USAGE \
	"give a span such as 30m, 2h or 3d, or a time with its zone such as" \
	" 2026-12-24T18:00Z or 2026-12-24T18:00+01:00"

/* Reads n digits at s as a number from min to max into *v; returns 0 or -1. */
static int
digits(const char *s, size_t n, int min, int max, int *v)
{
	int64_t x;

	if (strlen(s) < n || ids_parse_digits(s, n, min, max, &x) != 0)
		return -1;
	*v = (int)x;
	return 0;
}

/* "90s", "30m", "2h", "7d": returns the span in ms, or -1. */
static int64_t
span(const char *s)
{
	size_t n = strlen(s);
	int64_t x, unit;

	if (n < 2 || n > 9)
		return -1;
	switch (s[n - 1]) {
	case 's':
		unit = 1000;
		break;
	case 'm':
		unit = 60 * 1000;
		break;
	case 'h':
		unit = 3600 * 1000;
		break;
	case 'd':
		unit = 86400 * 1000;
		break;
	default:
		return -1;
	}
	if (ids_parse_digits(s, n - 1, 1, 99999999, &x) != 0)
		return -1;
	return x * unit;
}

/* RFC 3339 with a zone, seconds optional: returns ms since the epoch, or -1. */
static int64_t
rfc3339(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec = 0, zh = 0, zm = 0, sign = 0;
	struct tm tm;
	time_t t;

	if (digits(s, 4, 1970, 9999, &y) != 0 || s[4] != '-' || digits(s + 5, 2, 1, 12, &mo) != 0 ||
	    s[7] != '-' || digits(s + 8, 2, 1, mdays[mo - 1], &d) != 0 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, 0, 23, &h) != 0 ||
	    s[13] != ':' || digits(s + 14, 2, 0, 59, &mi) != 0)
		return -1;
	s += 16;
	if (*s == ':') {
		if (digits(s + 1, 2, 0, 60, &sec) != 0)
			return -1;
		s += 3;
		if (*s == '.') /* fractions of a second: dropped */
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s == '+' ? 1 : -1;
		if (digits(s + 1, 2, 0, 23, &zh) != 0 || s[3] != ':' ||
		    digits(s + 4, 2, 0, 59, &zm) != 0)
			return -1;
		s += 6;
	} else
		return -1;
	if (*s != '\0')
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec > 59 ? 59 : sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d) /* Feb 29 of a year without one */
		return -1;
	return ((int64_t)t - sign * (zh * 3600 + zm * 60)) * 1000;
}

int
when_parse(const char *s, int64_t now_ms, int64_t *out_ms, const char **why)
{
	int64_t t, d = span(s);

	if (d > 0)
		t = d > WHEN_MAX_AHEAD_MS ? -1 : now_ms + d;
	else if ((t = rfc3339(s)) < 0) {
		*why = WHEN_USAGE;
		return -1;
	}
	if (t < 0 || t - now_ms > WHEN_MAX_AHEAD_MS) {
		*why = "that is more than 366 days ahead";
		return -1;
	}
	if (t <= now_ms) {
		*why = "that time has passed";
		return -1;
	}
	*out_ms = t;
	return 0;
}

void
when_format(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
