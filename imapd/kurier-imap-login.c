/*
 * kurier-imap-login - the IMAP not-authenticated state (RFC 3501 §3.1):
 * the greeting with CAPABILITY, CAPABILITY, NOOP, LOGOUT, ID (RFC 2971),
 * STARTTLS (RFC 3501 §6.2.1), LOGIN, AUTHENTICATE PLAIN and CRAM-MD5
 * with SASL-IR (RFC 4959); then the checkpw chain named on its command
 * line, which execs kurier-imapd as the user.
 *
 *   kurier-imap-login [checkpw-helper... kurier-imapd [maildir]]
 *
 * runs as:  two processes.  The session process speaks IMAP and runs as
 *           kurierd (if started as root) in its sandbox; it holds no
 *           secret.  The monitor keeps the ids it was started with (root
 *           under tcpserver, so that the helper can become the user),
 *           never reads the client, and only runs the chain for a
 *           request the session process sends it on a pipe:
 *           "type\0user\0secret\0stamp\0tag\0count\0pending-bytes".
 * input:    the client on fd 0/1 (from tcpserver or kurier-tlsd), log
 *           lines on fd 2; KURIER_TLSFD and KURIER_TLS from kurier-tlsd;
 *           AUTH_PLAINTEXT_OK=1 allows LOGIN and AUTHENTICATE PLAIN
 *           without TLS; KURIER_IMAP_TIMEOUT_LOGIN; KURIER_HOME.
 * trusts:   its environment and command line; nothing the client sends;
 *           the monitor trusts nothing the session process sends.
 * exit:     0 when the session ends (LOGOUT, disconnect, timeout, too many
 *           errors, or the session of kurier-imapd ended); 111 (EX_T_TEMP)
 *           when it cannot start: no memory, bad configuration, the
 *           sandbox failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "buf.h"
#include "cmdread.h"
#include "control.h"
#include "exitcode.h"
#include "imap.h"
#include "imapparse.h"
#include "log.h"
#include "../pop3d/pop3parse.h"
#include "sandbox.h"
#include "scan.h"
#include "str.h"

extern char **environ;

#define REQ_MAX (16 + IMAP_CHECKPW_MAX + IMAP_TAG_MAX + 1)	/* type, fd 3 data, the tag */
#define ENV_MAX 256			/* environment entries passed to the chain */
#define ME_MAX 200			/* host name bytes in the CRAM-MD5 challenge */
#define PENDING_MAX BUF_SIZE		/* commands sent ahead of a login reply: what our buffer holds */
#define PENDING_FD 4			/* where kurier-imapd finds them (KURIER_IMAP_PENDING) */
#define STARTED_FD 5			/* where kurier-imapd says it took over (KURIER_IMAP_STARTED) */
#define NFIELDS 6			/* fields of a monitor request before the pending bytes */

static struct buf in, out;
static char inspace[BUF_SIZE], outspace[BUF_SIZE];
static int timeout = IMAP_TIMEOUT_LOGIN;
static struct str cmd, line, stamp, me, remoteip;
static int tls, tlsfd = -1, plaintext, errors, fails;
static int reqfd = -1, ansfd = -1;	/* the session's ends of the monitor pipes */

/* die_nomem - say so and leave */
static void die_nomem(void) __attribute__((noreturn));
static void die_nomem(void)
{
	(void)buf_puts(&out, "* BYE [UNAVAILABLE] out of memory\r\n");
	(void)buf_flush(&out);
	diex(EX_T_TEMP, "out of memory");
}

/* safewrite - write to the client; leave quietly if it has gone */
static ssize_t safewrite(int fd, void *x, size_t n)
{
	ssize_t r = buf_unixwrite(fd, x, n);

	if (r <= 0)
		_exit(0);
	return r;
}

/* say - queue text for the client */
static void say(const char *s)
{
	(void)buf_puts(&out, s);
}

/* bye - last words, then leave */
static void bye(const char *s) __attribute__((noreturn));
static void bye(const char *s)
{
	say(s);
	(void)buf_flush(&out);
	_exit(0);
}

/* saferead - flush replies, then wait for the client at most timeout seconds */
static ssize_t saferead(int fd, void *x, size_t n)
{
	struct pollfd p;
	ssize_t r;
	int e;

	(void)buf_flush(&out);
	p.fd = fd;
	p.events = POLLIN;
	do
		e = poll(&p, 1, timeout * 1000);
	while (e == -1 && errno == EINTR);
	if (e == 0) {
		log_info("timeout before login: ", remoteip.s);
		bye("* BYE autologout: idle too long\r\n");
	}
	r = buf_unixread(fd, x, n);
	if (r <= 0)
		_exit(0);
	return r;
}

