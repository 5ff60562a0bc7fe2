/* Unit tests for conf.c: the key table, file:line reports, secrets. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "switch.h"
#include "xmalloc.h"

static char dir[] = "/tmp/test_conf.XXXXXX";

/* Writes a file under the temp dir with the given mode; returns its path. */
static char *
write_file(const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* Loads text as a config; returns the report, sets the counts and *cfg. */
static char *
load(const char *text, struct config **cfg, int *errors, int *warnings)
{
	char *path = write_file("turnout.conf", text, 0600);
	char *report = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&report, &len);

	*cfg = conf_load(path, f, errors, warnings);
	fclose(f);
	free(path);
	return report;
}

#define SERVER "[server]\nlisten = 127.0.0.1:9000\nstate_dir = state\ntoken_file = token\n"
#define APP_HEAD "[app \"baro\"]\nrepo = https://example.com/baro.git\nsecret_file = baro.secret\n"
#define APP_REST \
	"blue_port = 8082\ngreen_port = 8081\nstart = ./start\n" \
	"health = http://127.0.0.1:$TURNOUT_PORT/healthz\nnginx_upstream = up.conf\n"

static int
setup(void **state)
{
	char *p;

	if (mkdtemp(dir) == NULL)
		return -1;
	p = write_file("baro.secret", "first-secret\nsecond-secret\n", 0600);
	free(p);
	p = write_file("token", "the-token\n", 0600);
	free(p);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void
test_good_config(void **state)
{
	struct config *cfg;
	int errors, warnings;
	char *report = load(SERVER APP_HEAD APP_REST, &cfg, &errors, &warnings);
	const struct app_config *app;

	assert_int_equal(errors, 0);
	assert_int_equal(warnings, 0);
	assert_non_null(cfg);
	assert_string_equal(cfg->server.listen_host, "127.0.0.1");
	assert_int_equal(cfg->server.listen_port, 9000);
	assert_string_equal(cfg->server.token, "the-token");
	assert_int_equal(cfg->server.max_body, 25 * 1024 * 1024);
	app = conf_app(cfg, "baro");
	assert_non_null(app);
	assert_string_equal(app->branch, "main");
	assert_int_equal(app->blue_port, 8082);
	assert_int_equal(app->green_port, 8081);
	assert_int_equal(app->health_timeout, 60);
	assert_int_equal(app->keep_old, 1);
	assert_int_equal(app->keep_releases, 5);
	assert_string_equal(switch_name(app), "nginx");
	assert_string_equal(app->nginx_test, "nginx -t");
	assert_int_equal(app->nginx_keepalive, 0);
	assert_int_equal(app->drain_timeout, 30);
	assert_string_equal(app->nginx_pid, "/run/nginx.pid");
	/* Two secrets, one a line, for rotation. */
	assert_string_equal(app->secrets[0], "first-secret");
	assert_string_equal(app->secrets[1], "second-secret");
	assert_null(app->secrets[2]);
	/* Relative paths are taken from the config file's directory. */
	assert_non_null(strstr(app->nginx_upstream, dir));
	assert_null(conf_app(cfg, "nope"));
	conf_free(cfg);
	free(report);
}

static void
test_unknown_key_has_file_and_line(void **state)
{
	struct config *cfg;
	int errors;
	char *report = load(SERVER APP_HEAD APP_REST "colour = blue\n", &cfg, &errors, NULL);

	assert_null(cfg);
	assert_int_equal(errors, 1);
	/* SERVER is 4 lines, APP_HEAD 3, APP_REST 5: the bad key is line 13. */
	assert_non_null(strstr(report, "turnout.conf:13: error: unknown key 'colour'"));
	assert_non_null(strstr(report, "    colour = blue"));
	free(report);
}

static void
test_every_problem_reported(void **state)
{
	struct config *cfg;
	int errors;
	char *report = load("[server]\nlisten = nowhere\nmax_body = lots\n"
			    "[app \"baro\"]\nrepo = r\nblue_port = 70000\ngreen_port = 8081\n"
			    "keep_old = perhaps\nswitch = carrier-pigeon\ndrain_timeout = -1\n",
	    &cfg, &errors, NULL);

	assert_null(cfg);
	assert_non_null(strstr(report, ":2: error: 'listen' must be HOST:PORT"));
	assert_non_null(strstr(report, ":3: error: 'max_body' must be a size"));
	assert_non_null(
	    strstr(report, ":6: error: 'blue_port' must be a whole number from 1 to 65535"));
	assert_non_null(strstr(report, ":8: error: 'keep_old' must be yes or no"));
	assert_non_null(strstr(report, ":9: error: 'switch' must be"));
	assert_non_null(
	    strstr(report, ":10: error: 'drain_timeout' must be a whole number from 0 to 86400"));
	/* Section-level problems name the section's line. */
	assert_non_null(strstr(report, ":4: error: app 'baro' has no secret"));
	assert_non_null(strstr(report, ":4: error: app 'baro' has no 'start' command"));
	assert_non_null(strstr(report, ":4: error: app 'baro' has no 'health' URL"));
	assert_true(errors >= 8);
	free(report);
}

static void
test_equal_ports(void **state)
{
	struct config *cfg;
	int errors;
	char *report = load(SERVER APP_HEAD "blue_port = 8081\ngreen_port = 8081\nstart = s\n"
					    "health = http://h/\nnginx_upstream = u\n",
	    &cfg, &errors, NULL);

	assert_null(cfg);
	assert_int_equal(errors, 1);
	assert_non_null(strstr(report, "blue_port and green_port must differ"));
	free(report);
}

static void
test_missing_secret_file(void **state)
{
	struct config *cfg;
	int errors;
	char *report =
	    load(SERVER "[app \"baro\"]\nrepo = r\nsecret_file = /nonexistent/secret\n" APP_REST,
		&cfg, &errors, NULL);

	assert_null(cfg);
	assert_non_null(strstr(report, ":7: error: cannot read '/nonexistent/secret'"));
	free(report);
}

static void
test_world_readable_secret_warns(void **state)
{
	struct config *cfg;
	int errors, warnings;
	char *p = write_file("open.secret", "s3cr3t-value\n", 0644);
	char *text = xasprintf(SERVER "[app \"baro\"]\nrepo = r\nsecret_file = %s\n" APP_REST, p);
	char *report = load(text, &cfg, &errors, &warnings);

	assert_non_null(cfg);
	assert_int_equal(errors, 0);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(report, "warning: '"));
	assert_non_null(strstr(report, "readable by other users"));
	assert_null(strstr(report, "s3cr3t-value"));
	conf_free(cfg);
	free(report);
	free(text);
	free(p);
}

