/*
 * imap.h - the limits and timeouts of kurier-imap-login and kurier-imapd,
 * each with the RFC or the reason it comes from.
 */
#ifndef KURIER_IMAP_H
#define KURIER_IMAP_H

#define IMAP_LINE_MAX       65536	/* RFC 7162 §4 asks for at least 8192 octets; SEARCH and UID sets of real clients run longer */
#define IMAP_LITERAL_LOGIN   1024	/* SECURITY.md 26: a literal before login holds a name or password at most */
#define IMAP_LITERAL_MAX 67108864	/* APPEND: the largest message we store (64 MiB) */
#define IMAP_CMD_MAX     67117056	/* a whole command: the largest literal plus a line */
#define IMAP_TAG_MAX           64	/* a tag is an atom; no client needs longer */
#define IMAP_TOKENS_MAX     65536	/* tokens per command: SEARCH with 10,000 OR terms fits, SECURITY.md 29 */
#define IMAP_DEPTH_MAX         32	/* SECURITY.md 28: nesting of parenthesized lists */
#define IMAP_RANGES_MAX     10000	/* ranges in one sequence set */
#define IMAP_SEARCH_NODES   65536	/* SEARCH keys in one command, SECURITY.md 29 */
#define IMAP_MAILBOX_MAX     1024	/* SECURITY.md 30: a mailbox name, as sent, longer than this is refused */
#define IMAP_CHECKPW_MAX      512	/* checkpassword reads at most 512 bytes on fd 3 */
#define IMAP_CHECKPW_ARGS      16	/* programs on the checkpw command line */
#define IMAP_AUTHLINE_MAX    2048	/* a SASL response line: PLAIN with 255+255+255 bytes fits */
#define IMAP_ERRORS_LOGIN       3	/* SECURITY.md 31: bad commands before login */
#define IMAP_ERRORS_SESSION    20	/* SECURITY.md 31: bad commands after login */
#define IMAP_AUTHFAIL_MAX       3	/* failed logins per connection before we hang up */
#define IMAP_AUTHDELAY_MAX      5	/* seconds: the failure delay grows up to this */
#define IMAP_TIMEOUT_LOGIN    180	/* SECURITY.md 31: a few minutes before login */
#define IMAP_TIMEOUT_SESSION 1800	/* RFC 3501 §5.4: at least 30 minutes of inactivity */
#define IMAP_TIMEOUT_MAX     3600	/* poll(2) takes int milliseconds; an hour is plenty */
#define IMAP_MSGS_MAX     1000000	/* messages one session shows of a folder (the rest wait) */
#define IMAP_KEYWORDS_MAX      26	/* keywords per folder, as Courier's a-z letters allow */
#define IMAP_KEYWORD_LEN       64	/* bytes of one keyword */
#define IMAP_MEM_LIMIT 1024000000ULL	/* RLIMIT_AS of imapd: a 100,000-message folder and a 64 MiB message */
#define IMAP_LOGIN_MEM   64000000ULL	/* RLIMIT_AS of imap-login */
#define IMAP_NOFILE           128	/* descriptors: socket, inotify, a few directories and files */
#define IMAP_NAME_MAX         255	/* NAME_MAX of the file systems a maildir lives on */

#endif
