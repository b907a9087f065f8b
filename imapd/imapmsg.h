/*
 * imapmsg - what IMAP needs from the bytes of one stored message:
 * ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 §7.4.2), the contents of
 * BODY[section] (§6.4.5), RFC822.SIZE, and the matching behind SEARCH
 * HEADER/BODY/TEXT and SENTBEFORE/SENTON/SENTSINCE.  Pure functions over
 * a byte array: no I/O, no global state, bounded recursion.
 * runs as:  inside kurier-imapd, as the mail user
 * trusts:   nothing in the message; every limit below is enforced
 *
 * Every function takes msg[0..len), the whole message as stored, with LF
 * or CRLF line ends, and returns 1 ok, 0 not found (a section that does
 * not exist, a search that does not match) or -1 with errno ENOMEM (no
 * memory) or E2BIG (a limit below was reached).  Output is appended to
 * out in IMAP syntax; section contents always have CRLF line ends.
 */
#ifndef KURIER_IMAPMSG_H
#define KURIER_IMAPMSG_H

#include <stddef.h>
#include "str.h"

/*
 * Limits.  RFC 2046 puts no bound on MIME nesting; real mail rarely goes
 * past 5 levels, so 50 is generous while keeping the C stack (one frame
 * per level) tiny: a message nested 10,000 deep gets E2BIG, not a crash
 * (SECURITY.md 28, 48).
 */
#define IMAPMSG_DEPTH_MAX 50		/* multipart and message/rfc822 levels */
#define IMAPMSG_PARTS_MAX 10000		/* body parts in one message */
#define IMAPMSG_PARAMS_MAX 64		/* parameters of one Content-Type/-Disposition, RFC 2231 segments included */
#define IMAPMSG_BOUNDARY_MAX 200	/* RFC 2046 §5.1.1 allows 70; some senders exceed it */
#define IMAPMSG_QUOTED_MAX 1024		/* longer strings go out as literals */
#define IMAPMSG_FIELDS_MAX 256		/* names in HEADER.FIELDS (...) */

/* imapmsg_envelope - "(date subject from sender reply-to to cc bcc in-reply-to message-id)"; 1 ok, -1 error */
int imapmsg_envelope(const char *msg, size_t len, struct str *out);
/* imapmsg_bodystructure - BODY (extended 0) or BODYSTRUCTURE (1), parenthesized; 1 ok, -1 error */
int imapmsg_bodystructure(const char *msg, size_t len, int extended, struct str *out);
/* imapmsg_section - contents of BODY[spec], spec as written inside []; 1 ok, 0 no such section, -1 error or bad spec (EINVAL) */
int imapmsg_section(const char *msg, size_t len, const char *spec, size_t slen, struct str *out);
/* imapmsg_size_crlf - RFC822.SIZE, the size with CRLF line ends; 1 ok, -1 overflow */
int imapmsg_size_crlf(const char *msg, size_t len, size_t *out);
/* imapmsg_search_header - field contains needle (RFC 2047 decoded, case-insensitive); 1 yes, 0 no, -1 error */
int imapmsg_search_header(const char *msg, size_t len, const char *field, size_t flen, const char *needle, size_t nlen);
/* imapmsg_search_text - SEARCH BODY (body_only 1) or TEXT (0), transfer encodings decoded; 1 yes, 0 no, -1 error */
int imapmsg_search_text(const char *msg, size_t len, const char *needle, size_t nlen, int body_only);
/* imapmsg_date - the Date: header (RFC 5322, obsolete forms too) in seconds since the epoch; 1 ok, 0 absent or bad (*t = 0) */
int imapmsg_date(const char *msg, size_t len, long long *t);
/* imapmsg_sentday - the calendar day of the Date: header as written, time and zone disregarded (RFC 3501 §6.4.4
 * SENTBEFORE/SENTON/SENTSINCE), in days since 1970-01-01; 1 ok, 0 absent or bad (*day = 0) */
int imapmsg_sentday(const char *msg, size_t len, long long *day);

#endif
