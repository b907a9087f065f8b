/*
 * userdb-parse - the userdb source format, without I/O.
 * A source line is
 *   ADDRESS<TAB>field=value|field=value...
 * or blank, or a comment starting with '#'.  Courier's syntax; see
 * userdb(5).  makeuserdb, userdb and pw2userdb's tests all go through
 * these functions, so every tool agrees on what a valid line is.
 * Trusts nothing: every byte of the line is checked.
 */
#ifndef KURIER_USERDB_PARSE_H
#define KURIER_USERDB_PARSE_H

#include <stddef.h>
#include "str.h"

/* RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the two
 * angle brackets, so an address is at most 254 */
#define UDB_ADDR_MAX 254
/* one line of the source; Courier's records are a few hundred bytes, this
 * leaves room for long gecos and option fields */
#define UDB_LINE_MAX 65536
/* field names are short words (uid, hmac-md5pw, ...) */
#define UDB_NAME_MAX 64
/* fields in one record: Courier defines about a dozen */
#define UDB_FIELDS_MAX 128
/* the largest uid or gid: (uid_t)-1 means "no change" to chown(2) */
#define UDB_ID_MAX 4294967294ULL

struct udb_line {
	const char *addr;	/* the address as written */
	size_t alen;
	const char *rec;	/* field=value|... */
	size_t rlen;
	int clean;	/* the line holds no control character but TAB */
};

/* udb_parse_line - split one line (no newline) into address and record; 1 record, 0 blank or comment, -1 bad (*why) */
int udb_parse_line(const char *s, size_t n, struct udb_line *out, const char **why);
/* udb_next_line - find the end of the line at s (avail bytes readable):
 * its length without the newline in *n; returns 1 if the line holds no
 * byte below 0x20 but TAB (a clean line), 0 if it does (one pass for both) */
int udb_next_line(const char *s, size_t avail, size_t *n);
/* udb_parse_clean - udb_parse_line for a line udb_next_line called clean
 * (the control characters are not looked for again); returns as it */
int udb_parse_clean(const char *s, size_t n, struct udb_line *out, const char **why);
/* udb_check_addr - check an address; 1 ok, -1 bad (*why) */
int udb_check_addr(const char *a, size_t n, const char **why);
/* udb_key - the lookup key of an address (ASCII lower-cased) into key; 1 ok, 0 no memory */
int udb_key(const char *a, size_t n, struct str *key);
/* udb_check_field - check one field=value (or bare field); 1 ok, -1 bad (*why) */
int udb_check_field(const char *f, size_t n, const char **why);
/*
 * udb_record - check a whole record and append its public fields to pub
 * and its password fields to shadow, '|'-separated, in source order.
 * Returns 1 ok, 0 invalid (*why), -1 no memory.
 */
int udb_record(const char *rec, size_t n, struct str *pub, struct str *shadow, const char **why);
/* a piece of memory: a run of a source record, or the bytes of a str */
struct udb_span {
	const char *s;
	size_t n;
};
/*
 * udb_record_spans - udb_record without copying where it need not: when
 * the public fields (or the password fields) follow one another in rec
 * with nothing but their '|' between, their span points into rec;
 * otherwise they are copied into pub (or shadow) and the span points at
 * its bytes.  An empty part is an empty span.  clean: the caller knows
 * rec holds no control character but TAB (udb_line.clean), so it is not
 * looked for again.  Returns as udb_record.
 */
int udb_record_spans(const char *rec, size_t n, int clean, struct str *pub, struct str *shadow,
		     struct udb_span *ps, struct udb_span *ss, const char **why);
/* udb_record_plain - udb_record checked one field at a time, with no quick
 * path: it chooses every error message, and the tests and the fuzz target
 * check that udb_record gives the same answer on any record */
int udb_record_plain(const char *rec, size_t n, struct str *pub, struct str *shadow, const char **why);
/* udb_check_quota - Maildir++ quota "NNNS", "NNNC", "NNNS,NNNC" or "NNNC,NNNS"; 1 ok, 0 bad */
int udb_check_quota(const char *q, size_t n);

#endif
