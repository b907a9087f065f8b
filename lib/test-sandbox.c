/*
 * test-sandbox - lib/sandbox in forked children: each system-call group
 * allows what it names and nothing more (a forbidden call kills the child
 * with SIGSYS), /proc/PID/status shows the filter, limits hold, and a
 * drop to another user cannot be undone.
 * runs as:  root for the drop cases (skipped otherwise); anyone else
 * exit:     0 all checks passed, 1 otherwise
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stddef.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sandbox.h"
#include "test.h"

extern char **environ;

/* the size of the largest /proc/PID/status we read */
#define STATUS_MAX 8192
/* address-space limit for the memory case, and an allocation beyond it */
#define MEM_LIMIT (256ULL << 20)
#define MEM_TOO_BIG ((size_t)1 << 30)
/* descriptor limit for the limits case */
#define NOFILE_LIMIT 16ULL

/* ASan reserves terabytes of address space, so no RLIMIT_AS under it */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

/* act_base - what every program does under the base set; 0 ok */
static int act_base(void)
{
	struct stat st;
	struct timespec ts;
	char r[16], *p;
	int fd[2];

	p = malloc(4 << 20);	/* large enough for mmap */
	if (!p)
		return 2;
	memset(p, 1, 4 << 20);
	free(p);
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || time(0) == (time_t)-1)
		return 3;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return 4;
	if (fstat(1, &st) != 0)
		return 5;
	(void)isatty(1);
	if (dup2(1, 9) != 9 || close(9) != 0)
		return 6;
	(void)fd;
	if (getpid() <= 0 || getuid() == (uid_t)-1)
		return 7;
	return 0;
}

/* act_socket - make a socket; 0 ok */
static int act_socket(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	return s >= 0 ? 0 : 2;
}

/* act_unix_socket - a local socket fails with EACCES (for nscd lookups); 0 ok */
static int act_unix_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0) == -1 && errno == EACCES ? 0 : 2;
}

/* act_getpwnam - look up a user in the passwd file; 0 ok */
static int act_getpwnam(void)
{
	return getpwnam("root") ? 0 : 2;
}

/* act_open - open a file for reading; 0 ok */
static int act_open(void)
{
	return open("/dev/null", O_RDONLY) >= 0 ? 0 : 2;
}

/* act_open_write - open a file for writing; 0 ok */
static int act_open_write(void)
{
	return open("/dev/null", O_WRONLY) >= 0 ? 0 : 2;
}

/* act_stat - stat a path; 0 ok */
static int act_stat(void)
{
	struct stat st;

	return stat("/", &st) == 0 ? 0 : 2;
}

/* act_fork - fork and reap a child; 0 ok */
static int act_fork(void)
{
	int st;
	pid_t p = fork();

	if (p < 0)
		return 2;
	if (p == 0)
		_exit(0);
	return waitpid(p, &st, 0) == p && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 3;
}

/* act_spawn - posix_spawn /bin/true, which starts under the inherited filter; 0 ok */
static int act_spawn(void)
{
	char *argv[] = { "true", 0 };
	pid_t p;
	int st;

	if (posix_spawn(&p, "/bin/true", 0, 0, argv, environ) != 0)
		return 2;
	if (waitpid(p, &st, 0) != p)
		return 3;
	if (WIFSIGNALED(st))
		return 10 + WTERMSIG(st);
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 4;
}

/* act_setuid - set the uid to itself; 0 ok */
static int act_setuid(void)
{
	return setuid(getuid()) == 0 ? 0 : 2;
}

/* act_inotify - make an inotify instance; 0 ok */
static int act_inotify(void)
{
	return inotify_init1(0) >= 0 ? 0 : 2;
}

/* act_ptrace - a call no group allows */
static int act_ptrace(void)
{
	(void)ptrace(PTRACE_TRACEME, 0, 0, 0);
	return 0;
}

/* act_abort - abort(), which must die by SIGABRT, not SIGSYS */
static int act_abort(void)
{
	abort();
}

