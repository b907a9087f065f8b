/*
 * kurier-clean - remove queue files that belong to kurierq, and inject
 * bounces, on kurier-send's request.
 * runs as:  kurierq, started as root by kurier-start (drops itself), with
 *           kurier-send's requests on fd 0 and its replies going out on fd 1
 * trusts:   kurier-send's requests as far as their grammar (a decimal id,
 *           a bounce file name of digits and ".msg"/".warn"); anything
 *           else is fatal
 * requests: "P<id>\0"  settled (kurier-send wrote its state files): unlink
 *                      todo/S/id, park intd/S/id
 *           "M<id>\0"  finished: park mess/S/id
 *           "F<id>\0"  finished in its first attempt, never preprocessed
 *                      into state files: unlink todo/S/id, park intd/S/id,
 *                      then park mess/S/id
 *           "B<name>\0F<sender>\0T<rcpt>\0\0"  queue bounce/<name> through
 *                      kurier-queue with that envelope
 * replies:  "K[qp]\0" done, "Z<why>\0" try later, "D<why>\0" refused for good
 * exit:     0 when kurier-send closes the pipe; 111 on a system failure;
 *           100 on a malformed request
 * cost:     one fork and exec (kurier-queue) per bounce; per finished
 *           message two files parked (open, a lease taken and let go,
 *           fstat, ftruncate, rename each), no fsync
 *
 * Once an hour it also removes what crashed kurier-queue runs left:
 * pid/ files, and intd/ envelopes without a todo/ entry, older than
 * STALE_AGE.
 *
 * Parking (park): a finished message's file and its envelope's inode
 * are emptied and renamed to pool/INODE (queue(5)) for kurier-queue to
 * take again, instead of being unlinked, up to QFILE_POOL_MAX parked
 * files; beyond that, or when anything about the file is unexpected,
 * they are unlinked as before.  A parked file is always emptied before
 * it loses its queue name, so no queue name ever shows old bytes and the
 * pool never holds mail; and nobody else has it open (a write lease), so
 * nobody sees a later message through an old descriptor.
 */
#include <dirent.h>
#include <seccomp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "error.h"
#include "exitcode.h"
#include "log.h"
#include "qfile.h"
#include "sandbox.h"
#include "scan.h"
#include "str.h"

/* queue(5): a kurier-queue run lasts at most 24 hours; leftovers older than this are dead */
#define STALE_AGE (36LL * 3600)
/* seconds between sweeps for leftovers */
#define SWEEP_EVERY 3600
/* the longest request field: an address of kurier-queue's 512 bytes and then some */
#define FIELD_MAX 1024
/* bytes of requests read at once; one request is usually whole in it */
#define READ_CHUNK 4096
/* address space */
#define CLEAN_MEM_MAX (64ULL * 1024 * 1024)
/* files unlinked without a look once the pool was found full: counting
 * it reads the whole directory, too much to do for every file */
#define CLEAN_POOL_RECHECK 64

static struct str f, reply;
/* requests read from kurier-send, a chunk per read(2) rather than a byte */
static char inbuf[READ_CHUNK];
static size_t inpos, inlen;
/* files parked since the pool was last counted, plus that count: an
 * upper bound of what pool/ holds, since kurier-queue only takes */
static unsigned pool_count;
static int pool_counted;
/* files still to unlink before the full pool is counted again */
static unsigned pool_skip;