/* tagged - "tag status text" for the client */
static void tagged(const char *tag, const char *status, const char *text)
{
	say(tag && *tag ? tag : "*");
	say(" ");
	say(status);
	say(" ");
	say(text);
	say("\r\n");
}

/* bad - answer BAD text and count a bad command; hang up after IMAP_ERRORS_LOGIN */
static void bad(const char *tag, const char *text)
{
	tagged(tag, "BAD", text);
	if (++errors >= IMAP_ERRORS_LOGIN) {
		log_info("too many errors: ", remoteip.s);
		bye("* BYE too many errors, closing connection\r\n");
	}
}

/* sanitize - s with bytes outside 0x21-0x7e as '?', at most max bytes, into o */
static void sanitize(struct str *o, const char *s, size_t n, size_t max)
{
	size_t i;

	o->len = 0;
	for (i = 0; s && i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!str_append(o, c < 0x21 || c > 0x7e || c == '<' || c == '>' || c == '@' || c == '"' || c == '\\' ? '?' : (char)c))
			die_nomem();
	}
	if (!str_0(o))
		die_nomem();
	o->len--;
}

/* config - settings from the environment and control/me, before anything else */
static void config(void)
{
	struct str path = STR_INIT;
	const char *v, *home;
	unsigned long long u;
	int r;

	v = getenv("KURIER_IMAP_TIMEOUT_LOGIN");
	if (v && *v) {
		if (!scan_ulongs(v, &u) || !u || u > IMAP_TIMEOUT_MAX)
			diex(EX_T_TEMP, "KURIER_IMAP_TIMEOUT_LOGIN must be 1 to 3600 seconds");
		timeout = (int)u;
	}
	tls = (v = getenv("KURIER_TLS")) && !strcmp(v, "1");
	v = getenv("KURIER_TLSFD");
	if (v && *v) {
		if (!scan_ulongs(v, &u) || u < 3 || u > 1000 || fcntl((int)u, F_GETFD) == -1)
			diex(EX_T_TEMP, "KURIER_TLSFD is not an open descriptor");
		tlsfd = (int)u;
		(void)fcntl(tlsfd, F_SETFD, FD_CLOEXEC);
	}
	plaintext = (v = getenv("AUTH_PLAINTEXT_OK")) && !strcmp(v, "1");
	v = getenv("TCPREMOTEIP");
	sanitize(&remoteip, v, v ? strlen(v) : 0, 64);
	if (!remoteip.len && !str_copys(&remoteip, "unknown"))
		die_nomem();
	if (!str_0(&remoteip))
		die_nomem();
	remoteip.len--;

	home = getenv("KURIER_HOME");
	if (!home || !*home)
		home = auto_home;
	if (!str_copys(&path, home) || !str_cats(&path, "/control/me") || !str_0(&path))
		die_nomem();
	r = control_readline(&line, path.s, "");
	if (r < 0)
		die(EX_T_TEMP, "cannot read control/me");
	if (r == 0) {
		char host[256];
		if (gethostname(host, sizeof host - 1) == -1)
			die(EX_T_TEMP, "cannot get the host name");
		host[sizeof host - 1] = 0;
		if (!str_copys(&line, host))
			die_nomem();
	}
	sanitize(&me, line.s, line.len, ME_MAX);
	str_free(&path);
	line.len = 0;
}

/* ---- the monitor: the only part that runs the checkpw chain ---- */

/*
 * chain_run - run the chain with fd 3 data and the client on fd 0/1; the
 * tag of the login command in KURIER_IMAP_TAG; the commands the client
 * sent ahead of the login reply wait on fd PENDING_FD for kurier-imapd;
 * the chain's exit code, -1 if it could not run
 */
