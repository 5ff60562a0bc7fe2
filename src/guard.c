/* guard: per-client limits and request deadlines of the HTTP server (see guard.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guard.h"
#include "log.h"
#include "xmalloc.h"
#include "banned.h"

#define GUARD_BUCKETS 1024

/* The two things counted per address. */
enum guard_kind {
	GUARD_CONNECTIONS, /* open connections of a peer address */
	GUARD_REQUESTS,    /* requests in flight of a client a proxy names */
};

struct guard_count {
	struct guard_count *next;
	enum guard_kind kind;
	struct guard_addr addr;
	int n;
};

/* One open connection: libmicrohttpd's socket context. */
struct guard_conn {
	struct guard_conn *prev, *next;
	int fd;
	struct guard_addr addr;
	int counted; /* counted against addr (not a trusted proxy) */
	int proxy;   /* a trusted proxy */
	enum guard_phase phase;
	int64_t since; /* monotonic ms at the start of the phase */
	int shut;      /* shut down past its deadline */
};

struct guard {
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t wake;
	pthread_t thread;
	int running, stopping;
	int most, per_client, header_ms, body_ms, trust_proxy;
	int open;   /* connections */
	int served; /* a connection was opened since the last trim */
	struct guard_conn *conns;
	struct guard_count *buckets[GUARD_BUCKETS];
};

static int64_t
guard_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a socket address into *out; an IPv4 address mapped into IPv6 counts as IPv4. */
static void
guard_addr_from(const struct sockaddr *sa, struct guard_addr *out)
{
	memset(out, 0, sizeof *out);
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			out->family = AF_INET;
			memcpy(out->a, a6->s6_addr + 12, 4);
		} else {
			out->family = AF_INET6;
			memcpy(out->a, a6->s6_addr, 16);
		}
	}
}

/* 127.0.0.1 or ::1: where a proxy on this server connects from. */
static int
guard_addr_is_local_proxy(const struct guard_addr *a)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	static const unsigned char v6[16] = { [15] = 1 };

	return (a->family == AF_INET && memcmp(a->a, v4, 4) == 0) ||
	    (a->family == AF_INET6 && memcmp(a->a, v6, 16) == 0);
}

/* FNV-1a over the kind and the address bytes. */
static size_t
guard_hash(enum guard_kind kind, const struct guard_addr *a)
{
	uint32_t h = 2166136261u ^ (uint32_t)kind;

	for (size_t i = 0; i < (a->family == AF_INET ? 4u : 16u); i++)
		h = (h ^ a->a[i]) * 16777619u;
	return h % GUARD_BUCKETS;
}

/* The count of (kind, a), created at 0 when create is set, else NULL. Holds the lock. */
static struct guard_count **
guard_find(struct guard *g, enum guard_kind kind, const struct guard_addr *a)
{
	struct guard_count **p = &g->buckets[guard_hash(kind, a)];

	for (; *p != NULL; p = &(*p)->next)
		if ((*p)->kind == kind && (*p)->addr.family == a->family &&
		    memcmp((*p)->addr.a, a->a, sizeof a->a) == 0)
			break;
	return p;
}

/* Adds delta to the count of (kind, a) and returns it; an entry at 0 is freed. */
static int
guard_add(struct guard *g, enum guard_kind kind, const struct guard_addr *a, int delta)
{
	struct guard_count **p = guard_find(g, kind, a), *c = *p;
	int n;

	if (c == NULL) {
		if (delta <= 0)
			return 0;
		c = *p = xcalloc(1, sizeof *c);
		c->kind = kind;
		c->addr = *a;
	}
	n = c->n += delta;
	if (n <= 0) {
		*p = c->next;
		free(c);
	}
	return n;
}

/* Returns the count of (kind, a). Holds the lock. */
static int
guard_get(struct guard *g, enum guard_kind kind, const struct guard_addr *a)
{
	struct guard_count *c = *guard_find(g, kind, a);

	return c != NULL ? c->n : 0;
}

/* Shuts down the connections past their deadline; returns how many. Holds the lock. */
static int
guard_reap(struct guard *g, int64_t now)
{
	int n = 0;

	for (struct guard_conn *gc = g->conns; gc != NULL; gc = gc->next) {
		int64_t limit = gc->phase == GUARD_HEAD ? g->header_ms :
		    gc->phase == GUARD_BODY             ? g->body_ms :
							  -1;

		if (limit < 0 || gc->shut || now - gc->since < limit)
			continue;
		/*
		 * libmicrohttpd tells CLOSED, which takes this lock, before it
		 * closes the descriptor: fd is still this connection's.
		 */
		if (shutdown(gc->fd, SHUT_RDWR) == 0 || errno == ENOTCONN)
			n++;
		gc->shut = 1;
	}
	return n;
}

