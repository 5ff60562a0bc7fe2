/* The client commands of main's table: their arguments, their API requests, their tables. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client.h"
#include "clock.h"
#include "conf.h"
#include "ids.h"
#include "when.h"
#include "xmalloc.h"
#include "banned.h"

/* One run of a command: the daemon to ask and what the user asked. */
struct client {
	char *url; /* base URL, no trailing slash */
	char *token;
	const char *arg[2]; /* positional arguments, borrowed from argv */
	int wait;           /* --wait */
	int follow;         /* -f */
	long limit;         /* -n N */
	int64_t id;         /* the deployment id argument */
	const char *reason; /* --reason TEXT */
	const char *until;  /* --until TIME */
};

struct buf {
	char *data;
	size_t len;
};

static size_t
buf_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;

	b->data = xrealloc(b->data, b->len + n + 1);
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/*
 * Makes one request; returns the HTTP status with the parsed JSON answer in
 * *out (may be NULL), or -1 when the daemon cannot be reached (said on stderr).
 */
static long
client_request(const struct client *cl, const char *method, const char *path, const char *body,
    json_t **out)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct buf b = { NULL, 0 };
	char *url = xasprintf("%s%s", cl->url, path);
	char *auth = xasprintf("Authorization: Bearer %s", cl->token != NULL ? cl->token : "");
	long status = -1;
	CURLcode rc;

	*out = NULL;
	headers = curl_slist_append(headers, auth);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (body != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		fprintf(stderr,
		    "turnout: cannot reach the daemon at %s: %s; is 'turnout serve' running? (set TURNOUT_URL to use another)\n",
		    cl->url, curl_easy_strerror(rc));
	else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (b.data != NULL)
			*out = json_loads(b.data, 0, NULL);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(url);
	free(b.data);
	return status;
}

/* Prints the daemon's {"error": ...} and returns the matching exit code. */
static int
client_error(long status, json_t *answer)
{
	const char *msg = json_string_value(json_object_get(answer, "error"));

	if (status == 401)
		fprintf(stderr,
		    "turnout: the daemon refused the token (%s); check token_file or TURNOUT_TOKEN\n",
		    msg != NULL ? msg : "401");
	else
		fprintf(stderr, "turnout: %s (HTTP %ld)\n", msg != NULL ? msg : "unexpected answer",
		    status);
	return status >= 500 ? EXIT_FAILED : EXIT_USAGE;
}

static int
is_final(const char *status)
{
	return strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
}

/* Follows a deployment until it ends; prints each step as it finishes. */
static int
client_wait(const struct client *cl, long long id)
{
	char path[64];
	size_t shown = 0;
	int tty = isatty(STDOUT_FILENO);
	time_t t0 = time(NULL);

	snprintf(path, sizeof path, "/api/deployments/%lld", id);
	for (;;) {
		json_t *d, *steps;
		const char *status;
		long http = client_request(cl, "GET", path, NULL, &d);
		size_t i;

		if (http < 0)
			return EXIT_UNREACHABLE;
		if (http != 200) {
			int rc = client_error(http, d);

			json_decref(d);
			return rc;
		}
		steps = json_object_get(d, "steps");
		for (i = shown; i < json_array_size(steps); i++) {
			json_t *s = json_array_get(steps, i);
			const char *st = json_string_value(json_object_get(s, "status"));
			json_int_t a = json_integer_value(json_object_get(s, "started_at"));
			json_int_t b = json_integer_value(json_object_get(s, "finished_at"));
			const char *detail = json_string_value(json_object_get(s, "detail"));

			if (strcmp(st, "running") == 0) {
				/* On a terminal the running step ticks in place. */
				if (tty)
					printf("\r  %-8s running   %5.1f s",
					    json_string_value(json_object_get(s, "name")),
					    (double)(clock_real_ms() - a) / 1000.0);
				break;
			}
			printf("%s%-8s %-9s %5.1f s%s%s\n", tty ? "\r  " : "",
			    json_string_value(json_object_get(s, "name")), st,
			    (double)(b - a) / 1000.0, detail != NULL ? "  " : "",
			    detail != NULL ? detail : "");
		}
		shown = i;
		fflush(stdout);
		status = json_string_value(json_object_get(d, "status"));
		if (status != NULL && is_final(status)) {
			const char *err = json_string_value(json_object_get(d, "error"));
			int ok = strcmp(status, "succeeded") == 0;

			printf("%sdeployment %lld %s after %ld s%s%s\n", tty ? "\r" : "", id,
			    status, (long)(time(NULL) - t0), err != NULL ? ": " : "",
			    err != NULL ? err : "");
			json_decref(d);
			return ok ? EXIT_OK : EXIT_FAILED;
		}
		json_decref(d);
		usleep(300000);
	}
}

