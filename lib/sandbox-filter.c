/*
 * sandbox-filter - the seccomp allow-lists of lib/sandbox, built with
 * libseccomp: loaded at once (sandbox_enter) or written as a BPF program
 * at build time (sandbox_export) for sandbox_enter_prog to load.
 * runs as:  whoever calls it (sandbox_enter: see lib/sandbox.c)
 * trusts:   nothing; the lists are compiled in
 * exit:     never exits; returns 1 or -1 with errno set
 *
 * The allow-lists name what the C library really calls, not only what the program
 * asks for: fstat() is newfstatat(fd, "", AT_EMPTY_PATH), abort() is
 * tgkill on itself, a posix_spawn() child is clone3 and the program it
 * executes starts by opening its libraries.  The filter stays in force
 * across execve, so SANDBOX_SPAWN includes what a dynamically linked
 * program needs to reach main().  sandbox_export writes the same filter
 * as a BPF program at build time, and sandbox_enter_prog loads it at run
 * time without libseccomp's work, with the caller's pid put in for the
 * mark the tgkill rule was built with.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#include "sandbox.h"

/* libseccomp's optimisation level 2: the filter as a binary tree */
#define SANDBOX_TREE_LEVEL 2

/* the end marker of the system-call lists below */
#define SYS_END (-1)

/* system calls every confined program may make: I/O on descriptors it
 * holds, memory, signals, time, its own identity and limits */
static const int base_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigpending), SCMP_SYS(rt_sigsuspend), SCMP_SYS(rt_sigtimedwait),
	SCMP_SYS(sigaltstack), SCMP_SYS(alarm), SCMP_SYS(setitimer), SCMP_SYS(getitimer),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(getresuid), SCMP_SYS(getresgid), SCMP_SYS(getgroups),
	SCMP_SYS(getrlimit), SCMP_SYS(getrusage), SCMP_SYS(times), SCMP_SYS(umask),
	SCMP_SYS(sched_yield), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(sched_getaffinity),
	SYS_END
};

/* SANDBOX_FILES: the file system, through paths */
static const int files_calls[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(creat),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(renameat2), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink),
	SCMP_SYS(symlinkat), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rmdir),
	SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(sync_file_range),
	SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(chdir), SCMP_SYS(fchdir),
	SCMP_SYS(getcwd), SCMP_SYS(ftruncate), SCMP_SYS(truncate),
	SCMP_SYS(fchmod), SCMP_SYS(chmod), SCMP_SYS(fchmodat),
	SCMP_SYS(utimensat), SCMP_SYS(flock), SCMP_SYS(fadvise64),
	SCMP_SYS(fallocate), SCMP_SYS(statfs), SCMP_SYS(fstatfs),
	SYS_END
};

/* SANDBOX_NET: sockets and waiting on many descriptors */
static const int net_calls[] = {
	SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
	SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(shutdown),
	SCMP_SYS(epoll_create), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SYS_END
};

/* SANDBOX_SPAWN: children, pipes, and the start-up of an executed
 * program (which inherits the filter): loader set-up and read-only opens
 * are added with their argument checks in spawn_rules() */
static const int spawn_calls[] = {
	SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(clone), SCMP_SYS(clone3),
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(wait4), SCMP_SYS(waitid),
	SCMP_SYS(pipe), SCMP_SYS(pipe2), SCMP_SYS(kill), SCMP_SYS(tgkill),
	SCMP_SYS(setsid), SCMP_SYS(setpgid), SCMP_SYS(getpgid), SCMP_SYS(getpgrp),
	SCMP_SYS(arch_prctl), SCMP_SYS(set_tid_address), SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(prlimit64), SCMP_SYS(newfstatat),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(readlink),
	SYS_END
};

/* SANDBOX_SETID: becoming another user (spawners that deliver as users) */
static const int setid_calls[] = {
	SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid),
	SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
	SCMP_SYS(setfsuid), SCMP_SYS(setfsgid),
	SYS_END
};

/* SANDBOX_INOTIFY: waiting for directory changes */
static const int inotify_calls[] = {
	SCMP_SYS(inotify_init), SCMP_SYS(inotify_init1),
	SCMP_SYS(inotify_add_watch), SCMP_SYS(inotify_rm_watch),
	SYS_END
};

/* arg - one argument comparison for a rule, every field set (the
 * library's SCMP_An macros leave datum_b to the compiler) */
static struct scmp_arg_cmp arg(unsigned n, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c;

	c.arg = n;
	c.op = op;
	c.datum_a = a;
	c.datum_b = b;
	return c;
}

/* allow_list - allow every call of a list ending in SYS_END; 1 ok, -1 error.
 * A name this architecture lacks (libseccomp gives it a negative pseudo
 * number that it cannot resolve) is skipped: there is nothing to allow. */
static int allow_list(scmp_filter_ctx ctx, const int *calls)
{
	int r;

	for (; *calls != SYS_END; calls++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, *calls, 0);
		if (r == 0 || (*calls < 0 && (r == -EDOM || r == -EINVAL)))
			continue;
		errno = -r;
		return -1;
	}
	return 1;
}

