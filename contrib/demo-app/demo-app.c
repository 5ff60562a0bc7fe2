/*
 * The demo app turnout deploys in the README demo and the tests: a tiny
 * HTTP server that says which color and commit it is. It listens on
 * 127.0.0.1:$TURNOUT_PORT and takes its behaviour from files in the
 * directory it starts in (the release dir), so a commit decides it:
 *   unhealthy      /healthz answers 503
 *   fail-confirm   /confirm answers 500 (verify passes, confirm fails)
 *   slow-start     holds a number of milliseconds to wait before listening
 * It stops on SIGTERM.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static char page[512];
static int unhealthy, fail_confirm;

/* Queues a plain-text answer. */
static enum MHD_Result
answer(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *size, void **state)
{
	if (strcmp(url, "/healthz") == 0)
		return unhealthy ? answer(c, 503, "not ready\n") : answer(c, 200, "ok\n");
	if (strcmp(url, "/confirm") == 0)
		return fail_confirm ? answer(c, 500, "broken\n") : answer(c, 200, page);
	return answer(c, 200, page);
}

/* Returns 1 when the file exists in the current directory. */
static int
has(const char *name)
{
	return access(name, F_OK) == 0;
}

int
main(void)
{
	const char *port = getenv("TURNOUT_PORT");
	const char *color = getenv("TURNOUT_COLOR");
	const char *commit = getenv("TURNOUT_COMMIT");
	struct MHD_Daemon *d;
	struct sockaddr_in addr;
	sigset_t set;
	FILE *f;
	int sig, wait_ms = 0;

	if (port == NULL || atoi(port) <= 0) {
		fprintf(stderr, "demo-app: TURNOUT_PORT is not set\n");
		return 2;
	}
	unhealthy = has("unhealthy");
	fail_confirm = has("fail-confirm");
	if ((f = fopen("slow-start", "r")) != NULL) {
		if (fscanf(f, "%d", &wait_ms) != 1)
			wait_ms = 0;
		fclose(f);
	}
	snprintf(page, sizeof page, "demo app: color %s, commit %.12s\n",
	    color != NULL ? color : "?", commit != NULL ? commit : "?");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (wait_ms > 0)
		usleep((useconds_t)wait_ms * 1000);
	/* Loopback only: the proxy is the way in. */
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(port));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, (uint16_t)atoi(port), NULL, NULL,
	    handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "demo-app: cannot listen on port %s\n", port);
		return 1;
	}
	printf("demo-app: %s listening on %s\n", color != NULL ? color : "?", port);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