/* write_all - write n bytes to fd; 1 ok, 0 error */
static int write_all(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = write(fd, x, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) { if (w == 0) errno = EIO; return 0; }
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

/* answer - send reply kind c with text t to kurier-send */
static void answer(char c, const char *t)
{
	str_truncate(&reply, 0);
	if (!str_append(&reply, c) || !str_cats(&reply, t) || !str_0(&reply))
		diex(EX_T_TEMP, "out of memory");
	if (!write_all(1, reply.s, reply.len)) die(EX_T_TEMP, "unable to write to kurier-send");
}

/* field - read one NUL-terminated field from fd 0 into f; 1 ok, 0 at EOF before any byte */
static int field(void)
{
	char c;

	str_truncate(&f, 0);
	for (;;) {
		if (inpos == inlen) {
			ssize_t r = read(0, inbuf, sizeof inbuf);
			if (r < 0 && errno == EINTR) continue;
			if (r < 0) die(EX_T_TEMP, "unable to read from kurier-send");
			if (r == 0) {
				if (!f.len) return 0;
				diex(EX_T_USAGE, "request cut short");
			}
			inpos = 0;
			inlen = (size_t)r;
		}
		c = inbuf[inpos++];
		if (!c) return 1;
		if (f.len >= FIELD_MAX) diex(EX_T_USAGE, "request field too long");
		if (!str_append(&f, c)) diex(EX_T_TEMP, "out of memory");
	}
}

/* gone - unlink path; 1 ok or already gone, 0 error */
static int gone(const char *path)
{
	return unlink(path) == 0 || errno == ENOENT;
}

/* pool_recount - count the files in pool/ into pool_count; 0 when it cannot be read */
static int pool_recount(void)
{
	DIR *d = opendir(QFILE_POOL);
	struct dirent *e;

	if (!d) return 0;
	pool_count = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') pool_count++;
	closedir(d);
	pool_counted = 1;
	return 1;
}

/*
 * park - retire the queue file path: empty it and rename it to
 * pool/INODE while the pool has room, else unlink it; 1 ok or already
 * gone, 0 error (errno).  The order matters for a crash: truncated
 * first, so a file that still has its queue name after a kill holds
 * nothing (and is then swept or removed as any leftover), and a file
 * in the pool is empty.  RENAME_NOREPLACE never replaces a pool name.
 */
static int park(const char *path)
{
	struct str to = STR_INIT;
	struct stat st;
	int fd, ok = 0;

	if (pool_skip) {
		pool_skip--;
		return gone(path);
	}
	if (pool_count >= QFILE_POOL_MAX || !pool_counted) {
		if (!pool_recount()) return gone(path);
		if (pool_count >= QFILE_POOL_MAX) {
			pool_skip = CLEAN_POOL_RECHECK;
			return gone(path);
		}
	}
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) return errno == ENOENT ? 1 : gone(path);
	/*
	 * Only a file nobody else has open may be reused.  A pipe delivery
	 * gets the message file as its standard input, and a program it
	 * left running in the background may still hold it: were the inode
	 * reused, that program would read the next message, someone else's
	 * mail.  The kernel grants a write lease only when no other
	 * descriptor (read or write, in any process) refers to the file, and
	 * while it is held an open(2) by anyone else waits; so the file is
	 * emptied and renamed under the lease, and a file that is still
	 * open, or a kernel without leases, means unlink as before (the
	 * holder keeps the old inode and its old bytes).
	 */
	if (fcntl(fd, F_SETLEASE, F_WRLCK) == -1) {
		close(fd);
		return gone(path);
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	    ftruncate(fd, 0) == 0 && str_copys(&to, QFILE_POOL "/") &&
	    str_catu(&to, (unsigned long long)st.st_ino) && str_0(&to))
		ok = qfile_rename_new(path, to.s) == 0;
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	str_free(&to);
	if (ok) {
		pool_count++;
		return 1;
	}
	return gone(path);
}

/* id_arg - the decimal id after the request letter */
static unsigned long long id_arg(void)
{
	unsigned long long id;

	if (f.len < 2 || !scan_ulongs(f.s + 1, &id)) diex(EX_T_USAGE, "malformed request");
	return id;
}

/* name_ok - 1 if s is digits followed by ".msg" or ".warn" */
static int name_ok(const char *s)
{
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9') i++;
	return i > 0 && (!strcmp(s + i, ".msg") || !strcmp(s + i, ".warn"));
}

/* bounce - queue bounce/NAME through kurier-queue with the envelope that follows */
static void bounce(void)
{
	struct str env = STR_INIT, path = STR_INIT, prog = STR_INIT;
	int fd, pi[2], st;
	pid_t pid;
	char *const argv[] = { (char *)"kurier-queue", 0 };
	char *const envp[] = { 0 };

	if (!name_ok(f.s + 1)) diex(EX_T_USAGE, "malformed bounce name");
	if (!str_cats(&path, "bounce/") || !str_cats(&path, f.s + 1) || !str_0(&path) ||
	    !str_copys(&prog, auto_home) || !str_cats(&prog, "/bin/kurier-queue") || !str_0(&prog))
		diex(EX_T_TEMP, "out of memory");
	if (!field() || f.s[0] != 'F') diex(EX_T_USAGE, "malformed bounce envelope");
	if (!str_cat(&env, &f) || !str_0(&env)) diex(EX_T_TEMP, "out of memory");
	if (!field() || f.s[0] != 'T') diex(EX_T_USAGE, "malformed bounce envelope");
	if (!str_cat(&env, &f) || !str_0(&env)) diex(EX_T_TEMP, "out of memory");
	if (!field() || f.len) diex(EX_T_USAGE, "malformed bounce envelope");
	if (!str_0(&env)) diex(EX_T_TEMP, "out of memory");

	fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) { answer('Z', error_str(errno)); goto out; }
	if (pipe2(pi, O_CLOEXEC) == -1) { answer('Z', error_str(errno)); close(fd); goto out; }
	pid = fork();
	if (pid == -1) { answer('Z', error_str(errno)); close(fd); close(pi[0]); close(pi[1]); goto out; }
	if (pid == 0) {
		if (dup2(fd, 0) == -1 || dup2(pi[0], 1) == -1) _exit(EX_Q_READ);
		execve(prog.s, argv, envp);
		_exit(EX_Q_BUG);
	}
	close(fd);
	close(pi[0]);
	(void)!write_all(pi[1], env.s, env.len);
	close(pi[1]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) { answer('Z', "lost kurier-queue"); goto out; }
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		char n[FMT_ULONG];
		n[fmt_ulong(n, (unsigned long long)pid)] = 0;
		answer('K', n);
	} else {
		char n[FMT_ULONG + 40] = "kurier-queue exit ";
		size_t k = strlen(n);
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		n[k + fmt_ulong(n + k, (unsigned long long)code)] = 0;
		answer(exitcode_queue_permanent(code) ? 'D' : 'Z', n);
	}
