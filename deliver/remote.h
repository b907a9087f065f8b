/*
 * remote - delivering one message to the recipients of one domain:
 * choose the route (esmtproutes, else MX, else A/AAAA), then speak ESMTP
 * to each host in turn until every recipient has a final answer for this
 * attempt.  Shared by kurier-remote (one delivery per process) and
 * kurier-rspawn (one forked child per delivery, no exec).
 */
#ifndef KURIER_REMOTE_H
#define KURIER_REMOTE_H

#include <stddef.h>
#include "dns.h"
#include "route.h"
#include "str.h"

/* RFC 5321 §4.5.3.2: the least time a client should wait for each reply */
#define REMOTE_TIMEOUT_GREETING 300	/* §4.5.3.2.1: initial 220 */
#define REMOTE_TIMEOUT_MAIL     300	/* §4.5.3.2.2 (also EHLO, STARTTLS, AUTH) */
#define REMOTE_TIMEOUT_RCPT     300	/* §4.5.3.2.3 */
#define REMOTE_TIMEOUT_DATA     120	/* §4.5.3.2.4: the 354 */
#define REMOTE_TIMEOUT_BLOCK    180	/* §4.5.3.2.5: each write of the data */
#define REMOTE_TIMEOUT_DOT      600	/* §4.5.3.2.6: the reply to the final dot */
#define REMOTE_TIMEOUT_CONNECT   60	/* no RFC value; qmail's timeoutconnect */
#define REMOTE_TIMEOUT_QUIT      10	/* courtesy only: the mail is already sent */
#define REMOTE_RCPTS_TXN        100	/* RFC 5321 §4.5.3.1.8: a server takes at least 100 */
#define REMOTE_RCPTS_MAX      10000	/* recipients in one delivery */
#define REMOTE_ADDR_MAX         320	/* RFC 5321 §4.5.3.1: 64 + @ + 255 */
#define REMOTE_CONNECTS_MAX      20	/* addresses tried per delivery */
#define REMOTE_PORT_DEFAULT      25	/* RFC 5321 §4.5.4.2 */
#define REMOTE_AUTH_MAX        1024	/* bytes of a user name or password */

/* where one delivery may go */
struct target {
	char name[DNS_NAME_MAX + 1];	/* MX or relay host name, or the literal address */
	unsigned pref;
	int resolved;			/* DNS_* once looked up; -1 before */
	struct addrset addrs;
};

struct plan {
	int verdict;		/* 0: go; 'Z' or 'D': stop with text */
	struct str text;	/* why, for a verdict */
	struct str source;	/* how the route was chosen (for -x) */
	struct str notes;	/* MX records skipped and why, one per line */
	unsigned port;
	int tls;		/* ROUTE_TLS_* */
	struct str relay;	/* the esmtproutes relay (the esmtpauth key), or empty */
	unsigned n;
	struct target t[DNS_MX_MAX];
};

/* one recipient's outcome: 'K', 'Z' or 'D' and text */
struct rcptresult {
	char code;
	struct str text;
};

/* remote_init - read the configuration, start the resolver and TLS; 1 ok, -1 (err) */
int remote_init(struct str *err);
/* remote_plan - route for domain into p; resolve every host when all is set */
void remote_plan(const char *domain, struct plan *p, int all);
/* remote_deliver - send message m[0..n) from sender to rcpt[0..nr) (all
 * in domain); res[i] gets each recipient's outcome */
void remote_deliver(const char *domain, const char *sender, char **rcpt, unsigned nr,
    const char *m, size_t n, struct rcptresult *res);
/* remote_plan_free - release a plan's strings */
void remote_plan_free(struct plan *p);

#endif
