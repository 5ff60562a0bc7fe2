/* outbox: delivering what is to be told about deployments (see outbox.h). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "clock.h"
#include "forge.h"
#include "log.h"
#include "outbox.h"
#include "xmalloc.h"
#include "banned.h"

/* The most of an answer kept: enough for GitHub's new Deployment. */
#define OUTBOX_ANSWER_MAX 65536
/* How often the thread looks for rows when none is due sooner. */
#define OUTBOX_POLL_MS 500
/* The wait for a started event's commit while the fetch runs. */
#define OUTBOX_COMMIT_WAIT_MS 500

struct outbox {
	struct store *st;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	const struct config *cfg; /* under lock */
	int stopping;             /* under lock */
};

void
outbox_event(struct store *st, const struct app_config *app, int64_t deployment, const char *event)
{
	if (!forge_known_event(event))
		return; /* nothing anyone is told about */
	if (app->status != CONF_STATUS_NONE &&
	    store_outbox_add(st, deployment, app->name, "forge", event) != 0)
		log_warn("%s: cannot queue the forge status of deployment %lld", app->name,
		    (long long)deployment);
	if (app->notify_url != NULL &&
	    store_outbox_add(st, deployment, app->name, "notify", event) != 0)
		log_warn("%s: cannot queue the notification of deployment %lld", app->name,
		    (long long)deployment);
}

struct answer {
	char *data;
	size_t len;
};

static size_t
answer_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct answer *a = userdata;
	size_t n = size * nmemb, keep = n;

	if (a->len + keep > OUTBOX_ANSWER_MAX)
		keep = OUTBOX_ANSWER_MAX - a->len;
	if (keep > 0) {
		a->data = xrealloc(a->data, a->len + keep + 1);
		memcpy(a->data + a->len, data, keep);
		a->len += keep;
		a->data[a->len] = '\0';
	}
	return n;
}

/*
 * POSTs req. Returns the HTTP status (0 when there was no answer, with
 * *error set to a new string) and the answer in *a.
 */
static long
post(const struct forge_request *req, int timeout_s, struct answer *a, char **error)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;

	if (curl == NULL) {
		*error = xstrdup("cannot make a libcurl handle");
		return 0;
	}
	for (size_t i = 0; i < FORGE_HEADERS_MAX && req->headers[i] != NULL; i++)
		headers = curl_slist_append(headers, req->headers[i]);
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, answer_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	/* Never to another host: a redirect would take the token along. */
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	else
		*error = xstrdup(errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return status;
}

/* "HTTP 500: the answer's start", printable characters only; new. */
static char *
http_error(long status, const struct answer *a)
{
	char text[121];
	size_t n = 0;

	for (size_t i = 0; a->data != NULL && i < a->len && n < sizeof text - 1; i++)
		text[n++] = a->data[i] >= 0x20 && a->data[i] < 0x7f ? a->data[i] : ' ';
	text[n] = '\0';
	return xasprintf("HTTP %ld%s%s", status, n > 0 ? ": " : "", text);
}

/* 1 when the deployment's fetch has ended well, so its commit is the one to report. */
static int
commit_settled(struct store *st, const struct store_deployment *d)
{
	struct store_step *steps;
	int n = store_get_steps(st, d->id, &steps), ok = d->finished_at != 0;

	for (int i = 0; i < n && !ok; i++)
		ok = strcmp(steps[i].name, "fetch") == 0 &&
		    strcmp(steps[i].status, "succeeded") == 0;
	if (n > 0)
		store_steps_free(steps, n);
	return ok;
}

/* The dashboard's place for app: [server] public_url, else the listen address. New. */
static char *
app_link(const struct config *cfg, const char *app)
{
	const struct server_config *s = &cfg->server;

	if (s->public_url != NULL)
		return xasprintf("%s%s#app-%s", s->public_url,
		    s->public_url[strlen(s->public_url) - 1] == '/' ? "" : "/", app);
	return xasprintf(strchr(s->listen_host, ':') ? "http://[%s]:%d/#app-%s" :
						       "http://%s:%d/#app-%s",
	    s->listen_host, s->listen_port, app);
}

