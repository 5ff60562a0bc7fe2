/* netproc: the network-facing process, started and watched by the worker side (see netproc.h). */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "log.h"
#include "netproc.h"
#include "sandbox.h"
#include "store.h"
#include "xmalloc.h"
#include "banned.h"

/* Messages on the channel: one byte of kind, then for QUEUED the app's name. */
#define MSG_READY 'R'
#define MSG_QUEUED 'Q'
#define MSG_MAX 128
/* How long the network-facing process gets to say it serves. */
#define START_WAIT_MS 10000
/* A process that dies sooner than this after its start is restarted after a pause. */
#define RESTART_PAUSE_MS 1000

extern char **environ;

struct netproc {
	const struct config *cfg;
	struct workers *workers;
	int listen_fd;
	int metrics_fd; /* -1: no metrics_listen */
	int channel;    /* our end */
	pid_t pid;
	long long started_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ready;
	int served; /* it said it serves at least once */
	int died;   /* it ended before it ever served */
	int stopping;
};

/*
 * Starts `turnout serve-network -c CONFIG` with the listening socket and
 * the child's end of a new channel at their fixed fds, and no signal
 * blocked. Returns 0, or -1 with *cause.
 */
static int
spawn_child(struct netproc *np, char **cause)
{
	const char *argv[] = { "turnout", "serve-network", "-c", np->cfg->path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	int pair[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
		*cause = xasprintf("cannot make the channel: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGHUP);
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
	    (rc = posix_spawnattr_setsigdefault(&attr, &dflt)) == 0)
		rc = posix_spawn(&np->pid, "/proc/self/exe", &fa, &attr, (char *const *)argv,
		    environ);
	posix_spawnattr_destroy(&attr);
fail_attr:
	posix_spawn_file_actions_destroy(&fa);
fail_fa:
	close(pair[1]);
	if (rc != 0) {
		close(pair[0]);
		*cause = xasprintf("cannot start the network process: %s", strerror(rc));
		return -1;
	}
	np->channel = pair[0];
	np->started_ms = clock_mono_ms();
	return 0;
}

enum netproc_msg
netproc_message(const struct config *cfg, const char *msg, size_t len, const char **app)
{
	char name[MSG_MAX];
	const struct app_config *a;

	*app = NULL;
	if (len == 1 && msg[0] == MSG_READY)
		return NETPROC_READY;
	if (len < 2 || len >= sizeof name || msg[0] != MSG_QUEUED ||
	    memchr(msg + 1, '\0', len - 1) != NULL)
		return NETPROC_BAD;
	memcpy(name, msg + 1, len - 1);
	name[len - 1] = '\0';
	if ((a = conf_app(cfg, name)) == NULL)
		return NETPROC_BAD;
	*app = a->name;
	return NETPROC_QUEUED;
}

/* A message from the network process, checked as outside input. */
static void
handle(struct netproc *np, const char *msg, size_t len)
{
	const char *app;

	switch (netproc_message(np->cfg, msg, len, &app)) {
	case NETPROC_READY:
		pthread_mutex_lock(&np->lock);
		np->ready = np->served = 1;
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

/* Watches the channel: wakes workers, and starts the process again when it dies. */
static void *
watch(void *arg)
{
	struct netproc *np = arg;

	for (;;) {
		char msg[MSG_MAX];
		ssize_t n = recv(np->channel, msg, sizeof msg, 0);
		int status, stopping, rc;
		char *cause = NULL;

		if (n > 0) {
			handle(np, msg, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* The channel ended: the process is gone, or going (no signal to it now). */
		pthread_mutex_lock(&np->lock);
		close(np->channel);
		np->channel = -1;
		pthread_mutex_unlock(&np->lock);
		while (waitpid(np->pid, &status, 0) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&np->lock);
		stopping = np->stopping || !np->served;
		np->died = !np->served;
		np->ready = 0;
		pthread_cond_broadcast(&np->cond);
		pthread_mutex_unlock(&np->lock);
		if (stopping)
			break; /* stopped, or it never served: netproc_start says why */
		log_warn("the network process %d %s %d; starting it again", (int)np->pid,
		    WIFSIGNALED(status) ? "was killed by signal" : "exited with",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		if (clock_mono_ms() - np->started_ms < RESTART_PAUSE_MS)
			usleep(RESTART_PAUSE_MS * 1000);
		pthread_mutex_lock(&np->lock);
		stopping = np->stopping;
		rc = stopping ? 0 : spawn_child(np, &cause);
		pthread_mutex_unlock(&np->lock);
		if (stopping)
			break;
		if (rc != 0) {
			log_error("%s; the API and webhooks are down", cause);
			free(cause);
			break;
		}
	}
	return NULL;
}

struct netproc *
netproc_start(const struct config *cfg, int listen_fd, int metrics_fd, struct workers *w,
    char **cause)
{
	struct netproc *np;
	struct timespec until;
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
	np->channel = -1;
	pthread_mutex_init(&np->lock, NULL);
	pthread_cond_init(&np->cond, NULL);
	if (spawn_child(np, cause) != 0)
		goto fail;
	pthread_create(&np->thread, NULL, watch, np);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += START_WAIT_MS / 1000;
	pthread_mutex_lock(&np->lock);
	while (!np->ready && !np->died && pthread_cond_timedwait(&np->cond, &np->lock, &until) == 0)
		;
	ready = np->ready;
	pthread_mutex_unlock(&np->lock);
	if (ready)
		return np;
	*cause = xasprintf("the network process did not start serving (see the lines above)");
	netproc_stop(np);
	return NULL;
fail:
	pthread_cond_destroy(&np->cond);
	pthread_mutex_destroy(&np->lock);
	free(np);
	return NULL;
}

int
netproc_pid(const struct netproc *np)
{
	return (int)np->pid;
}

void
netproc_signal(struct netproc *np, int sig)
{
	pthread_mutex_lock(&np->lock);
	if (np->pid > 0 && np->channel >= 0)
		kill(np->pid, sig);
	pthread_mutex_unlock(&np->lock);
}

void
netproc_stop(struct netproc *np)
{
	if (np == NULL)
		return;
	pthread_mutex_lock(&np->lock);
	np->stopping = 1;
	if (np->pid > 0)
		kill(np->pid, SIGTERM);
	pthread_mutex_unlock(&np->lock);
	pthread_join(np->thread, NULL);
	pthread_cond_destroy(&np->cond);
	pthread_mutex_destroy(&np->lock);
	free(np);
}

/* --- in the network-facing process ------------------------------------- */

/* api_queued_fn: tells the worker side. */
static void
tell_queued(void *ctx, const char *app)
{
	char msg[MSG_MAX];
	size_t len = strlen(app);

	if (len + 1 >= sizeof msg)
		return;
	msg[0] = MSG_QUEUED;
	memcpy(msg + 1, app, len);
	if (send(NETPROC_CHANNEL_FD, msg, len + 1, MSG_NOSIGNAL) < 0)
		log_warn("cannot tell the worker side that '%s' was queued: %s", app,
		    strerror(errno));
}

/*
 * Becomes [server] user (when set) and gives up ever gaining rights
 * again. Returns 0, or -1 with *cause.
 */
static int
drop_privileges(const char *user, char **cause)
{
	if (user != NULL) {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL) {
			*cause = xasprintf("no such user '%s' (the 'user' of [server])", user);
			return -1;
		}
		if (pw->pw_uid != geteuid() &&
		    (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
			setuid(pw->pw_uid) != 0)) {
			*cause = xasprintf("cannot become user '%s': %s", user, strerror(errno));
			return -1;
		}
		if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
		    (pw->pw_uid != 0 && setuid(0) == 0)) {
			*cause = xasprintf("user '%s' was not fully taken on", user);
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		*cause = xasprintf("cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	/* The leak check at exit reads this process's own threads through ptrace. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	/* Gone with the worker side (a credential change clears this, so set it now). */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	return 0;
}

/*
 * The worker side never writes to the channel: its end of file means the
 * worker side is gone, however it went (PDEATHSIG follows only the thread
 * that started us, and is cleared by a credential change). Stop as after
 * SIGTERM.
 */
static void *
watch_worker_side(void *arg)
{
	char byte;
	ssize_t n;

	(void)arg;
	while ((n = recv(NETPROC_CHANNEL_FD, &byte, 1, 0)) > 0 || (n < 0 && errno == EINTR))
		;
	log_info("network process %d: the worker side is gone; stopping", (int)getpid());
	kill(getpid(), SIGTERM);
	return NULL;
}

/*
 * Raises the limit of open files to the hard limit: max_connections
 * sockets must fit beside the database and the pipes. Says so when they
 * cannot.
 */
static void
raise_nofile(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->server.max_connections + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		log_warn("max_connections %d needs %llu open files, but the limit is %llu;"
			 " raise it (LimitNOFILE= in the service unit)",
		    cfg->server.max_connections, (unsigned long long)want,
		    (unsigned long long)rl.rlim_cur);
}

int
netproc_main(const struct config *cfg)
{
	struct store *store = NULL, *scrapes = NULL;
	struct http *http = NULL;
	char *cause = NULL, *dbpath, ready = MSG_READY;
	pthread_t watcher;
	sigset_t set;
	int sig, status = 1, sandboxed = 0;

	log_set_level((enum log_level)cfg->server.log_level);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(cfg);
	dbpath = xasprintf("%s/turnout.db", cfg->server.state_dir);
	/*
	 * The database is opened while the rights to it are still ours; the
	 * filter comes before the server's threads, which inherit it.
	 */
	if ((store = store_open(dbpath, &cause)) == NULL ||
	    (scrapes = store_open(dbpath, &cause)) == NULL ||
	    drop_privileges(cfg->server.user, &cause) != 0 ||
	    (sandboxed = sandbox_apply(&cause)) < 0 ||
	    (http = http_start(cfg, store, scrapes, NETPROC_LISTEN_FD,
		 cfg->server.metrics_listen != NULL ? NETPROC_METRICS_FD : -1, tell_queued, NULL,
		 &cause)) == NULL) {
		log_error("network process: %s", cause);
		free(cause);
		goto out;
	}
	if (send(NETPROC_CHANNEL_FD, &ready, 1, MSG_NOSIGNAL) != 1 ||
	    pthread_create(&watcher, NULL, watch_worker_side, NULL) != 0)
		goto out; /* the worker side is gone, or we cannot see it go */
	pthread_detach(watcher);
	log_debug("network process %d serves as uid %d (%s)", (int)getpid(), (int)getuid(),
	    sandboxed ? "seccomp filter on" : "no seccomp filter");
	while (sigwait(&set, &sig) != 0 || sig == SIGHUP) {
		if (sig == SIGHUP)
			log_info("network process %d: received SIGHUP, serving on", (int)getpid());
		sig = 0;
	}
	status = 0;
out:
	http_stop(http);
	store_close(scrapes);
	store_close(store);
	free(dbpath);
	return status;
}
