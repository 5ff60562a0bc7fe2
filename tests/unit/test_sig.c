#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sig.h"
#include "banned.h"

/* GitHub's example from its docs, "Validating webhook deliveries". */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY "Hello, World!"
#define GH_HEX "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
#define GH_HEADER "sha256=" GH_HEX

/*
 * Standard Webhooks vector, the spec's example key. Computed independently:
 *   K=$(printf '%s' 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' | base64 -d | xxd -p -c 256)
 *   printf '%s' 'msg_1.1700000000.{"a":1}' \
 *     | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K -binary | base64
 */
#define STD_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define STD_ID "msg_1"
#define STD_TS "1700000000"
#define STD_NOW ((time_t)1700000000)
#define STD_BODY "{\"a\":1}"
#define STD_SIG "hVsFLpmw4Ib/Xm0eZLt3KqYBZdt0U8gdGeuz0EsGv78="

/* A well-formed whsec_ key that is not the one used to sign. */
#define STD_OTHER "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/* Checks the GitHub vector through a one-secret list. */
static int
check_gh(const char *secret, const char *prefix, const char *header)
{
	const char *secrets[] = { secret, NULL };

	return sig_check_hex(secrets, prefix, header, GH_BODY, strlen(GH_BODY));
}

/* Checks the Standard Webhooks vector with the given parts. */
static int
check_std(const char *const *secrets, const char *ts, const char *header, time_t now,
    const char **cause)
{
	return sig_check_standard(secrets, STD_ID, ts, header, STD_BODY, strlen(STD_BODY), now,
	    cause);
}

