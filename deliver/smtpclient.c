/*
 * smtpclient.c - the byte-moving half of the SMTP client; see smtpclient.h.
 * runs as:  kurierr, inside kurier-remote and kurier-rspawn's children
 * trusts:   nothing the server sends: lines are bounded (REPLY_LINE_MAX),
 *           replies are bounded in lines, every read and write has a
 *           deadline, and TLS certificates are checked when asked to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "smtpclient.h"

/* buf ops see only a descriptor; one connection is live per process */
static struct smtp *live;

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* waitfd - poll fd for ev until the deadline; 1 ready, 0 timeout, -1 error */
static int waitfd(int fd, short ev, long long deadline)
{
	for (;;) {
		struct pollfd p = { fd, ev, 0 };
		long long left = deadline - now_ms();
		int r;
		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* tls_wait - after SSL_ERROR_WANT_*, wait for the socket; 1 go on, -1 stop */
static int tls_wait(struct smtp *c, int sslerr)
{
	int r;

	if (sslerr == SSL_ERROR_WANT_READ)
		r = waitfd(c->fd, POLLIN, c->deadline);
	else if (sslerr == SSL_ERROR_WANT_WRITE)
		r = waitfd(c->fd, POLLOUT, c->deadline);
	else {
		errno = EPROTO;
		return -1;
	}
	if (r == 0)
		errno = ETIMEDOUT;
	return r == 1 ? 1 : -1;
}

/* op_read - buf read op: read or SSL_read with the deadline */
static ssize_t op_read(int fd, void *x, size_t n)
{
	struct smtp *c = live;

	if (c->ssl) {
		for (;;) {
			int r = SSL_read(c->ssl, x, n > 65536 ? 65536 : (int)n);
			int e;
			if (r > 0)
				return r;
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e == SSL_ERROR_SYSCALL && r == 0 && ERR_peek_error() == 0)
				return 0;
			if (tls_wait(c, e) < 0)
				return -1;
		}
	}
	for (;;) {
		int r = waitfd(fd, POLLIN, c->deadline);
		ssize_t got;
		if (r == 0)
			errno = ETIMEDOUT;
		if (r != 1)
			return -1;
		got = read(fd, x, n);
		if (got >= 0 || (errno != EINTR && errno != EAGAIN))
			return got;
	}
}

/* op_write - buf write op: write or SSL_write with the deadline */
static ssize_t op_write(int fd, void *x, size_t n)
{
	struct smtp *c = live;

	if (c->ssl) {
		for (;;) {
			int r = SSL_write(c->ssl, x, n > 65536 ? 65536 : (int)n);
			if (r > 0)
				return r;
			if (tls_wait(c, SSL_get_error(c->ssl, r)) < 0)
				return -1;
		}
	}
	for (;;) {
		int r = waitfd(fd, POLLOUT, c->deadline);
		ssize_t put;
		if (r == 0)
			errno = ETIMEDOUT;
		if (r != 1)
			return -1;
		put = send(fd, x, n, MSG_NOSIGNAL);
		if (put >= 0 || (errno != EINTR && errno != EAGAIN))
			return put;
	}
}

/* fail - set c->err to what: errno text; -1 */
static int fail(struct smtp *c, const char *what, int e)
{
	c->err.len = 0;
	(void)str_cats(&c->err, what);
	if (e) {
		(void)str_cats(&c->err, ": ");
		(void)str_cats(&c->err, e == ETIMEDOUT ? "timed out" : strerror(e));
	}
	return -1;
}

int smtp_connect(struct smtp *c, const struct addr *a, unsigned port, int timeout)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, e;
	socklen_t el = sizeof e;

	memset(&ss, 0, sizeof ss);
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		memcpy(&s6->sin6_addr, a->a, 16);
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		memcpy(&s4->sin_addr, a->a, 4);
		sl = sizeof *s4;
	}
	c->fd = -1;
	c->ssl = 0;
	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return fail(c, "cannot make a socket", errno);
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
		if (errno != EINPROGRESS) {
			e = errno;
			close(fd);
			return fail(c, "connect failed", e);
		}
		e = waitfd(fd, POLLOUT, now_ms() + (long long)timeout * 1000);
		if (e != 1) {
			close(fd);
			return fail(c, "connect failed", e == 0 ? ETIMEDOUT : errno);
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1 || e) {
			close(fd);
			return fail(c, "connect failed", e ? e : errno);
		}
	}
	c->fd = fd;
	live = c;
	buf_init(&c->in, op_read, fd, c->inspace, sizeof c->inspace);
	buf_init(&c->out, op_write, fd, c->outspace, sizeof c->outspace);
	c->line.max = REPLY_LINE_MAX + 2;
	c->timeout = timeout;
	return 1;
}