static void
test_secret_never_echoed(void **state)
{
	struct config *cfg;
	int errors;
	/* A misspelt secret key is an error, and its value stays hidden. */
	char *report =
	    load(SERVER APP_HEAD APP_REST "secret_fiel = hunter2hunter2\n", &cfg, &errors, NULL);

	assert_null(cfg);
	assert_non_null(strstr(report, "unknown key 'secret_fiel'"));
	assert_null(strstr(report, "hunter2"));
	free(report);
}

static void
test_three_secrets_refused(void **state)
{
	struct config *cfg;
	int errors;
	char *p = write_file("three.secret", "a\nb\nc\n", 0600);
	char *text = xasprintf(SERVER "[app \"baro\"]\nrepo = r\nsecret_file = %s\n" APP_REST, p);
	char *report = load(text, &cfg, &errors, NULL);

	assert_null(cfg);
	assert_non_null(strstr(report, "holds more than 2 secrets"));
	free(report);
	free(text);
	free(p);
}

static void
test_sections_and_names(void **state)
{
	struct config *cfg;
	int errors;
	char *report = load(SERVER "[database]\nx = 1\n[app \"../etc\"]\nrepo = r\n"
				   "[app \"ok\"]\nrepo = r\n[app \"ok\"]\nrepo = r\n",
	    &cfg, &errors, NULL);

	assert_null(cfg);
	assert_non_null(strstr(report, ":5: error: unknown section '[database]'"));
	assert_non_null(strstr(report, ":7: error: app name '../etc'"));
	assert_non_null(strstr(report, ":11: error: app 'ok' is defined twice"));
	free(report);
}

static void
test_switch_kinds_need_their_keys(void **state)
{
	struct config *cfg;
	int errors;
	char *report = load(SERVER APP_HEAD
	    "switch = socket\nstart = s\nhealth = http://h/\n"
	    "[app \"h\"]\nrepo = r\nsecret = x\nblue_port = 1\ngreen_port = 2\nstart = s\n"
	    "health = http://h/\nswitch = haproxy\n",
	    &cfg, &errors, NULL);

	assert_null(cfg);
	assert_non_null(
	    strstr(report, "switch = socket needs blue_socket, green_socket and socket_link"));
	assert_non_null(
	    strstr(report, "switch = haproxy needs haproxy_socket and haproxy_backend"));
	free(report);
}

static void
test_nginx_keepalive(void **state)
{
	struct config *cfg;
	int errors;
	char *report = load(SERVER APP_HEAD APP_REST "nginx_keepalive = 16\n", &cfg, &errors, NULL);

	assert_int_equal(errors, 0);
	assert_int_equal(conf_app(cfg, "baro")->nginx_keepalive, 16);
	conf_free(cfg);
	free(report);
	report = load(SERVER APP_HEAD APP_REST "nginx_keepalive = -1\n", &cfg, &errors, NULL);
	assert_null(cfg);
	assert_non_null(strstr(report, "nginx_keepalive"));
	free(report);
	/* Behind a socket link, pooled connections would outlive the switch. */
	report = load(SERVER APP_HEAD
	    "switch = socket\nstart = s\nhealth = http://h/\n"
	    "blue_socket = b.sock\ngreen_socket = g.sock\nsocket_link = l.sock\nnginx_keepalive = 4\n",
	    &cfg, &errors, NULL);
	assert_null(cfg);
	assert_non_null(
	    strstr(report, "nginx_keepalive is for switch = nginx only (pooled connections"));
	free(report);
}

