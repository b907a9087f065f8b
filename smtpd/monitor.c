/*
 * monitor.c - kurier-smtpd's monitor process (see monitor.h): runs
 * kurier-queue and the checkpw chain for the confined SMTP process; and
 * the SMTP process's side of a kurier-queue session (monitor_qs_*).
 * runs as:  root when kurier-smtpd was started as root (as under
 *           kurier-tlsd), else whoever started it; without
 *           PR_SET_NO_NEW_PRIVS, so that the setuid kurier-queue works.
 *           It runs the checkpw chain with its own ids (root: the
 *           helpers need no setuid bit) and kurier-queue as kurierd.
 * input:    requests on its end of a SOCK_SEQPACKET socketpair:
 *           "Q" with two descriptors (message and envelope pipes), answered
 *           "p<pid>" at once and "x<code>" when kurier-queue exits;
 *           "S" with two descriptors (frame and status pipes): start
 *           "kurier-queue -s" on them, answered "p<pid>" at once; "W":
 *           wait for that kurier-queue -s to exit, answered "x<code>";
 *           "A" type\0user\0secret\0stamp\0, answered "x<code>".
 * trusts:   its environment (root's, from before the SMTP process read a
 *           byte); nothing in a request: a malformed one ends the monitor.
 * exit:     0 when the SMTP process goes away (after waiting for its
 *           kurier-queue -s); 111 (EX_T_TEMP) on a malformed request.
 * Cost: one fork per connection (no exec).  With kurier's own queue
 * program one vfork and one exec of kurier-queue -s per session that
 * carries mail, then per message only the frames, one status line and
 * one poll(2) on the SMTP side; with another queue program (KURIERQUEUE)
 * one vfork and one exec per message, the exec the SMTP process would
 * have made.  The kurierd ids are looked up once, before the fork, not
 * per message.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "auto.h"
#include "exitcode.h"
#include "log.h"
#include "monitor.h"
#include "sandbox.h"
#include "scan.h"
#include "str.h"
#include "tlsctl.h"
#include "../queue/qframe.h"

extern char **environ;

#define MONITOR_ENV_MAX 256	/* environment entries passed to the checkpw chain */

/* the ids kurier-queue runs with when the monitor is root: looked up once
 * per connection by monitor_start's caller, set in each queue child */
static struct sandbox_ids queue_ids;
static int have_queue_ids;
/* the running kurier-queue -s of this session, 0 when there is none */
static pid_t session_pid;

/* spawn - run argv with fd 0, 1 and 3 as given (-1: /dev/null, or none for 3); pid or -1 */
static pid_t spawn(char *const argv[], char *const envp[], int fd0, int fd1, int fd3)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int e;

	if (posix_spawn_file_actions_init(&fa))
		return -1;
	e = fd0 >= 0 ? posix_spawn_file_actions_adddup2(&fa, fd0, 0) :
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!e)
		e = fd1 >= 0 ? posix_spawn_file_actions_adddup2(&fa, fd1, 1) :
		    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!e && fd3 >= 0)
		e = posix_spawn_file_actions_adddup2(&fa, fd3, 3);
	if (!e)
		e = posix_spawn(&pid, argv[0], &fa, 0, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		errno = e;
		return -1;
	}
	return pid;
}

/* spawn_queue - run argv on fd 0 msgfd and fd 1 envfd, as kurierd when
 * root, so the queue records the SMTP user as qmail's does; pid, or -1
 * (errno) when it could not be started, exec included, as posix_spawn */
