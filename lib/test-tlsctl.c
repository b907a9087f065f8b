/*
 * test-tlsctl - the server's side of kurier-tlsd's control descriptor:
 * a byte with zero, one or two descriptors attached, FIONREAD on a socket
 * with and without waiting bytes, and the whole "S" / "Y"+descriptor
 * exchange against a stand-in kurier-tlsd (a forked child).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "tlsctl.h"

/* send_raw - c with nfd descriptors (each a copy of fd) attached on s; 1 ok */
static int send_raw(int s, char c, int fd, int nfd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} u;
	struct iovec iov = { &c, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	int fds[2] = { fd, fd };

	memset(&u, 0, sizeof u);
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfd) {
		mh.msg_control = u.space;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfd * sizeof(int));
	}
	return sendmsg(s, &mh, 0) == 1;
}

/* same_file - 1 if descriptors a and b are the same socket */
static int same_file(int a, int b)
{
	struct stat x, y;

	return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

static void test_recv(void)
{
	static const struct {
		const char *name;
		int nfd;	/* descriptors attached */
		int close;	/* the sender closes instead of sending */
		int want;	/* tlsctl_recv's return */
		int wantfd;	/* 1: a descriptor comes out */
	} t[] = {
		{ "recv-byte-alone", 0, 0, 1, 0 },
		{ "recv-byte-with-fd", 1, 0, 1, 1 },
		{ "recv-two-fds-refused", 2, 0, -1, 0 },
		{ "recv-end-of-file", 0, 1, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		int sp[2], pp[2], fd = -2, r;
		char c = 0;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, pp) == -1) {
			CHECK(0, t[i].name);
			continue;
		}
		if (t[i].close)
			close(sp[1]);
		else
			(void)send_raw(sp[1], 'Y', pp[0], t[i].nfd);
		r = tlsctl_recv(sp[0], &c, &fd);
		CHECK(r == t[i].want && (t[i].want != 1 || c == 'Y') && (fd >= 0) == t[i].wantfd &&
		    (!t[i].wantfd || (same_file(fd, pp[0]) && (fcntl(fd, F_GETFD) & FD_CLOEXEC))) &&
		    (t[i].want != -1 || errno == EBADMSG), t[i].name);
		if (fd >= 0)
			close(fd);
		close(sp[0]);
		if (!t[i].close)
			close(sp[1]);
		close(pp[0]);
		close(pp[1]);
	}
}

static void test_send_pending(void)
{
	int sp[2], pp[2], fd = -1;
	char c = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, pp) == -1) {
		CHECK(0, "socketpairs");
		return;
	}
	CHECK(tlsctl_pending(sp[0]) == 0, "pending-none");
	CHECK(tlsctl_send(sp[1], 'T', pp[1]) == 1, "send-with-fd");
	CHECK(tlsctl_pending(sp[0]) == 1, "pending-some");
	CHECK(tlsctl_recv(sp[0], &c, &fd) == 1 && c == 'T' && same_file(fd, pp[1]), "send-recv-round-trip");
	CHECK(tlsctl_pending(-1) == -1, "pending-bad-descriptor");
	if (fd >= 0)
		close(fd);
	close(sp[0]);
	close(sp[1]);
	close(pp[0]);
	close(pp[1]);
}

/* start_case - tlsctl_start against a child that reads one byte and
 * answers with reply (and a descriptor when withfd; reply 0: it closes
 * without a word); 1 if the result and
 * fds 0/1 afterwards are as expected */
static int start_case(char reply, int withfd, int want)
{
	int ctl[2], plain[2], save0, save1, r, ok;
	char c, buf[8];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, plain) == -1)
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid == -1)
		return 0;
	if (pid == 0) {
		close(ctl[0]);
		if (read(ctl[1], &c, 1) != 1 || c != 'S')
			_exit(1);
		if (!reply)
			_exit(0);	/* end of file: kurier-tlsd gave up */
		if (withfd)
			(void)send_raw(ctl[1], reply, plain[1], 1);
		else
			(void)!write(ctl[1], &reply, 1);
		_exit(0);
	}
	close(ctl[1]);
	close(plain[1]);
	save0 = dup(0);
	save1 = dup(1);
	r = tlsctl_start(ctl[0]);
	ok = r == want;
	if (want) {
		/* fds 0 and 1 are now the passed socket: a byte written on 1 comes out at plain[0] */
		ok = ok && write(1, "x", 1) == 1 && read(plain[0], buf, 1) == 1 && buf[0] == 'x' &&
		    same_file(0, 1);
	}
	dup2(save0, 0);
	dup2(save1, 1);
	close(save0);
	close(save1);
	close(ctl[0]);
	close(plain[0]);
	waitpid(pid, 0, 0);
	return ok;
}

int main(void)
{
	test_recv();
	test_send_pending();
	CHECK(start_case('Y', 1, 1), "start-yes-with-fd");
	CHECK(start_case('Y', 0, 0), "start-yes-without-fd-fails");
	CHECK(start_case('N', 1, 0), "start-other-byte-fails");
	CHECK(start_case(0, 0, 0), "start-end-of-file-fails");
	return test_done();
}