/* Loads URL and token: the environment first, then the config file. */
static int
client_init(struct client *cl, const char *config_path)
{
	const char *url = getenv("TURNOUT_URL"), *token = getenv("TURNOUT_TOKEN");
	struct config *cfg = NULL;

	if (url == NULL || token == NULL) {
		int errors;

		cfg = conf_load(config_path, NULL, &errors, NULL);
		if (cfg == NULL) {
			fprintf(stderr,
			    "turnout: cannot use the config '%s' (run 'turnout check-config'),"
			    " or set TURNOUT_URL and TURNOUT_TOKEN\n",
			    config_path);
			return -1;
		}
	}
	if (url != NULL)
		cl->url = xstrdup(url);
	else {
		const char *host = cfg->server.listen_host;

		if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
			host = "127.0.0.1";
		cl->url = xasprintf(strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host,
		    cfg->server.listen_port);
	}
	while (cl->url[0] != '\0' && cl->url[strlen(cl->url) - 1] == '/')
		cl->url[strlen(cl->url) - 1] = '\0';
	cl->token = xstrdup(token != NULL ? token : cfg->server.token);
	conf_free(cfg);
	return 0;
}

/* Milliseconds since the epoch as a short local "since" text. */
static void
format_since(long long ms, char *buf, size_t size)
{
	/*
	 * From the same clock the daemon stamps with: time() lags it by up to
	 * a tick, and a freeze made a millisecond ago read "-1s ago". A clock
	 * set back since reads as now.
	 */
	long long s = ((long long)clock_real_ms() - ms) / 1000;

	if (s < 0)
		s = 0;
	if (ms == 0)
		snprintf(buf, size, "-");
	else if (s < 60)
		snprintf(buf, size, "%llds ago", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm ago", s / 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh ago", s / 3600);
	else
		snprintf(buf, size, "%lldd ago", s / 86400);
}

static const char *
str_or(json_t *obj, const char *key, const char *def)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v != NULL ? v : def;
}

