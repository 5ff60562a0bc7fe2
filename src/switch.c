#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nginxpid.h"
#include "sockdiag.h"
#include "switch.h"
#include "xmalloc.h"
#include "banned.h"

int
switch_port(const struct app_config *app, const char *color)
{
	if (app->switch_kind == SWITCH_SOCKET)
		return 0;
	return strcmp(color, "blue") == 0 ? app->blue_port : app->green_port;
}

const char *
switch_socket(const struct app_config *app, const char *color)
{
	if (app->switch_kind != SWITCH_SOCKET)
		return NULL;
	return strcmp(color, "blue") == 0 ? app->blue_socket : app->green_socket;
}

const char *
switch_other(const char *color)
{
	return strcmp(color, "blue") == 0 ? "green" : "blue";
}

int
switch_write_atomic(const char *path, const char *text, char **cause)
{
	char *tmp = xasprintf("%s.turnout-tmp", path);
	char *dir = xstrdup(path), *slash;
	size_t len = strlen(text), off = 0;
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*cause = xasprintf("cannot write '%s': %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		*cause = xasprintf("cannot sync '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		*cause = xasprintf("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself reaches the disk only with the directory. */
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	rc = 0;
out:
	free(tmp);
	free(dir);
	return rc;
}

/* Reads a whole (small) file; returns a new string or NULL. */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	if (f == NULL)
		return NULL;
	text = xmalloc(65536);
	len = fread(text, 1, 65535, f);
	text[len] = '\0';
	fclose(f);
	return text;
}

/* Runs a proxy command through /bin/sh; returns 0 or -1 with *cause. */
static int
switch_command(const char *what, const char *cmd, const struct spawn_opts *base,
    long long *command_ms, char **cause)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct spawn_opts o = *base;
	struct spawn_result res;
	char *err = NULL, desc[96];

	o.argv = argv;
	o.cancelled = NULL;	/* a switch, once begun, is finished or undone */
	spawn_run(&o, &res, &err);
	*command_ms += res.elapsed_ms;
	if (res.outcome == SPAWN_ERROR) {
		*cause = xasprintf("%s: %s", what, err);
		free(err);
		return -1;
	}
	if (res.outcome != SPAWN_EXITED || res.status != 0) {
		*cause = xasprintf("%s '%s' %s", what, cmd, spawn_describe(&res, desc, sizeof desc));
		return -1;
	}
	return 0;
}

/* The nginx upstream file for color. */
static char *
nginx_text(const struct app_config *app, const char *color)
{
	const char *name = app->nginx_upstream_name != NULL ? app->nginx_upstream_name : app->name;
	char var[80], keepalive[40];
	size_t i;

	/* nginx variable names take letters, digits and '_' only. */
	for (i = 0; app->name[i] != '\0' && i < sizeof var - 1; i++)
		var[i] = isalnum((unsigned char)app->name[i]) ? app->name[i] : '_';
	var[i] = '\0';
	snprintf(keepalive, sizeof keepalive, "    keepalive %d;\n", app->nginx_keepalive);
	return xasprintf("# Written by turnout for app '%s'; it is rewritten at each switch.\n"
	    "# live color: %s\n"
	    "upstream %s {\n"
	    "    server 127.0.0.1:%d;\n"
	    "%s"
	    "}\n"
	    "# For 'add_header X-Turnout-Color $turnout_color_%s always;' in the server\n"
	    "# block, so that turnout can see which color answers through the proxy.\n"
	    "map $host $turnout_color_%s {\n"
	    "    default \"%s\";\n"
	    "}\n", app->name, color, name, switch_port(app, color),
	    app->nginx_keepalive > 0 ? keepalive : "", var, var, color);
}

/* Puts the old upstream file back (or removes the new one). */
static void
nginx_restore(const struct app_config *app, const char *old)
{
	char *ignored = NULL;

	if (old == NULL)
		unlink(app->nginx_upstream);
	else if (switch_write_atomic(app->nginx_upstream, old, &ignored) != 0)
		free(ignored);
}

/*
 * After a failed reload, or one that never took effect: the old file back,
 * and a reload with it, so that nginx serves what the file says.
 */
static void
nginx_undo(const struct app_config *app, const char *old, const struct spawn_opts *base,
    long long *command_ms, char *inner, char **cause)
{
	char *again = NULL;

	nginx_restore(app, old);
	if (switch_command("nginx_reload", app->nginx_reload, base, command_ms, &again) == 0)
		*cause = xasprintf("%s; upstream file %s and nginx reloaded with it", inner,
		    old != NULL ? "restored" : "removed");
	else
		*cause = xasprintf("%s; upstream file %s, but reloading failed too: %s", inner,
		    old != NULL ? "restored" : "removed", again);
	free(again);
}

/*
 * One nginx switch at a time in this process: apps behind one nginx share
 * its master, and a reload seen taking effect must be our own reload.
 */
