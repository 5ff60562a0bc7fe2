/* netproc: the network-facing process, started and watched by the worker side (see netproc.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "netproc.h"
#include "xmalloc.h"
#include "banned.h"

/* How long the network-facing process gets to say it serves. */
#define START_WAIT_MS 10000
/* A process that dies sooner than this after its start is restarted after a pause. */
#define RESTART_PAUSE_MS 1000

extern char **environ;

/*
 * One network process started by us. Its watch thread reads its channel
 * and reaps it; the struct is freed by the watch thread once the process
 * is gone, unless a waiter holds it (then the waiter frees it).
 */
struct child {
	struct netproc *np;
	struct child *next;
	pid_t pid;
	int channel; /* our end; -1 once the process ended */
	long long started_ms;
	int ready;    /* it said it serves */
	int held;     /* netproc_start or netproc_reload waits on it */
	int gone;     /* reaped */
	int retiring; /* a newer one took over (or it never did): not started again */
};

struct netproc {
	/* The config generation whose apps the messages may name (under lock; never freed). */
	const struct config *cfg;
	struct workers *workers;
	int listen_fd;
	int metrics_fd; /* -1: no metrics_listen */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct child *children; /* every child not freed yet */
	struct child *cur;      /* the one that serves, or is being started in its place */
	int threads;            /* watch threads still running */
	int stopping;
};

static void *watch(void *arg);