/* The thread: once a second, the connections past their deadline are shut down. */
static void *
guard_main(void *arg)
{
	struct guard *g = arg;
	struct timespec until;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		int n;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
		if (g->stopping)
			break;
		/*
		 * Connections leave their memory in malloc's free lists, one
		 * per thread: once they are all gone, give it back to the
		 * system, or the daemon keeps a flood's peak for good, and
		 * even one webhook's pages (about 100 KB) while it idles.
		 */
		if (g->served && g->open == 0) {
			/* Not under the lock: new connections wait on it. */
			g->served = 0;
			pthread_mutex_unlock(&g->lock);
			malloc_trim(0);
			pthread_mutex_lock(&g->lock);
			if (g->stopping)
				break;
		}
		/* One line a round, not one per connection: a flood would fill the log. */
		if ((n = guard_reap(g, guard_now())) > 0)
			log_info("closed %d connection%s that did not send a request in time"
				 " (header_timeout %d s, body_timeout %d s)",
			    n, n == 1 ? "" : "s", g->header_ms / 1000, g->body_ms / 1000);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct guard *
guard_new(int most, int per_client, int header_timeout, int body_timeout, int trust_proxy)
{
	struct guard *g = xcalloc(1, sizeof *g);

	g->most = most;
	g->per_client = per_client;
	g->header_ms = header_timeout * 1000;
	g->body_ms = body_timeout * 1000;
	g->trust_proxy = trust_proxy;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	if (pthread_create(&g->thread, NULL, guard_main, g) == 0)
		g->running = 1;
	else
		log_warn("cannot start the thread of the request deadlines: %s", strerror(errno));
	return g;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	if (g->running)
		pthread_join(g->thread, NULL);
	for (size_t i = 0; i < GUARD_BUCKETS; i++)
		while (g->buckets[i] != NULL) {
			struct guard_count *c = g->buckets[i];

			g->buckets[i] = c->next;
			free(c);
		}
	/* The server has stopped: every connection told CLOSED already. */
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

enum MHD_Result
guard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct guard *g = cls;
	struct guard_addr a;
	int n, ok;

	(void)len;
	guard_addr_from(addr, &a);
	pthread_mutex_lock(&g->lock);
	n = g->trust_proxy && guard_addr_is_local_proxy(&a) ? 0 :
							      guard_get(g, GUARD_CONNECTIONS, &a);
	ok = g->open < g->most && n < g->per_client;
	pthread_mutex_unlock(&g->lock);
	/*
	 * Checked here, counted at STARTED: two accepts at once may both pass,
	 * and a limit is then one over, which does not matter.
	 */
	return ok ? MHD_YES : MHD_NO;
}

void
guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct guard *g = cls;
	struct guard_conn *gc = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		gc = xcalloc(1, sizeof *gc);
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		guard_addr_from(ci != NULL ? ci->client_addr : NULL, &gc->addr);
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		gc->fd = ci != NULL ? ci->connect_fd : -1;
		gc->proxy = g->trust_proxy && guard_addr_is_local_proxy(&gc->addr);
		gc->phase = GUARD_HEAD;
		gc->since = guard_now();
		gc->shut = gc->fd < 0;
		pthread_mutex_lock(&g->lock);
		g->open++;
		g->served = 1;
		if (!gc->proxy) {
			guard_add(g, GUARD_CONNECTIONS, &gc->addr, 1);
			gc->counted = 1;
		}
		gc->next = g->conns;
		if (g->conns != NULL)
			g->conns->prev = gc;
		g->conns = gc;
		pthread_mutex_unlock(&g->lock);
		*socket_context = gc;
		return;
	}
	if (gc == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->open--;
	if (gc->counted)
		guard_add(g, GUARD_CONNECTIONS, &gc->addr, -1);
	if (gc->prev != NULL)
		gc->prev->next = gc->next;
	else
		g->conns = gc->next;
	if (gc->next != NULL)
		gc->next->prev = gc->prev;
	pthread_mutex_unlock(&g->lock);
	free(gc);
	*socket_context = NULL;
}

/* The connection's own state, or NULL. */
static struct guard_conn *
guard_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void
guard_phase(struct guard *g, struct MHD_Connection *c, enum guard_phase p)
{
	struct guard_conn *gc = guard_conn_of(c);

	if (gc == NULL || gc->phase == p)
		return;
	pthread_mutex_lock(&g->lock);
	gc->phase = p;
	gc->since = guard_now();
	pthread_mutex_unlock(&g->lock);
}

int
guard_is_proxy(struct guard *g, struct MHD_Connection *c)
{
	struct guard_conn *gc = guard_conn_of(c);

	(void)g;
	return gc != NULL && gc->proxy;
}

int
guard_client_enter(struct guard *g, const char *text, struct guard_addr *addr)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int rc = 0;

	memset(addr, 0, sizeof *addr);
	memset(&s4, 0, sizeof s4);
	memset(&s6, 0, sizeof s6);
	if (inet_pton(AF_INET, text, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		guard_addr_from((struct sockaddr *)&s4, addr);
	} else if (inet_pton(AF_INET6, text, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		guard_addr_from((struct sockaddr *)&s6, addr);
	} else
		return 1;
	pthread_mutex_lock(&g->lock);
	if (guard_get(g, GUARD_REQUESTS, addr) >= g->per_client)
		rc = -1;
	else
		guard_add(g, GUARD_REQUESTS, addr, 1);
	pthread_mutex_unlock(&g->lock);
	if (rc != 0)
		memset(addr, 0, sizeof *addr);
	return rc;
}

void
guard_client_leave(struct guard *g, const struct guard_addr *addr)
{
	if (addr->family == 0)
		return;
	pthread_mutex_lock(&g->lock);
	guard_add(g, GUARD_REQUESTS, addr, -1);
	pthread_mutex_unlock(&g->lock);
}
