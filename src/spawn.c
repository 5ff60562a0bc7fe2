/* spawn: the one place commands start, on posix_spawn (see spawn.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "spawn.h"
#include "xmalloc.h"
#include "banned.h"

extern char **environ;

/* How long a killed group gets between SIGTERM and SIGKILL. */
#define SPAWN_KILL_GRACE_MS 3000
/* How long output is still read after the command itself has exited. */
#define SPAWN_DRAIN_MS 200
/* Longer lines are cut into pieces of this size. */
#define SPAWN_LINE_MAX 8192

struct spawn_env {
	char **vars;
	size_t n;
};

/* One output pipe and its partial line. */
struct spawn_pipe {
	int fd;
	enum spawn_stream stream;
	char buf[SPAWN_LINE_MAX];
	size_t len;
};

/* Hands complete lines to the callback; with flush, the partial one too. */
static void
pipe_lines(struct spawn_pipe *p, const struct spawn_opts *o, int flush)
{
	size_t start = 0;

	for (size_t i = 0; i < p->len; i++) {
		if (p->buf[i] != '\n')
			continue;
		p->buf[i] = '\0';
		if (i > start && p->buf[i - 1] == '\r')
			p->buf[i - 1] = '\0';
		if (o->on_line != NULL)
			o->on_line(o->ctx, p->stream, p->buf + start);
		start = i + 1;
	}
	memmove(p->buf, p->buf + start, p->len - start);
	p->len -= start;
	if ((flush && p->len > 0) || p->len == sizeof p->buf - 1) {
		p->buf[p->len] = '\0';
		if (o->on_line != NULL)
			o->on_line(o->ctx, p->stream, p->buf);
		p->len = 0;
	}
}

/* Reads what is there; returns 0 at end of file. */
static int
pipe_read(struct spawn_pipe *p, const struct spawn_opts *o)
{
	ssize_t n = read(p->fd, p->buf + p->len, sizeof p->buf - 1 - p->len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		pipe_lines(p, o, 1);
		close(p->fd);
		p->fd = -1;
		return 0;
	}
	p->len += (size_t)n;
	pipe_lines(p, o, 0);
	return 1;
}

/* Reads a pipe to its end and throws the bytes away, then closes it. */
static void *
drain_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	close(fd);
	return NULL;
}

/*
 * Something the command started in the background (the app, for a start
 * command) still holds its output. Closing our end would kill it with
 * SIGPIPE at its next write, so a detached thread keeps reading until that
 * process closes it or exits.
 */
static void
spawn_drain(int fd)
{
	pthread_attr_t attr;
	pthread_t t;
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (pthread_create(&t, &attr, drain_main, (void *)(intptr_t)fd) != 0)
		close(fd);
	pthread_attr_destroy(&attr);
}

/* Kills the whole process group: SIGTERM, then SIGKILL if it lingers. */
static void
spawn_kill(pid_t pid, int *reaped, int *wstatus)
{
	long long deadline = clock_mono_ms() + SPAWN_KILL_GRACE_MS;

	kill(-pid, SIGTERM);
	while (!*reaped && clock_mono_ms() < deadline) {
		if (waitpid(pid, wstatus, WNOHANG) == pid)
			*reaped = 1;
		else
			usleep(20000);
	}
	/* Whatever of the group is left (the command's children too) goes now. */
	kill(-pid, SIGKILL);
	if (!*reaped && waitpid(pid, wstatus, 0) == pid)
		*reaped = 1;
}

/*
 * Starts o->argv with stdin from /dev/null, stdout and stderr into the
 * pipes' write ends, in a process group of its own with default signal
 * dispositions and an empty mask, in o->cwd. Every posix_spawn call is
 * checked. Returns 0 with *pid, or an errno value.
 */
static int
spawn_start(const struct spawn_opts *o, int out, int err, pid_t *pid)
{
	posix_spawn_file_actions_t fa_, *fa = &fa_;
	posix_spawnattr_t attr_, *attr = &attr_;
	const char *const *argv = o->argv;
	const char **wrapped = NULL;
	sigset_t all, none;
	int rc;

	if ((rc = posix_spawn_file_actions_init(fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(attr)) != 0) {
		posix_spawn_file_actions_destroy(fa);
		return rc;
	}
	sigfillset(&all);
	sigemptyset(&none);
	if ((rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, out, 1)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, err, 2)) != 0)
		goto out;
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
	/* No descriptor of the daemon's (database, sockets) leaks into a command. */
	if ((rc = posix_spawn_file_actions_addclosefrom_np(fa, 3)) != 0)
		goto out;
#endif /* else: every descriptor turnout opens is close-on-exec */
	if (o->cwd != NULL) {
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCHDIR_NP
		if ((rc = posix_spawn_file_actions_addchdir_np(fa, o->cwd)) != 0)
			goto out;
#else
		/* The directory is an argument of the shell, never its text. */
		size_t n = 0;

		while (argv[n] != NULL)
			n++;
		wrapped = xcalloc(n + 5, sizeof *wrapped);
		wrapped[0] = "/bin/sh";
		wrapped[1] = "-c";
		wrapped[2] = "cd -- \"$0\" && exec \"$@\"";
		wrapped[3] = o->cwd;
		memcpy(wrapped + 4, argv, n * sizeof *argv);
		argv = wrapped;
#endif
	}
	if ((rc = posix_spawnattr_setsigdefault(attr, &all)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(attr, &none)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(attr, 0)) != 0 ||
	    (rc = posix_spawnattr_setflags(attr,
		 POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) != 0)
		goto out;
	rc = posix_spawnp(pid, argv[0], fa, attr, (char *const *)argv, (char *const *)o->envp);
out:
	free(wrapped);
	posix_spawn_file_actions_destroy(fa);
	posix_spawnattr_destroy(attr);
	return rc;
}

