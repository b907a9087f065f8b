/*
 * session.c - the client side of the login programs: buffered I/O with a
 * timeout on every read, settings from the environment, STARTTLS hand-over,
 * SASL response lines and the sandbox (see session.h).
 * runs as:  the session process of kurier-imap-login and
 *           kurier-pop3-login: root until session_confine, then kurierd
 * trusts:   its environment and control/me; nothing the client sends
 * exit:     0 when the client goes, idles too long or TLS fails (all
 *           normal ends of a session); 111 (EX_T_TEMP) on a bad setting
 *           or no memory
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "sandbox.h"
#include "scan.h"
#include "session.h"
#include "tlsctl.h"

struct session session = { .tlsfd = -1, .monfd = -1 };
static char inspace[BUF_SIZE], outspace[BUF_SIZE];

/* safewrite - write to the client; leave quietly if it has gone */
static ssize_t safewrite(int fd, void *x, size_t n)
{
	ssize_t r = buf_unixwrite(fd, x, n);

	if (r <= 0)
		_exit(0);
	return r;
}

/* saferead - flush the replies, then wait for the client at most session.timeout seconds */
static ssize_t saferead(int fd, void *x, size_t n)
{
	struct pollfd p;
	ssize_t r;
	int e;

	(void)buf_flush(&session.out);
	p.fd = fd;
	p.events = POLLIN;
	do
		e = poll(&p, 1, session.timeout * 1000);
	while (e == -1 && errno == EINTR);
	if (e == 0) {
		log_info("timeout before login: ", session.remoteip.s);
		session_bye(session.idle);
	}
	r = buf_unixread(fd, x, n);
	if (r <= 0)
		_exit(0);
	return r;
}

void session_init(const char *idle, const char *nomem, const char *mask)
{
	buf_init(&session.in, saferead, 0, inspace, sizeof inspace);
	buf_init(&session.out, safewrite, 1, outspace, sizeof outspace);
	session.idle = idle;
	session.nomem = nomem;
	session.mask = mask;
}

void session_nomem(void)
{
	(void)buf_puts(&session.out, session.nomem);
	(void)buf_flush(&session.out);
	diex(EX_T_TEMP, "out of memory");
}

void session_say(const char *s)
{
	(void)buf_puts(&session.out, s);
}

void session_bye(const char *s)
{
	session_say(s);
	(void)buf_flush(&session.out);
	_exit(0);
}

void session_sleep(unsigned secs)
{
	struct timespec ts;

	ts.tv_sec = secs;
	ts.tv_nsec = 0;
	(void)buf_flush(&session.out);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void session_sanitize(struct str *o, const char *s, size_t n, size_t max)
{
	size_t i;

	o->len = 0;
	for (i = 0; s && i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!str_append(o, c < 0x21 || c > 0x7e || (session.mask && strchr(session.mask, c)) ? '?' : (char)c))
			session_nomem();
	}
	if (!str_0(o))
		session_nomem();
	o->len--;
}

void session_config(const char *timeoutvar, int def, int max)
{
	struct str path = STR_INIT, line = STR_INIT;
	const char *v, *home;
	unsigned long long u;
	int r;

	session.timeout = def;
	v = getenv(timeoutvar);
	if (v && *v) {
		if (!scan_ulongs(v, &u) || !u || u > (unsigned long long)max) {
			char num[FMT_ULONG];
			num[fmt_ulong(num, (unsigned long long)max)] = 0;
			diex(EX_T_TEMP, timeoutvar, " must be 1 to ", num, " seconds");
		}
		session.timeout = (int)u;
	}
	session.tls = (v = getenv("KURIER_TLS")) && !strcmp(v, "1");
	v = getenv("KURIER_TLSFD");
	if (v && *v) {
		if (!scan_ulongs(v, &u) || u < 3 || u > SESSION_TLSFD_MAX || fcntl((int)u, F_GETFD) == -1)
			diex(EX_T_TEMP, "KURIER_TLSFD is not an open descriptor");
		session.tlsfd = (int)u;
		(void)fcntl(session.tlsfd, F_SETFD, FD_CLOEXEC);
	}
	session.plaintext = (v = getenv("AUTH_PLAINTEXT_OK")) && !strcmp(v, "1");
	v = getenv("TCPREMOTEIP");
	session_sanitize(&session.remoteip, v, v ? strlen(v) : 0, SESSION_IP_MAX);
	if (!session.remoteip.len && !str_copys(&session.remoteip, "unknown"))
		session_nomem();

	home = getenv("KURIER_HOME");
	if (!home || !*home)
		home = auto_home;
	if (!str_copys(&path, home) || !str_cats(&path, "/control/me") || !str_0(&path))
		session_nomem();
	r = control_readline(&line, path.s, "");
	if (r < 0)
		die(EX_T_TEMP, "cannot read control/me");
	if (r == 0) {
		char host[256];
		if (gethostname(host, sizeof host - 1) == -1)
			die(EX_T_TEMP, "cannot get the host name");
		host[sizeof host - 1] = 0;
		if (!str_copys(&line, host))
			session_nomem();
	}
	session_sanitize(&session.me, line.s, line.len, SESSION_ME_MAX);
	str_free(&path);
	str_free(&line);
}

void session_tls_pause(const char *name, const char *verb)
{
	/* SECURITY.md 15: nothing sent before the handshake is answered after
	 * it: none in our buffer, none waiting in the socket.  The client has
	 * not had the go-ahead yet; whatever it sends after this check is read
	 * by the handshake as TLS and fails it. */
	if (buf_held(&session.in) || tlsctl_pending(0) != 0) {
		log_info(name, ": data after ", verb, " from ", session.remoteip.s);
		_exit(0);
	}
}

void session_tls_start(const char *name)
{
	(void)buf_flush(&session.out);
	if (!tlsctl_start(session.tlsfd)) {
		log_info(name, ": handshake failed for ", session.remoteip.s);
		_exit(0);
	}
	session.tls = 1;
	if (session.monfd >= 0) {
		/* the monitor runs the mail server on fds 0/1: it needs the
		 * plaintext end too (loginmon_start checks where it came from) */
		if (tlsctl_send(session.monfd, 'T', 0) != 1) {
			log_warn(name, ": cannot pass the connection to the monitor");
			_exit(0);
		}
	}
}

int session_authline(struct str *line, size_t max)
{
	size_t was = line->max;
	int r;

	line->len = 0;
	line->max = max;
	r = buf_getline(&session.in, line, '\n');
	line->max = was;
	if (r == 0 || (r < 0 && errno != E2BIG))
		_exit(0);
	if (r < 0)
		return -1;
	line->len--;
	if (line->len && line->s[line->len - 1] == '\r')
		line->len--;
	if (line->len == 1 && line->s[0] == '*')
		return 0;
	return 1;
}

void session_confine(unsigned long long mem, unsigned long long nofile, const char *fail)
{
	struct sandbox sb;
	static const int extra[] = { SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), -1 };

	memset(&sb, 0, sizeof sb);
	sb.user = geteuid() == 0 ? auto_user_d : 0;
	/* read, write, poll, sleep and dup2 are in the base set; recvmsg
	 * takes kurier-tlsd's plaintext descriptor after STARTTLS and
	 * sendmsg passes it on to the monitor */
	sb.allow = 0;
	sb.extra = extra;
	sb.mem = mem;	/* lib/sandbox leaves it under ASan */
	sb.nofile = nofile;
	if (sandbox_enter(&sb) != 1)
		session_bye(fail);
}
