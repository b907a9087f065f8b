/*
 * cmdread - read one IMAP command from the client: its line and every
 * literal announced at a line's end ({N} after "+ " from us, {N+} at
 * once, RFC 3501 §7.5 and RFC 7888), into one buffer for imap_parse.
 * No byte of a literal is read before its size is checked against the
 * caller's limit, and nothing is allocated for a size that is refused.
 */
#ifndef KURIER_CMDREAD_H
#define KURIER_CMDREAD_H

#include <stddef.h>
#include "buf.h"
#include "str.h"

#define CMDREAD_OK     1	/* a command in cmd (no final CRLF) */
#define CMDREAD_EOF    0	/* the client went away */
#define CMDREAD_BAD   -1	/* answer BAD (why in *err); cmd holds the start of the line for the tag */
#define CMDREAD_CLOSE -2	/* an oversized non-synchronizing literal: close the connection */

/*
 * cmdread - one command into cmd with literals of at most litmax bytes
 * each and cmdmax bytes in all; sends the "+" continuation on out for
 * each synchronizing literal; returns a CMDREAD_* code
 */
int cmdread(struct buf *in, struct buf *out, struct str *cmd, size_t litmax, size_t cmdmax, const char **err);

#endif