static pthread_mutex_t nginx_lock = PTHREAD_MUTEX_INITIALIZER;

static int
switch_nginx(const struct app_config *app, const char *color, const struct spawn_opts *base,
    long long *command_ms, char **said, int *settled, char **cause)
{
	char *old = read_file(app->nginx_upstream);
	char *text = nginx_text(app, color);
	char *inner = NULL, *blind = NULL;
	struct nginxpid gen;
	long long took;
	int rc = -1, watch;

	pthread_mutex_lock(&nginx_lock);
	if (switch_write_atomic(app->nginx_upstream, text, cause) != 0)
		goto out;
	if (switch_command("nginx_test", app->nginx_test, base, command_ms, &inner) != 0) {
		nginx_restore(app, old);
		*cause = xasprintf("%s; upstream file restored, nginx not reloaded", inner);
		goto out;
	}
	/* The workers before the reload, to see when new ones replace them. */
	watch = nginxpid_before(app->nginx_pid, &gen, &blind) == 0;
	if (switch_command("nginx_reload", app->nginx_reload, base, command_ms, &inner) != 0) {
		/* The reload may have taken effect before it failed. */
		nginx_undo(app, old, base, command_ms, inner, cause);
		goto out;
	}
	if (!watch) {
		*said = xasprintf("cannot tell when the reload takes effect (%s)", blind);
		rc = 0;
		goto out;
	}
	if (nginxpid_wait(&gen, app->switch_timeout * 1000, &took, &inner) != 0) {
		nginx_undo(app, old, base, command_ms, inner, cause);
		goto out;
	}
	*said = xasprintf("nginx's new workers took over %lld ms after the reload", took);
	*settled = 1;
	rc = 0;
out:
	pthread_mutex_unlock(&nginx_lock);
	free(blind);
	free(inner);
	free(old);
	free(text);
	return rc;
}

/* fsyncs the directory that holds path, so a rename in it is durable. */
static void
sync_dir_of(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	free(dir);
}

/*
 * socket: a new symlink beside socket_link, renamed over it. rename() is
 * atomic, so the path never goes missing: each new connection through it
 * reaches one color or the other, and nothing reloads.
 */
static int
switch_socket_link(const struct app_config *app, const char *color, char **cause)
{
	const char *target = switch_socket(app, color);
	char *tmp = xasprintf("%s.turnout-tmp", app->socket_link);
	int rc = -1;

	unlink(tmp);
	if (symlink(target, tmp) != 0)
		*cause = xasprintf("cannot make the link '%s': %s", tmp, strerror(errno));
	else if (rename(tmp, app->socket_link) != 0) {
		*cause = xasprintf("cannot rename '%s' over '%s': %s", tmp, app->socket_link,
		    strerror(errno));
		unlink(tmp);
	} else {
		sync_dir_of(app->socket_link);
		rc = 0;
	}
	free(tmp);
	return rc;
}

/*
 * Sends one command to HAProxy's admin socket and reads the whole answer
 * (the socket answers one command and closes). Returns a new string or
 * NULL with *cause set.
 */
