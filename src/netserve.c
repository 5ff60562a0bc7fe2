/*
 * netserve: the network-facing process itself (see netserve.h), a program
 * of its own, turnout-net, so that it maps none of the libraries only the
 * worker side calls (libcurl and what it links).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "log.h"
#include "netproc.h"
#include "netserve.h"
#include "sandbox.h"
#include "store.h"
#include "xmalloc.h"
#include "banned.h"

/* api_queued_fn: tells the worker side. */
static void
tell_queued(void *ctx, const char *app)
{
	char msg[NETPROC_MSG_MAX];
	size_t len = strlen(app);

	if (len + 1 >= sizeof msg)
		return;
	msg[0] = NETPROC_MSG_QUEUED;
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

/*
 * SIGUSR2: a newer network process serves on the same sockets. Stop
 * taking connections and finish the open ones: a request in flight is
 * answered, and a slow one gets the time its deadlines give it. Returns
 * when none is left, at that time, or at SIGTERM.
 */
static void
retire(const struct config *cfg, struct http *http, const sigset_t *set)
{
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	int64_t until =
	    clock_mono_ms() + (cfg->server.header_timeout + cfg->server.body_timeout + 5) * 1000LL;
	unsigned int open;

	http_quiesce(http);
	open = http_open_connections(http);
	log_info("network process %d: a new one serves; finishing %u open connection%s",
	    (int)getpid(), open, open == 1 ? "" : "s");
	while ((open = http_open_connections(http)) > 0 && clock_mono_ms() < until) {
		int sig = sigtimedwait(set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	if (open > 0)
		log_warn("network process %d: %u connection%s still open; closing", (int)getpid(),
		    open, open == 1 ? "" : "s");
}

int
netserve_main(const struct config *cfg)
{
	struct store *store = NULL, *scrapes = NULL;
	struct http *http = NULL;
	char *cause = NULL, *dbpath, ready = NETPROC_MSG_READY;
	pthread_t watcher;
	sigset_t set;
	int sig, status = 1, sandboxed = 0;

	log_set_level((enum log_level)cfg->server.log_level);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
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
	/* SIGHUP is the worker side's to act on (a reload, a closed terminal). */
	while (sigwait(&set, &sig) != 0 || sig == SIGHUP)
		sig = 0;
	if (sig == SIGUSR2)
		retire(cfg, http, &set);
	status = 0;
out:
	http_stop(http);
	store_close(scrapes);
	store_close(store);
	free(dbpath);
	return status;
}
