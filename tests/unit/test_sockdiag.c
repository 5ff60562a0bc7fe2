/*
 * Unit tests for sockdiag.c and drain.c: the kernel's count of a server's
 * connections (TCP port, unix socket, through a symlink), and a drain that
 * waits for them, runs out, or is stopped.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "drain.h"
#include "sockdiag.h"
#include "switch.h"

/* A listening TCP socket on 127.0.0.1 with a free port; *port gets it. */
static int
tcp_listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int
tcp_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static int
count_tcp(int port)
{
	char *cause = NULL;
	int n = sockdiag_tcp(port, &cause);

	if (n < 0)
		fail_msg("sockdiag_tcp: %s", cause);
	return n;
}

static void
test_tcp_counts_server_side_connections(void **state)
{
	int port, lfd = tcp_listener(&port), c1, c2, s1;

	(void)state;
	assert_int_equal(count_tcp(port), 0); /* the listener itself is not a connection */
	c1 = tcp_connect(port);
	c2 = tcp_connect(port);
	/* Not yet accepted: they wait in the queue, and count. */
	assert_int_equal(count_tcp(port), 2);
	s1 = accept(lfd, NULL, NULL);
	assert_true(s1 >= 0);
	assert_int_equal(count_tcp(port), 2);
	/* The client closes and the server closes: gone. */
	close(c1);
	close(s1);
	assert_int_equal(count_tcp(port), 1);
	close(c2);
	/* The server side of c2 is now CLOSE_WAIT: nobody to answer. */
	assert_int_equal(count_tcp(port), 0);
	close(lfd);
}

static int
unix_listener(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static int
count_unix(const char *path)
{
	char *cause = NULL;
	int n = sockdiag_unix(path, &cause);

	if (n < 0)
		fail_msg("sockdiag_unix: %s", cause);
	return n;
}

static void
test_unix_counts_accepted_connections(void **state)
{
	char dir[] = "/tmp/turnout-sockdiag.XXXXXX", blue[64], green[64], link[64];
	int lb, lg, c1, c2, s1, s2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(blue, sizeof blue, "%s/blue.sock", dir);
	snprintf(green, sizeof green, "%s/green.sock", dir);
	snprintf(link, sizeof link, "%s/app.sock", dir);
	assert_int_equal(count_unix(blue), 0); /* no such socket yet */
	lb = unix_listener(blue);
	lg = unix_listener(green);
	assert_int_equal(symlink(blue, link), 0);
	c1 = unix_connect(link); /* through the link, as the proxy does */
	s1 = accept(lb, NULL, NULL);
	c2 = unix_connect(green);
	s2 = accept(lg, NULL, NULL);
	assert_true(s1 >= 0 && s2 >= 0);
	assert_int_equal(count_unix(blue), 1);
	assert_int_equal(count_unix(green), 1);
	close(c1);
	close(s1);
	assert_int_equal(count_unix(blue), 0);
	assert_int_equal(count_unix(green), 1);
	close(c2);
	close(s2);
	close(lb);
	close(lg);
	unlink(link);
	unlink(blue);
	unlink(green);
	rmdir(dir);
}

/* An app with a TCP port on blue, for drain_wait. */
static struct app_config *
app_on(int port, int drain_timeout)
{
	static struct app_config app;

	memset(&app, 0, sizeof app);
	app.name = (char *)"demo";
	app.switch_kind = switch_kind_find("nginx");
	app.blue_port = port;
	app.green_port = port == 65535 ? 1 : port + 1;
	app.drain_timeout = drain_timeout;
	return &app;
}

static int
stop_now(void *ctx)
{
	return ++*(int *)ctx >= 3;
}

static void
test_drain_waits_runs_out_and_stops(void **state)
{
	int port, lfd = tcp_listener(&port), c, s, polls = 0;
	struct drain_result r;
	char line[320];
	int64_t t0;

	(void)state;
	assert_int_equal(drain_wait(app_on(port, 1), "blue", clock_mono_ms(), NULL, NULL, &r),
	    DRAIN_EMPTY);
	assert_int_equal(r.at_start, 0);
	assert_string_equal(drain_describe(&r, "blue", line, sizeof line),
	    "blue has no open connections");

	c = tcp_connect(port);
	s = accept(lfd, NULL, NULL);
	t0 = clock_mono_ms();
	assert_int_equal(drain_wait(app_on(port, 1), "blue", t0, NULL, NULL, &r), DRAIN_TIMED_OUT);
	assert_true(r.ms >= 1000 && r.ms < 1500);
	assert_int_equal(r.at_start, 1);
	assert_int_equal(r.left, 1);
	assert_non_null(strstr(drain_describe(&r, "blue", line, sizeof line), "drain ran out"));

	/* A drain that began earlier (handed on) runs out at its own deadline. */
	assert_int_equal(drain_wait(app_on(port, 1), "blue", clock_mono_ms() - 1000, NULL, NULL,
			     &r),
	    DRAIN_TIMED_OUT);
	assert_true(r.ms < 100);

	assert_int_equal(drain_wait(app_on(port, 0), "blue", clock_mono_ms(), NULL, NULL, &r),
	    DRAIN_TIMED_OUT);
	assert_non_null(
	    strstr(drain_describe(&r, "blue", line, sizeof line), "drain_timeout is 0"));

	assert_int_equal(drain_wait(app_on(port, 30), "blue", clock_mono_ms(), stop_now, &polls,
			     &r),
	    DRAIN_STOPPED);
	assert_int_equal(polls, 3);

	/* The other color's connections do not hold blue. */
	assert_int_equal(drain_wait(app_on(port, 30), "green", clock_mono_ms(), NULL, NULL, &r),
	    DRAIN_EMPTY);
	close(c);
	close(s);
	close(lfd);
}

/* A child holds the last copy of the connection and exits a while later. */
static void
test_drain_ends_when_the_last_connection_closes(void **state)
{
	int port, lfd = tcp_listener(&port), c, s;
	struct drain_result r;
	pid_t pid;

	(void)state;
	c = tcp_connect(port);
	s = accept(lfd, NULL, NULL);
	pid = fork();
	if (pid == 0) {
		usleep(300000);
		_exit(0); /* its copies of c and s close with it */
	}
	close(c);
	close(s);
	assert_int_equal(drain_wait(app_on(port, 10), "blue", clock_mono_ms(), NULL, NULL, &r),
	    DRAIN_EMPTY);
	assert_true(r.ms >= 250 && r.ms < 1000);
	assert_int_equal(r.at_start, 1);
	close(lfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_counts_server_side_connections),
		cmocka_unit_test(test_unix_counts_accepted_connections),
		cmocka_unit_test(test_drain_waits_runs_out_and_stops),
		cmocka_unit_test(test_drain_ends_when_the_last_connection_closes),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("sockdiag", tests, NULL, NULL);
}
