/*
 * snapshot - the list of messages one POP3 session sees (RFC 1939 §4:
 * numbering fixed from login to QUIT), read from a maildir.
 *
 * At login new/ is moved into cur/ (name + ":2,"), then cur/ is read and
 * sorted by unique name (the part before ":"; its runs of digits
 * numerically, so the order is arrival order).  The unique name is the
 * UIDL, so it survives flag changes and the move from new/ to cur/.
 * Sizes are POP3 sizes (CRLF line ends), kept in the size cache
 * "kurier-pop3sizes" in the maildir (kurier-pop3sizes(5)): NUL-separated
 * records, "Vkurier-pop3sizes 2", then optionally "D<sec>.<nsec>", then
 * "U<unique>", "S<size>" and "F<info>" per message, sorted like the
 * snapshot.  A message missing from the cache is read once to count its
 * size; the cache is rewritten (tmp/ then rename) whenever it gained or
 * lost an entry.  Maildir messages never change after delivery, so a
 * unique name's size stays true.  The D record is cur/'s modification
 * time when the records are all of cur/: while cur/ keeps that mtime and
 * new/ is empty, the list is taken from the cache without reading cur/.
 * It is only written once the mtime is SETTLE_SECS old, so that a change
 * in the same clock tick as our look cannot hide behind it.  With it come
 * "N<count>" and "O<octets>", so that the greeting and STAT need not even
 * parse the records: the list is built when a command first needs it.
 */
#ifndef KURIER_SNAPSHOT_H
#define KURIER_SNAPSHOT_H

#include <stddef.h>
#include "str.h"

#define SNAPSHOT_CACHE "kurier-pop3sizes"

struct snapmsg {
	size_t off;		/* file name ("cur/..."), NUL-terminated, in names */
	size_t uidlen;		/* length of the unique name after the 4-byte dir prefix */
	unsigned long long size;	/* POP3 size */
	int deleted;
};

struct snapshot {
	struct snapmsg *m;
	size_t n, a;
	struct str names;
	unsigned long long total;	/* sum of sizes */
	size_t cached, counted;	/* sizes from the cache, sizes counted by reading */
	int truncated;		/* more than POP3_MSGS_MAX messages: the oldest are listed */
	int lazy;		/* n and total known, m not yet built: snapshot_ready builds it */
	struct str cache;	/* the cache's bytes while lazy */
};

/* snapshot_load - move new/ to cur/ (if movenew), list, sort, size; 1 ok, -1 error (errno) */
int snapshot_load(struct snapshot *s, int movenew);
/* snapshot_ready - build the message list if it is still lazy; 1 ok, -1 damaged cache or no memory */
int snapshot_ready(struct snapshot *s);
/* snapshot_name - the current file name of message i (0-based) */
const char *snapshot_name(const struct snapshot *s, size_t i);
/* snapshot_uid - the unique name of message i; its length in *len */
const char *snapshot_uid(const struct snapshot *s, size_t i, size_t *len);
/* snapshot_refind - look for message i under a new name (flags changed); 1 found, 0 gone, -1 error */
int snapshot_refind(struct snapshot *s, size_t i);
/* snapshot_uidcmp - order of two unique names: runs of digits by value, other bytes as bytes; a total order */
int snapshot_uidcmp(const char *a, size_t alen, const char *b, size_t blen);
/* snapshot_count - the POP3 size of the open file fd by reading it; 1 ok, -1 error */
int snapshot_count(int fd, unsigned long long *size);
/* snapshot_free - release everything */
void snapshot_free(struct snapshot *s);

#endif
