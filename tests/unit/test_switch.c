/*
 * Unit tests for the switch kinds' pure parts: the table, each kind's
 * config checks, the nginx upstream text and its reading back, HAProxy's
 * "show stat" answer parsed.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fsutil.h"
#include "switch-kind.h"
#include "switch.h"
#include "xmalloc.h"

static char dir[] = "/tmp/test_switch.XXXXXX";

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char *cause = NULL;
	int rc = fsutil_remove_tree(dir, &cause);

	free(cause);
	return rc;
}

/* Loads an app section (after a fixed [server]) and returns the report; *cfg too. */
static char *
load(const char *app, struct config **cfg)
{
	char *path = xasprintf("%s/turnout.conf", dir), *text, *report = NULL, *cause = NULL;
	size_t len = 0;
	FILE *f;

	text = xasprintf("[server]\nlisten = 127.0.0.1:9000\nstate_dir = state\n"
			 "[app \"demo\"]\nrepo = /srv/r.git\nsecret = s3cret\nstart = ./start\n"
			 "health = http://127.0.0.1:$TURNOUT_PORT/\n%s",
	    app);
	assert_int_equal(fsutil_write_atomic(path, text, &cause), 0);
	f = open_memstream(&report, &len);
	*cfg = conf_load(path, f, NULL, NULL);
	fclose(f);
	free(text);
	free(path);
	return report;
}

/* The app section loads without an error. */
static void
loads(const char *app)
{
	struct config *cfg;
	char *report = load(app, &cfg);

	if (cfg == NULL)
		fail_msg("refused: %s", report);
	conf_free(cfg);
	free(report);
}

/* The app section is refused with an error that says want. */
static void
refused(const char *app, const char *want)
{
	struct config *cfg;
	char *report = load(app, &cfg);

	assert_null(cfg);
	if (strstr(report, want) == NULL)
		fail_msg("wanted '%s' in: %s", want, report);
	free(report);
}

static void
test_table(void **state)
{
	char names[128];

	assert_string_equal(switch_kind_find("nginx")->name, "nginx");
	assert_ptr_equal(switch_kind_find("haproxy"), &switch_kind_haproxy);
	assert_null(switch_kind_find("traefik"));
	assert_null(switch_kind_find(""));
	assert_string_equal(switch_kind_list(names, sizeof names),
	    "nginx, socket, haproxy or command");
	/* A short buffer is cut, never overrun. */
	assert_string_equal(switch_kind_list(names, 8), "nginx, ");
	refused("switch = traefik\n", "'switch' must be nginx, socket, haproxy or command");
}

static void
test_nginx_checks(void **state)
{
	loads("blue_port = 8081\ngreen_port = 8082\nnginx_upstream = up.conf\n");
	refused("blue_port = 8081\ngreen_port = 8082\n", "switch = nginx needs 'nginx_upstream'");
	refused("nginx_upstream = up.conf\n", "app 'demo' needs blue_port and green_port");
	refused("blue_port = 8081\ngreen_port = 8081\nnginx_upstream = up.conf\n",
	    "blue_port and green_port must differ (both 8081)");
	refused("blue_port = 9000\ngreen_port = 8082\nnginx_upstream = up.conf\n",
	    "a color's port is turnout's own listen port");
}

static void
test_socket_checks(void **state)
{
	char *app, *want, longpath[150];

	loads(
	    "switch = socket\nblue_socket = b.sock\ngreen_socket = g.sock\nsocket_link = l.sock\n");
	refused("switch = socket\nblue_socket = b.sock\nsocket_link = l.sock\n",
	    "switch = socket needs blue_socket, green_socket and socket_link");
	refused("switch = socket\nblue_socket = b.sock\ngreen_socket = b.sock\nsocket_link = l\n",
	    "blue_socket and green_socket must differ");
	refused("switch = socket\nblue_socket = b\ngreen_socket = g\nsocket_link = l\n"
		"nginx_keepalive = 8\n",
	    "nginx_keepalive is for switch = nginx only (pooled");
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	app = xasprintf("switch = socket\nblue_socket = %s\ngreen_socket = g\nsocket_link = l\n",
	    longpath);
	want = xasprintf("the socket path '%s' is longer than 107 bytes", longpath);
	refused(app, want);
	free(app);
	free(want);
}

static void
test_haproxy_and_command_checks(void **state)
{
	loads("switch = haproxy\nblue_port = 1\ngreen_port = 2\nhaproxy_socket = /run/h.sock\n"
	      "haproxy_backend = app\n");
	refused("switch = haproxy\nblue_port = 1\ngreen_port = 2\nhaproxy_socket = /run/h\n",
	    "switch = haproxy needs haproxy_socket and haproxy_backend");
	refused("switch = haproxy\nblue_port = 1\ngreen_port = 2\nhaproxy_socket = /h\n"
		"haproxy_backend = app\nnginx_keepalive = 2\n",
	    "nginx_keepalive is for switch = nginx only");
	loads("switch = command\nblue_port = 1\ngreen_port = 2\nswitch_command = ./sw\n");
	refused("switch = command\nblue_port = 1\ngreen_port = 2\n",
	    "switch = command needs 'switch_command'");
}

