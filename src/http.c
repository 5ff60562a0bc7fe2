/* http: the libmicrohttpd server, its limits and its route table (see http.h). */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api.h"
#include "embed.h"
#include "hook.h"
#include "http.h"
#include "guard.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "xmalloc.h"
#include "banned.h"

/*
 * Memory of one connection for its request head and reads (libmicrohttpd's
 * default is 32 KB): a forge's head is 2 KB, and 512 connections of a
 * flood hold 8 MB here instead of 16.
 */
#define HTTP_CONNECTION_MEMORY (16u << 10)
/* Seconds of silence before a connection is dropped (the guard's deadlines come first). */
#define HTTP_CONNECTION_TIMEOUT 30
/*
 * libmicrohttpd's own connection limit, above max_connections (which the
 * guard keeps): it splits it among the pool threads, and a thread at its
 * share stops serving well (see guard.h).
 */
#define HTTP_MHD_LIMIT(most) ((unsigned int)(most)*2 + 64)
/* Connections the kernel holds before they are accepted: a burst of a forge's deliveries. */
#define HTTP_BACKLOG 1024
#define HTTP_THREADS 4
/* All request bodies in memory together: 4 x max_body, at least this. */
#define HTTP_BODY_BUDGET_MIN (64u << 20)

struct http {
	const struct config *cfg;
	struct store *store;
	struct api api;
	struct MHD_Daemon *daemon;
	struct MHD_Daemon *metrics; /* on metrics_listen, or NULL */
	struct intake *intake;      /* commits the pushes in batches */
	struct guard *guard;        /* limits per client, request deadlines */
	/*
	 * Bytes of request bodies held in memory by all connections, and the
	 * most that may be: 256 connections each sending max_body unsigned
	 * must not take gigabytes.
	 */
	atomic_size_t buffered;
	size_t budget;
	/* The refusals logged this second, and those left out. */
	pthread_mutex_t refusals_lock;
	time_t refusals_second;
	int refusals_logged, refusals_dropped;
};

/* The most refused webhooks logged in a second: a flood must not fill the disk. */
#define HTTP_REFUSALS_LOGGED 10

/*
 * Returns 1 when a refused webhook may be logged: up to
 * HTTP_REFUSALS_LOGGED a second; the ones after are counted, and said in
 * one line when the next second's first is logged. (hookstats counts
 * every one of them for /metrics.)
 */
static int
http_may_log_refusal(struct http *h)
{
	time_t now = time(NULL);
	int dropped = 0, ok;

	pthread_mutex_lock(&h->refusals_lock);
	if (now != h->refusals_second) {
		dropped = h->refusals_dropped;
		h->refusals_second = now;
		h->refusals_logged = h->refusals_dropped = 0;
	}
	ok = h->refusals_logged < HTTP_REFUSALS_LOGGED;
	if (ok)
		h->refusals_logged++;
	else
		h->refusals_dropped++;
	pthread_mutex_unlock(&h->refusals_lock);
	if (dropped > 0)
		log_warn("%d more refused webhooks were not logged (at most %d a second;"
			 " turnout_webhook_requests_total counts them all)",
		    dropped, HTTP_REFUSALS_LOGGED);
	return ok;
}

/* Per-request state, from the first call of the handler to completion. */
struct request {
	const struct app_config *app; /* for /hooks/APP */
	int is_api;                   /* for /api/... */
	char *body;
	size_t len;
	size_t cap;
	int answered;            /* a response was queued early (413) */
	int too_large;           /* the body went past max_body while streaming */
	int busy;                /* ... or past the budget of all connections */
	size_t discarded;        /* bytes dropped since then */
	struct hook_result res;  /* the webhook's, once inspected */
	int inspected;           /* res is filled */
	int waiting;             /* a push handed to intake */
	atomic_int committed;    /* ... and intake is done with it */
	struct intake_item item; /* what intake queues */
	struct MHD_Connection *conn;
	struct guard_addr client; /* the proxied client counted in flight, or family 0 */
	size_t declared;          /* Content-Length, when given and within max_body */
};

