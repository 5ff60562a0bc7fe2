/*
 * Ids and numbers read from outside text (a URL, a header, a payload, a
 * config value, the command line): hex digits, commit ids and decimal
 * numbers, each checked to the end of its text and never overflowing.
 * Nothing here allocates; every function only borrows its arguments.
 */
#ifndef TURNOUT_IDS_H
#define TURNOUT_IDS_H

#include <stddef.h>
#include <stdint.h>

#define IDS_SHA1_LEN 40   /* hex digits of a SHA-1 object id */
#define IDS_SHA256_LEN 64 /* hex digits of a SHA-256 object id */
#define IDS_ABBREV_MIN 4  /* git's shortest abbreviation */

/* Flags of ids_is_commit(). */
#define IDS_ABBREV 0x1 /* an abbreviation will do: 4 to 64 digits */
#define IDS_LOWER 0x2  /* lowercase digits only, as git prints them */

/* Returns the value of the hex digit c (either case), or -1. */
int ids_hex_value(char c);

/*
 * Returns 1 when s is hex digits (either case) and nothing else, exactly
 * ndigits of them, or when ndigits is 0 any number from one; else 0, also
 * for NULL.
 */
int ids_is_hex(const char *s, size_t ndigits);

/*
 * Returns 1 when s is a full commit id, SHA-1 or SHA-256 (exactly 40 or 64
 * hex digits, either case); with IDS_ABBREV, 4 to 64 digits; with IDS_LOWER,
 * lowercase digits only. Else 0, also for NULL.
 */
int ids_is_commit(const char *s, int flags);

/* Turns the hex digits A-F of s into a-f, in place; other bytes stay. */
void ids_hex_lower(char *s);

/* Writes the n bytes at raw as 2n lowercase hex digits and a NUL into out. */
void ids_hex_encode(const unsigned char *raw, size_t n, char *out);

/*
 * Parses all of s as a decimal number, as strtoll() reads one (white space
 * and a sign may lead). Returns 0 with *out set when it is a number from
 * min to max with nothing after it; -1, *out untouched, when s is empty,
 * holds anything else, overflows or is out of range.
 */
int ids_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);
int ids_parse_long(const char *s, long min, long max, long *out);

/*
 * Parses the len bytes at s (no NUL needed) as decimal digits and nothing
 * else: no sign, no white space, at least one digit. Returns 0 with *out
 * set when their value is from min to max; -1, *out untouched, otherwise
 * (also when it would overflow).
 */
int ids_parse_digits(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

#endif
