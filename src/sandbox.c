/* sandbox: the network-facing process's seccomp filter (see sandbox.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_SECCOMP
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#endif

#include "log.h"
#include "sandbox.h"
#include "xmalloc.h"
#include "banned.h"

#ifdef HAVE_SECCOMP

/*
 * AddressSanitizer's leak check stops the threads from a clone and reads
 * them through ptrace: a sanitizer build (it is for tests) allows ptrace
 * and a clone that shares memory.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

/*
 * A clone without this flag makes a new process: one that is not a thread.
 * The leak check's tracer shares the memory (CLONE_VM) without being a
 * thread, so a sanitizer build refuses only a fork's clone.
 */
#ifndef SANITIZER_BUILD
#define NEW_PROCESS_FLAG CLONE_THREAD
#else
#define NEW_PROCESS_FLAG CLONE_VM
#endif

/* Calls that end the process: it never runs a program or traces one. */
static const char *const killed[] = {
	"execve",
	"execveat",
#ifndef SANITIZER_BUILD
	"ptrace",
#endif
	"process_vm_readv",
	"process_vm_writev",
	NULL,
};

/* Calls that fail with EPERM: administration, identities, new processes. */
static const char *const refused[] = {
	"fork",
	"vfork",
	"mount",
	"umount2",
	"pivot_root",
	"chroot",
	"unshare",
	"setns",
	"bpf",
	"perf_event_open",
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"reboot",
	"swapon",
	"swapoff",
	"acct",
	"keyctl",
	"add_key",
	"request_key",
	"userfaultfd",
	"setuid",
	"setgid",
	"setreuid",
	"setregid",
	"setresuid",
	"setresgid",
	"setgroups",
	"setfsuid",
	"setfsgid",
	"capset",
	"settimeofday",
	"clock_settime",
	"adjtimex",
	NULL,
};

/* Adds one rule; a call this architecture lacks is skipped with a note. */
static void
rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned nargs,
    const struct scmp_arg_cmp *arg)
{
	int nr = seccomp_syscall_resolve_name(name), rc;

	if (nr == __NR_SCMP_ERROR) {
		log_debug("sandbox: no system call %s here", name);
		return;
	}
	rc = nargs == 0 ? seccomp_rule_add(ctx, action, nr, 0) :
			  seccomp_rule_add_array(ctx, action, nr, nargs, arg);
	if (rc < 0)
		log_warn("sandbox: cannot filter %s: %s", name, strerror(-rc));
}

int
sandbox_apply(char **cause)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	struct scmp_arg_cmp not_unix = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
	struct scmp_arg_cmp new_process = SCMP_A0(SCMP_CMP_MASKED_EQ, NEW_PROCESS_FLAG, 0);
	int rc;

	if (ctx == NULL) {
		*cause = xstrdup("cannot make a seccomp filter");
		return -1;
	}
	/* Every thread, also those libmicrohttpd starts later. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; killed[i] != NULL; i++)
		rule(ctx, SCMP_ACT_KILL_PROCESS, killed[i], 0, NULL);
	for (size_t i = 0; refused[i] != NULL; i++)
		rule(ctx, SCMP_ACT_ERRNO(EPERM), refused[i], 0, NULL);
	rule(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 1, &not_unix);
	rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &new_process);
	/*
	 * clone3 hides its flags in memory a filter cannot read: it is
	 * "not here", and glibc makes its threads with clone instead.
	 */
	rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		*cause = xasprintf("cannot load the seccomp filter: %s", strerror(-rc));
		return -1;
	}
	return 1;
}

const char *
sandbox_name(void)
{
	return "seccomp";
}

#else /* !HAVE_SECCOMP */

int
sandbox_apply(char **cause)
{
	(void)cause;
	return 0;
}

const char *
sandbox_name(void)
{
	return "none";
}

#endif