int smtp_reply(struct smtp *c, struct reply *r, struct ehlo *e, int timeout)
{
	live = c;
	c->deadline = now_ms() + (long long)timeout * 1000;
	reply_start(r);
	for (;;) {
		int got;
		c->line.len = 0;
		got = buf_getline(&c->in, &c->line, '\n');
		if (got < 0 && errno == E2BIG)
			return fail(c, "reply line too long", 0);
		if (got < 0)
			return fail(c, "cannot read the reply", errno);
		if (got == 0)
			return fail(c, c->line.len ? "connection closed inside a reply line"
						   : "connection closed", 0);
		c->line.len--;		/* the LF */
		got = reply_line(r, c->line.s, c->line.len);
		if (got < 0) {
			c->err.len = 0;
			(void)str_cats(&c->err, "malformed reply: ");
			(void)str_cat(&c->err, &r->text);
			return -1;
		}
		if (e && r->lines > 1)
			ehlo_line(e, c->line.s, c->line.len);
		if (got == 1)
			return 1;
	}
}

int smtp_put(struct smtp *c, const char *s, size_t n)
{
	live = c;
	c->deadline = now_ms() + (long long)c->timeout * 1000;
	if (buf_put(&c->out, s, n) < 0)
		return fail(c, "cannot send", errno);
	return 1;
}

int smtp_puts(struct smtp *c, const char *s)
{
	return smtp_put(c, s, strlen(s));
}

int smtp_flush(struct smtp *c, int timeout)
{
	live = c;
	c->deadline = now_ms() + (long long)timeout * 1000;
	if (buf_flush(&c->out) < 0)
		return fail(c, "cannot send", errno);
	return 1;
}

int smtp_pending(struct smtp *c)
{
	struct pollfd p = { c->fd, POLLIN, 0 };

	if (buf_held(&c->in))
		return 1;
	if (c->ssl && SSL_pending(c->ssl))
		return 1;
	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

int smtp_tls(struct smtp *c, SSL_CTX *ctx, const char *name, int verify, int timeout)
{
	int r;
	unsigned char ip[16];
	int literal = name && (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1);

	live = c;
	c->ssl = SSL_new(ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		return fail(c, "cannot set up TLS", ENOMEM);
	if (name && !literal)
		SSL_set_tlsext_host_name(c->ssl, name);
	if (verify) {
		X509_VERIFY_PARAM *p = SSL_get0_param(c->ssl);
		if (literal)
			X509_VERIFY_PARAM_set1_ip_asc(p, name);
		else
			SSL_set1_host(c->ssl, name);
		SSL_set_verify(c->ssl, SSL_VERIFY_PEER, 0);
	} else
		SSL_set_verify(c->ssl, SSL_VERIFY_NONE, 0);
	c->deadline = now_ms() + (long long)timeout * 1000;
	for (;;) {
		int e;
		r = SSL_connect(c->ssl);
		if (r == 1)
			break;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (tls_wait(c, e) < 0)
				return fail(c, "TLS handshake failed", errno);
			continue;
		}
		c->err.len = 0;
		(void)str_cats(&c->err, "TLS handshake failed");
		if (verify && SSL_get_verify_result(c->ssl) != X509_V_OK) {
			(void)str_cats(&c->err, ": certificate: ");
			(void)str_cats(&c->err, X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
		} else {
			unsigned long ee = ERR_peek_last_error();
			if (ee) {
				char t[256];
				ERR_error_string_n(ee, t, sizeof t);
				(void)str_cats(&c->err, ": ");
				(void)reply_sanitize(&c->err, t, strlen(t), c->err.len + sizeof t);
			}
		}
		ERR_clear_error();
		return -1;
	}
	return 1;
}

void smtp_close(struct smtp *c)
{
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = 0;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	str_free(&c->line);
	if (live == c)
		live = 0;
}
