/*
 * imapparse - the IMAP command syntax of RFC 3501 §9 without any I/O or
 * storage: a command (tag, name, arguments with quoted strings, literals
 * and nested lists) as a flat token array, sequence sets, modified
 * UTF-7 mailbox names (§5.1.3) and dates.  Everything works on byte
 * strings, so the unit tests and fuzz targets feed it directly.
 */
#ifndef KURIER_IMAPPARSE_H
#define KURIER_IMAPPARSE_H

#include <stddef.h>
#include <stdint.h>
#include "str.h"

enum imap_toktype {
	IMAP_ATOM,	/* atom, number, flag, NIL, also "BODY[HEADER.FIELDS (A B)]<0.10>" */
	IMAP_QUOTED,	/* a quoted string, unescaped */
	IMAP_LITERAL,	/* a literal's bytes */
	IMAP_OPEN,	/* ( */
	IMAP_CLOSE	/* ) */
};

struct imap_tok {
	enum imap_toktype type;
	const char *s;		/* the bytes: a literal's in the command, the others in the arena with a NUL after them */
	size_t len;
	size_t off;		/* where s starts, while the arena still grows */
	size_t end;		/* for IMAP_OPEN: index of its IMAP_CLOSE */
};

struct imap_cmd {
	const char *tag;	/* NUL-terminated, in the arena */
	size_t taglen;
	const char *name;	/* the command name, upper-cased, NUL-terminated */
	size_t namelen;
	struct imap_tok *t;	/* the arguments */
	size_t nt;
	size_t ta;		/* tokens allocated */
	struct str arena;	/* copies of every token with a NUL after each */
	const char *err;	/* why parsing failed */
};

/* imap_cmd_init - an empty command structure */
void imap_cmd_init(struct imap_cmd *c);
/* imap_cmd_free - release what a command holds */
void imap_cmd_free(struct imap_cmd *c);
/*
 * imap_parse - one command s[0..n), with its literals inline as
 * "{N}\r\n" or "{N+}\r\n" followed by N bytes and without the final
 * CRLF, into c; 1 ok, 0 syntax error (c->err says why; c->tag is set when
 * the tag could be read), -1 no memory
 */
int imap_parse(const char *s, size_t n, struct imap_cmd *c);
/*
 * imap_literal_end - does the line s[0..n) (no CRLF) end with a literal
 * announcement {N} or {N+}?  1 yes (*size, *nonsync set), 0 no, -1 a
 * literal whose size is not a number or does not fit 64 bits
 */
int imap_literal_end(const char *s, size_t n, unsigned long long *size, int *nonsync);
/* imap_tok_is - 1 if token t is an atom equal (case-insensitively) to the C string w */
int imap_tok_is(const struct imap_tok *t, const char *w);
/* imap_tok_string - 1 if token t is an astring (atom, quoted or literal) */
int imap_tok_string(const struct imap_tok *t);
/* imap_number - s[0..n) as a nz-number or number up to 2^32-1; 1 ok, 0 bad */
int imap_number(const char *s, size_t n, uint32_t *u);

/* a sequence set: ranges with 0 standing for "*" */
struct imap_range { uint32_t lo, hi; };
struct imap_seqset {
	struct imap_range *r;
	size_t n, a;
};
/* imap_seqset_parse - "1,3:5,7:*" into set (emptied first); 1 ok, 0 bad syntax or too many ranges, -1 no memory */
int imap_seqset_parse(const char *s, size_t n, struct imap_seqset *set);
/* imap_seqset_resolve - "*" as star, each range ordered, sorted and merged; ranges past max dropped, the rest clamped to max */
void imap_seqset_resolve(struct imap_seqset *set, uint32_t star, uint32_t max);
/* imap_seqset_has - 1 if x lies in a resolved set */
int imap_seqset_has(const struct imap_seqset *set, uint32_t x);
/* imap_seqset_free - release a set */
void imap_seqset_free(struct imap_seqset *set);

/* imap_utf7_decode - modified UTF-7 s[0..n) as UTF-8 into out (replaced); 1 ok, 0 not valid, -1 no memory */
int imap_utf7_decode(const char *s, size_t n, struct str *out);
/* imap_utf7_encode - UTF-8 s[0..n) as modified UTF-7 into out (replaced); 1 ok, 0 not valid UTF-8 or a control character, -1 no memory */
int imap_utf7_encode(const char *s, size_t n, struct str *out);

/* imap_date - "1-Feb-1994" (date of RFC 3501 §9) as days since 1970-01-01 in *days; 1 ok, 0 bad */
int imap_date(const char *s, size_t n, long long *days);
/* imap_datetime - "17-Jul-1996 02:44:25 -0700" as seconds since the epoch; 1 ok, 0 bad */
int imap_datetime(const char *s, size_t n, long long *t);
/* imap_days_from_civil - days since 1970-01-01 of year y, month m (1-12), day d */
long long imap_days_from_civil(long long y, unsigned m, unsigned d);

#endif
