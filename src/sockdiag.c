/* sockdiag: counting a color's connections through sock_diag netlink (see sockdiag.h). */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "sockdiag.h"
#include "xmalloc.h"
#include "banned.h"

/* Room for one netlink datagram of a dump (the kernel sends at most a page or so). */
#define DUMP_BUF 32768

/* Called for each socket a dump returns; adds to *count what matches. */
typedef void (*each_fn)(const struct nlmsghdr *h, void *ctx, int *count);

/*
 * Sends one dump request (req, a sock_diag request of len bytes) and calls
 * each for every answer until the kernel says it is done. Returns the
 * count each added up, or -1 with *cause; *intr is set when the kernel
 * says sockets changed during the dump (it may have missed some).
 */
static int
dump_once(const void *req, size_t len, each_fn each, void *ctx, int *intr, char **cause)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr h;
		char body[64];
	} msg;
	char *buf;
	int fd, count = 0, done = 0;

	if (len > sizeof msg.body) {
		*cause = xstrdup("sock_diag request too large");
		return -1;
	}
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		*cause = xasprintf("cannot open a sock_diag socket: %s", strerror(errno));
		return -1;
	}
	memset(&msg, 0, sizeof msg);
	msg.h.nlmsg_len = NLMSG_LENGTH(len);
	msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	memcpy(msg.body, req, len);
	if (sendto(fd, &msg, msg.h.nlmsg_len, 0, (struct sockaddr *)&nl, sizeof nl) < 0) {
		*cause = xasprintf("cannot ask sock_diag: %s", strerror(errno));
		close(fd);
		return -1;
	}
	buf = xmalloc(DUMP_BUF); /* malloc's alignment suits nlmsghdr */
	while (!done) {
		ssize_t got = recv(fd, buf, DUMP_BUF, 0);
		const struct nlmsghdr *h;
		int n = (int)got;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			*cause = xasprintf("cannot read sock_diag: %s",
			    got < 0 ? strerror(errno) : "end of data");
			count = -1;
			break;
		}
		for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = 1;
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
					*cause = xstrdup("sock_diag sent a short error");
				else
					*cause = xasprintf("sock_diag refused the dump: %s",
					    strerror(-e->error));
				count = -1;
				done = 1;
				break;
			}
			each(h, ctx, &count);
		}
	}
	free(buf);
	close(fd);
	return count;
}

/* dump_once, again while the kernel says the dump was interrupted (at most 3 tries). */
static int
dump(const void *req, size_t len, each_fn each, void *ctx, char **cause)
{
	int n = -1, intr = 1;

	for (int i = 0; i < 3 && intr; i++) {
		intr = 0;
		n = dump_once(req, len, each, ctx, &intr, cause);
		if (n < 0)
			return -1;
	}
	return n;
}

/* inet_diag: a socket whose local port is *(int *)ctx. */
static void
each_tcp(const struct nlmsghdr *h, void *ctx, int *count)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);

	if (h->nlmsg_len >= NLMSG_LENGTH(sizeof *m) && ntohs(m->id.idiag_sport) == *(int *)ctx)
		(*count)++;
}

int
sockdiag_tcp(int port, char **cause)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int total = 0;

	for (size_t i = 0; i < 2; i++) {
		struct inet_diag_req_v2 req;
		int n;

		memset(&req, 0, sizeof req);
		req.sdiag_family = (uint8_t)families[i];
		req.sdiag_protocol = IPPROTO_TCP;
		/*
		 * Established (also those waiting in the listener's accept
		 * queue) and half-open ones. A connection the client already
		 * closed (CLOSE_WAIT) has nobody left to answer.
		 */
		req.idiag_states = (1U << TCP_ESTABLISHED) | (1U << TCP_SYN_RECV);
		n = dump(&req, sizeof req, each_tcp, &port, cause);
		if (n < 0)
			return -1;
		total += n;
	}
	return total;
}

/* unix_diag: an accepted stream socket of the file *(struct stat *)ctx. */
static void
each_unix(const struct nlmsghdr *h, void *ctx, int *count)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	const struct stat *st = ctx;
	const struct rtattr *a;
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *m);

	if (len < 0 || m->udiag_type != SOCK_STREAM)
		return;
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		const struct unix_diag_vfs *v = RTA_DATA(a);

		if (a->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(a) < sizeof *v)
			continue;
		/*
		 * The kernel gives the inode cut to 32 bits and its own dev_t
		 * (major in the top 12 bits).
		 */
		if (v->udiag_vfs_ino == (uint32_t)st->st_ino &&
		    makedev(v->udiag_vfs_dev >> 20, v->udiag_vfs_dev & 0xfffff) == st->st_dev)
			(*count)++;
	}
}

int
sockdiag_unix(const char *path, char **cause)
{
	struct unix_diag_req req;
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf("cannot stat '%s': %s", path, strerror(errno));
		return -1;
	}
	memset(&req, 0, sizeof req);
	req.sdiag_family = AF_UNIX;
	/* The listener is TCP_LISTEN: only connections are counted. */
	req.udiag_states = 1U << TCP_ESTABLISHED;
	req.udiag_show = UDIAG_SHOW_VFS;
	return dump(&req, sizeof req, each_unix, &st, cause);
}
