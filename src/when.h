/*
 * when: a time a person types, as turnout freeze --until takes it: a span
 * from now ("90s", "30m", "2h", "7d") or an RFC 3339 time with its zone
 * ("2026-12-24T18:00Z", "2026-12-24 18:00:00+01:00"). A time without a
 * zone is refused rather than guessed: the CLI and the daemon may not
 * share one.
 */
#ifndef TURNOUT_WHEN_H
#define TURNOUT_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* The furthest ahead a time may be: a freeze for longer is a mistake. */
#define WHEN_MAX_AHEAD_MS (366LL * 86400 * 1000)

/* Room for when_format's text and its NUL. */
#define WHEN_LEN 24

/*
 * Parses s against now_ms (ms since the epoch) into *out_ms. Returns 0, or
 * -1 with *why saying what to type (a static string) when s is no such
 * time, is not after now, or is more than WHEN_MAX_AHEAD_MS ahead.
 */
int when_parse(const char *s, int64_t now_ms, int64_t *out_ms, const char **why);

/* Writes ms since the epoch as "2026-12-24T17:00:00Z" into buf (WHEN_LEN bytes or more). */
void when_format(int64_t ms, char *buf, size_t size);

#endif