/* A header looked for among all of a request's: its first value and how many. */
struct header_count {
	const char *name;
	const char *value;
	int n;
};

/* MHD_KeyValueIterator: counts the headers named as wanted. */
static enum MHD_Result
http_count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_count *hc = cls;

	if (key != NULL && strcasecmp(key, hc->name) == 0 && hc->n++ == 0)
		hc->value = value != NULL ? value : "";
	return MHD_YES;
}

/* hook_header_fn over a libmicrohttpd connection. */
static const char *
http_header(void *ctx, const char *name)
{
	struct header_count hc = { name, NULL, 0 };

	MHD_get_connection_values(ctx, MHD_HEADER_KIND, http_count_header, &hc);
	return hc.n > 1 ? HOOK_TWICE : hc.value;
}

/* Counts an answer given before the body was read: the sender is named by its headers. */
static void
hook_count(struct http *h, struct MHD_Connection *c, const struct app_config *app,
    enum hook_answer answer)
{
	hookstats_count(h->api.hooks, app, hook_sender_name(http_header, c), answer);
}

static void request_free_body(struct http *h, struct request *req);

/*
 * The committing thread's callback: the deployment is durable (or failed);
 * the connection's handler is called again to answer.
 */
static void
http_hook_done(struct intake_item *item, void *ctx)
{
	struct request *req = ctx;

	(void)item;
	atomic_store(&req->committed, 1);
	MHD_resume_connection(req->conn);
}

/* Answers a push once intake has queued it (or could not). */
static enum MHD_Result
http_hook_answer(struct http *h, struct MHD_Connection *c, struct request *req)
{
	const struct app_config *app = req->app;
	struct store_queued *out = &req->item.out;
	enum hook_answer answer;
	enum MHD_Result ret;

	switch (out->result) {
	case STORE_QUEUED:
		answer = HOOK_ANSWER_ACCEPTED;
		log_info("hook '%s': %s push of %.12s queued as deployment %lld", app->name,
		    req->res.sender, req->res.push.after, (long long)out->id);
		ret = api_reply_accepted(c, out->id);
		break;
	case STORE_DUPLICATE:
		answer = HOOK_ANSWER_DUPLICATE;
		log_info("hook '%s': delivery already queued as deployment %lld", app->name,
		    (long long)out->id);
		ret =
		    reply_json(c, MHD_HTTP_OK, json_pack("{sI}", "duplicate", (json_int_t)out->id));
		break;
	case STORE_FAILED:
	default:
		answer = HOOK_ANSWER_NOT_STORED;
		log_error("hook '%s': cannot store the deployment: %s", app->name,
		    out->cause != NULL ? out->cause : "unknown error");
		ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot store the deployment; the delivery was not accepted, retry it");
		break;
	}
	hookstats_count(h->api.hooks, app, req->res.sender, answer);
	return ret;
}

/*
 * Inspects a complete webhook request and answers it, or, for a push,
 * hands it to intake and suspends the connection until it is durable.
 */