out:
	str_free(&env); str_free(&path); str_free(&prog);
}

/* sweep_dir - remove files in dir (split or not) older than STALE_AGE; for
 * intd only those whose todo entry is gone */
static void sweep_dir(const char *dir, int split)
{
	unsigned s, n = split ? auto_split : 1;
	long long cut = (long long)time(0) - STALE_AGE;
	struct str p = STR_INIT, t = STR_INIT;

	for (s = 0; s < n; s++) {
		DIR *d;
		struct dirent *e;
		if (!str_copys(&p, dir) || (split && (!str_append(&p, '/') || !str_catu(&p, s))) || !str_0(&p))
			diex(EX_T_TEMP, "out of memory");
		d = opendir(p.s);
		if (!d) continue;
		while ((e = readdir(d))) {
			struct stat st;
			unsigned long long id;
			if (e->d_name[0] == '.') continue;
			str_truncate(&t, 0);
			if (!str_cats(&t, p.s) || !str_append(&t, '/') || !str_cats(&t, e->d_name) || !str_0(&t))
				diex(EX_T_TEMP, "out of memory");
			if (lstat(t.s, &st) == -1 || (long long)st.st_mtime > cut) continue;
			if (split) {
				struct str todo = STR_INIT;
				int live;
				if (!scan_ulongs(e->d_name, &id) || !qfile_path(&todo, "todo", id)) continue;
				live = access(todo.s, F_OK) == 0;
				str_free(&todo);
				if (live) continue;
			}
			if (unlink(t.s) == 0) log_info("removed stale", t.s);
		}
		closedir(d);
	}
	str_free(&p);
	str_free(&t);
}

/* kurier-queue, which runs under this filter, sets its real uid to its effective one */
static const int queue_extra[] = { SCMP_SYS(setreuid), -1 };

int main(void)
{
	struct sandbox sb = { 0 };
	long long next_sweep;
	struct sigaction sa;

	log_prog("kurier-clean");
	if (chdir(auto_home) == -1 || chdir("queue") == -1) die(EX_T_TEMP, "unable to chdir to the queue");
	if (getuid() == 0) sb.user = auto_user_q;
	sb.allow = SANDBOX_FILES | SANDBOX_SPAWN;
	sb.extra = queue_extra;
	sb.mem = CLEAN_MEM_MAX;
	if (sandbox_enter(&sb) != 1) die(EX_T_TEMP, "unable to enter the sandbox");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, 0);
	/* the lease park() holds for an instant is broken by anyone's
	 * open(2) with SIGIO, which would otherwise end this program */
	sigaction(SIGIO, &sa, 0);
	next_sweep = (long long)time(0);
	for (;;) {
		struct pollfd pf = { 0, POLLIN, 0 };
		long long t = (long long)time(0);
		struct str p = STR_INIT;
		int r;

		if (t >= next_sweep) {
			sweep_dir("pid", 0);
			sweep_dir("intd", 1);
			next_sweep = t + SWEEP_EVERY;
		}
		/* a request already read in part or whole needs no poll */
		r = inpos < inlen ? 1 : poll(&pf, 1, (int)((next_sweep - t) * 1000));
		if (r < 0 && errno != EINTR) die(EX_T_TEMP, "poll failed");
		if (r <= 0) continue;
		if (!field()) return EX_T_OK;
		switch (f.s ? f.s[0] : 0) {
		case 'P':
		case 'F':	/* as P, then as M */
			if (!qfile_path(&p, "todo", id_arg())) diex(EX_T_TEMP, "out of memory");
			if (!gone(p.s)) { answer('Z', error_str(errno)); break; }
			if (!qfile_path(&p, "intd", id_arg())) diex(EX_T_TEMP, "out of memory");
			if (!park(p.s)) { answer('Z', error_str(errno)); break; }
			if (f.s[0] == 'F') {
				if (!qfile_path(&p, "mess", id_arg())) diex(EX_T_TEMP, "out of memory");
				if (!park(p.s)) { answer('Z', error_str(errno)); break; }
			}
			answer('K', "");
			break;
		case 'M':
			if (!qfile_path(&p, "mess", id_arg())) diex(EX_T_TEMP, "out of memory");
			if (!park(p.s)) { answer('Z', error_str(errno)); break; }
			answer('K', "");
			break;
		case 'B':
			bounce();
			break;
		default:
			diex(EX_T_USAGE, "malformed request");
		}
		str_free(&p);
	}
}
