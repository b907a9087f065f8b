/*
 * rcptcheck - is a domain ours, and does a recipient exist?  The
 * accepted-domain rules of DESIGN.md ("Where an address goes"), read
 * afresh on every call so rebuilt files apply at once:
 *   control/locals             system accounts (".dom" wildcard, "!host" exception;
 *                              missing: only control/me)
 *   control/hosteddomains.cdb  virtual domains (key: lower-case domain; a
 *                              non-empty value names the domain it aliases)
 *   control/esmtpacceptmailfor.cdb  backup MX domains (accept anything)
 *   control/aliases.cdb        key: lower-case address, bare local name, or "@dom"
 *   users/userdb.cdb           hosted users (key: lower-case address)
 *   the passwd file            system users, "user-ext" meaning "user"
 * The passwd file is read directly instead of through getpwnam, whose
 * NSS modules may open sockets the sandbox forbids.
 */
#ifndef KURIER_RCPTCHECK_H
#define KURIER_RCPTCHECK_H

#include <stddef.h>
#include "str.h"

struct rcptcheck {
	const char *home;	/* the conf-home whose control/ and users/ apply */
	const char *localip;	/* TCPLOCALIP, for address literals; or 0 */
	const char *passwd;	/* the passwd file, normally /etc/passwd */
};

/* what a domain is to us */
#define DOM_TEMP    -1	/* a file could not be read: 451 */
#define DOM_FOREIGN  0	/* not ours: relaying */
#define DOM_LOCAL    1	/* in locals (or me) */
#define DOM_HOSTED   2	/* in hosteddomains */
#define DOM_ACCEPT   3	/* in esmtpacceptmailfor */

/* what a recipient is */
#define RCPT_TEMP    -1	/* 451 4.3.0 */
#define RCPT_FOREIGN  0	/* not our domain: needs RELAYCLIENT or AUTH */
#define RCPT_OK       1	/* ours and known (or a backup-MX domain) */
#define RCPT_UNKNOWN  2	/* ours, no such user: 550 5.1.1 */

/* rcpt_domain - classify domain d[0..n) (any case); DOM_* */
int rcpt_domain(const struct rcptcheck *rc, const char *d, size_t n);
/* rcpt_check - classify the parsed address a[0..n) (local@domain); RCPT_* */
int rcpt_check(const struct rcptcheck *rc, const char *a, size_t n);
/* rcpt_lower - ASCII lower case of s[0..n) into out; 1 ok, 0 no memory */
int rcpt_lower(struct str *out, const char *s, size_t n);

#endif
