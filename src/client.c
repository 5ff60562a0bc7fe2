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

			if (strcmp(st, "running") == 0)
				break;
			printf("%s%-8s %-9s %5.1f s%s%s\n", tty ? "  " : "",
			    json_string_value(json_object_get(s, "name")), st, (double)(b - a) / 1000.0,
			    detail != NULL ? "  " : "", detail != NULL ? detail : "");
		}
		shown = i;
		fflush(stdout);
		status = json_string_value(json_object_get(d, "status"));
		if (status != NULL && is_final(status)) {
			const char *err = json_string_value(json_object_get(d, "error"));
			int ok = strcmp(status, "succeeded") == 0;

			printf("deployment %lld %s after %ld s%s%s\n", id, status, (long)(time(NULL) - t0),
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

int
client_main(const char *config_path, int argc, char **argv)
{
	struct client cl = { NULL, NULL };
	const char *cmd = argv[0], *args[2] = { NULL, NULL };
	int nargs = 0, wait = 0, rc;
	json_t *answer = NULL;
	char path[160], *body = NULL;
	long status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--wait") == 0)
			wait = 1;
		else if (argv[i][0] == '-' || nargs == 2) {
			fprintf(stderr, "turnout %s: unexpected argument '%s' (try: turnout help)\n", cmd, argv[i]);
			return EXIT_USAGE;
		} else
			args[nargs++] = argv[i];
	}
	if (nargs == 0 || (strcmp(cmd, "rollback") == 0 && nargs != 1)) {
		fprintf(stderr, "usage: turnout %s APP%s [--wait]\n", cmd,
		    strcmp(cmd, "deploy") == 0 ? " [COMMIT]" : "");
		return EXIT_USAGE;
	}
	if (strlen(args[0]) > 64 || strchr(args[0], '/') != NULL) {
		fprintf(stderr, "turnout %s: '%s' is not an app name\n", cmd, args[0]);
		return EXIT_USAGE;
	}
	if (client_init(&cl, config_path) != 0)
		return EXIT_USAGE;
	curl_global_init(CURL_GLOBAL_DEFAULT);
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
		long long id = json_integer_value(json_object_get(answer, "deployment"));

		printf("deployment %lld queued: %s of %s%s%s\n", id,
		    strcmp(cmd, "deploy") == 0 ? "deploy" : "rollback", args[0],
		    args[1] != NULL ? " at " : "", args[1] != NULL ? args[1] : "");
		fflush(stdout);
		rc = wait ? client_wait(&cl, id) : EXIT_OK;
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