/* act_fork_abort - a forked child's abort() dies by SIGABRT; 0 ok */
static int act_fork_abort(void)
{
	int st;
	pid_t p = fork();

	if (p < 0)
		return 2;
	if (p == 0)
		abort();
	if (waitpid(p, &st, 0) != p)
		return 3;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT ? 0 : 4;
}

/* act_kill_parent - signal another process; 0 ok */
static int act_kill_parent(void)
{
	return kill(getppid(), 0) == 0 ? 0 : 2;
}

static const int extra_socket[] = { SCMP_SYS(socket), -1 };

static const struct {
	const char *name;
	unsigned allow;
	const int *extra;
	int (*act)(void);
	int sig;	/* the signal the child must die of, or 0: exit 0 */
} cases[] = {
	{ "base set covers malloc, time, getrandom, fstat, isatty, dup2", 0, 0, act_base, 0 },
	{ "socket without SANDBOX_NET is killed", 0, 0, act_socket, SIGSYS },
	{ "local socket without SANDBOX_NET fails with EACCES", 0, 0, act_unix_socket, 0 },
	{ "getpwnam with SANDBOX_FILES works", SANDBOX_FILES, 0, act_getpwnam, 0 },
	{ "socket with SANDBOX_NET works", SANDBOX_NET, 0, act_socket, 0 },
	{ "socket allowed through extra works", 0, extra_socket, act_socket, 0 },
	{ "open without SANDBOX_FILES is killed", 0, 0, act_open, SIGSYS },
	{ "stat without SANDBOX_FILES is killed", 0, 0, act_stat, SIGSYS },
	{ "open with SANDBOX_FILES works", SANDBOX_FILES, 0, act_open, 0 },
	{ "open for writing with SANDBOX_FILES works", SANDBOX_FILES, 0, act_open_write, 0 },
	{ "stat with SANDBOX_FILES works", SANDBOX_FILES, 0, act_stat, 0 },
	{ "read-only open with SANDBOX_SPAWN works", SANDBOX_SPAWN, 0, act_open, 0 },
	{ "open for writing with SANDBOX_SPAWN alone is killed", SANDBOX_SPAWN, 0, act_open_write, SIGSYS },
	{ "fork without SANDBOX_SPAWN is killed", SANDBOX_FILES, 0, act_fork, SIGSYS },
	{ "fork with SANDBOX_SPAWN works", SANDBOX_SPAWN, 0, act_fork, 0 },
	{ "posix_spawn of /bin/true with SANDBOX_SPAWN works", SANDBOX_SPAWN, 0, act_spawn, 0 },
	{ "kill without SANDBOX_SPAWN is killed", 0, 0, act_kill_parent, SIGSYS },
	{ "setuid without SANDBOX_SETID is killed", SANDBOX_FILES | SANDBOX_SPAWN, 0, act_setuid, SIGSYS },
	{ "setuid with SANDBOX_SETID works", SANDBOX_SETID, 0, act_setuid, 0 },
	{ "inotify without SANDBOX_INOTIFY is killed", SANDBOX_FILES, 0, act_inotify, SIGSYS },
	{ "inotify with SANDBOX_INOTIFY works", SANDBOX_INOTIFY, 0, act_inotify, 0 },
	{ "ptrace with every group is killed", 0x1f, 0, act_ptrace, SIGSYS },
	{ "abort still dies by SIGABRT", 0, 0, act_abort, SIGABRT },
	{ "abort in a forked child dies by SIGABRT", SANDBOX_SPAWN, 0, act_fork_abort, 0 },
};

/* export_prog - sb's filter as sandbox_export writes it, in memory; it (free it), or 0 */
static char *export_prog(const struct sandbox *sb, size_t *len)
{
	char path[] = "/tmp/kurier-test-sandbox-bpf.XXXXXX", *b;
	struct stat st;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	unlink(path);
	b = 0;
	if (sandbox_export(sb, fd) == 1 && fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (b = malloc((size_t)st.st_size)) && pread(fd, b, (size_t)st.st_size, 0) == st.st_size)
		*len = (size_t)st.st_size;
	else {
		free(b);
		b = 0;
	}
	close(fd);
	return b;
}

