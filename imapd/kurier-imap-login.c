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
 *           "type\0user\0secret\0stamp\0tag\0count\0pending-bytes"
 *           (lib/loginmon.c; the client I/O is lib/session.c).
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
#include <signal.h>
#include <string.h>
#include "buf.h"
#include "cmdread.h"
#include "imap.h"
#include "imapparse.h"
#include "log.h"
#include "loginmon.h"
#include "session.h"
#include "str.h"

_Static_assert(IMAP_CHECKPW_MAX <= LOGINMON_CHECKPW_MAX && IMAP_TAG_MAX <= LOGINMON_TAG_MAX,
    "a login request must fit the monitor's buffer");

static struct str cmd, line;
static int errors;
static const char *const types[] = { "login", "plain", "cram-md5", 0 };
static struct loginmon lm = {
	.service = "imap",
	.pending_var = "KURIER_IMAP_PENDING",
	.started_var = "KURIER_IMAP_STARTED",
	.tag_var = "KURIER_IMAP_TAG",
	.types = types,
	.datamax = IMAP_CHECKPW_MAX,
	.tagmax = IMAP_TAG_MAX,
	.delaymax = IMAP_AUTHDELAY_MAX,
};

/* tagged - "tag status text" for the client */
static void tagged(const char *tag, const char *status, const char *text)
{
	session_say(tag && *tag ? tag : "*");
	session_say(" ");
	session_say(status);
	session_say(" ");
	session_say(text);
	session_say("\r\n");
}

/* bad - answer BAD text and count a bad command; hang up after IMAP_ERRORS_LOGIN */
static void bad(const char *tag, const char *text)
{
	tagged(tag, "BAD", text);
	if (++errors >= IMAP_ERRORS_LOGIN) {
		log_info("too many errors: ", session.remoteip.s);
		session_bye("* BYE too many errors, closing connection\r\n");
	}
}

/* login - have the monitor run the chain; returns only when the login failed (answered) */
static void login(const char *tag, const char *type, const char *name, size_t nlen, const char *secret, size_t slen)
{
	switch (loginmon_login(&lm, type, name, nlen, secret, slen, tag)) {
	case LOGINMON_MALFORMED:
		tagged(tag, "NO", "[AUTHENTICATIONFAILED] malformed credentials");
		break;
	case LOGINMON_TOOLONG:
		tagged(tag, "NO", "[AUTHENTICATIONFAILED] credentials too long");
		break;
	case LOGINMON_NO:
		tagged(tag, "NO", "[AUTHENTICATIONFAILED] authentication failed");
		if (lm.fails >= IMAP_AUTHFAIL_MAX)
			session_bye("* BYE too many failed logins\r\n");
		break;
	default:
		tagged(tag, "NO", "[UNAVAILABLE] temporary failure, try again later");
	}
}

/* capability - the capability list for now, after "CAPABILITY " or "[CAPABILITY " */
static void capability(void)
{
	session_say("IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE SPECIAL-USE UNSELECT CHILDREN QUOTA");
	if (session.tlsfd >= 0 && !session.tls)
		session_say(" STARTTLS");
	if (session.tls || session.plaintext)
		session_say(" AUTH=PLAIN");
	else
		session_say(" LOGINDISABLED");
	session_say(" AUTH=CRAM-MD5");
}

/* cmd_starttls - STARTTLS (RFC 3501 §6.2.1): hand the connection to kurier-tlsd */
static void cmd_starttls(const struct imap_cmd *c)
{
	if (c->nt) { bad(c->tag, "STARTTLS takes no argument"); return; }
	if (session.tls) { bad(c->tag, "TLS already active"); return; }
	if (session.tlsfd < 0) { bad(c->tag, "TLS not available"); return; }
	session_tls_pause("starttls", "STARTTLS");
	tagged(c->tag, "OK", "Begin TLS negotiation now");
	session_tls_start("starttls");
}

/* authline - one SASL response line into line; 1 ok, 0 cancelled (answered) */
static int authline(const char *tag)
{
	int r = session_authline(&line, IMAP_AUTHLINE_MAX);

	if (r < 0) {
		bad(tag, "AUTHENTICATE line too long");
		session_bye("* BYE closing connection\r\n");
	}
	if (r == 0)
		bad(tag, "AUTHENTICATE cancelled");
	return r;
}