/* An app on ports 8081/8082 behind nginx, as the seed post has it. */
static struct app_config *
nginx_app(const char *name)
{
	static struct app_config app;

	memset(&app, 0, sizeof app);
	app.name = (char *)name;
	app.switch_kind = &switch_kind_nginx;
	app.blue_port = 8081;
	app.green_port = 8082;
	return &app;
}

static void
test_nginx_text(void **state)
{
	struct app_config *app = nginx_app("my-app.v2");
	char *text = switch_nginx_text(app, "green");

	assert_non_null(strstr(text, "upstream my-app.v2 {\n    server 127.0.0.1:8082;\n}\n"));
	assert_non_null(strstr(text, "# live color: green\n"));
	/* nginx variable names take letters, digits and '_' only. */
	assert_non_null(
	    strstr(text, "map $host $turnout_color_my_app_v2 {\n    default \"green\";"));
	assert_null(strstr(text, "keepalive"));
	assert_string_equal(switch_nginx_parse(app, text), "green");
	free(text);
	app->nginx_keepalive = 16;
	app->nginx_upstream_name = (char *)"backend";
	text = switch_nginx_text(app, "blue");
	assert_non_null(strstr(text,
	    "upstream backend {\n    server 127.0.0.1:8081;\n"
	    "    keepalive 16;\n}\n"));
	assert_string_equal(switch_nginx_parse(app, text), "blue");
	free(text);
}

static void
test_nginx_parse(void **state)
{
	struct app_config *app = nginx_app("demo");
	char a[] = "upstream backend {\n\tserver 127.0.0.1:8082 max_fails=0;\n}\n";
	char b[] = "upstream backend { server localhost:9999; }";
	char c[] = "# observer 1:8081;\nupstream x {\n server [::1]:8081;\n}";
	char d[] = "upstream x { server 127.0.0.1:8081 }";
	char e[] = "";

	/* The first server line's port names the color. */
	assert_string_equal(switch_nginx_parse(app, a), "green"); /* parameters after the port */
	assert_null(switch_nginx_parse(app, b));
	assert_string_equal(switch_nginx_parse(app, c), "blue");
	assert_null(switch_nginx_parse(app, d)); /* no ';' */
	assert_null(switch_nginx_parse(app, e));
}

static void
test_haproxy_parse(void **state)
{
	char answer[] =
	    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
	    "wretr,wredis,status,weight\n"
	    "web,FRONTEND,,,3,5,100,10,0,0,0,0,0,,,,,OPEN,\n"
	    "other,blue,0,0,9,9,,9,0,0,,0,,0,0,0,0,UP,1\n"
	    "app,blue,0,0,2,4,,20,0,0,,0,,0,0,0,0,DRAIN,1\n"
	    "app,green,0,0,7,8,,30,0,0,,0,,0,0,0,0,UP,1\n"
	    "app,BACKEND,0,0,9,9,,50,0,0,0,0,,0,0,0,0,UP,2\n";
	char missing[] = "app,blue,0,0,2,4,,20,0,0,,0,,0,0,0,0,MAINT,1\n";
	char status[2][16], *cause = NULL;
	long scur[2];

	assert_int_equal(switch_haproxy_parse("app", answer, status, scur, &cause), 0);
	assert_string_equal(status[0], "DRAIN");
	assert_string_equal(status[1], "UP");
	assert_int_equal(scur[0], 2);
	assert_int_equal(scur[1], 7);
	assert_int_equal(switch_haproxy_parse("app", missing, status, scur, &cause), -1);
	assert_string_equal(cause, "HAProxy backend 'app' needs servers named blue and green");
	free(cause);
}

static void
test_ports_and_sockets(void **state)
{
	struct app_config *app = nginx_app("demo");

	assert_int_equal(switch_port(app, "blue"), 8081);
	assert_int_equal(switch_port(app, "green"), 8082);
	assert_null(switch_socket(app, "blue"));
	assert_string_equal(switch_other("blue"), "green");
	assert_string_equal(switch_other("green"), "blue");
	app->switch_kind = &switch_kind_socket;
	app->blue_socket = (char *)"/run/b.sock";
	app->green_socket = (char *)"/run/g.sock";
	assert_int_equal(switch_port(app, "blue"), 0);
	assert_string_equal(switch_socket(app, "green"), "/run/g.sock");
	assert_string_equal(switch_name(app), "socket");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nginx_checks),
		cmocka_unit_test(test_socket_checks),
		cmocka_unit_test(test_haproxy_and_command_checks),
		cmocka_unit_test(test_nginx_text),
		cmocka_unit_test(test_nginx_parse),
		cmocka_unit_test(test_haproxy_parse),
		cmocka_unit_test(test_ports_and_sockets),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("switch", tests, setup, teardown);
}