static enum MHD_Result
http_hook(struct http *h, struct MHD_Connection *c, struct request *req)
{
	const struct app_config *app = req->app;
	struct hook_result *res = &req->res;
	enum hook_answer answer = HOOK_ANSWER_BAD_REQUEST;
	const struct hook_refs refs = { app->branch, (app->deploy_on & CONF_DEPLOY_BRANCH) != 0,
		(app->deploy_on & CONF_DEPLOY_TAGS) != 0, app->tags };
	enum MHD_Result ret;

	hook_inspect((const char *const *)app->secrets, &refs, http_header, c,
	    req->body != NULL ? req->body : "", req->len, time(NULL), res);
	req->inspected = 1;
	switch (res->verdict) {
	case HOOK_UNAUTHORIZED:
		answer = HOOK_ANSWER_BAD_PROOF;
		if (http_may_log_refusal(h))
			log_warn("hook '%s': refused (%s)", app->name, res->reason);
		ret = reply_error(c, MHD_HTTP_UNAUTHORIZED, res->reason);
		break;
	case HOOK_BAD_REQUEST:
		answer = HOOK_ANSWER_BAD_REQUEST;
		if (http_may_log_refusal(h))
			log_warn("hook '%s': bad request from %s (%s)", app->name, res->sender,
			    res->reason);
		ret = reply_error(c, MHD_HTTP_BAD_REQUEST, res->reason);
		break;
	case HOOK_PING:
		answer = HOOK_ANSWER_PING;
		log_info("hook '%s': ping from %s", app->name, res->sender);
		ret = reply_json(c, MHD_HTTP_OK, json_pack("{sb}", "pong", 1));
		break;
	case HOOK_IGNORED:
		answer = HOOK_ANSWER_IGNORED;
		log_info("hook '%s': ignored %s delivery (%s)", app->name, res->sender,
		    res->reason);
		ret = reply_json(c, MHD_HTTP_OK, json_pack("{ss}", "ignored", res->reason));
		break;
	case HOOK_PUSH:
	default:
		/* The body is read and checked: only its parsed fields are kept. */
		request_free_body(h, req);
		req->item.req = (struct store_request){ .app = app->name,
			.kind = "push",
			.commit = res->push.after,
			.ref = res->push.ref,
			.sender = res->sender,
			.delivery = res->delivery,
			.author = res->push.author,
			.message = res->push.message };
		req->item.done = http_hook_done;
		req->item.ctx = req;
		req->conn = c;
		req->waiting = 1;
		MHD_suspend_connection(c);
		intake_submit(h->intake, &req->item);
		return MHD_YES;
	}
	hookstats_count(h->api.hooks, app, res->sender, answer);
	return ret;
}

/*
 * Appends a chunk of body; returns -1 once the body is over max, -2 when
 * all connections together hold the budget already.
 */
static int
request_append(struct http *h, struct request *req, const char *data, size_t size, size_t max)
{
	if (size > max - req->len)
		return -1;
	if (req->len + size > req->cap) {
		/* The declared length when there is one: a 6 KB push takes 6 KB. */
		size_t cap = req->cap ? req->cap : req->declared > 0 ? req->declared : 4096;

		while (cap < req->len + size)
			cap *= 2;
		if (cap > max)
			cap = max;
		if (atomic_fetch_add(&h->buffered, cap - req->cap) + (cap - req->cap) > h->budget) {
			atomic_fetch_sub(&h->buffered, cap - req->cap);
			return -2;
		}
		req->body = xrealloc(req->body, cap);
		req->cap = cap;
	}
	memcpy(req->body + req->len, data, size);
	req->len += size;
	return 0;
}

/* Frees a body and gives its bytes back to the budget. */
static void
request_free_body(struct http *h, struct request *req)
{
	atomic_fetch_sub(&h->buffered, req->cap);
	free(req->body);
	req->body = NULL;
	req->len = req->cap = 0;
}

