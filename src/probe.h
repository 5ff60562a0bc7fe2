/*
 * Health and confirm checks over HTTP with libcurl, to a TCP port or
 * through a unix socket.
 */
#ifndef TURNOUT_PROBE_H
#define TURNOUT_PROBE_H

/* What one request saw. */
struct probe_result {
	long status;        /* HTTP status, 0 when no answer */
	char error[256];    /* "refused: ...", "timeout: ...", "dns: ...", "tls: ...", ..., or "" */
	char excerpt[201];  /* the start of the body, printable, or "" */
	char color[16];     /* the X-Turnout-Color answer header, or "" */
	long long first_ms; /* probe_wait: ms to the first good answer, or -1 */
	int attempts;       /* probe_wait: requests made */
};

/* Calls curl_global_init; once, before any thread probes. */
void probe_global_init(void);

/*
 * Makes one GET to url (through unix_socket when not NULL) with a short
 * timeout. Returns 1 for a 2xx answer, 0 otherwise; *res says what was seen.
 */
int probe_once(const char *url, const char *unix_socket, int timeout_ms, struct probe_result *res);

/* Polled between attempts; returning 1 stops the wait. */
typedef int (*probe_cancel_fn)(void *ctx);

/*
 * Polls url until it answers 2xx (and, when want_color is not NULL, with
 * X-Turnout-Color equal to it if the header is sent at all) streak times in
 * a row, or timeout_s passes, or cancelled says stop. Starts at a 10 ms
 * interval so that a ready app is seen at once, backing off to 500 ms
 * while it fails; an answer from the other color is retried every 10 ms.
 * Returns 0 when healthy; -1 otherwise, with the last attempt in *res.
 *
 * A streak matters behind nginx: just after a reload, old workers still
 * take some new connections for a moment and answer from the old color.
 */
int probe_wait(const char *url, const char *unix_socket, int timeout_s, int streak,
    const char *want_color, probe_cancel_fn cancelled, void *ctx, struct probe_result *res);

/* Writes a one-line account of a failed probe into buf ("HTTP 503: ...",
 * "connection refused"). */
const char *probe_describe(const struct probe_result *res, char *buf, size_t size);

#endif