/* run_case - fork a child that enters the sandbox and acts; its wait status */
static int run_case(unsigned allow, const int *extra, int (*act)(void), int viaprog)
{
	struct sandbox sb;
	char *prog = 0;
	size_t len = 0;
	pid_t p;
	int st;

	memset(&sb, 0, sizeof sb);
	sb.allow = allow;
	sb.extra = extra;
	if (viaprog && !(prog = export_prog(&sb, &len)))
		return -1;
	fflush(stdout);
	p = fork();
	if (p < 0) {
		free(prog);
		return -1;
	}
	if (p == 0) {
		if ((viaprog ? sandbox_enter_prog(&sb, prog, len) : sandbox_enter(&sb)) != 1)
			_exit(100);
		_exit(act());
	}
	free(prog);
	if (waitpid(p, &st, 0) != p)
		return -1;
	return st;
}

/* test_cases - every entry of the table */
static void test_cases(void)
{
	char name[200];
	size_t i;
	int st, good, viaprog;

	/* each case twice: the filter built at sandbox_enter, and the same
	 * filter exported as BPF and loaded by sandbox_enter_prog (the abort
	 * cases show that the pid mark was replaced: tgkill on itself passes) */
	for (viaprog = 0; viaprog < 2; viaprog++)
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			st = run_case(cases[i].allow, cases[i].extra, cases[i].act, viaprog);
			if (cases[i].sig)
				good = st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig;
			else
				good = st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
			snprintf(name, sizeof name, "%s%s (status %d)", viaprog ? "exported BPF: " : "",
			    cases[i].name, st);
			CHECK(good, name);
		}
}

/* child_badprog - sandbox_enter_prog refuses programs that are not what it
 * needs, before loading anything; 0 ok */
static int child_badprog(void)
{
	struct sandbox spawn, plain;
	char *prog;
	size_t len = 0;

	memset(&spawn, 0, sizeof spawn);
	spawn.allow = SANDBOX_SPAWN;
	memset(&plain, 0, sizeof plain);
	/* a SANDBOX_SPAWN filter has no pid mark: wrong for a filter that needs one */
	prog = export_prog(&spawn, &len);
	if (!prog)
		return 2;
	if (sandbox_enter_prog(&plain, prog, len) != -1 || errno != EINVAL)
		return 3;
	if (sandbox_enter_prog(&spawn, prog, len - 1) != -1 || errno != EINVAL)
		return 4;
	if (sandbox_enter_prog(&spawn, prog, 0) != -1 || errno != EINVAL)
		return 5;
	free(prog);
	/* nothing was loaded by the refusals */
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 6;
}

/* status_has - 1 if the status text holds the line */
static int status_has(const char *status, const char *line)
{
	const char *p = strstr(status, line);

	return p && (p == status || p[-1] == '\n');
}

/* test_status - /proc/PID/status of a confined child shows the filter */
static void test_status(void)
{
	char path[64], status[STATUS_MAX], c;
	int go[2], ready[2], fd, st;
	ssize_t n = -1;
	pid_t p;

	if (pipe(go) != 0 || pipe(ready) != 0) {
		CHECK(0, "pipes for the status case");
		return;
	}
	fflush(stdout);
	p = fork();
	if (p == 0) {
		struct sandbox sb;

		close(go[1]);
		close(ready[0]);
		memset(&sb, 0, sizeof sb);
		if (sandbox_enter(&sb) != 1)
			_exit(100);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 3);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) == 1) {
		snprintf(path, sizeof path, "/proc/%ld/status", (long)p);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, status, sizeof status - 1);
			close(fd);
		}
	}
	close(go[1]);
	close(ready[0]);
	waitpid(p, &st, 0);
	if (n < 0)
		n = 0;
	status[n] = 0;
	CHECK(status_has(status, "Seccomp:\t2\n"), "confined child shows Seccomp: 2");
	CHECK(status_has(status, "NoNewPrivs:\t1\n"), "confined child shows NoNewPrivs: 1");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "confined child exits normally after the check");
}

