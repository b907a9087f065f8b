/*
 * session - the client side of a login program (kurier-imap-login,
 * kurier-pop3-login): the client on fd 0/1 behind buffers, every read
 * bounded by a timeout and every reply flushed before it; the settings
 * both read from their environment (TLS, plaintext logins, the client's
 * address, control/me); the hand-over to kurier-tlsd for STARTTLS/STLS
 * (the client socket itself until then; see lib/tlsctl.h);
 * SASL response lines; and the sandbox the session process enters.
 * A process serves one client, so the state is one global: session.
 * The protocol's own words (its last words on a timeout, when memory runs
 * out) are given to session_init; nothing here knows IMAP from POP3.
 */
#ifndef KURIER_SESSION_H
#define KURIER_SESSION_H

#include <stddef.h>
#include "buf.h"
#include "str.h"

#define SESSION_IP_MAX   64	/* bytes of TCPREMOTEIP kept for log lines: an IPv6 address with a zone fits */
#define SESSION_ME_MAX  200	/* bytes of the host name in a greeting or challenge: a DNS name is at most 253 */
#define SESSION_TLSFD_MAX 1000	/* KURIER_TLSFD above this is taken for a mistake */

struct session {
	struct buf in, out;	/* the client: fd 0 and fd 1 */
	int timeout;		/* seconds a read waits for the client */
	int tls;		/* KURIER_TLS=1: the connection is TLS already */
	int tlsfd;		/* KURIER_TLSFD: the way to kurier-tlsd for STARTTLS, or -1 */
	int monfd;		/* where the plaintext end goes to the login monitor after STARTTLS, or -1 */
	int plaintext;		/* AUTH_PLAINTEXT_OK=1: clear-text logins without TLS */
	struct str remoteip;	/* TCPREMOTEIP made safe to log, or "unknown"; NUL-terminated */
	struct str me;		/* control/me or the host name, made safe; NUL-terminated */
	const char *idle;	/* last words when the client waits too long */
	const char *nomem;	/* last words when memory runs out */
	const char *mask;	/* bytes shown as '?' in logged names besides controls and spaces */
};
extern struct session session;

/* session_init - buffers over fd 0/1; the last words for a timeout and for no memory; the bytes to mask */
void session_init(const char *idle, const char *nomem, const char *mask);
/*
 * session_config - the environment and control/me into session: the read
 * timeout from timeoutvar (1 to max seconds; def when unset), KURIER_TLS,
 * KURIER_TLSFD, AUTH_PLAINTEXT_OK, TCPREMOTEIP; dies (EX_T_TEMP) on a bad
 * setting
 */
void session_config(const char *timeoutvar, int def, int max);
/* session_nomem - the last words for no memory, then die (EX_T_TEMP) */
void session_nomem(void) __attribute__((noreturn));
/* session_say - queue text for the client */
void session_say(const char *s);
/* session_bye - queue last words, flush and leave (exit 0) */
void session_bye(const char *s) __attribute__((noreturn));
/* session_sleep - flush the replies, then sleep secs seconds */
void session_sleep(unsigned secs);
/* session_sanitize - s[0..n) into o, at most max bytes, controls, spaces, 8-bit and masked bytes as '?'; NUL-terminated */
void session_sanitize(struct str *o, const char *s, size_t n, size_t max);
/*
 * session_tls_pause - first half of STARTTLS: leave if the client sent
 * anything after the command, in our buffer or waiting in the socket
 * (SECURITY.md 15); then the caller queues its go-ahead.  verb names the
 * command for the log (name: "starttls", verb: "STARTTLS").
 */
void session_tls_pause(const char *name, const char *verb);
/*
 * session_tls_start - second half: flush the go-ahead, let kurier-tlsd
 * shake hands (lib/tlsctl); fds 0/1 are then the plaintext end it passed,
 * also sent on to the login monitor (monfd); returns only when TLS is up
 */
void session_tls_start(const char *name);
/*
 * session_authline - one SASL response line of at most max bytes into
 * line, without its CRLF; 1 ok, 0 the client cancelled ("*"), -1 too
 * long; leaves (exit 0) when the client has gone
 */
int session_authline(struct str *line, size_t max);
/* session_confine - become kurierd (if root) in a sandbox with no files, processes or sockets; fail is the last words if that fails */
void session_confine(unsigned long long mem, unsigned long long nofile, const char *fail);

#endif
