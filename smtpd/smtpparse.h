/*
 * smtpparse - the SMTP protocol parsers of kurier-smtpd, with no I/O:
 * command lines (RFC 5321 §4.1), paths and mailboxes (§4.1.2), ESMTP
 * parameters (§4.1.2 esmtp-param), and base64 for AUTH (RFC 4954,
 * RFC 4648).  Every input is untrusted network bytes; every function
 * works on (pointer, length) pairs, tolerates NUL and never reads past
 * the length it is given.
 */
#ifndef KURIER_SMTPPARSE_H
#define KURIER_SMTPPARSE_H

#include <stddef.h>
#include "str.h"

/* RFC 5321 §4.5.3.1: size limits for the objects of the protocol */
#define SMTP_LOCAL_MAX    64	/* §4.5.3.1.1 local-part */
#define SMTP_DOMAIN_MAX  255	/* §4.5.3.1.2 domain */
#define SMTP_PATH_MAX    256	/* §4.5.3.1.3 path, with the angle brackets */
#define SMTP_LINE_MAX    512	/* §4.5.3.1.4 command line, with CRLF */
#define SMTP_AUTHLINE_MAX 12288	/* RFC 4954 §4: an AUTH line may be this long */
#define SMTP_PARAMS_MAX   16	/* ESMTP parameters per command: far above any real use */

enum smtp_verb {
	SMTP_UNKNOWN, SMTP_HELO, SMTP_EHLO, SMTP_MAIL, SMTP_RCPT, SMTP_DATA,
	SMTP_BDAT, SMTP_RSET, SMTP_NOOP, SMTP_QUIT, SMTP_VRFY, SMTP_EXPN,
	SMTP_HELP, SMTP_AUTH, SMTP_STARTTLS
};

struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg;	/* the bytes after the verb and its space */
	size_t arglen;
};

/*
 * smtp_parse_command - split a command line (CRLF or LF already removed)
 * into verb and argument; 1 ok, 0 if the line holds CR or NUL (501).
 * An unknown verb is reported as SMTP_UNKNOWN with 1.
 */
int smtp_parse_command(const char *line, size_t len, struct smtp_cmd *c);

/* results of smtp_parse_path */
#define PATH_OK       1
#define PATH_SYNTAX   0		/* 501 5.1.3 / 5.5.4 */
#define PATH_TOOLONG -1		/* 501 5.1.3, over an RFC 5321 size limit */

/*
 * smtp_parse_path - parse "<path>" at s[0..n): an optional source route
 * (ignored), a mailbox or the null path "<>".  The mailbox goes to addr
 * as local@domain with a quoted local part unquoted; *used gets the
 * bytes consumed; *utf8 is set when the address holds non-ASCII bytes.
 * Returns PATH_OK, PATH_SYNTAX or PATH_TOOLONG.  "<postmaster>" (any
 * case) is allowed with an empty domain; no other address lacks one.
 */
int smtp_parse_path(const char *s, size_t n, size_t *used, struct str *addr, int *utf8);

/* smtp_addr_domain - offset of the domain in a parsed address (after the last @), or len */
size_t smtp_addr_domain(const char *addr, size_t len);

struct smtp_param {
	const char *key; size_t keylen;
	const char *val; size_t vallen;	/* val 0 when the parameter has no "=" */
};

/*
 * smtp_parse_params - the ESMTP parameters after a path, separated by
 * spaces; 1 ok (*count set), 0 on a malformed one or more than max.
 * Keys are alphanumeric and '-'; values bytes 33-126 except '=', or any
 * byte >= 128 (RFC 6531 allows UTF-8).  No CR, LF, NUL or control byte
 * can get through, so none can reach the envelope.
 */
int smtp_parse_params(const char *s, size_t n, struct smtp_param *p, size_t max, size_t *count);

/* smtp_param_is - 1 if the parameter's key equals name (ASCII, any case) */
int smtp_param_is(const struct smtp_param *p, const char *name);

/* smtp_case_eq - 1 if s[0..n) equals the C string t ignoring ASCII case */
int smtp_case_eq(const char *s, size_t n, const char *t);

/*
 * base64_decode - strict RFC 4648 base64 of s[0..n) into out (appended,
 * out->max honoured); 1 ok, 0 on bad characters, bad length or padding
 * anywhere but the end.  The empty string decodes to nothing.
 */
int base64_decode(const char *s, size_t n, struct str *out);
/* base64_encode - base64 of s[0..n) appended to out; 1 ok, 0 no memory */
int base64_encode(const char *s, size_t n, struct str *out);

#endif
