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
 *           "type\0user\0secret\0stamp\0count\0pending-bytes"
 *           (lib/loginmon.c; the client I/O is lib/session.c).
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
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "buf.h"
#include "log.h"
#include "loginmon.h"
#include "pop3.h"
#include "pop3cmd.h"
#include "pop3parse.h"
#include "session.h"
#include "str.h"

_Static_assert(POP3_CHECKPW_MAX <= LOGINMON_CHECKPW_MAX, "a login request must fit the monitor's buffer");

static struct str line, user;
static int apop, errors;
static const char *types[] = { "login", "plain", "cram-md5", 0, 0 };	/* and "apop" when it is on */
static struct loginmon lm = {
	.service = "pop3",
	.pending_var = "KURIER_POP3_PENDING",
	.started_var = "KURIER_POP3_STARTED",
	.tag_var = 0,
	.types = types,
	.datamax = POP3_CHECKPW_MAX,
	.delaymax = POP3_AUTHDELAY_MAX,
};

/* bad - answer -ERR text and count a bad command; hang up after POP3_ERRORS_LOGIN */
static void bad(const char *text)
{
	session_say("-ERR ");
	session_say(text);
	session_say("\r\n");
	if (++errors >= POP3_ERRORS_LOGIN) {
		log_info("too many errors: ", session.remoteip.s);
		session_bye("-ERR too many errors, closing connection\r\n");
	}
}

/* login - have the monitor run the chain; returns only when the login failed (answered) */
static void login(const char *type, const char *name, size_t nlen, const char *secret, size_t slen)
{
	switch (loginmon_login(&lm, type, name, nlen, secret, slen, 0)) {
	case LOGINMON_MALFORMED:
		bad("malformed credentials");
		break;
	case LOGINMON_TOOLONG:
		bad("credentials too long");
		break;
	case LOGINMON_NO:
		if (lm.fails >= POP3_AUTHFAIL_MAX)
			session_bye("-ERR [AUTH] authentication failed, closing connection\r\n");
		session_say("-ERR [AUTH] authentication failed\r\n");
		break;
	default:
		session_say("-ERR [SYS/TEMP] temporary failure, try again later\r\n");
	}
}

/* cmd_capa - CAPA (RFC 2449 §5): what may be used now */
static void cmd_capa(void)
{
	session_say("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n");
	if (session.tls || session.plaintext)
		session_say("USER\r\nSASL PLAIN CRAM-MD5\r\n");
	else
		session_say("SASL CRAM-MD5\r\n");
	if (session.tlsfd >= 0 && !session.tls)
		session_say("STLS\r\n");
	session_say("IMPLEMENTATION kurier\r\n.\r\n");
}

/* cmd_stls - STLS (RFC 2595 §4): hand the connection to kurier-tlsd */
static void cmd_stls(const struct pop3_cmd *c)
{
	if (c->nargs) { bad("STLS takes no argument"); return; }
	if (session.tls) { bad("TLS already active"); return; }
	if (session.tlsfd < 0) { bad("TLS not available"); return; }
	session_tls_pause("stls", "STLS");
	session_say("+OK begin TLS negotiation\r\n");
	session_tls_start("stls");
	/* RFC 2595 §4: forget what was said before TLS */
	user.len = 0;
}

/* authline - one SASL response line into line; 1 ok, 0 cancelled (answered) */
static int authline(void)
{
	int r = session_authline(&line, POP3_AUTHLINE_MAX);

	if (r < 0) {
		bad("AUTH line too long");
		session_bye("-ERR closing connection\r\n");
	}
	if (r == 0)
		session_say("-ERR AUTH cancelled\r\n");
	return r;
}

