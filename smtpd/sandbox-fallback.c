/*
 * sandbox-fallback.c - a stand-in for lib/sandbox.c, linked into
 * kurier-smtpd only while the tree has no lib/sandbox.c (smtpd/Makefile.inc
 * decides).  It does the parts that need no libseccomp: drop to the user,
 * set the resource limits and PR_SET_NO_NEW_PRIVS.  It says on stderr that
 * the system-call filter is missing.  Remove it once lib/sandbox.c exists.
 */
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "log.h"
#include "sandbox.h"

/* limit - set one resource limit when v is not 0; 1 ok, -1 error */
static int limit(int what, unsigned long long v)
{
	struct rlimit r;

	if (!v)
		return 1;
	r.rlim_cur = r.rlim_max = (rlim_t)v;
	return setrlimit(what, &r) == 0 ? 1 : -1;
}

int sandbox_drop(const char *user, const char *group)
{
	struct passwd *pw = getpwnam(user);
	gid_t gid;

	if (!pw)
		return -1;
	gid = pw->pw_gid;
	if (group) {
		struct group *gr = getgrnam(group);
		if (!gr)
			return -1;
		gid = gr->gr_gid;
	}
	if (initgroups(user, gid) || setgid(gid) || setuid(pw->pw_uid))
		return -1;
	return 1;
}

int sandbox_enter(const struct sandbox *sb)
{
	if (sb->user && sandbox_drop(sb->user, sb->group) != 1)
		return -1;
	if (limit(RLIMIT_AS, sb->mem) < 0 || limit(RLIMIT_NOFILE, sb->nofile) < 0 ||
	    limit(RLIMIT_NPROC, sb->nproc) < 0 || limit(RLIMIT_FSIZE, sb->fsize) < 0 ||
	    limit(RLIMIT_CPU, sb->cpu) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	log_warnx("no system-call filter: lib/sandbox.c is not built yet");
	return 1;
}
