/* Unit tests for spawn.c: output lines, exit codes, timeouts, process groups. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "xmalloc.h"

struct seen {
	char out[4096];
	char err[4096];
	int polls;
	int cancel_after;
};

static void
collect(void *ctx, enum spawn_stream stream, const char *line)
{
	struct seen *s = ctx;
	char *buf = stream == SPAWN_OUT ? s->out : s->err;
	size_t n = strlen(buf);

	snprintf(buf + n, 4096 - n, "%s|", line);
}

static int
cancel_later(void *ctx)
{
	struct seen *s = ctx;

	return s->cancel_after > 0 && ++s->polls >= s->cancel_after;
}

/* Runs sh -c script with env; returns the result. */
static struct spawn_result
run_sh(const char *script, struct spawn_env *env, int timeout, struct seen *seen)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct spawn_opts o;
	struct spawn_result res;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.envp = spawn_env_array(env);
	o.timeout = timeout;
	o.on_line = collect;
	o.cancelled = cancel_later;
	o.ctx = seen;
	spawn_run(&o, &res, &cause);
	free(cause);
	return res;
}

static void
test_lines_and_exit_code(void **state)
{
	struct spawn_env *env = spawn_env_new();
	struct seen seen = { .out = "", .err = "" };
	struct spawn_result res =
	    run_sh("echo one; echo two >&2; printf 'no newline'; exit 3", env, 10, &seen);

	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_int_equal(res.status, 3);
	assert_string_equal(seen.out, "one|no newline|");
	assert_string_equal(seen.err, "two|");
	spawn_env_free(env);
}

static void
test_elapsed_time(void **state)
{
	struct spawn_env *env = spawn_env_new();
	struct seen seen = { .out = "", .err = "" };
	struct spawn_result res = run_sh("sleep 0.3", env, 10, &seen);

	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_true(res.elapsed_ms >= 300);
	assert_true(res.elapsed_ms < 5000);
	res = run_sh("exit 0", env, 10, &seen);
	assert_true(res.elapsed_ms < 300);
	spawn_env_free(env);
}

static void
test_environment_is_explicit(void **state)
{
	struct spawn_env *env;
	struct seen seen = { .out = "", .err = "" };

	setenv("TURNOUT_LEAK", "from-the-daemon", 1);
	setenv("KEEP_ME", "yes", 1);
	env = spawn_env_new();
	spawn_env_set(env, "TURNOUT_COLOR", "green");
	spawn_env_set(env, "TURNOUT_COLOR", "blue");
	run_sh("echo ${TURNOUT_LEAK:-none} $TURNOUT_COLOR $KEEP_ME", env, 10, &seen);
	assert_string_equal(seen.out, "none blue yes|");
	spawn_env_free(env);
	unsetenv("TURNOUT_LEAK");
}

static void
test_timeout_kills_the_group(void **state)
{
	struct spawn_env *env = spawn_env_new();
	struct seen seen = { .out = "", .err = "" };
	struct spawn_result res;
	FILE *f;
	int pid = 0;

	unlink("/tmp/turnout-test-spawn.pid");
	res = run_sh("sleep 30 & echo $! >/tmp/turnout-test-spawn.pid; wait", env, 1, &seen);
	assert_int_equal(res.outcome, SPAWN_TIMED_OUT);
	f = fopen("/tmp/turnout-test-spawn.pid", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	usleep(100000);
	/* The sleep was in the command's group: it is gone (or a zombie of init). */
	if (kill(pid, 0) == 0) {
		char path[64], buf[256];
		FILE *st;

		snprintf(path, sizeof path, "/proc/%d/status", pid);
		st = fopen(path, "r");
		assert_non_null(st);
		while (fgets(buf, sizeof buf, st) != NULL && strncmp(buf, "State:", 6) != 0)
			;
		fclose(st);
		assert_non_null(strchr(buf, 'Z'));
	}
	unlink("/tmp/turnout-test-spawn.pid");
	spawn_env_free(env);
}

static void
test_cancel(void **state)
{
	struct spawn_env *env = spawn_env_new();
	struct seen seen = { .out = "", .err = "", .cancel_after = 3 };
	struct spawn_result res = run_sh("sleep 30", env, 60, &seen);

	assert_int_equal(res.outcome, SPAWN_CANCELLED);
	spawn_env_free(env);
}

static void
test_background_child_survives(void **state)
{
	struct spawn_env *env = spawn_env_new();
	struct seen seen = { .out = "", .err = "" };
	struct spawn_result res;
	int i;

	/* A start command that leaves a server running, its output not redirected. */
	unlink("/tmp/turnout-test-spawn.done");
	res = run_sh(
	    "(sleep 0.6; echo still here; touch /tmp/turnout-test-spawn.done) & echo started", env,
	    10, &seen);
	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_int_equal(res.status, 0);
	assert_string_equal(seen.out, "started|");
	for (i = 0; i < 40 && access("/tmp/turnout-test-spawn.done", F_OK) != 0; i++)
		usleep(50000);
	assert_int_equal(access("/tmp/turnout-test-spawn.done", F_OK), 0);
	unlink("/tmp/turnout-test-spawn.done");
	spawn_env_free(env);
}

static void
test_missing_program(void **state)
{
	const char *argv[] = { "no-such-program-turnout", NULL };
	struct spawn_env *env = spawn_env_new();
	struct spawn_opts o;
	struct spawn_result res;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.envp = spawn_env_array(env);
	spawn_run(&o, &res, &cause);
	assert_int_equal(res.outcome, SPAWN_ERROR);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "no-such-program-turnout"));
	free(cause);
	spawn_env_free(env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_exit_code),
		cmocka_unit_test(test_elapsed_time),
		cmocka_unit_test(test_environment_is_explicit),
		cmocka_unit_test(test_timeout_kills_the_group),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_background_child_survives),
		cmocka_unit_test(test_missing_program),
	};

	signal(SIGPIPE, SIG_IGN);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("spawn", tests, NULL, NULL);
}