/* Serves an embedded web asset. */
static enum MHD_Result
http_asset(struct MHD_Connection *c, const char *name, const char *type)
{
	const struct embed_file *f = embed_find(embed_web, name);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (f == NULL)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such page");
	r = MHD_create_response_from_buffer(f->size, (void *)f->data, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Handles the first call for /hooks/APP: method, app, declared length. */
static enum MHD_Result
http_hook_start(struct http *h, struct MHD_Connection *c, const char *url, const char *method,
    struct request *req)
{
	const char *name = url + strlen("/hooks/");
	const char *cl;

	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		req->answered = 1;
		hook_count(h, c, conf_app(h->cfg, name), HOOK_ANSWER_BAD_METHOD);
		return reply_not_allowed(c, "POST");
	}
	req->app = conf_app(h->cfg, name);
	if (req->app == NULL) {
		req->answered = 1;
		hook_count(h, c, NULL, HOOK_ANSWER_NO_SUCH_APP);
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such app");
	}
	/* Refuse a declared oversize body before a byte of it is read. */
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) <= h->cfg->server.max_body)
		req->declared = (size_t)strtoull(cl, NULL, 10);
	if (cl != NULL && strtoull(cl, NULL, 10) > h->cfg->server.max_body) {
		req->answered = 1;
		log_warn("hook '%s': body of %s bytes refused (max_body %zu)", name, cl,
		    h->cfg->server.max_body);
		hook_count(h, c, req->app, HOOK_ANSWER_TOO_LARGE);
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body is larger than max_body");
	}
	return MHD_YES;
}

/* MHD_KeyValueIterator: keeps the last value of the header named in hc. */
static enum MHD_Result
http_last_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_count *hc = cls;

	(void)kind;
	if (key != NULL && value != NULL && strcasecmp(key, hc->name) == 0)
		hc->value = value;
	return MHD_YES;
}

/*
 * Behind a trusted proxy, counts the request against the client its
 * header names: the address the proxy added, the last of the list (the
 * ones before it are the client's own word). Returns 0, or -1 when that
 * client has max_connections_per_client requests in flight already.
 */
