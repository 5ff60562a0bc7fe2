/* serve: `turnout serve`, from start to SIGTERM (see serve.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "fsutil.h"
#include "log.h"
#include "notify.h"
#include "netproc.h"
#include "outbox.h"
#include "pipeline.h"
#include "probe.h"
#include "reconcile.h"
#include "reload.h"
#include "serve.h"
#include "store.h"
#include "worker.h"
#include "xmalloc.h"
#include "banned.h"

/* Makes state_dir/releases (or its APP dir, app not NULL) 0711. Returns 0, or -1 having said why. */
static int
serve_enterable(const char *dir, const char *app)
{
	char *sub =
	    app == NULL ? xasprintf("%s/releases", dir) : xasprintf("%s/releases/%s", dir, app);
	int rc = fsutil_mkdirs(sub, 0711, 0711) == 0 && chmod(sub, 0711) == 0 ? 0 : -1;

	if (rc != 0)
		log_error("cannot make '%s' reachable for deploy_user: %s", sub, strerror(errno));
	free(sub);
	return rc;
}

/*
 * One serve per state_dir. A second one (a unit started twice, a test run
 * beside the real daemon; with listen on port 0 it even binds) would mark
 * the first one's running deployment interrupted, reconcile its proxy and
 * run its queue. The lock is a flock of state_dir/serve.lock, which the
 * kernel drops when the process ends, however it ends; the file holds the
 * pid, for the message. Returns the descriptor, or -1 having said why.
 */
