/*
 * mimelimit - a streaming check of a message's MIME structure (RFC 2045,
 * RFC 2046 §5.1), with no I/O.  It follows multipart boundaries line by
 * line and flags a message whose nesting or part count passes a limit, so
 * no later reader (a filter, an IMAP server) has to survive it (SECURITY.md
 * 28, 48).  It never rejects on syntax: a broken header or boundary just
 * makes the part an opaque body.
 */
#ifndef KURIER_MIMELIMIT_H
#define KURIER_MIMELIMIT_H

#include <stddef.h>
#include "str.h"

#define MIME_DEPTH_MAX   20	/* nested multiparts; real mail rarely passes 5 */
#define MIME_PARTS_MAX 1000	/* body parts in one message */
#define MIME_BOUNDARY_MAX 70	/* RFC 2046 §5.1.1 */
#define MIME_FIELD_MAX  8192	/* an unfolded Content-Type field we still parse */

#define MIME_OK        0
#define MIME_TOODEEP   1
#define MIME_TOOMANY   2

struct mime_limit {
	int in_header;		/* reading an entity's header */
	int in_ctype;		/* the current header field is Content-Type */
	struct str field;	/* that field, unfolded */
	struct str next;	/* boundary the current entity declared, if multipart */
	struct str bound[MIME_DEPTH_MAX];	/* open multiparts, outermost first */
	int depth;
	unsigned long parts;
	int error;		/* MIME_* */
};

/* mime_init - prepare to read a new message, starting in its header */
void mime_init(struct mime_limit *m);
/* mime_line - feed one line without its LF (it may be a truncated prefix); 0 no memory */
int mime_line(struct mime_limit *m, const char *line, size_t len);
/* mime_result - MIME_OK or the limit that was passed */
int mime_result(const struct mime_limit *m);
/* mime_free - release memory */
void mime_free(struct mime_limit *m);
/* mime_boundary - the boundary parameter of a Content-Type value into out; 1 found, 0 not */
int mime_boundary(const char *v, size_t n, struct str *out);

#endif