static int
http_client_enter(struct http *h, struct MHD_Connection *c, struct request *req)
{
	struct header_count hc = { h->cfg->server.trust_proxy, NULL, 0 };
	char text[INET6_ADDRSTRLEN + 8];
	const char *v;
	size_t len;

	if (hc.name == NULL || !guard_is_proxy(h->guard, c))
		return 0;
	MHD_get_connection_values(c, MHD_HEADER_KIND, http_last_header, &hc);
	if (hc.value == NULL)
		return 0;
	v = strrchr(hc.value, ',');
	v = v != NULL ? v + 1 : hc.value;
	v += strspn(v, " \t");
	len = strcspn(v, " \t");
	if (len == 0 || len >= sizeof text)
		return 0;
	memcpy(text, v, len);
	text[len] = '\0';
	return guard_client_enter(h->guard, text, &req->client) < 0 ? -1 : 0;
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct request *req = *con_cls;
	int rc = 0;
	int is_get =
	    strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	if (req == NULL) {
		req = xcalloc(1, sizeof *req);
		*con_cls = req;
		guard_phase(h->guard, c, GUARD_BODY);
		if (http_client_enter(h, c, req) != 0) {
			req->answered = 1;
			return reply_json_header(c, MHD_HTTP_TOO_MANY_REQUESTS,
			    json_pack("{ss}", "error",
				"too many requests from this client at once; retry"),
			    MHD_HTTP_HEADER_RETRY_AFTER, "1");
		}
		if (strncmp(url, "/hooks/", 7) == 0)
			return http_hook_start(h, c, url, method, req);
		req->is_api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/metrics") == 0;
		return MHD_YES;
	}
	if (req->answered) {
		/* An early answer was queued: drop whatever body still comes. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (req->is_api) {
			/* API bodies are small JSON objects. */
			if (request_append(h, req, upload_data, *upload_data_size, API_MAX_BODY) !=
			    0)
				req->too_large = 1;
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (req->app == NULL) {
			*upload_data_size = 0; /* no other route takes a body */
			return MHD_YES;
		}
		/*
		 * libmicrohttpd 0.9.75 cannot answer in the middle of a body, so
		 * a streamed (chunked) body past max_body is dropped as it comes
		 * and answered 413 at its end; one that goes on for another
		 * max_body is cut off by closing the connection.
		 */
		if (req->too_large ||
		    (rc = request_append(h, req, upload_data, *upload_data_size,
			 h->cfg->server.max_body)) != 0) {
			if (!req->too_large) {
				req->too_large = 1;
				req->busy = rc == -2;
				request_free_body(h, req);
			}
			req->discarded += *upload_data_size;
			*upload_data_size = 0;
			if (req->discarded > h->cfg->server.max_body) {
				log_warn(
				    "hook '%s': streamed body far over max_body; connection closed",
				    req->app->name);
				return MHD_NO;
			}
			return MHD_YES;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* The whole request is in: from here on, no deadline of the guard's. */
	guard_phase(h->guard, c, GUARD_ANSWER);
	if (req->is_api) {
		if (req->too_large)
			return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body is too large");
		return api_handle(&h->api, c, method, url, req->body, req->len);
	}
	if (req->busy) {
		log_warn("hook '%s': too many bodies in memory at once; refused with 503",
		    req->app->name);
		hook_count(h, c, req->app, HOOK_ANSWER_BUSY);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "too many webhooks at once; retry");
	}
	if (req->too_large) {
		log_warn("hook '%s': streamed body over max_body (%zu) refused", req->app->name,
		    h->cfg->server.max_body);
		hook_count(h, c, req->app, HOOK_ANSWER_TOO_LARGE);
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body is larger than max_body");
	}
	if (req->waiting)
		return atomic_load(&req->committed) ? http_hook_answer(h, c, req) : MHD_YES;
	if (req->app != NULL)
		return http_hook(h, c, req);
	if (strcmp(url, "/healthz") == 0 && is_get) {
		if (store_ping(h->store) != 0)
			return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
			    xstrdup("database unavailable\n"), 21);
		return reply_text(c, MHD_HTTP_OK, "text/plain", xstrdup("ok\n"), 3);
	}
	if (strcmp(url, "/") == 0 && is_get)
		return http_asset(c, "index.html", "text/html; charset=utf-8");
	if (strcmp(url, "/app.js") == 0 && is_get)
		return http_asset(c, "app.js", "text/javascript; charset=utf-8");
	if (strcmp(url, "/style.css") == 0 && is_get)
		return http_asset(c, "style.css", "text/css; charset=utf-8");
	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/") == 0)
		return reply_not_allowed(c, "GET, HEAD");
	return reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

/* Frees the per-request state once libmicrohttpd is done with it. */
static void
http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct request *req = *con_cls;

	/* A kept-alive connection waits for its next request's head. */
	guard_phase(h->guard, c, GUARD_HEAD);
	if (req == NULL)
		return;
	guard_client_leave(h->guard, &req->client);
	request_free_body(h, req);
	if (req->inspected)
		hook_result_release(&req->res);
	free(req->item.out.cause);
	free(req);
	*con_cls = NULL;
}