/* Makes one attempt at row o with app of cfg, and records it. */
static void
deliver(struct store *st, const struct config *cfg, struct store_outbox *o)
{
	const struct app_config *app = conf_app(cfg, o->app);
	int forge = strcmp(o->target, "forge") == 0, attempts = o->attempts + 1;
	struct store_deployment d;
	struct forge_request req;
	struct answer a = { NULL, 0 };
	char *error = NULL, *forge_id = NULL, *got = NULL, *link;
	const char *why = NULL;
	long status;

	if (app == NULL || (forge ? app->status == CONF_STATUS_NONE : app->notify_url == NULL)) {
		store_outbox_attempted(st, o->id, "failed", o->attempts, o->next_at, o->last_status,
		    app == NULL ? "the app is no longer in the config" :
				  "the config no longer names where to send it",
		    NULL);
		return;
	}
	switch (store_get_deployment(st, o->deployment, &d)) {
	case 0:
		break;
	case 1:
		store_outbox_attempted(st, o->id, "failed", o->attempts, o->next_at, o->last_status,
		    "the deployment is gone", NULL);
		return;
	default: /* the database is busy or failing: later */
		store_outbox_attempted(st, o->id, "pending", o->attempts,
		    clock_real_ms() + OUTBOX_POLL_MS, o->last_status, o->last_error, NULL);
		return;
	}
	/* A forge is told about a commit: wait for the fetch (a tag push names its tag). */
	if (forge && !commit_settled(st, &d)) {
		store_outbox_attempted(st, o->id, "pending", o->attempts,
		    clock_real_ms() + OUTBOX_COMMIT_WAIT_MS, o->last_status, o->last_error, NULL);
		store_deployment_release(&d);
		return;
	}
	link = app_link(cfg, app->name);
	forge_id = forge && app->status == CONF_STATUS_GITHUB ?
	    store_outbox_forge_id(st, o->deployment) :
	    NULL;
	{
		const struct forge_event ev = { app, &d, o->event, link, forge_id, o->id,
			time(NULL) };

		if (forge_build(&ev, forge, &req, &why) != 0) {
			store_outbox_attempted(st, o->id, "failed", o->attempts, o->next_at,
			    o->last_status, why, NULL);
			goto out;
		}
	}
	status = post(&req, app->notify_timeout, &a, &error);
	if (status >= 200 && status < 300 && req.creates &&
	    (got = forge_answer_id(a.data != NULL ? a.data : "", a.len)) == NULL)
		error = xasprintf("HTTP %ld without the new Deployment's id", status);
	if (status >= 200 && status < 300 && error == NULL) {
		/* A Deployment made: its status is the row's next request, at once. */
		store_outbox_attempted(st, o->id, got != NULL ? "pending" : "delivered", attempts,
		    clock_real_ms(), (int)status, NULL, got);
		log_debug("%s: %s of deployment %lld (%s): HTTP %ld", app->name,
		    forge ? "forge status" : "notification", (long long)o->deployment, o->event,
		    status);
	} else {
		int give_up = attempts >= OUTBOX_ATTEMPTS;
		int64_t wait = 1000LL << (attempts - 1 < 9 ? attempts - 1 : 9);
		char said[32];

		/*
		 * The answer's start goes to the row (the API) only: an error
		 * page may repeat the URL's path, and a Slack URL's path is its
		 * secret.
		 */
		snprintf(said, sizeof said, "HTTP %ld", status);
		if (error == NULL)
			error = http_error(status, &a);
		if (wait > 300000)
			wait = 300000;
		store_outbox_attempted(st, o->id, give_up ? "failed" : "pending", attempts,
		    clock_real_ms() + wait, (int)status, error, NULL);
		if (give_up)
			log_warn("%s: %s of deployment %lld (%s) failed %d times, the last: %s;"
				 " given up",
			    app->name, forge ? "the forge status" : "the notification",
			    (long long)o->deployment, o->event, attempts,
			    status > 0 ? said : error);
		else
			log_info("%s: %s of deployment %lld (%s) failed (%s); retry in %lld s",
			    app->name, forge ? "the forge status" : "the notification",
			    (long long)o->deployment, o->event, status > 0 ? said : error,
			    (long long)wait / 1000);
	}
	forge_request_free(&req);
out:
	free(a.data);
	free(error);
	free(got);
	free(forge_id);
	free(link);
	store_deployment_release(&d);
}

static void *
outbox_main(void *arg)
{
	struct outbox *ob = arg;

	for (;;) {
		struct store_outbox o;
		const struct config *cfg;
		int rc;

		pthread_mutex_lock(&ob->lock);
		cfg = ob->cfg;
		if (ob->stopping) {
			pthread_mutex_unlock(&ob->lock);
			break;
		}
		pthread_mutex_unlock(&ob->lock);
		rc = store_outbox_next(ob->st, clock_real_ms(), &o);
		if (rc == 1) {
			deliver(ob->st, cfg, &o);
			store_outbox_release(&o);
			continue;
		}
		{
			struct timespec until;
			int64_t soonest = store_outbox_soonest(ob->st), now = clock_real_ms();
			int64_t ms = soonest > now && soonest - now < OUTBOX_POLL_MS ?
			    soonest - now :
			    OUTBOX_POLL_MS;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += ms / 1000;
			until.tv_nsec += (ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_mutex_lock(&ob->lock);
			if (!ob->stopping)
				pthread_cond_timedwait(&ob->wake, &ob->lock, &until);
			pthread_mutex_unlock(&ob->lock);
		}
	}
	return NULL;
}

struct outbox *
outbox_start(const struct config *cfg, struct store *st)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);

	ob->st = st;
	ob->cfg = cfg;
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before the thread: it is not thread-safe */
	pthread_mutex_init(&ob->lock, NULL);
	pthread_cond_init(&ob->wake, NULL);
	if (pthread_create(&ob->thread, NULL, outbox_main, ob) != 0)
		fatal("cannot start the outbox thread");
	return ob;
}

void
outbox_reload(struct outbox *ob, const struct config *cfg)
{
	pthread_mutex_lock(&ob->lock);
	ob->cfg = cfg;
	pthread_mutex_unlock(&ob->lock);
}

void
outbox_stop(struct outbox *ob)
{
	if (ob == NULL)
		return;
	pthread_mutex_lock(&ob->lock);
	ob->stopping = 1;
	pthread_cond_signal(&ob->wake);
	pthread_mutex_unlock(&ob->lock);
	pthread_join(ob->thread, NULL);
	pthread_cond_destroy(&ob->wake);
	pthread_mutex_destroy(&ob->lock);
	free(ob);
}
