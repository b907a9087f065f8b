/*
 * test-monitor - unit test for kurier-smtpd's monitor (monitor.c): it
 * runs the queue program named by KURIERQUEUE on the two descriptors it
 * is passed and reports pid and exit code; runs the checkpw chain of
 * KURIER_CHECKPW with type\0user\0secret\0stamp\0 turned into fd 3 data
 * and the KURIER_* variables set; holds /dev/null on fd 0 and 1; and ends
 * at the first malformed request (table below).
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
};

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
	while (waitpid(-1, 0, WNOHANG) > 0)
		;
	snprintf(path, sizeof path, "rm -rf %s", dir);
	(void)!system(path);
	return test_done();
}