void
spawn_run(const struct spawn_opts *o, struct spawn_result *res, char **cause)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct spawn_pipe pipes[2];
	long long deadline, drain_until = 0;
	int rc, wstatus = 0, reaped = 0, trimmed = 0;
	pid_t pid;
	long long t0 = clock_mono_ms();

	memset(res, 0, sizeof *res);
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		*cause = xasprintf("cannot make a pipe: %s", strerror(errno));
		res->outcome = SPAWN_ERROR;
		goto out_close;
	}
	rc = spawn_start(o, out[1], err[1], &pid);
	if (rc != 0) {
		*cause = xasprintf("cannot run '%s': %s", o->argv[0], strerror(rc));
		res->outcome = SPAWN_ERROR;
		goto out_close;
	}
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	pipes[0].fd = out[0];
	pipes[0].stream = SPAWN_OUT;
	pipes[0].len = 0;
	pipes[1].fd = err[0];
	pipes[1].stream = SPAWN_ERR;
	pipes[1].len = 0;
	out[0] = err[0] = -1;

	res->outcome = SPAWN_EXITED;
	deadline = o->timeout > 0 ? clock_mono_ms() + o->timeout * 1000LL : 0;
	for (;;) {
		struct pollfd pfd[2];
		nfds_t n = 0;

		for (int i = 0; i < 2; i++) {
			if (pipes[i].fd < 0)
				continue;
			pfd[n].fd = pipes[i].fd;
			pfd[n].events = POLLIN;
			n++;
		}
		if (reaped && (n == 0 || clock_mono_ms() >= drain_until))
			break;
		if (n > 0)
			poll(pfd, n, 100);
		else
			usleep(20000);
		for (int i = 0; i < 2; i++)
			if (pipes[i].fd >= 0) {
				for (nfds_t j = 0; j < n; j++)
					if (pfd[j].fd == pipes[i].fd && pfd[j].revents != 0)
						pipe_read(&pipes[i], o);
			}
		if (!reaped && waitpid(pid, &wstatus, WNOHANG) == pid) {
			reaped = 1;
			drain_until = clock_mono_ms() + SPAWN_DRAIN_MS;
		}
		if (reaped)
			continue;
		/*
		 * A build runs for minutes while this thread only waits: give
		 * back to the system what the steps before it freed (malloc
		 * keeps it otherwise; about 100 KB).
		 */
		if (!trimmed && clock_mono_ms() - t0 >= 1000) {
			trimmed = 1;
			malloc_trim(0);
		}
		if (deadline != 0 && clock_mono_ms() >= deadline) {
			res->outcome = SPAWN_TIMED_OUT;
			spawn_kill(pid, &reaped, &wstatus);
			drain_until = clock_mono_ms() + SPAWN_DRAIN_MS;
		} else if (o->cancelled != NULL && o->cancelled(o->ctx)) {
			res->outcome = SPAWN_CANCELLED;
			spawn_kill(pid, &reaped, &wstatus);
			drain_until = clock_mono_ms() + SPAWN_DRAIN_MS;
		}
	}
	for (int i = 0; i < 2; i++)
		if (pipes[i].fd >= 0) {
			pipe_lines(&pipes[i], o, 1);
			spawn_drain(pipes[i].fd);
		}
	if (res->outcome == SPAWN_EXITED) {
		if (WIFSIGNALED(wstatus)) {
			res->outcome = SPAWN_SIGNALED;
			res->status = WTERMSIG(wstatus);
		} else
			res->status = WEXITSTATUS(wstatus);
	}
out_close:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	res->elapsed_ms = clock_mono_ms() - t0;
}

const char *
spawn_describe(const struct spawn_result *res, char *buf, size_t size)
{
	switch (res->outcome) {
	case SPAWN_EXITED:
		snprintf(buf, size, "exited with %d", res->status);
		break;
	case SPAWN_SIGNALED:
		snprintf(buf, size, "killed by signal %d (%s)", res->status,
		    strsignal(res->status));
		break;
	case SPAWN_TIMED_OUT:
		snprintf(buf, size, "timed out and was killed");
		break;
	case SPAWN_CANCELLED:
		snprintf(buf, size, "cancelled and killed");
		break;
	case SPAWN_ERROR:
	default:
		snprintf(buf, size, "could not be started");
		break;
	}
	return buf;
}

struct spawn_env *
spawn_env_new(void)
{
	struct spawn_env *env = xcalloc(1, sizeof *env);
	size_t n = 0;

	for (char **e = environ; *e != NULL; e++)
		n++;
	env->vars = xcalloc(n + 1, sizeof *env->vars);
	for (char **e = environ; *e != NULL; e++)
		if (strncmp(*e, "TURNOUT_", 8) != 0)
			env->vars[env->n++] = xstrdup(*e);
	return env;
}

void
spawn_env_set(struct spawn_env *env, const char *name, const char *value)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < env->n; i++) {
		if (strncmp(env->vars[i], name, len) == 0 && env->vars[i][len] == '=') {
			free(env->vars[i]);
			env->vars[i] = env->vars[--env->n];
			env->vars[env->n] = NULL;
			break;
		}
	}
	if (value == NULL)
		return;
	env->vars = xrealloc(env->vars, (env->n + 2) * sizeof *env->vars);
	env->vars[env->n++] = xasprintf("%s=%s", name, value);
	env->vars[env->n] = NULL;
}

const char *const *
spawn_env_array(struct spawn_env *env)
{
	return (const char *const *)env->vars;
}

void
spawn_env_free(struct spawn_env *env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; i < env->n; i++)
		free(env->vars[i]);
	free(env->vars);
	free(env);
}