/* base_rules - the base calls that are allowed only with certain
 * arguments: fstat() as newfstatat(fd, "", AT_EMPTY_PATH), tgkill on this
 * process (abort, raise), harmless ioctl requests, prlimit64 on
 * this process.  A call that a group in allow permits whole is left to
 * that group; 1 ok, -1 error */
static int base_rules(scmp_filter_ctx ctx, unsigned allow, scmp_datum_t self)
{
	/* isatty(), bytes waiting, close-on-exec, terminal size: each only
	 * asks about or marks a descriptor the process already holds */
	static const unsigned long ioctl_ok[] = { TCGETS, FIONREAD, FIOCLEX, FIONCLEX, TIOCGWINSZ };
	size_t i;
	int r = 0;

	if (!(allow & (SANDBOX_FILES | SANDBOX_SPAWN)))
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				     arg(3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	if (!r && !(allow & SANDBOX_SPAWN))
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
				     arg(0, SCMP_CMP_EQ, 0, 0));
	/* getpwnam() and friends first try the name-service cache daemon over
	 * a local socket and fall back to the files when that fails; let it
	 * fail instead of killing the process */
	if (!r && !(allow & SANDBOX_NET))
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
				     arg(0, SCMP_CMP_EQ, AF_UNIX, 0));
	/* after a fork the pid differs, so SANDBOX_SPAWN, which may signal
	 * its children anyway, allows tgkill whole */
	if (!r && !(allow & SANDBOX_SPAWN))
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     arg(0, SCMP_CMP_EQ, self, 0));
	for (i = 0; !r && i < sizeof ioctl_ok / sizeof ioctl_ok[0]; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     arg(1, SCMP_CMP_EQ, ioctl_ok[i], 0));
	if (r) {
		errno = -r;
		return -1;
	}
	return 1;
}

/* spawn_rules - opens without write, create or truncate, for the loader
 * of an executed program; 1 ok, -1 error */
static int spawn_rules(scmp_filter_ctx ctx)
{
	const scmp_datum_t mask = O_ACCMODE | O_CREAT | O_TRUNC;
	int r;

	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
			     arg(2, SCMP_CMP_MASKED_EQ, mask, O_RDONLY));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
				     arg(1, SCMP_CMP_MASKED_EQ, mask, O_RDONLY));
	if (r) {
		errno = -r;
		return -1;
	}
	return 1;
}

/* filter_build - the allow-list for sb, tgkill allowed on process self; the context, or 0 (errno) */
static scmp_filter_ctx filter_build(const struct sandbox *sb, scmp_datum_t self)
{
	scmp_filter_ctx ctx;
	int r, e;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		errno = ENOMEM;
		return 0;
	}
	/* a binary tree of syscall numbers, not libseccomp's default list:
	 * the kernel runs a new filter once for every syscall number when
	 * it is loaded, to learn which are always allowed, so a list of 70
	 * checks costs about 0.13 ms a load and the tree 0.09 ms, paid by
	 * the front and the server of every connection */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, SANDBOX_TREE_LEVEL);
	if (r) {
		seccomp_release(ctx);
		errno = -r;
		return 0;
	}
	r = allow_list(ctx, base_calls);
	if (r == 1)
		r = base_rules(ctx, sb->allow, self);
	if (r == 1 && (sb->allow & SANDBOX_FILES))
		r = allow_list(ctx, files_calls);
	if (r == 1 && (sb->allow & SANDBOX_NET))
		r = allow_list(ctx, net_calls);
	if (r == 1 && (sb->allow & SANDBOX_SPAWN)) {
		r = allow_list(ctx, spawn_calls);
		if (r == 1 && !(sb->allow & SANDBOX_FILES))
			r = spawn_rules(ctx);
	}
	if (r == 1 && (sb->allow & SANDBOX_SETID))
		r = allow_list(ctx, setid_calls);
	if (r == 1 && (sb->allow & SANDBOX_INOTIFY))
		r = allow_list(ctx, inotify_calls);
	if (r == 1 && sb->extra)
		r = allow_list(ctx, sb->extra);
	if (r == 1)
		return ctx;
	e = errno;
	seccomp_release(ctx);
	errno = e;
	return 0;
}

/* filter_load - build and load the allow-list for sb; 1 ok, -1 error */
static int filter_load(const struct sandbox *sb)
{
	scmp_filter_ctx ctx = filter_build(sb, (scmp_datum_t)getpid());
	int r, e;

	if (!ctx)
		return -1;
	r = seccomp_load(ctx);
	if (r) {
		errno = -r;
		r = -1;
	} else
		r = 1;
	e = errno;
	seccomp_release(ctx);
	errno = e;
	return r;
}

int sandbox_export(const struct sandbox *sb, int fd)
{
	scmp_filter_ctx ctx = filter_build(sb, SANDBOX_PID_MARK);
	int r, e;

	if (!ctx)
		return -1;
	r = seccomp_export_bpf(ctx, fd);
	if (r) {
		errno = -r;
		r = -1;
	} else
		r = 1;
	e = errno;
	seccomp_release(ctx);
	errno = e;
	return r;
}

int sandbox_enter(const struct sandbox *sb)
{
	if (sandbox_confine(sb) != 1)
		return -1;
	return filter_load(sb);
}

