/*
 * What the kernel knows about a server's connections, read through
 * sock_diag netlink (what ss(8) reads): no help from the proxy or the app
 * is needed to see whether a color still serves someone.
 */
#ifndef TURNOUT_SOCKDIAG_H
#define TURNOUT_SOCKDIAG_H

/*
 * Counts the open TCP connections (IPv4 and IPv6, established or being
 * accepted) whose local port is port, on any address: the server side of
 * each connection to a color listening there. Returns the count, or -1
 * with *cause (a new string the caller frees).
 */
int sockdiag_tcp(int port, char **cause);

/*
 * Counts the connected stream sockets accepted by the unix socket bound
 * at path (matched by the socket file's inode, so a symlink or a relative
 * name the app bound with does not matter). A missing path counts 0.
 * Returns the count, or -1 with *cause (a new string the caller frees).
 */
int sockdiag_unix(const char *path, char **cause);

#endif
