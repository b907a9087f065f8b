/*
 * kurier-queue - put one message into the queue; a drop-in for qmail-queue.
 * runs as:  kurierq (setuid; the only setuid program in kurier), called by
 *           anyone: kurier-smtpd, sendmail, kurier-inject, qmail-queue clients
 * input:    the message on fd 0, the envelope on fd 1 (F<sender>\0
 *           T<rcpt>\0 ... \0), as qmail-queue(8).  With -s (session
 *           mode, kurier-smtpd's monitor): any number of messages on fd 0,
 *           each as frames (queue/qframe.h), and one status line
 *           "<code>\n" per message on fd 1.
 * trusts:   nothing on fd 0 and fd 1; its compiled-in conf-home, whose
 *           queue/ must be owned by its effective user
 * writes:   queue/pid, queue/mess, queue/intd, queue/todo, and takes
 *           parked files from queue/pool (queue(5))
 * exit:     0 queued (with -s: end of input between messages); 11 address
 *           too long; 31 too many recipients; 51-91 temporary
 *           (lib/exitcode.h, kurier-queue(8)).  With -s the first message
 *           that fails ends the run with its code, after the status line.
 * cost:     one process, no exec, 4 fsyncs (message, envelope, the mess
 *           directory, the todo directory) per message; two renames from
 *           the pool, or two inodes created when it is empty; with -s one
 *           process for all the messages of a session
 *
 * Nothing is acknowledged before it is durable: the exit 0 comes after
 * the message, the envelope and every directory entry they need are
 * fsynced, and the commit is one link into todo/.  Any failure before
 * the commit removes every file this run created.  The writeback of
 * the message starts before the envelope is read and both are fsynced
 * after it, so the disk works while the envelope is handled.
 *
 * The message and envelope files are taken from the pool of parked
 * inodes when it has some (pool_take), and created only when it has
 * none: a rename costs far less than allocating an inode on a
 * filesystem that freed many lately.  A taken file is written and
 * fsynced exactly as a new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "date822.h"
#include "envelope.h"
#include "exitcode.h"
#include "log.h"
#include "qfile.h"
#include "qframe.h"
#include "scan.h"
#include "str.h"

/* qmail-queue's own limit on one run: a client that stalls this long is
 * gone; with -s, on each message and the wait before it */
#define QUEUE_TIMEOUT 86400
/* address space for the whole run; the envelope is streamed, never held,
 * so a few MiB would do; the rest is room for the C library */
#define QUEUE_MEM_MAX (64ULL * 1024 * 1024)
/* copy chunk for the message: large enough that syscalls are few */
#define QUEUE_CHUNK 65536
/* pid file names tried before giving up (a stale name from an old pid) */
#define QUEUE_PID_TRIES 5
/* "mess/" + split + "/" + inode, or "pid/" + pid.time.n: well under this */
#define QUEUE_PATH_MAX 96
/* bytes of pool/ read in one run, with one getdents64: room for the
 * whole pool (QFILE_POOL_MAX names of up to 10 digits, 32 bytes a
 * record) and more; a larger pool is read only in part */
#define QUEUE_POOL_READ 8192
/* names kept from that read: as many records as fit */
#define QUEUE_POOL_SCAN (QUEUE_POOL_READ / 24)
/* parked files tried for one take before creating a file instead: a
 * concurrent run may win each; more tries would only lose more races */
#define QUEUE_POOL_TRIES 8
/* a parked file older than this gets its times set before it is taken,
 * so kurier-clean's sweep and kurier-send's orphan check (36 hours, by
 * mtime) never see a file being written as an old leftover */
#define QUEUE_POOL_FRESH 3600

/* the files this message created, removed again on any failure */
static char pidfn[QUEUE_PATH_MAX], messfn[QUEUE_PATH_MAX];
static char intdfn[QUEUE_PATH_MAX], todofn[QUEUE_PATH_MAX];
static volatile sig_atomic_t made_pid, made_mess, made_intd, made_todo;
/* -s: every failure is also reported as a status line on fd 1 */
static volatile sig_atomic_t session;

/* the message being written: its files, who queues it, and when */
static int messfd = -1, intdfd = -1;
static unsigned long long uid, pid;
static time_t now;
/* the queue's owner and group: what a parked file must belong to */
static uid_t q_euid;
static gid_t q_gid;

/* cleanup - remove every file this message created; async-signal-safe */
static void cleanup(void)
{
	if (made_todo) unlink(todofn);
	if (made_intd) unlink(intdfn);
	if (made_mess) unlink(messfn);
	if (made_pid) unlink(pidfn);
}