/* sig_hmac_hex gives the GitHub vector and RFC 4231 test case 2. */
static void
test_hmac_hex(void **state)
{
	char out[65];

	sig_hmac_hex(GH_SECRET, strlen(GH_SECRET), GH_BODY, strlen(GH_BODY), out);
	assert_string_equal(out, GH_HEX);
	sig_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, out);
	assert_string_equal(out,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* The GitHub documentation vector is accepted. */
static void
test_hex_github_vector(void **state)
{
	assert_int_equal(check_gh(GH_SECRET, "sha256=", GH_HEADER), 0);
}

/* A changed digit, a wrong secret or a changed body are rejected. */
static void
test_hex_wrong(void **state)
{
	const char *secrets[] = { GH_SECRET, NULL };
	char header[] = GH_HEADER;

	/* Flip the last digit. */
	header[sizeof header - 2] = header[sizeof header - 2] == '0' ? '1' : '0';
	assert_int_equal(check_gh(GH_SECRET, "sha256=", header), -1);
	assert_int_equal(check_gh("It's a secret to everybody", "sha256=", GH_HEADER), -1);
	assert_int_equal(sig_check_hex(secrets, "sha256=", GH_HEADER, "Hello, World?", 13), -1);
	/* Only len bytes of the body count. */
	assert_int_equal(sig_check_hex(secrets, "sha256=", GH_HEADER, GH_BODY, strlen(GH_BODY) - 1),
	    -1);
	assert_int_equal(sig_check_hex(secrets, "sha256=", GH_HEADER, GH_BODY "\n",
			     strlen(GH_BODY)),
	    0);
}

/* Uppercase hex digits are accepted. */
static void
test_hex_uppercase(void **state)
{
	char header[] = GH_HEADER;

	for (size_t i = strlen("sha256="); header[i] != '\0'; i++) {
		if (header[i] >= 'a' && header[i] <= 'f')
			header[i] = (char)(header[i] - 'a' + 'A');
	}
	assert_string_not_equal(header, GH_HEADER);
	assert_int_equal(check_gh(GH_SECRET, "sha256=", header), 0);
}

/* A required prefix must be there, exactly. */
static void
test_hex_prefix_required(void **state)
{
	assert_int_equal(check_gh(GH_SECRET, "sha256=", GH_HEX), -1);
	assert_int_equal(check_gh(GH_SECRET, "sha256=", "sha1=" GH_HEX), -1);
	assert_int_equal(check_gh(GH_SECRET, "sha256=", "SHA256=" GH_HEX), -1);
	assert_int_equal(check_gh(GH_SECRET, "sha256=", "sha256 " GH_HEX), -1);
}

/* Hex of the wrong length or with other characters is rejected. */
static void
test_hex_malformed(void **state)
{
	char header[] = GH_HEADER;

	/* Truncated by one digit, by half, to nothing. */
	header[sizeof header - 2] = '\0';
	assert_int_equal(check_gh(GH_SECRET, "sha256=", header), -1);
	header[strlen("sha256=") + 32] = '\0';
	assert_int_equal(check_gh(GH_SECRET, "sha256=", header), -1);
	assert_int_equal(check_gh(GH_SECRET, "sha256=", "sha256="), -1);
	assert_int_equal(check_gh(GH_SECRET, "sha256=", ""), -1);
	/* Overlong: a digit, a newline or a space after the right value. */
	assert_int_equal(check_gh(GH_SECRET, "sha256=", GH_HEADER "0"), -1);
	assert_int_equal(check_gh(GH_SECRET, "sha256=", GH_HEADER "\n"), -1);
	assert_int_equal(check_gh(GH_SECRET, "sha256=", " " GH_HEADER), -1);
	/* Right length, one non-hex character. */
	memcpy(header, GH_HEADER, sizeof header);
	header[10] = 'g';
	assert_int_equal(check_gh(GH_SECRET, "sha256=", header), -1);
}

/* A NULL header or secret list is rejected. */
static void
test_hex_null(void **state)
{
	const char *secrets[] = { GH_SECRET, NULL };
	const char *none[] = { NULL };

	assert_int_equal(check_gh(GH_SECRET, "sha256=", NULL), -1);
	assert_int_equal(sig_check_hex(NULL, "sha256=", GH_HEADER, GH_BODY, strlen(GH_BODY)), -1);
	assert_int_equal(sig_check_hex(none, "sha256=", GH_HEADER, GH_BODY, strlen(GH_BODY)), -1);
	/* The same list does verify, so the -1 above comes from NULL. */
	assert_int_equal(sig_check_hex(secrets, "sha256=", GH_HEADER, GH_BODY, strlen(GH_BODY)), 0);
}

/* During rotation the second secret of the list is accepted too. */
static void
test_hex_rotation(void **state)
{
	const char *second[] = { "old secret", GH_SECRET, NULL };
	const char *first[] = { GH_SECRET, "new secret", NULL };
	const char *neither[] = { "old secret", "new secret", NULL };

	assert_int_equal(sig_check_hex(second, "sha256=", GH_HEADER, GH_BODY, strlen(GH_BODY)), 0);
	assert_int_equal(sig_check_hex(first, "sha256=", GH_HEADER, GH_BODY, strlen(GH_BODY)), 0);
	assert_int_equal(sig_check_hex(neither, "sha256=", GH_HEADER, GH_BODY, strlen(GH_BODY)),
	    -1);
}

/* Gitea sends bare hex: prefix NULL or "". */
static void
test_hex_bare(void **state)
{
	assert_int_equal(check_gh(GH_SECRET, NULL, GH_HEX), 0);
	assert_int_equal(check_gh(GH_SECRET, "", GH_HEX), 0);
	assert_int_equal(check_gh(GH_SECRET, NULL, GH_HEADER), -1);
	assert_int_equal(check_gh("wrong", NULL, GH_HEX), -1);
}

/* An empty secret never verifies anything, even a matching HMAC. */
static void
test_hex_empty_secret(void **state)
{
	char hex[65];

	sig_hmac_hex("", 0, GH_BODY, strlen(GH_BODY), hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(check_gh("", NULL, hex), -1);
}

/* Tokens: equal, unequal, different length, NULL, rotation, empty. */
static void
test_token(void **state)
{
	const char *secrets[] = { "s3cret-token", NULL };
	const char *rotating[] = { "old-token", "new-token", NULL };
	const char *empty[] = { "", NULL };

	assert_int_equal(sig_check_token(secrets, "s3cret-token"), 0);
	assert_int_equal(sig_check_token(secrets, "s3cret-tokeN"), -1);
	assert_int_equal(sig_check_token(secrets, "s3cret-toke"), -1);
	assert_int_equal(sig_check_token(secrets, "s3cret-token "), -1);
	assert_int_equal(sig_check_token(secrets, ""), -1);
	assert_int_equal(sig_check_token(secrets, NULL), -1);
	assert_int_equal(sig_check_token(NULL, "s3cret-token"), -1);
	assert_int_equal(sig_check_token(rotating, "new-token"), 0);
	assert_int_equal(sig_check_token(rotating, "old-token"), 0);
	assert_int_equal(sig_check_token(rotating, "mid-token"), -1);
	assert_int_equal(sig_check_token(empty, ""), -1);
}

/* sig_equal compares whole strings. */
static void
test_equal(void **state)
{
	assert_int_equal(sig_equal("abc", "abc"), 1);
	assert_int_equal(sig_equal("", ""), 1);
	assert_int_equal(sig_equal("abc", "abd"), 0);
	assert_int_equal(sig_equal("abc", "Abc"), 0);
	assert_int_equal(sig_equal("abc", "abcd"), 0);
	assert_int_equal(sig_equal("abcd", "abc"), 0);
	assert_int_equal(sig_equal("abc", ""), 0);
	assert_int_equal(sig_equal(NULL, "abc"), 0);
	assert_int_equal(sig_equal("abc", NULL), 0);
}

/* The openssl-computed vector and the spec's own example are accepted. */
static void
test_std_valid(void **state)
{
	const char *secrets[] = { STD_SECRET, NULL };
	const char *cause = "unset";
	/*
	 * The example of the Standard Webhooks specification; the same value
	 * comes out of:
	 *   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' \
	 *     | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K -binary | base64
	 */
	const char *body = "{\"test\": 2432232314}";

	assert_int_equal(check_std(secrets, STD_TS, "v1," STD_SIG, STD_NOW, &cause), 0);
	assert_null(cause);
	assert_int_equal(sig_check_standard(secrets, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
			     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body, strlen(body),
			     1614265330, &cause),
	    0);
	/* Only len bytes of the body are signed. */
	assert_int_equal(sig_check_standard(secrets, STD_ID, STD_TS, "v1," STD_SIG, STD_BODY "tail",
			     strlen(STD_BODY), STD_NOW, &cause),
	    0);
	/* A NULL cause pointer is allowed. */
	assert_int_equal(check_std(secrets, STD_TS, "v1," STD_SIG, STD_NOW, NULL), 0);
}

/* Several entries: the right one may come second, others are ignored. */
static void
test_std_multiple(void **state)
{
	const char *secrets[] = { STD_SECRET, NULL };
	const char *cause = NULL;

	assert_int_equal(check_std(secrets, STD_TS,
			     "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1," STD_SIG, STD_NOW,
			     &cause),
	    0);
	assert_int_equal(check_std(secrets, STD_TS, "v1a,bm90IGEgc2lnbmF0dXJl v1," STD_SIG, STD_NOW,
			     &cause),
	    0);
	assert_int_equal(check_std(secrets, STD_TS, "v1,AAAA  v1," STD_SIG " ", STD_NOW, &cause),
	    0);
	/* The right value under another version does not count. */
	assert_int_equal(check_std(secrets, STD_TS, "v1a," STD_SIG, STD_NOW, &cause), -1);
	assert_non_null(cause);
	assert_int_equal(check_std(secrets, STD_TS, "v2," STD_SIG, STD_NOW, &cause), -1);
	assert_int_equal(check_std(secrets, STD_TS, STD_SIG, STD_NOW, &cause), -1);
	/* The wrong entries alone are rejected. */
	assert_int_equal(check_std(secrets, STD_TS,
			     "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1a," STD_SIG,
			     STD_NOW, &cause),
	    -1);
	assert_string_equal(cause, "bad signature");
}

/* A changed body, id, or signature is rejected as a bad signature. */
static void
test_std_wrong(void **state)
{
	const char *secrets[] = { STD_SECRET, NULL };
	const char *other[] = { STD_OTHER, NULL };
	const char *cause = NULL;
	char sig[] = "v1," STD_SIG;

	assert_int_equal(sig_check_standard(secrets, STD_ID, STD_TS, "v1," STD_SIG, "{\"a\":2}", 7,
			     STD_NOW, &cause),
	    -1);
	assert_string_equal(cause, "bad signature");
	cause = NULL;
	assert_int_equal(sig_check_standard(secrets, "msg_2", STD_TS, "v1," STD_SIG, STD_BODY,
			     strlen(STD_BODY), STD_NOW, &cause),
	    -1);
	assert_string_equal(cause, "bad signature");
	cause = NULL;
	assert_int_equal(check_std(other, STD_TS, "v1," STD_SIG, STD_NOW, &cause), -1);
	assert_string_equal(cause, "bad signature");
	sig[5] = sig[5] == 'A' ? 'B' : 'A';
	assert_int_equal(check_std(secrets, STD_TS, sig, STD_NOW, &cause), -1);
	/* Truncated: no trailing '='. */
	memcpy(sig, "v1," STD_SIG, sizeof sig);
	sig[sizeof sig - 2] = '\0';
	assert_int_equal(check_std(secrets, STD_TS, sig, STD_NOW, &cause), -1);
}

/* Timestamps more than SIG_STD_TOLERANCE away, either way, are stale. */
static void
test_std_stale(void **state)
{
	const char *secrets[] = { STD_SECRET, NULL };
	const char *cause = NULL;

	assert_int_equal(check_std(secrets, STD_TS, "v1," STD_SIG, STD_NOW + SIG_STD_TOLERANCE + 1,
			     &cause),
	    -1);
	assert_string_equal(cause, "stale timestamp");
	cause = NULL;
	assert_int_equal(check_std(secrets, STD_TS, "v1," STD_SIG, STD_NOW + SIG_STD_TOLERANCE,
			     &cause),
	    0);
	assert_null(cause);
}

/*
 * Keys whose base64 ends in padding decode to the right length. HMAC pads
 * short keys with zero bytes, so keeping the padding bytes of a decoded key
 * shows only past 64 bytes: hence the 64-byte key. Computed with
 *   K=$(printf '%s' "$KEY" | xxd -p -c 256)
 *   printf '%s' 'msg_1.1700000000.{"a":1}' \
 *     | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K -binary | base64
 * for KEY=0123456789abcdefghi, 0123456789abcdefghij and
 * "The quick brown fox jumps over the lazy dog, then signs webhooks".
 */
static void
test_std_padded_key(void **state)
{
	const char *pad2[] = { "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaQ==", NULL };
	const char *pad1[] = { "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWo=", NULL };
	const char *pad64[] = { "whsec_VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVy"
				"IHRoZSBsYXp5IGRvZywgdGhlbiBzaWducyB3ZWJob29rcw==",
		NULL };
	const char *cause = "unset";

	assert_int_equal(check_std(pad64, STD_TS,
			     "v1,jrev6jZPtgBN3RM7nJRwVyWRZ5DCVoQ7MfHymkgP5pU=", STD_NOW, &cause),
	    0);
	assert_null(cause);
	assert_int_equal(check_std(pad2, STD_TS,
			     "v1,7q56lx+kt+xI24wva+NipufMUcqnXWWUJlJ+QzGZw0c=", STD_NOW, &cause),
	    0);
	assert_null(cause);
	assert_int_equal(check_std(pad1, STD_TS,
			     "v1,i6qbLBv2pZOG4gM7ui2HXmzhhkML37HOiTB8QhD3a88=", STD_NOW, &cause),
	    0);
	assert_null(cause);
	/* Each key's signature does not verify under the other key. */
	assert_int_equal(check_std(pad1, STD_TS,
			     "v1,7q56lx+kt+xI24wva+NipufMUcqnXWWUJlJ+QzGZw0c=", STD_NOW, &cause),
	    -1);
	assert_string_equal(cause, "bad signature");
}

/* During rotation either whsec_ secret verifies, in either position. */
static void
test_std_rotation(void **state)
{
	const char *first[] = { STD_SECRET, STD_OTHER, NULL };
	const char *second[] = { STD_OTHER, STD_SECRET, NULL };
	const char *neither[] = { STD_OTHER, "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaQ==", NULL };
	const char *cause = NULL;

	assert_int_equal(check_std(first, STD_TS, "v1," STD_SIG, STD_NOW, &cause), 0);
	assert_int_equal(check_std(second, STD_TS, "v1," STD_SIG, STD_NOW, &cause), 0);
	assert_int_equal(check_std(neither, STD_TS, "v1," STD_SIG, STD_NOW, &cause), -1);
	assert_string_equal(cause, "bad signature");
}

/* A timestamp from the future beyond the tolerance is rejected. */
static void
test_std_future(void **state)
{
	const char *secrets[] = { STD_SECRET, NULL };
	const char *cause = NULL;

	assert_int_equal(check_std(secrets, STD_TS, "v1," STD_SIG, STD_NOW - SIG_STD_TOLERANCE - 1,
			     &cause),
	    -1);
	assert_string_equal(cause, "stale timestamp");
	cause = NULL;
	assert_int_equal(check_std(secrets, STD_TS, "v1," STD_SIG, STD_NOW - SIG_STD_TOLERANCE,
			     &cause),
	    0);
	assert_null(cause);
	/* The largest timestamp against a clock before 1970: no overflow. */
	cause = NULL;
	assert_int_equal(check_std(secrets, "9223372036854775807", "v1," STD_SIG, (time_t)-1,
			     &cause),
	    -1);
	assert_string_equal(cause, "stale timestamp");
	/* Far future, too big for any integer type. */
	assert_int_equal(check_std(secrets, "99999999999999999999999999", "v1," STD_SIG, STD_NOW,
			     &cause),
	    -1);
	assert_non_null(cause);
}

/* The timestamp must be decimal digits only. */
static void
test_std_bad_timestamp(void **state)
{
	const char *secrets[] = { STD_SECRET, NULL };
	static const char *const bad[] = { "", "17000000a0", "-1700000000", "+1700000000",
		" 1700000000", "1700000000 ", "1.7e9", "0x6553f100" };
	const char *cause;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		assert_int_equal(check_std(secrets, bad[i], "v1," STD_SIG, STD_NOW, &cause), -1);
		assert_string_equal(cause, "malformed timestamp");
	}
}

/* Missing id, timestamp or signature header. */
static void
test_std_null(void **state)
{
	const char *secrets[] = { STD_SECRET, NULL };
	const char *cause;

	cause = NULL;
	assert_int_equal(sig_check_standard(secrets, NULL, STD_TS, "v1," STD_SIG, STD_BODY,
			     strlen(STD_BODY), STD_NOW, &cause),
	    -1);
	assert_non_null(cause);
	cause = NULL;
	assert_int_equal(check_std(secrets, NULL, "v1," STD_SIG, STD_NOW, &cause), -1);
	assert_non_null(cause);
	cause = NULL;
	assert_int_equal(check_std(secrets, STD_TS, NULL, STD_NOW, &cause), -1);
	assert_non_null(cause);
	cause = NULL;
	assert_int_equal(check_std(NULL, STD_TS, "v1," STD_SIG, STD_NOW, &cause), -1);
	assert_non_null(cause);
}

/* Secrets without "whsec_" are not used, and say so when none is left. */
static void
test_std_no_whsec(void **state)
{
	/* The right key, but without its prefix. */
	const char *bare[] = { "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL };
	const char *mixed[] = { "plain", STD_SECRET, NULL };
	const char *cause = NULL;

	assert_int_equal(check_std(bare, STD_TS, "v1," STD_SIG, STD_NOW, &cause), -1);
	assert_string_equal(cause, "no whsec_ secret configured");
	assert_int_equal(check_std(mixed, STD_TS, "v1," STD_SIG, STD_NOW, &cause), 0);
	assert_null(cause);
}

/* A whsec_ secret that is not strict base64 is never used. */
static void
test_std_bad_key(void **state)
{
	/* Each would decode to something through a lenient decoder. */
	static const char *const bad[] = {
		"whsec_",
		"whsec_!!!!",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
		"whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
		"whsec_MfKQ9r8GKYqrTwjUPD8I LPZIo2LaLaSw",
		"whsec_Q===",
		"whsec_QQ=A",
	};
	const char *rotating[] = { "whsec_!!!!", STD_OTHER, STD_SECRET, NULL };
	const char *secrets[2] = { NULL, NULL };
	const char *cause;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		secrets[0] = bad[i];
		cause = NULL;
		assert_int_equal(check_std(secrets, STD_TS, "v1," STD_SIG, STD_NOW, &cause), -1);
		assert_string_equal(cause, "invalid whsec_ secret");
	}
	/* An unusable entry does not stop the others from verifying. */
	assert_int_equal(check_std(rotating, STD_TS, "v1," STD_SIG, STD_NOW, &cause), 0);
}

/* Signing the vector gives its signature; keys that are not whsec_ do not sign. */
static void
test_std_sign(void **state)
{
	char out[SIG_STD_HEADER_LEN];

	(void)state;
	assert_int_equal(sig_sign_standard(STD_SECRET, STD_ID, STD_TS, STD_BODY, strlen(STD_BODY),
			     out),
	    0);
	assert_string_equal(out, "v1," STD_SIG);
	assert_int_equal(sig_whsec_valid(STD_SECRET), 1);
	assert_int_equal(sig_whsec_valid("whsec_"), 0);
	assert_int_equal(sig_whsec_valid("whsec_not base64!"), 0);
	assert_int_equal(sig_whsec_valid("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), 0);
	assert_int_equal(sig_sign_standard("not-a-key", STD_ID, STD_TS, STD_BODY, strlen(STD_BODY),
			     out),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_hex),
		cmocka_unit_test(test_hex_github_vector),
		cmocka_unit_test(test_hex_wrong),
		cmocka_unit_test(test_hex_uppercase),
		cmocka_unit_test(test_hex_prefix_required),
		cmocka_unit_test(test_hex_malformed),
		cmocka_unit_test(test_hex_null),
		cmocka_unit_test(test_hex_rotation),
		cmocka_unit_test(test_hex_bare),
		cmocka_unit_test(test_hex_empty_secret),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_std_valid),
		cmocka_unit_test(test_std_multiple),
		cmocka_unit_test(test_std_wrong),
		cmocka_unit_test(test_std_padded_key),
		cmocka_unit_test(test_std_rotation),
		cmocka_unit_test(test_std_stale),
		cmocka_unit_test(test_std_future),
		cmocka_unit_test(test_std_bad_timestamp),
		cmocka_unit_test(test_std_null),
		cmocka_unit_test(test_std_no_whsec),
		cmocka_unit_test(test_std_bad_key),
		cmocka_unit_test(test_std_sign),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("sig", tests, NULL, NULL);
}
