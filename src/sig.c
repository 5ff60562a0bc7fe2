/* sig: HMAC, token and Standard Webhooks proofs, compared in constant time (see sig.h). */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ids.h"
#include "sig.h"
#include "xmalloc.h"
#include "banned.h"

#define SIG_RAW_LEN 32 /* bytes of an HMAC-SHA256 */
#define SIG_HEX_LEN (2 * SIG_RAW_LEN)
#define SIG_B64_LEN 44 /* base64 of 32 bytes, one '=' */
#define SIG_WHSEC "whsec_"
#define SIG_STD_VERSION "v1,"

/*
 * HMAC() wants non-NULL pointers even for empty input, so empty keys and
 * messages point here instead.
 */
static const unsigned char sig_empty[1];

/* Computes the raw HMAC-SHA256 of msg under key; returns 0 or -1. */
static int
sig_hmac_raw(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[SIG_RAW_LEN])
{
	unsigned int outlen = 0;

	if (keylen > INT_MAX)
		return -1;
	if (key == NULL || keylen == 0)
		key = sig_empty;
	if (msg == NULL || len == 0)
		msg = sig_empty;
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &outlen) == NULL ||
	    outlen != SIG_RAW_LEN)
		return -1;
	return 0;
}

void
sig_hmac_hex(const void *key, size_t keylen, const void *msg, size_t len, char out[65])
{
	unsigned char raw[SIG_RAW_LEN];

	/* On failure out is empty, which never equals a 64-digit signature. */
	out[0] = '\0';
	if (sig_hmac_raw(key, keylen, msg, len, raw) != 0)
		return;
	ids_hex_encode(raw, SIG_RAW_LEN, out);
	OPENSSL_cleanse(raw, sizeof raw);
}

/* Compares two buffers of known lengths without leaking their content. */
static int
sig_equal_len(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

int
sig_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return sig_equal_len(a, strlen(a), b, strlen(b));
}

int
sig_check_hex(const char *const *secrets, const char *prefix, const char *header, const void *body,
    size_t len)
{
	char got[SIG_HEX_LEN + 1], want[SIG_HEX_LEN + 1];
	size_t plen;
	int ok = 0;

	if (secrets == NULL || header == NULL)
		return -1;
	plen = prefix == NULL ? 0 : strlen(prefix);
	if (strncmp(header, prefix == NULL ? "" : prefix, plen) != 0)
		return -1;
	header += plen;
	if (!ids_is_hex(header, SIG_HEX_LEN))
		return -1;
	memcpy(got, header, sizeof got);
	ids_hex_lower(got);

	/* Try every secret, without stopping at the first match. */
	for (size_t i = 0; secrets[i] != NULL; i++) {
		if (*secrets[i] == '\0')
			continue;
		sig_hmac_hex(secrets[i], strlen(secrets[i]), body, len, want);
		ok |= sig_equal_len(got, strlen(got), want, strlen(want));
	}
	OPENSSL_cleanse(want, sizeof want);
	return ok ? 0 : -1;
}

int
sig_check_token(const char *const *secrets, const char *token)
{
	int ok = 0;

	if (secrets == NULL || token == NULL)
		return -1;
	for (size_t i = 0; secrets[i] != NULL; i++) {
		if (*secrets[i] == '\0')
			continue;
		ok |= sig_equal(secrets[i], token);
	}
	return ok ? 0 : -1;
}

/* Returns 1 if c is in the standard base64 alphabet (padding excluded). */
static int
sig_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/';
}

/* Returns the size of the buffer sig_b64_decode needs for text. */
static size_t
sig_b64_size(const char *text)
{
	return strlen(text) / 4 * 3 + 1;
}

/*
 * Decodes strict base64 text into out (of sig_b64_size(text) bytes) and
 * sets *outlen. EVP_DecodeBlock is lenient (it skips surrounding
 * whitespace, takes '=' anywhere in the last group and counts padding into
 * its result), so the text is checked first: whole groups of four, alphabet
 * characters, and at most two '=' at the very end. Returns 0, or -1 for
 * invalid or empty text.
 */
static int
sig_b64_decode(const char *text, unsigned char *out, size_t *outlen)
{
	size_t n = strlen(text), pad = 0;
	int r;

	if (n == 0 || n % 4 != 0 || n > INT_MAX)
		return -1;
	if (text[n - 1] == '=')
		pad = text[n - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < n - pad; i++) {
		if (!sig_b64_char(text[i]))
			return -1;
	}
	r = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);
	if (r < 0 || (size_t)r != n / 4 * 3)
		return -1;
	*outlen = (size_t)r - pad;
	return 0;
}

/* Returns 1 if ts is within SIG_STD_TOLERANCE seconds of now. */
static int
sig_timestamp_fresh(intmax_t ts, time_t now)
{
	intmax_t n = (intmax_t)now;

	/*
	 * Only values known to be at least 0 lose the tolerance, so nothing
	 * overflows whatever now is: ts >= 0, and n > ts in the second case.
	 */
	if (ts >= n)
		return ts - SIG_STD_TOLERANCE <= n;
	return n - SIG_STD_TOLERANCE <= ts;
}

/*
 * Compares every "v1," entry of a space-separated signature header with
 * want (base64 text of SIG_B64_LEN characters). Entries of other versions
 * are ignored. Returns 1 on a match; *seen is set when a v1 entry exists.
 */
