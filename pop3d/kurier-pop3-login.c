/*
 * kurier-pop3-login - the POP3 authorization state (RFC 1939 §4): the
 * greeting (with an APOP timestamp only when APOP is turned on), CAPA
 * (RFC 2449), STLS (RFC 2595), USER/PASS, AUTH PLAIN and CRAM-MD5
 * (RFC 5034), optionally APOP (RFC 1939 §7); then the checkpw
 * chain named on its command line, which execs kurier-pop3d as the user.
 *
 *   kurier-pop3-login [checkpw-helper... kurier-pop3d [maildir]]
 *
 * runs as:  two processes.  The session process speaks POP3 and runs as
 *           kurierd (if started as root) in its sandbox; it holds no
 *           secret.  The monitor keeps the ids it was started with (root
 *           under tcpserver, so that the helper can become the user),
 *           never reads the client, and only runs the chain for a
 *           request the session process sends it on a pipe:
 *           "type\0user\0secret\0stamp\0".
 * input:    the client on fd 0/1 (from tcpserver or kurier-tlsd), log
 *           lines on fd 2; KURIER_TLSFD and KURIER_TLS from kurier-tlsd;
 *           AUTH_PLAINTEXT_OK=1 allows USER/PASS and AUTH PLAIN without
 *           TLS; KURIER_POP3_APOP=1 turns APOP on (off by default: it
 *           needs the clear password, which no kurier checkpw helper
 *           keeps); KURIER_POP3_TIMEOUT_LOGIN; KURIER_HOME.
 * trusts:   its environment and command line; nothing the client sends;
 *           the monitor trusts nothing the session process sends.
 * exit:     0 when the session ends (QUIT, disconnect, timeout, too many
 *           errors, or the session of kurier-pop3d ended); 111 (EX_T_TEMP)
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "buf.h"
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "pop3.h"
#include "pop3parse.h"
#include "sandbox.h"
#include "scan.h"
#include "str.h"

extern char **environ;

#define REQ_MAX (16 + POP3_CHECKPW_MAX)	/* the type name and the fd 3 data */
#define ENV_MAX 256			/* environment entries passed to the chain */
#define ME_MAX 200			/* host name bytes in the APOP timestamp */
#define PENDING_MAX BUF_SIZE		/* commands sent ahead of a login reply: what our buffer holds */
#define PENDING_FD 4			/* where kurier-pop3d finds them (KURIER_POP3_PENDING) */
#define STARTED_FD 5			/* where kurier-pop3d says it took over (KURIER_POP3_STARTED) */

static struct buf in, out;
static char inspace[BUF_SIZE], outspace[BUF_SIZE];
static int timeout = POP3_TIMEOUT_LOGIN;
static struct str line, user, stamp, me, remoteip;
static int tls, tlsfd = -1, plaintext, apop, errors, fails;
static int reqfd = -1, ansfd = -1;	/* the session's ends of the monitor pipes */

/* die_nomem - say so and leave */
static void die_nomem(void) __attribute__((noreturn));
static void die_nomem(void)
{
	(void)buf_puts(&out, "-ERR [SYS/TEMP] out of memory\r\n");
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
		bye("-ERR autologout: idle too long\r\n");
	}
	r = buf_unixread(fd, x, n);
	if (r <= 0)
		_exit(0);
	return r;
}

/* bad - answer -ERR text and count a bad command; hang up after POP3_ERRORS_LOGIN */
static void bad(const char *text)
{
	say("-ERR ");
	say(text);
	say("\r\n");
	if (++errors >= POP3_ERRORS_LOGIN) {
		log_info("too many errors: ", remoteip.s);
		bye("-ERR too many errors, closing connection\r\n");
	}
}

