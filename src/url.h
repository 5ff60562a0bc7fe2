/*
 * URLs from the config: a repo URL shown without its credentials and the
 * secrets in it found for masking (parsed by libcurl's CURLU), and the
 * $TURNOUT_PORT / $TURNOUT_COLOR of a health URL filled in.
 */
#ifndef TURNOUT_URL_H
#define TURNOUT_URL_H

/*
 * url with its user:password@ (or token@) replaced by ***@, for logs and
 * errors; a URL without credentials, or that is not a URL (a path, git's
 * user@host:path), as it is. Returns a new string the caller frees.
 */
char *url_redact(const char *url);

/*
 * The secrets in url's user:password@ (or token@), as written in the URL:
 * secret[0] the password (4 characters or more), secret[1] the user when
 * it is long enough to be a token (GitHub's TOKEN@ and
 * TOKEN:x-oauth-basic@). Short names ("git", "deploy") are not secrets:
 * logs are full of them. Each is a new string the caller frees, or NULL.
 */
void url_secrets(const char *url, char *secret[2]);

/*
 * url with $TURNOUT_PORT / ${TURNOUT_PORT} replaced by port and
 * $TURNOUT_COLOR / ${TURNOUT_COLOR} by color. Returns a new string the
 * caller frees.
 */
char *url_expand(const char *url, int port, const char *color);

#endif