/* child_self_status - in a child: confined with SANDBOX_FILES, its own
 * /proc/self/status shows the filter and no_new_privs; 0 ok */
static int child_self_status(void)
{
	struct sandbox sb;
	char status[STATUS_MAX];
	ssize_t n;
	int fd;

	memset(&sb, 0, sizeof sb);
	sb.allow = SANDBOX_FILES;
	if (sandbox_enter(&sb) != 1)
		return 100;
	fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0)
		return 2;
	n = read(fd, status, sizeof status - 1);
	if (n <= 0)
		return 3;
	status[n] = 0;
	if (!status_has(status, "Seccomp:\t2\n"))
		return 4;
	return status_has(status, "NoNewPrivs:\t1\n") ? 0 : 5;
}

/* child_limits - in a child: limits are set soft and hard, and hold; 0 ok */
static int child_limits(void)
{
	struct sandbox sb;
	struct rlimit r;

	memset(&sb, 0, sizeof sb);
	sb.nofile = NOFILE_LIMIT;
	sb.mem = ASAN ? 0 : MEM_LIMIT;
	sb.nproc = 1000;
	sb.fsize = 1 << 20;
	sb.cpu = 60;
	if (sandbox_enter(&sb) != 1)
		return 100;
	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur != NOFILE_LIMIT || r.rlim_max != NOFILE_LIMIT)
		return 2;
	if (getrlimit(RLIMIT_CPU, &r) != 0 || r.rlim_cur != 60 || r.rlim_max != 60)
		return 3;
	if (dup2(0, (int)NOFILE_LIMIT) != -1 || errno != EBADF)
		return 4;
	if (!ASAN) {
		/* through a volatile, or clang drops a malloc whose result is only tested */
		void *volatile big = malloc(MEM_TOO_BIG);
		if (big)
			return 5;
	}
	return 0;
}

/* the lookup cases: a passwd and a group file, who to look up, and what
 * sandbox_ids_from must find (uid, gid, the groups in order) or fail with */
