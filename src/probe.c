/* probe: health and confirm checks with libcurl (see probe.h). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "probe.h"
#include "banned.h"

void
probe_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Keeps the first bytes of the body, printable, for the log. */
static size_t
probe_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct probe_result *res = userdata;
	size_t have = strlen(res->excerpt), n = size * nmemb;

	for (size_t i = 0; i < n && have < sizeof res->excerpt - 1; i++) {
		unsigned char c = (unsigned char)data[i];

		res->excerpt[have++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' :
		    (isprint(c) || c >= 0x80)                                ? (char)c :
									       '?';
	}
	res->excerpt[have] = '\0';
	return n;
}

/* Picks X-Turnout-Color out of the answer's headers. */
static size_t
probe_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct probe_result *res = userdata;
	size_t n = size * nmemb;
	const char *name = "X-Turnout-Color:";
	size_t nl = strlen(name);

	if (n > nl && strncasecmp(data, name, nl) == 0) {
		size_t i = nl, j = 0;

		while (i < n && (data[i] == ' ' || data[i] == '\t'))
			i++;
		while (i < n && j < sizeof res->color - 1 && isalpha((unsigned char)data[i]))
			res->color[j++] = data[i++];
		res->color[j] = '\0';
	}
	return n;
}

/* What kind of failure a libcurl code is, in a word an operator can act on. */
static const char *
error_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return "refused";
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "dns";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return "tls";
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return "closed";
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return "bad url";
	default:
		return "error";
	}
}

int
probe_once(const char *url, const char *unix_socket, int timeout_ms, struct probe_result *res)
{
	CURL *curl = curl_easy_init();
	char why[CURL_ERROR_SIZE];
	CURLcode rc;

	memset(res, 0, sizeof *res);
	if (curl == NULL) {
		snprintf(res->error, sizeof res->error, "cannot start libcurl");
		return 0;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (unix_socket != NULL)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, unix_socket);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "turnout/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, probe_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, res);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, probe_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, res);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, why);
	why[0] = '\0';
	rc = curl_easy_perform(curl);
	/* A body's last newline is not worth a trailing blank in the log. */
	for (size_t n = strlen(res->excerpt); n > 0 && res->excerpt[n - 1] == ' '; n--)
		res->excerpt[n - 1] = '\0';
	if (rc != CURLE_OK)
		snprintf(res->error, sizeof res->error, "%s: %.200s", error_kind(rc),
		    why[0] != '\0' ? why : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK && res->status >= 200 && res->status < 300;
}

int
probe_wait(const char *url, const char *unix_socket, int timeout_s, int streak,
    const char *want_color, probe_cancel_fn cancelled, void *ctx, struct probe_result *res)
{
	long long t0 = clock_mono_ms(), deadline = t0 + timeout_s * 1000LL, first = -1;
	long interval = 10;
	int good = 0, attempts = 0;

	for (;;) {
		long long left = deadline - clock_mono_ms();
		int ok = probe_once(url, unix_socket,
		    left < 2000 ? (left > 100 ? (int)left : 100) : 2000, res);
		int other = 0;

		res->attempts = ++attempts;

		if (ok && want_color != NULL && res->color[0] != '\0' &&
		    strcmp(res->color, want_color) != 0) {
			snprintf(res->error, sizeof res->error, "answered from %s, not %s yet",
			    res->color, want_color);
			ok = 0;
			other = 1;
		}
		if (ok && first < 0)
			first = clock_mono_ms() - t0;
		res->first_ms = first;
		if (ok && ++good >= streak)
			return 0;
		if (!ok)
			good = 0;
		else {
			usleep(20000); /* the next of the streak, soon */
			continue;
		}
		if (clock_mono_ms() + interval >= deadline)
			return -1;
		if (cancelled != NULL && cancelled(ctx))
			return -1;
		/*
		 * The old color still answering is a proxy mid-reload, over in
		 * milliseconds: look again soon, for a second. A failing URL, or
		 * one that keeps the old color longer, backs off.
		 */
		if (other && clock_mono_ms() - t0 < 1000)
			usleep(10000);
		else {
			usleep((useconds_t)interval * 1000);
			if (interval < 500)
				interval = interval * 3 / 2;
		}
	}
}

const char *
probe_describe(const struct probe_result *res, char *buf, size_t size)
{
	if (res->error[0] != '\0' && res->status == 0)
		snprintf(buf, size, "%s", res->error);
	else if (res->error[0] != '\0')
		snprintf(buf, size, "HTTP %ld, %s", res->status, res->error);
	else if (res->excerpt[0] != '\0')
		snprintf(buf, size, "HTTP %ld: %s", res->status, res->excerpt);
	else
		snprintf(buf, size, "HTTP %ld", res->status);
	return buf;
}
