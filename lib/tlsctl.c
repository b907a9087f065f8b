/*
 * tlsctl.c - the server's side of kurier-tlsd's control descriptor, and
 * passing one descriptor with one byte over a unix socket (see tlsctl.h).
 * runs as:  kurier-smtpd and the login session processes (kurierd, in
 *           their sandboxes: recvmsg, sendmsg, dup2, ioctl FIONREAD)
 * trusts:   kurier-tlsd, which holds the other end; nothing else
 * exit:     never; callers decide
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tlsctl.h"

int tlsctl_pending(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) == -1)
		return -1;
	return n > 0;
}

int tlsctl_recv(int sock, char *c, int *fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} u;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t r;
	int got = 0, bad = 0;

	*fd = -1;
	memset(&mh, 0, sizeof mh);
	iov.iov_base = c;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.space;
	mh.msg_controllen = sizeof u.space;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r == -1 && errno == EINTR);
	if (r <= 0)
		return r == 0 ? 0 : -1;
	/* room for two descriptors, so that a second one is seen and refused
	 * rather than cut off unnoticed */
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t i, n;
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int d;
			memcpy(&d, CMSG_DATA(cm) + i * sizeof(int), sizeof d);
			if (!got++)
				*fd = d;
			else {
				close(d);
				bad = 1;
			}
		}
	}
	if (bad || (mh.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = EBADMSG;
		return -1;
	}
	return 1;
}

int tlsctl_sendfds(int sock, char c, const int *fds, size_t n)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(TLSCTL_FDS_MAX * sizeof(int))];
	} u;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t r;

	if (n > TLSCTL_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&u, 0, sizeof u);
	memset(&mh, 0, sizeof mh);
	iov.iov_base = &c;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (n) {
		mh.msg_control = u.space;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	}
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	return r == 1 ? 1 : -1;
}

int tlsctl_send(int sock, char c, int fd)
{
	return tlsctl_sendfds(sock, c, &fd, 1);
}

int tlsctl_start(int ctl)
{
	char c = 'S';
	int fd;
	ssize_t r;

	do
		r = write(ctl, &c, 1);
	while (r == -1 && errno == EINTR);
	if (r != 1 || tlsctl_recv(ctl, &c, &fd) != 1)
		return 0;
	if (c != 'Y' || fd < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* the raw client socket closes here (in this process); dup2 leaves
	 * close-on-exec off on 0 and 1, so a server run later inherits them */
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1) {
		close(fd);
		return 0;
	}
	close(fd);
	return 1;
}