static int
sig_std_match(const char *header, const char *want, int *seen)
{
	size_t vlen = strlen(SIG_STD_VERSION), elen;
	int ok = 0;

	while (*header != '\0') {
		if (*header == ' ') {
			header++;
			continue;
		}
		elen = strcspn(header, " ");
		if (elen > vlen && strncmp(header, SIG_STD_VERSION, vlen) == 0) {
			*seen = 1;
			ok |= sig_equal_len(header + vlen, elen - vlen, want, SIG_B64_LEN);
		}
		header += elen;
	}
	return ok;
}

/*
 * What a Standard Webhooks signature covers: exactly "ID.TIMESTAMP.BODY",
 * new, its length in *msglen. NULL when the sizes would overflow.
 */
static unsigned char *
sig_std_message(const char *id, const char *timestamp, const void *body, size_t len, size_t *msglen)
{
	size_t idlen = strlen(id), tslen = strlen(timestamp);
	unsigned char *msg;

	if (len > SIZE_MAX - idlen - tslen - 2)
		return NULL;
	*msglen = idlen + 1 + tslen + 1 + len;
	msg = xmalloc(*msglen);
	memcpy(msg, id, idlen);
	msg[idlen] = '.';
	memcpy(msg + idlen + 1, timestamp, tslen);
	msg[idlen + 1 + tslen] = '.';
	if (len != 0)
		memcpy(msg + idlen + tslen + 2, body, len);
	return msg;
}

int
sig_check_standard(const char *const *secrets, const char *id, const char *timestamp,
    const char *header, const void *body, size_t len, time_t now, const char **cause)
{
	const char *why = NULL;
	unsigned char raw[SIG_RAW_LEN], want[SIG_B64_LEN + 1];
	unsigned char *msg = NULL, *key;
	size_t msglen, keysize, keylen, wlen = strlen(SIG_WHSEC);
	int64_t ts;
	int ok = 0, seen = 0, nwhsec = 0, nkeys = 0;

	if (secrets == NULL) {
		why = "no whsec_ secret configured";
		goto out;
	}
	if (id == NULL || *id == '\0') {
		why = "missing webhook id";
		goto out;
	}
	if (timestamp == NULL) {
		why = "missing webhook timestamp";
		goto out;
	}
	if (header == NULL) {
		why = "missing webhook signature";
		goto out;
	}
	if (ids_parse_digits(timestamp, strlen(timestamp), 0, INT64_MAX, &ts) != 0) {
		why = "malformed timestamp";
		goto out;
	}
	if (!sig_timestamp_fresh(ts, now)) {
		why = "stale timestamp";
		goto out;
	}

	if ((msg = sig_std_message(id, timestamp, body, len, &msglen)) == NULL) {
		why = "body too large";
		goto out;
	}

	for (size_t i = 0; secrets[i] != NULL; i++) {
		if (strncmp(secrets[i], SIG_WHSEC, wlen) != 0)
			continue;
		nwhsec++;
		keysize = sig_b64_size(secrets[i] + wlen);
		key = xmalloc(keysize);
		if (sig_b64_decode(secrets[i] + wlen, key, &keylen) == 0) {
			nkeys++;
			if (sig_hmac_raw(key, keylen, msg, msglen, raw) == 0 &&
			    EVP_EncodeBlock(want, raw, SIG_RAW_LEN) == SIG_B64_LEN)
				ok |= sig_std_match(header, (const char *)want, &seen);
		}
		OPENSSL_cleanse(key, keysize);
		free(key);
	}
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(want, sizeof want);

	if (nwhsec == 0)
		why = "no whsec_ secret configured";
	else if (nkeys == 0)
		why = "invalid whsec_ secret";
	else if (!seen)
		why = "no v1 signature";
	else if (!ok)
		why = "bad signature";

out:
	free(msg);
	if (cause != NULL)
		*cause = why;
	return why == NULL ? 0 : -1;
}

int
sig_whsec_valid(const char *secret)
{
	size_t wlen = strlen(SIG_WHSEC), keysize, keylen;
	unsigned char *key;
	int ok;

	if (strncmp(secret, SIG_WHSEC, wlen) != 0 || secret[wlen] == '\0')
		return 0;
	keysize = sig_b64_size(secret + wlen);
	key = xmalloc(keysize);
	ok = sig_b64_decode(secret + wlen, key, &keylen) == 0 && keylen > 0;
	OPENSSL_cleanse(key, keysize);
	free(key);
	return ok;
}

int
sig_sign_standard(const char *secret, const char *id, const char *timestamp, const void *body,
    size_t len, char out[SIG_STD_HEADER_LEN])
{
	size_t wlen = strlen(SIG_WHSEC), keysize, keylen;
	size_t msglen;
	unsigned char raw[SIG_RAW_LEN], b64[SIG_B64_LEN + 1], *key, *msg;
	int rc = -1;

	if (!sig_whsec_valid(secret) ||
	    (msg = sig_std_message(id, timestamp, body, len, &msglen)) == NULL)
		return -1;
	keysize = sig_b64_size(secret + wlen);
	key = xmalloc(keysize);
	if (sig_b64_decode(secret + wlen, key, &keylen) == 0 &&
	    sig_hmac_raw(key, keylen, msg, msglen, raw) == 0 &&
	    EVP_EncodeBlock(b64, raw, SIG_RAW_LEN) == SIG_B64_LEN) {
		snprintf(out, SIG_STD_HEADER_LEN, "%s%s", SIG_STD_VERSION, (const char *)b64);
		rc = 0;
	}
	OPENSSL_cleanse(key, keysize);
	OPENSSL_cleanse(raw, sizeof raw);
	free(key);
	free(msg);
	return rc;
}
