/*
 * test-monitor - unit test for kurier-smtpd's monitor (monitor.c): it
 * runs the queue program named by KURIERQUEUE on the two descriptors it
 * is passed and reports pid and exit code; runs the checkpw chain of
 * KURIER_CHECKPW with type\0user\0secret\0stamp\0 turned into fd 3 data
 * and the KURIER_* variables set; holds /dev/null on fd 0 and 1; refuses
 * the session request (kurier-queue -s) for a queue program not kurier's
 * own; and ends at the first malformed request (table below).  Then the
 * SMTP side of a session (monitor_qs_*) against a monitor and a
 * kurier-queue -s played by this test through the descriptors it is
 * sent: the frames it writes, the verdicts it reads, when it asks for a
 * new kurier-queue and when it waits for one; and the status line parser.
 * runs as:  anyone (the monitor keeps its ids; run as root, the queue
 *           program it starts becomes kurierd).
 * exit:     0; results as TAP lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "auto.h"
#include "monitor.h"
#include "test.h"

/* script - write an executable shell script; 1 ok */
static int script(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return 0;
	fputs(text, f);
	fclose(f);
	return chmod(path, 0755) == 0;
}

/* ended - 1 if the monitor closed its end within a few seconds */
static int ended(int s)
{
	char b[16];
	struct timeval tv = { 5, 0 };

	(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return read(s, b, sizeof b) == 0;
}

/* malformed requests: each must end the monitor */
static const struct { const char *name; const char *req; size_t len; } bad[] = {
	{ "unknown-type", "X", 1 },
	{ "queue-without-fds", "Q", 1 },
	{ "queue-with-text", "Qx", 2 },
	{ "auth-three-fields", "Aplain\0u\0s\0", 11 },
	{ "auth-five-fields", "Aplain\0u\0s\0t\0x\0", 15 },
	{ "auth-no-final-nul", "Aplain\0u\0s\0t", 12 },
	{ "empty-type-alone", "A", 1 },
	{ "session-without-fds", "S", 1 },
	{ "session-with-text", "Sx", 2 },
	{ "wait-without-session", "W", 1 },
	{ "wait-with-text", "Wx", 2 },
};

/* status lines of kurier-queue -s */
static const struct { const char *in; size_t len; int code; const char *name; } st[] = {
	{ "0\n", 2, 0, "status-0" },
	{ "53\n", 3, 53, "status-53" },
	{ "255\n", 4, 255, "status-255" },
	{ "256\n", 4, -1, "status-256-refused" },
	{ "00\n", 3, -1, "status-00-refused" },
	{ "05\n", 3, -1, "status-leading-zero-refused" },
	{ "\n", 1, -1, "status-empty-refused" },
	{ "5", 1, -1, "status-no-lf-refused" },
	{ "5\n\n", 3, -1, "status-two-lfs-refused" },
	{ "-1\n", 3, -1, "status-sign-refused" },
	{ " 5\n", 3, -1, "status-space-refused" },
	{ "1234\n", 5, -1, "status-too-long-refused" },
	{ "5\r\n", 3, -1, "status-cr-refused" },
};

/* fake_take - as the monitor: one request on s; its byte, -1 if none
 * waits; the descriptors it carries into fds[0..1] (-1 if absent) */
static int fake_take(int s, int fds[2])
{
	union { struct cmsghdr h; char space[CMSG_SPACE(2 * sizeof(int))]; } u;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	char b;
	int k = 0;

	fds[0] = fds[1] = -1;
	memset(&mh, 0, sizeof mh);
	iov.iov_base = &b;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.space;
	mh.msg_controllen = sizeof u.space;
	if (recvmsg(s, &mh, MSG_DONTWAIT) != 1)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (; k < 2 && CMSG_LEN(0) + (k + 1) * sizeof(int) <= c->cmsg_len; k++)
				memcpy(&fds[k], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
	return (unsigned char)b;
}

/* drain - everything readable on fd now (nonblocking) into out; its length */
static size_t drain(int fd, char *out, size_t max)
{
	size_t n = 0;
	int fl = fcntl(fd, F_GETFL);
	ssize_t r;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (n < max && (r = read(fd, out + n, max - n)) > 0)
		n += (size_t)r;
	fcntl(fd, F_SETFL, fl);
	return n;
}

/* is_eof - 1 if fd is at end of file (its writer closed, nothing left) */
static int is_eof(int fd)
{
	char b;
	int fl = fcntl(fd, F_GETFL);
	ssize_t r;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	r = read(fd, &b, 1);
	fcntl(fd, F_SETFL, fl);
	return r == 0;
}

/* session_side - the SMTP side of a session, with this test as monitor
 * (sp[1]) and as kurier-queue -s (the descriptors the S requests carry);
 * answers are put in place before the call that reads them */
static void session_side(void)
{
	struct monitor_qs qs = MONITOR_QS_INIT;
	int sp[2], q[2], q2[2], code, r;
	char got[512];
	size_t n;
	pid_t pid;
	static const char env[] = "Fa@b\0Tc@d\0\0";

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1) {
		printf("not ok qs-socketpair\n");
		return;
	}
	/* a new session: one S with the frame pipe's read end and the status pipe's write end */
	r = monitor_qs_open(sp[0], &qs);
	CHECK(r == 1 && qs.fd >= 0 && qs.status >= 0 && qs.pid == 0, "qs-open-asks");
	CHECK(fake_take(sp[1], q) == 'S' && q[0] >= 0 && q[1] >= 0, "qs-open-sends-S-with-two-fds");
	/* message bytes through the buffer's op, the rest and the envelope in the finish */
	CHECK(monitor_qs_write(qs.fd, "hello", 5) == 5, "qs-write");
	(void)!write(sp[1], "p4242", 5);
	(void)!write(q[1], "0\n", 2);
	code = monitor_qs_finish(sp[0], &qs, "ab", 2, env, sizeof env - 1, &pid);
	CHECK(code == 0 && pid == 4242, "qs-finish-0-with-pid");
	n = drain(q[0], got, sizeof got);
	CHECK(n == 28 && !memcmp(got, "M5\nhelloM2\nabE11\nFa@b\0Tc@d\0\0", 28), "qs-frames-exact");
	CHECK(qs.fd >= 0 && fake_take(sp[1], q2) == -1, "qs-session-kept-no-wait");
	/* the next message reuses it: no new request */
	r = monitor_qs_open(sp[0], &qs);
	CHECK(r == 1 && fake_take(sp[1], q2) == -1, "qs-open-reuses-a-silent-queue");
	/* an empty message: the envelope alone */
	(void)!write(q[1], "0\n", 2);
	code = monitor_qs_finish(sp[0], &qs, "", 0, env, sizeof env - 1, &pid);
	n = drain(q[0], got, sizeof got);
	CHECK(code == 0 && pid == 4242 && n == 15 && !memcmp(got, "E11\nFa@b\0Tc@d\0\0", 15),
	    "qs-empty-message-is-one-E-frame");
	/* a failure code ends the session: its input closed, then W */
	(void)!write(q[1], "53\n", 3);
	(void)!write(sp[1], "x53", 3);
	code = monitor_qs_finish(sp[0], &qs, "x", 1, env, sizeof env - 1, &pid);
	CHECK(code == 53, "qs-finish-passes-the-code");
	(void)drain(q[0], got, sizeof got);
	CHECK(is_eof(q[0]), "qs-failure-closes-its-input");
	CHECK(fake_take(sp[1], q2) == 'W' && q2[0] == -1, "qs-failure-waits-for-it");
	CHECK(qs.fd == -1 && qs.status == -1 && qs.pid == 0, "qs-failure-forgets-the-session");
	close(q[0]);
	close(q[1]);

	/* killed between messages: the next open notices, waits, asks anew */
	r = monitor_qs_open(sp[0], &qs);
	CHECK(r == 1 && fake_take(sp[1], q) == 'S', "qs-new-session-after-a-failure");
	(void)!write(sp[1], "p4343", 5);
	(void)!write(q[1], "0\n", 2);
	code = monitor_qs_finish(sp[0], &qs, "a", 1, env, sizeof env - 1, &pid);
	CHECK(code == 0 && pid == 4343, "qs-second-session-queues");
	close(q[1]);	/* it is gone */
	(void)!write(sp[1], "x-1", 3);
	r = monitor_qs_open(sp[0], &qs);
	CHECK(r == 1 && fake_take(sp[1], q2) == 'W' && fake_take(sp[1], q2 + 0) == 'S',
	    "qs-dead-queue-waited-for-and-replaced");
	close(q[0]);
	q[0] = q2[0];
	q[1] = q2[1];

	/* killed inside a message: no status, its exit says why: -1 */
	(void)!write(sp[1], "p4444", 5);
	(void)!write(sp[1], "x-1", 3);
	close(q[1]);
	code = monitor_qs_finish(sp[0], &qs, "a", 1, env, sizeof env - 1, &pid);
	CHECK(code == -1 && pid == 4444, "qs-died-gives-minus-1");
	CHECK(fake_take(sp[1], q2) == 'W', "qs-died-waited-for");
	close(q[0]);

	/* an exit 0 without a status is no verdict */
	r = monitor_qs_open(sp[0], &qs);
	CHECK(r == 1 && fake_take(sp[1], q) == 'S', "qs-third-session");
	(void)!write(sp[1], "p4545", 5);
	(void)!write(sp[1], "x0", 2);
	close(q[1]);
	code = monitor_qs_finish(sp[0], &qs, "a", 1, env, sizeof env - 1, &pid);
	CHECK(code == -1, "qs-exit-0-without-status-is-not-0");
	CHECK(fake_take(sp[1], q2) == 'W', "qs-exit-0-waited-for");
	close(q[0]);

	/* a malformed status line is no verdict either */
	r = monitor_qs_open(sp[0], &qs);
	CHECK(r == 1 && fake_take(sp[1], q) == 'S', "qs-fourth-session");
	(void)!write(sp[1], "p4646", 5);
	(void)!write(sp[1], "x0", 2);
	(void)!write(q[1], "0\n0\n", 4);
	code = monitor_qs_finish(sp[0], &qs, "a", 1, env, sizeof env - 1, &pid);
	CHECK(code == -1 && fake_take(sp[1], q2) == 'W', "qs-two-statuses-for-one-message-refused");
	close(q[0]);
	close(q[1]);

	/* it could not start: -1, no wait */
	r = monitor_qs_open(sp[0], &qs);
	CHECK(r == 1 && fake_take(sp[1], q) == 'S', "qs-fifth-session");
	close(q[0]);
	close(q[1]);
	(void)!write(sp[1], "p-1", 3);
	code = monitor_qs_finish(sp[0], &qs, "a", 1, env, sizeof env - 1, &pid);
	CHECK(code == -1 && pid == -1 && fake_take(sp[1], q2) == -1 && qs.status == -1,
	    "qs-not-started-gives-minus-1-without-W");

	/* the end of the SMTP session: close, wait */
	r = monitor_qs_open(sp[0], &qs);
	CHECK(r == 1 && fake_take(sp[1], q) == 'S', "qs-sixth-session");
	(void)!write(sp[1], "p4747", 5);
	(void)!write(sp[1], "x0", 2);
	code = monitor_qs_close(sp[0], &qs);
	CHECK(code == 0 && is_eof(q[0]) && fake_take(sp[1], q2) == 'W', "qs-close-ends-input-and-waits");
	CHECK(monitor_qs_close(sp[0], &qs) == -1 && fake_take(sp[1], q2) == -1, "qs-close-twice-is-harmless");
	close(q[0]);
	close(q[1]);
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	char dir[] = "/tmp/kurier-test-monitor.XXXXXX", path[PATH_MAX], qpath[PATH_MAX], link0[PATH_MAX];
	int s, p1[2], p2[2], code, ok_all, spare;
	pid_t pid, mon;
	size_t i;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir)) {
		printf("not ok mkdtemp\n");
		return 0;
	}
	chmod(dir, 0755);
	/* the queue stand-in: notes its parent (the monitor), copies fd 0 to
	 * out.msg and fd 1 to out.env, exit 0 */
	snprintf(qpath, sizeof qpath, "%s/queue", dir);
	snprintf(path, sizeof path, "#!/bin/sh\necho $PPID >%s/ppid; cat >%s/out.msg; cat <&1 >%s/out.env; exit 0\n",
	    dir, dir, dir);
	script(qpath, path);
	chmod(dir, 0777);
	/* the checkpw stand-in: the exact fd 3 data and variables, then the next program */
	snprintf(path, sizeof path, "%s/checkpw", dir);
	script(path, "#!/bin/sh\n"
	    "[ \"$(od -An -c <&3 | tr -d ' \\n')\" = 'user\\0pass\\0<1.2@x>\\0' ] || exit 1\n"
	    "[ \"$KURIER_SERVICE\" = smtp ] && [ \"$KURIER_AUTHTYPE\" = plain ] && "
	    "[ \"$KURIER_CHECKPW_VERIFYONLY\" = 1 ] && [ -z \"$KURIER_TLSFD\" ] || exit 2\n"
	    "exec \"$@\"\n");
	setenv("KURIERQUEUE", qpath, 1);
	setenv("KURIER_CHECKPW", path, 1);
	setenv("KURIER_TLSFD", "9", 1);

	/* a descriptor like the client's connection, which the monitor must not keep */
	spare = open("/dev/zero", O_RDONLY);
	if (spare >= 0 && spare < 20) {
		int hi = fcntl(spare, F_DUPFD, 20);
		close(spare);
		spare = hi;
	}
	s = monitor_start(0);
	CHECK(s >= 0, "monitor-starts");
	if (s < 0)
		return 0;

	/* a message through the queue stand-in */
	ok_all = pipe(p1) == 0 && pipe(p2) == 0;
	code = ok_all ? monitor_queue(s, p1[0], p2[0]) : -1;
	CHECK(code == 1, "queue-asked");
	close(p1[0]);
	close(p2[0]);
	(void)!write(p1[1], "Subject: t\n\nbody\n", 17);
	close(p1[1]);
	(void)!write(p2[1], "Fa@b\0Tc@d\0\0", 11);
	close(p2[1]);
	pid = 0;
	code = monitor_queue_wait(s, &pid);
	CHECK(pid > 0, "queue-started");
	CHECK(code == 0, "queue-exit-0");
	{
		char got[64] = "";
		FILE *f;
		snprintf(path, sizeof path, "%s/out.msg", dir);
		f = fopen(path, "r");
		if (f) {
			size_t k = fread(got, 1, sizeof got - 1, f);
			got[k] = 0;
			fclose(f);
		}
		CHECK(!strcmp(got, "Subject: t\n\nbody\n"), "queue-got-message");
	}

	/* the checkpw chain: the right data says 0, anything else not */
	code = monitor_checkpw(s, "plain", "user", 4, "pass", 4, "<1.2@x>");
	CHECK(code == 0, "checkpw-good-0");
	code = monitor_checkpw(s, "plain", "user", 4, "wrong", 5, "<1.2@x>");
	CHECK(code == 1, "checkpw-bad-1");
	code = monitor_checkpw(s, "cram-md5", "user", 4, "pass", 4, "<1.2@x>");
	CHECK(code == 2, "checkpw-sees-authtype");
	code = monitor_checkpw(s, "plain", "us\0er", 5, "pass", 4, "<1.2@x>");
	CHECK(code == -1, "checkpw-nul-in-user-refused");
	/* the monitor (the queue stand-in's parent) holds no client descriptor */
	{
		FILE *f;
		int v = 0;
		snprintf(path, sizeof path, "%s/ppid", dir);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &v) != 1)
				v = 0;
			fclose(f);
		}
		mon = (pid_t)v;
	}
	CHECK(mon > 0 && mon != getpid(), "monitor-is-its-own-process");
	snprintf(path, sizeof path, "/proc/%d/fd/0", (int)mon);
	n = readlink(path, link0, sizeof link0 - 1);
	link0[n > 0 ? n : 0] = 0;
	CHECK(!strcmp(link0, "/dev/null"), "monitor-fd0-is-dev-null");
	snprintf(path, sizeof path, "/proc/%d/fd/1", (int)mon);
	n = readlink(path, link0, sizeof link0 - 1);
	link0[n > 0 ? n : 0] = 0;
	CHECK(!strcmp(link0, "/dev/null"), "monitor-fd1-is-dev-null");
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)mon, spare);
	CHECK(spare >= 20 && access(path, F_OK) == -1 && errno == ENOENT, "monitor-closed-other-fds");
	close(s);

	/* a queue program that cannot run */
	setenv("KURIERQUEUE", "/nonexistent/kurier-queue", 1);
	s = monitor_start(0);
	ok_all = s >= 0 && pipe(p1) == 0 && pipe(p2) == 0;
	code = ok_all ? monitor_queue(s, p1[0], p2[0]) : 0;
	CHECK(code == 1, "queue-missing-still-asked");
	if (ok_all) {
		close(p1[0]); close(p1[1]); close(p2[0]); close(p2[1]);
	}
	pid = 0;
	code = ok_all ? monitor_queue_wait(s, &pid) : 0;
	CHECK(code == -1 && pid == -1, "queue-missing-gives-minus-1");
	if (s >= 0)
		close(s);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char name[80];
		s = monitor_start(0);
		if (s < 0) {
			printf("not ok malformed-%s: no monitor\n", bad[i].name);
			continue;
		}
		(void)!write(s, bad[i].req, bad[i].len);
		snprintf(name, sizeof name, "malformed-%s-ends-monitor", bad[i].name);
		CHECK(ended(s), name);
		close(s);
	}
	/* the session request for a queue program that is not kurier's own:
	 * answered with -1, not run with -s */
	setenv("KURIERQUEUE", qpath, 1);
	s = monitor_start(0);
	if (s >= 0) {
		struct monitor_qs qs = MONITOR_QS_INIT;
		CHECK(!monitor_queue_own(), "foreign-queue-is-not-own");
		code = monitor_qs_open(s, &qs);
		pid = 0;
		if (code == 1)
			code = monitor_qs_finish(s, &qs, "x", 1, "Fa\0Tb\0\0", 7, &pid);
		CHECK(code == -1 && pid == -1, "session-refused-for-a-foreign-queue");
		close(s);
	}
	unsetenv("KURIERQUEUE");
	CHECK(monitor_queue_own(), "no-KURIERQUEUE-is-own");
	{
		char own[PATH_MAX];
		snprintf(own, sizeof own, "%s/bin/kurier-queue", auto_home);
		setenv("KURIERQUEUE", own, 1);
		CHECK(monitor_queue_own(), "KURIERQUEUE-naming-our-own-is-own");
		setenv("KURIERQUEUE", "", 1);
		CHECK(monitor_queue_own(), "empty-KURIERQUEUE-is-own");
	}

	for (i = 0; i < sizeof st / sizeof st[0]; i++) {
		int c = -1;
		if (!monitor_status_scan(st[i].in, st[i].len, &c))
			c = -1;
		CHECK(c == st[i].code, st[i].name);
	}
	session_side();

	while (waitpid(-1, 0, WNOHANG) > 0)
		;
	snprintf(path, sizeof path, "rm -rf %s", dir);
	(void)!system(path);
	return test_done();
}
