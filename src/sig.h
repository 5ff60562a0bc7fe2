/*
 * Webhook proofs: HMAC-SHA256 signatures and shared tokens, always compared
 * in constant time, with OpenSSL libcrypto doing the cryptography.
 *
 * A secret list is a NULL-terminated array of strings (one or two entries:
 * a secret file may hold the old and the new secret while it is rotated).
 * A proof is accepted when it matches any entry. Nothing here logs.
 */
#ifndef TURNOUT_SIG_H
#define TURNOUT_SIG_H

#include <stddef.h>
#include <time.h>

/* How far a Standard Webhooks timestamp may be from now, in seconds. */
#define SIG_STD_TOLERANCE 300

/* Writes the lowercase hex HMAC-SHA256 of msg under key into out. */
void sig_hmac_hex(const void *key, size_t keylen, const void *msg, size_t len, char out[65]);

/*
 * Constant-time comparison of two NUL-terminated strings; returns 1 when
 * equal. Only the length of the inputs may leak, never their content.
 */
int sig_equal(const char *a, const char *b);

/*
 * Checks a hex HMAC-SHA256 header such as GitHub's "sha256=HEX" (prefix
 * "sha256=") or Gitea's bare hex (prefix NULL or ""). Hex case is ignored.
 * Returns 0 when the signature matches some secret, -1 otherwise (also for a
 * NULL header or a malformed one).
 */
int sig_check_hex(const char *const *secrets, const char *prefix, const char *header,
    const void *body, size_t len);

/* Checks a shared token (GitLab's X-Gitlab-Token). Returns 0 or -1. */
int sig_check_token(const char *const *secrets, const char *token);

/*
 * Checks a Standard Webhooks signature (GitLab signed webhooks):
 * header "v1,BASE64" (several may be given, separated by spaces) must equal
 * base64(HMAC-SHA256(key, "ID.TIMESTAMP.BODY")), where key is the base64
 * decoding of the part after "whsec_" of a secret. Secrets without the
 * "whsec_" prefix are not used. TIMESTAMP (decimal seconds) must be within
 * SIG_STD_TOLERANCE of now. Returns 0, or -1 with *cause set to a static
 * string saying why ("stale timestamp", "bad signature", ...).
 */
int sig_check_standard(const char *const *secrets, const char *id, const char *timestamp,
    const char *header, const void *body, size_t len, time_t now, const char **cause);

/* 1 when secret is "whsec_" and base64 of a key, as Standard Webhooks secrets are. */
int sig_whsec_valid(const char *secret);

/* Room for a Standard Webhooks signature header: "v1," and 44 base64 characters. */
#define SIG_STD_HEADER_LEN 48

/*
 * Signs an outgoing Standard Webhooks message: writes "v1,BASE64" of
 * HMAC-SHA256(key, "ID.TIMESTAMP.BODY") into out, key being the decoded
 * part of secret after "whsec_". Returns 0, or -1 for a secret that is not
 * a whsec_ key.
 */
int sig_sign_standard(const char *secret, const char *id, const char *timestamp, const void *body,
    size_t len, char out[SIG_STD_HEADER_LEN]);

#endif
