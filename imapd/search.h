/*
 * search - SEARCH keys (RFC 3501 §6.4.4) parsed from command tokens into
 * a tree, and matched against one message at a time.  The parser knows
 * nothing of storage; the matcher reaches the message through callbacks.
 * Nesting is bounded (SEARCH_DEPTH_MAX) and so is the count of keys
 * (IMAP_SEARCH_NODES), so neither the stack nor the heap grows with
 * what a client sends (SECURITY.md 28, 29).
 */
#ifndef KURIER_SEARCH_H
#define KURIER_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include "imapparse.h"

#define SEARCH_DEPTH_MAX 1000	/* OR/NOT/() nesting: deep enough for any client, far below the stack */

enum search_op {
	SK_ALL, SK_AND, SK_OR, SK_NOT, SK_SEQ, SK_UID, SK_FLAGS, SK_UNFLAGS, SK_NEW, SK_OLD, SK_RECENT,
	SK_BEFORE, SK_ON, SK_SINCE, SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE,
	SK_LARGER, SK_SMALLER, SK_HEADER, SK_BODY, SK_TEXT, SK_KEYWORD, SK_UNKEYWORD
};

struct search_node {
	enum search_op op;
	int first, next;		/* children of AND/OR/NOT; the next sibling; -1 none */
	unsigned flags;			/* SK_FLAGS/SK_UNFLAGS: store flag bits */
	long long num;			/* days since the epoch, or a size */
	const char *field, *s;		/* SK_HEADER field; the string searched for */
	size_t flen, slen;
	struct imap_seqset set;		/* SK_SEQ, SK_UID: resolved */
};

struct search {
	struct search_node *n;
	size_t nn, na;
	int root;
	int needtext;			/* some key needs the message bytes */
	int needdate;			/* some key needs the internal date */
	int needbody;			/* some key needs more than the header */
	const char *err;
};

/* the message a search looks at */
struct search_msg {
	uint32_t seq, uid;
	unsigned flags;
	int recent;
	long long idate;
	uint32_t kw;			/* keyword bits, named by kwname */
	char *const *kwname;
	size_t nkw;
	void *ctx;
	/* size - RFC822.SIZE of the message; 0 if unreadable */
	unsigned long long (*size)(void *ctx);
	/* text - the message bytes (only its header when the search has no needbody), 0 if unreadable */
	const char *(*text)(void *ctx, size_t *len);
};

/*
 * search_parse - tokens t[0..nt) after SEARCH (and after CHARSET x) into
 * s; nmsgs and maxuid give "*"; 1 ok, 0 bad syntax (s->err), -1 no memory;
 * search_free(s) afterwards in every case
 */
int search_parse(struct search *s, const struct imap_tok *t, size_t nt, uint32_t nmsgs, uint32_t maxuid);
/* search_match - 1 if m matches, 0 not, -1 the message could not be read or parsed */
int search_match(const struct search *s, const struct search_msg *m);
/* search_free - release s */
void search_free(struct search *s);

#endif