/* cmd_authenticate - AUTHENTICATE PLAIN or CRAM-MD5, with SASL-IR (RFC 4959) */
static void cmd_authenticate(const struct imap_cmd *c)
{
	struct str dec = STR_INIT;
	const char *ir, *tag = c->tag, *name = 0, *secret = 0;
	size_t irlen, nlen = 0, slen = 0;

	if (c->nt < 1 || c->nt > 2 || c->t[0].type != IMAP_ATOM || (c->nt == 2 && c->t[1].type != IMAP_ATOM)) {
		bad(tag, "usage: AUTHENTICATE mechanism [initial-response]");
		return;
	}
	ir = c->nt == 2 ? c->t[1].s : 0;
	irlen = c->nt == 2 ? c->t[1].len : 0;
	dec.max = IMAP_AUTHLINE_MAX;
	if (imap_tok_is(&c->t[0], "PLAIN")) {
		if (!session.tls && !session.plaintext) {
			tagged(tag, "NO", "[PRIVACYREQUIRED] PLAIN needs STARTTLS first");
			return;
		}
		if (!ir) {
			session_say("+ \r\n");
			if (!authline(tag))
				goto done;
			ir = line.s;
			irlen = line.len;
		}
		switch (loginmon_plain(ir, irlen, &dec, &name, &nlen, &secret, &slen)) {
		case LOGINMON_BASE64: bad(tag, "bad base64"); break;
		case LOGINMON_MALFORMED: bad(tag, "malformed PLAIN response"); break;
		case LOGINMON_AUTHZ: tagged(tag, "NO", "[AUTHORIZATIONFAILED] authorization identity not allowed"); break;
		default: login(tag, "plain", name, nlen, secret, slen);
		}
	} else if (imap_tok_is(&c->t[0], "CRAM-MD5")) {
		if (ir) { bad(tag, "CRAM-MD5 takes no initial response"); return; }
		loginmon_challenge(&lm, &dec);
		if (!authline(tag))
			goto done;
		switch (loginmon_cram(line.s, line.len, &dec, &name, &nlen, &secret, &slen)) {
		case LOGINMON_BASE64: bad(tag, "bad base64"); break;
		case LOGINMON_MALFORMED: bad(tag, "malformed CRAM-MD5 response"); break;
		default: login(tag, "cram-md5", name, nlen, secret, slen);
		}
	} else {
		tagged(tag, "NO", "unsupported authentication mechanism");
	}
done:
	/* a password passed through these */
	if (line.s)
		memset(line.s, 0, line.a);
	line.len = 0;
	str_wipe(&dec);
}

/* cmd_login - LOGIN name password */
static void cmd_login(const struct imap_cmd *c)
{
	if (!session.tls && !session.plaintext) {
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
		session_nomem();
	return t->s;
}

/* notauth - the not-authenticated state, until the client leaves */
static void notauth(void)
{
	struct imap_cmd c;
	struct str t = STR_INIT;
	const char *err = "";

	imap_cmd_init(&c);
	for (;;) {
		int r = cmdread(&session.in, &session.out, &cmd, IMAP_LITERAL_LOGIN, IMAP_LINE_MAX + 2 * IMAP_LITERAL_LOGIN, &err);
		if (r == CMDREAD_EOF)
			return;
		if (r == CMDREAD_CLOSE) {
			log_info("oversized literal: ", session.remoteip.s);
			session_bye("* BYE [TOOBIG] literal too big, closing connection\r\n");
		}
		c.tag = 0;
		c.taglen = 0;
		if (r == CMDREAD_BAD) {
			bad(badtag(&c, &t), err);
			continue;
		}
		r = imap_parse(cmd.s, cmd.len, &c);
		if (r < 0)
			session_nomem();
		if (r == 0) {
			bad(badtag(&c, &t), c.err);
			continue;
		}
		if (!strcmp(c.name, "CAPABILITY")) {
			session_say("* CAPABILITY ");
			capability();
			session_say("\r\n");
			tagged(c.tag, "OK", "CAPABILITY completed");
		} else if (!strcmp(c.name, "NOOP")) {
			tagged(c.tag, "OK", "NOOP completed");
		} else if (!strcmp(c.name, "LOGOUT")) {
			session_say("* BYE logging out\r\n");
			tagged(c.tag, "OK", "LOGOUT completed");
			session_bye("");
		} else if (!strcmp(c.name, "ID")) {
			session_say("* ID (\"name\" \"kurier\")\r\n");
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

int main(int argc, char **argv)
{

	log_prog("kurier-imap-login");
	signal(SIGPIPE, SIG_IGN);
	session_init("* BYE autologout: idle too long\r\n", "* BYE [UNAVAILABLE] out of memory\r\n", "<>@\"\\");
	loginmon_args(&lm, argc, argv, IMAP_CHECKPW_ARGS, "/bin/kurier-imapd");
	session_config("KURIER_IMAP_TIMEOUT_LOGIN", IMAP_TIMEOUT_LOGIN, IMAP_TIMEOUT_MAX);
	/* the chain has as long as the client has for a command: a helper
	 * that hangs must not hold the connection and the monitor for ever */
	lm.chain_timeout = session.timeout;
	/* the monitor stays behind; the stamp is the CRAM-MD5 challenge (RFC 2195 §2) */
	loginmon_start(&lm);
	session_confine(IMAP_LOGIN_MEM, IMAP_NOFILE, "* BYE [UNAVAILABLE] temporary failure\r\n");
	session_say("* OK [CAPABILITY ");
	capability();
	session_say("] kurier IMAP ready\r\n");
	notauth();
	(void)buf_flush(&session.out);
	return 0;
}
