/*
 * switch = haproxy: HAProxy's runtime API on its admin socket. The new
 * color ready, the old one drain, then maint once the switch is
 * confirmed. No reload; HAProxy's own session count drives the drain.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "switch-kind.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * Sends one command to HAProxy's admin socket and reads the whole answer
 * (the socket answers one command and closes). Returns a new string or
 * NULL with *cause set.
 */
static char *
ask(const struct app_config *app, const char *command, char **cause)
{
	struct sockaddr_un sa;
	struct timeval tv = { 5, 0 };
	char *answer = NULL;
	size_t len = 0;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(app->haproxy_socket) >= sizeof sa.sun_path) {
		*cause = xasprintf("haproxy_socket '%s' is too long a path", app->haproxy_socket);
		return NULL;
	}
	memcpy(sa.sun_path, app->haproxy_socket, strlen(app->haproxy_socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		*cause = xasprintf("cannot reach HAProxy at '%s': %s", app->haproxy_socket,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (write(fd, command, strlen(command)) != (ssize_t)strlen(command) ||
	    write(fd, "\n", 1) != 1) {
		*cause = xasprintf("cannot send to HAProxy: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	for (;;) {
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		answer = xrealloc(answer, len + (size_t)n + 1);
		memcpy(answer + len, buf, (size_t)n);
		len += (size_t)n;
	}
	close(fd);
	if (answer == NULL)
		answer = xstrdup("");
	answer[len] = '\0';
	return answer;
}

/* "set server BACKEND/COLOR state STATE"; HAProxy answers nothing when it worked. */
static int
set_state(const struct app_config *app, const char *color, const char *state, char **cause)
{
	char *cmd = xasprintf("set server %s/%s state %s", app->haproxy_backend, color, state);
	char *answer = ask(app, cmd, cause);
	int rc = -1;

	if (answer != NULL) {
		answer[strcspn(answer, "\n")] = '\0';
		if (answer[0] == '\0')
			rc = 0;
		else
			*cause = xasprintf("HAProxy refused '%s': %s", cmd, answer);
	}
	free(answer);
	free(cmd);
	return rc;
}

int
switch_haproxy_parse(const char *backend, char *answer, char status[2][16], long scur[2],
    char **cause)
{
	char *line, *save = NULL;

	status[0][0] = status[1][0] = '\0';
	scur[0] = scur[1] = -1;
	for (line = strtok_r(answer, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *field[20], *f;
		int n = 0, i;

		/* pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status */
		for (f = strsep(&line, ","); f != NULL && n < 20; f = strsep(&line, ","))
			field[n++] = f;
		if (n < 18 || strcmp(field[0], backend) != 0)
			continue;
		i = strcmp(field[1], "blue") == 0 ? 0 : strcmp(field[1], "green") == 0 ? 1 : -1;
		if (i < 0)
			continue;
		snprintf(status[i], 16, "%s", field[17]);
		scur[i] = strtol(field[4], NULL, 10);
	}
	if (status[0][0] == '\0' || status[1][0] == '\0') {
		*cause =
		    xasprintf("HAProxy backend '%s' needs servers named blue and green", backend);
		return -1;
	}
	return 0;
}

/* The backend's blue and green servers: status and current sessions. */
static int
stat_servers(const struct app_config *app, char status[2][16], long scur[2], char **cause)
{
	char *answer = ask(app, "show stat", cause);
	int rc;

	if (answer == NULL)
		return -1;
	rc = switch_haproxy_parse(app->haproxy_backend, answer, status, scur, cause);
	free(answer);
	return rc;
}

/*
 * The new color ready, the old one drain (no new connections, in flight
 * ones finish); haproxy_rest puts it in maint once its sessions are gone,
 * after the confirm, so that waiting for them does not delay the new
 * color's traffic or its confirm.
 */
static int
haproxy_to(const struct app_config *app, const char *color, const struct spawn_opts *base,
    long long *command_ms, char **said, int *settled, char **cause)
{
	const char *old = switch_other(color);
	char status[2][16];
	long scur[2];
	int o = strcmp(old, "green") == 0;

	if (stat_servers(app, status, scur, cause) != 0)
		return -1;
	if (set_state(app, color, "ready", cause) != 0)
		return -1;
	if (set_state(app, old, "drain", cause) != 0) {
		char *ignored = NULL;

		/* Back as it was: the old color keeps all the traffic. */
		if (strncmp(status[!o], "MAINT", 5) == 0 &&
		    set_state(app, color, "maint", &ignored) != 0)
			free(ignored);
		return -1;
	}
	return 0;
}

/*
 * maint takes no new connection and stops health checks, but ends no
 * session: requests, streams and WebSockets still on the old color go on,
 * and the drain before its stop waits for them.
 */
static int
haproxy_rest(const struct app_config *app, const char *live, char **cause)
{
	const char *old = switch_other(live);
	char status[2][16];
	long scur[2];

	if (stat_servers(app, status, scur, cause) != 0)
		return -1;
	if (strncmp(status[strcmp(old, "green") == 0], "MAINT", 5) == 0)
		return 0;
	return set_state(app, old, "maint", cause);
}

/* HAProxy's sessions, not the kernel's: idle pooled connections and health checks do not count. */
static int
haproxy_connections(const struct app_config *app, const char *color, char **cause)
{
	char status[2][16];
	long scur[2];

	if (stat_servers(app, status, scur, cause) != 0)
		return -1;
	return (int)scur[strcmp(color, "green") == 0];
}

/* The live color is the one that takes new connections. */
static const char *
haproxy_current(const struct app_config *app)
{
	char status[2][16], *cause = NULL;
	long scur[2];
	int up[2];

	if (stat_servers(app, status, scur, &cause) != 0) {
		free(cause);
		return NULL;
	}
	for (int i = 0; i < 2; i++)
		up[i] = strncmp(status[i], "UP", 2) == 0 || strncmp(status[i], "no check", 8) == 0;
	return up[0] && !up[1] ? "blue" : up[1] && !up[0] ? "green" : NULL;
}

static void
haproxy_check(const struct app_config *app, struct conf_report *r)
{
	if (app->haproxy_socket == NULL || app->haproxy_backend == NULL)
		conf_app_error(r,
		    "app '%s': switch = haproxy needs haproxy_socket and"
		    " haproxy_backend",
		    app->name);
}

const struct switch_kind switch_kind_haproxy = {
	.name = "haproxy",
	.settles = 1,
	.to = haproxy_to,
	.rest = haproxy_rest,
	.connections = haproxy_connections,
	.current = haproxy_current,
	.check = haproxy_check,
};