static int
serve_lock_state(const char *dir)
{
	char *path = xasprintf("%s/serve.lock", dir), pid[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	ssize_t n;

	if (fd < 0) {
		log_error("cannot open '%s': %s", path, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			log_error("cannot lock '%s': %s", path, strerror(errno));
		} else {
			n = pread(fd, pid, sizeof pid - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			log_error("state_dir '%s' is in use by another turnout serve%s%s%s; stop"
				  " that one first, or give this one a state_dir of its own",
			    dir, *pid != '\0' ? " (pid " : "", pid, *pid != '\0' ? ")" : "");
		}
		close(fd);
		fd = -1;
	} else {
		n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
		if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
			log_warn("cannot write the pid to '%s': %s", path, strerror(errno));
	}
	free(path);
	return fd;
}

/*
 * The state dir holds the database and checked-out code: only the daemon's
 * user may look inside. With deploy_user, that user must reach its release
 * dirs: state_dir, releases/ and releases/APP are 0711 (enter, not list);
 * repos/ and the database stay the daemon's alone. Sets *lock_fd to the
 * lock of serve_lock_state (-1 if none was taken) and returns 0, or -1
 * having said why.
 */
static int
serve_state_dir(const struct config *cfg, int *lock_fd)
{
	const char *dir = cfg->server.state_dir;
	mode_t mode = cfg->server.deploy_user != NULL ? 0711 : 0700;
	struct stat st;

	*lock_fd = -1;
	if (fsutil_mkdirs(dir, 0755, mode) != 0) {
		log_error("cannot create state_dir '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_error("state_dir '%s' is not a directory", dir);
		return -1;
	}
	/* Before any change to it: it may be another serve's, set up otherwise. */
	if ((*lock_fd = serve_lock_state(dir)) < 0)
		return -1;
	if ((st.st_mode & 0777) != mode && chmod(dir, mode) != 0)
		log_warn("cannot chmod state_dir '%s' to %04o: %s", dir, (unsigned)mode,
		    strerror(errno));
	if (cfg->server.deploy_user == NULL)
		return 0;
	if (serve_enterable(dir, NULL) != 0)
		return -1;
	for (size_t i = 0; i < cfg->napps; i++)
		if (serve_enterable(dir, cfg->apps[i]->name) != 0)
			return -1;
	return 0;
}

/*
 * setpriv can become deploy_user only from root (or when it is us already).
 * Returns 0, or -1 having said why.
 */
static int
serve_deploy_user(const struct conf_user *u)
{
	if (u == NULL || geteuid() == 0 || geteuid() == u->uid)
		return 0;
	log_error("deploy_user '%s' needs turnout started as root (it runs as uid %u); start it"
		  " as root or remove deploy_user",
	    u->name, (unsigned)geteuid());
	return -1;
}

/* The configs loaded since the start, newest first: a thread may still read any of them. */
struct generation {
	struct generation *next;
	struct config *cfg;
};

/*
 * SIGHUP: the config file is read again. The new network process must
 * serve before anything changes; then each worker takes the new config at
 * its next deployment, new apps get a worker, removed ones stop claiming.
 * Returns the config now in use (cur when nothing changed).
 */
static const struct config *
serve_reload(const struct config *cur, struct generation **gens, struct store *st,
    struct workers *workers, struct netproc *net, struct outbox *ob)
{
	struct config *next = reload_read(cur);
	struct generation *g;
	char *cause = NULL;

	if (next == NULL)
		return cur;
	for (size_t i = 0; i < next->napps; i++) {
		const struct app_config *app = next->apps[i];

		if (conf_app(cur, app->name) != NULL)
			continue;
		if (next->server.deploy_user != NULL &&
		    serve_enterable(next->server.state_dir, app->name) != 0) {
			conf_free(next);
			return cur;
		}
		reconcile_app(app, st);
	}
	if (netproc_reload(net, next, &cause) != 0) {
		log_error("reload: %s; the config in use is kept", cause);
		free(cause);
		conf_free(next);
		return cur;
	}
	workers_reload(workers, next);
	outbox_reload(ob, next);
	log_set_level((enum log_level)next->server.log_level);
	reload_describe(cur, next);
	g = xcalloc(1, sizeof *g);
	g->cfg = next;
	g->next = *gens;
	*gens = g;
	return next;
}

int
serve_run(const struct config *cfg)
{
	struct generation *gens = NULL;
	struct store *store = NULL;
	struct netproc *net = NULL;
	sigset_t set;
	char *cause = NULL, *dbpath;
	struct workers *workers = NULL;
	struct outbox *outbox = NULL;
	int sig, status = 1, rc, listen_fd = -1, metrics_fd = -1, lock_fd = -1;

	log_set_level((enum log_level)cfg->server.log_level);
	/*
	 * Block the stop signals before any thread starts, so every thread
	 * inherits the mask and sigwait below is the only place they land.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (serve_deploy_user(cfg->server.deploy_user) != 0 ||
	    serve_state_dir(cfg, &lock_fd) != 0) {
		if (lock_fd >= 0)
			close(lock_fd);
		return 1;
	}
	dbpath = xasprintf("%s/turnout.db", cfg->server.state_dir);
	store = store_open(dbpath, &cause);
	if (store == NULL) {
		log_error("%s", cause);
		free(cause);
		free(dbpath);
		close(lock_fd);
		return 1;
	}
	/* Recovery: nothing can still be running; the proxy says what is live. */
	rc = store_recover(store);
	if (rc > 0)
		log_warn("%d deployment%s left running by the last run marked interrupted", rc,
		    rc == 1 ? "" : "s");
	for (size_t i = 0; i < cfg->napps; i++)
		reconcile_app(cfg->apps[i], store);
	probe_global_init();
	if ((listen_fd = http_listen(cfg, &cause)) < 0) {
		log_error("%s", cause);
		free(cause);
		goto out;
	}
	if (cfg->server.metrics_listen != NULL &&
	    (metrics_fd = http_listen_metrics(cfg, &cause)) < 0) {
		log_error("metrics_listen: %s", cause);
		free(cause);
		goto out;
	}
	outbox = outbox_start(cfg, store);
	workers = workers_start(cfg, store);
	/* The HTTP server runs in a process of its own (see netproc.h). */
	net = netproc_start(cfg, listen_fd, metrics_fd, workers, &cause);
	if (net == NULL) {
		log_error("%s", cause);
		free(cause);
		goto out;
	}
	log_info("turnout %s listening on http://%s%s%s:%d (%zu app%s, database %s; network"
		 " process %d%s%s)",
	    PACKAGE_VERSION, strchr(cfg->server.listen_host, ':') ? "[" : "",
	    cfg->server.listen_host, strchr(cfg->server.listen_host, ':') ? "]" : "",
	    http_bound_port(listen_fd), cfg->napps, cfg->napps == 1 ? "" : "s", dbpath,
	    netproc_pid(net), cfg->server.user != NULL ? " as " : "",
	    cfg->server.user != NULL ? cfg->server.user : "");
	if (metrics_fd >= 0)
		log_info("metrics without a token on http://%s%s%s:%d/metrics",
		    strchr(cfg->server.metrics_host, ':') ? "[" : "", cfg->server.metrics_host,
		    strchr(cfg->server.metrics_host, ':') ? "]" : "", http_bound_port(metrics_fd));
	notify_ready();
	/* SIGHUP (systemctl reload, a closed terminal) reads the config again. */
	while (sigwait(&set, &sig) != 0 || sig == SIGHUP) {
		if (sig == SIGHUP) {
			log_info("received SIGHUP: reading %s again", cfg->path);
			notify_reloading();
			cfg = serve_reload(cfg, &gens, store, workers, net, outbox);
			notify_ready();
		}
		sig = 0;
	}
	log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	notify_stopping();
	status = 0;
out:
	/* No new work in, then the workers stop (a running step is killed). */
	netproc_stop(net);
	if (listen_fd >= 0)
		close(listen_fd);
	if (metrics_fd >= 0)
		close(metrics_fd);
	workers_stop(workers);
	outbox_stop(outbox); /* after the workers: their last events are stored, sent next time */
	store_close(store);
	close(lock_fd); /* the last: the next serve may start from here */
	free(dbpath);
	while (gens != NULL) {
		struct generation *g = gens;

		gens = g->next;
		conf_free(g->cfg);
		free(g);
	}
	return status;
}