static pid_t spawn_queue(char *const argv[], int msgfd, int envfd)
{
	int ep[2], e = 0, st;
	ssize_t n;
	pid_t pid;

	/* a close-on-exec pipe: EOF means the exec worked, an int is its errno */
	if (pipe2(ep, O_CLOEXEC) == -1)
		return -1;
	/* vfork: the child borrows this process's memory until its exec, so
	 * no page table is copied per message (a fork and its copy-on-write
	 * faults cost about 0.1 ms more here).  It only changes descriptors
	 * and its own ids (per task on Linux; this process has one thread)
	 * and then execs or writes its errno and _exits. */
	pid = vfork();
	if (pid == 0) {
		/* the child: msgfd and envfd are >= 4 here (fds 0, 1, 3 are taken) */
		close(ep[0]);
		if (dup2(msgfd, 0) == -1 || dup2(envfd, 1) == -1)
			e = errno;
		else if (geteuid() == 0 && (!have_queue_ids || sandbox_setids(&queue_ids) != 1))
			e = errno ? errno : EPERM;
		else {
			execve(argv[0], argv, environ);
			e = errno;
		}
		(void)!write(ep[1], &e, sizeof e);
		_exit(EX_Q_BUG);
	}
	close(ep[1]);
	if (pid == -1) {
		close(ep[0]);
		return -1;
	}
	do
		n = read(ep[0], &e, sizeof e);
	while (n == -1 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof e) {
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		errno = e;
		return -1;
	}
	return pid;
}

