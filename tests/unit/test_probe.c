/*
 * Unit tests for probe.c: what a failed check says, by kind (refused,
 * timeout, tls, closed), and an answer's status and body, against small
 * servers on loopback.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

/* A listening socket on 127.0.0.1 with a free port; returns the fd. */
static int
listen_any(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A server thread: accepts one connection, reads a little, writes reply, closes. */
struct server {
	int fd;
	const char *reply; /* NULL: close without a byte */
};

static void *
serve_one(void *arg)
{
	struct server *s = arg;
	char buf[2048];
	int c = accept(s->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	if (read(c, buf, sizeof buf) < 0)
		buf[0] = '\0';
	if (s->reply != NULL && write(c, s->reply, strlen(s->reply)) < 0)
		buf[0] = '\0';
	close(c);
	return NULL;
}

/* Probes url once against a server that answers reply; returns what was seen. */
static int
probe_against(const char *scheme, const char *reply, struct probe_result *res)
{
	struct server s;
	pthread_t t;
	char url[96];
	int port, ok;

	s.fd = listen_any(&port);
	s.reply = reply;
	assert_int_equal(pthread_create(&t, NULL, serve_one, &s), 0);
	snprintf(url, sizeof url, "%s://127.0.0.1:%d/healthz", scheme, port);
	ok = probe_once(url, NULL, 2000, res);
	pthread_join(t, NULL);
	close(s.fd);
	return ok;
}

static void
test_answer_status_and_body(void **state)
{
	struct probe_result res;
	char desc[320];

	(void)state;
	assert_int_equal(probe_against("http",
			     "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 10\r\n"
			     "Connection: close\r\n\r\nnot ready\n",
			     &res),
	    0);
	assert_int_equal(res.status, 503);
	assert_string_equal(probe_describe(&res, desc, sizeof desc), "HTTP 503: not ready");
	assert_int_equal(
	    probe_against("http",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n", &res),
	    1);
	assert_int_equal(res.status, 200);
}

static void
test_refused(void **state)
{
	struct probe_result res;
	char url[96];
	int port, fd = listen_any(&port);

	(void)state;
	close(fd); /* nothing listens there now */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
	assert_int_equal(probe_once(url, NULL, 1000, &res), 0);
	assert_int_equal(res.status, 0);
	assert_true(strncmp(res.error, "refused: ", 9) == 0);
	/* libcurl's own words name the port. */
	snprintf(url, sizeof url, "port %d", port);
	assert_non_null(strstr(res.error, url));
}

static void
test_timeout(void **state)
{
	struct probe_result res;
	char url[96];
	int port, fd = listen_any(&port);

	(void)state;
	/* The kernel completes the connection; nobody ever answers. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
	assert_int_equal(probe_once(url, NULL, 300, &res), 0);
	assert_true(strncmp(res.error, "timeout: ", 9) == 0);
	close(fd);
}

static void
test_tls_and_closed(void **state)
{
	struct probe_result res;

	(void)state;
	/* https to a server that speaks plain HTTP: the handshake fails. */
	assert_int_equal(probe_against("https", "HTTP/1.1 400 Bad Request\r\n\r\n", &res), 0);
	assert_true(strncmp(res.error, "tls: ", 5) == 0);
	/* A server that closes without a byte. */
	assert_int_equal(probe_against("http", NULL, &res), 0);
	assert_true(strncmp(res.error, "closed: ", 8) == 0);
}

static int
always_stop(void *ctx)
{
	(void)ctx;
	return 1;
}

static void
test_wait_counts_attempts(void **state)
{
	struct probe_result res;
	char url[96];
	int port, fd = listen_any(&port);

	(void)state;
	close(fd);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
	/* One second of refusals: several attempts, the last one described. */
	assert_int_equal(probe_wait(url, NULL, 1, 1, NULL, NULL, NULL, &res), -1);
	assert_true(res.attempts > 2);
	assert_true(strncmp(res.error, "refused: ", 9) == 0);
	/* A cancel stops after the first. */
	assert_int_equal(probe_wait(url, NULL, 5, 1, NULL, always_stop, NULL, &res), -1);
	assert_int_equal(res.attempts, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_status_and_body),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_tls_and_closed),
		cmocka_unit_test(test_wait_counts_attempts),
	};

	probe_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