static const struct idcase {
	const char *name, *passwd, *group, *user, *grname;
	int ok, err;
	unsigned uid, gid;
	size_t ngroups;
	unsigned groups[4];
} idcases[] = {
	{ "ids: user, primary group, member groups in file order",
	  "root:x:0:0::/root:/bin/sh\nkd:x:1001:500::/nonexistent:/bin/false\n",
	  "root:x:0:\nkurier:x:500:\nmail:x:8:kq,kd\nnofiles:x:600:kd\n", "kd", 0,
	  1, 0, 1001, 500, 3, { 500, 8, 600 } },
	{ "ids: a named group replaces the primary one",
	  "kd:x:1001:500::/:/bin/false\n", "kurier:x:500:\nnofiles:x:600:\n", "kd", "nofiles",
	  1, 0, 1001, 600, 1, { 600 } },
	{ "ids: the first passwd entry of a name wins",
	  "kd:x:1001:500::/:/bin/false\nkd:x:0:0::/:/bin/sh\n", "", "kd", 0,
	  1, 0, 1001, 500, 1, { 500 } },
	{ "ids: a member whose name only starts with the user's is not the user",
	  "kd:x:1001:500::/:/bin/false\n", "a:x:7:kdx,xkd\nb:x:9:kd\n", "kd", 0,
	  1, 0, 1001, 500, 2, { 500, 9 } },
	{ "ids: the primary group listed again as a member counts once",
	  "kd:x:1001:500::/:/bin/false\n", "kurier:x:500:kd\n", "kd", 0,
	  1, 0, 1001, 500, 1, { 500 } },
	{ "ids: last lines without a newline are read",
	  "kd:x:1001:500::/:/bin/false", "g:x:77:kd", "kd", 0,
	  1, 0, 1001, 500, 2, { 500, 77 } },
	{ "ids: short and broken lines of other names are skipped",
	  "\n#comment\nzz\nother:x:abc:def::/:\nkd:x:1001:500::/:/bin/false\n",
	  "\nbad\nh:x:zz:other\ng:x:5:kd\n", "kd", 0,
	  1, 0, 1001, 500, 2, { 500, 5 } },
	{ "ids: an unknown user is ENOENT",
	  "kd:x:1001:500::/:/bin/false\n", "", "nobody-here", 0, 0, ENOENT, 0, 0, 0, { 0 } },
	{ "ids: an unknown group is ENOENT",
	  "kd:x:1001:500::/:/bin/false\n", "kurier:x:500:\n", "kd", "nogroup-here", 0, ENOENT, 0, 0, 0, { 0 } },
	{ "ids: a uid that is not a number is EINVAL",
	  "kd:x:10x1:500::/:/bin/false\n", "", "kd", 0, 0, EINVAL, 0, 0, 0, { 0 } },
	{ "ids: a uid of -1 (4294967295) is EINVAL",
	  "kd:x:4294967295:500::/:/bin/false\n", "", "kd", 0, 0, EINVAL, 0, 0, 0, { 0 } },
	{ "ids: an empty gid is EINVAL",
	  "kd:x:1001:::/:/bin/false\n", "", "kd", 0, 0, EINVAL, 0, 0, 0, { 0 } },
	{ "ids: a member group with a bad gid is EINVAL",
	  "kd:x:1001:500::/:/bin/false\n", "g:x:-1:kd\n", "kd", 0, 0, EINVAL, 0, 0, 0, { 0 } },
};

/* write_file - a scratch file with text; 1 ok */
static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t n = strlen(text);
	int ok;

	if (fd < 0)
		return 0;
	ok = write(fd, text, n) == (ssize_t)n;
	return close(fd) == 0 && ok;
}

