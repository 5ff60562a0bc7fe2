/* url: credentials in repo URLs, and the variables of health URLs (see url.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "url.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * curl's file: parser takes no user:password@, git's does (a self-hosted
 * forge's clone URL may carry one): such a URL is parsed under this
 * scheme, as any other scheme's would be.
 */
#define FILE_AS "turnout-file"

/*
 * Parses url with CURLU, any scheme (git's ssh://, git://, file://), and
 * reads its user and password as written (still percent-encoded, as git
 * prints them). Returns the handle, or NULL when url is no such URL.
 */
static CURLU *
parse(const char *url, char **user, char **password)
{
	CURLU *u = curl_url();
	char *copy = NULL;
	CURLUcode rc;

	*user = *password = NULL;
	if (u == NULL)
		return NULL;
	if (strncasecmp(url, "file://", 7) == 0)
		url = copy = xasprintf(FILE_AS "%s", url + 4);
	rc = strstr(url, "://") == NULL ?
	    CURLUE_MALFORMED_INPUT :
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	free(copy);
	if (rc != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	curl_url_get(u, CURLUPART_USER, user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, password, 0);
	return u;
}

char *
url_redact(const char *url)
{
	char *user, *password, *shown = NULL, *out;
	CURLU *u = parse(url, &user, &password);

	if (u != NULL && (user != NULL || password != NULL) &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_USER, "***", 0) == CURLUE_OK)
		curl_url_get(u, CURLUPART_URL, &shown, 0);
	if (shown != NULL && strncmp(shown, FILE_AS "://", sizeof FILE_AS + 2) == 0)
		out = xasprintf("file%s", shown + sizeof FILE_AS - 1);
	else
		out = xstrdup(shown != NULL ? shown : url);
	curl_free(shown);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return out;
}

void
url_secrets(const char *url, char *secret[2])
{
	char *user, *password;
	CURLU *u = parse(url, &user, &password);
	size_t ulen = user != NULL ? strlen(user) : 0;

	secret[0] = secret[1] = NULL;
	if (password != NULL && strlen(password) >= 4)
		secret[0] = xstrdup(password);
	if (ulen >= 16 || (password == NULL && ulen >= 4)) /* a token */
		secret[1] = xstrdup(user);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
}

char *
url_expand(const char *url, int port, const char *color)
{
	static const char *const names[] = { "${TURNOUT_PORT}", "$TURNOUT_PORT", "${TURNOUT_COLOR}",
		"$TURNOUT_COLOR" };
	char portbuf[16], *out = xstrdup(url);

	snprintf(portbuf, sizeof portbuf, "%d", port);
	for (size_t i = 0; i < 4; i++) {
		char *at;

		while ((at = strstr(out, names[i])) != NULL) {
			char *next = xasprintf("%.*s%s%s", (int)(at - out), out,
			    i < 2 ? portbuf : color, at + strlen(names[i]));

			free(out);
			out = next;
		}
	}
	return out;
}