/* A link planted by another user is not followed; one of ours is. */
static void
test_secret_file_links(void **state)
{
	char *target = xasprintf("%s/baro.secret", dir), *link = xasprintf("%s/link.secret", dir);
	char *text =
	    xasprintf(SERVER "[app \"baro\"]\nrepo = r\nsecret_file = %s\n" APP_REST, link);
	char *report;
	struct config *cfg;
	int errors;

	unlink(link);
	assert_int_equal(symlink(target, link), 0);
	report = load(text, &cfg, &errors, NULL);
	assert_int_equal(errors, 0);
	assert_string_equal(conf_app(cfg, "baro")->secrets[0], "first-secret");
	conf_free(cfg);
	free(report);
	if (geteuid() != 0) {
		/* Only root can give a link to another user. */
		free(text);
		free(link);
		free(target);
		skip();
	}
	assert_int_equal(lchown(link, 65534, 65534), 0);
	report = load(text, &cfg, &errors, NULL);
	assert_null(cfg);
	assert_non_null(strstr(report, "is a symbolic link that belongs to uid 65534"));
	free(report);
	/* A secret file another user owns is a warning: they can change it. */
	unlink(link);
	assert_int_equal(chown(target, 65534, 65534), 0);
	free(text);
	text = xasprintf(SERVER "[app \"baro\"]\nrepo = r\nsecret_file = %s\n" APP_REST, target);
	report = load(text, &cfg, &errors, NULL);
	assert_int_equal(errors, 0);
	assert_non_null(strstr(report, "belongs to uid 65534, who can change the secret"));
	conf_free(cfg);
	assert_int_equal(chown(target, 0, 0), 0);
	free(report);
	free(text);
	free(link);
	free(target);
}

static void
test_duplicate_key(void **state)
{
	struct config *cfg;
	int errors;
	char *report = load(SERVER APP_HEAD APP_REST "blue_port = 9999\n", &cfg, &errors, NULL);

	assert_null(cfg);
	assert_non_null(strstr(report, ":13: error: 'blue_port' is set twice"));
	free(report);
}

static void
test_missing_file(void **state)
{
	int errors;
	struct config *cfg = conf_load("/nonexistent/turnout.conf", NULL, &errors, NULL);

	assert_null(cfg);
	assert_int_equal(errors, 1);
}

static void
test_syntax_error(void **state)
{
	struct config *cfg;
	int errors;
	char *report = load(SERVER "this line has no equals sign\n", &cfg, &errors, NULL);

	assert_null(cfg);
	assert_non_null(strstr(report, ":5: error: cannot parse this line"));
	free(report);
}

static void
test_long_line_and_continuation(void **state)
{
	struct config *cfg;
	int errors;
	char *longcmd = xmalloc(300);
	char *text, *report;

	memset(longcmd, 'x', 299);
	longcmd[299] = '\0';
	text = xasprintf(SERVER APP_HEAD APP_REST "build = %s\n", longcmd);
	report = load(text, &cfg, &errors, NULL);
	assert_null(cfg);
	assert_int_equal(errors, 1);
	assert_non_null(strstr(report, ":13: error: line is longer than"));
	free(report);
	free(text);
	/* An indented line continues the command above it. */
	report =
	    load(SERVER APP_HEAD APP_REST "build = make\n    -j2\n\tall\n", &cfg, &errors, NULL);
	assert_non_null(cfg);
	assert_string_equal(conf_app(cfg, "baro")->build, "make -j2 all");
	conf_free(cfg);
	free(report);
	free(longcmd);
}

static void
test_socket_path_too_long(void **state)
{
	struct config *cfg;
	int errors;
	char longpath[140];
	char *text, *report;

	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	text = xasprintf(SERVER APP_HEAD
	    "switch = socket\nblue_socket = /run/b.sock\n"
	    "green_socket = /run/g.sock\nsocket_link = %s\nstart = s\nhealth = http://localhost/\n",
	    longpath);
	report = load(text, &cfg, &errors, NULL);
	assert_null(cfg);
	assert_int_equal(errors, 1);
	assert_non_null(strstr(report, "is longer than 107 bytes"));
	free(report);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_config),
		cmocka_unit_test(test_unknown_key_has_file_and_line),
		cmocka_unit_test(test_every_problem_reported),
		cmocka_unit_test(test_equal_ports),
		cmocka_unit_test(test_missing_secret_file),
		cmocka_unit_test(test_world_readable_secret_warns),
		cmocka_unit_test(test_secret_never_echoed),
		cmocka_unit_test(test_three_secrets_refused),
		cmocka_unit_test(test_sections_and_names),
		cmocka_unit_test(test_switch_kinds_need_their_keys),
		cmocka_unit_test(test_nginx_keepalive),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_secret_file_links),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_long_line_and_continuation),
		cmocka_unit_test(test_socket_path_too_long),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("conf", tests, setup, teardown);
}
