/*
 * ids - look up kurier's system users and groups in /etc/passwd and
 * /etc/group for lib/sandbox (sandbox_ids, sandbox_gid; declared in
 * sandbox.h), without NSS and without libseccomp, so that a program that
 * needs only a lookup (kurier-lspawn) links neither.
 * runs as:  whoever calls it
 * trusts:   /etc/passwd and /etc/group
 * exit:     never exits; returns 1 or -1 with errno set
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "sandbox.h"
#include "scan.h"

/* The kurier system users and groups are looked up in these files
 * directly, not through NSS: getpwnam() and initgroups() load every module
 * nsswitch.conf names (libnss_systemd and what it links), which cost about
 * 2 ms per server start.  So kurier's own users must be in the files. */
#define SANDBOX_PASSWD "/etc/passwd"
#define SANDBOX_GROUP  "/etc/group"
/* the longest line read from them; a group with thousands of members fits */
#define SANDBOX_LINE_MAX 65536

/* db_scan - call each on every line of path (without its newline) until it
 * returns 0 or -1; 1 read to the end or stopped, -1 error (errno; a line of
 * SANDBOX_LINE_MAX bytes or more is EOVERFLOW, since skipping it could hide
 * a group membership) */
static int db_scan(const char *path, int (*each)(void *, char *, size_t), void *arg)
{
	static char b[SANDBOX_LINE_MAX];
	size_t len = 0, start;
	ssize_t r;
	int fd, rc = 1, e, eof = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return -1;
	while (rc == 1 && !eof) {
		do
			r = read(fd, b + len, sizeof b - len);
		while (r == -1 && errno == EINTR);
		if (r == -1) {
			rc = -1;
			break;
		}
		if (r == 0) {
			eof = 1;
			/* a last line without its newline still counts */
			if (len)
				b[len++] = '\n';
		}
		len += (size_t)r;
		start = 0;
		for (;;) {
			char *nl = memchr(b + start, '\n', len - start);
			if (!nl)
				break;
			*nl = 0;
			rc = each(arg, b + start, (size_t)(nl - (b + start)));
			start = (size_t)(nl - b) + 1;
			if (rc != 1)
				break;
		}
		if (rc != 1)
			break;
		memmove(b, b + start, len - start);
		len -= start;
		if (len == sizeof b) {
			errno = EOVERFLOW;
			rc = -1;
		}
	}
	e = errno;
	close(fd);
	errno = e;
	return rc < 0 ? -1 : 1;
}

/* fields - split l at ':' into its first max fields, each NUL-ended; how many there are */
static size_t fields(char *l, char **f, size_t max)
{
	size_t n = 0;

	f[n++] = l;
	for (; *l; l++)
		if (*l == ':') {
			*l = 0;
			if (n == max)
				break;
			f[n++] = l + 1;
		}
	return n;
}

/* id_scan - a uid or gid field: decimal, all of it, not (id_t)-1; 1 ok, 0 not */
static int id_scan(const char *s, unsigned *id)
{
	unsigned long long u;
	size_t n = strlen(s);

	if (!n || scan_ulong(s, n, &u) != n || u >= (unsigned)-1)
		return 0;
	*id = (unsigned)u;
	return 1;
}

/* what a lookup is after and has found so far */
struct lookup {
	const char *user, *group;
	struct sandbox_ids *ids;
	int found;
};

/* pw_line - one /etc/passwd line: name:password:uid:gid:gecos:home:shell */
static int pw_line(void *arg, char *l, size_t n)
{
	struct lookup *k = arg;
	char *f[4];
	unsigned uid, gid;

	(void)n;
	/* the name must match first: another account's broken line is not ours to judge */
	if (fields(l, f, 4) < 4 || strcmp(f[0], k->user))
		return 1;
	if (!id_scan(f[2], &uid) || !id_scan(f[3], &gid)) {
		errno = EINVAL;
		return -1;
	}
	k->ids->uid = (uid_t)uid;
	k->ids->gid = (gid_t)gid;
	k->found = 1;
	return 0;	/* the first entry of a name wins, as in the C library */
}

/* gr_add - add gid to the supplementary groups once; 1 ok, -1 too many */
static int gr_add(struct sandbox_ids *ids, gid_t gid)
{
	size_t i;

	for (i = 0; i < ids->ngroups; i++)
		if (ids->groups[i] == gid)
			return 1;
	if (ids->ngroups >= SANDBOX_GROUPS_MAX) {
		errno = E2BIG;
		return -1;
	}
	ids->groups[ids->ngroups++] = gid;
	return 1;
}

/* gr_name_line - one /etc/group line, looking for the gid of k->group */
static int gr_name_line(void *arg, char *l, size_t n)
{
	struct lookup *k = arg;
	char *f[3];
	unsigned gid;

	(void)n;
	if (fields(l, f, 3) < 3 || strcmp(f[0], k->group))
		return 1;
	if (!id_scan(f[2], &gid)) {
		errno = EINVAL;
		return -1;
	}
	k->ids->gid = (gid_t)gid;
	k->found = 1;
	return 0;
}

/* gr_member_line - one /etc/group line: name:password:gid:member,member,...
 * adds the group when k->user is a member */
static int gr_member_line(void *arg, char *l, size_t n)
{
	struct lookup *k = arg;
	size_t ul = strlen(k->user);
	char *f[4], *m;
	unsigned gid;

	(void)n;
	if (fields(l, f, 4) < 4)
		return 1;
	for (m = f[3]; *m; ) {
		char *end = strchr(m, ',');
		size_t ml = end ? (size_t)(end - m) : strlen(m);
		if (ml == ul && !memcmp(m, k->user, ul)) {
			if (!id_scan(f[2], &gid)) {
				errno = EINVAL;
				return -1;
			}
			return gr_add(k->ids, (gid_t)gid);
		}
		m += ml + (end != 0);
	}
	return 1;
}

/* group_scan - the gid of k->group into k->ids->gid; 1 found, -1 error (ENOENT: no such group) */
static int group_scan(const char *groupfile, struct lookup *k)
{
	k->found = 0;
	if (db_scan(groupfile, gr_name_line, k) != 1)
		return -1;
	if (!k->found) {
		errno = ENOENT;
		return -1;
	}
	return 1;
}

int sandbox_ids_from(const char *passwd, const char *groupfile, const char *user,
    const char *group, struct sandbox_ids *ids)
{
	struct lookup k;

	k.user = user;
	k.group = group;
	k.ids = ids;
	k.found = 0;
	ids->ngroups = 0;
	if (db_scan(passwd, pw_line, &k) != 1)
		return -1;
	if (!k.found) {
		errno = ENOENT;
		return -1;
	}
	if (group && group_scan(groupfile, &k) != 1)
		return -1;
	/* as initgroups(3): the primary group, then every group naming the user */
	if (gr_add(ids, ids->gid) != 1 || db_scan(groupfile, gr_member_line, &k) != 1)
		return -1;
	return 1;
}

int sandbox_gid_from(const char *groupfile, const char *group, gid_t *gid)
{
	struct sandbox_ids ids;
	struct lookup k;

	k.user = 0;
	k.group = group;
	k.ids = &ids;
	if (group_scan(groupfile, &k) != 1)
		return -1;
	*gid = ids.gid;
	return 1;
}

int sandbox_gid(const char *group, gid_t *gid)
{
	return sandbox_gid_from(SANDBOX_GROUP, group, gid);
}

int sandbox_ids(const char *user, const char *group, struct sandbox_ids *ids)
{
	return sandbox_ids_from(SANDBOX_PASSWD, SANDBOX_GROUP, user, group, ids);
}
