/*
 * The seccomp filter of the network-facing process (libseccomp, optional
 * at build time). It is a deny list on top of no_new_privs and an
 * unprivileged user: what that process never needs and an attacker who
 * took it over would want first. Running a program (execve, execveat)
 * and tracing another process kill it; making a process (fork, vfork, a
 * clone that is not a thread), a socket that is not AF_UNIX, and the
 * system administration calls (mount, namespaces, modules, bpf, keyrings,
 * setuid and its kin, ...) fail with EPERM. Threads, files, the listening
 * socket and the channel to the worker side work as before.
 */
#ifndef TURNOUT_SANDBOX_H
#define TURNOUT_SANDBOX_H

/*
 * Loads the filter for the whole process (every thread, those to come
 * too). Call it once no_new_privs is set. Returns 1 when it was loaded, 0
 * when turnout was built without libseccomp, or -1 with *cause (a new
 * string the caller frees).
 */
int sandbox_apply(char **cause);

/* "seccomp" when the filter is built in, else "none". */
const char *sandbox_name(void);

#endif
