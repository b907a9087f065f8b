/*
 * route - control/esmtproutes: where mail for a domain goes instead of its
 * MX hosts.  A pure parser over the file's text, so the unit test can
 * feed it anything; esmtproutes(5) is the administrator's description.
 *
 * Lines:  DOMAIN: [RELAY][,PORT] [/OPTION ...]     # comments, blank lines
 *   DOMAIN  example.com (exactly that domain), .example.com (every
 *           subdomain of it, not itself), or empty (every other domain:
 *           the smarthost line).
 *   RELAY   a host name (its A/AAAA records, never its MX), [192.0.2.1]
 *           or [2001:db8::1]; empty means "look up the MX as usual".
 *   PORT    1-65535; default control/remoteport, else 25.
 *   OPTION  /tls=none|try|must|verify   (default try: STARTTLS when offered)
 * Lookup: the exact domain, then .wildcards from the longest suffix, then
 * the empty domain; no match means MX.  Any malformed line makes the whole
 * file invalid: a route is never guessed.
 */
#ifndef KURIER_ROUTE_H
#define KURIER_ROUTE_H

#include <stddef.h>
#include "str.h"

#define ROUTE_DOMAIN_MAX 255	/* RFC 1035 §2.3.4: a name in text form */
#define ROUTE_LINES_MAX 100000	/* esmtproutes is a text file, not a database */

enum { ROUTE_TLS_NONE, ROUTE_TLS_TRY, ROUTE_TLS_MUST, ROUTE_TLS_VERIFY };

struct route {
	int found;		/* 1 if a line matched */
	unsigned long line;	/* its line number */
	struct str key;		/* the DOMAIN of that line, as written (lower case) */
	struct str relay;	/* host name or address without brackets; empty: MX */
	int literal;		/* 4 or 6 when relay was [IPv4] or [IPv6], else 0 */
	unsigned port;		/* 0: the default port */
	int tls;		/* ROUTE_TLS_* */
};

/*
 * route_find - look domain up in the esmtproutes text.  1 when a line
 * matched or none did (r->found says which), -1 when the text is
 * malformed (err says "line N: why") or memory ran out.
 */
int route_find(const char *text, size_t n, const char *domain, struct route *r, struct str *err);
/* route_free - release a route's strings */
void route_free(struct route *r);
/* route_tlsname - "none", "try", "must" or "verify" */
const char *route_tlsname(int tls);
/* route_ip - 4 or 6 if s is an IPv4 or IPv6 address in text form, else 0 */
int route_ip(const char *s);

#endif
