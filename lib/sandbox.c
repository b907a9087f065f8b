/*
 * sandbox - confine the calling process: drop to a user and its groups,
 * lower resource limits, set PR_SET_NO_NEW_PRIVS and load a seccomp
 * allow-list whose default action kills the whole process.  This part
 * loads a filter built at build time (sandbox_enter_prog) and needs
 * nothing but the C library, so programs linked against musl use it too;
 * lib/sandbox-filter.c builds filters with libseccomp.
 * runs as:  whoever calls it; root drops, anyone else may only keep its ids
 * trusts:   /etc/passwd and /etc/group, through lib/ids.c (read before
 *           the filter loads)
 * exit:     never exits; returns 1 or -1 with errno set
 */
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "sandbox.h"

/* AddressSanitizer reserves terabytes of address space for its shadow
 * memory, so under it (make asan) RLIMIT_AS is left alone */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif

/* prog_load - load a program sandbox_export wrote, with this process's
 * pid in place of SANDBOX_PID_MARK; 1 ok, -1 error (EINVAL: not such a
 * program, or one without the mark where sb needs it) */
static int prog_load(const struct sandbox *sb, const void *prog, size_t len)
{
	struct sock_filter *f;
	struct sock_fprog fp;
	size_t n = len / sizeof *f, i, marks = 0;
	int r, e;

	if (!len || len % sizeof *f || n > BPF_MAXINSNS) {
		errno = EINVAL;
		return -1;
	}
	f = malloc(len);
	if (!f)
		return -1;
	memcpy(f, prog, len);
	/* the tgkill rule compares the low half of its first argument with the mark */
	for (i = 0; i < n; i++)
		if (f[i].code == (BPF_JMP | BPF_JEQ | BPF_K) && f[i].k == SANDBOX_PID_MARK) {
			f[i].k = (uint32_t)getpid();
			marks++;
		}
	if (!marks != !!(sb->allow & SANDBOX_SPAWN)) {
		free(f);
		errno = EINVAL;
		return -1;
	}
	fp.len = (unsigned short)n;
	fp.filter = f;
	r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) == 0 ? 1 : -1;
	e = errno;
	free(f);
	errno = e;
	return r;
}

/* limit - lower one resource limit, soft and hard, when v is not 0; 1 ok, -1 error */
static int limit(int what, unsigned long long v)
{
	struct rlimit r;

	if (!v)
		return 1;
	if (getrlimit(what, &r) != 0)
		return -1;
	/* never raise: a limit already lower than asked for stays */
	if (r.rlim_max != RLIM_INFINITY && r.rlim_max < (rlim_t)v)
		v = r.rlim_max;
	r.rlim_cur = r.rlim_max = (rlim_t)v;
	return setrlimit(what, &r) == 0 ? 1 : -1;
}

/* ids_are - 1 if real, effective and saved ids are all uid and gid */
static int ids_are(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return 0;
	return ru == uid && eu == uid && su == uid && rg == gid && eg == gid && sg == gid;
}

int sandbox_setids(const struct sandbox_ids *ids)
{
	uid_t uid = ids->uid;
	gid_t gid = ids->gid;

	if (geteuid() != 0) {
		/* without privilege the only drop possible is to who we are */
		if (ids_are(uid, gid))
			return 1;
		errno = EPERM;
		return -1;
	}
	if (setgroups(ids->ngroups, ids->groups) != 0)
		return -1;
	if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
		return -1;
	if (!ids_are(uid, gid)) {
		errno = EPERM;
		return -1;
	}
	/* prove the drop sticks: getting root or another group back must fail */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0 ||
			 (gid != 0 && (setgid(0) == 0 || setegid(0) == 0)))) {
		errno = EPERM;
		return -1;
	}
	return 1;
}

int sandbox_drop(const char *user, const char *group)
{
	struct sandbox_ids ids;

	if (sandbox_ids(user, group, &ids) != 1)
		return -1;
	return sandbox_setids(&ids);
}

int sandbox_confine(const struct sandbox *sb)
{
	if (sb->ids) {
		if (sandbox_setids(sb->ids) != 1)
			return -1;
	} else if (sb->user && sandbox_drop(sb->user, sb->group) != 1)
		return -1;
	if (limit(RLIMIT_AS, SANDBOX_ASAN ? 0 : sb->mem) < 0 || limit(RLIMIT_NOFILE, sb->nofile) < 0 ||
	    limit(RLIMIT_NPROC, sb->nproc) < 0 || limit(RLIMIT_FSIZE, sb->fsize) < 0 ||
	    limit(RLIMIT_CPU, sb->cpu) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return 1;
}

int sandbox_enter_prog(const struct sandbox *sb, const void *prog, size_t len)
{
	if (sandbox_confine(sb) != 1)
		return -1;
	return prog_load(sb, prog, len);
}
