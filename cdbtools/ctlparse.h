/*
 * ctlparse - the text formats that the make* tools compile, without I/O:
 * domains and addresses, hosteddomains and esmtpacceptmailfor lines,
 * smtpaccess lines (Courier syntax, compiled to tcprules' cdb records),
 * and aliases records.  Every function checks every byte it is given and
 * reports the first problem as a short reason for "file:line: reason".
 * Only the aliases parser reads files, and only through a callback, so
 * everything here can be fed byte strings by tests and fuzzers.
 */
#ifndef KURIER_CTLPARSE_H
#define KURIER_CTLPARSE_H

#include <stddef.h>
#include "str.h"

/* RFC 5321 §4.5.3.1.1: a local part is at most 64 octets */
#define CP_LOCAL_MAX 64
/* RFC 5321 §4.5.3.1.2: a domain is at most 255 octets */
#define CP_DOMAIN_MAX 255
/* RFC 1035 §2.3.4: a label is at most 63 octets */
#define CP_LABEL_MAX 63
/* RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets */
#define CP_ADDR_MAX 254
/* one logical line (continuations joined); a long mailing-list alias
 * belongs in an :include: file */
#define CP_LINE_MAX (1024UL * 1024)
/* nested :include: files: deep enough for lists of lists, and it stops loops */
#define CP_INCLUDE_DEPTH 8
/* targets of one alias after :include: expansion */
#define CP_TARGETS_MAX 100000
/* bytes of one alias's value: each target is bounded, so is the sum */
#define CP_VALUE_MAX (16UL * 1024 * 1024)
/* a |program or /path/ target */
#define CP_TARGET_MAX 4096
/* an smtpaccess variable name and value */
#define CP_VARNAME_MAX 64
#define CP_VALUE1_MAX 1024
/* variables in one smtpaccess entry */
#define CP_VARS_MAX 64

/* cp_lower - ASCII lower case of s[0..n) appended to out; 1 ok, 0 no memory */
int cp_lower(struct str *out, const char *s, size_t n);
/* cp_domain - check a domain name (letters, digits, '-', dots between labels); 1 ok, 0 bad (*why) */
int cp_domain(const char *d, size_t n, const char **why);
/* cp_local - check a local part (RFC 5322 atext and dots); 1 ok, 0 bad (*why) */
int cp_local(const char *l, size_t n, const char **why);
/* cp_address - check local@domain or a bare local name; 1 ok, 0 bad (*why) */
int cp_address(const char *a, size_t n, const char **why);

/*
 * cp_split - the next logical line of text[*pos..len): blank lines and
 * '#' comments are skipped, and when cont is set, following lines that
 * start with a space or tab are joined to it (with one space); with
 * CP_NONUL also set, the caller has checked that text holds no NUL.  The
 * line, without leading and trailing white space, is *line[0..*ll): a
 * pointer into text when it is one physical line, else into buf, which
 * holds the joined lines.  Its start offset goes into *start.  Returns
 * 1 line, 0 end of text, -1 bad (*why, *start).
 */
#define CP_CONT  1	/* cp_split: join continuation lines */
#define CP_NONUL 2	/* cp_split: the text is known to hold no NUL byte */
int cp_split(const char *text, size_t len, size_t *pos, int cont, struct str *buf,
    const char **line, size_t *ll, size_t *start, const char **why);

/*
 * cp_hosted - one hosteddomains line: "domain" or "alias<white>domain".
 * The lower-cased domain into key, the lower-cased domain it aliases
 * (or nothing) into val.  1 ok, 0 bad (*why).
 */
int cp_hosted(const char *s, size_t n, struct str *key, struct str *val, const char **why);
/* cp_accept - one esmtpacceptmailfor line: a domain, lower-cased into key; 1 ok, 0 bad (*why) */
int cp_accept(const char *s, size_t n, struct str *key, const char **why);

/*
 * cp_netblock - an smtpaccess netblock as tcpserver's rules key: "*" is
 * the empty key; an IPv4 address of four octets is itself, fewer octets
 * get a trailing '.'; a complete IPv6 address is written as tcpserver
 * writes it, a prefix of groups gets a trailing ':'.  1 ok, 0 bad (*why).
 */
int cp_netblock(const char *s, size_t n, struct str *key, const char **why);
/*
 * cp_smtpaccess - one smtpaccess line "NETBLOCK<white>allow[,VAR[=value]...]"
 * or "NETBLOCK<white>deny": key as cp_netblock, val as tcprules writes
 * it ("+VAR=value\0" per variable for allow, "D\0" for deny).
 * 1 ok, 0 bad (*why).
 */
int cp_smtpaccess(const char *s, size_t n, struct str *key, struct str *val, const char **why);

/* ip6_scan - parse a complete IPv6 address into ip; 1 ok, 0 bad */
int ip6_scan(const char *s, size_t n, unsigned char ip[16]);
/* ip6_text - append the address as tcpserver writes it (longest zero run compressed, lower case) */
int ip6_text(struct str *out, const unsigned char ip[16]);

/* the aliases parser's window on the file system: read an :include: file */
typedef int (*cp_include_fn)(void *arg, const char *path, struct str *out);	/* 1 ok, 0 missing, -1 error */

struct cp_alias_err {
	const char *why;	/* reason */
	struct str file;	/* an :include: file the error is in, or empty for the line itself */
	unsigned long line;	/* line in that file */
	int sys;		/* a system error (errno kept), not bad input */
};

/* cp_alias_key - the lower-cased key of an aliases line (what precedes its ':') into key; 1 ok, 0 bad (*why) */
int cp_alias_key(const char *s, size_t n, struct str *key, const char **why);
/*
 * cp_alias - one aliases logical line "key: target, target...".  The
 * lower-cased key goes into key; the targets, each NUL-terminated and
 * with :include: files expanded (through inc), are appended to val.
 * "@dom" keys take exactly one bare local name.  With key 0 the key is
 * not checked again (the caller did, with cp_alias_key).  1 ok, 0 bad (err).
 */
int cp_alias(const char *s, size_t n, struct str *key, struct str *val,
    cp_include_fn inc, void *arg, struct cp_alias_err *err);
/* cp_alias_key_plain, cp_alias_plain - the same without the one-pass
 * checks of plain addresses: these choose every error message, and the
 * tests and the fuzz target check that the quick ones agree on any line */
int cp_alias_key_plain(const char *s, size_t n, struct str *key, const char **why);
int cp_alias_plain(const char *s, size_t n, struct str *key, struct str *val,
    cp_include_fn inc, void *arg, struct cp_alias_err *err);

#endif
