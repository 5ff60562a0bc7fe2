#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client.h"
#include "conf.h"
#include "xmalloc.h"
#include "banned.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct client {
	char *url;	/* base URL, no trailing slash */
	char *token;
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
client_request(const struct client *cl, const char *method, const char *path,
    const char *body, json_t **out)
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
		fprintf(stderr, "turnout: cannot reach the daemon at %s: %s; is 'turnout serve' running? (set TURNOUT_URL to use another)\n",
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
		fprintf(stderr, "turnout: the daemon refused the token (%s); check token_file or TURNOUT_TOKEN\n",
		    msg != NULL ? msg : "401");
	else
		fprintf(stderr, "turnout: %s (HTTP %ld)\n", msg != NULL ? msg : "unexpected answer", status);
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
					printf("\r  %-8s running   %5.1f s", json_string_value(json_object_get(s, "name")),
					    (double)(time(NULL) * 1000LL - a) / 1000.0);
				break;
			}
			printf("%s%-8s %-9s %5.1f s%s%s\n", tty ? "\r  " : "",
			    json_string_value(json_object_get(s, "name")), st, (double)(b - a) / 1000.0,
			    detail != NULL ? "  " : "", detail != NULL ? detail : "");
		}
		shown = i;
		fflush(stdout);
		status = json_string_value(json_object_get(d, "status"));
		if (status != NULL && is_final(status)) {
			const char *err = json_string_value(json_object_get(d, "error"));
			int ok = strcmp(status, "succeeded") == 0;

			printf("%sdeployment %lld %s after %ld s%s%s\n", tty ? "\r" : "", id, status,
			    (long)(time(NULL) - t0),
			    err != NULL ? ": " : "", err != NULL ? err : "");
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
			fprintf(stderr, "turnout: cannot use the config '%s' (run 'turnout check-config'),"
			    " or set TURNOUT_URL and TURNOUT_TOKEN\n", config_path);
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
	long long s = (long long)time(NULL) - ms / 1000;

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

/* turnout status [APP] */
static int
client_status(const struct client *cl, const char *only)
{
	json_t *r, *apps;
	size_t i, shown = 0;
	int rc = client_get(cl, "/api/apps", &r);

	if (rc != EXIT_OK)
		return rc;
	apps = json_object_get(r, "apps");
	printf("%-16s %-6s %-12s %-10s %-10s %s\n", "APP", "LIVE", "COMMIT", "SINCE", "STATE", "QUEUE");
	for (i = 0; i < json_array_size(apps); i++) {
		json_t *a = json_array_get(apps, i);
		char since[32];

		if (only != NULL && strcmp(only, str_or(a, "name", "")) != 0)
			continue;
		format_since(json_integer_value(json_object_get(a, "since")), since, sizeof since);
		printf("%-16s %-6s %-12.12s %-10s %-10s %lld\n", str_or(a, "name", "?"),
		    str_or(a, "active_color", "-"), str_or(a, "live_commit", "-"), since,
		    str_or(a, "state", "?"), (long long)json_integer_value(json_object_get(a, "queue")));
		shown++;
	}
	json_decref(r);
	if (only != NULL && shown == 0) {
		fprintf(stderr, "turnout status: no app '%s' (see: turnout status)\n", only);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* turnout history APP [-n N] */
static int
client_history(const struct client *cl, const char *app, int n)
{
	char path[200];
	json_t *r, *list;
	int rc;

	snprintf(path, sizeof path, "/api/apps/%s/deployments?limit=%d", app, n);
	if ((rc = client_get(cl, path, &r)) != EXIT_OK)
		return rc;
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
		printf("%-6lld %-12s %-9s %-12.12s %8s  %-16.16s %.*s%s\n",
		    (long long)json_integer_value(json_object_get(d, "id")), str_or(d, "status", "?"),
		    str_or(d, "kind", "?"), str_or(d, "commit", "-"), took, str_or(d, "author", ""),
		    (int)strcspn(msg, "\n") > 60 ? 60 : (int)strcspn(msg, "\n"), msg,
		    json_is_true(json_object_get(d, "bad_release")) ? "  [bad release]" : "");
	}
	json_decref(r);
	return EXIT_OK;
}

/* turnout logs ID [-f] */
static int
client_logs(const struct client *cl, long long id, int follow)
{
	long long offset = 0;

	for (;;) {
		char path[96];
		json_t *r, *lines;
		int rc, done;

		snprintf(path, sizeof path, "/api/deployments/%lld/log?offset=%lld", id, offset);
		if ((rc = client_get(cl, path, &r)) != EXIT_OK)
			return rc;
		lines = json_object_get(r, "lines");
		for (size_t i = 0; i < json_array_size(lines); i++) {
			json_t *l = json_array_get(lines, i);

			printf("%s%s\n", strcmp(str_or(l, "stream", ""), "turnout") == 0 ? "turnout: " : "",
			    str_or(l, "line", ""));
		}
		fflush(stdout);
		offset = json_integer_value(json_object_get(r, "next_offset"));
		done = json_is_true(json_object_get(r, "done"));
		if (!follow || (done && json_array_size(lines) == 0)) {
			int failed = done && strcmp(str_or(r, "status", ""), "succeeded") != 0;

			json_decref(r);
			return follow && failed ? EXIT_FAILED : EXIT_OK;
		}
		json_decref(r);
		if (!done)
			usleep(500000);
	}
}

/* turnout cancel ID */
static int
client_cancel(const struct client *cl, long long id)
{
	char path[96];
	json_t *r = NULL;
	long status;
	int rc = EXIT_OK;

	snprintf(path, sizeof path, "/api/deployments/%lld/cancel", id);
	status = client_request(cl, "POST", path, "", &r);
	if (status < 0)
		rc = EXIT_UNREACHABLE;
	else if (status == 409) {
		fprintf(stderr, "turnout cancel: %s\n", str_or(r, "error", "cannot cancel"));
		rc = EXIT_FAILED;
	} else if (status != 200)
		rc = client_error(status, r);
	else
		printf("deployment %lld: %s\n", id, str_or(r, "status", "?"));
	json_decref(r);
	return rc;
}

/* Parses a deployment id argument; -1 when it is not one. */
static long long
parse_id_arg(const char *s)
{
	char *end;
	long long id = strtoll(s, &end, 10);

	return *s != '\0' && *end == '\0' && id > 0 ? id : -1;
}

int
client_main(const char *config_path, int argc, char **argv)
{
	struct client cl = { NULL, NULL };
	const char *cmd = argv[0], *args[2] = { NULL, NULL };
	int nargs = 0, wait = 0, follow = 0, limit = 20, rc;
	int is_deploy = strcmp(cmd, "deploy") == 0, is_rollback = strcmp(cmd, "rollback") == 0;
	long long id = 0;
	json_t *answer = NULL;
	char path[160], *body = NULL;
	long status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--wait") == 0 && (is_deploy || is_rollback))
			wait = 1;
		else if (strcmp(argv[i], "-f") == 0 && strcmp(cmd, "logs") == 0)
			follow = 1;
		else if (strcmp(argv[i], "-n") == 0 && strcmp(cmd, "history") == 0 && i + 1 < argc) {
			limit = atoi(argv[++i]);
			if (limit < 1 || limit > 100) {
				fprintf(stderr, "turnout history: -n takes a number from 1 to 100\n");
				return EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' || nargs == 2) {
			fprintf(stderr, "turnout %s: unexpected argument '%s' (try: turnout help)\n", cmd, argv[i]);
			return EXIT_USAGE;
		} else
			args[nargs++] = argv[i];
	}
	if ((is_deploy && nargs < 1) || (!is_deploy && strcmp(cmd, "status") != 0 && nargs != 1) ||
	    (strcmp(cmd, "status") == 0 && nargs > 1)) {
		fprintf(stderr, "usage: turnout %s\n", is_deploy ? "deploy APP [COMMIT] [--wait]" :
		    is_rollback ? "rollback APP [--wait]" : strcmp(cmd, "history") == 0 ? "history APP [-n N]" :
		    strcmp(cmd, "logs") == 0 ? "logs ID [-f]" : strcmp(cmd, "cancel") == 0 ? "cancel ID" :
		    "status [APP]");
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "logs") == 0 || strcmp(cmd, "cancel") == 0) {
		if ((id = parse_id_arg(args[0])) < 0) {
			fprintf(stderr, "turnout %s: '%s' is not a deployment id (see: turnout history APP)\n",
			    cmd, args[0]);
			return EXIT_USAGE;
		}
	} else if (args[0] != NULL && (strlen(args[0]) > 64 || strchr(args[0], '/') != NULL ||
	    strchr(args[0], '?') != NULL)) {
		fprintf(stderr, "turnout %s: '%s' is not an app name\n", cmd, args[0]);
		return EXIT_USAGE;
	}
	if (client_init(&cl, config_path) != 0)
		return EXIT_USAGE;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "status") == 0)
		rc = client_status(&cl, args[0]);
	else if (strcmp(cmd, "history") == 0)
		rc = client_history(&cl, args[0], limit);
	else if (strcmp(cmd, "logs") == 0)
		rc = client_logs(&cl, id, follow);
	else if (strcmp(cmd, "cancel") == 0)
		rc = client_cancel(&cl, id);
	else {
		snprintf(path, sizeof path, "/api/apps/%s/%s", args[0], cmd);
		if (args[1] != NULL) {
			json_t *o = json_pack("{ss}", "commit", args[1]);

			body = json_dumps(o, JSON_COMPACT);
			json_decref(o);
		}
		status = client_request(&cl, "POST", path, body != NULL ? body : "", &answer);
		if (status < 0)
			rc = EXIT_UNREACHABLE;
		else if (status != 202)
			rc = client_error(status, answer);
		else {
			id = json_integer_value(json_object_get(answer, "deployment"));
			printf("deployment %lld queued: %s of %s%s%s\n", id, cmd, args[0],
			    args[1] != NULL ? " at " : "", args[1] != NULL ? args[1] : "");
			fflush(stdout);
			rc = wait ? client_wait(&cl, id) : EXIT_OK;
		}
	}
	json_decref(answer);
	free(body);
	free(cl.url);
	if (cl.token != NULL)
		explicit_bzero(cl.token, strlen(cl.token));
	free(cl.token);
	curl_global_cleanup();
	return rc;
}