/* test_ids - the lookup table, then the limits: line length, group count */
static void test_ids(void)
{
	char dir[] = "/tmp/kurier-test-sandbox.XXXXXX", pw[64], gr[64];
	struct sandbox_ids ids;
	size_t i, j;

	if (!mkdtemp(dir)) {
		CHECK(0, "ids: a scratch directory");
		return;
	}
	snprintf(pw, sizeof pw, "%s/passwd", dir);
	snprintf(gr, sizeof gr, "%s/group", dir);
	for (i = 0; i < sizeof idcases / sizeof idcases[0]; i++) {
		const struct idcase *c = &idcases[i];
		int r, good;

		if (!write_file(pw, c->passwd) || !write_file(gr, c->group)) {
			CHECK(0, c->name);
			continue;
		}
		errno = 0;
		r = sandbox_ids_from(pw, gr, c->user, c->grname, &ids);
		if (!c->ok) {
			CHECK(r == -1 && errno == c->err, c->name);
			continue;
		}
		good = r == 1 && ids.uid == c->uid && ids.gid == c->gid && ids.ngroups == c->ngroups;
		for (j = 0; good && j < c->ngroups; j++)
			good = ids.groups[j] == c->groups[j];
		CHECK(good, c->name);
	}

	/* a line as long as the buffer cannot be read whole: an error, never a skip */
	{
		static char big[70000];
		memset(big, 'a', sizeof big - 1);
		memcpy(big, "g:x:5:", 6);
		big[sizeof big - 1] = 0;
		CHECK(write_file(pw, "kd:x:1001:500::/:/bin/false\n") && write_file(gr, big) &&
		    sandbox_ids_from(pw, gr, "kd", 0, &ids) == -1 && errno == EOVERFLOW,
		    "ids: a group line of 70000 bytes is EOVERFLOW");
		/* just under the limit, with the member at its very end, is found */
		memset(big, 'a', sizeof big);
		memcpy(big, "g:x:5:", 6);
		memcpy(big + 60000, ",kd\n", 5);
		CHECK(write_file(gr, big) && sandbox_ids_from(pw, gr, "kd", 0, &ids) == 1 &&
		    ids.ngroups == 2 && ids.groups[1] == 5, "ids: a member at the end of a 60000-byte line is found");
	}
	/* more groups than SANDBOX_GROUPS_MAX: E2BIG, not a silent cut */
	{
		static char many[(SANDBOX_GROUPS_MAX + 1) * 24];
		size_t n = 0;
		for (i = 0; i <= SANDBOX_GROUPS_MAX; i++)
			n += (size_t)snprintf(many + n, sizeof many - n, "g%zu:x:%zu:kd\n", i, 1000 + i);
		CHECK(write_file(gr, many) && sandbox_ids_from(pw, gr, "kd", 0, &ids) == -1 && errno == E2BIG,
		    "ids: more member groups than SANDBOX_GROUPS_MAX is E2BIG");
	}
	CHECK(sandbox_ids_from("/nonexistent/passwd", gr, "kd", 0, &ids) == -1 && errno == ENOENT,
	    "ids: a missing passwd file is an error");
	/* a group alone, as kurier-lspawn looks up nofiles */
	{
		gid_t g = 0;
		CHECK(write_file(gr, "root:x:0:\nnofilesx:x:601:\nnofiles:x:600:kd\n") &&
		    sandbox_gid_from(gr, "nofiles", &g) == 1 && g == 600, "gid: the exact name's gid, not a prefix's");
		errno = 0;
		CHECK(sandbox_gid_from(gr, "nofile", &g) == -1 && errno == ENOENT, "gid: a missing group is ENOENT");
		CHECK(write_file(gr, "nofiles:x:6x0:\n") && sandbox_gid_from(gr, "nofiles", &g) == -1 &&
		    errno == EINVAL, "gid: a bad gid field is EINVAL");
	}
	unlink(pw);
	unlink(gr);
	rmdir(dir);
	/* the real files agree with the C library for root */
	CHECK(sandbox_ids("root", 0, &ids) == 1 && ids.uid == 0 && ids.gid == 0 && ids.ngroups >= 1 &&
	    ids.groups[0] == 0, "ids: root in /etc/passwd is 0:0");
}

/* child_drop - in a child (root): drop to nobody:nogroup and try to get back; 0 ok */
static int child_drop(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[64];
	int n, i;

	if (!pw || !gr)
		return 2;
	if (sandbox_drop("nobody", "nogroup") != 1)
		return 3;
	if (getresuid(&ru, &eu, &su) || ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid)
		return 4;
	if (getresgid(&rg, &eg, &sg) || rg != gr->gr_gid || eg != gr->gr_gid || sg != gr->gr_gid)
		return 5;
	n = getgroups(64, groups);
	if (n < 0)
		return 6;
	for (i = 0; i < n; i++)
		if (groups[i] == 0)
			return 7;
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		return 8;
	if (sandbox_drop("root", 0) != -1 || errno != EPERM)
		return 9;
	return 0;
}

/* child_nouser - sandbox_drop of a user that does not exist fails; 0 ok */
static int child_nouser(void)
{
	if (sandbox_drop("kurier-no-such-user", 0) != -1)
		return 2;
	return getuid() == 0 || sandbox_drop("root", 0) == -1 ? 0 : 3;
}