/* waitfor - the exit code of pid, or -1 if it died of a signal */
static int waitfor(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* answer - send tag and a signed number to the SMTP process; leaves if it is gone */
static void answer(int s, char tag, long long v)
{
	char b[2 + FMT_ULONG];
	size_t n = 1;

	b[0] = tag;
	if (v < 0) {
		b[n++] = '-';
		v = -v;
	}
	n += fmt_ulong(b + n, (unsigned long long)v);
	if (write(s, b, n) != (ssize_t)n)
		_exit(0);
}

/* queue_prog - the queue program: KURIERQUEUE, or conf-home/bin/kurier-queue
 * built in *path; 0 when out of memory */
static const char *queue_prog(struct str *path)
{
	const char *q = getenv("KURIERQUEUE");

	if (q && *q)
		return q;
	if (!str_copys(path, auto_home) || !str_cats(path, "/bin/kurier-queue") || !str_0(path))
		return 0;
	return path->s;
}

/* monitor_queue_own - 1 if the queue program is kurier's own kurier-queue
 * (KURIERQUEUE unset, empty or naming it), which has the session mode */
int monitor_queue_own(void)
{
	struct str path = STR_INIT, own = STR_INIT;
	const char *q = queue_prog(&path);
	int r = q && str_copys(&own, auto_home) && str_cats(&own, "/bin/kurier-queue") &&
	    str_0(&own) && !strcmp(q, own.s);

	str_free(&path);
	str_free(&own);
	return r;
}

/* run_queue - start kurier-queue on the two pipes and report on it */
static void run_queue(int s, int msgfd, int envfd)
{
	struct str path = STR_INIT;
	const char *q = queue_prog(&path);
	char *argv[2];
	pid_t pid = -1;

	if (q) {
		argv[0] = (char *)q;
		argv[1] = 0;
		pid = spawn_queue(argv, msgfd, envfd);
		if (pid == -1)
			log_warn("cannot run ", q);
	}
	close(msgfd);
	close(envfd);
	str_free(&path);
	answer(s, 'p', pid);
	if (pid != -1)
		answer(s, 'x', waitfor(pid));
}

/* run_session - start kurier-queue -s on the frame and status pipes and
 * answer its pid; it runs until the SMTP process closes the frame pipe */
static void run_session(int s, int framefd, int statusfd)
{
	struct str path = STR_INIT;
	const char *q = queue_prog(&path);
	char *argv[3];
	pid_t pid = -1;

	/* another queue program speaks only qmail-queue's protocol */
	if (q && monitor_queue_own()) {
		argv[0] = (char *)q;
		argv[1] = (char *)"-s";
		argv[2] = 0;
		pid = spawn_queue(argv, framefd, statusfd);
		if (pid == -1)
			log_warn("cannot run ", q);
	} else if (q) {
		log_warnx("no session mode for the queue program ", q);
	}
	close(framefd);
	close(statusfd);
	str_free(&path);
	if (pid > 0)
		session_pid = pid;
	answer(s, 'p', pid);
}

/* run_checkpw - the checkpw chain on fd 3 data type\0user\0secret\0stamp\0 (n bytes) */
static void run_checkpw(int s, char *b, size_t n)
{
	char *argv[MONITOR_ARGS + 2];
	char *envp[MONITOR_ENV_MAX + 4];
	static char svc[] = "KURIER_SERVICE=smtp", vo[] = "KURIER_CHECKPW_VERIFYONLY=1";
	struct str chain = STR_INIT, at = STR_INIT;
	const char *v = getenv("KURIER_CHECKPW");
	size_t i, na = 0, ne = 0, tl = strlen(b);
	int p[2], code = -1;
	pid_t pid;

	if (v && *v) {
		if (!str_copys(&chain, v))
			goto out;
	} else if (!str_copys(&chain, auto_home) || !str_cats(&chain, "/bin/kurier-checkpw ") ||
	    !str_cats(&chain, auto_home) || !str_cats(&chain, "/bin/kurier-checkpw-unix")) {
		goto out;
	}
	if (!str_0(&chain))
		goto out;
	for (i = 0; i < chain.len && na < MONITOR_ARGS; ) {
		while (i < chain.len && chain.s[i] == ' ')
			chain.s[i++] = 0;
		if (i >= chain.len || !chain.s[i])
			break;
		argv[na++] = chain.s + i;
		while (i < chain.len && chain.s[i] && chain.s[i] != ' ')
			i++;
	}
	for (; i < chain.len; i++)
		if (chain.s[i] == ' ')
			chain.s[i] = 0;
	if (!na)
		goto out;
	argv[na++] = (char *)"/bin/true";
	argv[na] = 0;
	if (!str_copys(&at, "KURIER_AUTHTYPE=") || !str_cats(&at, b) || !str_0(&at))
		goto out;
	for (i = 0; environ[i] && ne < MONITOR_ENV_MAX; i++)
		if (strncmp(environ[i], "KURIER_AUTHTYPE=", 16) && strncmp(environ[i], "KURIER_SERVICE=", 15) &&
		    strncmp(environ[i], "KURIER_TLSFD=", 13) &&
		    strncmp(environ[i], "KURIER_CHECKPW_VERIFYONLY=", 26))
			envp[ne++] = environ[i];
	envp[ne++] = svc;
	envp[ne++] = vo;
	envp[ne++] = at.s;
	envp[ne] = 0;
	if (pipe2(p, O_CLOEXEC) == -1)
		goto out;
	pid = spawn(argv, envp, -1, -1, p[0]);
	close(p[0]);
	if (pid == -1)
		log_warn("cannot run ", argv[0]);
	else
		/* at most 512 bytes: below PIPE_BUF, so this never blocks */
		(void)!write(p[1], b + tl + 1, n - tl - 1);
	close(p[1]);
	if (pid != -1)
		code = waitfor(pid);
out:
	str_free(&chain);
	str_free(&at);
	answer(s, 'x', code);
}

/* monitor_loop - serve requests until the SMTP process leaves */
static void monitor_loop(int s) __attribute__((noreturn));
static void monitor_loop(int s)
{
	char b[MONITOR_REQ_MAX + 1];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} cm;

	for (;;) {
		struct iovec iov = { b, MONITOR_REQ_MAX };
		struct msghdr mh;
		struct cmsghdr *c;
		int fds[2] = { -1, -1 }, nfd = 0, nul = 0;
		ssize_t n;
		size_t i;

		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.space;
		mh.msg_controllen = sizeof cm.space;
		n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* the SMTP process is gone, and with it the frame pipe:
			 * its kurier-queue -s sees the end of its input and exits */
			if (session_pid > 0)
				(void)waitfor(session_pid);
			_exit(0);
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (i = 0; i < k; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
					if (nfd < 2)
						fds[nfd++] = fd;
					else
						close(fd);
				}
			}
		}
		b[n] = 0;
		for (i = 0; i < (size_t)n; i++)
			nul += !b[i];
		if (n == 1 && b[0] == 'Q' && nfd == 2 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
			run_queue(s, fds[0], fds[1]);
			continue;
		}
		/* one session queue at a time: the SMTP side waits for one before
		 * it asks for the next */
		if (n == 1 && b[0] == 'S' && nfd == 2 && !session_pid &&
		    !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
			run_session(s, fds[0], fds[1]);
			continue;
		}
		if (n == 1 && b[0] == 'W' && nfd == 0 && session_pid && !(mh.msg_flags & MSG_TRUNC)) {
			pid_t p = session_pid;
			session_pid = 0;
			answer(s, 'x', waitfor(p));
			continue;
		}
		if (n > 1 && b[0] == 'A' && nfd == 0 && nul == 4 && !b[n - 1] && !(mh.msg_flags & MSG_TRUNC)) {
			run_checkpw(s, b + 1, (size_t)n - 1);
			memset(b, 0, sizeof b);	/* it held a password */
			continue;
		}
		diex(EX_T_TEMP, "monitor: malformed request");
	}
}

