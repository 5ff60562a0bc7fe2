/* http: the libmicrohttpd server, its limits and its route table (see http.h). */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <netdb.h>
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
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "xmalloc.h"
#include "banned.h"

/* Limits that keep a flood of connections from growing the daemon. */
#define HTTP_CONNECTION_LIMIT 256
#define HTTP_CONNECTION_TIMEOUT 30 /* seconds of silence before a connection is dropped */
#define HTTP_THREADS 4
/* All request bodies in memory together: 4 x max_body, at least this. */
#define HTTP_BODY_BUDGET_MIN (64u << 20)

struct http {
	const struct config *cfg;
	struct store *store;
	struct api api;
	struct MHD_Daemon *daemon;
	struct MHD_Daemon *metrics; /* on metrics_listen, or NULL */
	/*
	 * Bytes of request bodies held in memory by all connections, and the
	 * most that may be: 256 connections each sending max_body unsigned
	 * must not take gigabytes.
	 */
	atomic_size_t buffered;
	size_t budget;
};

/* Per-request state, from the first call of the handler to completion. */
struct request {
	const struct app_config *app; /* for /hooks/APP */
	int is_api;                   /* for /api/... */
	char *body;
	size_t len;
	size_t cap;
	int answered;     /* a response was queued early (413) */
	int too_large;    /* the body went past max_body while streaming */
	int busy;         /* ... or past the budget of all connections */
	size_t discarded; /* bytes dropped since then */
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

/* Answers a complete webhook request. */
static enum MHD_Result
http_hook(struct http *h, struct MHD_Connection *c, struct request *req)
{
	const struct app_config *app = req->app;
	struct hook_result res;
	struct store_request sr;
	enum hook_answer answer = HOOK_ANSWER_BAD_REQUEST;
	enum MHD_Result ret;
	int64_t id = 0;
	char *cause = NULL;

	hook_inspect((const char *const *)app->secrets, app->branch, http_header, c,
	    req->body != NULL ? req->body : "", req->len, time(NULL), &res);
	switch (res.verdict) {
	case HOOK_UNAUTHORIZED:
		answer = HOOK_ANSWER_BAD_PROOF;
		log_warn("hook '%s': refused (%s)", app->name, res.reason);
		ret = reply_error(c, MHD_HTTP_UNAUTHORIZED, res.reason);
		break;
	case HOOK_BAD_REQUEST:
		answer = HOOK_ANSWER_BAD_REQUEST;
		log_warn("hook '%s': bad request from %s (%s)", app->name, res.sender, res.reason);
		ret = reply_error(c, MHD_HTTP_BAD_REQUEST, res.reason);
		break;
	case HOOK_PING:
		answer = HOOK_ANSWER_PING;
		log_info("hook '%s': ping from %s", app->name, res.sender);
		ret = reply_json(c, MHD_HTTP_OK, json_pack("{sb}", "pong", 1));
		break;
	case HOOK_IGNORED:
		answer = HOOK_ANSWER_IGNORED;
		log_info("hook '%s': ignored %s delivery (%s)", app->name, res.sender, res.reason);
		ret = reply_json(c, MHD_HTTP_OK, json_pack("{ss}", "ignored", res.reason));
		break;
	case HOOK_PUSH:
	default:
		memset(&sr, 0, sizeof sr);
		sr.app = app->name;
		sr.kind = "push";
		sr.commit = res.push.after;
		sr.ref = res.push.ref;
		sr.sender = res.sender;
		sr.delivery = res.delivery;
		sr.author = res.push.author;
		sr.message = res.push.message;
		switch (store_enqueue(h->store, &sr, &id, &cause)) {
		case STORE_QUEUED:
			answer = HOOK_ANSWER_ACCEPTED;
			log_info("hook '%s': %s push of %.12s queued as deployment %lld", app->name,
			    res.sender, res.push.after, (long long)id);
			ret = api_accepted(&h->api, c, app->name, id);
			break;
		case STORE_DUPLICATE:
			answer = HOOK_ANSWER_DUPLICATE;
			log_info("hook '%s': delivery already queued as deployment %lld", app->name,
			    (long long)id);
			ret = reply_json(c, MHD_HTTP_OK,
			    json_pack("{sI}", "duplicate", (json_int_t)id));
			break;
		case STORE_FAILED:
		default:
			answer = HOOK_ANSWER_NOT_STORED;
			log_error("hook '%s': cannot store the deployment: %s", app->name, cause);
			ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "cannot store the deployment; the delivery was not accepted, retry it");
			free(cause);
			break;
		}
		break;
	}
	hookstats_count(h->api.hooks, app, res.sender, answer);
	hook_result_release(&res);
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
		size_t cap = req->cap ? req->cap : 16384;

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
	if (cl != NULL && strtoull(cl, NULL, 10) > h->cfg->server.max_body) {
		req->answered = 1;
		log_warn("hook '%s': body of %s bytes refused (max_body %zu)", name, cl,
		    h->cfg->server.max_body);
		hook_count(h, c, req->app, HOOK_ANSWER_TOO_LARGE);
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body is larger than max_body");
	}
	return MHD_YES;
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
	struct request *req = *con_cls;

	if (req == NULL)
		return;
	request_free_body(cls, req);
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
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
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
	text = metrics_render(h->cfg, h->store, h->api.hooks, &len);
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
http_start(const struct config *cfg, struct store *st, int fd, int metrics_fd, api_queued_fn queued,
    void *ctx, char **cause)
{
	struct http *h = xcalloc(1, sizeof *h);

	h->cfg = cfg;
	h->store = st;
	h->api.cfg = cfg;
	h->api.st = st;
	h->api.queued = queued;
	h->api.queued_ctx = ctx;
	h->budget = cfg->server.max_body * 4 > HTTP_BODY_BUDGET_MIN ? cfg->server.max_body * 4 :
								      HTTP_BODY_BUDGET_MIN;
	h->api.sessions = session_new();
	h->api.hooks = hookstats_new(cfg);
	h->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
	    NULL, http_access, h, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned int)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)HTTP_CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)HTTP_CONNECTION_TIMEOUT, MHD_OPTION_NOTIFY_COMPLETED, http_completed, h,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, h, MHD_OPTION_END);
	if (h->daemon != NULL && metrics_fd >= 0)
		h->metrics = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0,
		    NULL, NULL, http_metrics_access, h, MHD_OPTION_LISTEN_SOCKET, metrics_fd,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16, MHD_OPTION_CONNECTION_TIMEOUT,
		    (unsigned int)HTTP_CONNECTION_TIMEOUT, MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log,
		    h, MHD_OPTION_END);
	if (h->daemon == NULL || (metrics_fd >= 0 && h->metrics == NULL)) {
		*cause = xasprintf("cannot start the HTTP server on %s",
		    h->daemon == NULL ? cfg->server.listen : cfg->server.metrics_listen);
		if (h->daemon != NULL)
			MHD_stop_daemon(h->daemon);
		session_free(h->api.sessions);
		hookstats_free(h->api.hooks);
		free(h);
		return NULL;
	}
	return h;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->metrics != NULL)
		MHD_stop_daemon(h->metrics);
	MHD_stop_daemon(h->daemon);
	session_free(h->api.sessions);
	hookstats_free(h->api.hooks);
	free(h);
}