/* Takes c out of np's list and frees it. With np->lock held. */
static void
child_free(struct netproc *np, struct child *c)
{
	struct child **p;

	for (p = &np->children; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	free(c);
}

/*
 * Returns the path of turnout-net (a new string): beside this program when
 * it is there (a build tree), else where it is installed.
 */
static char *
net_program(void)
{
	char self[4096], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			path = xasprintf("%s/turnout-net", self);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	return xstrdup(TURNOUT_PKGLIBEXECDIR "/turnout-net");
}

/*
 * Starts `turnout-net serve-network -c CONFIG` with the listening socket and
 * the child's end of a new channel at their fixed fds, and no signal
 * blocked, and its watch thread. With np->lock held. Returns the child,
 * or NULL with *cause.
 */
static struct child *
spawn_child(struct netproc *np, char **cause)
{
	const char *argv[] = { "turnout-net", "serve-network", "-c", np->cfg->path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct child *c;
	pthread_t thread;
	sigset_t none, dflt;
	int pair[2], rc;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
		*cause = xasprintf("cannot make the channel: %s", strerror(errno));
		return NULL;
	}
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGUSR2);
	sigaddset(&dflt, SIGPIPE);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto fail_fa;
	if ((rc = posix_spawn_file_actions_adddup2(&fa, np->listen_fd, NETPROC_LISTEN_FD)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, pair[1], NETPROC_CHANNEL_FD)) != 0 ||
	    (np->metrics_fd >= 0 &&
		(rc = posix_spawn_file_actions_adddup2(&fa, np->metrics_fd, NETPROC_METRICS_FD)) !=
		    0) ||
	    (rc = posix_spawnattr_init(&attr)) != 0)
		goto fail_attr;
	if ((rc = posix_spawnattr_setflags(&attr,
		 POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0 &&
	    (rc = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (rc = posix_spawnattr_setsigdefault(&attr, &dflt)) == 0) {
		char *program = net_program();

		rc = posix_spawn(&pid, program, &fa, &attr, (char *const *)argv, environ);
		free(program);
	}
	posix_spawnattr_destroy(&attr);
fail_attr:
	posix_spawn_file_actions_destroy(&fa);
fail_fa:
	close(pair[1]);
	if (rc != 0) {
		close(pair[0]);
		*cause = xasprintf("cannot start the network process: %s", strerror(rc));
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->np = np;
	c->pid = pid;
	c->channel = pair[0];
	c->started_ms = clock_mono_ms();
	c->next = np->children;
	np->children = c;
	np->threads++;
	if (pthread_create(&thread, NULL, watch, c) != 0)
		fatal("cannot start the thread that watches the network process");
	pthread_detach(thread);
	return c;
}

enum netproc_msg
netproc_message(const struct config *cfg, const char *msg, size_t len, const char **app)
{
	char name[NETPROC_MSG_MAX];
	const struct app_config *a;

	*app = NULL;
	if (len == 1 && msg[0] == NETPROC_MSG_READY)
		return NETPROC_READY;
	if (len < 2 || len >= sizeof name || msg[0] != NETPROC_MSG_QUEUED ||
	    memchr(msg + 1, '\0', len - 1) != NULL)
		return NETPROC_BAD;
	memcpy(name, msg + 1, len - 1);
	name[len - 1] = '\0';
	if ((a = conf_app(cfg, name)) == NULL)
		return NETPROC_BAD;
	*app = a->name;
	return NETPROC_QUEUED;
}

/* A message from a network process, checked as outside input. */
static void
handle(struct child *c, const char *msg, size_t len)
{
	struct netproc *np = c->np;
	const struct config *cfg;
	const char *app;

	pthread_mutex_lock(&np->lock);
	cfg = np->cfg;
	pthread_mutex_unlock(&np->lock);
	switch (netproc_message(cfg, msg, len, &app)) {
	case NETPROC_READY:
		pthread_mutex_lock(&np->lock);
		c->ready = 1;
		pthread_cond_broadcast(&np->cond);
		pthread_mutex_unlock(&np->lock);
		break;
	case NETPROC_QUEUED:
		workers_notify(np->workers, app);
		break;
	case NETPROC_BAD:
		log_warn("network process: a message of %zu bytes that means nothing was dropped",
		    len);
		break;
	}
}

/*
 * Watches one child's channel and wakes workers; when the channel ends,
 * reaps the child, and starts another when it was the one serving.
 */
static void *
watch(void *arg)
{
	struct child *c = arg, *next = NULL;
	struct netproc *np = c->np;
	char *cause = NULL;
	int status, restart;

	for (;;) {
		char msg[NETPROC_MSG_MAX];
		ssize_t n = recv(c->channel, msg, sizeof msg, 0);

		if (n > 0)
			handle(c, msg, (size_t)n);
		else if (n == 0 || errno != EINTR)
			break;
	}
	/* The channel ended: the process is gone, or going (no signal to it now). */
	pthread_mutex_lock(&np->lock);
	close(c->channel);
	c->channel = -1;
	pthread_mutex_unlock(&np->lock);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&np->lock);
	/* One that never served is not started again: netproc_start or netproc_reload says why. */
	restart = !np->stopping && c == np->cur && c->ready && !c->retiring;
	c->gone = 1;
	c->ready = 0;
	pthread_cond_broadcast(&np->cond);
	pthread_mutex_unlock(&np->lock);
	if (c->retiring && !np->stopping)
		log_info("network process %d %s", (int)c->pid,
		    WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "has finished its connections" :
								    "ended");
	if (restart) {
		log_warn("the network process %d %s %d; starting it again", (int)c->pid,
		    WIFSIGNALED(status) ? "was killed by signal" : "exited with",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		if (clock_mono_ms() - c->started_ms < RESTART_PAUSE_MS)
			usleep(RESTART_PAUSE_MS * 1000);
	}
	pthread_mutex_lock(&np->lock);
	if (restart && !np->stopping && np->cur == c) {
		next = spawn_child(np, &cause);
		np->cur = next;
		if (next == NULL) {
			log_error("%s; the API and webhooks are down", cause);
			free(cause);
		}
	}
	if (!c->held)
		child_free(np, c);
	np->threads--;
	pthread_cond_broadcast(&np->cond);
	pthread_mutex_unlock(&np->lock);
	return NULL;
}

/*
 * Waits until c says it serves, or ends, or START_WAIT_MS pass; with
 * np->lock held and c held. Returns 1 when it serves.
 */
static int
wait_ready(struct netproc *np, struct child *c)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += START_WAIT_MS / 1000;
	while (!c->ready && !c->gone && pthread_cond_timedwait(&np->cond, &np->lock, &until) == 0)
		;
	return c->ready;
}

/* Lets go of c after wait_ready; frees it when its watch thread is done. With np->lock held. */
static void
release(struct netproc *np, struct child *c)
{
	c->held = 0;
	if (c->gone)
		child_free(np, c);
}

struct netproc *
netproc_start(const struct config *cfg, int listen_fd, int metrics_fd, struct workers *w,
    char **cause)
{
	struct netproc *np;
	struct child *c;
	int ready;

	if (cfg->server.user != NULL && getpwnam(cfg->server.user) == NULL) {
		*cause = xasprintf("no such user '%s' (the 'user' of [server])", cfg->server.user);
		return NULL;
	}
	np = xcalloc(1, sizeof *np);
	np->cfg = cfg;
	np->workers = w;
	np->listen_fd = listen_fd;
	np->metrics_fd = metrics_fd;
	pthread_mutex_init(&np->lock, NULL);
	pthread_cond_init(&np->cond, NULL);
	pthread_mutex_lock(&np->lock);
	c = np->cur = spawn_child(np, cause);
	if (c == NULL) {
		pthread_mutex_unlock(&np->lock);
		netproc_stop(np);
		return NULL;
	}
	c->held = 1;
	ready = wait_ready(np, c);
	release(np, c);
	pthread_mutex_unlock(&np->lock);
	if (ready)
		return np;
	*cause = xasprintf("the network process did not start serving (see the lines above)");
	netproc_stop(np);
	return NULL;
}

int
netproc_reload(struct netproc *np, const struct config *cfg, char **cause)
{
	struct child *c, *old;
	int ready;

	pthread_mutex_lock(&np->lock);
	if (np->stopping || np->cur == NULL) {
		pthread_mutex_unlock(&np->lock);
		*cause = xasprintf("no network process serves now");
		return -1;
	}
	if ((c = spawn_child(np, cause)) == NULL) {
		pthread_mutex_unlock(&np->lock);
		return -1;
	}
	c->held = 1;
	ready = wait_ready(np, c);
	old = np->cur;
	if (ready) {
		np->cur = c;
		np->cfg = cfg;
		/* It finishes what it has (see netserve_main), then ends. */
		old->retiring = 1;
		if (!old->gone && old->channel >= 0)
			kill(old->pid, SIGUSR2);
	} else {
		c->retiring = 1;
		if (!c->gone && c->channel >= 0)
			kill(c->pid, SIGTERM);
		*cause = xasprintf("the new network process did not start serving (see the lines"
				   " above); the old one serves on");
	}
	release(np, c);
	pthread_mutex_unlock(&np->lock);
	return ready ? 0 : -1;
}

int
netproc_pid(struct netproc *np)
{
	int pid;

	pthread_mutex_lock(&np->lock);
	pid = np->cur != NULL ? (int)np->cur->pid : -1;
	pthread_mutex_unlock(&np->lock);
	return pid;
}

void
netproc_stop(struct netproc *np)
{
	if (np == NULL)
		return;
	pthread_mutex_lock(&np->lock);
	np->stopping = 1;
	for (struct child *c = np->children; c != NULL; c = c->next)
		if (!c->gone && c->channel >= 0)
			kill(c->pid, SIGTERM);
	while (np->threads > 0)
		pthread_cond_wait(&np->cond, &np->lock);
	while (np->children != NULL)
		child_free(np, np->children);
	pthread_mutex_unlock(&np->lock);
	pthread_cond_destroy(&np->cond);
	pthread_mutex_destroy(&np->lock);
	free(np);
}
