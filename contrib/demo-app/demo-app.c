/*
 * The demo app turnout deploys in the README demo and the tests: a tiny
 * HTTP server that says which color and commit it is. It listens on
 * 127.0.0.1:$TURNOUT_PORT, or on the unix socket $TURNOUT_SOCKET (then it
 * also names its color in X-Turnout-Color, for turnout's confirm through
 * the proxy), and takes its behaviour from files in the
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static char page[512];
static int unhealthy, fail_confirm;
static const char *color_header;	/* X-Turnout-Color, on a unix socket */

/* Queues a plain-text answer. */
static enum MHD_Result
answer(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	if (color_header != NULL)
		MHD_add_response_header(r, "X-Turnout-Color", color_header);
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
	const char *sock = getenv("TURNOUT_SOCKET");
	int lfd = -1;
	struct MHD_Daemon *d;
	struct sockaddr_in addr;
	sigset_t set;
	FILE *f;
	int sig, wait_ms = 0;

	if ((port == NULL || atoi(port) <= 0) && (sock == NULL || *sock == '\0')) {
		fprintf(stderr, "demo-app: neither TURNOUT_PORT nor TURNOUT_SOCKET is set\n");
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
	if (sock != NULL && *sock != '\0') {
		struct sockaddr_un sa;

		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
		unlink(sock);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 128) != 0) {
			fprintf(stderr, "demo-app: cannot listen on %s\n", sock);
			return 1;
		}
		chmod(sock, 0666);	/* the proxy's workers connect to it */
		color_header = color;
		d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, handler, NULL,
		    MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_END);
	} else {
		/* Loopback only: the proxy is the way in. */
		memset(&addr, 0, sizeof addr);
		addr.sin_family = AF_INET;
		addr.sin_port = htons((uint16_t)atoi(port));
		addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, (uint16_t)atoi(port), NULL, NULL,
		    handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_END);
	}
	if (d == NULL) {
		fprintf(stderr, "demo-app: cannot listen on %s\n", lfd >= 0 ? sock : port);
		return 1;
	}
	printf("demo-app: %s listening on %s\n", color != NULL ? color : "?", lfd >= 0 ? sock : port);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	if (lfd >= 0)
		unlink(sock);
	return 0;
}