/* status - with -s, report code for the current message on fd 1 as
 * "<code>\n"; 1 written (or not in session mode), 0 not; async-signal-safe */
static int status(int code)
{
	char b[FMT_ULONG + 1];
	size_t n;

	if (!session)
		return 1;
	n = fmt_ulong(b, (unsigned long long)code);
	b[n++] = '\n';
	/* at most FMT_ULONG + 1 bytes: below PIPE_BUF, so one write or none */
	return write(1, b, n) == (ssize_t)n;
}

/* fail - clean up, log "fatal: what[: error]", report and exit with code */
static void fail(int code, int e, const char *what, const char *arg) __attribute__((noreturn));
static void fail(int code, int e, const char *what, const char *arg)
{
	cleanup();
	if (arg)
		log_write("fatal", e, what, " ", arg, (const char *)0);
	else
		log_write("fatal", e, what, (const char *)0);
	(void)status(code);
	_exit(code);
}

/* write_fail - the exit for a failed write or fsync of queue data */
static void write_fail(const char *what) __attribute__((noreturn));
static void write_fail(const char *what)
{
	fail(EX_Q_WRITE, errno, "unable to write", what);
}

/* on_alarm - the run took longer than QUEUE_TIMEOUT: clean up, exit 52 */
static void on_alarm(int sig)
{
	static const char msg[] = "kurier-queue: fatal: timeout\n";
	(void)sig;
	cleanup();
	(void)!write(2, msg, sizeof msg - 1);
	(void)status(EX_Q_TIMEOUT);
	_exit(EX_Q_TIMEOUT);
}

/* path_split - "dir/S/ino" into out (S = ino mod conf-split); out */
static char *path_split(char *out, const char *dir, unsigned long long ino)
{
	size_t n = strlen(dir);

	memcpy(out, dir, n);
	out[n++] = '/';
	n += fmt_ulong(out + n, ino % auto_split);
	out[n++] = '/';
	n += fmt_ulong(out + n, ino);
	out[n] = 0;
	return out;
}