/* sanitize - s with bytes outside 0x21-0x7e as '?', at most max bytes, into out */
static void sanitize(struct str *o, const char *s, size_t max)
{
	size_t i;

	o->len = 0;
	for (i = 0; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!str_append(o, c < 0x21 || c > 0x7e || c == '<' || c == '>' || c == '@' ? '?' : (char)c))
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

	v = getenv("KURIER_POP3_TIMEOUT_LOGIN");
	if (v && *v) {
		if (!scan_ulongs(v, &u) || !u || u > POP3_TIMEOUT_MAX)
			diex(EX_T_TEMP, "KURIER_POP3_TIMEOUT_LOGIN must be 1 to 3600 seconds");
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
	apop = (v = getenv("KURIER_POP3_APOP")) && !strcmp(v, "1");
	sanitize(&remoteip, getenv("TCPREMOTEIP"), 64);
	if (!remoteip.len && !str_copys(&remoteip, "unknown"))
		die_nomem();
	if (!str_0(&remoteip))
		die_nomem();

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
	if (!str_0(&line))
		die_nomem();
	sanitize(&me, line.s, ME_MAX);
	str_free(&path);
	line.len = 0;
}

/* ---- the monitor: the only part that runs the checkpw chain ---- */

/*
 * chain_run - run the chain with fd 3 data and the client on fd 0/1; the
 * commands the client sent ahead of the login reply (pending) wait on fd
 * PENDING_FD for kurier-pop3d; the chain's exit code, -1 if it could not run
 */
static int chain_run(char **argv, const char *type, const char *data, size_t len,
    const char *pending, size_t plen, int *started)
{
	char *envp[ENV_MAX + 5];
	struct str at = STR_INIT;
	static char svc[] = "KURIER_SERVICE=pop3", pend[] = "KURIER_POP3_PENDING=4",
	    sta[] = "KURIER_POP3_STARTED=5";
	posix_spawn_file_actions_t fa;
	size_t i, ne = 0;
	int p[2], q[2] = { -1, -1 }, sp[2] = { -1, -1 }, e, st;
	pid_t pid;
	char c;

	if (!str_copys(&at, "KURIER_AUTHTYPE=") || !str_cats(&at, type) || !str_0(&at))
		return -1;
	for (i = 0; environ[i] && ne < ENV_MAX; i++)
		if (strncmp(environ[i], "KURIER_AUTHTYPE=", 16) && strncmp(environ[i], "KURIER_SERVICE=", 15) &&
		    strncmp(environ[i], "KURIER_TLSFD=", 13) && strncmp(environ[i], "KURIER_CHECKPW_VERIFYONLY=", 26) &&
		    strncmp(environ[i], "KURIER_POP3_PENDING=", 20) && strncmp(environ[i], "KURIER_POP3_STARTED=", 20))
			envp[ne++] = environ[i];
	envp[ne++] = svc;
	envp[ne++] = at.s;
	envp[ne++] = sta;
	if (plen)
		envp[ne++] = pend;
	envp[ne] = 0;
	*started = 0;
	if (pipe2(sp, O_CLOEXEC) == -1) {
		str_free(&at);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		close(sp[0]);
		close(sp[1]);
		str_free(&at);
		return -1;
	}
	if (plen) {
		/* at most PENDING_MAX bytes: they fit in the pipe, so this never blocks */
		if (pipe2(q, O_CLOEXEC) == -1 || write(q[1], pending, plen) != (ssize_t)plen) {
			close(p[0]);
			close(p[1]);
			if (q[0] >= 0) {
				close(q[0]);
				close(q[1]);
			}
			close(sp[0]);
			close(sp[1]);
			str_free(&at);
			return -1;
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
	if (e) {
		close(sp[0]);
		close(p[1]);
		errno = e;
		log_warn("cannot run ", argv[0]);
		return -1;
	}
	/* at most POP3_CHECKPW_MAX bytes: below PIPE_BUF, so this never blocks */
	(void)!write(p[1], data, len);
	close(p[1]);
	/* the chain has as long as the client has for a command to get to
	 * kurier-pop3d (the byte on sp[0]) or to give up (end of file there) */
	{
		struct pollfd pf;
		pf.fd = sp[0];
		pf.events = POLLIN;
		while ((e = poll(&pf, 1, timeout * 1000)) == -1 && errno == EINTR)
			;
		if (e == 0) {
			log_warnx("checkpw chain timed out: ", remoteip.s);
			kill(pid, SIGKILL);
		}
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			close(sp[0]);
			return -1;
		}
	/* kurier-pop3d writes one byte there as it starts the session */
	while ((e = (int)read(sp[0], &c, 1)) == -1 && errno == EINTR)
		;
	*started = e == 1;
	close(sp[0]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* monitor - serve the session process's login requests until it leaves or a session ran */
static void monitor(char **chain, pid_t child, int req, int ans) __attribute__((noreturn));
static void monitor(char **chain, pid_t child, int req, int ans)
{
	static char b[REQ_MAX + FMT_ULONG + PENDING_MAX];
	size_t have, scan, nul, f[5], want;
	unsigned long long plen;
	int code, started;

	for (;;) {
		/*
		 * One request: type, login, secret and stamp, each NUL-terminated,
		 * then the count of commands the client sent ahead (decimal,
		 * NUL-terminated) and those bytes.  Only one is in flight at a
		 * time, so nothing after it can be read by mistake.
		 */
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
			for (; nul < 5 && scan < have; scan++)
				if (!b[scan])
					f[nul++] = scan;
			if (nul < 5) {
				if (have > REQ_MAX + FMT_ULONG)
					goto malformed;
				continue;
			}
			if (!want) {
				if (scan_ulong(b + f[3] + 1, f[4] - f[3] - 1, &plen) != f[4] - f[3] - 1 ||
				    f[4] == f[3] + 1 || plen > PENDING_MAX || f[3] - f[0] > POP3_CHECKPW_MAX)
					goto malformed;
				want = f[4] + 1 + (size_t)plen;
				if (strcmp(b, "login") && strcmp(b, "plain") && strcmp(b, "cram-md5") &&
				    (!apop || strcmp(b, "apop")))
					goto malformed;
			}
		}
		if (have != want)
			goto malformed;
		code = chain_run(chain, b, b + f[0] + 1, f[3] - f[0], b + f[4] + 1, (size_t)plen, &started);
		memset(b, 0, have);
		if (started || code == 0) {
			/* kurier-pop3d ran the session, however it ended: it is over */
			kill(child, SIGKILL);
			goto done;
		}
		if (write(ans, code == EX_PW_BAD || code == EX_PW_MISUSE ? "N" : "T", 1) != 1)
			goto done;
	}
malformed:
	/* a malformed request means the session process is not itself */
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

/* delay - sleep longer after each failed login, up to POP3_AUTHDELAY_MAX seconds */
static void delay(void)
{
	struct timespec ts;

	ts.tv_sec = fails < POP3_AUTHDELAY_MAX ? fails : POP3_AUTHDELAY_MAX;
	ts.tv_nsec = 0;
	(void)buf_flush(&out);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* login - ask the monitor to run the chain; returns only when the login failed */
static void login(const char *type, const struct str *name, const struct str *secret, const char *chal)
{
	struct str req = STR_INIT;
	const char *pending;
	size_t plen;
	char ans;
	ssize_t r;

	if (!name->len || !secret->len || memchr(name->s, 0, name->len) || memchr(secret->s, 0, secret->len)) {
		bad("malformed credentials");
		return;
	}
	if (name->len + secret->len + strlen(chal) + 3 > POP3_CHECKPW_MAX) {
		bad("credentials too long");
		return;
	}
	(void)buf_flush(&out);
	/* commands the client sent ahead go to kurier-pop3d; if the login
	 * fails they stay here and are answered in this state */
	pending = buf_peek(&in, &plen);
	if (!str_copys(&req, type) || !str_0(&req) || !str_cat(&req, name) || !str_0(&req) ||
	    !str_cat(&req, secret) || !str_0(&req) || !str_cats(&req, chal) || !str_0(&req) ||
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
	{
		struct str n = STR_INIT;
		sanitize(&n, name->s, 64);
		if (ans == 'N') {
			fails++;
			log_info("login failed: ", remoteip.s, " ", type, " ", n.s);
			delay();
			if (fails >= POP3_AUTHFAIL_MAX)
				bye("-ERR [AUTH] authentication failed, closing connection\r\n");
			say("-ERR [AUTH] authentication failed\r\n");
		} else {
			log_warnx("checkpw chain failed: ", remoteip.s, " ", type, " ", n.s);
			say("-ERR [SYS/TEMP] temporary failure, try again later\r\n");
		}
		str_free(&n);
	}
}

/* cmd_capa - CAPA (RFC 2449 §5): what may be used now */
static void cmd_capa(void)
{
	say("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n");
	if (tls || plaintext)
		say("USER\r\nSASL PLAIN CRAM-MD5\r\n");
	else
		say("SASL CRAM-MD5\r\n");
	if (tlsfd >= 0 && !tls)
		say("STLS\r\n");
	say("IMPLEMENTATION kurier\r\n.\r\n");
}

/* cmd_stls - STLS (RFC 2595 §4): hand the connection to kurier-tlsd */
static void cmd_stls(const struct pop3_cmd *c)
{
	char ack;

	if (c->nargs) { bad("STLS takes no argument"); return; }
	if (tls) { bad("TLS already active"); return; }
	if (tlsfd < 0) { bad("TLS not available"); return; }
	if (buf_held(&in)) {
		/* SECURITY.md 15: nothing sent before the handshake is answered after it */
		log_info("stls: data after STLS from ", remoteip.s);
		_exit(0);
	}
	/* "P": kurier-tlsd stops reading the client before our go-ahead, so
	 * the ClientHello is never taken for pipelined text */
	if (buf_unixwrite(tlsfd, (char *)"P", 1) != 1)
		_exit(0);
	(void)buf_puts(&out, "+OK begin TLS negotiation\r\n");
	(void)buf_flush(&out);
	if (buf_unixwrite(tlsfd, (char *)"S", 1) != 1 || buf_unixread(tlsfd, &ack, 1) != 1 || ack != 'Y') {
		log_info("stls: handshake failed for ", remoteip.s);
		_exit(0);
	}
	/* RFC 2595 §4: forget what was said before TLS */
	tls = 1;
	user.len = 0;
}

/* authline - one SASL response line into line; 1 ok, 0 cancelled or bad (answered) */
static int authline(void)
{
	int r;

	line.len = 0;
	line.max = POP3_AUTHLINE_MAX;
	r = buf_getline(&in, &line, '\n');
	line.max = POP3_LINE_MAX;
	if (r == 0)
		_exit(0);
	if (r < 0) {
		if (errno != E2BIG)
			_exit(0);
		bad("AUTH line too long");
		bye("-ERR closing connection\r\n");
	}
	line.len--;
	if (line.len && line.s[line.len - 1] == '\r')
		line.len--;
	if (line.len == 1 && line.s[0] == '*') {
		say("-ERR AUTH cancelled\r\n");
		return 0;
	}
	return 1;
}

/* cmd_auth - AUTH PLAIN or CRAM-MD5 (RFC 5034) */
static void cmd_auth(const struct pop3_cmd *c)
{
	struct str dec = STR_INIT, name = STR_INIT, secret = STR_INIT;
	const char *ir;
	size_t irlen, z1, z2, i;
	int hex;

	if (!c->nargs) {
		/* the list form some clients probe with */
		say("+OK\r\n");
		if (tls || plaintext)
			say("PLAIN\r\n");
		say("CRAM-MD5\r\n.\r\n");
		return;
	}
	if (c->nargs > 2) { bad("usage: AUTH mechanism [initial-response]"); return; }
	ir = c->nargs == 2 ? c->arg[1] : 0;
	irlen = c->nargs == 2 ? c->arglen[1] : 0;
	dec.max = POP3_AUTHLINE_MAX;
	if (c->arglen[0] == 5 && !strncasecmp(c->arg[0], "PLAIN", 5)) {
		if (!tls && !plaintext) { bad("[AUTH] PLAIN needs STLS first"); return; }
		if (!ir) {
			say("+ \r\n");
			if (!authline())
				goto done;
			ir = line.s;
			irlen = line.len;
		}
		if (irlen == 1 && ir[0] == '=')
			irlen = 0;
		if (!base64_decode(ir, irlen, &dec)) { bad("bad base64"); goto done; }
		/* authzid \0 authcid \0 passwd (RFC 4616 §2) */
		z1 = z2 = dec.len;
		for (i = 0; i < dec.len; i++)
			if (!dec.s[i]) { z1 = i; break; }
		for (i = z1 + 1; i < dec.len; i++)
			if (!dec.s[i]) { z2 = i; break; }
		if (z1 >= dec.len || z2 >= dec.len || z2 == z1 + 1 || z2 + 1 == dec.len) {
			bad("malformed PLAIN response");
			goto done;
		}
		if (!str_copyb(&name, dec.s + z1 + 1, z2 - z1 - 1) ||
		    !str_copyb(&secret, dec.s + z2 + 1, dec.len - z2 - 1))
			die_nomem();
		if (z1 && (z1 != name.len || memcmp(dec.s, name.s, z1))) {
			say("-ERR [AUTH] authorization identity not allowed\r\n");
			goto done;
		}
		login("plain", &name, &secret, stamp.s);
	} else if (c->arglen[0] == 8 && !strncasecmp(c->arg[0], "CRAM-MD5", 8)) {
		if (ir) { bad("CRAM-MD5 takes no initial response"); return; }
		if (!base64_encode(stamp.s, stamp.len, &dec) || !str_0(&dec))
			die_nomem();
		say("+ ");
		say(dec.s);
		say("\r\n");
		dec.len = 0;
		if (!authline())
			goto done;
		if (!base64_decode(line.s, line.len, &dec)) { bad("bad base64"); goto done; }
		/* "user hexdigest" (RFC 2195 §2): the digest is the last 32 hex digits */
		hex = dec.len > 33 && dec.s[dec.len - 33] == ' ';
		for (i = hex ? dec.len - 32 : dec.len; i < dec.len; i++)
			if (!((dec.s[i] >= '0' && dec.s[i] <= '9') || (dec.s[i] >= 'a' && dec.s[i] <= 'f')))
				hex = 0;
		if (!hex) { bad("malformed CRAM-MD5 response"); goto done; }
		if (!str_copyb(&name, dec.s, dec.len - 33) || !str_copyb(&secret, dec.s + dec.len - 32, 32))
			die_nomem();
		login("cram-md5", &name, &secret, stamp.s);
	} else {
		bad("unknown authentication mechanism");
	}
done:
	/* a password passed through these */
	if (line.s)
		memset(line.s, 0, line.a);
	line.len = 0;
	str_wipe(&dec);
	str_wipe(&secret);
	str_free(&name);
}

/* cmd_apop - APOP name digest (RFC 1939 §7): checked by the chain as type apop */
static void cmd_apop(const struct pop3_cmd *c)
{
	struct str name = STR_INIT, digest = STR_INIT;
	size_t i;

	if (!apop) { bad("APOP is not enabled here"); return; }
	if (c->nargs != 2 || c->arglen[1] != 32) { bad("usage: APOP name digest"); return; }
	for (i = 0; i < 32; i++) {
		char h = c->arg[1][i];
		if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f'))) { bad("digest must be 32 lower-case hex digits"); return; }
	}
	if (!str_copyb(&name, c->arg[0], c->arglen[0]) || !str_copyb(&digest, c->arg[1], 32))
		die_nomem();
	login("apop", &name, &digest, stamp.s);
	str_free(&name);
	str_free(&digest);
}

/* session - the AUTHORIZATION state */
static void session(void)
{
	struct pop3_cmd c;
	struct str secret = STR_INIT;
	int r;

	line.max = POP3_LINE_MAX;
	for (;;) {
		line.len = 0;
		r = buf_getline(&in, &line, '\n');
		if (r == 0)
			return;
		if (r < 0) {
			if (errno != E2BIG)
				return;
			do {
				bad("line too long");
				line.len = 0;
				r = buf_getline(&in, &line, '\n');
			} while (r < 0 && errno == E2BIG);
			if (r <= 0)
				return;
			continue;
		}
		line.len--;
		if (line.len && line.s[line.len - 1] == '\r')
			line.len--;
		if (!pop3_parse(line.s, line.len, &c)) {
			bad("NUL or CR in command");
			continue;
		}
		switch (c.verb) {
		case POP3_CAPA: cmd_capa(); break;
		case POP3_STLS: cmd_stls(&c); break;
		case POP3_QUIT: bye("+OK bye\r\n");
		case POP3_USER:
			if (!tls && !plaintext) { bad("[AUTH] plaintext login needs STLS first"); break; }
			if (c.nargs != 1) { bad("usage: USER name"); break; }
			if (!str_copyb(&user, c.arg[0], c.arglen[0]))
				die_nomem();
			say("+OK send PASS\r\n");
			break;
		case POP3_PASS:
			if (!user.len) { bad("USER first"); break; }
			if (!c.restlen) { bad("usage: PASS password"); break; }
			if (!str_copyb(&secret, c.rest, c.restlen))
				die_nomem();
			memset(line.s, 0, line.len);
			login("login", &user, &secret, stamp.s);
			str_wipe(&secret);
			user.len = 0;
			break;
		case POP3_APOP: cmd_apop(&c); break;
		case POP3_AUTH: cmd_auth(&c); break;
		case POP3_UNKNOWN: bad("unknown command"); break;
		default: bad("[AUTH] log in first");
		}
	}
}

/* confine - become kurierd (if root) in the sandbox: no files, no processes, no sockets */
static void confine(void)
{
	struct sandbox sb;

	memset(&sb, 0, sizeof sb);
	sb.user = geteuid() == 0 ? auto_user_d : 0;
	sb.allow = 0;	/* read, write, poll and sleep are in the base set */
#if defined(__SANITIZE_ADDRESS__)
	sb.mem = 0;	/* ASan reserves terabytes of address space */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	sb.mem = 0;
#else
	sb.mem = POP3_LOGIN_MEM;
#endif
#else
	sb.mem = POP3_LOGIN_MEM;
#endif
	sb.nofile = POP3_NOFILE;
	sb.nproc = 0;
	if (sandbox_enter(&sb) != 1) {
		bye("-ERR [SYS/TEMP] temporary failure\r\n");
	}
}

int main(int argc, char **argv)
{
	static char *defchain[4];
	struct str d1 = STR_INIT, d2 = STR_INIT, d3 = STR_INIT;
	char **chain = argv + 1;
	int req[2], ans[2];
	pid_t pid;

	log_prog("kurier-pop3-login");
	signal(SIGPIPE, SIG_IGN);
	buf_init(&in, saferead, 0, inspace, sizeof inspace);
	buf_init(&out, safewrite, 1, outspace, sizeof outspace);
	if (argc > POP3_CHECKPW_ARGS + 1)
		diex(EX_T_TEMP, "too many programs on the command line");
	if (argc < 2) {
		/* the default chain: userdb, then the system accounts, then the server */
		if (!str_copys(&d1, auto_home) || !str_cats(&d1, "/bin/kurier-checkpw") || !str_0(&d1) ||
		    !str_copys(&d2, auto_home) || !str_cats(&d2, "/bin/kurier-checkpw-unix") || !str_0(&d2) ||
		    !str_copys(&d3, auto_home) || !str_cats(&d3, "/bin/kurier-pop3d") || !str_0(&d3))
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
	/* RFC 1939 §7: the APOP timestamp, unique per greeting; also the
	 * CRAM-MD5 challenge, so it is made even when APOP is off */
	if (!str_copys(&stamp, "<") || !str_catu(&stamp, (unsigned long long)getpid()) ||
	    !str_cats(&stamp, ".") || !str_catu(&stamp, (unsigned long long)time(0)) ||
	    !str_cats(&stamp, "@") || !str_cat(&stamp, &me) || !str_cats(&stamp, ">") || !str_0(&stamp))
		die_nomem();
	stamp.len--;
	confine();
	/* a timestamp in the greeting tells clients APOP works: only say so
	 * when it is turned on (RFC 1939 §7) */
	say("+OK kurier POP3 server ready");
	if (apop) {
		say(" ");
		say(stamp.s);
	}
	say("\r\n");
	session();
	(void)buf_flush(&out);
	return 0;
}
