/*
 * When has an nginx reload taken effect? `nginx -s reload` only signals
 * the master and returns; the master then reads the config, starts new
 * workers and, about 100 ms later, tells the old ones to stop accepting.
 * Until then an old worker may still send a new request to the old color.
 * The master's children show it: new worker pids, and old workers gone or
 * titled "worker process is shutting down".
 */
#ifndef TURNOUT_NGINXPID_H
#define TURNOUT_NGINXPID_H

#include <sys/types.h>

#define NGINXPID_MAX 256

/* The master and the workers it had before a reload. */
struct nginxpid {
	pid_t master;
	pid_t old[NGINXPID_MAX];
	int nold;
};

/*
 * Reads the master's pid from pidfile and notes its serving workers.
 * Returns 0, or -1 with *cause (a new string the caller frees) when the
 * workers cannot be seen (no pid file, no such process, no workers).
 */
int nginxpid_before(const char *pidfile, struct nginxpid *g, char **cause);

/*
 * Waits until the master has a serving worker that was not there before
 * and none of the old ones still accepts, or timeout_ms passes. Returns
 * 0 with *took_ms, or -1 with *cause (a new string the caller frees).
 */
int nginxpid_wait(const struct nginxpid *g, int timeout_ms, long long *took_ms, char **cause);

#endif