static char *
haproxy_ask(const struct app_config *app, const char *command, char **cause)
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
		*cause = xasprintf("cannot reach HAProxy at '%s': %s", app->haproxy_socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (write(fd, command, strlen(command)) != (ssize_t)strlen(command) || write(fd, "\n", 1) != 1) {
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
haproxy_set(const struct app_config *app, const char *color, const char *state, char **cause)
{
	char *cmd = xasprintf("set server %s/%s state %s", app->haproxy_backend, color, state);
	char *answer = haproxy_ask(app, cmd, cause);
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

/*
 * Reads the "show stat" CSV of the backend: for each of blue and green,
 * its status (UP, DRAIN, MAINT, DOWN, ...) and current sessions.
 */
static int
haproxy_stat(const struct app_config *app, char status[2][16], long scur[2], char **cause)
{
	char *answer = haproxy_ask(app, "show stat", cause), *line, *save = NULL;

	if (answer == NULL)
		return -1;
	status[0][0] = status[1][0] = '\0';
	scur[0] = scur[1] = -1;
	for (line = strtok_r(answer, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *field[20], *f;
		int n = 0, i;

		/* pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status */
		for (f = strsep(&line, ","); f != NULL && n < 20; f = strsep(&line, ","))
			field[n++] = f;
		if (n < 18 || strcmp(field[0], app->haproxy_backend) != 0)
			continue;
		i = strcmp(field[1], "blue") == 0 ? 0 : strcmp(field[1], "green") == 0 ? 1 : -1;
		if (i < 0)
			continue;
		snprintf(status[i], 16, "%s", field[17]);
		scur[i] = strtol(field[4], NULL, 10);
	}
	free(answer);
	if (status[0][0] == '\0' || status[1][0] == '\0') {
		*cause = xasprintf("HAProxy backend '%s' needs servers named blue and green",
		    app->haproxy_backend);
		return -1;
	}
	return 0;
}

/*
 * haproxy: the new color ready, the old one drain (no new connections, in
 * flight ones finish); switch_rest puts it in maint once its sessions are
 * gone, after the confirm, so that waiting for them does not delay the
 * new color's traffic or its confirm. No reload.
 */
static int
switch_haproxy(const struct app_config *app, const char *color, char **cause)
{
	const char *old = switch_other(color);
	char status[2][16];
	long scur[2];
	int o = strcmp(old, "green") == 0;

	if (haproxy_stat(app, status, scur, cause) != 0)
		return -1;
	if (haproxy_set(app, color, "ready", cause) != 0)
		return -1;
	if (haproxy_set(app, old, "drain", cause) != 0) {
		char *ignored = NULL;

		/* Back as it was: the old color keeps all the traffic. */
		if (strncmp(status[!o], "MAINT", 5) == 0 && haproxy_set(app, color, "maint", &ignored) != 0)
			free(ignored);
		return -1;
	}
	return 0;
}

int
switch_rest(const struct app_config *app, const char *live, char **cause)
{
	const char *old = switch_other(live);
	char status[2][16];
	long scur[2];
	int o = strcmp(old, "green") == 0;

	if (app->switch_kind != SWITCH_HAPROXY)
		return 0;
	/*
	 * maint takes no new connection and stops health checks, but ends no
	 * session: requests, streams and WebSockets still on the old color
	 * go on, and the drain before its stop waits for them.
	 */
	if (haproxy_stat(app, status, scur, cause) != 0)
		return -1;
	if (strncmp(status[o], "MAINT", 5) == 0)
		return 0;
	return haproxy_set(app, old, "maint", cause);
}

int
switch_connections(const struct app_config *app, const char *color, char **cause)
{
	char status[2][16];
	long scur[2];

	switch (app->switch_kind) {
	case SWITCH_HAPROXY:
		/* HAProxy's sessions, not the kernel's: its idle pooled connections and health checks do not count. */
		if (haproxy_stat(app, status, scur, cause) != 0)
			return -1;
		return (int)scur[strcmp(color, "green") == 0];
	case SWITCH_SOCKET:
		return sockdiag_unix(switch_socket(app, color), cause);
	default:
		return sockdiag_tcp(switch_port(app, color), cause);
	}
}

int
switch_to(const struct app_config *app, const char *color, const struct spawn_opts *base,
    long long *command_ms, char **said, int *settled, char **cause)
{
	*said = NULL;
	*settled = app->switch_kind == SWITCH_SOCKET || app->switch_kind == SWITCH_HAPROXY;
	switch (app->switch_kind) {
	case SWITCH_NGINX:
		return switch_nginx(app, color, base, command_ms, said, settled, cause);
	case SWITCH_SOCKET:
		return switch_socket_link(app, color, cause);
	case SWITCH_HAPROXY:
		return switch_haproxy(app, color, cause);
	case SWITCH_COMMAND:
	default:
		return switch_command("switch_command", app->switch_command, base, command_ms, cause);
	}
}

const char *
switch_current(const struct app_config *app)
{
	char *text, *p;
	const char *color = NULL;

	if (app->switch_kind == SWITCH_SOCKET) {
		char target[4096];
		ssize_t n = readlink(app->socket_link, target, sizeof target - 1);

		if (n < 0)
			return NULL;
		target[n] = '\0';
		return strcmp(target, app->blue_socket) == 0 ? "blue" :
		    strcmp(target, app->green_socket) == 0 ? "green" : NULL;
	}
	if (app->switch_kind == SWITCH_HAPROXY) {
		char status[2][16], *cause = NULL;
		long scur[2];
		int up[2];

		if (haproxy_stat(app, status, scur, &cause) != 0) {
			free(cause);
			return NULL;
		}
		/* The live color is the one that takes new connections. */
		for (int i = 0; i < 2; i++)
			up[i] = strncmp(status[i], "UP", 2) == 0 || strncmp(status[i], "no check", 8) == 0;
		return up[0] && !up[1] ? "blue" : up[1] && !up[0] ? "green" : NULL;
	}
	if (app->switch_kind != SWITCH_NGINX || (text = read_file(app->nginx_upstream)) == NULL)
		return NULL;
	/* The port in the first "server HOST:PORT;" line names the color. */
	for (p = strstr(text, "server"); p != NULL; p = strstr(p + 6, "server")) {
		char *colon, *end;
		long port;

		if (p > text && !isspace((unsigned char)p[-1]))
			continue;
		end = strchr(p, ';');
		if (end == NULL)
			break;
		*end = '\0';
		colon = strrchr(p, ':');
		if (colon == NULL)
			break;
		port = strtol(colon + 1, NULL, 10);
		if (port == app->blue_port)
			color = "blue";
		else if (port == app->green_port)
			color = "green";
		break;
	}
	free(text);
	return color;
}