static int chain_run(char **argv, const char *type, const char *data, size_t len, const char *tag,
    const char *pending, size_t plen, int *started)
{
	char *envp[ENV_MAX + 6];
	struct str at = STR_INIT, tg = STR_INIT;
	static char svc[] = "KURIER_SERVICE=imap", pend[] = "KURIER_IMAP_PENDING=4",
	    sta[] = "KURIER_IMAP_STARTED=5";
	posix_spawn_file_actions_t fa;
	size_t i, ne = 0;
	int p[2], q[2] = { -1, -1 }, sp[2] = { -1, -1 }, e, st;
	pid_t pid;
	char c;

	if (!str_copys(&at, "KURIER_AUTHTYPE=") || !str_cats(&at, type) || !str_0(&at) ||
	    !str_copys(&tg, "KURIER_IMAP_TAG=") || !str_cats(&tg, tag) || !str_0(&tg))
		return -1;
	for (i = 0; environ[i] && ne < ENV_MAX; i++)
		if (strncmp(environ[i], "KURIER_AUTHTYPE=", 16) && strncmp(environ[i], "KURIER_SERVICE=", 15) &&
		    strncmp(environ[i], "KURIER_TLSFD=", 13) && strncmp(environ[i], "KURIER_CHECKPW_VERIFYONLY=", 26) &&
		    strncmp(environ[i], "KURIER_IMAP_PENDING=", 20) && strncmp(environ[i], "KURIER_IMAP_STARTED=", 20) &&
		    strncmp(environ[i], "KURIER_IMAP_TAG=", 16))
			envp[ne++] = environ[i];
	envp[ne++] = svc;
	envp[ne++] = at.s;
	envp[ne++] = tg.s;
	envp[ne++] = sta;
	if (plen)
		envp[ne++] = pend;
	envp[ne] = 0;
	*started = 0;
	if (pipe2(sp, O_CLOEXEC) == -1)
		goto fail0;
	if (pipe2(p, O_CLOEXEC) == -1)
		goto fail1;
	if (plen) {
		/* at most PENDING_MAX bytes: they fit in the pipe, so this never blocks */
		if (pipe2(q, O_CLOEXEC) == -1)
			goto fail2;
		if (write(q[1], pending, plen) != (ssize_t)plen) {
			close(q[0]);
			close(q[1]);
			goto fail2;
		}
		close(q[1]);
	}
	e = posix_spawn_file_actions_init(&fa);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, p[0], 3);
	if (!e && plen)
		e = posix_spawn_file_actions_adddup2(&fa, q[0], PENDING_FD);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, sp[1], STARTED_FD);
	if (!e) {
		e = posix_spawn(&pid, argv[0], &fa, 0, argv, envp);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[0]);
	close(sp[1]);
	if (q[0] >= 0)
		close(q[0]);
	str_free(&at);
	str_free(&tg);
	if (e) {
		close(sp[0]);
		close(p[1]);
		errno = e;
		log_warn("cannot run ", argv[0]);
		return -1;
	}
	/* at most IMAP_CHECKPW_MAX bytes: below PIPE_BUF, so this never blocks */
	(void)!write(p[1], data, len);
	close(p[1]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			close(sp[0]);
			return -1;
		}
	/* kurier-imapd writes one byte there as it starts the session */
	while ((e = (int)read(sp[0], &c, 1)) == -1 && errno == EINTR)
		;
	*started = e == 1;
	close(sp[0]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
fail2:
	close(p[0]);
	close(p[1]);
fail1:
	close(sp[0]);
	close(sp[1]);
fail0:
	str_free(&at);
	str_free(&tg);
	return -1;
}

