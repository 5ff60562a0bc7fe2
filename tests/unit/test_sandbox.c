/* Unit tests for sandbox.c: what the filter lets through and what it stops. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

/* What a child that loaded the filter saw; each check has its own exit code. */
enum { OK = 0, NOT_LOADED = 10, NO_THREAD, NO_FILE, NO_UNIX, INET_OPEN, FORKED, NO_PAIR };

static void *
thread_main(void *arg)
{
	return arg;
}

/* In a child: loads the filter, then tries what the process needs and what it must not do. */
static int
child_checks(int exec_too)
{
	char *cause = NULL, buf[8];
	pthread_t t;
	void *back = NULL;
	int fd, pair[2];
	pid_t pid;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || sandbox_apply(&cause) != 1)
		return NOT_LOADED;
	/* Allowed: threads, files, unix sockets. */
	if (pthread_create(&t, NULL, thread_main, buf) != 0 || pthread_join(t, &back) != 0 ||
	    back != buf)
		return NO_THREAD;
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || read(fd, buf, 1) != 0)
		return NO_FILE;
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return NO_UNIX;
	close(fd);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) != 0)
		return NO_PAIR;
	/* Refused: other sockets and new processes. */
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0 || errno != EPERM)
		return INET_OPEN;
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) >= 0 || errno != EPERM)
		return INET_OPEN;
	if ((pid = fork()) == 0)
		_exit(0);
	if (pid > 0 || errno != EPERM)
		return FORKED;
	if (exec_too) {
		/* Killed here: the exit code below is never seen. */
		execl("/bin/true", "true", (char *)NULL);
	}
	return OK;
}

/* Runs child_checks in a child and returns its wait status. */
static int
run_child(int exec_too)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_checks(exec_too));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void
test_allowed_and_refused(void **state)
{
	int status;

	(void)state;
	status = run_child(0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), OK);
}

static void
test_exec_kills(void **state)
{
	int status;

	(void)state;
	status = run_child(1);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_and_refused),
		cmocka_unit_test(test_exec_kills),
	};

	if (strcmp(sandbox_name(), "seccomp") != 0) {
		/* Built without libseccomp: TAP's skip of the whole file. */
		printf("1..0 # SKIP built without libseccomp\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
