/*
 * sandbox - how every kurier program confines itself before it reads
 * untrusted input: drop to a user (uid, gid, supplementary groups), set
 * resource limits, PR_SET_NO_NEW_PRIVS, then load a libseccomp allow-list
 * whose default action kills the process.  Once entered there is no way
 * back.  Programs that link this also link LIB_SECCOMP.
 */
#ifndef KURIER_SANDBOX_H
#define KURIER_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/* the system-call groups a program may ask for, beyond the base set
 * (read, write, close, exit, memory, signals, time, fstat, lseek, ...) */
#define SANDBOX_FILES    0x01	/* open/openat/stat/unlink/rename/link/mkdir/fsync/getdents */
#define SANDBOX_NET      0x02	/* socket/connect/bind/poll/select/send/recv/shutdown */
#define SANDBOX_SPAWN    0x04	/* fork/vfork/clone/execve/wait4/pipe/dup2 */
#define SANDBOX_SETID    0x08	/* setuid/setgid/setgroups (for spawners that become users) */
#define SANDBOX_INOTIFY  0x10	/* inotify_* */

/* supplementary groups a kurier system user may have; more is an error */
#define SANDBOX_GROUPS_MAX 64

/* the ids a drop sets, looked up once (sandbox_ids) and set later, maybe
 * many times, without reading the files again (sandbox_setids) */
struct sandbox_ids {
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[SANDBOX_GROUPS_MAX];
};

struct sandbox {
	const char *user;	/* user to become, or 0 to keep the current ids */
	const char *group;	/* primary group, or 0 for the user's own */
	unsigned allow;		/* SANDBOX_* groups */
	const int *extra;	/* further syscall numbers (SCMP_SYS), ending in -1; or 0 */
	unsigned long long mem;		/* RLIMIT_AS in bytes; 0 leaves it */
	unsigned long long nofile;	/* RLIMIT_NOFILE; 0 leaves it */
	unsigned long long nproc;	/* RLIMIT_NPROC; 0 leaves it */
	unsigned long long fsize;	/* RLIMIT_FSIZE in bytes; 0 leaves it */
	unsigned long long cpu;		/* RLIMIT_CPU in seconds; 0 leaves it */
	const struct sandbox_ids *ids;	/* ids looked up before, taken instead of user; or 0 */
};

/* sandbox_ids - look user (and group) up in /etc/passwd and /etc/group,
 * never through NSS; 1 ok, -1 error (ENOENT: no such user or group) */
int sandbox_ids(const char *user, const char *group, struct sandbox_ids *ids);
/* sandbox_ids_from - sandbox_ids on other passwd and group files (tests); 1 ok, -1 error */
int sandbox_ids_from(const char *passwd, const char *groupfile, const char *user,
    const char *group, struct sandbox_ids *ids);
/* sandbox_gid - the gid of group from /etc/group, never through NSS; 1 ok, -1 error (ENOENT: none) */
int sandbox_gid(const char *group, gid_t *gid);
/* sandbox_gid_from - sandbox_gid on another group file (tests); 1 ok, -1 error */
int sandbox_gid_from(const char *groupfile, const char *group, gid_t *gid);
/* sandbox_setids - become ids (groups, gid, uid) and prove root is gone; 1 ok, -1 error */
int sandbox_setids(const struct sandbox_ids *ids);
/* sandbox_drop - sandbox_ids, then sandbox_setids; 1 ok, -1 error */
int sandbox_drop(const char *user, const char *group);
/* sandbox_confine - drop ids, set limits and no_new_privs, no filter yet; 1 ok, -1 error */
int sandbox_confine(const struct sandbox *sb);
/* sandbox_enter - sandbox_confine, then build and load the filter with
 * libseccomp (lib/sandbox-filter.c); 1 ok, -1 error (errno) */
int sandbox_enter(const struct sandbox *);

/* Building the filter with libseccomp costs about 0.3 ms at every start;
 * a program started per connection builds it at build time instead
 * (sandbox_export, run by a generator the Makefile runs) and loads the
 * BPF program with sandbox_enter_prog.  The pid that tgkill may signal
 * (abort() on itself) is written as SANDBOX_PID_MARK and set at load. */
#define SANDBOX_PID_MARK 0x3ead51deU
/* sandbox_export - write sb's filter as a BPF program to fd; 1 ok, -1 error */
int sandbox_export(const struct sandbox *sb, int fd);
/* sandbox_enter_prog - sandbox_enter with the filter a sandbox_export of
 * the same allow and extra wrote; 1 ok, -1 error (EINVAL: not such a program) */
int sandbox_enter_prog(const struct sandbox *sb, const void *prog, size_t len);

#endif