/* libmicrohttpd's own complaints go to our log (fmt is libmicrohttpd's own). */
static void __attribute__((format(printf, 2, 0)))
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/* Binds the listening socket ourselves, so that port 0 works and errors are clear. */
static int
http_bind_to(const char *host, int port, char **cause)
{
	struct addrinfo hints, *res, *ai;
	char service[16];
	int fd = -1, rc, one = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(service, sizeof service, "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		*cause = xasprintf("cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, HTTP_BACKLOG) == 0)
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	if (fd < 0)
		*cause = xasprintf("cannot listen on %s:%d: %s", host, port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

int
http_listen(const struct config *cfg, char **cause)
{
	return http_bind_to(cfg->server.listen_host, cfg->server.listen_port, cause);
}

int
http_listen_metrics(const struct config *cfg, char **cause)
{
	return http_bind_to(cfg->server.metrics_host, cfg->server.metrics_port, cause);
}

/*
 * metrics_listen: GET /metrics for a scraper on a private address, no
 * token, no body taken, nothing else served.
 */
static enum MHD_Result
http_metrics_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static int seen;
	struct http *h = cls;
	size_t len;
	char *text;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return reply_error(c, MHD_HTTP_NOT_FOUND,
		    "no such endpoint: this address serves /metrics only");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_not_allowed(c, "GET, HEAD");
	text = metrics_render(h->cfg, h->api.scrapes, h->api.hooks, &len);
	return reply_text(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

int
http_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct http *
http_start(const struct config *cfg, struct store *st, struct store *scrapes, int fd,
    int metrics_fd, api_queued_fn queued, void *ctx, char **cause)
{
	struct http *h = xcalloc(1, sizeof *h);

	h->cfg = cfg;
	h->store = st;
	pthread_mutex_init(&h->refusals_lock, NULL);
	h->api.cfg = cfg;
	h->api.st = st;
	h->api.scrapes = scrapes;
	h->api.queued = queued;
	h->api.queued_ctx = ctx;
	h->budget = cfg->server.max_body * 4 > HTTP_BODY_BUDGET_MIN ? cfg->server.max_body * 4 :
								      HTTP_BODY_BUDGET_MIN;
	h->api.sessions = session_new();
	h->api.hooks = hookstats_new(cfg);
	h->intake = intake_new(st, queued, ctx);
	h->guard = guard_new(cfg->server.max_connections, cfg->server.max_per_client,
	    cfg->server.header_timeout, cfg->server.body_timeout, cfg->server.trust_proxy != NULL);
	/* MHD_USE_ITC: a pool's threads can be told to stop listening (http_quiesce). */
	h->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ITC | MHD_USE_ERROR_LOG,
	    0, guard_accept, h->guard, http_access, h, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)HTTP_MHD_LIMIT(cfg->server.max_connections),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONNECTION_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
	    guard_notify, h->guard, MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, h, MHD_OPTION_END);
	if (h->daemon != NULL && metrics_fd >= 0)
		h->metrics =
		    MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG,
			0, NULL, NULL, http_metrics_access, h, MHD_OPTION_LISTEN_SOCKET, metrics_fd,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONNECTION_TIMEOUT,
			MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, h, MHD_OPTION_END);
	if (h->daemon == NULL || (metrics_fd >= 0 && h->metrics == NULL)) {
		*cause = xasprintf("cannot start the HTTP server on %s",
		    h->daemon == NULL ? cfg->server.listen : cfg->server.metrics_listen);
		if (h->daemon != NULL)
			MHD_stop_daemon(h->daemon);
		intake_free(h->intake);
		guard_free(h->guard);
		session_free(h->api.sessions);
		hookstats_free(h->api.hooks);
		pthread_mutex_destroy(&h->refusals_lock);
		free(h);
		return NULL;
	}
	return h;
}

void
http_quiesce(struct http *h)
{
	reply_set_closing();
	/* The sockets stay open (fds 3 and 5, closed at exit): the next process listens on them. */
	if (MHD_quiesce_daemon(h->daemon) == MHD_INVALID_SOCKET)
		log_warn("cannot stop listening for new connections; they are served on");
	if (h->metrics != NULL)
		MHD_quiesce_daemon(h->metrics);
}

unsigned int
http_open_connections(struct http *h)
{
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	unsigned int n = info != NULL ? info->num_connections : 0;

	if (h->metrics != NULL &&
	    (info = MHD_get_daemon_info(h->metrics, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)) != NULL)
		n += info->num_connections;
	return n;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->metrics != NULL)
		MHD_stop_daemon(h->metrics);
	/*
	 * Suspended connections must be resumed before the daemon stops:
	 * intake answers what waits, and commits what comes later at once.
	 */
	intake_stop(h->intake);
	MHD_stop_daemon(h->daemon);
	intake_free(h->intake);
	guard_free(h->guard);
	session_free(h->api.sessions);
	hookstats_free(h->api.hooks);
	pthread_mutex_destroy(&h->refusals_lock);
	free(h);
}
