/*
 * guard: what keeps one client, or a crowd of them, from holding the HTTP
 * server. It counts open connections per client address and refuses the
 * ones over the limit as they are accepted; it gives each request a
 * deadline for its head and one for its body, and a thread shuts down
 * the connections past theirs (libmicrohttpd's own timeout only sees
 * silence, so a client that sends a byte now and then would hold a
 * connection for ever); and, behind a trusted proxy, it counts the
 * requests in flight per client named by the proxy's header.
 *
 * A proxy is trusted only on loopback (127.0.0.1 or ::1) and only when
 * trust_proxy names its header: every client then shares the proxy's
 * address, so the proxy is not held to the per-address connection limit,
 * and the header's client is held to the per-client request limit.
 *
 * http.c installs guard_accept and guard_notify as libmicrohttpd's accept
 * policy and connection callbacks and calls the rest from its handlers.
 */
#ifndef TURNOUT_GUARD_H
#define TURNOUT_GUARD_H

#include <sys/socket.h>

#include <microhttpd.h>

struct guard;

/* A client address: IPv4 (also when mapped into IPv6) or IPv6. */
struct guard_addr {
	int family; /* AF_INET, AF_INET6, or 0: none */
	unsigned char a[16];
};

/* Where a request stands, for its deadline. */
enum guard_phase {
	GUARD_HEAD,   /* waiting for a request's head: header_timeout */
	GUARD_BODY,   /* the head is in, the body is coming: body_timeout */
	GUARD_ANSWER, /* the request is in: no deadline of ours */
};

/*
 * Starts the guard and its thread. most is the most connections open at
 * once; per_client the most of one address (and requests of one proxied
 * client); the timeouts are in seconds; trust_proxy is whether a proxy
 * header is configured.
 */
struct guard *guard_new(int most, int per_client, int header_timeout, int body_timeout,
    int trust_proxy);
/* Stops the thread and frees g; NULL is a no-op. Call after the server has stopped. */
void guard_free(struct guard *g);

/*
 * MHD_AcceptPolicyCallback (cls is the guard): MHD_NO when most
 * connections are open, or the address has its per_client. (Refused here,
 * a connection is closed at once. libmicrohttpd's own limit is set above
 * ours: a pool thread at it stops serving well, 400 requests a second
 * where it answers 40,000.)
 */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len);

/* MHD_NotifyConnectionCallback (cls is the guard): tracks each connection. */
void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code);

/* Moves connection c to phase p, its deadline counted from now. */
void guard_phase(struct guard *g, struct MHD_Connection *c, enum guard_phase p);

/* Returns 1 when c comes from a proxy whose header names the client. */
int guard_is_proxy(struct guard *g, struct MHD_Connection *c);

/*
 * Parses the address text (from the proxy's header) into *addr and counts
 * a request of it in flight. Returns 0, -1 when that client has
 * per_client requests in flight already (nothing counted), or 1 when the
 * text is not an address (nothing counted, *addr has family 0).
 */
int guard_client_enter(struct guard *g, const char *text, struct guard_addr *addr);
/* Ends a request counted by guard_client_enter; an addr of family 0 is ignored. */
void guard_client_leave(struct guard *g, const struct guard_addr *addr);

#endif
