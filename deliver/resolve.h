/*
 * resolve - where mail for one address goes (DESIGN.md "Where an address
 * goes").  Reads, afresh on every call:
 *   control/me, control/locals     local domains (".dom" wildcard, "!host"
 *                                  exception; no locals: only me)
 *   control/hosteddomains.cdb      virtual domains (value: canonical domain)
 *   control/postmaster             postmaster's targets, one per line
 *                                  (before aliases; default: the maildir
 *                                  conf-home/postmaster/)
 *   control/aliases.cdb            key: lower-case address, bare local name
 *                                  (local domains), or "@dom"; value: the
 *                                  targets, each NUL-terminated
 *   users/userdb.cdb               virtual accounts, key: full address
 *   the passwd file                system accounts (never uid 0, never
 *                                  below control/minuid, default 1000)
 * Every decision is also written, as text lines, into why, which
 * kurier-route prints.  Runs as root in kurier-lspawn's delivery child
 * (before it becomes the user) and in kurier-route and kurier-local.
 */
#ifndef KURIER_RESOLVE_H
#define KURIER_RESOLVE_H

#include <stddef.h>
#include <sys/types.h>
#include "maildir.h"
#include "str.h"

#define RESOLVE_MINUID_DEFAULT 1000	/* Debian's adduser starts regular users here */
#define RESOLVE_ADDR_MAX 1000		/* longest address handled; the RFC 5321 path limit is 256 */
#define RESOLVE_EXT_TRIES 16		/* most "-ext" splits tried for one local part */
/* postmaster's maildir under conf-home when nothing else names a target
 * (RFC 5321 4.5.1: postmaster must be deliverable); owned by kuriera */
#define RESOLVE_POSTMASTER_DIR "postmaster"

/* results of resolve_address */
#define RES_TEMP    -1	/* a file could not be read: try later */
#define RES_FOREIGN  0	/* not one of our domains */
#define RES_ACCOUNT  1	/* a system or virtual account (acct) */
#define RES_ALIAS    2	/* alias targets (targets), delivered as the alias user */
#define RES_UNKNOWN  3	/* our domain, no such user: bounce */

struct account {
	uid_t uid;
	gid_t gid;
	struct str user;	/* system: the account name; virtual: the userdb key */
	struct str home;
	struct str ext;		/* the extension after "user-", lower case; may be empty */
	struct str mail;	/* virtual: userdb mail= (the default maildir); else empty */
	struct maildir_quota quota;	/* virtual: userdb quota= */
	int has_quota;
	int virtual;		/* 1 for userdb accounts */
};

struct resolved {
	struct str local;	/* the local part as given */
	struct str domain;	/* the domain, lower case */
	struct account acct;	/* RES_ACCOUNT and RES_ALIAS (the alias user) */
	struct str targets;	/* RES_ALIAS: NUL-terminated targets */
	struct str why;		/* the reasoning, one line per step, each ending in \n */
	struct str text;	/* RES_TEMP/RES_UNKNOWN: a short reason */
};

/* resolve_init - empty r; call before resolve_address */
void resolve_init(struct resolved *r);
/* resolve_free - release r's memory */
void resolve_free(struct resolved *r);
/* resolve_address - resolve a[0..n) with passwd (a file, normally /etc/passwd); RES_* */
int resolve_address(const char *a, size_t n, const char *passwd, struct resolved *r);
/* resolve_passwd - look name[0..n) up in the passwd file; 1 found, 0 not, -1 error */
int resolve_passwd(const char *passwd, const char *name, size_t n, struct account *acct);
/* resolve_locals_match - is lower-case domain d in the locals list (NUL-separated
 * entries)?  1 yes, 0 no; *entry gets the entry that decided, or 0 */
int resolve_locals_match(const char *list, size_t len, const char *d, size_t n, const char **entry);
/* resolve_lower - ASCII lower case in place */
void resolve_lower(char *s, size_t n);

#endif
