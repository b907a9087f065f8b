/*
 * pop3.h - the limits and timeouts of kurier-pop3-login and kurier-pop3d,
 * each with the RFC or the reason it comes from.
 */
#ifndef KURIER_POP3_H
#define KURIER_POP3_H

#define POP3_LINE_MAX        255	/* RFC 2449 §4: a command line is at most 255 octets with CRLF */
#define POP3_AUTHLINE_MAX   2048	/* RFC 5034 §4: SASL responses may pass 255; PLAIN with 255+255+255 bytes fits */
#define POP3_USER_MAX        255	/* a login name: what the checkpw fd 3 limit leaves room for */
#define POP3_CHECKPW_MAX     512	/* checkpassword reads at most 512 bytes on fd 3 */
#define POP3_CHECKPW_ARGS     16	/* programs on the checkpw command line */
#define POP3_ERRORS_LOGIN      3	/* SECURITY.md 31: bad commands before login */
#define POP3_ERRORS_SESSION   20	/* SECURITY.md 31: bad commands after login */
#define POP3_AUTHFAIL_MAX      3	/* failed logins per connection before we hang up */
#define POP3_AUTHDELAY_MAX     5	/* seconds: the failure delay grows up to this */
#define POP3_TIMEOUT_LOGIN   180	/* SECURITY.md 31: a few minutes before login */
#define POP3_TIMEOUT_SESSION 1800	/* RFC 1939 §3: at least 10 minutes; SECURITY.md 31 asks 30 */
#define POP3_TIMEOUT_MAX    3600	/* poll(2) takes int milliseconds; an hour is plenty */
#define POP3_MSGS_MAX     500000	/* messages one session lists (the rest wait): the size cache and list fit POP3_MEM_LIMIT */
#define POP3_NAME_MAX        255	/* NAME_MAX of the file systems a maildir lives on */
#define POP3_MEM_LIMIT 256000000ULL	/* RLIMIT_AS of pop3d: the cache (about 110 bytes a message) and the list, both at once */
#define POP3_LOGIN_MEM  64000000ULL	/* RLIMIT_AS of pop3-login */
#define POP3_NOFILE           64	/* descriptors: socket, pipes, one message, a directory */

#endif