/* in_child - run f in a child; 1 if it exited 0 */
static int in_child(int (*f)(void))
{
	pid_t p;
	int st;

	fflush(stdout);
	p = fork();
	if (p == 0)
		_exit(f());
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* the most BPF instructions the exported filter may run for one system
 * call: its arch and x32 checks, a binary tree over about 100 numbers
 * (7 levels) and an argument rule; a plain list runs over 100 */
#define TREE_STEPS_MAX 32

/* bpf_steps - run prog on seccomp_data d as the kernel would; the number
 * of instructions it ran, or -1 for an instruction this runner does not
 * know, a jump out of the program or no return */
static long bpf_steps(const struct sock_filter *f, size_t n, const struct seccomp_data *d, unsigned *ret)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	size_t pc = 0;
	long steps = 0;

	while (pc < n) {
		const struct sock_filter *i = &f[pc++];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
		int jump = -1;

		steps++;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k > sizeof *d - 4 || i->k % 4)
				return -1;
			memcpy(&a, (const char *)d + i->k, 4);
			break;
		case BPF_LD | BPF_MEM: if (i->k >= BPF_MEMWORDS) return -1; a = mem[i->k]; break;
		case BPF_LDX | BPF_MEM: if (i->k >= BPF_MEMWORDS) return -1; x = mem[i->k]; break;
		case BPF_ST: if (i->k >= BPF_MEMWORDS) return -1; mem[i->k] = a; break;
		case BPF_STX: if (i->k >= BPF_MEMWORDS) return -1; mem[i->k] = x; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X: a &= src; break;
		case BPF_JMP | BPF_JA: pc += i->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X: jump = a == src; break;
		case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X: jump = a > src; break;
		case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X: jump = a >= src; break;
		case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X: jump = (a & src) != 0; break;
		case BPF_RET | BPF_K: *ret = i->k; return steps;
		case BPF_RET | BPF_A: *ret = a; return steps;
		default: return -1;
		}
		if (jump >= 0)
			pc += jump ? i->jt : i->jf;
	}
	return -1;
}

/* child_tree - the exported filter with every group is a tree: no system
 * call number, allowed or not, runs more than TREE_STEPS_MAX instructions
 * (each load pays for every number, see lib/sandbox-filter.c); and the
 * runner agrees with the kernel on what it allows; 0 ok */
static int child_tree(void)
{
	struct sandbox sb;
	struct seccomp_data d;
	char *prog;
	size_t len = 0;
	long most = 0;
	int nr;

	memset(&sb, 0, sizeof sb);
	sb.allow = 0x1f;
	if (!(prog = export_prog(&sb, &len)))
		return 2;
	for (nr = 0; nr < 512; nr++) {
		unsigned ret = 0;
		long steps;

		memset(&d, 0, sizeof d);
		d.nr = nr;
		d.arch = AUDIT_ARCH_X86_64;
		steps = bpf_steps((const struct sock_filter *)prog, len / sizeof(struct sock_filter), &d, &ret);
		if (steps < 0)
			return 3;
		if (steps > most)
			most = steps;
		/* the runner must see what the kernel sees: read is allowed, ptrace kills */
		if (nr == SCMP_SYS(read) && (ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW)
			return 4;
		if (nr == SCMP_SYS(ptrace) && (ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_KILL_PROCESS)
			return 5;
	}
	free(prog);
	printf("# most instructions for one system call: %ld\n", most);
	fflush(stdout);
	return most <= TREE_STEPS_MAX ? 0 : 6;
}

int main(void)
{
	test_cases();
	test_status();
	test_ids();
	CHECK(in_child(child_self_status), "/proc/self/status of a confined child shows Seccomp 2, NoNewPrivs 1");
	CHECK(in_child(child_limits), "limits are set soft and hard and hold");
	CHECK(in_child(child_nouser), "an unknown user is refused");
	CHECK(in_child(child_badprog), "sandbox_enter_prog refuses a program without the pid mark, or cut short");
	CHECK(in_child(child_tree), "the filter is a tree: no system call runs more than TREE_STEPS_MAX instructions");
	if (geteuid() == 0)
		CHECK(in_child(child_drop), "drop to nobody:nogroup sticks, no root group left");
	else
		printf("ok drop to nobody:nogroup # SKIP not root\n");
	return test_done();
}
