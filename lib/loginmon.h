/*
 * loginmon - the two halves of a login program's privilege split
 * (kurier-imap-login, kurier-pop3-login).  The monitor keeps the ids the
 * program started with (root under tcpserver), never reads the client, and
 * runs the checkpw chain only for a well-formed request from the session
 * process, with the credentials on fd 3; a chain that succeeds execs the
 * mail server as the user, which takes over the client.  The session
 * process (sandboxed, no secrets of its own) sends one request at a time
 * on a pipe and reads a one-byte answer on another:
 *
 *   type\0 name\0 secret\0 stamp\0 [tag\0] count\0 pending-bytes
 *
 * count (decimal) bytes follow: the commands the client sent ahead of the
 * login reply, which the server finds on fd LOGINMON_PENDING_FD.  The tag
 * field is there only when the program hands the server the login
 * command's tag (IMAP).  The answer is "N" (the chain refused) or "T"
 * (it failed); after a chain that reached the server there is no answer:
 * the session is over and the monitor ends the session process.
 *
 * Also here: the SASL PLAIN and CRAM-MD5 responses taken apart into the
 * name and secret of a request.
 */
#ifndef KURIER_LOGINMON_H
#define KURIER_LOGINMON_H

#include <stddef.h>
#include "buf.h"
#include "str.h"

#define LOGINMON_CHECKPW_MAX 512	/* checkpassword reads at most 512 bytes on fd 3 */
#define LOGINMON_TYPE_MAX     16	/* room for the type name ("cram-md5") in a request */
#define LOGINMON_TAG_MAX      64	/* the longest tag a request may carry (IMAP_TAG_MAX) */
#define LOGINMON_PENDING_MAX BUF_SIZE	/* commands sent ahead of a login reply: what the input buffer holds */
#define LOGINMON_PENDING_FD    4	/* where the server finds them */
#define LOGINMON_STARTED_FD    5	/* where the server writes a byte as it takes over */
#define LOGINMON_ENV_MAX     256	/* environment entries passed to the chain */
#define LOGINMON_LOGNAME_MAX  64	/* bytes of a login name in a log line */

/* what loginmon_login and the SASL parsers return */
#define LOGINMON_NO        1	/* the chain refused the credentials */
#define LOGINMON_TEMP      2	/* the chain failed: try again later */
#define LOGINMON_MALFORMED 3	/* empty or NUL in the name or secret: no request sent */
#define LOGINMON_TOOLONG   4	/* more than the chain reads on fd 3: no request sent */
#define LOGINMON_OK        5	/* a SASL response was taken apart */
#define LOGINMON_BASE64    6	/* a SASL response was not base64 */
#define LOGINMON_AUTHZ     7	/* PLAIN asked for an authorization identity other than the login */

struct loginmon {
	/* set by the program before loginmon_start */
	char **chain;			/* the checkpw chain, ending in the mail server; 0-terminated */
	const char *service;		/* KURIER_SERVICE for the chain: "imap", "pop3" */
	const char *pending_var;	/* the server's variable naming LOGINMON_PENDING_FD */
	const char *started_var;	/* the server's variable naming LOGINMON_STARTED_FD */
	const char *tag_var;		/* the variable that hands the server the tag, or 0: no tag field */
	const char *const *types;	/* the request types the monitor accepts; 0-terminated */
	size_t datamax;			/* fd 3 bytes at most: at most LOGINMON_CHECKPW_MAX */
	size_t tagmax;			/* tag bytes at most: at most LOGINMON_TAG_MAX */
	int chain_timeout;		/* seconds the chain has to reach the server or give up; 0: no limit */
	unsigned delaymax;		/* seconds: the pause after a refused login grows up to this */
	/* set by loginmon_start in the session process */
	int reqfd, ansfd;		/* its ends of the two pipes */
	struct str stamp;		/* "<pid.time@me>": unique per connection (RFC 1939 §7, RFC 2195 §2) */
	unsigned fails;			/* logins the chain refused so far */
};

/*
 * loginmon_args - lm->chain from the command line (argv[1..argc)), at most
 * max programs; with none, kurier-checkpw, kurier-checkpw-unix and server
 * (a path under conf-home); dies (EX_T_TEMP) on too many
 */
void loginmon_args(struct loginmon *lm, int argc, char **argv, int max, const char *server);
/*
 * loginmon_start - fork; the parent becomes the monitor and never returns;
 * the child, the session process, returns with lm's pipes and stamp set.
 * Dies (EX_T_TEMP) when it cannot fork.  Call after session_config.
 */
void loginmon_start(struct loginmon *lm);
/*
 * loginmon_login - ask the monitor to check name and secret as type (with
 * the login command's tag when lm->tag_var is set; the commands held in
 * session.in go with it); LOGINMON_NO after the failure pause,
 * LOGINMON_TEMP, LOGINMON_MALFORMED or LOGINMON_TOOLONG; never returns
 * when the server ran the session
 */
int loginmon_login(struct loginmon *lm, const char *type, const char *name, size_t nlen,
    const char *secret, size_t slen, const char *tag);
/* loginmon_challenge - queue the CRAM-MD5 challenge, "+ " and the stamp in base64 (RFC 2195 §2), using dec */
void loginmon_challenge(const struct loginmon *lm, struct str *dec);
/*
 * loginmon_plain - the SASL PLAIN response s[0..n) (base64; "=" alone is
 * empty) decoded into dec, then split (RFC 4616 §2): LOGINMON_OK with the
 * name and the secret pointing into dec, LOGINMON_BASE64,
 * LOGINMON_MALFORMED or LOGINMON_AUTHZ
 */
int loginmon_plain(const char *s, size_t n, struct str *dec, const char **name, size_t *nlen,
    const char **secret, size_t *slen);
/*
 * loginmon_cram - the CRAM-MD5 response s[0..n) (base64 of "name digest",
 * RFC 2195 §2) decoded into dec: LOGINMON_OK with the name and the 32
 * lower-case hex digits pointing into dec, LOGINMON_BASE64 or
 * LOGINMON_MALFORMED
 */
int loginmon_cram(const char *s, size_t n, struct str *dec, const char **name, size_t *nlen,
    const char **secret, size_t *slen);

#endif