/* monitor - serve the session process's login requests until it leaves or a session ran */
static void monitor(char **chain, pid_t child, int req, int ans) __attribute__((noreturn));
static void monitor(char **chain, pid_t child, int req, int ans)
{
	static char b[REQ_MAX + FMT_ULONG + PENDING_MAX];
	size_t have, scan, nul, f[NFIELDS], want;
	unsigned long long plen = 0;
	int code, started;

	for (;;) {
		/* one request at a time, so nothing after it is read by mistake */
		have = scan = nul = 0;
		want = 0;
		for (;;) {
			ssize_t r;
			if (want && have >= want)
				break;
			if (have >= sizeof b)
				goto malformed;
			r = read(req, b + have, sizeof b - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				goto done;
			have += (size_t)r;
			for (; nul < NFIELDS && scan < have; scan++)
				if (!b[scan])
					f[nul++] = scan;
			if (nul < NFIELDS) {
				if (have > REQ_MAX + FMT_ULONG)
					goto malformed;
				continue;
			}
			if (!want) {
				if (scan_ulong(b + f[4] + 1, f[5] - f[4] - 1, &plen) != f[5] - f[4] - 1 ||
				    f[5] == f[4] + 1 || plen > PENDING_MAX || f[3] - f[0] > IMAP_CHECKPW_MAX ||
				    f[4] - f[3] - 1 > IMAP_TAG_MAX || f[4] == f[3] + 1)
					goto malformed;
				want = f[5] + 1 + (size_t)plen;
				if (strcmp(b, "login") && strcmp(b, "plain") && strcmp(b, "cram-md5"))
					goto malformed;
			}
		}
		if (have != want)
			goto malformed;
		code = chain_run(chain, b, b + f[0] + 1, f[3] - f[0], b + f[3] + 1, b + f[5] + 1, (size_t)plen, &started);
		memset(b, 0, have);
		if (started || code == 0) {
			/* kurier-imapd ran the session, however it ended: it is over */
			kill(child, SIGKILL);
			goto done;
		}
		if (write(ans, code == EX_PW_BAD || code == EX_PW_MISUSE ? "N" : "T", 1) != 1)
			goto done;
	}
malformed:
	log_warnx("malformed request from the session process: ", remoteip.s);
	kill(child, SIGKILL);
done:
	while (waitpid(child, 0, 0) == -1 && errno == EINTR)
		;
	_exit(0);
}

/* ---- the session process ---- */

/* writeall - write all n bytes of x to fd; 1 ok, -1 error */
static int writeall(int fd, const char *x, size_t n)
{
	while (n) {
		ssize_t w = buf_unixwrite(fd, (void *)x, n);
		if (w <= 0)
			return -1;
		x += w;
		n -= (size_t)w;
	}
	return 1;
}

/* delay - sleep longer after each failed login, up to IMAP_AUTHDELAY_MAX seconds */
static void delay(void)
{
	struct timespec ts;

	ts.tv_sec = fails < IMAP_AUTHDELAY_MAX ? fails : IMAP_AUTHDELAY_MAX;
	ts.tv_nsec = 0;
	(void)buf_flush(&out);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* login - ask the monitor to run the chain; returns only when the login failed */
static void login(const char *tag, const char *type, const char *name, size_t nlen, const char *secret, size_t slen)
{
	struct str req = STR_INIT, n = STR_INIT;
	const char *pending;
	size_t plen;
	char ans;
	ssize_t r;

	if (!nlen || !slen || memchr(name, 0, nlen) || memchr(secret, 0, slen)) {
		tagged(tag, "NO", "[AUTHENTICATIONFAILED] malformed credentials");
		return;
	}
	if (nlen + slen + stamp.len + 3 > IMAP_CHECKPW_MAX) {
		tagged(tag, "NO", "[AUTHENTICATIONFAILED] credentials too long");
		return;
	}
	(void)buf_flush(&out);
	/* commands the client sent ahead go to kurier-imapd; if the login
	 * fails they stay here and are answered in this state */
	pending = buf_peek(&in, &plen);
	if (!str_copys(&req, type) || !str_0(&req) || !str_catb(&req, name, nlen) || !str_0(&req) ||
	    !str_catb(&req, secret, slen) || !str_0(&req) || !str_cat(&req, &stamp) || !str_0(&req) ||
	    !str_cats(&req, tag) || !str_0(&req) ||
	    !str_catu(&req, plen) || !str_0(&req) || !str_catb(&req, pending, plen))
		die_nomem();
	if (writeall(reqfd, req.s, req.len) != 1)
		_exit(0);
	str_wipe(&req);
	do
		r = read(ansfd, &ans, 1);
	while (r == -1 && errno == EINTR);
	if (r != 1)
		_exit(0);	/* the session ran and is over; the monitor is ending us */
	sanitize(&n, name, nlen, 64);
	if (ans == 'N') {
		fails++;
		log_info("login failed: ", remoteip.s, " ", type, " ", n.s);
		delay();
		if (fails >= IMAP_AUTHFAIL_MAX) {
			tagged(tag, "NO", "[AUTHENTICATIONFAILED] authentication failed");
			bye("* BYE too many failed logins\r\n");
		}
		tagged(tag, "NO", "[AUTHENTICATIONFAILED] authentication failed");
	} else {
		log_warnx("checkpw chain failed: ", remoteip.s, " ", type, " ", n.s);
		tagged(tag, "NO", "[UNAVAILABLE] temporary failure, try again later");
	}
	str_free(&n);
}

/* capability - the capability list for now, after "CAPABILITY " or "[CAPABILITY " */
static void capability(void)
{
	say("IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE SPECIAL-USE UNSELECT CHILDREN QUOTA");
	if (tlsfd >= 0 && !tls)
		say(" STARTTLS");
	if (tls || plaintext)
		say(" AUTH=PLAIN");
	else
		say(" LOGINDISABLED");
	say(" AUTH=CRAM-MD5");
}

/* cmd_starttls - STARTTLS (RFC 3501 §6.2.1): hand the connection to kurier-tlsd */
static void cmd_starttls(const struct imap_cmd *c)
{
	char ack;

	if (c->nt) { bad(c->tag, "STARTTLS takes no argument"); return; }
	if (tls) { bad(c->tag, "TLS already active"); return; }
	if (tlsfd < 0) { bad(c->tag, "TLS not available"); return; }
	if (buf_held(&in)) {
		/* SECURITY.md 15: nothing sent before the handshake is answered after it */
		log_info("starttls: data after STARTTLS from ", remoteip.s);
		_exit(0);
	}
	/* "P": kurier-tlsd stops reading the client before our go-ahead */
	if (buf_unixwrite(tlsfd, (char *)"P", 1) != 1)
		_exit(0);
	tagged(c->tag, "OK", "Begin TLS negotiation now");
	(void)buf_flush(&out);
	if (buf_unixwrite(tlsfd, (char *)"S", 1) != 1 || buf_unixread(tlsfd, &ack, 1) != 1 || ack != 'Y') {
		log_info("starttls: handshake failed for ", remoteip.s);
		_exit(0);
	}
	tls = 1;
}

/* authline - one SASL response line into line; 1 ok, 0 cancelled (answered) */
static int authline(const char *tag)
{
	int r;

	line.len = 0;
	line.max = IMAP_AUTHLINE_MAX;
	r = buf_getline(&in, &line, '\n');
	if (r == 0)
		_exit(0);
	if (r < 0) {
		if (errno != E2BIG)
			_exit(0);
		bad(tag, "AUTHENTICATE line too long");
		bye("* BYE closing connection\r\n");
	}
	line.len--;
	if (line.len && line.s[line.len - 1] == '\r')
		line.len--;
	if (line.len == 1 && line.s[0] == '*') {
		bad(tag, "AUTHENTICATE cancelled");
		return 0;
	}
	return 1;
}

/* cmd_authenticate - AUTHENTICATE PLAIN or CRAM-MD5, with SASL-IR (RFC 4959) */
static void cmd_authenticate(const struct imap_cmd *c)
{
	struct str dec = STR_INIT;
	const char *ir, *tag = c->tag;
	size_t irlen, z1, z2, i;
	int hex;

	if (c->nt < 1 || c->nt > 2 || c->t[0].type != IMAP_ATOM || (c->nt == 2 && c->t[1].type != IMAP_ATOM)) {
		bad(tag, "usage: AUTHENTICATE mechanism [initial-response]");
		return;
	}
	ir = c->nt == 2 ? c->t[1].s : 0;
	irlen = c->nt == 2 ? c->t[1].len : 0;
	dec.max = IMAP_AUTHLINE_MAX;
	if (imap_tok_is(&c->t[0], "PLAIN")) {
		if (!tls && !plaintext) { tagged(tag, "NO", "[PRIVACYREQUIRED] PLAIN needs STARTTLS first"); return; }
		if (!ir) {
			say("+ \r\n");
			if (!authline(tag))
				goto done;
			ir = line.s;
			irlen = line.len;
		}
		if (irlen == 1 && ir[0] == '=')
			irlen = 0;
		if (!base64_decode(ir, irlen, &dec)) { bad(tag, "bad base64"); goto done; }
		/* authzid \0 authcid \0 passwd (RFC 4616 §2) */
		z1 = z2 = dec.len;
		for (i = 0; i < dec.len; i++)
			if (!dec.s[i]) { z1 = i; break; }
		for (i = z1 + 1; i < dec.len; i++)
			if (!dec.s[i]) { z2 = i; break; }
		if (z1 >= dec.len || z2 >= dec.len || z2 == z1 + 1 || z2 + 1 == dec.len) {
			bad(tag, "malformed PLAIN response");
			goto done;
		}
		if (z1 && (z1 != z2 - z1 - 1 || memcmp(dec.s, dec.s + z1 + 1, z1))) {
			tagged(tag, "NO", "[AUTHORIZATIONFAILED] authorization identity not allowed");
			goto done;
		}
		login(tag, "plain", dec.s + z1 + 1, z2 - z1 - 1, dec.s + z2 + 1, dec.len - z2 - 1);
	} else if (imap_tok_is(&c->t[0], "CRAM-MD5")) {
		if (ir) { bad(tag, "CRAM-MD5 takes no initial response"); return; }
		if (!base64_encode(stamp.s, stamp.len, &dec) || !str_0(&dec))
			die_nomem();
		say("+ ");
		say(dec.s);
		say("\r\n");
		dec.len = 0;
		if (!authline(tag))
			goto done;
		if (!base64_decode(line.s, line.len, &dec)) { bad(tag, "bad base64"); goto done; }
		/* "user hexdigest" (RFC 2195 §2): the digest is the last 32 hex digits */
		hex = dec.len > 33 && dec.s[dec.len - 33] == ' ';
		for (i = hex ? dec.len - 32 : dec.len; i < dec.len; i++)
			if (!((dec.s[i] >= '0' && dec.s[i] <= '9') || (dec.s[i] >= 'a' && dec.s[i] <= 'f')))
				hex = 0;
		if (!hex) { bad(tag, "malformed CRAM-MD5 response"); goto done; }
		login(tag, "cram-md5", dec.s, dec.len - 33, dec.s + dec.len - 32, 32);
	} else {
		tagged(tag, "NO", "unsupported authentication mechanism");
	}
done:
	if (line.s)
		memset(line.s, 0, line.a);
	line.len = 0;
	line.max = 0;
	str_wipe(&dec);
}

/* cmd_login - LOGIN name password */
static void cmd_login(const struct imap_cmd *c)
{
	if (!tls && !plaintext) {
		tagged(c->tag, "NO", "[PRIVACYREQUIRED] LOGIN needs STARTTLS first");
		return;
	}
	if (c->nt != 2 || !imap_tok_string(&c->t[0]) || !imap_tok_string(&c->t[1])) {
		bad(c->tag, "usage: LOGIN name password");
		return;
	}
	login(c->tag, "login", c->t[0].s, c->t[0].len, c->t[1].s, c->t[1].len);
}

/* badtag - the tag of a command that did not parse, or "*" */
static const char *badtag(const struct imap_cmd *c, struct str *t)
{
	size_t i;

	if (c->tag && c->taglen)
		return c->tag;
	for (i = 0; i < cmd.len && i < IMAP_TAG_MAX && cmd.s[i] > 0x20 && cmd.s[i] < 0x7f &&
	    cmd.s[i] != '"' && cmd.s[i] != '{' && cmd.s[i] != '(' && cmd.s[i] != '+'; i++)
		;
	if (!i || (i < cmd.len && cmd.s[i] != ' '))
		return "*";
	if (!str_copyb(t, cmd.s, i) || !str_0(t))
		die_nomem();
	return t->s;
}

/* session - the not-authenticated state */
static void session(void)
{
	struct imap_cmd c;
	struct str t = STR_INIT;
	const char *err = "";
	int r;

	imap_cmd_init(&c);
	for (;;) {
		r = cmdread(&in, &out, &cmd, IMAP_LITERAL_LOGIN, IMAP_LINE_MAX + 2 * IMAP_LITERAL_LOGIN, &err);
		if (r == CMDREAD_EOF)
			return;
		if (r == CMDREAD_CLOSE) {
			log_info("oversized literal: ", remoteip.s);
			bye("* BYE [TOOBIG] literal too big, closing connection\r\n");
		}
		c.tag = 0;
		c.taglen = 0;
		if (r == CMDREAD_BAD) {
			bad(badtag(&c, &t), err);
			continue;
		}
		r = imap_parse(cmd.s, cmd.len, &c);
		if (r < 0)
			die_nomem();
		if (r == 0) {
			bad(badtag(&c, &t), c.err);
			continue;
		}
		if (!strcmp(c.name, "CAPABILITY")) {
			say("* CAPABILITY ");
			capability();
			say("\r\n");
			tagged(c.tag, "OK", "CAPABILITY completed");
		} else if (!strcmp(c.name, "NOOP")) {
			tagged(c.tag, "OK", "NOOP completed");
		} else if (!strcmp(c.name, "LOGOUT")) {
			say("* BYE logging out\r\n");
			tagged(c.tag, "OK", "LOGOUT completed");
			bye("");
		} else if (!strcmp(c.name, "ID")) {
			say("* ID (\"name\" \"kurier\")\r\n");
			tagged(c.tag, "OK", "ID completed");
		} else if (!strcmp(c.name, "STARTTLS")) {
			cmd_starttls(&c);
		} else if (!strcmp(c.name, "LOGIN")) {
			cmd_login(&c);
			memset(cmd.s, 0, cmd.len);
		} else if (!strcmp(c.name, "AUTHENTICATE")) {
			cmd_authenticate(&c);
			memset(cmd.s, 0, cmd.len);
		} else if (!strcmp(c.name, "SELECT") || !strcmp(c.name, "EXAMINE") || !strcmp(c.name, "LIST") ||
		    !strcmp(c.name, "FETCH") || !strcmp(c.name, "UID") || !strcmp(c.name, "STATUS") ||
		    !strcmp(c.name, "APPEND") || !strcmp(c.name, "CREATE") || !strcmp(c.name, "LSUB")) {
			bad(c.tag, "log in first");
		} else {
			bad(c.tag, "unknown command");
		}
		if (c.arena.s)
			memset(c.arena.s, 0, c.arena.a);
	}
}

/* confine - become kurierd (if root) in the sandbox: no files, no processes, no sockets */
static void confine(void)
{
	struct sandbox sb;

	memset(&sb, 0, sizeof sb);
	sb.user = geteuid() == 0 ? auto_user_d : 0;
	sb.allow = 0;
#if defined(__SANITIZE_ADDRESS__)
	sb.mem = 0;	/* ASan reserves terabytes of address space */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	sb.mem = 0;
#else
	sb.mem = IMAP_LOGIN_MEM;
#endif
#else
	sb.mem = IMAP_LOGIN_MEM;
#endif
	sb.nofile = IMAP_NOFILE;
	if (sandbox_enter(&sb) != 1)
		bye("* BYE [UNAVAILABLE] temporary failure\r\n");
}

int main(int argc, char **argv)
{
	static char *defchain[4];
	struct str d1 = STR_INIT, d2 = STR_INIT, d3 = STR_INIT;
	char **chain = argv + 1;
	int req[2], ans[2];
	pid_t pid;

	log_prog("kurier-imap-login");
	signal(SIGPIPE, SIG_IGN);
	buf_init(&in, saferead, 0, inspace, sizeof inspace);
	buf_init(&out, safewrite, 1, outspace, sizeof outspace);
	if (argc > IMAP_CHECKPW_ARGS + 1)
		diex(EX_T_TEMP, "too many programs on the command line");
	if (argc < 2) {
		/* the default chain: userdb, then the system accounts, then the server */
		if (!str_copys(&d1, auto_home) || !str_cats(&d1, "/bin/kurier-checkpw") || !str_0(&d1) ||
		    !str_copys(&d2, auto_home) || !str_cats(&d2, "/bin/kurier-checkpw-unix") || !str_0(&d2) ||
		    !str_copys(&d3, auto_home) || !str_cats(&d3, "/bin/kurier-imapd") || !str_0(&d3))
			die_nomem();
		defchain[0] = d1.s;
		defchain[1] = d2.s;
		defchain[2] = d3.s;
		defchain[3] = 0;
		chain = defchain;
	}
	config();
	if (pipe2(req, O_CLOEXEC) == -1 || pipe2(ans, O_CLOEXEC) == -1)
		die(EX_T_TEMP, "cannot make a pipe");
	pid = fork();
	if (pid == -1)
		die(EX_T_TEMP, "cannot fork");
	if (pid > 0) {
		close(req[1]);
		close(ans[0]);
		if (tlsfd >= 0)
			close(tlsfd);
		monitor(chain, pid, req[0], ans[1]);
	}
	close(req[0]);
	close(ans[1]);
	reqfd = req[1];
	ansfd = ans[0];
	/* RFC 2195 §2: the CRAM-MD5 challenge, unique per connection */
	if (!str_copys(&stamp, "<") || !str_catu(&stamp, (unsigned long long)getpid()) ||
	    !str_cats(&stamp, ".") || !str_catu(&stamp, (unsigned long long)time(0)) ||
	    !str_cats(&stamp, "@") || !str_cat(&stamp, &me) || !str_cats(&stamp, ">"))
		die_nomem();
	confine();
	say("* OK [CAPABILITY ");
	capability();
	say("] kurier IMAP ready\r\n");
	session();
	(void)buf_flush(&out);
	return 0;
}