/* write_all - write n bytes of x to fd; 1 ok, 0 on error (errno set) */
static int write_all(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = write(fd, x, n);
		if (w < 0 && errno == EINTR) continue;
		if (w < 0) return 0;
		if (w == 0) { errno = EIO; return 0; }
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

/* write_start - start writing fd's dirty pages without waiting
 * (sync_file_range); only a head start for the fsync that follows, which
 * still gives the guarantee, so a failure here is ignored */
static void write_start(int fd)
{
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

/* sync_dir - fsync the directory holding a split file, code on open failure */
static void sync_dir(const char *fn, int code)
{
	char d[QUEUE_PATH_MAX];
	const char *slash = strrchr(fn, '/');
	size_t n = (size_t)(slash - fn);
	int fd;

	memcpy(d, fn, n);
	d[n] = 0;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) fail(code, errno, "unable to open", d);
	if (fsync(fd) == -1) write_fail(d);
	close(fd);
}

/* the pool's names, read once per run (pool_list), taken from in turn;
 * with -s read again for a later message once they are used up */
static unsigned long long pool_names[QUEUE_POOL_SCAN];
static size_t pool_n, pool_start, pool_next;
static int pool_off;
/* messages begun in this run, and how many had begun at the last listing
 * (0: never listed) */
static unsigned long long msgs_begun, pool_listed_at;

/* pool_list - read the names in pool/ into pool_names: one getdents64,
 * no more (a second call only finds the end); a missing or unreadable
 * pool is an empty one */
static void pool_list(void)
{
	static char dents[QUEUE_POOL_READ] __attribute__((aligned(8)));
	ssize_t got, at;
	int fd;

	pool_listed_at = msgs_begun;
	pool_n = pool_start = pool_next = 0;
	fd = open(QFILE_POOL, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) return;
	got = qfile_getdents(fd, dents, sizeof dents);
	close(fd);
	for (at = 0; at < got && pool_n < QUEUE_POOL_SCAN;) {
		const struct qfile_dirent *e = (const struct qfile_dirent *)(dents + at);
		unsigned long long id;
		if (e->reclen == 0) break;
		if (scan_ulongs(e->name, &id)) pool_names[pool_n++] = id;
		at += e->reclen;
	}
	/* concurrent runs start at different names, so they race less */
	if (pool_n) pool_start = (size_t)(pid % pool_n);
}

/*
 * pool_take - rename a parked file from pool/ to dest (for the message,
 * dest 0: to mess/S/INODE, its name then in messfn) and set *made; its
 * descriptor, empty, or -1 when the pool has none to give.
 * The file is opened first and renamed with RENAME_NOREPLACE: of
 * several runs that opened the same parked file only one rename
 * succeeds, the others see ENOENT and try the next name, and none
 * writes before its rename succeeded.  A name is never replaced.
 */
static int pool_take(char *dest, volatile sig_atomic_t *made)
{
	unsigned tries;

	if (pool_off) return -1;
	/* at most one listing per message: an empty pool costs one open */
	if (pool_next >= pool_n && pool_listed_at != msgs_begun) pool_list();
	for (tries = 0; tries < QUEUE_POOL_TRIES && pool_next < pool_n; tries++) {
		char fn[QUEUE_PATH_MAX];
		unsigned long long id = pool_names[(pool_start + pool_next++) % pool_n];
		size_t n = sizeof QFILE_POOL;
		struct stat st;
		char *to = dest;
		int fd;

		memcpy(fn, QFILE_POOL "/", n);
		fn[n + fmt_ulong(fn + n, id)] = 0;
		fd = open(fn, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd == -1) continue;
		/* only what kurier-clean parks: a plain file of ours, 0640,
		 * with no other name (after a crash a file may have both its
		 * pool name and its old one: the pool name is dropped) */
		if (fstat(fd, &st) == -1) {
			close(fd);
			continue;
		}
		if (!S_ISREG(st.st_mode) || st.st_uid != q_euid || st.st_gid != q_gid ||
		    (st.st_mode & 07777) != 0640 || st.st_nlink != 1) {
			if (S_ISREG(st.st_mode) && st.st_nlink > 1) unlink(fn);
			close(fd);
			continue;
		}
		if ((long long)st.st_mtime < (long long)now - QUEUE_POOL_FRESH && futimens(fd, 0) == -1) {
			close(fd);
			continue;
		}
		if (!to) to = path_split(messfn, "mess", (unsigned long long)st.st_ino);
		if (qfile_rename_new(fn, to) == -1) {
			int e = errno;
			close(fd);
			if (e == ENOENT) continue;
			/* no RENAME_NOREPLACE here, or the name is taken: no pool */
			pool_off = 1;
			return -1;
		}
		*made = 1;
		/* a parked file is empty unless a crash lost its truncation */
		if (st.st_size != 0 && ftruncate(fd, 0) == -1) write_fail(to);
		return fd;
	}
	return -1;
}

/* pid_create - create pid/PID.TIME.N exclusively; its descriptor */
static int pid_create(void)
{
	unsigned k;

	for (k = 0; k < QUEUE_PID_TRIES; k++) {
		size_t n = 0;
		int fd;

		memcpy(pidfn, "pid/", 4); n = 4;
		n += fmt_ulong(pidfn + n, pid); pidfn[n++] = '.';
		n += fmt_ulong(pidfn + n, (unsigned long long)now); pidfn[n++] = '.';
		n += fmt_ulong(pidfn + n, k);
		pidfn[n] = 0;
		fd = open(pidfn, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd != -1) {
			made_pid = 1;
			return fd;
		}
		if (errno != EEXIST) break;
	}
	fail(EX_Q_PID, errno, "unable to create", pidfn);
}

/* msg_create - the message file under its id, and the Received line in
 * it (messfd); exits on error */
static void msg_create(void)
{
	char date[DATE822_MAX];
	struct str rcvd = STR_INIT;
	unsigned long long ino;
	struct stat st;

	msgs_begun++;
	messfd = pool_take(0, &made_mess);
	if (messfd == -1) {
		messfd = pid_create();
		if (fstat(messfd, &st) == -1) fail(EX_Q_PID, errno, "unable to stat", pidfn);
		path_split(messfn, "mess", (unsigned long long)st.st_ino);
		if (link(pidfn, messfn) == -1) fail(EX_Q_MESS, errno, "unable to link", messfn);
		made_mess = 1;
		if (unlink(pidfn) == -1) fail(EX_Q_PID, errno, "unable to remove", pidfn);
		made_pid = 0;
	}
	if (fstat(messfd, &st) == -1) fail(EX_Q_MESS, errno, "unable to stat", messfn);
	ino = (unsigned long long)st.st_ino;
	path_split(intdfn, "intd", ino);
	path_split(todofn, "todo", ino);

	if (!str_copys(&rcvd, "Received: (kurier-queue invoked by uid ") ||
	    !str_catu(&rcvd, uid) || !str_cats(&rcvd, "); ") ||
	    !str_catb(&rcvd, date, date822_fmt(date, now)) || !str_append(&rcvd, '\n'))
		fail(EX_Q_NOMEM, errno, "out of memory", 0);
	if (!write_all(messfd, rcvd.s, rcvd.len)) write_fail(messfn);
	str_free(&rcvd);
}

/* copy_message - fd 0 to EOF into the message file; exits on error */
static void copy_message(void)
{
	static char chunk[QUEUE_CHUNK];

	for (;;) {
		ssize_t r = read(0, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) fail(EX_Q_READ, errno, "unable to read the message", 0);
		if (r == 0) break;
		if (!write_all(messfd, chunk, (size_t)r)) write_fail(messfn);
	}
}

/* env_create - the message is complete: start its writeback, create the
 * envelope file (intdfd) and write the u, p and t records that start it */
static void env_create(void)
{
	struct str h = STR_INIT;

	/* start the message's writeback now, so that the disk works while
	 * the envelope is read and written; the fsync in msg_commit waits for it */
	write_start(messfd);
	intdfd = pool_take(intdfn, &made_intd);
	if (intdfd == -1) {
		intdfd = open(intdfn, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (intdfd == -1) fail(EX_Q_INTD, errno, "unable to create", intdfn);
		made_intd = 1;
	}
	if (!str_append(&h, 'u') || !str_catu(&h, uid) || !str_0(&h) ||
	    !str_append(&h, 'p') || !str_catu(&h, pid) || !str_0(&h) ||
	    !str_append(&h, 't') || !str_catu(&h, (unsigned long long)now) || !str_0(&h))
		fail(EX_Q_NOMEM, errno, "out of memory", 0);
	if (!write_all(intdfd, h.s, h.len)) write_fail(intdfn);
	str_free(&h);
}

/* copy_envelope - fd 1's envelope, checked, into the envelope file; exits
 * on error or EOF */
static void copy_envelope(void)
{
	static char chunk[QUEUE_CHUNK];
	struct env_parser p = ENV_PARSER_INIT;

	for (;;) {
		ssize_t r = read(1, chunk, sizeof chunk);
		enum env_result res;
		size_t used;

		if (r < 0 && errno == EINTR) continue;
		/* qmail-queue: EOF before the final NUL aborts without queueing */
		if (r < 0) fail(EX_Q_READ, errno, "unable to read the envelope", 0);
		if (r == 0) fail(EX_Q_READ, -1, "envelope ends before its final NUL", 0);
		res = env_feed(&p, chunk, (size_t)r, &used);
		switch (res) {
		case ENV_MORE:
			if (!write_all(intdfd, chunk, used)) write_fail(intdfn);
			continue;
		case ENV_DONE:
			/* the file holds the records without the final NUL */
			if (!write_all(intdfd, chunk, used - 1)) write_fail(intdfn);
			return;
		case ENV_TOOLONG:
			fail(EX_Q_ADDRLONG, -1, "envelope address too long", 0);
		case ENV_TOOMANY:
			fail(EX_Q_REFUSED, -1, "too many recipients", 0);
		case ENV_FORMAT:
			break;
		}
		fail(EX_Q_ENVELOPE, -1, "envelope format error", 0);
	}
}

/* trigger - wake kurier-send with one byte; nobody listening is fine */
static void trigger(void)
{
	int fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1) return;
	(void)!write(fd, "", 1);
	close(fd);
}

/* msg_commit - make message and envelope durable, commit with the link
 * into todo/, and wake kurier-send; exits on error */
static void msg_commit(void)
{
	write_start(intdfd);
	if (fsync(messfd) == -1) write_fail(messfn);
	if (close(messfd) == -1) write_fail(messfn);
	messfd = -1;
	if (fsync(intdfd) == -1) write_fail(intdfn);
	if (close(intdfd) == -1) write_fail(intdfn);
	intdfd = -1;

	sync_dir(messfn, EX_Q_MESS);
	/* intd/S is not fsynced: the commit is the todo/ name, which points
	 * at the same (fsynced) inode; after the commit nothing reads the
	 * intd/ name (kurier-send reads todo/, and removing an intd/ name
	 * that a crash lost is not an error), and before it a lost intd/
	 * name only loses an unacknowledged envelope */
	if (link(intdfn, todofn) == -1) fail(EX_Q_TODO, errno, "unable to link", todofn);
	made_todo = 1;
	sync_dir(todofn, EX_Q_TODO);
	/* committed and durable: nothing may be removed any more */
	made_todo = made_intd = made_mess = 0;
	alarm(0);
	trigger();
}

/* session_message - with -s: read one message's frames from fd 0 and
 * commit it; 1 committed, 0 at end of input before a message; exits
 * (cleaned up, status written) on any error */
static int session_message(void)
{
	static char in[QUEUE_CHUNK];
	static size_t p, len;
	static struct qframe f = QFRAME_INIT;
	int phase = 0;		/* 0 nothing created, 1 message file, 2 envelope file */

	for (;;) {
		enum qframe_event ev;
		const char *data;
		size_t used, n;

		if (p == len) {
			ssize_t r = read(0, in, sizeof in);
			if (r < 0 && errno == EINTR) continue;
			if (r < 0) fail(EX_Q_READ, errno, "unable to read the message", 0);
			if (r == 0) {
				if (!phase && qframe_idle(&f)) return 0;
				fail(EX_Q_READ, -1, "input ends inside a message", 0);
			}
			p = 0;
			len = (size_t)r;
		}
		ev = qframe_feed(&f, in + p, len - p, &used, &data, &n);
		p += used;
		switch (ev) {
		case QFRAME_MORE:
			continue;
		case QFRAME_MESSAGE:
			if (!phase) {
				now = time(0);
				msg_create();
				phase = 1;
			}
			if (!write_all(messfd, data, n)) write_fail(messfn);
			continue;
		case QFRAME_ENVELOPE:
		case QFRAME_END:
			if (!phase) {
				now = time(0);
				msg_create();
				phase = 1;
			}
			if (phase == 1) {
				env_create();
				phase = 2;
			}
			if (!write_all(intdfd, data, n)) write_fail(intdfn);
			if (ev == QFRAME_ENVELOPE) continue;
			msg_commit();
			return 1;
		case QFRAME_TOOLONG:
			fail(EX_Q_ADDRLONG, -1, "envelope address too long", 0);
		case QFRAME_TOOMANY:
			fail(EX_Q_REFUSED, -1, "too many recipients", 0);
		case QFRAME_FORMAT:
			break;
		}
		fail(EX_Q_ENVELOPE, -1, "frame or envelope format error", 0);
	}
}

/* limit_memory - cap the address space, unless a sanitizer needs it all */
static void limit_memory(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return;
#endif
#endif
	struct rlimit r = { QUEUE_MEM_MAX, QUEUE_MEM_MAX };
	if (setrlimit(RLIMIT_AS, &r) == -1)
		fail(EX_Q_BUG, errno, "unable to set the memory limit", 0);
}

int main(int argc, char **argv)
{
	uid_t euid = geteuid();
	struct stat st;

	uid = getuid();
	pid = getpid();
	now = time(0);
	/* -s only as the one argument; anything else is today's qmail-queue,
	 * which ignores its arguments */
	session = argc == 2 && !strcmp(argv[1], "-s");
	log_prog("kurier-queue");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(QUEUE_TIMEOUT);
	umask(027);

	if (chdir(auto_home) == -1) fail(EX_Q_HOME, errno, "unable to chdir to", auto_home);
	if (chdir("queue") == -1) fail(EX_Q_QUEUEDIR, errno, "unable to chdir to the queue", 0);
	if (stat(".", &st) == -1) fail(EX_Q_QUEUEDIR, errno, "unable to stat the queue", 0);
	/* files must belong to the queue's owner, or kurier-send could not
	 * trust them: refuse to run as anyone else (not installed setuid) */
	if (st.st_uid != euid)
		fail(EX_Q_QUEUEDIR, -1, "the queue is not owned by my effective uid (is kurier-queue setuid?)", 0);
	/* the caller's uid is recorded; from here on it is kurierq only */
	if (setreuid(euid, euid) == -1) fail(EX_Q_BUG, errno, "unable to set the real uid", 0);
	q_euid = euid;
	q_gid = st.st_gid;
	limit_memory();

	if (session) {
		/* one message after another, each with its own time limit,
		 * which also bounds the wait for it */
		for (;;) {
			alarm(QUEUE_TIMEOUT);
			if (!session_message()) _exit(EX_Q_OK);
			/* the caller gone means no more messages: the one just
			 * committed stays queued (as after a one-shot run whose
			 * exit code nobody read) */
			if (!status(EX_Q_OK)) {
				log_write("warning", errno, "unable to write the status", (const char *)0);
				_exit(EX_Q_OK);
			}
		}
	}
	msg_create();
	copy_message();
	env_create();
	copy_envelope();
	msg_commit();
	_exit(EX_Q_OK);
}