/* cmd_auth - AUTH PLAIN or CRAM-MD5 (RFC 5034) */
static void cmd_auth(const struct pop3_cmd *c)
{
	struct str dec = STR_INIT;
	const char *ir, *name = 0, *secret = 0;
	size_t irlen, nlen = 0, slen = 0;

	if (!c->nargs) {
		/* the list form some clients probe with */
		session_say("+OK\r\n");
		if (session.tls || session.plaintext)
			session_say("PLAIN\r\n");
		session_say("CRAM-MD5\r\n.\r\n");
		return;
	}
	if (c->nargs > 2) { bad("usage: AUTH mechanism [initial-response]"); return; }
	ir = c->nargs == 2 ? c->arg[1] : 0;
	irlen = c->nargs == 2 ? c->arglen[1] : 0;
	dec.max = POP3_AUTHLINE_MAX;
	if (c->arglen[0] == 5 && !strncasecmp(c->arg[0], "PLAIN", 5)) {
		if (!session.tls && !session.plaintext) { bad("[AUTH] PLAIN needs STLS first"); return; }
		if (!ir) {
			session_say("+ \r\n");
			if (!authline())
				goto done;
			ir = line.s;
			irlen = line.len;
		}
		switch (loginmon_plain(ir, irlen, &dec, &name, &nlen, &secret, &slen)) {
		case LOGINMON_BASE64: bad("bad base64"); break;
		case LOGINMON_MALFORMED: bad("malformed PLAIN response"); break;
		case LOGINMON_AUTHZ: session_say("-ERR [AUTH] authorization identity not allowed\r\n"); break;
		default: login("plain", name, nlen, secret, slen);
		}
	} else if (c->arglen[0] == 8 && !strncasecmp(c->arg[0], "CRAM-MD5", 8)) {
		if (ir) { bad("CRAM-MD5 takes no initial response"); return; }
		loginmon_challenge(&lm, &dec);
		if (!authline())
			goto done;
		switch (loginmon_cram(line.s, line.len, &dec, &name, &nlen, &secret, &slen)) {
		case LOGINMON_BASE64: bad("bad base64"); break;
		case LOGINMON_MALFORMED: bad("malformed CRAM-MD5 response"); break;
		default: login("cram-md5", name, nlen, secret, slen);
		}
	} else {
		bad("unknown authentication mechanism");
	}
done:
	/* a password passed through these */
	if (line.s)
		memset(line.s, 0, line.a);
	line.len = 0;
	str_wipe(&dec);
}

/* cmd_apop - APOP name digest (RFC 1939 §7): checked by the chain as type apop */
static void cmd_apop(const struct pop3_cmd *c)
{
	size_t i;

	if (!apop) { bad("APOP is not enabled here"); return; }
	if (c->nargs != 2 || c->arglen[1] != 32) { bad("usage: APOP name digest"); return; }
	for (i = 0; i < 32; i++) {
		char h = c->arg[1][i];
		if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f'))) { bad("digest must be 32 lower-case hex digits"); return; }
	}
	login("apop", c->arg[0], c->arglen[0], c->arg[1], 32);
}

/* authorization - the AUTHORIZATION state, until the client leaves */
static void authorization(void)
{
	struct pop3_cmd c;
	struct str secret = STR_INIT;

	line.max = POP3_LINE_MAX;
	while (pop3_getcmd(&session.in, &line, &c, bad)) {
		switch (c.verb) {
		case POP3_CAPA: cmd_capa(); break;
		case POP3_STLS: cmd_stls(&c); break;
		case POP3_QUIT: session_bye("+OK bye\r\n");
		case POP3_USER:
			if (!session.tls && !session.plaintext) { bad("[AUTH] plaintext login needs STLS first"); break; }
			if (c.nargs != 1) { bad("usage: USER name"); break; }
			if (!str_copyb(&user, c.arg[0], c.arglen[0]))
				session_nomem();
			session_say("+OK send PASS\r\n");
			break;
		case POP3_PASS:
			if (!user.len) { bad("USER first"); break; }
			if (!c.restlen) { bad("usage: PASS password"); break; }
			if (!str_copyb(&secret, c.rest, c.restlen))
				session_nomem();
			memset(line.s, 0, line.len);
			login("login", user.s, user.len, secret.s, secret.len);
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

int main(int argc, char **argv)
{
	const char *v;

	log_prog("kurier-pop3-login");
	signal(SIGPIPE, SIG_IGN);
	session_init("-ERR autologout: idle too long\r\n", "-ERR [SYS/TEMP] out of memory\r\n", "<>@");
	loginmon_args(&lm, argc, argv, POP3_CHECKPW_ARGS, "/bin/kurier-pop3d");
	session_config("KURIER_POP3_TIMEOUT_LOGIN", POP3_TIMEOUT_LOGIN, POP3_TIMEOUT_MAX);
	apop = (v = getenv("KURIER_POP3_APOP")) && !strcmp(v, "1");
	if (apop)
		types[3] = "apop";
	/* the chain has as long as the client has for a command */
	lm.chain_timeout = session.timeout;
	/* the monitor stays behind; the stamp is the APOP timestamp (RFC 1939
	 * §7) and the CRAM-MD5 challenge, so it is made even when APOP is off */
	loginmon_start(&lm);
	session_confine(POP3_LOGIN_MEM, POP3_NOFILE, "-ERR [SYS/TEMP] temporary failure\r\n");
	/* a timestamp in the greeting tells clients APOP works: only say so
	 * when it is turned on (RFC 1939 §7) */
	session_say("+OK kurier POP3 server ready");
	if (apop) {
		session_say(" ");
		session_say(lm.stamp.s);
	}
	session_say("\r\n");
	authorization();
	(void)buf_flush(&session.out);
	return 0;
}