/* monitor_start - fork the monitor; the SMTP side's socket, or -1 (errno) */
int monitor_start(const struct sandbox_ids *qids)
{
	int sp[2], nul;
	pid_t pid;

	if (qids) {
		queue_ids = *qids;
		have_queue_ids = 1;
	} else if (geteuid() == 0) {
		if (sandbox_ids(auto_user_d, 0, &queue_ids) != 1)
			return -1;
		have_queue_ids = 1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	pid = fork();
	if (pid == -1) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid) {
		close(sp[1]);
		return sp[0];
	}
	/* the monitor: no client descriptor, no control descriptor, nothing
	 * but its socket and stderr.  It keeps root when it has it, as the
	 * POP3 and IMAP login monitors do: it parses nothing but fixed-form
	 * requests, and the checkpw helpers need root to read the shadow
	 * databases without being setuid. */
	nul = open("/dev/null", O_RDWR);
	if (nul == -1 || dup2(nul, 0) == -1 || dup2(nul, 1) == -1 || dup2(sp[1], 3) == -1)
		_exit(EX_T_TEMP);
	/* no program it runs gets its socket (dup2 cleared close-on-exec):
	 * a long-lived kurier-queue -s could otherwise talk to the SMTP side */
	if (fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		_exit(EX_T_TEMP);
	(void)close_range(4, ~0U, 0);
	signal(SIGPIPE, SIG_IGN);
	monitor_loop(3);
}

/* reply - read one answer with tag; its number, or -1 (also when the monitor is gone) */
static long long reply(int mfd, char tag)
{
	char b[2 + FMT_ULONG + 1];
	unsigned long long u;
	ssize_t n;
	int neg;

	do
		n = read(mfd, b, sizeof b - 1);
	while (n == -1 && errno == EINTR);
	if (n < 2 || b[0] != tag)
		return -1;
	neg = b[1] == '-';
	if (scan_ulong(b + 1 + neg, (size_t)n - 1 - neg, &u) != (size_t)n - 1 - neg)
		return -1;
	return neg ? -(long long)u : (long long)u;
}

/* monitor_queue - pass the two pipes, have kurier-queue run on them; 1 sent, -1 not.
 * It does not wait for the answer: the client sends the message while
 * kurier-queue starts, and monitor_queue_wait reads how that went. */
int monitor_queue(int mfd, int msgfd, int envfd)
{
	int fds[2] = { msgfd, envfd };

	return tlsctl_sendfds(mfd, 'Q', fds, 2);
}

/* monitor_queue_wait - the pid (into *pid) and exit code of that
 * kurier-queue; -1 if it could not start, died, or the monitor is gone */
int monitor_queue_wait(int mfd, pid_t *pid)
{
	long long p = reply(mfd, 'p');

	*pid = (pid_t)p;
	if (p <= 0)
		return -1;
	return (int)reply(mfd, 'x');
}

/* ---- the SMTP process's side of a kurier-queue session ---- */

/* writev_all - write every byte of v[0..k) to fd (v is used up); 1 ok, -1 error */
static int writev_all(int fd, struct iovec *v, int k)
{
	while (k) {
		ssize_t w = writev(fd, v, k);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (k && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			k--;
		}
		if (k) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 1;
}

/* frame_add - one frame of type t (at most QFRAME_MAX of *p's *n bytes,
 * its header in head) as two more entries of v at *k; advances *p and *n */
static void frame_add(struct iovec *v, int *k, char *head, char t, const char **p, size_t *n)
{
	size_t c = *n < QFRAME_MAX ? *n : QFRAME_MAX;

	v[*k].iov_base = head;
	v[(*k)++].iov_len = qframe_fmt(head, t, c);
	v[*k].iov_base = (char *)*p;
	v[(*k)++].iov_len = c;
	*p += c;
	*n -= c;
}

/* frames_put - msg[0..mn) as M frames, then env[0..en) as E frames, to fd,
 * the last message frame and the first envelope frame in one write; 1 ok, -1 error */
static int frames_put(int fd, const char *msg, size_t mn, const char *env, size_t en)
{
	char hm[QFRAME_HEAD_MAX], he[QFRAME_HEAD_MAX];

	while (mn || en) {
		struct iovec v[4];
		int k = 0;

		if (mn)
			frame_add(v, &k, hm, 'M', &msg, &mn);
		if (!mn && en)
			frame_add(v, &k, he, 'E', &env, &en);
	if (writev_all(fd, v, k) < 0)
			return -1;
	}
	return 1;
}

/* monitor_qs_write - write x[0..n) to kurier-queue -s on fd as message frames;
 * n, or -1 (errno) */
ssize_t monitor_qs_write(int fd, void *x, size_t n)
{
	return frames_put(fd, x, n, 0, 0) < 0 ? -1 : (ssize_t)n;
}

/* monitor_status_scan - parse one status line "<code>\n" in b[0..n): 1-3
 * digits without a leading zero, at most 255; 1 with *code set, 0 malformed */
int monitor_status_scan(const char *b, size_t n, int *code)
{
	unsigned long long u;

	if (n < 2 || n > MONITOR_STATUS_MAX || b[n - 1] != '\n' || (b[0] == '0' && n > 2))
		return 0;
	if (scan_ulong(b, n - 1, &u) != n - 1 || u > 255)
		return 0;
	*code = (int)u;
	return 1;
}

/* read_status - one status line from kurier-queue -s; its code, or -1 at
 * end of file, on an error or on anything but one well-formed line */
static int read_status(int fd)
{
	char b[MONITOR_STATUS_MAX];
	size_t n = 0;
	int code;

	while (n < sizeof b) {
		ssize_t r = read(fd, b + n, sizeof b - n);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n += (size_t)r;
		if (b[n - 1] == '\n')
			return monitor_status_scan(b, n, &code) ? code : -1;
	}
	return -1;
}

/* monitor_qs_close - end the session: close both pipes (kurier-queue -s sees
 * the end of its input and exits) and wait for it; its exit code, or -1
 * if there was none, it never started, died of a signal, or the monitor
 * is gone */
int monitor_qs_close(int mfd, struct monitor_qs *qs)
{
	int code = -1;

	/* the status pipe marks a session; the frame pipe may be closed already */
	if (qs->status < 0)
		return -1;
	if (qs->fd >= 0)
		close(qs->fd);
	close(qs->status);
	if (!qs->pid)
		qs->pid = (pid_t)reply(mfd, 'p');
	if (qs->pid > 0 && write(mfd, "W", 1) == 1)
		code = (int)reply(mfd, 'x');
	qs->fd = qs->status = -1;
	qs->pid = 0;
	return code;
}

/* monitor_qs_open - make sure a kurier-queue -s runs: keep the one there
 * while it is alive and silent, else ask the monitor for a new one
 * without waiting for it to start; 1 ok, -1 (errno) */
int monitor_qs_open(int mfd, struct monitor_qs *qs)
{
	int fp[2], sp[2], fds[2], r;

	if (qs->status >= 0) {
		/* between messages it says nothing: readable means it has
		 * exited (killed, or its time limit) or misbehaves */
		struct pollfd p = { qs->status, POLLIN, 0 };
		if (qs->fd >= 0 && poll(&p, 1, 0) == 0)
			return 1;
		(void)monitor_qs_close(mfd, qs);
	}
	if (pipe2(fp, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(sp, O_CLOEXEC) == -1) {
		close(fp[0]);
		close(fp[1]);
		return -1;
	}
	fds[0] = fp[0];
	fds[1] = sp[1];
	r = tlsctl_sendfds(mfd, 'S', fds, 2);
	close(fp[0]);
	close(sp[1]);
	if (r != 1) {
		close(fp[1]);
		close(sp[0]);
		return -1;
	}
	qs->fd = fp[1];
	qs->status = sp[0];
	qs->pid = 0;
	return 1;
}

/* monitor_qs_finish - send the rest of the message (rest[0..rn)) and the
 * envelope (env[0..en), with its final NUL) and read the verdict; the
 * queue's code (0 queued: the session goes on; any other ends it), or -1
 * if it could not start, died or gave no verdict.  *pid: its pid, or -1 */
int monitor_qs_finish(int mfd, struct monitor_qs *qs, const char *rest, size_t rn,
    const char *env, size_t en, pid_t *pid)
{
	int code, end, wrote;

	if (qs->status < 0) {
		*pid = -1;
		return -1;
	}
	if (!qs->pid)
		qs->pid = (pid_t)reply(mfd, 'p');
	*pid = qs->pid > 0 ? qs->pid : -1;
	if (qs->pid <= 0) {
		(void)monitor_qs_close(mfd, qs);
		return -1;
	}
	/* after a failed write, the end of its input tells kurier-queue: it
	 * removes the message and answers with its code */
	wrote = frames_put(qs->fd, rest, rn, env, en) == 1;
	if (!wrote) {
		close(qs->fd);
		qs->fd = -1;
	}
	code = read_status(qs->status);
	if (code == 0 && wrote)
		return 0;
	/* kurier-queue ends after any failure; a 0 after a failed write, or
	 * an exit 0 without a status, is no verdict on this message */
	end = monitor_qs_close(mfd, qs);
	if (code > 0)
		return code;
	return end > 0 ? end : -1;
}

/* monitor_checkpw - have the checkpw chain verify user and secret; its exit code, or -1 */
int monitor_checkpw(int mfd, const char *type, const char *user, size_t ulen,
    const char *secret, size_t slen, const char *stamp)
{
	struct str r = STR_INIT;
	int code = -1;

	if (memchr(user, 0, ulen) || memchr(secret, 0, slen))
		return -1;
	if (str_copys(&r, "A") && str_cats(&r, type) && str_0(&r) && str_catb(&r, user, ulen) &&
	    str_0(&r) && str_catb(&r, secret, slen) && str_0(&r) && str_cats(&r, stamp) && str_0(&r) &&
	    r.len <= MONITOR_REQ_MAX && write(mfd, r.s, r.len) == (ssize_t)r.len)
		code = (int)reply(mfd, 'x');
	str_wipe(&r);
	return code;
}