/* GETs path into *out; returns an exit code (0 when it answered 200). */
static int
client_get(const struct client *cl, const char *path, json_t **out)
{
	long status = client_request(cl, "GET", path, NULL, out);

	if (status < 0)
		return EXIT_UNREACHABLE;
	if (status != 200) {
		int rc = client_error(status, *out);

		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return EXIT_OK;
}

static void print_freeze(const char *app, json_t *f);

/* What a command takes beside -c FILE and its positional arguments. */
#define TAKES_WAIT 0x1    /* --wait */
#define TAKES_FOLLOW 0x2  /* -f */
#define TAKES_LIMIT 0x4   /* -n N */
#define TAKES_ID 0x8      /* its argument is a deployment id, not an app name */
#define TAKES_FREEZE 0x10 /* --reason TEXT and --until TIME */

/*
 * Reads a command's arguments into cl (min to max positional ones, the
 * options in takes), then the URL and token. Returns EXIT_OK with cl ready
 * for client_close(), or the exit code, cl holding nothing to free.
 */
static int
client_open(struct client *cl, int argc, char **argv, int takes, int min, int max)
{
	const char *cmd = argv[0], *config = getenv("TURNOUT_CONFIG");
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
	int n = 0, nargs = 0, rc = EXIT_OK;

	memset(cl, 0, sizeof *cl);
	cl->limit = 20;
	/* -c FILE goes first, wherever it stands: "-n -c FILE" is a -n without N. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			config = argv[++i];
		else
			rest[n++] = argv[i];
	}
	for (int i = 0; i < n && rc == EXIT_OK; i++) {
		if (strcmp(rest[i], "--wait") == 0 && (takes & TAKES_WAIT))
			cl->wait = 1;
		else if (strcmp(rest[i], "-f") == 0 && (takes & TAKES_FOLLOW))
			cl->follow = 1;
		else if (strcmp(rest[i], "-n") == 0 && (takes & TAKES_LIMIT) && i + 1 < n) {
			if (ids_parse_long(rest[++i], 1, 100, &cl->limit) != 0) {
				fprintf(stderr, "turnout %s: -n takes a number from 1 to 100\n",
				    cmd);
				rc = EXIT_USAGE;
			}
		} else if ((takes & TAKES_FREEZE) && i + 1 < n &&
		    (strcmp(rest[i], "--reason") == 0 || strcmp(rest[i], "--until") == 0)) {
			if (rest[i][2] == 'r')
				cl->reason = rest[++i];
			else
				cl->until = rest[++i];
		} else if (rest[i][0] == '-' || nargs == 2) {
			fprintf(stderr,
			    "turnout %s: unexpected argument '%s' (try: turnout help)\n", cmd,
			    rest[i]);
			rc = EXIT_USAGE;
		} else
			cl->arg[nargs++] = rest[i];
	}
	free(rest);
	if (rc != EXIT_OK)
		return rc;
	if (nargs < min || nargs > max)
		return EXIT_SHOW_USAGE;
	if (takes & TAKES_ID) {
		if (ids_parse_int64(cl->arg[0], 1, INT64_MAX, &cl->id) != 0) {
			fprintf(stderr,
			    "turnout %s: '%s' is not a deployment id (see: turnout history APP)\n",
			    cmd, cl->arg[0]);
			return EXIT_USAGE;
		}
	} else if (cl->arg[0] != NULL &&
	    (strlen(cl->arg[0]) > 64 || strchr(cl->arg[0], '/') != NULL ||
		strchr(cl->arg[0], '?') != NULL)) {
		fprintf(stderr, "turnout %s: '%s' is not an app name\n", cmd, cl->arg[0]);
		return EXIT_USAGE;
	}
	if (client_init(cl, config != NULL && *config != '\0' ? config : CONF_DEFAULT_PATH) != 0)
		return EXIT_USAGE;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return EXIT_OK;
}

/* Frees what client_open() set up; the token is wiped first. */
static void
client_close(struct client *cl)
{
	free(cl->url);
	if (cl->token != NULL)
		explicit_bzero(cl->token, strlen(cl->token));
	free(cl->token);
	curl_global_cleanup();
}

int
client_cmd_status(int argc, char **argv)
{
	json_t *r, *apps;
	size_t shown = 0;
	struct client cl;
	int rc;

	if ((rc = client_open(&cl, argc, argv, 0, 0, 1)) != EXIT_OK)
		return rc;
	if ((rc = client_get(&cl, "/api/apps", &r)) != EXIT_OK)
		goto out;
	apps = json_object_get(r, "apps");
	printf("%-16s %-6s %-12s %-10s %-10s %s\n", "APP", "LIVE", "COMMIT", "SINCE", "STATE",
	    "QUEUE");
	for (size_t i = 0; i < json_array_size(apps); i++) {
		json_t *a = json_array_get(apps, i);
		char since[32];

		if (cl.arg[0] != NULL && strcmp(cl.arg[0], str_or(a, "name", "")) != 0)
			continue;
		format_since(json_integer_value(json_object_get(a, "since")), since, sizeof since);
		printf("%-16s %-6s %-12.12s %-10s %-10s %lld\n", str_or(a, "name", "?"),
		    str_or(a, "active_color", "-"), str_or(a, "live_commit", "-"), since,
		    str_or(a, "state", "?"),
		    (long long)json_integer_value(json_object_get(a, "queue")));
		shown++;
	}
	for (size_t i = 0; i < json_array_size(apps); i++) {
		json_t *a = json_array_get(apps, i), *f = json_object_get(a, "frozen");

		if (json_is_object(f) &&
		    (cl.arg[0] == NULL || strcmp(cl.arg[0], str_or(a, "name", "")) == 0))
			print_freeze(str_or(a, "name", "?"), f);
	}
	json_decref(r);
	if (cl.arg[0] != NULL && shown == 0) {
		fprintf(stderr, "turnout status: no app '%s' (see: turnout status)\n", cl.arg[0]);
		rc = EXIT_USAGE;
	}
out:
	client_close(&cl);
	return rc;
}

int
client_cmd_history(int argc, char **argv)
{
	char path[200];
	json_t *r, *list;
	struct client cl;
	int rc;

	if ((rc = client_open(&cl, argc, argv, TAKES_LIMIT, 1, 1)) != EXIT_OK)
		return rc;
	snprintf(path, sizeof path, "/api/apps/%s/deployments?limit=%ld", cl.arg[0], cl.limit);
	if ((rc = client_get(&cl, path, &r)) != EXIT_OK)
		goto out;
	list = json_object_get(r, "deployments");
	printf("%-6s %-12s %-9s %-12s %8s  %-16s %s\n", "ID", "STATUS", "KIND", "COMMIT", "TOOK",
	    "AUTHOR", "MESSAGE");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *d = json_array_get(list, i);
		long long a = json_integer_value(json_object_get(d, "started_at"));
		long long b = json_integer_value(json_object_get(d, "finished_at"));
		const char *msg = str_or(d, "message", "");
		char took[16];

		if (a > 0 && b > 0)
			snprintf(took, sizeof took, "%.1fs", (double)(b - a) / 1000.0);
		else
			snprintf(took, sizeof took, "-");
		const char *tag = str_or(d, "tag", NULL);

		printf("%-6lld %-12s %-9s %-12.12s %8s  %-16.16s %.*s%s%s%s%s\n",
		    (long long)json_integer_value(json_object_get(d, "id")),
		    str_or(d, "status", "?"), str_or(d, "kind", "?"), str_or(d, "commit", "-"),
		    took, str_or(d, "author", ""),
		    (int)strcspn(msg, "\n") > 60 ? 60 : (int)strcspn(msg, "\n"), msg,
		    tag != NULL ? "  [tag " : "", tag != NULL ? tag : "", tag != NULL ? "]" : "",
		    json_is_true(json_object_get(d, "bad_release")) ? "  [bad release]" : "");
	}
	json_decref(r);
out:
	client_close(&cl);
	return rc;
}

int
client_cmd_logs(int argc, char **argv)
{
	long long offset = 0;
	struct client cl;
	int rc;

	if ((rc = client_open(&cl, argc, argv, TAKES_FOLLOW | TAKES_ID, 1, 1)) != EXIT_OK)
		return rc;
	for (;;) {
		char path[96];
		json_t *r, *lines;
		int done;

		snprintf(path, sizeof path, "/api/deployments/%lld/log?offset=%lld",
		    (long long)cl.id, offset);
		if ((rc = client_get(&cl, path, &r)) != EXIT_OK)
			break;
		lines = json_object_get(r, "lines");
		for (size_t i = 0; i < json_array_size(lines); i++) {
			json_t *l = json_array_get(lines, i);

			printf("%s%s\n",
			    strcmp(str_or(l, "stream", ""), "turnout") == 0 ? "turnout: " : "",
			    str_or(l, "line", ""));
		}
		fflush(stdout);
		offset = json_integer_value(json_object_get(r, "next_offset"));
		done = json_is_true(json_object_get(r, "done"));
		if (!cl.follow || (done && json_array_size(lines) == 0)) {
			int failed = done && strcmp(str_or(r, "status", ""), "succeeded") != 0;

			json_decref(r);
			rc = cl.follow && failed ? EXIT_FAILED : EXIT_OK;
			break;
		}
		json_decref(r);
		if (!done)
			usleep(500000);
	}
	client_close(&cl);
	return rc;
}

int
client_cmd_cancel(int argc, char **argv)
{
	char path[96];
	json_t *r = NULL;
	long status;
	struct client cl;
	int rc;

	if ((rc = client_open(&cl, argc, argv, TAKES_ID, 1, 1)) != EXIT_OK)
		return rc;
	snprintf(path, sizeof path, "/api/deployments/%lld/cancel", (long long)cl.id);
	status = client_request(&cl, "POST", path, "", &r);
	if (status < 0)
		rc = EXIT_UNREACHABLE;
	else if (status == 409) {
		fprintf(stderr, "turnout cancel: %s\n", str_or(r, "error", "cannot cancel"));
		rc = EXIT_FAILED;
	} else if (status != 200)
		rc = client_error(status, r);
	else
		printf("deployment %lld: %s\n", (long long)cl.id, str_or(r, "status", "?"));
	json_decref(r);
	client_close(&cl);
	return rc;
}

/* turnout deploy and rollback: POST /api/apps/APP/what, then maybe --wait. */
static int
client_queue(int argc, char **argv, const char *what, int max)
{
	json_t *answer = NULL;
	char path[160], *body = NULL;
	const char *commit;
	long status;
	struct client cl;
	int rc;

	if ((rc = client_open(&cl, argc, argv, TAKES_WAIT, 1, max)) != EXIT_OK)
		return rc;
	commit = cl.arg[1];
	snprintf(path, sizeof path, "/api/apps/%s/%s", cl.arg[0], what);
	if (commit != NULL) {
		json_t *o = json_pack("{ss}", "commit", commit);

		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	status = client_request(&cl, "POST", path, body != NULL ? body : "", &answer);
	if (status < 0)
		rc = EXIT_UNREACHABLE;
	else if (status != 202)
		rc = client_error(status, answer);
	else {
		long long id = json_integer_value(json_object_get(answer, "deployment"));

		json_t *frozen = json_object_get(answer, "frozen");

		printf("deployment %lld queued: %s of %s%s%s\n", id, what, cl.arg[0],
		    commit != NULL ? " at " : "", commit != NULL ? commit : "");
		if (json_is_object(frozen)) {
			print_freeze(cl.arg[0], frozen);
			printf("it starts after turnout unfreeze %s\n", cl.arg[0]);
		}
		fflush(stdout);
		rc = cl.wait ? client_wait(&cl, id) : EXIT_OK;
	}
	json_decref(answer);
	free(body);
	client_close(&cl);
	return rc;
}

int
client_cmd_deploy(int argc, char **argv)
{
	return client_queue(argc, argv, "deploy", 2);
}

int
client_cmd_rollback(int argc, char **argv)
{
	return client_queue(argc, argv, "rollback", 1);
}

/* "user@host" of whoever runs the CLI, cut to the 64 bytes a freeze's "by" may have; new. */
static char *
whoami(void)
{
	struct passwd *pw = getpwuid(getuid());
	char host[64], *by;

	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	by = xasprintf("%s@%s", pw != NULL ? pw->pw_name : "?", host[0] != '\0' ? host : "?");
	if (strlen(by) > 64)
		by[64] = '\0';
	return by;
}

/* Prints app's freeze (the "frozen" object of the API) as one line. */
static void
print_freeze(const char *app, json_t *f)
{
	long long until = json_integer_value(json_object_get(f, "until"));
	char since[32], when[WHEN_LEN];

	format_since(json_integer_value(json_object_get(f, "since")), since, sizeof since);
	if (until > 0)
		when_format(until, when, sizeof when);
	printf("%s is frozen by %s (%s) %s%s: %s\n", app, str_or(f, "by", "?"), since,
	    until > 0 ? "until " : "until turnout unfreeze", until > 0 ? when : "",
	    str_or(f, "reason", ""));
}

int
client_cmd_freeze(int argc, char **argv)
{
	json_t *answer = NULL, *o;
	char path[160], *body, *by;
	const char *why;
	int64_t end;
	long status;
	struct client cl;
	int rc;

	if ((rc = client_open(&cl, argc, argv, TAKES_FREEZE, 1, 1)) != EXIT_OK)
		return rc;
	if (cl.reason == NULL || *cl.reason == '\0') {
		fprintf(stderr,
		    "turnout freeze: say why with --reason TEXT (it is shown to all)\n");
		client_close(&cl);
		return EXIT_USAGE;
	}
	/* The daemon checks it too; a typo is caught here without a request. */
	if (cl.until != NULL && when_parse(cl.until, (int64_t)time(NULL) * 1000, &end, &why) != 0) {
		fprintf(stderr, "turnout freeze: --until '%s': %s\n", cl.until, why);
		client_close(&cl);
		return EXIT_USAGE;
	}
	by = whoami();
	o = json_pack("{ssss}", "reason", cl.reason, "by", by);
	free(by);
	if (cl.until != NULL)
		json_object_set_new(o, "until", json_string(cl.until));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	snprintf(path, sizeof path, "/api/apps/%s/freeze", cl.arg[0]);
	status = client_request(&cl, "POST", path, body, &answer);
	if (status < 0)
		rc = EXIT_UNREACHABLE;
	else if (status != 200)
		rc = client_error(status, answer);
	else {
		print_freeze(cl.arg[0], json_object_get(answer, "frozen"));
		printf("deployments of %s queue and wait; turnout unfreeze %s lets them start\n",
		    cl.arg[0], cl.arg[0]);
	}
	json_decref(answer);
	free(body);
	client_close(&cl);
	return rc;
}

int
client_cmd_unfreeze(int argc, char **argv)
{
	json_t *answer = NULL;
	char path[160];
	long status;
	struct client cl;
	int rc;

	if ((rc = client_open(&cl, argc, argv, 0, 1, 1)) != EXIT_OK)
		return rc;
	snprintf(path, sizeof path, "/api/apps/%s/unfreeze", cl.arg[0]);
	status = client_request(&cl, "POST", path, "", &answer);
	if (status < 0)
		rc = EXIT_UNREACHABLE;
	else if (status != 200)
		rc = client_error(status, answer);
	else if (json_is_null(json_object_get(answer, "was")))
		printf("%s was not frozen\n", cl.arg[0]);
	else
		printf("%s unfrozen: a queued deployment starts now\n", cl.arg[0]);
	json_decref(answer);
	client_close(&cl);
	return rc;
}
