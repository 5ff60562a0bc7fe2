/* nginxpid: seeing an nginx reload take effect through its workers (see nginxpid.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "nginxpid.h"
#include "xmalloc.h"
#include "banned.h"

/* Reads up to size-1 bytes of a small file into buf; returns the length or -1. */
static ssize_t
slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* 1 when pid is a worker that accepts connections (its title says so). */
static int
serving(pid_t pid)
{
	char path[64], title[128];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	n = slurp(path, title, sizeof title);
	if (n <= 0)
		return 0; /* gone */
	/* nginx writes its title over argv: "nginx: worker process[ is shutting down]". */
	return strstr(title, "worker process") != NULL && strstr(title, "shutting down") == NULL;
}

/* The master's children into pids; returns how many, or -1. */
static int
children(pid_t master, pid_t *pids, int max)
{
	char path[80], *text = xmalloc(8192), *p, *end;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)master, (long)master);
	if (slurp(path, text, 8192) < 0) {
		free(text);
		return -1;
	}
	for (p = text; n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		pids[n++] = (pid_t)v;
	}
	free(text);
	return n;
}

int
nginxpid_before(const char *pidfile, struct nginxpid *g, char **cause)
{
	char text[32];
	pid_t kids[NGINXPID_MAX];
	int n;

	memset(g, 0, sizeof *g);
	errno = 0;
	if (slurp(pidfile, text, sizeof text) <= 0 || (g->master = (pid_t)atol(text)) <= 0) {
		*cause = xasprintf("cannot read nginx's pid from nginx_pid '%s': %s", pidfile,
		    errno != 0 ? strerror(errno) : "no number in it");
		return -1;
	}
	if (kill(g->master, 0) != 0 && errno == ESRCH) {
		*cause = xasprintf("no nginx master runs as pid %ld (nginx_pid '%s')",
		    (long)g->master, pidfile);
		return -1;
	}
	n = children(g->master, kids, NGINXPID_MAX);
	if (n < 0) {
		*cause = xasprintf("cannot list the workers of nginx (pid %ld): %s",
		    (long)g->master, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (serving(kids[i]))
			g->old[g->nold++] = kids[i];
	if (g->nold == 0) {
		*cause =
		    xasprintf("nginx (pid %ld) has no worker processes to watch", (long)g->master);
		return -1;
	}
	return 0;
}

/* 1 when pid is one of the workers from before the reload. */
static int
was_there(const struct nginxpid *g, pid_t pid)
{
	for (int i = 0; i < g->nold; i++)
		if (g->old[i] == pid)
			return 1;
	return 0;
}

int
nginxpid_wait(const struct nginxpid *g, int timeout_ms, long long *took_ms, char **cause)
{
	int64_t t0 = clock_mono_ms();
	pid_t kids[NGINXPID_MAX];
	int fresh = 0, stale = 0, n;

	for (;;) {
		n = children(g->master, kids, NGINXPID_MAX);
		fresh = stale = 0;
		for (int i = 0; i < n; i++) {
			if (!serving(kids[i]))
				continue;
			if (was_there(g, kids[i]))
				stale++;
			else
				fresh++;
		}
		*took_ms = clock_mono_ms() - t0;
		if (fresh > 0 && stale == 0)
			return 0;
		if (n < 0 || *took_ms >= timeout_ms)
			break;
		usleep(5000);
	}
	if (n < 0)
		*cause = xasprintf("nginx's master (pid %ld) went away %lld ms after the reload: it"
				   " did not reload in place (see its error log)",
		    (long)g->master, *took_ms);
	else if (fresh == 0)
		*cause =
		    xasprintf("nginx (pid %ld) started no new worker within %lld ms of the reload:"
			      " it did not take the new config (see its error log)",
			(long)g->master, *took_ms);
	else
		*cause =
		    xasprintf("%d old nginx worker%s still accepted connections %lld ms after the"
			      " reload",
			stale, stale == 1 ? "" : "s", *took_ms);
	return -1;
}
